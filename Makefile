# make run   — set up (first time) and run the main job: the example workflow on a virtual clock
# make test  — set up (first time) and run the whole test suite (unit + AWS-recorded conformance)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/asl run statemachine/model_promotion.asl.json --input @events/model_promotion_input.json \
		--virtual-clock \
		--resource evaluate-model=functions/evaluate_model/app.py:lambda_handler \
		--resource notify=functions/notify/app.py:lambda_handler

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
