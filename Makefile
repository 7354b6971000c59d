# `make run` and `make test` set everything up on a fresh machine: a virtualenv
# in .venv holding exactly the versions pinned in uv.lock, then the database,
# the server, the checks and the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup run test lint format unit integration import bench screenshot lock clean

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --inexact --quiet
	touch $@

run: setup
	$(BIN)/consumption serve

# ruff and mypy first: CI enforces them through this target.
test: lint unit integration

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: setup
	$(BIN)/python -m pytest tests/unit

integration: setup
	$(BIN)/python -m pytest tests/integration

import: setup
	$(BIN)/consumption import

# wrk and hyperfine (apt-get install wrk hyperfine): docs/performance.md. BENCH_ARGS=--quick to try it;
# BENCH_ARGS="--compare COMMIT" puts that commit's service beside this one, in the same run.
bench: setup
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# The picture of RTE's 2020 (data/history); fails, rather than skip, without Chromium.
screenshot: setup
	touch $(VENV)/.screenshot-started
	UPDATE_SCREENSHOT=1 $(BIN)/python -m pytest -q -rs tests/integration/test_page.py -k real_year
	test docs/page.png -nt $(VENV)/.screenshot-started || { echo "docs/page.png not written: see the skip above" >&2; exit 1; }

# After editing pyproject.toml's dependencies, or to take newer versions: `make lock`.
lock: setup
	$(BIN)/uv lock --upgrade

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
