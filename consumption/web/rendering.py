"""Every body the API writes, for half hours, buckets, gaps and the latest half hour.

Each kind of item is a dict built in one place, with its keys in one order. JSON is
written by orjson and CSV by the csv module from those same dicts, so both escape by
construction and CSV's columns are the JSON's keys in the JSON's order. Half hours, the
many, are text joined from parts that orjson or the csv module wrote once (per date, time
of day and nature) around each row's watts: the same bytes without a dict per row. A
range's JSON is one envelope on every route: `start`, `end`, `unit`, `interval`, `stored`,
then `data`, then its count, which a stream only knows at the end.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from starlette.responses import Response

from consumption.domain.clock import Clock, clock
from consumption.domain.model import HALF_HOUR_SECONDS, WATTS_PER_MEGAWATT, Nature
from consumption.storage.reader import Freshness, Row
from consumption.web.params import TimeRange

Item = dict[str, Any]
Headers = dict[str, str]
NATURE_LABELS = {nature.value: nature.label for nature in Nature}
HALF_HOUR_FIELDS = ("timestamp", "consumption_w", "nature")
GAP_FIELDS = ("first", "last", "half_hours")
DAY_SECONDS = 86_400
EPOCH = dt.date(1970, 1, 1)
WHOLE_DAY = range(48)


@functools.cache
def _times_of_day(offset: int, output: Parts) -> tuple[str, ...]:
    """The parts after the date of the 48 half hours of a UTC day, at `offset`, from UTC midnight on."""
    sign, minutes = "+" if offset >= 0 else "-", abs(offset) // 60
    suffix = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    local = (offset // 60 + m for m in range(0, 1440, 30))
    return tuple(output.time_part(f"{m % 1440 // 60:02d}:{m % 60:02d}:00{suffix}") for m in local)


# A day is 48 references to two date parts and to its offset's shared time parts: 8192 days
# (22 years in one format) in about 7 MB.
@functools.lru_cache(maxsize=8192)
def _day_parts(zone: str, day: int, output: Parts) -> tuple[Sequence[str], Sequence[str]]:
    """The parts of `output`'s rows of the 48 half hours of UTC day `day` on the clock of `zone`
    before their watts: the date's and the time's, from the day's offset when it is the same all
    day and a whole number of minutes, else all in the time's, as `Clock.isoformat` writes them."""
    start = day * DAY_SECONDS
    first, last = (clock(zone).local(t).utcoffset() for t in (start, start + DAY_SECONDS - 1))
    assert first is not None
    offset = int(first.total_seconds())
    if first != last or offset % 60:
        texts = (clock(zone).isoformat(start + i * HALF_HOUR_SECONDS) for i in range(48))
        return [output.date_part("")] * 48, [output.time_part(text) for text in texts]
    date, second = divmod(start + offset, DAY_SECONDS)
    before, after = (output.date_part(f"{EPOCH + dt.timedelta(days=d)}T") for d in (date, date + 1))
    split = 48 - second // HALF_HOUR_SECONDS  # the half hours before local midnight
    return [before] * split + [after] * (48 - split), _times_of_day(offset, output)


@functools.cache
def _nature_parts(output: Format) -> dict[int, str]:
    return {nature: output.nature_part(label) for nature, label in NATURE_LABELS.items()}


