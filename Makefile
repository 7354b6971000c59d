# `make run` and `make test` set everything up on a fresh machine: a virtualenv
# in .venv with the project installed, then the database, the server, the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test import bench screenshot clean

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: setup
	$(BIN)/consumption serve

import: setup
	$(BIN)/consumption import

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python scripts/bench.py

screenshot: setup
	UPDATE_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/test_page.py -k last_day

clean:
	rm -rf $(VENV) .pytest_cache
