"""The examples a newcomer runs first answer on an offline first start, which stores only
the embedded history (2012-2021): scripts/average_consumption.sql and the request /docs
sends by default, both on RTE's real 2019."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import statistics
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.api_fixtures import api_client
from tests.history import EXERCISE_HALF_HOURS, EXERCISE_MEAN_MW, ROOT, write_history_database

SCRIPT = ROOT / "scripts" / "average_consumption.sql"
DOCS_JS = ROOT / "consumption" / "web" / "docs.js"
PARIS_WINTER = dt.timezone(dt.timedelta(hours=1))


@pytest.fixture(scope="module")
def history_2019(tmp_path_factory) -> Path:
    return write_history_database(tmp_path_factory.mktemp("history") / "consumption.sqlite3", 2019)


def test_the_sql_script_prints_the_exercises_answer_for_2019(history_2019):
    start = int(dt.datetime(2019, 1, 1, 6, tzinfo=PARIS_WINTER).timestamp())
    end = int(dt.datetime(2019, 1, 3, 17, tzinfo=PARIS_WINTER).timestamp())
    with sqlite3.connect(history_2019) as connection:
        printed = connection.execute(SCRIPT.read_text()).fetchall()
        inside = [
            mw
            for (mw,) in connection.execute(
                "SELECT consumption_mw FROM consumption WHERE timestamp BETWEEN ? AND ?", (start, end)
            )
        ]
    assert len(inside) == EXERCISE_HALF_HOURS
    assert printed == [(round(statistics.fmean(inside), 1),)] == [(EXERCISE_MEAN_MW,)]
    if shutil.which("sqlite3"):  # as the README runs it
        with SCRIPT.open() as script:
            shell = subprocess.run(["sqlite3", str(history_2019)], stdin=script, capture_output=True, text=True)
        assert (shell.returncode, shell.stdout, shell.stderr) == (0, f"{EXERCISE_MEAN_MW}\n", "")


def test_the_sql_script_says_when_its_range_holds_nothing(history_2019):
    """Its comment says to change the bounds for another range: one not stored says so."""
    moved = SCRIPT.read_text().replace("'2019-01-0", "'2025-01-0")
    with sqlite3.connect(history_2019) as connection:
        assert connection.execute(moved).fetchall() == [("no half hour stored in this range",)]


def first_examples(operation: dict[str, Any]) -> dict[str, str]:
    """The query /docs fills in and sends unchanged: each parameter's first example."""
    query = {}
    for parameter in operation.get("parameters", []):
        examples = parameter.get("examples")
        value = next(iter(examples.values()))["value"] if examples else parameter.get("example")
        if parameter["in"] == "query" and value is not None:
            query[parameter["name"]] = value
    return query


def test_the_requests_docs_sends_by_default_return_2019s_data(history_2019):
    # What docs.js does with the document's examples (tests/integration/test_docs_page.py
    # runs it in Chromium): the first one fills the field.
    assert "Object.values(parameter.examples)[0].value : parameter.example" in DOCS_JS.read_text()
    with api_client(history_2019) as client:
        document = client.get("/openapi.json").json()
        operations = {op["operationId"]: (path, op) for path, item in document["paths"].items() for op in item.values()}
        path, operation = operations["getConsumption"]
        consumption = client.get(path, params=first_examples(operation))
        for other_path, other in operations.values():
            if first_examples(other):
                assert client.get(other_path, params=first_examples(other)).status_code == 200, other_path
    assert consumption.status_code == 200
    body = consumption.json()
    values = [point["consumption_w"] / 1e6 for point in body["data"]]
    assert body["count"] == len(values) == EXERCISE_HALF_HOURS
    assert round(statistics.fmean(values), 1) == EXERCISE_MEAN_MW
