"""Unit tests run without network, subprocess or database: these guards make a test
that reaches for one fail at once, so that it moves to tests/integration."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from collections.abc import Callable
from typing import NoReturn

import pytest


def _refuse(what: str) -> Callable[..., NoReturn]:
    def refused(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"a unit test used {what}: move it to tests/integration")

    return refused


@pytest.fixture(autouse=True)
def no_network_subprocess_or_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse("the network"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("a subprocess"))
    monkeypatch.setattr(sqlite3, "connect", _refuse("SQLite"))
