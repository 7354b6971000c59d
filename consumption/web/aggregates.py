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
from consumption.storage.reader import Aggregate, RangeQuery
from consumption.web.params import Query
from consumption.web.rendering import chunked, envelope_head

WATT_HOURS_PER_MEGAWATT_HALF_HOUR = WATTS_PER_MEGAWATT // 2
CSV_HEADER = "timestamp,mean_w,min_w,max_w,energy_wh,count,expected,min_at,max_at\r\n"


def mean_watts(total_mw: int, count: int) -> int:
    """The mean of `count` values summing to `total_mw` MW, in watts, rounded half to even."""
    quotient, remainder = divmod(total_mw * WATTS_PER_MEGAWATT, count)
    if 2 * remainder > count or (2 * remainder == count and quotient % 2):
        quotient += 1
    return quotient


def buckets(query: Query, range_query: RangeQuery) -> Iterator[tuple[int, int]]:
    """The clipped buckets [start, stop) from the one holding the first stored half hour of
    the range to the one holding the last: a range of a century costs what its data does."""
    start, stop = query.time_range.start, query.time_range.end + 1
    if range_query.first is None or range_query.last is None:
        return iter(())
    if query.interval == "all":
        return iter([(start, stop)])
    clock = query.clock
    low = max(start, clock.bucket_start(query.interval, range_query.first))
    high = min(stop, clock.bucket_end(query.interval, range_query.last))
    return clock.buckets(query.interval, low, high)


def _values(aggregate: Aggregate) -> tuple[int, int, int, int, int, int]:
    start, stop, count, total, low, _, high, _ = aggregate
    return (
        mean_watts(total, count),
        low * WATTS_PER_MEGAWATT,
        high * WATTS_PER_MEGAWATT,
        total * WATT_HOURS_PER_MEGAWATT_HALF_HOUR,
        count,
        half_hours_in(start, stop),
    )


def json_items(query: Query, aggregates: Iterator[Aggregate]) -> Iterator[str]:
    """The items of `data`, then its end and the `count` of buckets, known once they have streamed."""
    isoformat = query.clock.isoformat
    items = 0
    for aggregate in aggregates:
        mean, low, high, energy, count, expected = _values(aggregate)
        yield (
            f'{"," if items else ""}{{"timestamp":"{isoformat(aggregate[0])}","mean_w":{mean},"min_w":{low},'
            f'"min_at":"{isoformat(aggregate[5])}","max_w":{high},"max_at":"{isoformat(aggregate[7])}",'
            f'"energy_wh":{energy},"count":{count},"expected":{expected}}}'
        )
        items += 1
    yield f'],"count":{items}}}'


def csv_lines(query: Query, aggregates: Iterator[Aggregate]) -> Iterator[str]:
    isoformat = query.clock.isoformat
    for aggregate in aggregates:
        mean, low, high, energy, count, expected = _values(aggregate)
        when = f"{isoformat(aggregate[5])},{isoformat(aggregate[7])}"
        yield f"{isoformat(aggregate[0])},{mean},{low},{high},{energy},{count},{expected},{when}\r\n"


def render_aggregates(query: Query, range_query: RangeQuery) -> Iterator[str]:
    """The body of an aggregated response, in chunks."""
    aggregates = range_query.aggregates(buckets(query, range_query))
    if query.output == "csv":
        return chunked(CSV_HEADER, csv_lines(query, aggregates), "")
    return chunked(f'{envelope_head(query, range_query)}"data":[', json_items(query, aggregates), "")
