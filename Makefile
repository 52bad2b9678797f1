# The README's two commands: `make run` and `make test`. Each creates .venv on first use;
# `run` installs what the main job needs, `test` adds the baselines, benchmarks' data and tools.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(VENV)/.installed-run $@

run: $(VENV)/.installed-run  ## set up, then train and evaluate an LSTM on the bundled airline data
	$(BIN)/rnnkit forecast --out runs/airline

test: $(VENV)/.installed-dev  ## set up, then run ruff and the test suite
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/airline.py

clean:
	rm -rf $(VENV) runs .pytest_cache
