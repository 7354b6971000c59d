"""The contract as real clients try it: schemathesis with every check against the OpenAPI
document, and the README's pandas recipe, run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from consumption.config import Settings
from consumption.web.app import create_app
from consumption.web.openapi import openapi_document
from consumption.web.params import QUERY_PARAMETERS
from tests.api_fixtures import served_client
from tests.helpers import running_server

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_nothing_with_every_check(database, tmp_path):
    """The server and the document agree: every schema-valid request is answered (the two rules
    JSON Schema cannot say are in schemathesis_hooks.py), every other refused with a 400."""
    with running_server(create_app(Settings(database_path=database))) as url:
        result = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                "40",
                "--seed",
                "14",
                "--workers",
                "2",
                "--request-timeout",
                "10",
                "--report-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "tests.integration.schemathesis_hooks",
                "PYTHONPATH": str(ROOT),
                "NO_COLOR": "1",
            },
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout


def test_the_document_names_every_parameter_the_server_reads():
    document = openapi_document()
    parameters = {p["name"] for p in document["paths"]["/consumption"]["get"]["parameters"]}
    assert parameters == {*QUERY_PARAMETERS, "If-None-Match"}
    assert {p["name"] for p in document["paths"]["/consumption/latest"]["get"]["parameters"]} == {"tz"}
    routes = {route.path for route in create_app().routes}  # type: ignore[attr-defined]
    page_files = {"/page.js", "/page.css", "/docs.js", "/docs.css"}  # the pages' scripts and styles
    assert set(document["paths"]) == routes - page_files


def readme_recipe() -> str:
    """The README's pandas recipe: the python block of the section that names pandas."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### With pandas") :]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, "the README's pandas section has no python block"
    return block.group(1)


def test_the_readme_pandas_recipe_reads_mixed_offsets(database):
    with served_client(database) as client:  # pandas reads it over HTTP
        base = str(client.base_url).rstrip("/")
        namespace: dict = {}
        exec(readme_recipe().replace("http://127.0.0.1:8000", base), namespace)
    half_hours, days, utc = namespace["half_hours"], namespace["days"], namespace["utc"]
    # 2025 in the fixture: January (+01:00), the spring-forward day, the fall-back day.
    assert isinstance(half_hours["timestamp"].dtype, pd.DatetimeTZDtype)
    assert len(half_hours) == 3 * 48 + 46 + 48
    assert half_hours["timestamp"].is_monotonic_increasing
    assert half_hours["timestamp"].iloc[0].isoformat() == "2025-01-01T00:00:00+01:00"
    assert isinstance(days["timestamp"].dtype, pd.DatetimeTZDtype)
    assert list(days["count"]) == [48, 48, 48, 46, 48]
    assert isinstance(utc["timestamp"].dtype, pd.DatetimeTZDtype) and str(utc["timestamp"].dt.tz) == "UTC"
    # With tz=UTC the dates are UTC days: 2025-01-01 starts an hour later than in Paris.
    assert list(utc["timestamp"]) == list(half_hours["timestamp"].iloc[2:])


@pytest.mark.parametrize("name", ["/consumption", "/consumption/latest", "/docs", "/openapi.json"])
def test_the_document_covers_the_new_routes(name):
    assert name in openapi_document()["paths"]
