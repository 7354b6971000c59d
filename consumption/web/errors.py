"""Errors as JSON: `{"error": "…"}` with the status that fits, for every failure."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consumption.storage.reader import DatabaseUnavailable, SnapshotChanged

log = logging.getLogger(__name__)


def error_response(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404 and 405, said in words that point to what exists."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such path {request.url.path!r}; the data is at /consumption, the page at /"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}; use GET"
    else:
        message = exc.detail
    return error_response(exc.status_code, message, exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error; it has been logged")


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database went missing or unreadable while a response was built: a 503, as when
    that is found first; the message names the file, never its path."""
    return error_response(503, f"{exc}; try again")


EXCEPTION_HANDLERS = {
    HTTPException: http_error,
    DatabaseUnavailable: database_unavailable,
    SnapshotChanged: database_unavailable,
    Exception: server_error,
}
