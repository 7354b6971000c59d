"""The wall clock of an IANA time zone, as the API needs it: UTC offsets over time, ISO 8601
text with the offset, the first instant of a local date, and the boundaries of local
hours, days, weeks (from Monday), months and years.

Instants are UTC Unix seconds. A zone's offsets are found per UTC year, by sampling each
day and bisecting to the second where the offset changes (zoneinfo does not expose its
transitions), and kept: about 0.5 ms per zone and year, once.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import importlib.resources
from collections.abc import Iterator
from typing import NamedTuple
from zoneinfo import ZoneInfo

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a bound may name
DEFAULT_ZONE = "Europe/Paris"
DAY = 86_400
HALF_HOUR = 1800
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
INTERVALS = ("half-hour", "hour", "day", "week", "month", "year", "all")


def _zone_names() -> tuple[str, ...]:
    """Every zone of the pinned `tzdata` package: what `tz=` accepts, on any machine."""
    text = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return tuple(sorted(text.split()))


ZONE_NAMES = _zone_names()
_ZONE_SET = frozenset(ZONE_NAMES)


class Segment(NamedTuple):
    """Instants [start, stop) during which the zone's UTC offset is `offset` seconds."""

    start: int
    stop: int
    offset: int


def offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{secs:02d}" if secs else text


_HALF_HOURS = [f"{h:02d}:{m:02d}:00" for h in range(24) for m in (0, 30)]
_DATES: dict[int, str] = {}  # ISO text of dates, by days since 1970-01-01: the same in every zone
_offset_text = functools.lru_cache(maxsize=256)(offset_text)


