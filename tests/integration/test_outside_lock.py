"""Another process holding SQLite's write lock (a `consumption import`, a backup) while the
service's refresh wants to write: the refresh waits for it off the event loop, and every
request meanwhile is answered at once."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from consumption.storage.database import read_only_uri
from consumption.storage.repository import SqliteStore
from tests.eco2mix_files import days, eco2mix_lines
from tests.rte_archives import CONSOLIDATED, TR, rte_zip
from tests.rte_server import FakeRte
from tests.server_process import serving, write_history

HELD_SECONDS = 10.0  # as long as a `consumption import` of years, or a backup, may hold it
ONE_DAY = {"start": "2025-06-01", "end": "2025-06-01"}


HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


@contextmanager
def write_lock_held(database: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """SQLite's write lock, held for `seconds` by another process; yields once it is held."""
    command = [sys.executable, "-c", HOLD_LOCK, str(database), str(seconds)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
        assert holder.wait(timeout=seconds + 10) == 0


def last_refresh(client: httpx.Client) -> float:
    """When the last refresh finished (its record's time), or 0 before the first."""
    health = client.get("/health")
    assert health.status_code == 200, health.text
    refresh = health.json()["refresh"]
    return dt.datetime.fromisoformat(refresh["time"]).timestamp() if refresh else 0.0


def wait_for_refresh_after(client: httpx.Client, instant: float, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while last_refresh(client) < int(instant):
        assert time.monotonic() < deadline, f"no refresh recorded within {timeout:g} s"
        time.sleep(0.1)


def test_a_write_lock_held_outside_delays_no_request(tmp_path: Path, rte: FakeRte) -> None:
    database = tmp_path / "consumption.sqlite3"
    write_history(database, 2024, 2025)
    december = days(dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    rte.files[TR] = rte_zip(eco2mix_lines(december))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(december[:1], nature="consolidated"))
    env = {"RTE_BASE_URL": rte.base_url, "REFRESH_INTERVAL": "1s", "HTTP_TIMEOUT": "2"}
    with serving(database, env=env) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        wait_for_refresh_after(client, time.time() - 60)  # the first refresh, which imports
        latencies: list[float] = []
        asked_before = len(rte.requests)
        with write_lock_held(database, HELD_SECONDS) as holder:
            while holder.poll() is None:
                started = time.perf_counter()
                response = client.get("/consumption", params=ONE_DAY)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200 and response.json()["count"] == 48
                time.sleep(0.02)
            asked_during = len(rte.requests) - asked_before
        released = time.time()
        wait_for_refresh_after(client, released + 1)  # the refresh waited for the lock, then went on
    assert asked_during > 0, "no refresh ran while the lock was held"
    assert len(latencies) > 50
    assert max(latencies) < 0.5, f"a one-day request took {max(latencies):.2f} s under the outside lock"


def test_opening_the_store_leaves_the_readers_wal_in_place(tmp_path: Path) -> None:
    """What each refresh does in the server process (open the store beside the readers' open
    connections) must not let another process, closing its own connection, delete the WAL
    and its index from under those readers."""
    database = tmp_path / "consumption.sqlite3"
    write_history(database, 2025, 2025)
    reader = sqlite3.connect(read_only_uri(database), uri=True, isolation_level=None)
    try:
        assert reader.execute("SELECT count(*) FROM consumption").fetchone()[0] > 0
        SqliteStore.open(database).close()
        with write_lock_held(database, 0):
            pass
        assert database.with_name(database.name + "-shm").exists()
        assert database.with_name(database.name + "-wal").exists()
    finally:
        reader.close()
