"""Bounds on a request's head, held before the app sees it (middleware.py answers its size).

`BoundedHead`, the protocol `serve` gives uvicorn as `http=`: uvicorn's own protocol behind
a count of each head's bytes up to its blank line, which closes the connection when a head
outgrows MAX_HEAD_BYTES, or is not complete HEAD_TIMEOUT seconds after its first byte (or
after the connection opened). uvicorn alone buffers a head of any size with httptools, and
stops its keep-alive time-out at the first byte of a head that may never end.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

MAX_HEAD_BYTES = 128 * 1024  # above a 100 KB header, which the app answers 431: only memory is at stake here
HEAD_TIMEOUT = 10.0


class BoundedHead(asyncio.Protocol):
    protocol_class = import_from_string(HTTP_PROTOCOLS["auto"])  # httptools', or h11's without it
    transport: asyncio.Transport
    timer: asyncio.TimerHandle  # closes the connection when the head in progress is late

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.inner: asyncio.Protocol = self.protocol_class(*args, **kwargs)
        self.head_bytes = 0  # received since the last head's blank line
        self.tail = b""  # the last three bytes, where a blank line may have begun

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is one, without the base class
        self.inner.connection_made(transport)
        self.start_timer()

    def data_received(self, data: bytes) -> None:
        seen = self.tail + data
        end = seen.rfind(b"\r\n\r\n")
        self.tail = seen[-3:]
        if end < 0:
            self.head_bytes += len(data)
        else:
            self.head_bytes = len(seen) - end - 4  # the next head's first bytes
            self.timer.cancel()
        if self.head_bytes > MAX_HEAD_BYTES:
            self.transport.close()
            return
        if self.head_bytes and self.timer.cancelled():
            self.start_timer()
        self.inner.data_received(data)

    def start_timer(self) -> None:
        self.timer = asyncio.get_running_loop().call_later(HEAD_TIMEOUT, self.transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        self.timer.cancel()
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()
