"""The HTTP API: `GET /consumption` (JSON or CSV, half hours or buckets),
`/consumption/latest`, the page at `/` (web/page.py), `/health`, `/ready`, `/openapi.json`,
the API explorer at `/docs` and `/metrics` (Prometheus). It only reads: the background
refresh, when there is one, is
given to `create_app` by the command line.

    uvicorn consumption.web.app:app        # or: consumption serve
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from consumption.config import Settings
from consumption.domain.paris_time import paris_isoformat, utc_to_paris
from consumption.eco2mix.names import years_by_source
from consumption.storage.reader import ROWS_PER_FETCH, ConsumptionReader, DatabaseUnavailable
from consumption.web.aggregates import render_aggregates
from consumption.web.errors import EXCEPTION_HANDLERS, error_response
from consumption.web.http_cache import caching_headers, entity_tag, matches
from consumption.web.latest import latest_body
from consumption.web.metrics import Metrics, MetricsMiddleware
from consumption.web.middleware import http_middleware
from consumption.web.openapi import openapi_document
from consumption.web.page import PAGE_ROUTES
from consumption.web.params import BadParameter, read_parameters
from consumption.web.rendering import OUTPUT_FORMATS, RenderedDayCache, render_body
from consumption.web.static import static_page

log = logging.getLogger(__name__)

DOCS = Path(__file__).with_name("docs.html")


async def stream(chunks: Iterator[str], stack: contextlib.ExitStack) -> AsyncIterator[str]:
    """Send a long range chunk by chunk; the event loop serves other requests in between."""
    with stack:  # releases the database connection, however the stream ends
        for chunk in chunks:
            yield chunk


async def get_consumption(request: Request) -> Response:
    try:
        asked = read_parameters(request)
    except BadParameter as error:
        return error_response(400, str(error))
    time_range, output = asked.time_range, asked.output
    resolved = (time_range.start, time_range.end, asked.interval, asked.clock.name, output)
    reader: ConsumptionReader = request.app.state.reader
    refresh_interval = request.app.state.settings.refresh_interval
    try:
        freshness = reader.freshness()
    except DatabaseUnavailable as error:
        return error_response(503, str(error))
    tag = entity_tag(freshness.generation, resolved)
    if matches(request, tag):  # before any reading or rendering
        headers = {"Vary": "Accept", **caching_headers(tag, freshness, refresh_interval)}
        return Response(status_code=304, headers=headers)
    stack = contextlib.ExitStack()
    try:
        query = stack.enter_context(
            reader.range(time_range.start, time_range.end, counted=asked.interval == "half-hour")
        )
    except DatabaseUnavailable as error:
        stack.close()
        return error_response(503, str(error))
    output_format = OUTPUT_FORMATS[output]
    # The tag of what this snapshot holds: an import may have committed since `freshness`.
    tag = entity_tag(query.generation, resolved)
    headers = {"Vary": "Accept", **caching_headers(tag, query.freshness, refresh_interval)}
    if output == "csv":
        name = f"consumption_{time_range.start_text[:10]}_{time_range.end_text[:10]}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if asked.interval == "half-hour":
        chunks = render_body(asked, query, output_format, request.app.state.rendered)
    else:
        chunks = render_aggregates(asked, query)
    if query.count <= ROWS_PER_FETCH:
        # A short range: a plain response, which costs much less than a stream
        # (measured: 2x the requests/s on a one-day range); its size is bounded.
        with stack:
            body = "".join(chunks)
        return Response(body, media_type=output_format.media_type, headers=headers)
    return StreamingResponse(stream(chunks, stack), media_type=output_format.media_type, headers=headers)


async def get_latest(request: Request) -> Response:
    return latest_body(request)


async def get_docs(request: Request) -> Response:
    return static_page(request, DOCS)


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
            "years": years_by_source(
                (name for name, _ in status.archives),
                utc_to_paris(status.last).year if status.last is not None else None,
            ),
            "startup": request.app.state.startup,
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

    routes = [
        *PAGE_ROUTES,
        Route("/consumption", get_consumption, methods=["GET"]),
        Route("/consumption/latest", get_latest, methods=["GET"]),
        Route("/health", get_health, methods=["GET"]),
        Route("/ready", get_ready, methods=["GET"]),
        Route("/openapi.json", get_openapi, methods=["GET"]),
        Route("/docs", get_docs, methods=["GET"]),
    ]
    metrics = Metrics(reader, [route.path for route in routes] + ["/metrics"])
    app = Starlette(
        routes=[*routes, Route("/metrics", metrics.endpoint, methods=["GET"])],
        middleware=[Middleware(MetricsMiddleware, metrics=metrics), *http_middleware(settings)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.startup = None  # what start-up did, when the CLI built the database (see /health)
    app.state.reader = reader
    app.state.rendered = RenderedDayCache(settings.render_cache_mb * 1024 * 1024)
    app.state.settings = settings
    return app
