"""The contract as real clients try it: schemathesis with every check against the OpenAPI
document (the README's pandas recipe is run by test_readme.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from consumption.config import Settings
from consumption.web.app import create_app
from consumption.web.openapi import openapi_document
from consumption.web.params import QUERY_PARAMETERS
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
