"""Paris wall-clock time, the clock RTE's files and the API's naive date-times use.

Instants are stored as UTC Unix seconds; these functions convert between the two
and know what happens on the days the clock changes.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400


def exists_in_paris(naive: dt.datetime) -> bool:
    """False for the wall-clock times skipped when the clock springs forward."""
    aware = naive.replace(tzinfo=PARIS)
    back = aware.astimezone(dt.timezone.utc).astimezone(PARIS).replace(tzinfo=None)
    return back == naive


def paris_to_utc(naive: dt.datetime) -> int | None:
    """UTC Unix seconds of a Paris wall-clock time; None when that time does not exist.

    A time that happens twice (the fall-back hour) is taken at its first occurrence,
    still in summer time.
    """
    if not exists_in_paris(naive):
        return None
    return int(naive.replace(tzinfo=PARIS, fold=0).timestamp())


@functools.lru_cache(maxsize=8192)
def _day_offset(day: dt.date) -> int | None:
    """The UTC offset in seconds that holds all day long, or None on a day the clock changes."""
    first = PARIS.utcoffset(dt.datetime.combine(day, dt.time(0, 0)))
    last = PARIS.utcoffset(dt.datetime.combine(day, dt.time(23, 59)))
    if first != last or first is None:
        return None
    return int(first.total_seconds())


def wall_clock_to_utc(day: dt.date, minutes: int) -> int | None:
    """UTC Unix seconds of `minutes` after midnight on `day` in Paris; None if it does not exist.

    The same as `paris_to_utc`, but fast on the 363 days a year the clock does not change.
    """
    offset = _day_offset(day)
    if offset is None:
        return paris_to_utc(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))
    return (day.toordinal() - _EPOCH_ORDINAL) * _SECONDS_PER_DAY + minutes * 60 - offset


def utc_to_paris(timestamp: int) -> dt.datetime:
    """The Paris date-time, with its offset, of a UTC Unix timestamp."""
    return dt.datetime.fromtimestamp(timestamp, PARIS)


def paris_isoformat(timestamp: int) -> str:
    """ISO 8601 with the Paris offset of that instant: `2025-01-01T06:00:00+01:00`."""
    return utc_to_paris(timestamp).isoformat()
