# lowlight-edge: every target creates or reuses a local virtual environment, so a fresh clone needs
# nothing but Python >= 3.10 and a package registry.
PYTHON     ?= python3
VENV       ?= .venv
# The CPU build of PyTorch this project is tested with. Elsewhere, override it, e.g.
#   make test TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0
# On a Jetson: VENV_ARGS=--system-site-packages TORCH_SPEC= (empty), so the venv uses the TensorRT and
# PyTorch that JetPack installs instead of installing its own.
VENV_ARGS  ?=
# test-gpu: trt (CUDA 12 drivers), trt-cu13 (CUDA 13), or none on a Jetson (VENV_ARGS=--system-site-packages)
# which TensorRT `make test-gpu` installs: the extra (trt: newest for CUDA 12, 11.x today; trt10: the 10.x line;
# trt-cu13; jetson / jetson-jp7: JetPack's TensorRT with cuda-python pinned to JetPack's CUDA), then TRT_SPEC, an exact
# pin when given (make test-gpu TRT_EXTRA=trt10 TRT_SPEC=tensorrt-cu12==10.13.3.9)
TRT_EXTRA  ?= trt
TRT_SPEC   ?=
TRT_HELP   := on a Jetson use JetPack's TensorRT: make test-gpu VENV_ARGS=--system-site-packages TORCH_SPEC= TRT_EXTRA=jetson
PY         := $(VENV)/bin/python
CLI        := $(VENV)/bin/lowlight-edge
STAMP      := $(VENV)/.lowlight-edge-installed
# Test-time data that must come from the registry (LPIPS weights, the lpips wheel to compare them with)
# is provisioned into .cache/ by `make test`, never downloaded by the tests themselves.
export LOWLIGHT_EDGE_CACHE ?= $(CURDIR)/.cache/lowlight-edge
LPIPS_WEIGHTS := $(LOWLIGHT_EDGE_CACHE)/lpips_alex_v0.1.safetensors
LPIPS_WHEEL   := .cache/wheels/lpips-0.1.4-py3-none-any.whl
# NVIDIA's TensorRT Python bindings alone (no TensorRT libraries, ~1.2 MB each): the API conformance test imports
# them with stand-in libraries and runs the engine code against their real signatures (tests/trt_bindings.py)
TRT_BINDINGS  := .cache/wheels/tensorrt/.complete
TRT_SPECS     := tensorrt_cu12_bindings==10.3.0 tensorrt_cu13_bindings==10.13.3.9.post1 tensorrt_cu13_bindings==11.4.0.106
ARCH          := $(shell uname -m)
# cuda-python's runtime module as 12.6.0 (cuda.cudart), 12.9 and 13.0 (cuda.bindings) ship it: the CUDA layer's
# conformance test reads their signatures (tests/cuda_bindings.py)
CUDA_BINDINGS := .cache/wheels/cuda/.complete
CUDA_SPECS    := cuda-python==12.6.0 cuda-bindings==12.9.10 cuda-bindings==13.0.3 cuda-pathfinder==1.9.1

.PHONY: help venv test-data test test-fast test-slow test-gpu demo clean

help:
	@echo "make demo   run the main job on the bundled default model"
	@echo "make test   run the test suite (CPU)"

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV_ARGS) $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(if $(strip $(TORCH_SPEC)),$(PY) -m pip install -q --disable-pip-version-check $(TORCH_SPEC))
	$(PY) -m pip install -q --disable-pip-version-check -e ".[export,train,dev,plots]"
	@touch $@

venv: $(STAMP)

$(LPIPS_WEIGHTS): | $(STAMP)
	$(CLI) weights fetch

$(LPIPS_WHEEL): | $(STAMP)
	$(PY) -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: lpips==0.1.4 -d .cache/wheels

$(TRT_BINDINGS): | $(STAMP)
	for spec in $(TRT_SPECS); do \
	  $(PY) -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
	    --platform manylinux_2_17_$(ARCH) --platform manylinux_2_28_$(ARCH) -d .cache/wheels/tensorrt "$$spec" || exit 1; \
	done
	@touch $@

$(CUDA_BINDINGS): | $(STAMP)
	for spec in $(CUDA_SPECS); do \
	  $(PY) -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: -d .cache/wheels/cuda "$$spec" \
	    || exit 1; \
	done
	@touch $@

# pycuda's source archive, fetched as bytes with a pinned sha256 and never built (it has no wheels): the pycuda
# backend's names are checked against it (tests/test_pycuda_api.py)
PYCUDA_SDIST  := .cache/sources/pycuda-2026.1.tar.gz
$(PYCUDA_SDIST): | $(STAMP)
	@mkdir -p $(dir $@)
	$(PY) -c "from pathlib import Path; from lowlight_edge.fileio.package_index import find_file, index_url, download_verified; \
	download_verified(find_file(index_url(), 'pycuda', '$(notdir $@)'), \
	'759516160628ba06f32ce7e563e3f5b9214691dc9528a03ea99ea1073f4e14ba', Path('$@'), 8 << 20)"

test-data: $(LPIPS_WEIGHTS) $(LPIPS_WHEEL) $(TRT_BINDINGS) $(CUDA_BINDINGS) $(PYCUDA_SDIST)

# `slow` tests (1000-case fuzz runs) are left to `make test-slow`; a skipped slow test says so in the summary.
test: $(STAMP) test-data
	$(PY) -m pytest -q -m "not slow"

test-fast: $(STAMP) test-data
	$(PY) -m pytest -q -x -m "not slow"

test-slow: $(STAMP) test-data
	$(PY) -m pytest -q -m slow

# On a machine with a GPU, TensorRT 10.3+/11.x and pycuda (or cuda-python): GPU tests with skips as
# failures, engines of the bundled model, their drift and latency; results under work/results/<host>/gpu/.
test-gpu: $(STAMP) test-data
	$(PY) -m pip install -q --disable-pip-version-check -e ".[$(TRT_EXTRA)]" $(if $(TRT_SPEC),"$(TRT_SPEC)") \
	  || { echo "TensorRT did not install: $(TRT_HELP)"; exit 1; }
	$(PY) -c "import tensorrt; print('make test-gpu: TensorRT', tensorrt.__version__)"
	bash benchmarks/scripts/gpu-tensorrt.sh

demo: $(STAMP) $(LPIPS_WEIGHTS)
	$(CLI) demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .cache
