# s3sim — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export OPENBLAS_NUM_THREADS ?= 1
export MPLBACKEND ?= Agg

.PHONY: help venv install install-test run test test-all lint format bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "s3sim needs Python >= 3.12: install it (pyenv install 3.12) or run make PYTHON=python3.12")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml scripts/install_dashboard_assets.py
	$(BIN)/python -m pip install -q -e '.[test,dashboard,cluster]'
	$(BIN)/python scripts/install_dashboard_assets.py
	@touch $(VENV)/.installed $@

venv: $(BIN)/python  ## create the virtual environment

install: $(VENV)/.installed  ## install s3sim into .venv

install-test: $(VENV)/.installed-test  ## install s3sim with test, dashboard and cluster (Ray, submitit) extras

run: install  ## run the main study (compare_policies) on the embedded Atlas product space
	$(BIN)/s3sim -m experiment=compare_policies

test: install-test  ## run the default test suite (fast + browser), under 10 minutes
	$(BIN)/ruff check s3sim tests benchmarks scripts
	$(BIN)/python -m pytest

test-all: install-test  ## run every test, slow ones included
	$(BIN)/python -m pytest -m ''

lint:  ## ruff check
	$(BIN)/ruff check s3sim tests benchmarks scripts

format:  ## ruff format + fix imports
	$(BIN)/ruff check --fix s3sim tests benchmarks
	$(BIN)/ruff format s3sim tests benchmarks

bench: install  ## run the benchmarks and print their figures
	$(BIN)/python benchmarks/bench_model.py

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
