"""Paris wall-clock time, the clock RTE's files and the API's naive date-times use.

Instants are stored as UTC Unix seconds; these functions convert between the two
and know what happens on the days the clock changes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400


def exists_in_paris(naive: dt.datetime) -> bool:
    """False for the wall-clock times skipped when the clock springs forward."""
    aware = naive.replace(tzinfo=PARIS)
    back = aware.astimezone(dt.UTC).astimezone(PARIS).replace(tzinfo=None)
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


def utc_midnight(day: dt.date) -> int | None:
    """UTC seconds of `day`'s Paris midnight when one offset holds all day; None on clock-change days."""
    offset = _day_offset(day)
    if offset is None:
        return None
    return (day.toordinal() - _EPOCH_ORDINAL) * _SECONDS_PER_DAY - offset


def wall_clock_to_utc(day: dt.date, minutes: int) -> int | None:
    """UTC Unix seconds of `minutes` after midnight on `day` in Paris; None if it does not exist.

    The same as `paris_to_utc`, but fast on the 363 days a year the clock does not change.
    """
    midnight = utc_midnight(day)
    if midnight is None:
        return paris_to_utc(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))
    return midnight + minutes * 60


def utc_to_paris(timestamp: int) -> dt.datetime:
    """The Paris date-time, with its offset, of a UTC Unix timestamp."""
    return dt.datetime.fromtimestamp(timestamp, PARIS)


def _offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    return f"{sign}{abs(seconds) // 3600:02d}:{abs(seconds) % 3600 // 60:02d}"


def _offset_at(timestamp: int) -> int:
    offset = utc_to_paris(timestamp).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@functools.cache
def _offset_changes(first_year: int = 1970, last_year: int = 2100) -> tuple[list[int], list[tuple[int, str]]]:
    """The instants at which Paris's UTC offset changes, and the offset from each on.

    Found by sampling each day, then bisecting to the second; about 0.1 s, once.
    """
    day = 86_400
    start = int(dt.datetime(first_year, 1, 1, tzinfo=dt.UTC).timestamp())
    stop = int(dt.datetime(last_year, 1, 1, tzinfo=dt.UTC).timestamp())
    instants, offsets = [start], [_offset_at(start)]
    for t in range(start + day, stop, day):
        offset = _offset_at(t)
        if offset != offsets[-1]:
            low, high = t - day, t  # the offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(middle) == offsets[-1]:
                    low = middle
                else:
                    high = middle
            instants.append(high)
            offsets.append(offset)
    instants.append(stop)  # beyond: computed by zoneinfo
    return instants, [(offset, _offset_text(offset)) for offset in offsets]


_HALF_HOURS_OF_DAY = [f"{h:02d}:{m:02d}:00" for h in range(24) for m in (0, 30)]
_date_texts: dict[int, str] = {}


def paris_isoformat(timestamp: int) -> str:
    """ISO 8601 with the Paris offset of that instant: `2025-01-01T06:00:00+01:00`.

    The API writes one per half hour, so this is a fast path of
    `utc_to_paris(timestamp).isoformat()` (4x faster, measured): a table of offset
    changes, dates cached by day, times of day at :00 and :30 precomputed.
    """
    instants, offsets = _offset_changes()
    index = bisect.bisect_right(instants, timestamp) - 1
    if not 0 <= index < len(offsets) or type(timestamp) is not int:
        return utc_to_paris(timestamp).isoformat()
    offset, offset_text = offsets[index]
    day, seconds = divmod(timestamp + offset, 86_400)
    date = _date_texts.get(day)
    if date is None:
        if len(_date_texts) > 100_000:  # bounded: 270 years of days
            _date_texts.clear()
        date = _date_texts[day] = dt.date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
    if seconds % 1800:
        time_of_day = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    else:
        time_of_day = _HALF_HOURS_OF_DAY[seconds // 1800]
    return f"{date}T{time_of_day}{offset_text}"
