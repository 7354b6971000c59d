"""The HTTP API: `GET /consumption` (JSON or CSV, half hours or buckets), `/consumption/gaps`,
`/consumption/latest`, the page at `/` (web/page.py), `/health`, `/ready`, `/openapi.json`,
the API explorer at `/docs` and `/metrics` (Prometheus). It only reads: the background
refresh, when there is one, is given to `create_app` by the command line.

Each handler makes one hop to the reading threads (storage/reader.py), where it reads and
renders; only a range longer than a year streams, one hop per batch.

    consumption serve        # or: uvicorn --factory consumption.bootstrap:service_app
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from consumption.config import Settings
from consumption.domain.clock import PARIS
from consumption.domain.model import HALF_HOUR_SECONDS, WATTS_PER_MEGAWATT
from consumption.eco2mix.names import years_by_source
from consumption.storage.reader import Aggregate, DatabaseUnavailable, Reader, Row, Snapshot
from consumption.web.aggregates import BUCKET_FIELDS, bucket_items, buckets
from consumption.web.errors import EXCEPTION_HANDLERS, error_response
from consumption.web.http_cache import answer
from consumption.web.metrics import Metrics
from consumption.web.middleware import Edge
from consumption.web.openapi import openapi_document
from consumption.web.page import PAGE_ROUTES
from consumption.web.params import BadParameter, Query, read_parameters, read_zone, single_values
from consumption.web.records import get_peaks, get_profile
from consumption.web.rendering import (
    FORMATS,
    GAP_FIELDS,
    HALF_HOUR_FIELDS,
    NATURE_LABELS,
    Format,
    Stamps,
    envelope,
    gap_items,
    whole,
)

log = logging.getLogger(__name__)

# Bodies of ranges of at most this many half hours (a year: at most 2 MB of JSON) are built
# whole, in the reading thread, and sent with their length; longer ones are streamed.
MAX_WHOLE_ROWS = 366 * 48


@dataclass(frozen=True)
class Service:
    """What the handlers use, built once by `create_app`."""

    settings: Settings
    reader: Reader
    metrics: Metrics
    startup: dict[str, object] | None  # what start-up did, when the CLI built the database (see /health)


def service(request: Request) -> Service:
    found = request.app.state.service
    assert isinstance(found, Service)
    return found


@dataclass(frozen=True)
class Stream:
    """A body too long to build whole: its headers and head, then batches read one hop each."""

    headers: dict[str, str]
    head: bytes
    version: str
    first: int | None = None  # of the range, for buckets
    last: int | None = None


def read_range(query: Query, snapshot: Snapshot, headers: dict[str, str]) -> Response | Stream:
    """The answer to /consumption from one snapshot: a whole body, or what a stream needs."""
    output, time_range = FORMATS[query.output], query.time_range
    if query.output == "csv":
        name = f"consumption_{time_range.start_text[:10]}_{time_range.end_text[:10]}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    stamp = Stamps(query.clock)
    head = envelope(time_range, snapshot.freshness, stamp, unit="W", interval=query.interval)
    start, end = time_range.start, time_range.end
    if query.interval == "half-hour":
        if (end - start) // HALF_HOUR_SECONDS >= MAX_WHOLE_ROWS:
            return Stream(headers, output.head(head, HALF_HOUR_FIELDS), snapshot.freshness.version)
        rows = snapshot.rows(start, end)
        body = stamp.rows(rows, output, output.head(head, HALF_HOUR_FIELDS), output.tail("count", len(rows)))
        return Response(body, media_type=output.media_type, headers=headers)
    first, last = snapshot.bounds(start, end)
    if first is not None and last is not None and (last - first) // HALF_HOUR_SECONDS >= MAX_WHOLE_ROWS:
        return Stream(headers, output.head(head, BUCKET_FIELDS), snapshot.freshness.version, first, last)
    items = bucket_items(snapshot.aggregates(list(buckets(query, first, last))), stamp)
    return whole(output, head, BUCKET_FIELDS, items, ("count", len(items)), headers)


async def get_consumption(request: Request) -> Response:
    query = read_parameters(request)
    found = await answer(request, query.resolved(), partial(read_range, query))
    if isinstance(found, Response):
        return found
    output = FORMATS[query.output]
    body = streamed(service(request).reader, query, output, found, request.url.path)
    return StreamingResponse(body, media_type=output.media_type, headers=found.headers)


async def streamed(reader: Reader, query: Query, output: Format, stream: Stream, path: str) -> AsyncIterator[bytes]:
    """A long body: its head, then the batches, each read and rendered in one hop.

    Starlette's StreamingResponse sends each batch once uvicorn's buffer for the connection
    has drained (a slow reader holds back its own stream and nothing else) and cancels the
    stream when the client disconnects. A stream whose data changed under it
    (`SnapshotChanged`) is cut without its last chunk: the client sees an incomplete
    response rather than a complete-looking mix of two versions.
    """
    stamp, start, end = Stamps(query.clock), query.time_range.start, query.time_range.end
    if query.interval == "half-hour":
        batches = reader.batches(stream.version, start, end, partial(_half_hours, output, stamp))
    else:
        render = partial(_buckets, output, stamp)
        batches = reader.aggregate_batches(stream.version, buckets(query, stream.first, stream.last), render)
    sent, count, complete = len(stream.head), 0, False
    try:
        yield stream.head
        async for chunk, items in batches:
            if not items:  # a batch of buckets that all fall in a gap: nothing to separate
                continue
            yield output.separator + chunk if count else chunk
            sent, count = sent + len(chunk), count + items
        yield output.tail("count", count)
        complete = True
    except Exception as error:
        log.warning("stream of %s cut after %d bytes: %s", path, sent, error)
        raise
    finally:
        if not complete:
            log.info("stream of %s stopped after %d bytes", path, sent)


def _half_hours(output: Format, stamp: Stamps, rows: list[Row]) -> tuple[bytes, int]:
    return stamp.rows(rows, output), len(rows)


def _buckets(output: Format, stamp: Stamps, aggregates: list[Aggregate]) -> tuple[bytes, int]:
    return output.items(bucket_items(aggregates, stamp)), len(aggregates)


def read_gaps(query: Query, snapshot: Snapshot, headers: dict[str, str]) -> Response:
    stamp, output, time_range = Stamps(query.clock), FORMATS[query.output], query.time_range
    items = gap_items(snapshot.missing_runs(time_range.start, time_range.end), stamp)
    head = envelope(time_range, snapshot.freshness, stamp)
    missing = ("missing_half_hours", sum(item["half_hours"] for item in items))
    return whole(output, head, GAP_FIELDS, items, missing, headers)


async def get_gaps(request: Request) -> Response:
    """The runs of missing half hours in a range: only the stored span can have gaps."""
    query = read_parameters(request)
    if "interval" in request.query_params:
        raise BadParameter("interval", "is not a parameter of /consumption/gaps; expected start, end, tz, format")
    resolved = ("gaps", query.time_range.start, query.time_range.end, query.clock.name, query.output)
    return await answer(request, resolved, partial(read_gaps, query))


async def get_latest(request: Request) -> Response:
    """The latest half hour on the clock of `tz`, in the shape of /consumption's items, and its
    age; a 404 when nothing is stored. The age changes every second: no validator."""
    zone = read_zone(single_values(request.query_params.multi_items(), ("tz",))["tz"])
    row = await service(request).reader.run(Snapshot.latest)
    if row is None:
        return error_response(404, "no half hour is stored yet; see /health for the last fetch")
    timestamp, mw, nature = row
    item = {"timestamp": zone.isoformat(timestamp), "consumption_w": mw * WATTS_PER_MEGAWATT}
    item |= {"nature": NATURE_LABELS[nature], "age_seconds": max(0, int(time.time()) - timestamp)}
    return Response(orjson.dumps(item), media_type="application/json", headers={"Cache-Control": "no-cache"})


async def get_health(request: Request) -> Response:
    status = await service(request).reader.run(Snapshot.status)
    stamp, refresh = Stamps(PARIS), status.refresh
    body: dict[str, object] = {"status": "ok" if status.count else "empty", "half_hours": status.count}
    body |= {"first": stamp.optional(status.first), "last": stamp.optional(status.last), "refresh": None}
    if refresh is not None:
        body["refresh"] = {"time": stamp(refresh.finished_at), "ok": refresh.ok, "summary": refresh.report}
    body |= {"years": years_by_source((name for name, _ in status.archives), status.years)}
    return JSONResponse(body | {"startup": service(request).startup})


async def get_ready(request: Request) -> Response:
    """Ready to serve when the database holds data: for load balancers' readiness checks."""
    freshness = await service(request).reader.run(lambda snapshot: snapshot.freshness)
    if freshness.last is None:
        raise DatabaseUnavailable("no data yet: the database is empty; see /health for the last fetch")
    return JSONResponse({"ready": True})


