# Two commands set everything up on a fresh machine with Python 3.11:
#   make demo   -> create .venv, install, run the main job on the embedded example
#   make test   -> create .venv, install, run the default test suite (< 10 min on 2 cores)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo_output
# torch is installed first, pinned. TORCH_INDEX, when set, is the index it comes from:
#   make demo TORCH_INDEX=https://download.pytorch.org/whl/cpu
# is the CPU build on any machine (PyPI's Linux torch is the multi-GB CUDA build). Left
# empty, pip's configured index is used (this project's CI serves a CPU wheel there, and
# only PyPI is reachable). The package itself then only needs torch >= 2.4.
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?=
TORCH_INDEX_OPT := $(if $(strip $(TORCH_INDEX)),--index-url $(TORCH_INDEX))
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/.cache/pytensor
export MPLBACKEND ?= Agg

.PHONY: install demo test test-slow lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_INDEX_OPT) '$(TORCH_SPEC)'
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sim2real demo --out $(DEMO_OUT)

test: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest -q -n 2 --durations=15

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow -n 2

lint: $(STAMP)
	$(BIN)/ruff check models planner case_studies tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .cache $(DEMO_OUT)
