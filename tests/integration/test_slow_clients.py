"""Clients that read slowly, stop reading or go away while the whole history streams.
The server measured from outside, as a process of its own."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from consumption.domain.model import ConsumptionPoint, Nature
from consumption.storage.repository import SqliteStore
from tests.server_process import HISTORY, ROOT, Server, request_line, serving, write_history

STALLED_BUFFER = 4096  # the client's receive buffer: a client that stops reading stalls soon

READERS = ROOT / "scripts" / "whole_history_readers.py"  # clients reading as fast as they can


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "consumption.sqlite3"
    write_history(path)
    return path


def one_day(server: Server) -> None:
    """A one-day request is answered; the timeout catches a hang, not a slow machine
    (`make bench` measures the seconds)."""
    response = httpx.get(f"{server.url}/consumption", params={"start": "2024-06-01", "end": "2024-06-01"}, timeout=60)
    assert response.status_code == 200
    assert response.json()["count"] == 48


def stalled_clients(server: Server, count: int) -> list:
    """Clients that ask for the whole history and then read nothing."""
    clients = []
    for _ in range(count):
        client = server.connect(receive_buffer=STALLED_BUFFER)
        client.sendall(request_line(*HISTORY))
        clients.append(client)
    return clients


def test_a_one_day_request_is_answered_while_20_whole_history_streams_are_read(history):
    """It once waited 6.2 s: each stream rendered its 22 MB without giving the loop a turn."""
    with serving(history) as server:
        one_day(server)  # the first request builds the offset tables
        command = [sys.executable, str(READERS), str(server.port), "20", "/consumption?start=2012-01-01&end=2025-12-31"]
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as readers:  # closes the pipe
            try:
                assert readers.stdout is not None and readers.stdout.readline() == "sent\n"
                time.sleep(0.2)
                one_day(server)
                still_reading = readers.poll() is None
            finally:
                readers.kill()
    assert still_reading, "the 20 streams ended before the one-day request was answered"


def test_the_server_stops_working_for_clients_that_went_away(history):
    """The streams of clients that went away end there: the renders once went on for nobody."""
    with serving(history, env={"LOG_LEVEL": "INFO"}) as server:
        clients = stalled_clients(server, 20)
        server.wait_until_idle()  # every stream is held back by its client
        for client in clients:
            client.close()
        server.wait_until_idle()
        one_day(server)
    stopped = [int(sent) for sent in re.findall(r"stream of /consumption stopped after (\d+) bytes", server.output)]
    assert len(stopped) == 20  # a stream rendered to its end for nobody logs nothing
    whole = 22 * 10**6  # the whole history's JSON
    assert max(stopped) < whole / 2  # what the sockets' buffers took (2.9 MB here), not the rest of the history


def test_memory_returns_after_100_abandoned_whole_history_requests(history):
    with serving(history) as server:
        one_day(server)
        idle = server.rss_mb()
        clients = stalled_clients(server, 100)
        server.wait_until_idle()
        held = server.rss_mb()
        for client in clients:
            client.close()
        server.wait_until_idle()
        after = server.rss_mb()
        one_day(server)
    print(f"RSS idle {idle:.0f} MB, with 100 stalled streams {held:.0f} MB, after they went {after:.0f} MB")
    assert after < idle + 50  # was 34 -> 351 MB


def test_a_stalled_stream_holds_no_snapshot_and_is_cut_if_the_data_changes(history, tmp_path):
    database = tmp_path / "consumption.sqlite3"
    shutil.copy(history, database)
    with serving(database) as server:
        clients = stalled_clients(server, 5)
        server.wait_until_idle()
        store = SqliteStore.open(database)
        try:
            with store.transaction():  # an import that changes a value while the streams wait
                store.points.add([ConsumptionPoint(1717192800, 12_345, Nature.DEFINITIVE)])
            store.connection.execute("PRAGMA busy_timeout = 1000")
            busy, _, _ = store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            store.close()
        wal_bytes = database.with_name(database.name + "-wal").stat().st_size
        bodies = []
        for client in clients:
            client.settimeout(30)
            received = bytearray()
            while data := client.recv(1 << 16):
                received += data
            client.close()
            bodies.append(bytes(received))
    assert busy == 0 and wal_bytes == 0  # the writer checkpointed the whole WAL: no reader held it back
    for body in bodies:
        assert body.startswith(b"HTTP/1.1 200")
        assert not body.endswith(b"\r\n0\r\n\r\n")  # cut, never complete with two versions of the data
