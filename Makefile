# `make run` and `make test` set everything up on a fresh machine: a virtualenv
# in .venv holding exactly the versions pinned in uv.lock, then the database,
# the server, the checks and the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup runtime run test lint format unit integration import bench screenshot lock clean

# `runtime`: what serving needs, nothing else (`make run`); `setup`: that and the
# development group (tests, linters, benchmarks), for every other target.
runtime: $(VENV)/.installed-runtime
setup: $(VENV)/.installed-dev

$(VENV)/.installed-%: pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --inexact --quiet $(if $(filter runtime,$*),--no-dev)
	touch $@

run: runtime
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

# Coverage of the package: the unit tests start it afresh, the integration tests add to it and print it.
unit: setup
	$(BIN)/python -m pytest tests/unit --cov --cov-report=

integration: setup
	$(BIN)/python -m pytest tests/integration --cov --cov-append --cov-report=term:skip-covered

import: setup
	$(BIN)/consumption import

# wrk and hyperfine (apt-get install wrk hyperfine): docs/performance.md. BENCH_ARGS=--quick to try it;
# BENCH_ARGS="--compare COMMIT" puts that commit's service beside this one, in the same run.
bench: setup
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# The README's picture of RTE's 2020 (data/history), rewritten only when the page draws it
# otherwise; fails, rather than skip, without Chromium.
screenshot: setup
	command -v chromedriver >/dev/null && { command -v chromium || command -v chromium-browser; } >/dev/null \
		|| { echo "make screenshot needs Chromium: apt-get install chromium chromium-driver" >&2; exit 1; }
	UPDATE_SCREENSHOT=1 $(BIN)/python -m pytest -q tests/integration/test_page.py -k readmes_picture

# After editing pyproject.toml's dependencies, or to take newer versions: `make lock`.
lock: setup
	$(BIN)/uv lock --upgrade

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
