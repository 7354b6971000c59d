"""`GET /metrics`: the service's figures in Prometheus' text format (prometheus-client).

- `consumption_http_requests_total{route, status}` and
  `consumption_http_request_duration_seconds{route}` (a histogram, from a request's
  arrival to its last byte), counted by a plain ASGI middleware: two dict lookups,
  a counter and a histogram per request. Routes are the app's paths, anything else
  is `other`, so a scan of random paths cannot grow the label set.
- Read from the database at each scrape (whichever process wrote it): the half hours
  stored, the newest one's age, the last refresh's time and outcome, and when each
  archive was imported.
- Of this process's refreshes: each archive's last outcome and its time.

Each app has its own registry, so tests and several apps in one process never share
counters.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Collection

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consumption.domain.model import Outcome
from consumption.storage.reader import DatabaseUnavailable, Reader, Snapshot

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series beside each counter: noise for a scraper

OTHER_ROUTE = "other"
# From a one-day answer (a few ms) to the whole history streamed (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self, reader: Reader, routes: Collection[str]) -> None:
        self.reader = reader
        self.routes = frozenset(routes)
        self.registry = CollectorRegistry()
        r = self.registry
        gauge = functools.partial(Gauge, registry=r)
        self.requests = Counter(
            "consumption_http_requests", "HTTP requests answered, by route and status", ["route", "status"], registry=r
        )
        self.latency = Histogram(
            "consumption_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte, by route",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.database_up = gauge("consumption_database_up", "1 when the database can be read")
        self.half_hours = gauge("consumption_half_hour_values_stored", "Half-hour values stored")
        self.newest_age = gauge(
            "consumption_newest_half_hour_age_seconds",
            "Seconds since the start of the newest stored half hour",
        )
        self.refresh_time = gauge(
            "consumption_last_refresh_timestamp_seconds",
            "When the last fetch or refresh from RTE ended (any process), Unix seconds",
        )
        self.refresh_ok = gauge(
            "consumption_last_refresh_success",
            "1 when every archive of the last fetch or refresh was imported, unchanged or not yet published",
        )
        self.archive_imported = gauge(
            "consumption_archive_imported_timestamp_seconds",
            "When each archive (RTE's, or the embedded history's) was last imported, Unix seconds",
            ["archive"],
        )
        self.archive_outcome = gauge(
            "consumption_refresh_archive_outcome",
            "This process's last attempt at each RTE archive: 1 for its outcome, 0 for the others",
            ["archive", "outcome"],
        )
        self.archive_attempt = gauge(
            "consumption_refresh_archive_timestamp_seconds",
            "When this process last tried each RTE archive, Unix seconds",
            ["archive"],
        )
        self._counted: dict[tuple[str, int], Counter] = {}
        self._timed: dict[str, Histogram] = {}

    def observe(self, path: str, status: int, seconds: float) -> None:
        """Count one answered request: the per-request cost, so label children are cached."""
        route = path if path in self.routes else OTHER_ROUTE
        counter = self._counted.get((route, status))
        if counter is None:
            counter = self._counted[route, status] = self.requests.labels(route, str(status))
        counter.inc()
        histogram = self._timed.get(route)
        if histogram is None:
            histogram = self._timed[route] = self.latency.labels(route)
        histogram.observe(seconds)

    def record_archive(self, archive: str, outcome: str) -> None:
        """The outcome (an `Outcome` value) of this process's last attempt at `archive`."""
        for known in Outcome:
            self.archive_outcome.labels(archive, known.value).set(1 if known.value == outcome else 0)
        self.archive_attempt.labels(archive).set(time.time())

    async def read_database(self) -> None:
        try:
            status = await self.reader.run(Snapshot.status)
        except DatabaseUnavailable:
            self.database_up.set(0)
            return
        self.database_up.set(1)
        self.half_hours.set(status.count)
        if status.last is not None:
            self.newest_age.set(time.time() - status.last)
        if status.refresh is not None:
            self.refresh_time.set(status.refresh.finished_at)
            self.refresh_ok.set(1 if status.refresh.ok else 0)
        for name, imported_at in status.archives:
            # A file imported from disk is logged under its path: the label names only the file.
            self.archive_imported.labels(name.rsplit("/", 1)[-1]).set(imported_at)

    async def endpoint(self, request: Request) -> Response:
        await self.read_database()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """A plain ASGI middleware (no per-request Request object): the status and the time to
    the last byte of each HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.observe(scope["path"], status, time.perf_counter() - started)
