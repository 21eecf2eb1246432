# lowlight-edge: every target creates or reuses a local virtual environment, so a fresh clone needs
# nothing but Python >= 3.10 and a package registry.
PYTHON     ?= python3
VENV       ?= .venv
# The CPU build of PyTorch this project is tested with. Elsewhere, override it, e.g.
#   make test TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0
PY         := $(VENV)/bin/python
CLI        := $(VENV)/bin/lowlight-edge
STAMP      := $(VENV)/.lowlight-edge-installed

.PHONY: help venv test test-fast demo clean

help:
	@echo "make demo   run the main job on the bundled default model"
	@echo "make test   run the test suite (CPU)"

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check $(TORCH_SPEC)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[export,dev]"
	@touch $@

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -x -m "not slow"

demo: $(STAMP)
	$(CLI) demo

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
