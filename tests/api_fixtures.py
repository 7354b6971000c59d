"""The API's fixture database, built by the real importer from fixture files, and the clients
and helpers the HTTP test modules share (its `database` fixture is in tests/integration/conftest.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from consumption.config import Settings
from consumption.services.importing import import_paths
from consumption.storage.database import connect
from consumption.storage.repository import SqliteStore
from consumption.web.app import create_app
from consumption.web.openapi import openapi_document
from tests.eco2mix_files import days, default_value, eco2mix_lines, write_eco2mix
from tests.helpers import running_server

JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))
SPRING = [dt.date(2025, 3, 30)]
AUTUMN = [dt.date(2025, 10, 26)]
SUMMER = days(dt.date(2024, 6, 1), dt.date(2024, 8, 31))  # more rows than one fetch

# A client of the app: in this process (TestClient, on httpx2) or over a socket (httpx).
Client = httpx.Client | TestClient


def consolidated_value(day: dt.date, minutes: int) -> int:
    return default_value(day, minutes) + 7


def write_api_database(folder: Path) -> Path:
    """Real-time January, spring and autumn 2025 and summer 2024; 3 January consolidated."""
    path = folder / "consumption.sqlite3"
    connection = connect(path)
    files = [
        write_eco2mix(folder / "tr.xls", eco2mix_lines(JANUARY + SPRING + AUTUMN + SUMMER)),
        write_eco2mix(
            folder / "cons.xls",
            eco2mix_lines([dt.date(2025, 1, 3)], consolidated_value, nature="consolidated"),
        ),
    ]
    import_paths(files, SqliteStore(connection))
    connection.close()
    return path


@contextmanager
def api_client(database_path: Path, **settings: Any) -> Iterator[TestClient]:
    """An HTTP client of the app in this process (Starlette's TestClient, which runs the
    lifespan): for what the app answers. `settings` are those of `Settings` to change."""
    app = create_app(Settings(database_path=database_path, **settings))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@contextmanager
def served_client(database_path: Path) -> Iterator[httpx.Client]:
    """An HTTP client of the app served by uvicorn on 127.0.0.1: where the socket is the point
    (what uvicorn adds, a browser or another program as the client)."""
    with (
        running_server(create_app(Settings(database_path=database_path))) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client


def schema(name: str) -> dict:
    """A JSON schema for one of the document's components, resolvable on its own."""
    return {"$ref": f"#/components/schemas/{name}", **openapi_document()}