class Clock:
    """One zone's wall clock between FIRST_YEAR - 1 and LAST_YEAR + 1 (UTC years)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.zone = ZoneInfo(name)
        self._years: dict[int, list[Segment]] = {}
        self._last = Segment(0, 0, 0)  # the segment of the last instant asked about

    def _offset_at(self, instant: int) -> int:
        offset = dt.datetime.fromtimestamp(instant, self.zone).utcoffset()
        assert offset is not None
        return int(offset.total_seconds())

    def _year(self, year: int) -> list[Segment]:
        segments = self._years.get(year)
        if segments is None:
            start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
            stop = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp())
            segments, low, offset = [], start, self._offset_at(start)
            previous = start
            for sample in [*range(start + DAY, stop, DAY), stop - 1]:
                while self._offset_at(sample) != offset:
                    before, after = previous, sample  # the offset changes in (before, after]
                    while after - before > 1:
                        middle = (before + after) // 2
                        if self._offset_at(middle) == offset:
                            before = middle
                        else:
                            after = middle
                    segments.append(Segment(low, after, offset))
                    low = previous = after
                    offset = self._offset_at(after)
                previous = sample
            segments.append(Segment(low, stop, offset))
            self._years[year] = segments
        return segments

    def segment(self, instant: int) -> Segment:
        """The constant-offset segment holding `instant` (cut at UTC year ends)."""
        last = self._last
        if last.start <= instant < last.stop:
            return last
        segments = self._year(dt.datetime.fromtimestamp(instant, dt.UTC).year)
        found = segments[bisect.bisect_right(segments, instant, key=lambda s: s.start) - 1]
        self._last = found
        return found

    def offset(self, instant: int) -> int:
        return self.segment(instant).offset

    def isoformat(self, instant: int) -> str:
        """`2025-01-01T06:00:00+01:00`: the local time of `instant` with its offset.

        The API writes one per half hour: date texts are cached by day, the times of
        day at :00 and :30 precomputed, and offset texts cached.
        """
        last = self._last
        if not last.start <= instant < last.stop:
            last = self.segment(instant)
        offset = last.offset
        day, seconds = divmod(instant + offset, DAY)
        date = _DATES.get(day)
        if date is None:
            if len(_DATES) > 50_000:  # bounded: 137 years of days, about 7 MB
                _DATES.clear()
            date = _DATES[day] = dt.date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
        if seconds % HALF_HOUR == 0:
            return f"{date}T{_HALF_HOURS[seconds // HALF_HOUR]}{_offset_text(offset)}"
        hours, rest = divmod(seconds, 3600)
        return f"{date}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{_offset_text(offset)}"

    def day_start(self, day: int) -> int:
        """The first instant whose local date is `day` or later (local midnight, or the end of
        a clock change that skips it)."""
        midnight = day * DAY
        for year in sorted({dt.datetime.fromtimestamp(midnight + shift, dt.UTC).year for shift in (-DAY, DAY)}):
            for segment in self._year(year):
                if segment.stop <= midnight - DAY:
                    continue
                candidate = midnight - segment.offset
                if candidate < segment.start:
                    return segment.start
                if candidate < segment.stop:
                    return candidate
        raise ValueError(f"no local day {day} in {self.name}")  # pragma: no cover: beyond the years

    def buckets(self, interval: str, start: int, stop: int) -> Iterator[tuple[int, int]]:
        """The buckets of `interval` that cover [start, stop), each clipped to it, in order."""
        if interval == "all":
            yield start, stop
            return
        low = start
        while low < stop:
            high = min(stop, self.bucket_end(interval, low))
            yield low, high
            low = high

    def bucket_start(self, interval: str, instant: int) -> int:
        """The start of the bucket of `interval` (not `all`) that holds `instant`."""
        segment = self.segment(instant)
        if interval == "hour":
            start = (instant + segment.offset) // 3600 * 3600 - segment.offset
            if start >= segment.start or self.offset(segment.start - 1) == segment.offset:
                return start
            return segment.start
        day = (instant + segment.offset) // DAY
        date = dt.date.fromordinal(_EPOCH_ORDINAL + day)
        if interval == "week":
            day -= date.weekday()
        elif interval == "month":
            day -= date.day - 1
        elif interval == "year":
            day = dt.date(date.year, 1, 1).toordinal() - _EPOCH_ORDINAL
        elif interval != "day":
            raise ValueError(f"unknown interval {interval!r}")
        return self.day_start(day)

    def bucket_end(self, interval: str, instant: int) -> int:
        """The end of the bucket of `interval` that holds `instant`."""
        segment = self.segment(instant)
        if interval == "hour":
            # A local hour at one offset: a change of offset also ends it.
            end = ((instant + segment.offset) // 3600 + 1) * 3600 - segment.offset
            if end <= segment.stop or self.offset(segment.stop) == segment.offset:
                return end  # (a segment also stops at the end of a UTC year)
            return segment.stop
        day = (instant + segment.offset) // DAY
        if interval == "day":
            following = day + 1
        else:
            date = dt.date.fromordinal(_EPOCH_ORDINAL + day)
            if interval == "week":
                following = day + 7 - date.weekday()
            elif interval == "month":
                first = dt.date(date.year + date.month // 12, date.month % 12 + 1, 1)
                following = first.toordinal() - _EPOCH_ORDINAL
            elif interval == "year":
                following = dt.date(date.year + 1, 1, 1).toordinal() - _EPOCH_ORDINAL
            else:
                raise ValueError(f"unknown interval {interval!r}")
        candidate = following * DAY - segment.offset
        if instant < candidate < segment.stop:
            return candidate  # the common case: the next local midnight, at the same offset
        return self.day_start(following)


@functools.lru_cache(maxsize=64)
def clock(name: str) -> Clock:
    """The clock of an IANA zone name that `is_zone` accepts."""
    return Clock(name)


def is_zone(name: str) -> bool:
    return name in _ZONE_SET


def half_hours_in(start: int, stop: int) -> int:
    """How many half hours of the UTC grid start in [start, stop)."""
    return -(-stop // HALF_HOUR) - -(-start // HALF_HOUR)
