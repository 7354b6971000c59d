"""Every failure answered as JSON with its status and the security headers, the app in process."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx

from consumption.config import Settings
from consumption.storage.database import connect
from consumption.web.app import create_app


def get(settings: Settings, path: str) -> httpx.Response:
    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(create_app(settings), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(request())


def test_an_unexpected_error_is_a_500_with_the_security_headers(tmp_path):
    path = tmp_path / "consumption.sqlite3"
    connect(path).close()
    with sqlite3.connect(path) as connection:  # a nature no code knows, past the table's CHECK
        connection.execute("PRAGMA ignore_check_constraints = ON")
        connection.execute("INSERT INTO consumption VALUES (1735686000, 60000, 9)")
    response = get(Settings(database_path=path), "/consumption/latest")
    assert response.status_code == 500
    assert response.json() == {"error": "internal error; it has been logged"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_bad_parameter_is_a_400_and_a_missing_database_one_503_text_on_every_path(tmp_path):
    settings = Settings(database_path=tmp_path / "absent.sqlite3")
    bad = get(settings, "/consumption/latest?tz=Mars/Olympus")
    assert bad.status_code == 400 and "parameter 'tz'" in bad.json()["error"]
    answers = [get(settings, path) for path in ("/consumption?start=2025-01-01&end=2025-01-01", "/health", "/ready")]
    assert {answer.status_code for answer in answers} == {503}
    assert len({answer.text for answer in answers}) == 1
    assert answers[0].json()["error"].startswith("no database 'absent.sqlite3' yet")
