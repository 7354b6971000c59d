"""Records and typical days in SQL: the highest or lowest half hours of a range, the buckets
with the highest peak (lowest trough), and the count, sum, minimum and maximum of each
wall-clock half hour. Each is one statement in the request's snapshot."""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence

from consumption.domain.clock import DAY, Clock
from consumption.storage.reader import Row, Snapshot

ORDERS = {"highest": "DESC", "lowest": "ASC"}
EXTREMES = {"highest": "max", "lowest": "min"}

PEAK_HALF_HOURS = """
SELECT timestamp, consumption_mw, nature FROM consumption WHERE timestamp BETWEEN ?1 AND ?2
ORDER BY consumption_mw {order}, timestamp LIMIT ?3"""

# Each bucket's extreme (a lookup of its own: no sort of the rows), the `n` buckets in order of
# it, then when each first reached it.
PEAK_BUCKETS = """
WITH bucket (start, stop) AS (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)),
extreme (start, stop, mw) AS (
    SELECT start, stop, (SELECT {extreme}(consumption_mw) FROM consumption
                         WHERE timestamp >= bucket.start AND timestamp < bucket.stop) AS mw
    FROM bucket WHERE mw IS NOT NULL ORDER BY mw {order}, start LIMIT ?2)
SELECT start, mw, (SELECT min(timestamp) FROM consumption
                   WHERE timestamp >= extreme.start AND timestamp < extreme.stop AND consumption_mw = extreme.mw)
FROM extreme ORDER BY mw {order}, start"""

# A half hour's wall-clock slot (0 for 00:00 … 47 for 23:30) and ISO weekday (1 Monday …
# 7 Sunday) from its UTC start and the zone's offset then: each stretch of one offset is a segment.
PROFILE = """
WITH segment (start, stop, offset) AS (
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?1))
SELECT {weekday} AS weekday, (timestamp + offset) % 86400 / 1800 AS slot,
       count(*), sum(consumption_mw), min(consumption_mw), max(consumption_mw)
FROM segment JOIN consumption ON timestamp >= segment.start AND timestamp < segment.stop
GROUP BY weekday, slot"""
WEEKDAY = "((timestamp + offset) / 86400 + 3) % 7 + 1"  # 1970-01-01 was a Thursday


def peak_half_hours(snapshot: Snapshot, start: int, end: int, n: int, order: str) -> list[Row]:
    """The `n` half hours of [start, end] with the highest (lowest) consumption, ties earliest first."""
    sql = PEAK_HALF_HOURS.format(order=ORDERS[order])
    return snapshot.connection.execute(sql, (start, end, n)).fetchall()


def peak_buckets(snapshot: Snapshot, buckets: Sequence[tuple[int, int]], n: int, order: str) -> list[Row]:
    """(start, MW, when first reached) of the `n` buckets [start, stop) with the highest peak
    (lowest trough), ties earliest bucket first."""
    sql = PEAK_BUCKETS.format(order=ORDERS[order], extreme=EXTREMES[order])
    return snapshot.connection.execute(sql, (json.dumps(buckets), n)).fetchall()


def profile(snapshot: Snapshot, segments: Sequence[tuple[int, int, int]], by_weekday: bool) -> list[tuple[int, ...]]:
    """(weekday or 0, slot, count, sum, min, max) of each wall-clock slot that holds data."""
    sql = PROFILE.format(weekday=WEEKDAY if by_weekday else "0")
    return snapshot.connection.execute(sql, (json.dumps(segments),)).fetchall()


def offset_segments(clock: Clock, start: int, stop: int) -> list[tuple[int, int, int]]:
    """[start, stop) cut where the zone's UTC offset changes: (from, to, offset in seconds),
    looked up a day at a time (changes are days apart), then found to the second."""

    def offset(instant: int) -> int:
        delta = clock.local(instant).utcoffset()
        return 0 if delta is None else int(delta.total_seconds())

    segments, low, current = [], start, offset(start)
    for day in range(start, stop, DAY):
        last = min(day + DAY, stop) - 1
        if offset(last) != current:
            instants = range(day, last + 1)
            change = instants[bisect.bisect_left(instants, True, key=lambda t: offset(t) != current)]
            segments.append((low, change, current))
            low, current = change, offset(change)
    return [*segments, (low, stop, current)]
