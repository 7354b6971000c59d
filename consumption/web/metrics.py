"""`GET /metrics`: the service's figures in Prometheus' text format (prometheus-client).

- `consumption_http_requests_total{route, status}` and
  `consumption_http_request_duration_seconds{route}` (a histogram, from a request's
  arrival to its last byte), counted by middleware.py: two dict lookups, a counter and
  a histogram per request. Routes are the app's paths, anything else
  is `other`, so a scan of random paths cannot grow the label set.
- Read from the database at each scrape (whichever process wrote it): the half hours
  stored, the newest one's age, the last refresh's time and outcome, and when each
  archive was imported.
- Of this process's refreshes: each archive's last outcome and its time.

Each app has its own registry, so tests and several apps in one process never share
counters.
"""

from __future__ import annotations

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

from consumption.domain.model import Outcome
from consumption.storage.reader import DatabaseUnavailable, Reader, Snapshot

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series beside each counter: noise for a scraper

OTHER_ROUTE = "other"
# From a one-day answer (a few ms) to the whole history streamed (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


# Each gauge's name after `consumption_`: its help and its labels.
GAUGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "database_up": ("1 when the database can be read", ()),
    "half_hour_values_stored": ("Half-hour values stored", ()),
    "newest_half_hour_age_seconds": ("Seconds since the start of the newest stored half hour", ()),
    "last_refresh_timestamp_seconds": ("When the last fetch or refresh from RTE ended, Unix seconds", ()),
    "last_refresh_success": ("1 when the last fetch or refresh left every archive current", ()),
    "archive_imported_timestamp_seconds": ("When each archive was last imported, Unix seconds", ("archive",)),
    "refresh_archive_outcome": ("This process's last try of each archive: 1 for its outcome", ("archive", "outcome")),
    "refresh_archive_timestamp_seconds": ("When this process last tried each RTE archive, Unix seconds", ("archive",)),
}


class Metrics:
    def __init__(self, reader: Reader, routes: Collection[str]) -> None:
        self.reader = reader
        self.routes = frozenset(routes)
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "consumption_http_requests", "HTTP requests answered, by route and status", ["route", "status"], registry=r
        )
        latency = "Time from a request's arrival to its response's last byte, by route"
        self.latency = Histogram(
            "consumption_http_request_duration_seconds", latency, ["route"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.gauges = {name: Gauge(f"consumption_{name}", *about, registry=r) for name, about in GAUGES.items()}
        self._counted: dict[tuple[str, int], Counter] = {}
        self._timed: dict[str, Histogram] = {}

    def observe(self, path: str, status: int, seconds: float) -> None:
        """Count one answered request: the per-request cost, so label children are cached."""
        route = path if path in self.routes else OTHER_ROUTE
        if (route, status) not in self._counted:
            self._counted[route, status] = self.requests.labels(route, str(status))
        self._counted[route, status].inc()
        if route not in self._timed:
            self._timed[route] = self.latency.labels(route)
        self._timed[route].observe(seconds)

    def record_archive(self, archive: str, outcome: str) -> None:
        """The outcome (an `Outcome` value) of this process's last attempt at `archive`."""
        for known in Outcome:
            self.gauges["refresh_archive_outcome"].labels(archive, known.value).set(1 if known.value == outcome else 0)
        self.gauges["refresh_archive_timestamp_seconds"].labels(archive).set(time.time())

    async def read_database(self) -> None:
        try:
            status = await self.reader.run(Snapshot.status)
        except DatabaseUnavailable:
            self.gauges["database_up"].set(0)
            return
        self.gauges["database_up"].set(1)
        self.gauges["half_hour_values_stored"].set(status.count)
        if status.last is not None:
            self.gauges["newest_half_hour_age_seconds"].set(time.time() - status.last)
        if status.refresh is not None:
            self.gauges["last_refresh_timestamp_seconds"].set(status.refresh.finished_at)
            self.gauges["last_refresh_success"].set(1 if status.refresh.ok else 0)
        for name, imported_at in status.archives:
            # A file imported from disk is logged under its path: the label names only the file.
            self.gauges["archive_imported_timestamp_seconds"].labels(name.rsplit("/", 1)[-1]).set(imported_at)

    async def endpoint(self, request: Request) -> Response:
        await self.read_database()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
