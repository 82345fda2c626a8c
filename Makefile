# make run   — set up (first time) and run the main job: the MLOps scenarios (drift -> retraining -> canary,
#              and a rollback) on the local stack under a virtual clock
# make test  — set up (first time) and run the whole test suite (unit + AWS-recorded conformance)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the AWS CLI (v1, from PyPI) the server tests drive asl serve with; a venv of its own, since awscli pins a botocore
AWSCLI := $(VENV)/awscli/bin/aws

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml setup.py asl_engine/eventbridge/patterns/_walk.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/asl scenario --template template.yaml --function-logs .asl/function-logs

$(AWSCLI): | $(STAMP)
	$(PYTHON) -m venv $(VENV)/awscli
	$(VENV)/awscli/bin/python -m pip install --quiet 'awscli>=1.34'

test: $(STAMP) $(AWSCLI)
	ASL_AWS_CLI=$(AWSCLI) $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
