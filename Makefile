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

.PHONY: install demo test test-slow test-floor lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_INDEX_OPT) '$(TORCH_SPEC)'
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sim2real demo --out $(DEMO_OUT)

# arviz 0.23 writes a once-a-day stamp file on its first import of the day, and two
# processes importing it at once (the two pytest workers) can race on that file
# (FileNotFoundError on daily_warning.tmp): import it once, alone, first.
ARVIZ_STAMP := $(BIN)/python -W ignore -c "import arviz" 2>/dev/null || true

test: $(STAMP)
	bash scripts/ensure_chromium.sh
	@$(ARVIZ_STAMP)
	$(BIN)/python -m pytest -q -n 2 --durations=15

test-slow: $(STAMP)
	@$(ARVIZ_STAMP)
	$(BIN)/python -m pytest -q -m slow -n 2

# The fast tests on the declared MINIMUM versions (every `>=X` of pyproject.toml pinned to
# `==X` by scripts/floor_constraints.py), in a separate venv; torch as in `make install`.
# Not part of `make test` (it downloads and installs old releases).
FLOOR_VENV ?= .venv-floor
FLOOR_BIN  := $(FLOOR_VENV)/bin

test-floor:
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_BIN)/python -m pip install --quiet --upgrade pip packaging
	$(FLOOR_BIN)/python scripts/floor_constraints.py --exclude torch > $(FLOOR_VENV)/floor.txt
	$(FLOOR_BIN)/python -m pip install --quiet $(TORCH_INDEX_OPT) '$(TORCH_SPEC)'
	$(FLOOR_BIN)/python -m pip install --quiet -c $(FLOOR_VENV)/floor.txt -e '.[dev]'
	$(FLOOR_BIN)/python -m pip list --format=freeze > $(FLOOR_VENV)/installed.txt
	PYTENSOR_FLAGS=base_compiledir=$(CURDIR)/.cache/pytensor-floor \
	  $(FLOOR_BIN)/python -m pytest -q -n 2 -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check models planner case_studies tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(FLOOR_VENV) .cache $(DEMO_OUT)
