"""The query parameters of `/consumption`: the time range (two ISO 8601 bounds, read as Paris
time when they carry no offset) and the output format (a parameter, or the Accept header)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from starlette.requests import Request

from consumption.domain.model import HALF_HOUR_SECONDS
from consumption.domain.paris_time import PARIS, exists_in_paris

MAX_PARAMETER_LENGTH = 64
QUERY_PARAMETERS = ("start", "end", "format")
FORMATS = ("json", "csv")
EXAMPLE = "2025-01-01, 2025-01-01T06:00 or 2025-01-01T06:00:00+01:00"


class BadParameter(ValueError):
    """A query parameter that cannot be used; the message names it and says what was expected."""

    def __init__(self, name: str, message: str) -> None:
        self.parameter = name
        super().__init__(f"parameter {name!r}: {message}")


@dataclass(frozen=True)
class TimeRange:
    """Inclusive bounds: every half hour whose start lies in [start, end], UTC seconds."""

    start: int
    end: int
    start_text: str  # the bounds as resolved, ISO 8601 with the Paris offset
    end_text: str


def _next_paris_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(1), dt.time(0), tzinfo=PARIS)


def parse_bound(name: str, text: str, *, is_end: bool) -> dt.datetime:
    """An aware date-time for one bound.

    A date alone is that day's 00:00 as a start, and its last half hour as an end.
    A date-time without offset is Paris wall-clock time: one that the clock skips
    in spring is refused; one that happens twice in autumn is its first occurrence
    (summer time), as in RTE's files.
    """
    if not text:
        raise BadParameter(name, f"is required: an ISO 8601 date or date-time such as {EXAMPLE}")
    if len(text) > MAX_PARAMETER_LENGTH:
        raise BadParameter(name, f"is {len(text)} characters long; expected at most {MAX_PARAMETER_LENGTH}")
    if len(text) == 10 and text[4:5] == "-":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as error:
            raise BadParameter(name, f"{text!r} is not a valid date ({error})") from None
        if is_end:
            last = _next_paris_midnight(day).timestamp() - HALF_HOUR_SECONDS
            return dt.datetime.fromtimestamp(last, PARIS)
        return dt.datetime.combine(day, dt.time(0), tzinfo=PARIS)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise BadParameter(
            name, f"{text!r} is not an ISO 8601 date or date-time ({error}); expected {EXAMPLE}"
        ) from None
    if value.tzinfo is None:
        if not exists_in_paris(value):
            raise BadParameter(
                name,
                f"{text!r} does not exist in Paris: the clock springs forward that night; "
                "give another time or an explicit offset",
            )
        value = value.replace(tzinfo=PARIS, fold=0)
    return value


def _resolve(name: str, text: str, *, is_end: bool) -> tuple[int, str]:
    """UTC seconds of a bound (rounded inward) and its ISO 8601 text with the Paris offset."""
    try:
        value = parse_bound(name, text, is_end=is_end)
        seconds = value.timestamp()
        rounded = math.floor(seconds) if is_end else math.ceil(seconds)
        return rounded, value.astimezone(PARIS).isoformat()
    except BadParameter:
        raise
    except (OverflowError, ValueError, OSError):
        raise BadParameter(name, f"{text!r} is out of the range of dates this service handles") from None


def parse_time_range(start_text: str, end_text: str) -> TimeRange:
    start, start_resolved = _resolve("start", start_text, is_end=False)
    end, end_resolved = _resolve("end", end_text, is_end=True)
    if start > end:
        raise BadParameter("start", f"{start_resolved} is after end {end_resolved}")
    return TimeRange(start, end, start_resolved, end_resolved)


def read_parameters(request: Request) -> tuple[TimeRange, str]:
    """The time range and the format (`json` or `csv`) a request asks for."""
    params = request.query_params
    for name in params:
        if name not in QUERY_PARAMETERS:
            raise BadParameter(name, "unknown parameter; expected start, end and optionally format")
    values = {}
    for name in QUERY_PARAMETERS:
        given = params.getlist(name)
        if len(given) > 1:
            raise BadParameter(name, f"given {len(given)} times; give it once")
        values[name] = given[0].strip() if given else ""
    output = values["format"].lower() or preferred_format(request.headers.get("accept", ""))
    if output not in FORMATS:
        raise BadParameter(
            "format", f"{values['format'][:MAX_PARAMETER_LENGTH]!r} is not a format; expected json or csv"
        )
    return parse_time_range(values["start"], values["end"]), output


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
        rank = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(range_.lower(), -1)
        if rank > specificity:
            best, specificity = quality, rank
    return best


def preferred_format(accept: str) -> str:
    """CSV when the Accept header prefers text/csv to application/json; JSON otherwise."""
    if "csv" in accept and _quality(accept, "text/csv") > _quality(accept, "application/json"):
        return "csv"
    return "json"
