"""HTTP caching of data responses: a weak `ETag` that changes exactly when stored data change,
`If-None-Match` answered with 304, and a `Cache-Control` that lets a browser or a proxy
reuse a response until the next refresh could change it.

The tag is the data's `generation` (a number every import that changes data increments
in its own transaction) and a digest of what the request resolved to (bounds, interval,
zone, format): the same answer has the same tag on every replica that holds the same
generation. It is weak since gzip changes the bytes, not the meaning.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from starlette.requests import Request

from consumption.storage.reader import Freshness


def matches(request: Request, tag: str | None) -> bool:
    """Whether `If-None-Match` names `tag` (weak comparison, RFC 9110 13.1.2), or is `*`."""
    header = request.headers.get("if-none-match")
    if tag is None or header is None:
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


def caching_headers(request: Request, freshness: Freshness, resolved: Sequence[object]) -> dict[str, str]:
    """`Vary`, `Cache-Control` and the `ETag` of what `resolved` names at the data's generation,
    `W/"<generation>-<digest>"` (none in a database without a generation)."""
    refresh_interval: int = request.app.state.settings.refresh_interval
    headers = {"Vary": "Accept", "Cache-Control": cache_control(freshness, refresh_interval)}
    if freshness.generation is not None:
        digest = hashlib.sha256("\n".join(map(str, resolved)).encode()).hexdigest()[:20]
        headers["ETag"] = f'W/"{freshness.generation}-{digest}"'
    return headers
