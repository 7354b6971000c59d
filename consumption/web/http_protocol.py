"""uvicorn's httptools protocol behind a front that bounds a request's head, which uvicorn does not.

- A request line longer than MAX_REQUEST_LINE bytes gets 414, a head (request
  line and headers) longer than MAX_HEAD bytes gets 431: uvicorn with httptools
  buffers any size, and its own parse errors are a bare 400.
- A head not complete within HEAD_TIMEOUT seconds of its first byte (or of the
  connection) gets 408: uvicorn's keep-alive time-out restarts at every byte, so
  a client that sends a header byte now and then would hold its connection forever.
- After such an answer the server stops writing but reads and drops what the
  client still sends, for LINGER_SECONDS at most, then closes: closing a socket
  with unread input sends a TCP reset, which can destroy the answer before the
  client reads it (what nginx calls a lingering close).

The front is an `asyncio.Protocol` given to uvicorn as `http=`. It holds uvicorn's own
protocol, built with the arguments uvicorn passes, and hands it every event of the
connection; it follows where each head ends with an httptools parser of its own. It uses
no name of uvicorn's but the class it wraps: `pyproject.toml` pins the uvicorn versions
this was tested with, and tests/integration/test_http_surface.py fails if that changes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, cast

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from consumption.web.headers import with_security_headers

log = logging.getLogger(__name__)

MAX_REQUEST_LINE = 8 * 1024
MAX_HEAD = 32 * 1024
HEAD_TIMEOUT = 10.0
LINGER_SECONDS = 2.0
MAX_LINGER_BYTES = 64 * 1024 * 1024

REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class BoundedHttpProtocol(asyncio.Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.server_protocol = HttpToolsProtocol(*args, **kwargs)
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.heads: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self.awaiting_head = True  # between a request's first byte (or the connection) and its headers' end
        self.head_bytes = self.line_bytes = 0  # the line's until its end is seen
        self.line_complete = False
        self.head_timer: asyncio.TimerHandle | None = None
        self.rejected = False
        self.dropped = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is one, without the base class
        self.server_protocol.connection_made(self.transport)
        self.start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_head_timer()
        self.server_protocol.connection_lost(exc)

    def pause_writing(self) -> None:
        self.server_protocol.pause_writing()

    def resume_writing(self) -> None:
        self.server_protocol.resume_writing()

    def eof_received(self) -> None:
        if self.rejected and self.transport is not None:
            self.transport.close()
        self.server_protocol.eof_received()

    def data_received(self, data: bytes) -> None:
        if self.rejected:
            self.dropped += len(data)
            if self.dropped > MAX_LINGER_BYTES and self.transport is not None:
                self.transport.close()
            return
        if self.awaiting_head and self.too_long(data):
            return
        if self.heads is not None:
            try:
                self.heads.feed_data(data)
            except (httptools.HttpParserError, httptools.HttpParserUpgrade):
                # uvicorn's parser answers what ours cannot follow (a 400, an upgrade): stop following.
                self.heads = None
                self.awaiting_head = False
                self.cancel_head_timer()
        self.server_protocol.data_received(data)

    def too_long(self, data: bytes) -> bool:
        """Count `data` into the head; answer 414 or 431 when it makes it too long."""
        if self.head_timer is None:
            self.start_head_timer()
        self.head_bytes += len(data)
        if not self.line_complete:
            end = data.find(b"\n")
            self.line_complete = end >= 0
            self.line_bytes += end if self.line_complete else len(data)
            if self.line_bytes > MAX_REQUEST_LINE:
                self.reject(414, f"the request line is longer than {MAX_REQUEST_LINE} bytes")
                return True
        if self.head_bytes > MAX_HEAD:
            self.reject(431, f"the request's headers are longer than {MAX_HEAD} bytes")
            return True
        return False

    # httptools calls these as the head parser meets the parts of a request.
    def on_headers_complete(self) -> None:
        self.awaiting_head = False
        self.head_bytes = self.line_bytes = 0
        self.line_complete = False
        self.cancel_head_timer()

    def on_message_complete(self) -> None:
        self.awaiting_head = True  # the next request's head, when its first byte comes

    def start_head_timer(self) -> None:
        self.head_timer = self.loop.call_later(HEAD_TIMEOUT, self.head_timed_out)

    def cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_timed_out(self) -> None:
        self.head_timer = None
        if self.awaiting_head and self.transport is not None and not self.transport.is_closing():
            if self.head_bytes:
                self.reject(408, f"the request's head did not arrive within {HEAD_TIMEOUT:.0f} s")
            else:  # an idle connection: nothing to answer
                self.transport.close()

    def reject(self, status: int, message: str) -> None:
        """Answer `status` with a JSON error, stop writing, drop what the client still sends."""
        assert self.transport is not None
        log.info("%s from %s: %s", status, self.transport.get_extra_info("peername"), message)
        self.rejected = True
        self.cancel_head_timer()
        body = json.dumps({"error": message}).encode()
        headers = with_security_headers(
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
        )
        head = b"".join(
            [b"HTTP/1.1 %d %s\r\n" % (status, REASONS[status])] + [n + b": " + v + b"\r\n" for n, v in headers]
        )
        self.transport.write(head + b"\r\n" + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
