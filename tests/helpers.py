"""Helpers the test modules share (pytest's fixtures are in the conftest.py files)."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
def running_server(app: ASGIApp, **options: Any) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread, on a port of 127.0.0.1 the system picks; yield its
    base URL. `options` are uvicorn.Config's, over these defaults."""
    defaults: dict[str, Any] = {"host": "127.0.0.1", "port": 0, "log_level": "warning", "lifespan": "on"}
    server = uvicorn.Server(uvicorn.Config(app, **{**defaults, **options}))
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


@contextmanager
def refused_url() -> Iterator[str]:
    """The URL of a port of 127.0.0.1 that refuses connections: bound, never listening, and held
    until the block ends, so that no other process can take it meanwhile."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"
