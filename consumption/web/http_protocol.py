"""uvicorn's httptools protocol, with the limits on a request's head that uvicorn lacks.

- A request line longer than MAX_REQUEST_LINE bytes gets 414, a head (request
  line and headers) longer than MAX_HEAD bytes gets 431: uvicorn with httptools
  buffers any size (1 MB of headers was answered 200), and its own parse errors
  are a bare 400.
- A head not complete within HEAD_TIMEOUT seconds of its first byte (or of the
  connection) gets 408: uvicorn's keep-alive time-out restarts at every byte, so
  a client that sends a header byte now and then held its connection forever.
- After such an answer the server stops writing but reads and drops what the
  client still sends, for LINGER_SECONDS at most, then closes: closing a socket
  with unread input sends a TCP reset, which can destroy the answer before the
  client reads it (what nginx calls a lingering close).

The class is given to uvicorn as `http=`; it relies on uvicorn's HttpToolsProtocol
(pinned in uv.lock) for everything else.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from consumption.web.headers import with_security_headers

log = logging.getLogger(__name__)

MAX_REQUEST_LINE = 8 * 1024
MAX_HEAD = 32 * 1024
HEAD_TIMEOUT = 10.0
LINGER_SECONDS = 2.0
MAX_LINGER_BYTES = 64 * 1024 * 1024

REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class BoundedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_head = True  # between a request's first byte (or the connection) and its headers' end
        self._head_bytes = 0
        self._line_bytes = 0  # of the request line, until its end is seen
        self._line_complete = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._rejected = False
        self._dropped = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._rejected:
            self._dropped += len(data)
            if self._dropped > MAX_LINGER_BYTES:
                self.transport.close()
            return
        if self._awaiting_head:
            if self._head_timer is None:
                self._start_head_timer()
            self._head_bytes += len(data)
            if not self._line_complete:
                end = data.find(b"\n")
                self._line_complete = end >= 0
                self._line_bytes += end if self._line_complete else len(data)
                if self._line_bytes > MAX_REQUEST_LINE:
                    self._reject(414, f"the request line is longer than {MAX_REQUEST_LINE} bytes")
                    return
            if self._head_bytes > MAX_HEAD:
                self._reject(431, f"the request's headers are longer than {MAX_HEAD} bytes")
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._head_bytes = self._line_bytes = 0
        self._line_complete = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head = True  # the next request's head, when its first byte comes

    def eof_received(self) -> None:
        if self._rejected:
            self.transport.close()
        super().eof_received()

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._awaiting_head and not self.transport.is_closing():
            if self._head_bytes:
                self._reject(408, f"the request's head did not arrive within {HEAD_TIMEOUT:.0f} s")
            else:  # an idle connection: nothing to answer
                self.transport.close()

    def _reject(self, status: int, message: str) -> None:
        """Answer `status` with a JSON error, stop writing, drop what the client still sends."""
        log.info("%s from %s: %s", status, self.client and self.client[0], message)
        self._rejected = True
        self._cancel_head_timer()
        self._unset_keepalive_if_required()
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
