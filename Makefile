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
PY         := $(VENV)/bin/python
CLI        := $(VENV)/bin/lowlight-edge
STAMP      := $(VENV)/.lowlight-edge-installed
# Test-time data that must come from the registry (LPIPS weights, the lpips wheel to compare them with)
# is provisioned into .cache/ by `make test`, never downloaded by the tests themselves.
export LOWLIGHT_EDGE_CACHE ?= $(CURDIR)/.cache/lowlight-edge
LPIPS_WEIGHTS := $(LOWLIGHT_EDGE_CACHE)/lpips_alex_v0.1.safetensors
LPIPS_WHEEL   := .cache/wheels/lpips-0.1.4-py3-none-any.whl

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

test-data: $(LPIPS_WEIGHTS) $(LPIPS_WHEEL)

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
	$(PY) -m pip install -q --disable-pip-version-check -e ".[trt]" || echo "note: install TensorRT/pycuda by hand (JetPack provides them)"
	bash benchmarks/scripts/gpu-tensorrt.sh

demo: $(STAMP) $(LPIPS_WEIGHTS)
	$(CLI) demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .cache
