"""The wall clock of an IANA time zone, on zoneinfo: ISO 8601 text with the offset, local
wall-clock times to UTC (and which ones the clock skips), the first instant of a local
date, and the boundaries of local hours, days, weeks (from Monday), months and years.
Paris is one of them: the clock of RTE's files and of the service's own dates.

Instants are UTC Unix seconds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import time
import zoneinfo
from collections.abc import Iterator

DEFAULT_ZONE = "Europe/Paris"
DAY = 86_400
HALF_HOUR = 1800
INTERVALS = ("half-hour", "hour", "day", "week", "month", "year", "all")

# Every IANA zone zoneinfo can load (the pinned `tzdata` package, and the system's): what
# `tz=` accepts. Not `localtime`, a system's link to its own zone, which names no IANA zone.
ZONE_NAMES = tuple(sorted(zoneinfo.available_timezones() - {"localtime"}))
KNOWN_ZONES = frozenset(ZONE_NAMES)  # for lookups

CACHED_DAYS = 8192  # days of text that `isoformat` keeps, all zones together
_HALF_HOURS = [f"T{h:02d}:{m:02d}:00" for h in range(24) for m in (0, 30)]
_EPOCH = dt.date(1970, 1, 1)


class Clock:
    """One zone's wall clock."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.zone = zoneinfo.ZoneInfo(name)

    def local(self, instant: int) -> dt.datetime:
        """The local date-time, with its offset, of `instant`."""
        return dt.datetime.fromtimestamp(instant, self.zone)

    def exists(self, naive: dt.datetime) -> bool:
        """False for the wall-clock times that the clock skips when it springs forward."""
        aware = naive.replace(tzinfo=self.zone)
        return dt.datetime.fromtimestamp(aware.timestamp(), self.zone) == aware

    def to_utc(self, naive: dt.datetime) -> int | None:
        """UTC seconds of a local wall-clock time; None when the clock skips it.

        A time that happens twice (when the clock falls back) is taken at its first
        occurrence: summer time in Paris, as in RTE's files.
        """
        if not self.exists(naive):
            return None
        return int(naive.replace(tzinfo=self.zone, fold=0).timestamp())

    def today(self) -> dt.date:
        """Today on this clock, whatever the host's own time zone."""
        return dt.datetime.fromtimestamp(time.time(), self.zone).date()

    def day_start(self, day: dt.date) -> int:
        """The first instant of the local date `day`: its midnight, or the end of a clock
        change that skips it."""
        return _day_start(self, day)

    def _day_start(self, day: dt.date) -> int:
        midnight = dt.datetime.combine(day, dt.time(), self.zone)
        start = int(midnight.timestamp())
        if self.local(start) == midnight:
            return start
        # Skipped: read with the offset after the change, it falls before the change.
        return self._change(int(midnight.replace(fold=1).timestamp()), start)

    def _change(self, before: int, after: int) -> int:
        """The instant in (before, after] where the offset becomes that of `after`."""
        offset = self.local(after).utcoffset()
        instants = range(before + 1, after + 1)
        return instants[bisect.bisect_left(instants, True, key=lambda t: self.local(t).utcoffset() == offset)]

    def isoformat(self, instant: int) -> str:
        """`2025-01-01T06:00:00+01:00`: the local time of `instant` with its offset.

        The API writes one per half hour: the offset of each UTC day is looked up once,
        and the texts of dates and of the times of day at :00 and :30 are reused.
        """
        known = _day_offset(self.zone, instant // DAY)
        if known is not None:
            offset, offset_text = known
            day, seconds = divmod(instant + offset, DAY)
            if seconds % HALF_HOUR == 0:
                return _date_text(day) + _HALF_HOURS[seconds // HALF_HOUR] + offset_text
        return self.local(instant).isoformat()

    def buckets(self, interval: str, start: int, stop: int) -> Iterator[tuple[int, int]]:
        """The buckets of `interval` that cover [start, stop), each clipped to it, in order."""
        low = start
        while low < stop:
            high = stop if interval == "all" else min(stop, self.bucket_end(interval, low))
            yield low, high
            low = high

    def bucket_start(self, interval: str, instant: int) -> int:
        """The start of the bucket of `interval` (not `all`) that holds `instant`."""
        if interval == "hour":  # a local hour at one offset: a change of offset also starts one
            top, offset = self._hour(instant)
            return top if self.local(top).utcoffset() == offset else self._change(top, instant)
        first, following = _dates(interval, self.local(instant).date())
        end = self.day_start(following)
        return end if end <= instant else self.day_start(first)

    def bucket_end(self, interval: str, instant: int) -> int:
        """The end of the bucket of `interval` (not `all`) that holds `instant`."""
        if interval == "hour":
            known = _day_offset(self.zone, instant // DAY)
            if known is not None:  # no change of offset this UTC day: the local hour's end, if the next has none
                end = instant - (instant + known[0]) % 3600 + 3600
                if _day_offset(self.zone, (end - 1) // DAY) == known:
                    return end
            top, offset = self._hour(instant)
            return top + 3600 if self.local(top + 3599).utcoffset() == offset else self._change(instant, top + 3599)
        following = _dates(interval, self.local(instant).date())[1]
        end = self.day_start(following)
        # A clock falling back across midnight takes the date back: `instant` is in the next bucket.
        return end if end > instant else self.day_start(_dates(interval, following)[1])

    def _hour(self, instant: int) -> tuple[int, dt.timedelta | None]:
        """The start of the local hour of `instant` at its offset, and that offset."""
        local = self.local(instant)
        return instant - local.minute * 60 - local.second, local.utcoffset()


def _dates(interval: str, date: dt.date) -> tuple[dt.date, dt.date]:
    """The first date of the day, week, month or year holding `date`, and of the next one."""
    if interval == "day":
        return date, date + dt.timedelta(1)
    if interval == "week":
        monday = date - dt.timedelta(date.weekday())
        return monday, monday + dt.timedelta(7)
    if interval == "month":
        return date.replace(day=1), dt.date(date.year + date.month // 12, date.month % 12 + 1, 1)
    if interval == "year":
        return date.replace(month=1, day=1), dt.date(date.year + 1, 1, 1)
    raise ValueError(f"unknown interval {interval!r}")


@functools.lru_cache(maxsize=CACHED_DAYS)
def _day_offset(zone: zoneinfo.ZoneInfo, day: int) -> tuple[int, str] | None:
    """The UTC offset of UTC `day` in seconds, and its text; None if it changes that day
    (tzdata's changes are days apart: a day's two ends at one offset keep it all day)."""
    first, last = (dt.datetime.fromtimestamp(instant, zone) for instant in (day * DAY, day * DAY + DAY - 1))
    offset = first.utcoffset()
    if offset is None or offset != last.utcoffset():
        return None
    return int(offset.total_seconds()), first.isoformat()[19:]


@functools.lru_cache(maxsize=CACHED_DAYS)  # buckets of days, weeks, months: the same days again and again
def _day_start(clock: Clock, day: dt.date) -> int:
    return clock._day_start(day)


@functools.lru_cache(maxsize=CACHED_DAYS)
def _date_text(day: int) -> str:
    """The ISO text of the date `day` days after 1970-01-01."""
    return (_EPOCH + dt.timedelta(day)).isoformat()


@functools.lru_cache(maxsize=64)
def clock(name: str) -> Clock:
    """The clock of an IANA zone name of KNOWN_ZONES."""
    return Clock(name)


def half_hours_in(start: int, stop: int) -> int:
    """How many half hours of the UTC grid start in [start, stop)."""
    return -(-stop // HALF_HOUR) - -(-start // HALF_HOUR)


PARIS = clock("Europe/Paris")  # the clock of RTE's files and of the service's own dates
