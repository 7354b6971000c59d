"""The wall clock of an IANA time zone: UTC offsets over time, ISO 8601 text with the
offset, local wall-clock times to UTC (and which ones the clock skips), the first instant
of a local date, and the boundaries of local hours, days, weeks (from Monday), months and
years. Paris is one of them: the clock of RTE's files and of the service's own dates.

Instants are UTC Unix seconds. A zone's offsets are found per UTC year, by sampling each
day and bisecting to the second where the offset changes (zoneinfo does not expose its
transitions), and kept: about 0.5 ms per zone and year, once.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator
from typing import NamedTuple

DEFAULT_ZONE = "Europe/Paris"
DAY = 86_400
HALF_HOUR = 1800
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
INTERVALS = ("half-hour", "hour", "day", "week", "month", "year", "all")


# Every IANA zone zoneinfo can load (the pinned `tzdata` package, and the system's): what
# `tz=` accepts. Not `localtime`, a system's link to its own zone, which names no IANA zone.
ZONE_NAMES = tuple(sorted(zoneinfo.available_timezones() - {"localtime"}))
KNOWN_ZONES = frozenset(ZONE_NAMES)  # for lookups


class Segment(NamedTuple):
    """Instants [start, stop) during which the zone's UTC offset is `offset` seconds."""

    start: int
    stop: int
    offset: int


@functools.lru_cache(maxsize=256)
def offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{secs:02d}" if secs else text


_HALF_HOURS = [f"{h:02d}:{m:02d}:00" for h in range(24) for m in (0, 30)]
_DATES: dict[int, str] = {}  # ISO text of dates, by days since 1970-01-01: the same in every zone


class Clock:
    """One zone's wall clock; its offsets are found per UTC year, when first asked about."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.zone = zoneinfo.ZoneInfo(name)
        self._years: dict[int, list[Segment]] = {}
        self._last = Segment(0, 0, 0)  # the segment of the last instant asked about

    def local(self, instant: int) -> dt.datetime:
        """The local date-time, with its offset, of `instant`."""
        return dt.datetime.fromtimestamp(instant, self.zone)

    def exists(self, naive: dt.datetime) -> bool:
        """False for the wall-clock times that the clock skips when it springs forward."""
        aware = naive.replace(tzinfo=self.zone)
        return aware.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None) == naive

    def to_utc(self, naive: dt.datetime) -> int | None:
        """UTC seconds of a local wall-clock time; None when the clock skips it.

        A time that happens twice (when the clock falls back) is taken at its first
        occurrence: summer time in Paris, as in RTE's files.
        """
        if not self.exists(naive):
            return None
        return int(naive.replace(tzinfo=self.zone, fold=0).timestamp())

    def utc_midnight(self, day: dt.date) -> int | None:
        """UTC seconds of `day`'s local midnight when the day lasts 24 hours; None on the days
        the clock changes."""
        number = day.toordinal() - _EPOCH_ORDINAL
        midnight = self.day_start(number)
        return midnight if self.day_start(number + 1) - midnight == DAY else None

    def wall_clock_to_utc(self, day: dt.date, minutes: int) -> int | None:
        """`to_utc` of `minutes` after midnight on `day`, fast on the days the clock does not change."""
        midnight = self.utc_midnight(day)
        if midnight is None:
            return self.to_utc(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))
        return midnight + minutes * 60

    def _offset_at(self, instant: int) -> int:
        offset = self.local(instant).utcoffset()
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
        self._last = segments[bisect.bisect_right(segments, instant, key=lambda s: s.start) - 1]
        return self._last

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
            return f"{date}T{_HALF_HOURS[seconds // HALF_HOUR]}{offset_text(offset)}"
        hours, rest = divmod(seconds, 3600)
        return f"{date}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{offset_text(offset)}"

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
            if start >= segment.start or self.segment(segment.start - 1).offset == segment.offset:
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
            if end <= segment.stop or self.segment(segment.stop).offset == segment.offset:
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
    """The clock of an IANA zone name of KNOWN_ZONES."""
    return Clock(name)


def half_hours_in(start: int, stop: int) -> int:
    """How many half hours of the UTC grid start in [start, stop)."""
    return -(-stop // HALF_HOUR) - -(-start // HALF_HOUR)


PARIS = clock("Europe/Paris")  # the clock of RTE's files and of the service's own dates
