"""Every body the API writes, for half hours, buckets, gaps and the latest half hour.

Each kind of item is a dict built in one place, with its keys in one order. JSON is
written by orjson and CSV by the csv module from those same dicts, so both escape by
construction and CSV's columns are the JSON's keys in the JSON's order. A range's JSON
is one envelope on every route: `start`, `end`, `unit`, `interval`, `stored`, then
`data`, then its count, which a stream only knows at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from consumption.domain.clock import Clock
from consumption.domain.model import HALF_HOUR_SECONDS, WATTS_PER_MEGAWATT, Nature
from consumption.storage.reader import Freshness, Row

Item = dict[str, Any]
NATURE_LABELS = {nature.value: nature.label for nature in Nature}
HALF_HOUR_FIELDS = ("timestamp", "consumption_w", "nature")
GAP_FIELDS = ("first", "last", "half_hours")
DAY_SECONDS = 86_400
QUARTER_HOUR = 900
TIMES_OF_DAY = [f"{minutes // 60:02d}:{minutes % 60:02d}:00" for minutes in range(0, 1440, 15)]


@functools.cache
def _date_text(day: int) -> str:
    return f"{dt.date(1970, 1, 1) + dt.timedelta(days=day)}T"


class Stamps:
    """The text of instants on `clock`, as `Clock.isoformat` writes it. A UTC day whose offset
    is the same at both ends is written from cached pieces (date, time of day, offset), which
    costs a fraction of building a datetime for every row of a year."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.day = -1
        self.offset: int | None = None
        self.suffix = ""

    def _start_day(self, day: int) -> None:
        self.day = day
        ends = (day * DAY_SECONDS, (day + 1) * DAY_SECONDS - 1)
        start, end = (dt.datetime.fromtimestamp(t, self.clock.zone).utcoffset() for t in ends)
        assert start is not None and end is not None
        seconds = int(start.total_seconds())
        uniform = start == end and seconds % QUARTER_HOUR == 0
        self.offset = seconds if uniform else None
        sign, minutes = "+" if seconds >= 0 else "-", abs(seconds) // 60
        self.suffix = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"

    def __call__(self, instant: int) -> str:
        if instant // DAY_SECONDS != self.day:
            self._start_day(instant // DAY_SECONDS)
        if self.offset is None or instant % QUARTER_HOUR:
            return self.clock.isoformat(instant)
        day, seconds = divmod(instant + self.offset, DAY_SECONDS)
        return f"{_date_text(day)}{TIMES_OF_DAY[seconds // QUARTER_HOUR]}{self.suffix}"

    def optional(self, instant: int | None) -> str | None:
        return None if instant is None else self(instant)


def half_hour_items(rows: list[Row], stamp: Stamps) -> list[Item]:
    return [
        {"timestamp": stamp(timestamp), "consumption_w": mw * WATTS_PER_MEGAWATT, "nature": NATURE_LABELS[nature]}
        for timestamp, mw, nature in rows
    ]


def gap_items(runs: list[tuple[int, int]], stamp: Stamps) -> list[Item]:
    return [
        {"first": stamp(first), "last": stamp(last), "half_hours": (last - first) // HALF_HOUR_SECONDS + 1}
        for first, last in runs
    ]


def envelope(start: str, end: str, interval: str | None, freshness: Freshness, stamp: Stamps) -> Item:
    """What a range's JSON says before `data`: the resolved bounds, unit and interval, and the
    stored span, so that an empty answer says what exists."""
    head: Item = {"start": start, "end": end}
    if interval is not None:
        head |= {"unit": "W", "interval": interval}
    head["stored"] = {"first": stamp.optional(freshness.first), "last": stamp.optional(freshness.last)}
    return head


class JsonFormat:
    media_type = "application/json"
    separator = b","

    def head(self, envelope: Mapping[str, Any], fields: Iterable[str]) -> bytes:
        return orjson.dumps(envelope)[:-1] + b',"data":['

    def items(self, items: list[Item]) -> bytes:
        return orjson.dumps(items)[1:-1]

    def tail(self, name: str, count: int) -> bytes:
        return b"]," + orjson.dumps({name: count})[1:]


class CsvFormat:
    media_type = "text/csv; charset=utf-8"
    separator = b""

    def head(self, envelope: Mapping[str, Any], fields: Iterable[str]) -> bytes:
        return self._lines([fields])

    def items(self, items: list[Item]) -> bytes:
        return self._lines(item.values() for item in items)

    def tail(self, name: str, count: int) -> bytes:
        return b""

    @staticmethod
    def _lines(rows: Iterable[Iterable[Any]]) -> bytes:
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerows(rows)
        return text.getvalue().encode()


Format = JsonFormat | CsvFormat
FORMATS: dict[str, Format] = {"json": JsonFormat(), "csv": CsvFormat()}


def whole_body(output: Format, head: Item, fields: Iterable[str], items: list[Item], count: tuple[str, int]) -> bytes:
    """A body written at once: the same bytes as the head, the items and the tail of a stream."""
    return output.head(head, fields) + (output.items(items) if items else b"") + output.tail(*count)
