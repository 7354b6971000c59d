"""The package's pages and their files (the curve at `/`, its script and style sheet, the
API explorer at `/docs`), with a strong `ETag` of their bytes, so that a browser
revalidates them on every use (a new version never runs an old script) and gets a 304."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from consumption.web.http_cache import matches


@functools.cache
def _page(path: Path) -> tuple[bytes, str]:
    body = path.read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'


def static_page(
    request: Request,
    path: Path,
    media_type: str = "text/html; charset=utf-8",
    headers: Mapping[str, str] | None = None,
) -> Response:
    body, tag = _page(path)
    all_headers = {**(headers or {}), "ETag": tag, "Cache-Control": "no-cache"}
    if matches(request, tag):
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)
