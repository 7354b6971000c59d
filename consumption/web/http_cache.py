"""HTTP caching of data responses: a weak `ETag` that changes exactly when stored data change,
`If-None-Match` answered with 304, and a `Cache-Control` that lets a browser or a proxy
reuse a response until the next refresh could change it.

The tag is the data's version (a random id drawn when the database was created, and the
`generation` every import that changes data increments in its own transaction) and a
digest of what the request resolved to (bounds, interval, zone, format): two databases
built apart never share a tag, even at the same generation. It is weak since gzip
changes the bytes, not the meaning.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from consumption.storage.reader import Freshness, Snapshot

T = TypeVar("T")


def matches(header: str | None, tag: str) -> bool:
    """Whether `If-None-Match` names `tag` (weak comparison, RFC 9110 13.1.2), or is `*`."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    opaque = tag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in header.split(","))


def cache_control(freshness: Freshness, refresh_interval: int) -> str:
    """Reusable until the service's next periodic refresh may change the data; without a
    periodic refresh (or after a failed one, retried sooner), reusable once revalidated."""
    refresh = freshness.refresh
    if not refresh_interval or refresh is None or not refresh.ok:
        return "public, no-cache"
    remaining = int(refresh.finished_at + refresh_interval - time.time())
    if remaining <= 0:
        return "public, no-cache"
    return f"public, max-age={min(remaining, refresh_interval)}"


def caching_headers(freshness: Freshness, resolved: Sequence[object], refresh_interval: int) -> dict[str, str]:
    """`Vary`, `Cache-Control` and the `ETag` of what `resolved` names in the data's version,
    `W/"<database id>-<generation>-<digest>"`."""
    digest = hashlib.sha256("\n".join(map(str, resolved)).encode()).hexdigest()[:20]
    return {
        "Vary": "Accept",
        "Cache-Control": cache_control(freshness, refresh_interval),
        "ETag": f'W/"{freshness.version}-{digest}"',
    }


async def answer(
    request: Request, resolved: Sequence[object], build: Callable[[Snapshot, dict[str, str]], T]
) -> Response | T:
    """In one hop to the reading threads: a 304 when `If-None-Match` names the tag of `resolved`
    in the data's version, else what `build` makes of the snapshot and the caching headers."""
    service = request.app.state.service
    refresh, if_none_match = service.settings.refresh_interval, request.headers.get("if-none-match")

    def read(snapshot: Snapshot) -> Response | T:
        headers = caching_headers(snapshot.freshness, resolved, refresh)
        if matches(if_none_match, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        return build(snapshot, headers)

    result: Response | T = await service.reader.run(read)
    return result
