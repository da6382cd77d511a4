# The two commands of the README. Each bootstraps .venv on first use (torch==2.13.0 CPU first, pinned
# by constraints.txt so that no dependency can pull a newer, CUDA-sized torch), then does its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-fast test-slow figures lint format bench clean-venv

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m "not slow"
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m slow || [ $$? -eq 5 ]  # 5: no slow test collected

test-fast: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m "not slow"

figures: $(STAMP)
	MPLBACKEND=Agg $(BIN)/tropical-lottery figures --out figures

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_from_torch.py

clean-venv:
	rm -rf $(VENV)
