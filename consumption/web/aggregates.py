"""Buckets of half hours on the wall clock of a zone: hours, days, weeks, months, years, or
the whole range, each clipped to [start, end], as JSON or CSV.

Each bucket is `timestamp` (its start, clipped, with the zone's offset), `mean_w`,
`min_w`, `max_w` in watts, `energy_wh` (each half hour's power × 0.5 h, summed), `count`
(half hours with data), `expected` (half hours of the UTC grid in the clipped bucket), and
`min_at`, `max_at`: the start of the half hour of the minimum and of the maximum, the
earliest when tied.
A bucket without data is absent, as a half hour without data is.

`mean_w` is exact: the sum of the values in watts divided by the count, rounded to the
nearest watt, ties to even (integer arithmetic, no floating point). `energy_wh` is
exact too: a value of N MW held for half an hour is N × 500,000 Wh.
"""

from __future__ import annotations

from collections.abc import Iterator

from consumption.domain.clock import half_hours_in
from consumption.domain.model import WATTS_PER_MEGAWATT
from consumption.storage.reader import Aggregate
from consumption.web.params import Query
from consumption.web.rendering import Item, Stamps

WATT_HOURS_PER_MEGAWATT_HALF_HOUR = WATTS_PER_MEGAWATT // 2
BUCKET_FIELDS = ("timestamp", "mean_w", "min_w", "min_at", "max_w", "max_at", "energy_wh", "count", "expected")


def mean_watts(total_mw: int, count: int) -> int:
    """The mean of `count` values summing to `total_mw` MW, in watts, rounded half to even."""
    quotient, remainder = divmod(total_mw * WATTS_PER_MEGAWATT, count)
    if 2 * remainder > count or (2 * remainder == count and quotient % 2):
        quotient += 1
    return quotient


def buckets(query: Query, first: int | None, last: int | None) -> Iterator[tuple[int, int]]:
    """The clipped buckets [start, stop) from the one holding `first`, the first stored half
    hour of the range, to the one holding `last`: a range of a century costs what its data does."""
    start, stop = query.time_range.start, query.time_range.end + 1
    if first is None or last is None:
        return iter(())
    if query.interval == "all":
        return iter([(start, stop)])
    low = max(start, query.clock.bucket_start(query.interval, first))
    high = min(stop, query.clock.bucket_end(query.interval, last))
    return query.clock.buckets(query.interval, low, high)


def bucket_items(aggregates: list[Aggregate], stamp: Stamps) -> list[Item]:
    return [
        {
            "timestamp": stamp(start),
            "mean_w": mean_watts(total, count),
            "min_w": low * WATTS_PER_MEGAWATT,
            "min_at": stamp(low_at),
            "max_w": high * WATTS_PER_MEGAWATT,
            "max_at": stamp(high_at),
            "energy_wh": total * WATT_HOURS_PER_MEGAWATT_HALF_HOUR,
            "count": count,
            "expected": half_hours_in(start, stop),
        }
        for start, stop, count, total, low, low_at, high, high_at in aggregates
    ]
