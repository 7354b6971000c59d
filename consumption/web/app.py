"""The HTTP API: `GET /consumption` (JSON or CSV), the page at `/`, `/health`, `/ready`
and `/openapi.json`. It only reads: the background refresh, when there is one, is
given to `create_app` by the command line.

    uvicorn consumption.web.app:app        # or: consumption serve
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from consumption.config import Settings
from consumption.domain.paris_time import paris_isoformat
from consumption.storage.reader import ROWS_PER_FETCH, ConsumptionReader, DatabaseUnavailable, SnapshotChanged
from consumption.web.errors import EXCEPTION_HANDLERS, error_response
from consumption.web.headers import SecurityHeaders
from consumption.web.openapi import openapi_document
from consumption.web.params import BadParameter, read_parameters
from consumption.web.rendering import OUTPUT_FORMATS, RenderedDayCache, render_body
from consumption.web.response_cache import MAX_RESPONSE_BYTES, MAX_ROW_BYTES, ResponseCache, cache_key
from consumption.web.streaming import RenderTurns, TextStream

log = logging.getLogger(__name__)

PAGE = Path(__file__).with_name("index.html")


async def get_consumption(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    responses: ResponseCache = request.app.state.responses
    key = cache_key(request.scope)
    try:
        cached = responses.get(reader.generation(), key)
    except DatabaseUnavailable as error:
        return error_response(503, str(error))
    if cached is not None:
        return cached
    try:
        time_range, output = read_parameters(request)
    except BadParameter as error:
        return error_response(400, str(error))
    try:
        query = reader.range(time_range.start, time_range.end)
    except DatabaseUnavailable as error:
        return error_response(503, str(error))
    output_format = OUTPUT_FORMATS[output]
    headers = {"Vary": "Accept"}
    if output == "csv":
        name = f"consumption_{time_range.start_text[:10]}_{time_range.end_text[:10]}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    chunks = render_body(time_range, query, output_format, request.app.state.rendered)
    if query.count <= ROWS_PER_FETCH:
        # A short range: a plain response, which costs much less than a stream
        # (measured: 2x the requests/s on a one-day range); its size is bounded.
        try:
            body = "".join(chunks)
        except (DatabaseUnavailable, SnapshotChanged) as error:
            return error_response(503, f"{error}; try again")
        response = Response(body, media_type=output_format.media_type, headers=headers)
        responses.put(query.generation, key, response)
        return response
    stream = TextStream(chunks, request.app.state.render_turns, output_format.media_type, headers)
    if query.count * MAX_ROW_BYTES <= MAX_RESPONSE_BYTES and responses.start_keeping():
        stream.keep_for(functools.partial(responses.put_body, query.generation, key), responses.stop_keeping)
    return stream


async def get_page(request: Request) -> Response:
    return FileResponse(PAGE, media_type="text/html")


async def get_health(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    try:
        status = await reader.status()
    except DatabaseUnavailable as error:
        return JSONResponse({"status": "unavailable", "error": str(error)}, status_code=503)
    return JSONResponse(
        {
            "status": "ok" if status.count else "empty",
            "half_hours": status.count,
            "first": paris_isoformat(status.first) if status.first is not None else None,
            "last": paris_isoformat(status.last) if status.last is not None else None,
            "refresh": None
            if status.refresh is None
            else {
                "time": paris_isoformat(status.refresh.finished_at),
                "ok": status.refresh.ok,
                "summary": status.refresh.report,
            },
        }
    )


async def get_ready(request: Request) -> Response:
    """Ready to serve when the database holds data: for load balancers' readiness checks."""
    reader: ConsumptionReader = request.app.state.reader
    try:
        ready = await reader.has_data()
    except DatabaseUnavailable as error:
        return error_response(503, str(error))
    if not ready:
        return error_response(503, "no data yet: the database is empty; see /health for the last fetch")
    return JSONResponse({"ready": True})


async def get_openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


BackgroundTask = Callable[[], Coroutine[Any, Any, None]]


class ConsumptionApp(Starlette):
    """Starlette, with the security headers outside even its error handling: a 500 has them too."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(settings: Settings | None = None, background: Sequence[BackgroundTask] = ()) -> Starlette:
    """The ASGI app, reading the database that `settings` name; `background` tasks run
    for as long as the app does (the CLI gives it the periodic refresh)."""
    settings = settings or Settings.from_environment()
    reader = ConsumptionReader(settings.database_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("serving consumption from %s", settings.database_path)
        tasks = [asyncio.create_task(task()) for task in background]
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        reader.close()

    app = ConsumptionApp(
        routes=[
            Route("/", get_page, methods=["GET"]),
            Route("/consumption", get_consumption, methods=["GET"]),
            Route("/health", get_health, methods=["GET"]),
            Route("/ready", get_ready, methods=["GET"]),
            Route("/openapi.json", get_openapi, methods=["GET"]),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.reader = reader
    app.state.rendered = RenderedDayCache(settings.render_cache_mb * 1024 * 1024)
    app.state.render_turns = RenderTurns()
    app.state.responses = ResponseCache()
    app.state.settings = settings
    return app
