"""`consumption serve` as a user runs it: a process that builds the database, then serves."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

from tests.eco2mix_files import days, eco2mix_lines, expected_points, write_eco2mix

JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp_path: Path, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "RTE_BASE_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there: offline
        "DATA_DIR": str(data_dir),
        "DATABASE_PATH": str(tmp_path / "db" / "consumption.sqlite3"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "consumption.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stdout.read()}")
        try:
            httpx.get(f"{url}/health", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not answer within 30 s")


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=10)
    return output


def test_serve_builds_the_database_from_data_dir_then_reuses_it(tmp_path):
    write_eco2mix(tmp_path / "rte" / "tr.xls", eco2mix_lines(JANUARY))
    process, url = serve(tmp_path, tmp_path / "rte")
    try:
        health = httpx.get(f"{url}/health").json()
        body = httpx.get(f"{url}/consumption", params={"start": "2025-01-01", "end": "2025-01-03"}).json()
    finally:
        output = stop(process)
    assert health["half_hours"] == 144
    expected = expected_points(JANUARY)
    assert [p["consumption_w"] for p in body["data"]] == [expected[t] * 10**6 for t in sorted(expected)]
    assert "importing the 1 éCO2mix files in" in output

    process, url = serve(tmp_path, tmp_path / "rte")
    output = stop(process)
    assert "reusing the database" in output
    assert "importing" not in output


def test_serve_offline_without_data_starts_empty_and_says_why(tmp_path):
    (tmp_path / "empty").mkdir()
    process, url = serve(tmp_path, tmp_path / "empty")
    try:
        response = httpx.get(f"{url}/health")
    finally:
        output = stop(process)
    assert response.status_code == 200
    health = response.json()
    assert (health["status"], health["half_hours"]) == ("empty", 0)
    assert health["refresh"]["ok"] is False
    assert "cannot reach RTE" in health["refresh"]["summary"]
    assert "fetching RTE's archives" in output
    assert "cannot reach RTE" in output


def test_serve_answers_the_sample_values_in_watts(tmp_path, samples):
    process, url = serve(tmp_path, samples / "national")
    try:
        body = httpx.get(f"{url}/consumption", params={"start": "2026-02-01T06:00", "end": "2026-02-03T17:00"}).json()
    finally:
        stop(process)
    archive = samples / "national" / "2026-02-01_2026-03-15_eCO2mix_RTE_En-cours-TR.zip"
    with zipfile.ZipFile(archive) as z:
        lines = z.read(z.namelist()[0]).decode("cp1252").splitlines()
    in_file = {}
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) > 4 and cells[3][3:] in ("00", "30") and cells[4]:
            in_file[f"{cells[2]}T{cells[3]}:00+01:00"] = int(cells[4]) * 1_000_000
    assert body["count"] == 36 + 48 + 35
    for point in body["data"]:
        assert point["consumption_w"] == in_file[point["timestamp"]]