async def get_openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


BackgroundTask = Callable[[], Coroutine[Any, Any, object]]


def _log_failure(task: asyncio.Task[object]) -> None:
    """A background task (the refresh) is meant to run as long as the app: say if it died."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background task %s stopped: %r", task.get_coro(), error, exc_info=error)


def create_app(
    settings: Settings | None = None,
    background: Sequence[BackgroundTask] = (),
    startup: dict[str, object] | None = None,
) -> Starlette:
    """The ASGI app, reading the database that `settings` name; `background` tasks run
    for as long as the app does (the CLI gives it the periodic refresh)."""
    settings = settings or Settings.from_environment()
    reader = Reader(settings.database_path, settings.sql_time_limit_ms)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("serving consumption from %s", settings.database_path)
        tasks = [asyncio.create_task(task()) for task in background]
        for task in tasks:
            task.add_done_callback(_log_failure)
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        reader.close()

    routes = [  # the data first: a router tries each route in turn
        Route("/consumption", get_consumption, methods=["GET"]),
        Route("/consumption/latest", get_latest, methods=["GET"]),
        Route("/consumption/gaps", get_gaps, methods=["GET"]),
        Route("/consumption/peaks", get_peaks, methods=["GET"]),
        Route("/consumption/profile", get_profile, methods=["GET"]),
        Route("/health", get_health, methods=["GET"]),
        Route("/ready", get_ready, methods=["GET"]),
        Route("/openapi.json", get_openapi, methods=["GET"]),
        *PAGE_ROUTES,
    ]
    metrics = Metrics(reader, [route.path for route in routes] + ["/metrics"])
    app = Starlette(
        routes=[*routes, Route("/metrics", metrics.endpoint, methods=["GET"])],
        # A 500 is answered outside it: `errors.server_error` adds the security headers.
        middleware=[Middleware(Edge, settings=settings, metrics=metrics)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.service = Service(settings, reader, metrics, startup)
    return app
