"""A streamed response that stops when its client goes and shares the event loop fairly.

The body comes from a synchronous iterator of text chunks (rendered from the
database on the event loop, a few milliseconds each). Between two chunks the
response gives the loop a turn, so that twenty long streams cannot keep a short
request waiting; it sends the next chunk only once the server's buffer for this
connection has drained (uvicorn's flow control), so a slow reader holds back its
own stream and nothing else, with at most about two chunks buffered for it; and
it stops rendering as soon as the client has disconnected. Streams render one
chunk at a time, in turn (`RenderTurns`): however many are in flight, a short
request waits for at most one chunk's rendering at each step of its own.

A stream that cannot go on (the data changed under it, see `SnapshotChanged`)
ends without its last chunk: the connection is closed, and the client sees an
incomplete response rather than a complete-looking mix of two versions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from consumption.storage.reader import DatabaseUnavailable, SnapshotChanged

log = logging.getLogger(__name__)


class RenderTurns:
    """Whose turn it is to render a chunk: one stream at a time, first come first served.

    Created on first use, in the running event loop (asyncio's primitives bind to one).
    """

    def __init__(self) -> None:
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(1)
        return self._semaphore


class TextStream(Response):
    def __init__(
        self,
        chunks: Iterator[str],
        turns: RenderTurns,
        media_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.chunks = chunks
        self.turns = turns
        self.keep: Callable[[bytes, list[tuple[bytes, bytes]]], None] | None = None
        self.done_keeping: Callable[[], None] | None = None
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)

    def keep_for(self, keep: Callable[[bytes, list[tuple[bytes, bytes]]], None], done: Callable[[], None]) -> None:
        """Copy the body as it is sent (a short range's); `keep` receives it whole, if the
        stream completes; `done` is called however it ends."""
        self.keep, self.done_keeping = keep, done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        sent = 0
        kept: list[bytes] | None = [] if self.keep else None
        try:
            # The middleware outside (gzip, CORS) may change the headers it is sent: what is
            # kept for the cache is this response's own, as they were.
            own_headers = list(self.raw_headers)
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            while True:
                async with self.turns.semaphore:
                    chunk = next(self.chunks, None)
                if chunk is None:
                    break
                body = chunk.encode()
                await send({"type": "http.response.body", "body": body, "more_body": True})
                sent += len(body)
                if kept is not None:
                    kept.append(body)
                await asyncio.sleep(0)  # the other requests' turn
                if gone.is_set():
                    log.info("client gone after %d bytes: stopped streaming %s", sent, _target(scope))
                    return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            if kept is not None and self.keep is not None:
                self.keep(b"".join(kept), own_headers)
        except (SnapshotChanged, DatabaseUnavailable) as error:
            log.warning("stream of %s cut after %d bytes: %s", _target(scope), sent, error)
        finally:
            if self.done_keeping is not None:
                self.done_keeping()
            watcher.cancel()
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope.get('path', '')}?{query}" if query else str(scope.get("path", ""))
