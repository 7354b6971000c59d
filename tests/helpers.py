"""Helpers the test modules share (pytest's fixtures are in the conftest.py files)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rte-samples"


def stored_rows(database_path: Path) -> list[tuple[int, int, int]]:
    """Every row of the consumption table, read with a separate connection."""
    connection = sqlite3.connect(database_path)
    try:
        return connection.execute(
            "SELECT timestamp, consumption_mw, nature FROM consumption ORDER BY timestamp"
        ).fetchall()
    finally:
        connection.close()  # `with connection` ends a transaction, it does not close


@contextmanager
def running_server(app: ASGIApp) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port of 127.0.0.1; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
