"""Whole responses of short ranges, encoded once and sent again while the data is the same.

A response depends only on the request's query string, its Accept header (when the
query names no format) and the data, whose version is the database's generation
number (bumped by every import that changes data, in its transaction). So a repeated
query costs one read of that number and a dictionary look-up: no parameter parsing,
no range query, no rendering. Measured with wrk on a one-day range: see the README's
Performance section.
"""

from __future__ import annotations

from collections import OrderedDict

from starlette.responses import Response
from starlette.types import Scope

MAX_BYTES = 16 * 1024 * 1024  # memory for cached responses, least recently used out first
MAX_RESPONSE_BYTES = 2 * 1024 * 1024  # about a year of half hours; larger bodies are never cached
MAX_ROW_BYTES = 110  # of a row's JSON or CSV text, at most
MAX_KEEPERS = 2  # streams copying their body for the cache at once: at most 2 x 2 MiB

Key = tuple[bytes, bytes]


class PreparedResponse(Response):
    """A response whose body and headers are ready to send as they are."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = list(raw_headers)  # the server's middleware may add to them


def cache_key(scope: Scope) -> Key:
    query: bytes = scope["query_string"]
    if b"format=" in query:
        return query, b""
    for name, value in scope["headers"]:
        if name == b"accept":
            return query, value
    return query, b""


class ResponseCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._responses: OrderedDict[Key, tuple[bytes, list[tuple[bytes, bytes]]]] = OrderedDict()
        self._size = 0
        self._generation: int | None = None
        self._keepers = 0

    def start_keeping(self) -> bool:
        """Whether a stream may copy its body for the cache; `stop_keeping` when it ends."""
        if self._keepers >= MAX_KEEPERS:
            return False
        self._keepers += 1
        return True

    def stop_keeping(self) -> None:
        self._keepers -= 1

    def get(self, generation: int | None, key: Key) -> PreparedResponse | None:
        if generation is None or generation != self._generation:
            return None
        entry = self._responses.get(key)
        if entry is None:
            return None
        self._responses.move_to_end(key)
        return PreparedResponse(*entry)

    def put(self, generation: int | None, key: Key, response: Response) -> None:
        self.put_body(generation, key, bytes(response.body), response.raw_headers)

    def put_body(self, generation: int | None, key: Key, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        """Keep `body` with `headers` (its length set) for `key`, as of `generation`."""
        if generation is None or len(body) > MAX_RESPONSE_BYTES or not self.max_bytes:
            return
        headers = [(n, v) for n, v in headers if n not in (b"content-length", b"transfer-encoding")]
        headers.append((b"content-length", str(len(body)).encode()))
        if generation != self._generation:
            self._responses.clear()
            self._size, self._generation = 0, generation
        if key in self._responses:
            return
        self._responses[key] = (body, headers)
        self._size += len(body) + len(key[0]) + len(key[1])
        while self._size > self.max_bytes:
            (query, accept), (evicted, _) = self._responses.popitem(last=False)
            self._size -= len(evicted) + len(query) + len(accept)
