"""The query parameters of `/consumption`: the time range (two ISO 8601 bounds, read on the
clock of `tz` when they carry no offset), the bucket size, the zone and the output format
(a parameter, or the Accept header).

What is accepted is exactly what the OpenAPI document says (`openapi.py` fills its
patterns and lists in from here): a value the document allows is answered, any other is a
400 naming the parameter.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from typing import NamedTuple
from urllib.parse import parse_qsl

from starlette.requests import Request

from consumption.domain.clock import DEFAULT_ZONE, HALF_HOUR, INTERVALS, KNOWN_ZONES, Clock, clock

MAX_PARAMETER_LENGTH = 64
QUERY_PARAMETERS = ("start", "end", "interval", "tz", "format")
FORMATS = ("json", "csv")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a bound may name
YEARS = f"{FIRST_YEAR}–{LAST_YEAR}"
FORMS = (
    "YYYY-MM-DD, optionally followed by T (or a space) and hh:mm or hh:mm:ss, then optionally Z or ±hh:mm, "
    "such as 2019-01-01, 2019-01-01T06:00, 2019-01-01 06:00 or 2019-01-01T06:00:00+01:00"
)
# The form alone: `date.fromisoformat` and `datetime.fromisoformat` know the calendar. A `+` may
# have arrived as a space (an unencoded `+` in a URL); the text is read after `normalized`.
_HOUR_MINUTE = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_FORM = re.compile(f"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?:T{_HOUR_MINUTE}(?::[0-5][0-9])?(?:Z|[+-]{_HOUR_MINUTE})?)?")
_FRACTION = re.compile(r"[T ][0-9]{2}:[0-9]{2}:[0-9]{2}[.,][0-9]")


class BadParameter(ValueError):
    """A query parameter that cannot be used; the message names it and says what was expected."""

    def __init__(self, name: str, message: str) -> None:
        self.parameter = name
        super().__init__(f"parameter {name!r}: {message}")


class TimeRange(NamedTuple):
    """Inclusive bounds: every half hour whose start lies in [start, end], UTC seconds."""

    start: int
    end: int
    start_text: str  # the bounds as resolved, ISO 8601 with the zone's offset
    end_text: str


class Query(NamedTuple):
    """What a request to `/consumption` asks for (a tuple: parsed once, shared by equal requests)."""

    time_range: TimeRange
    interval: str  # one of clock.INTERVALS
    clock: Clock
    output: str  # json or csv

    def resolved(self) -> tuple[int, int, str, str, str]:
        """What the answer depends on, besides the data: equal for requests answered alike."""
        return (self.time_range.start, self.time_range.end, self.interval, self.clock.name, self.output)


def normalized(text: str) -> str:
    """`text` with a space read as `T` between date and time, and as `+` before an offset."""
    if len(text) > 10 and text[10] == " ":
        text = f"{text[:10]}T{text[11:]}"
    if len(text) > 16 and text[-6] == " ":
        text = f"{text[:-6]}+{text[-5:]}"
    return text


def _refused(name: str, text: str) -> BadParameter:
    """Why a bound that is not an accepted date or date-time is refused."""
    if not text:
        return BadParameter(name, f"is required: {FORMS}")
    if len(text) > MAX_PARAMETER_LENGTH:
        return BadParameter(name, f"is {len(text)} characters long; expected at most {MAX_PARAMETER_LENGTH}")
    if text[:4].isdigit() and text[4:5] == "-" and not FIRST_YEAR <= int(text[:4]) <= LAST_YEAR:
        return BadParameter(name, f"{text!r}: the year must lie in {YEARS}")
    month = text[5:7]
    if _FORM.fullmatch(normalized(text)) and month.isdigit() and 1 <= int(month) <= 12:
        length = calendar.monthrange(int(text[:4]), int(month))[1]
        month_name = f"{calendar.month_name[int(month)]} {text[:4]}"
        return BadParameter(name, f"{text!r}: no such day ({month_name} has {length} days)")
    if _FRACTION.search(text):
        return BadParameter(name, f"{text!r}: fractions of a second are refused; give whole seconds")
    return BadParameter(name, f"{text!r} is not an accepted date or date-time of {YEARS}; expected {FORMS}")


def parse_bound(name: str, text: str, zone: Clock, *, is_end: bool) -> int:
    """UTC seconds of one bound.

    A date alone is that day's first instant as a start, and its last half hour as an
    end. A date-time without offset is wall-clock time in `zone`: one that the clock
    skips is refused; one that happens twice is its first occurrence (summer time in
    Paris, as in RTE's files).
    """
    read = normalized(text)
    try:
        if not _FORM.fullmatch(read) or not FIRST_YEAR <= int(read[:4]) <= LAST_YEAR:
            raise ValueError(read)
        if len(read) == 10:
            first = zone.day_start(dt.date.fromisoformat(read) + dt.timedelta(is_end))
            return (first - 1) // HALF_HOUR * HALF_HOUR if is_end else first
        value = dt.datetime.fromisoformat(read)
    except ValueError:
        raise _refused(name, text) from None
    if value.tzinfo is None:
        if not zone.exists(value):
            advice = "give another time or an explicit offset"
            raise BadParameter(
                name, f"{text!r} does not exist in {zone.name}: the clock springs forward that night; {advice}"
            )
        value = value.replace(tzinfo=zone.zone, fold=0)
    return int(value.timestamp())  # whole seconds: the form allows no fraction


def parse_time_range(start_text: str, end_text: str, zone: Clock) -> TimeRange:
    start = parse_bound("start", start_text, zone, is_end=False)
    end = parse_bound("end", end_text, zone, is_end=True)
    start_resolved, end_resolved = zone.isoformat(start), zone.isoformat(end)
    if start > end:
        raise BadParameter("start", f"{start_resolved} is after end {end_resolved}")
    return TimeRange(start, end, start_resolved, end_resolved)


def single_values(pairs: list[tuple[str, str]], allowed: tuple[str, ...]) -> dict[str, str | None]:
    """Each allowed parameter's value (None when absent); unknown or repeated ones are refused."""
    values: dict[str, str | None] = dict.fromkeys(allowed)
    for name, value in pairs:
        if name not in values:
            raise BadParameter(name, f"unknown parameter; expected {', '.join(allowed)}")
        if values[name] is not None:
            given = sum(1 for other, _ in pairs if other == name)
            raise BadParameter(name, f"given {given} times; give it once")
        values[name] = value
    return values


def read_zone(text: str | None) -> Clock:
    if text is None:
        return clock(DEFAULT_ZONE)
    if text not in KNOWN_ZONES:
        expected = f"expected a name such as {DEFAULT_ZONE}"
        raise BadParameter("tz", f"{text[:MAX_PARAMETER_LENGTH]!r} is not a known IANA time zone; {expected}")
    return clock(text)


def read_choice(name: str, text: str | None, choices: tuple[str, ...], default: str) -> str:
    if text is None:
        return default
    if text not in choices:
        raise BadParameter(name, f"{text[:MAX_PARAMETER_LENGTH]!r} is not one of {', '.join(choices)}")
    return text


def read_parameters(request: Request, extra: tuple[str, ...] = ()) -> Query:
    """What a request to `/consumption` asks for, or BadParameter; `extra` names the further
    parameters a route accepts and reads itself."""
    return _parse(request.scope["query_string"], request.headers.get("accept", ""), extra)


@functools.lru_cache(maxsize=1024)  # the same few queries again and again: parse each once
def _parse(query_string: bytes, accept: str, extra: tuple[str, ...]) -> Query:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    values = single_values(pairs, QUERY_PARAMETERS + extra)
    zone = read_zone(values["tz"])
    interval = read_choice("interval", values["interval"], INTERVALS, "half-hour")
    output = read_choice("format", values["format"], FORMATS, preferred_format(accept))
    time_range = parse_time_range(values["start"] or "", values["end"] or "", zone)
    return Query(time_range, interval, zone, output)


def _quality(accept: str, media_type: str) -> float:
    """How much an Accept header wants `media_type` (0 to 1), by its most specific range."""
    best, specificity = 0.0, -1
    kind = media_type.split("/")[0]
    for item in accept.split(","):
        range_, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        rank = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(range_, -1)
        if rank > specificity:
            best, specificity = quality, rank
    return best


def preferred_format(accept: str) -> str:
    """CSV when the Accept header prefers text/csv to application/json; JSON otherwise.
    Media types are case-insensitive (RFC 9110), so `TEXT/CSV` is CSV."""
    accept = accept.lower()
    if "csv" in accept and _quality(accept, "text/csv") > _quality(accept, "application/json"):
        return "csv"
    return "json"