class Stamps:
    """The text of instants on `clock`, as `Clock.isoformat` writes it; those of the half-hour
    grid from a cache of each day's texts, which costs a fraction of a datetime per row."""

    def __init__(self, on: Clock) -> None:
        self.clock = on

    def __call__(self, instant: int) -> str:
        day, second = divmod(instant, DAY_SECONDS)
        if second % HALF_HOUR_SECONDS:
            return self.clock.isoformat(instant)
        dates, times = _day_parts(self.clock.name, day, TEXTS)
        return dates[second // HALF_HOUR_SECONDS] + times[second // HALF_HOUR_SECONDS]

    def optional(self, instant: int | None) -> str | None:
        return None if instant is None else self(instant)

    def rows(self, rows: list[Row], output: Format, head: bytes = b"", tail: bytes = b"") -> bytes:
        """The rows (on the grid, in time order) as `output` writes them, a UTC day at a time,
        between `head` and `tail`: a year is one join and one copy."""
        lines = [head.decode()]
        natures = _nature_parts(output)
        start = 0
        while start < len(rows):
            day = rows[start][0] // DAY_SECONDS
            stop = bisect.bisect_left(rows, ((day + 1) * DAY_SECONDS,), start)
            of_day = rows[start:stop]
            dates, times = _day_parts(self.clock.name, day, output)
            indices = WHOLE_DAY if len(of_day) == 48 else [t % DAY_SECONDS // HALF_HOUR_SECONDS for t, _, _ in of_day]
            lines += [
                f"{dates[i]}{times[i]}{mw * WATTS_PER_MEGAWATT}{natures[nature]}"
                for i, (_, mw, nature) in zip(indices, of_day, strict=True)
            ]
            start = stop
        lines[:2] = ["".join(lines[:2])]
        lines[-1] += tail.decode()
        return output.separator.decode().join(lines).encode()


def gap_items(runs: list[tuple[int, int]], stamp: Stamps) -> list[Item]:
    return [
        {"first": stamp(first), "last": stamp(last), "half_hours": (last - first) // HALF_HOUR_SECONDS + 1}
        for first, last in runs
    ]


def envelope(time_range: TimeRange, freshness: Freshness, stamp: Stamps, **asked: str | None) -> Item:
    """What a range's JSON says before `data`: the resolved bounds, what was asked (the unit
    first), and the stored span, so that an empty answer says what exists."""
    stored = {"first": stamp.optional(freshness.first), "last": stamp.optional(freshness.last)}
    return {"start": time_range.start_text, "end": time_range.end_text, **asked, "stored": stored}


# A half hour's row is cut from what orjson or the csv module writes: nothing is escaped by hand.
class JsonFormat:
    media_type = "application/json"
    separator = b","

    def date_part(self, text: str) -> str:
        return orjson.dumps({"timestamp": text}).decode()[:-2]

    def time_part(self, text: str) -> str:
        return orjson.dumps({"timestamp": text, "consumption_w": 0}).decode()[len('{"timestamp":"') : -2]

    def nature_part(self, label: str) -> str:
        return "," + orjson.dumps({"nature": label}).decode()[1:]

    def head(self, envelope: Mapping[str, Any], fields: Iterable[str]) -> bytes:
        return orjson.dumps(envelope)[:-1] + b',"data":['

    def items(self, items: list[Item]) -> bytes:
        return orjson.dumps(items)[1:-1]

    def tail(self, name: str, count: int) -> bytes:
        return b"]," + orjson.dumps({name: count})[1:]


class CsvFormat:
    media_type = "text/csv; charset=utf-8"
    separator = b""

    def date_part(self, text: str) -> str:
        return self._lines([[text, ""]]).decode()[:-3]

    def time_part(self, text: str) -> str:
        return self._lines([[text, ""]]).decode()[:-2]

    def nature_part(self, label: str) -> str:
        return self._lines([["", label]]).decode()

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


class Texts:
    """The texts of instants themselves, in parts as the formats' rows have them."""

    def date_part(self, text: str) -> str:
        return text

    def time_part(self, text: str) -> str:
        return text


Format = JsonFormat | CsvFormat
Parts = JsonFormat | CsvFormat | Texts
TEXTS = Texts()


def whole(
    output: Format, envelope: Item, fields: Iterable[str], items: list[Item], count: tuple[str, int], headers: Headers
) -> Response:
    """The same bytes as the head, the items and the tail of a stream, answered at once."""
    body = output.head(envelope, fields) + output.items(items) + output.tail(*count)
    return Response(body, media_type=output.media_type, headers=headers)


FORMATS: dict[str, Format] = {"json": JsonFormat(), "csv": CsvFormat()}
