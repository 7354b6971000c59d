"""A stand-in for the aggregates API (`GET /consumption?interval=…`) for the page's browser
tests: a real Starlette app, on a real HTTP server, that serves the page and answers from a
list of half hours with Paris days and months computed here, independently of the service.

Its envelope is the one the service's aggregates answer: `start`, `end`, `unit`, `count`,
`interval`, `data` and `stored`; a bucket is `{timestamp, mean_w, min_w, max_w, energy_wh,
count, expected}`, clipped to the range, with null values where it holds no half hour.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from consumption.web.page import PAGE_ROUTES

PARIS = ZoneInfo("Europe/Paris")
HALF_HOUR = 1800
INTERVALS = ("half-hour", "day", "month")


@dataclass
class HalfHours:
    """The half hours the fake serves, as the service's JSON items, in time order."""

    items: list[dict]
    delay: float = 0.0  # seconds before each answer to /consumption: a slow server
    seconds: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.seconds = [int(dt.datetime.fromisoformat(item["timestamp"]).timestamp()) for item in self.items]

    def between(self, start: int, stop: int) -> list[dict]:
        """The items whose half hour starts in [start, stop)."""
        return self.items[bisect.bisect_left(self.seconds, start) : bisect.bisect_left(self.seconds, stop)]


def read_bounds(start: str, end: str) -> tuple[int, int]:
    """The page's bounds, Paris wall-clock `YYYY-MM-DDTHH:MM` (or a date: the whole day), as the
    UTC seconds of the first and last half hour; ValueError for anything else."""
    first = dt.datetime.fromisoformat(start if "T" in start else start + "T00:00")
    last = dt.datetime.fromisoformat(end if "T" in end else end + "T23:30")
    if first.tzinfo or last.tzinfo:
        raise ValueError("the stand-in reads bounds without an offset only")
    seconds = int(first.replace(tzinfo=PARIS).timestamp()), int(last.replace(tzinfo=PARIS).timestamp())
    if seconds[0] > seconds[1]:
        raise ValueError(f"parameter 'start': {start} is after end {end}")
    return seconds


def paris_iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, PARIS).isoformat()


def bucket_bounds(start: int, end: int, interval: str) -> Iterator[tuple[int, int]]:
    """Paris days or months overlapping [start, end] (inclusive half-hour starts), clipped:
    [first second, end second) of each."""
    local = dt.datetime.fromtimestamp(start, PARIS)
    opening = local.date() if interval == "day" else local.date().replace(day=1)
    while True:
        if interval == "day":
            following = opening + dt.timedelta(days=1)
        else:
            following = (opening.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        first = dt.datetime.combine(opening, dt.time(0), tzinfo=PARIS).timestamp()
        if first > end:
            return
        after = dt.datetime.combine(following, dt.time(0), tzinfo=PARIS).timestamp()
        yield int(max(first, start)), int(min(after, end + HALF_HOUR))
        opening = following


def buckets(half_hours: HalfHours, start: int, end: int, interval: str) -> list[dict]:
    out = []
    for first, stop in bucket_bounds(start, end, interval):
        watts = [item["consumption_w"] for item in half_hours.between(first, stop)]
        out.append(
            {
                "timestamp": paris_iso(first),
                "mean_w": round(sum(watts) / len(watts)) if watts else None,
                "min_w": min(watts) if watts else None,
                "max_w": max(watts) if watts else None,
                "energy_wh": sum(watts) * 0.5,
                "count": len(watts),
                "expected": (stop - first) // HALF_HOUR,
            }
        )
    return out


def fake_aggregates_app(half_hours: HalfHours) -> Starlette:
    stored = {
        "first": half_hours.items[0]["timestamp"] if half_hours.items else None,
        "last": half_hours.items[-1]["timestamp"] if half_hours.items else None,
    }

    async def get_consumption(request: Request) -> Response:
        await asyncio.sleep(half_hours.delay)
        params = request.query_params
        unknown = [name for name in params if name not in ("start", "end", "interval")]
        if unknown:
            return JSONResponse({"error": f"parameter {unknown[0]!r}: unknown parameter"}, status_code=400)
        interval = params.get("interval", "half-hour")
        if interval not in INTERVALS:
            return JSONResponse({"error": f"parameter 'interval': {interval!r} is not an interval"}, status_code=400)
        try:
            start, end = read_bounds(params.get("start", ""), params.get("end", ""))
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        if interval == "half-hour":
            data = half_hours.between(start, end + 1)
        else:
            data = buckets(half_hours, start, end, interval)
        envelope = {"start": paris_iso(start), "end": paris_iso(end), "unit": "W", "count": len(data)}
        return JSONResponse({**envelope, "interval": interval, "data": data, "stored": stored})

    async def get_health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "half_hours": len(half_hours.items), **stored})

    return Starlette(
        routes=[
            *PAGE_ROUTES,
            Route("/consumption", get_consumption, methods=["GET"]),
            Route("/health", get_health, methods=["GET"]),
        ]
    )
