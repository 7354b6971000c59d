"""The encoded bodies of short ranges, kept while the data they were read from is current.

A body depends only on what the request resolved to (bounds, interval, zone, format) and
on the data, whose version is the database's generation (bumped by every import that
changes data, in its transaction): so the key is the two, and a new generation empties
the cache. Least recently used bodies go first beyond `max_bytes`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class ResponseCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._generation: int | None = None

    def get(self, generation: int | None, resolved: Hashable) -> bytes | None:
        if generation is None or generation != self._generation:
            return None
        body = self._bodies.get(resolved)
        if body is not None:
            self._bodies.move_to_end(resolved)
        return body

    def put(self, generation: int | None, resolved: Hashable, body: bytes) -> None:
        """Keep `body` as of `generation`; a database without one (older) is never cached."""
        if generation is None or len(body) > self.max_bytes:
            return
        if generation != self._generation:
            self._bodies.clear()
            self._size, self._generation = 0, generation
        if resolved in self._bodies:
            return
        self._bodies[resolved] = body
        self._size += len(body)
        while self._size > self.max_bytes:
            _, evicted = self._bodies.popitem(last=False)
            self._size -= len(evicted)
