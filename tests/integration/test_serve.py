"""`consumption serve` as a user runs it: a process that builds the database, then serves."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
import subprocess
import time
import zipfile
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from consumption.cli import main
from tests.eco2mix_files import days, eco2mix_lines, expected_points, write_eco2mix
from tests.server_process import SERVE, Server, serve_environment, serving

ROOT = Path(__file__).resolve().parents[2]
JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))
NO_HISTORY = {"HISTORY_DIR": ""}  # these tests are about DATA_DIR and RTE: no embedded history


def serve(tmp_path: Path, data_dir: Path, **settings: str) -> AbstractContextManager[Server]:
    """`consumption serve` offline on `data_dir`, refreshing once at start (the default), with the
    embedded history unless `settings` say otherwise, in a database folder it creates."""
    database = tmp_path / "db" / "consumption.sqlite3"
    return serving(database, {"DATA_DIR": str(data_dir), "REFRESH_INTERVAL": "once", **settings}, cwd=tmp_path)


def health_after_refresh(url: str) -> dict:
    """/health once the background refresh that follows a first start has recorded its outcome."""
    deadline = time.monotonic() + 15
    while (health := httpx.get(f"{url}/health").json())["refresh"] is None:
        assert time.monotonic() < deadline, "no refresh outcome after 15 s"
        time.sleep(0.1)
    return health


def serve_january(tmp_path: Path) -> tuple[dict, dict, str]:
    """Serve tmp_path/rte without the history; /health, 2025-01-01..03, and the log."""
    with serve(tmp_path, tmp_path / "rte", **NO_HISTORY) as server:
        health = httpx.get(f"{server.url}/health").json()
        body = httpx.get(f"{server.url}/consumption", params={"start": "2025-01-01", "end": "2025-01-03"}).json()
    return health, body, server.output


def test_serve_builds_the_database_from_data_dir_then_reuses_it(tmp_path):
    write_eco2mix(tmp_path / "rte" / "tr.xls", eco2mix_lines(JANUARY))
    health, body, output = serve_january(tmp_path)
    assert health["half_hours"] == 144
    expected = expected_points(JANUARY)
    assert [p["consumption_w"] for p in body["data"]] == [expected[t] * 10**6 for t in sorted(expected)]
    assert "and 1 éCO2mix files in" in output
    assert health["startup"] == {"built": True, "files_imported": 1, "skipped": []}

    with serve(tmp_path, tmp_path / "rte", **NO_HISTORY) as server:
        health = httpx.get(f"{server.url}/health").json()
    assert "reusing the database" in server.output
    assert "building" not in server.output
    assert health["startup"]["built"] is False


def test_serve_offline_without_any_data_starts_empty_and_says_why(tmp_path):
    (tmp_path / "empty").mkdir()
    with serve(tmp_path, tmp_path / "empty", **NO_HISTORY) as server:
        health = health_after_refresh(server.url)
    assert (health["status"], health["half_hours"]) == ("empty", 0)
    assert health["refresh"]["ok"] is False
    assert "cannot reach RTE" in health["refresh"]["summary"]
    assert "cannot reach RTE" in server.output


def test_offline_first_start_serves_the_embedded_history(tmp_path):
    """Issue 15's figure: offline, from the history in data/history (the default HISTORY_DIR),
    the API and scripts/average_consumption.sql give RTE's mean for 2019-01-01 06:00 to
    2019-01-03 17:00."""
    (tmp_path / "empty").mkdir()
    started = time.monotonic()
    with serve(tmp_path, tmp_path / "empty") as server:
        params = {"start": "2019-01-01T06:00", "end": "2019-01-03T17:00"}
        body = httpx.get(f"{server.url}/consumption", params=params).json()
        answered = time.monotonic() - started
        health = health_after_refresh(server.url)
    output = server.output
    values = [p["consumption_w"] / 1e6 for p in body["data"]]
    assert body["count"] == len(values) == 119
    assert round(sum(values) / len(values), 1) == 65_329.3
    assert {p["nature"] for p in body["data"]} == {"definitive"}
    assert health["half_hours"] == 175_324
    assert (health["first"], health["last"]) == ("2012-01-01T00:00:00+01:00", "2021-12-31T23:30:00+01:00")
    assert health["years"] == {"embedded": list(range(2012, 2022)), "rte": [], "files": []}
    assert health["startup"] == {"built": True, "files_imported": 10, "skipped": []}
    assert health["refresh"]["ok"] is False  # RTE is asked afterwards, in the background
    assert output.index("built the database") < output.index("Application startup complete")
    print(f"offline first start: first answer after {answered:.1f} s")

    sql = (ROOT / "scripts" / "average_consumption.sql").read_text()  # as shipped: 2019
    with sqlite3.connect(tmp_path / "db" / "consumption.sqlite3") as connection:
        assert connection.execute(sql).fetchone() == (65_329.3,)


def test_a_bad_file_at_start_up_is_skipped_and_named_in_health(tmp_path):
    """Issue 12 §3: one bad file in DATA_DIR no longer leaves the service without the others."""
    write_eco2mix(tmp_path / "rte" / "a_good.xls", eco2mix_lines(JANUARY))
    bad_line = eco2mix_lines(days(dt.date(2025, 2, 1), dt.date(2025, 2, 1)), lambda day, minutes: "12x")
    write_eco2mix(tmp_path / "rte" / "b_malformed.xls", bad_line)
    (tmp_path / "rte" / "c_not_a_zip.zip").write_bytes(b"<html>Maintenance</html>")
    health, body, output = serve_january(tmp_path)
    assert body["count"] == 144
    assert health["half_hours"] == 144
    skipped = {Path(s["file"]).name: s["reason"] for s in health["startup"]["skipped"]}
    assert set(skipped) == {"b_malformed.xls", "c_not_a_zip.zip"}
    assert "b_malformed.xls, line 2:" in skipped["b_malformed.xls"] and "12x" in skipped["b_malformed.xls"]
    assert "not a readable zip archive" in skipped["c_not_a_zip.zip"]
    assert health["startup"]["files_imported"] == 1
    assert "skipped" in output


def test_logs_are_json_lines_when_asked(tmp_path):
    write_eco2mix(tmp_path / "rte" / "tr.xls", eco2mix_lines(JANUARY))
    with serve(tmp_path, tmp_path / "rte", LOG_FORMAT="json", ACCESS_LOG="true", **NO_HISTORY) as server:
        httpx.get(f"{server.url}/consumption", params={"start": "2025-01-01", "end": "2025-01-01"})
    lines = [json.loads(line) for line in server.output.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["logger"] == "consumption.services.startup" and "built" in line["message"] for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    (query,) = [line for line in access if line["path"].startswith("/consumption?")]
    assert (query["method"], query["status"]) == ("GET", 200)


def test_serve_answers_the_sample_values_in_watts(tmp_path, samples):
    with serve(tmp_path, samples / "national", **NO_HISTORY) as server:
        params = {"start": "2026-02-01T06:00", "end": "2026-02-03T17:00"}
        body = httpx.get(f"{server.url}/consumption", params=params).json()
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


def listening_socket() -> socket.socket:
    """A socket on 127.0.0.1 that listens and never accepts: connections to it queue up."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    return listener


