# The README's two commands: `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

run: $(BIN)/.installed  ## set up, then train and evaluate an LSTM on the bundled airline data
	$(BIN)/rnnkit forecast --out runs/airline

test: $(BIN)/.installed  ## set up, then run ruff and the test suite
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/airline.py

clean:
	rm -rf $(VENV) runs .pytest_cache
