"""Records and typical days: `GET /consumption/peaks`, the highest (lowest) half hours of a
range or the buckets of the `tz` calendar with the highest peak (lowest trough), and
`GET /consumption/profile`, the mean, minimum and maximum of each wall-clock half hour of
the range, by weekday or not. A half hour belongs to the slot of its wall-clock time: the
autumn repeated hour counts twice, the spring-forward slots once less.
"""

from __future__ import annotations

import re
from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from consumption.domain.model import WATTS_PER_MEGAWATT
from consumption.storage.reader import Snapshot
from consumption.storage.records import offset_segments, peak_buckets, peak_half_hours, profile
from consumption.web.aggregates import buckets, mean_watts
from consumption.web.http_cache import answer
from consumption.web.params import MAX_PARAMETER_LENGTH, BadParameter, Query, read_choice, read_parameters
from consumption.web.rendering import FORMATS, HALF_HOUR_FIELDS, NATURE_LABELS, Item, Stamps, envelope, whole

PEAK_INTERVALS = ("day", "week", "month", "year")
ORDERS = ("highest", "lowest")
BY = ("weekday",)
MAX_PEAKS, DEFAULT_PEAKS = 1000, 10
SLOTS = tuple(f"{slot // 2:02d}:{slot % 2 * 30:02d}" for slot in range(48))


def read_count(text: str | None) -> int:
    if text is None:
        return DEFAULT_PEAKS
    if not re.fullmatch("[0-9]{1,4}", text) or not 1 <= int(text) <= MAX_PEAKS:
        raise BadParameter("n", f"{text[:MAX_PARAMETER_LENGTH]!r} is not a whole number from 1 to {MAX_PEAKS}")
    return int(text)


def slot_item(time: str, count: int, total: int | None, low: int | None, high: int | None) -> Item:
    """A wall-clock slot: its time, the mean, minimum and maximum of its `count` values in watts."""
    if not count or total is None or low is None or high is None:
        return {"time": time, "mean_w": None, "min_w": None, "max_w": None, "count": 0}
    low_w, high_w = low * WATTS_PER_MEGAWATT, high * WATTS_PER_MEGAWATT
    return {"time": time, "mean_w": mean_watts(total, count), "min_w": low_w, "max_w": high_w, "count": count}


def read_peaks(query: Query, n: int, order: str, snapshot: Snapshot, headers: dict[str, str]) -> Response:
    stamp, time_range = Stamps(query.clock), query.time_range
    if query.interval == "half-hour":
        items = [
            {"timestamp": stamp(t), "consumption_w": mw * WATTS_PER_MEGAWATT, "nature": NATURE_LABELS[nature]}
            for t, mw, nature in peak_half_hours(snapshot, time_range.start, time_range.end, n, order)
        ]
        fields = HALF_HOUR_FIELDS
    else:
        bounds = list(buckets(query, *snapshot.bounds(time_range.start, time_range.end)))
        extreme = "max" if order == "highest" else "min"
        fields = ("timestamp", f"{extreme}_w", f"{extreme}_at")
        items = [
            dict(zip(fields, (stamp(start), mw * WATTS_PER_MEGAWATT, stamp(at)), strict=True))
            for start, mw, at in peak_buckets(snapshot, bounds, n, order)
        ]
    head = envelope(time_range, snapshot.freshness, stamp, unit="W", interval=query.interval, order=order)
    return whole(FORMATS[query.output], head, fields, items, ("count", len(items)), headers)


async def get_peaks(request: Request) -> Response:
    """The `n` highest (lowest) half hours of a range, or buckets by their peak (trough)."""
    interval = request.query_params.get("interval")
    if interval is not None and interval not in PEAK_INTERVALS:
        given = interval[:MAX_PARAMETER_LENGTH]
        raise BadParameter("interval", f"{given!r} is not one of {', '.join(PEAK_INTERVALS)} (or none: half hours)")
    query = read_parameters(request, ("n", "order"))
    n = read_count(request.query_params.get("n"))
    order = read_choice("order", request.query_params.get("order"), ORDERS, "highest")
    return await answer(request, ("peaks", *query.resolved(), n, order), partial(read_peaks, query, n, order))


def read_profile(query: Query, by: str | None, snapshot: Snapshot, headers: dict[str, str]) -> Response:
    stamp, time_range = Stamps(query.clock), query.time_range
    first, last = snapshot.bounds(time_range.start, time_range.end)
    segments = [] if first is None or last is None else offset_segments(query.clock, first, last + 1)
    found = {(weekday, slot): rest for weekday, slot, *rest in profile(snapshot, segments, by is not None)}
    items = []
    for weekday in range(1, 8) if by else (0,):
        for slot, time in enumerate(SLOTS):
            item = slot_item(time, *found.get((weekday, slot), (0, None, None, None)))
            items.append({"weekday": weekday, **item} if by else item)
    fields = ("weekday",) * bool(by) + ("time", "mean_w", "min_w", "max_w", "count")
    head = envelope(time_range, snapshot.freshness, stamp, unit="W", by=by)
    return whole(FORMATS[query.output], head, fields, items, ("count", len(items)), headers)


async def get_profile(request: Request) -> Response:
    """The typical day of a range: each wall-clock half hour's mean, minimum and maximum."""
    if "interval" in request.query_params:
        expected = "expected start, end, by, tz, format"
        raise BadParameter("interval", f"is not a parameter of /consumption/profile; {expected}")
    query = read_parameters(request, ("by",))
    by = read_choice("by", request.query_params.get("by"), BY, "") or None
    return await answer(request, ("profile", *query.resolved(), by), partial(read_profile, query, by))