def connection_arrives(listener: socket.socket, within: float) -> bool:
    deadline = time.monotonic() + within
    while True:
        try:
            listener.accept()[0].close()
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def test_refresh_off_asks_rte_nothing_and_once_asks_at_start(tmp_path):
    for value, asked in [("off", False), ("0", False), ("once", True)]:
        with listening_socket() as rte:
            rte_url = f"http://127.0.0.1:{rte.getsockname()[1]}"
            data = tmp_path / value / "data"
            data.mkdir(parents=True)
            with serve(tmp_path / value, data, REFRESH_INTERVAL=value, RTE_BASE_URL=rte_url, **NO_HISTORY) as server:
                assert connection_arrives(rte, within=3 if asked else 1.5) is asked, value
                if not asked:
                    assert httpx.get(f"{server.url}/health").json()["refresh"] is None


def test_a_busy_port_stops_serve_at_once_naming_the_port_and_its_setting(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as busy, listening_socket() as rte:
        port = busy.getsockname()[1]
        settings = {"RTE_BASE_URL": f"http://127.0.0.1:{rte.getsockname()[1]}", "DATA_DIR": str(tmp_path / "data")}
        env = serve_environment(tmp_path / "db" / "consumption.sqlite3", settings)
        result = subprocess.run(
            [*SERVE, "--port", str(port)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode != 0
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert f"127.0.0.1:{port}" in line and "PORT" in line and "--port" in line
        assert not (tmp_path / "db").exists()  # no database built
        assert not connection_arrives(rte, within=0)  # no refresh


def test_a_port_out_of_range_is_one_line_not_a_traceback(capsys):
    assert main(["serve", "--port", "70000"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == "error: --port 70000 is not a port; expected 0 to 65535"
