"""What the OpenAPI document says in words but JSON Schema cannot: `start` must not come after
`end`, and a naive bound must exist on the clock of `tz`. Schemathesis generates requests
that keep these rules (SCHEMATHESIS_HOOKS=tests.integration.schemathesis_hooks); the server
answers any other with a 400, which tests/integration/test_api.py checks.

Computed here with zoneinfo alone, independently of consumption.web.params.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import schemathesis


def _local(instant: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(instant, zone).replace(tzinfo=None)


def _first_instant_at_or_after(local: dt.datetime, zone: ZoneInfo) -> int:
    """The first instant whose wall-clock time in `zone` is `local` or later."""
    instant = min(int(local.replace(tzinfo=zone, fold=fold).timestamp()) for fold in (0, 1)) // 60 * 60
    instant -= 3 * 3600
    while _local(instant, zone) < local:
        instant += 60
    return instant


def _instant(text: str, zone: ZoneInfo, *, is_end: bool) -> float | None:
    """UTC seconds of a bound as the document describes it; None for a time the clock skips."""
    if len(text) == 10:
        day = dt.date.fromisoformat(text) + dt.timedelta(days=is_end)
        local = dt.datetime.combine(day, dt.time(0))
        first = _first_instant_at_or_after(local, zone)
        return (first - 1) // 1800 * 1800 if is_end else first
    text = f"{text[:10]}T{text[11:]}"  # a space there is read as `T`
    if text[-6] == " ":
        text = f"{text[:-6]}+{text[-5:]}"
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        aware = value.replace(tzinfo=zone)
        if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != value:
            return None
        value = aware
    seconds = value.timestamp()
    return math.floor(seconds) if is_end else math.ceil(seconds)


@schemathesis.hook
def filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    if not query or not isinstance(query.get("start"), str) or not isinstance(query.get("end"), str):
        return True
    try:
        zone = ZoneInfo(query.get("tz") or "Europe/Paris")
        start = _instant(query["start"], zone, is_end=False)
        end = _instant(query["end"], zone, is_end=True)
    except (ValueError, LookupError, IndexError, OverflowError):
        return True  # not a valid bound: the server must refuse it, and schemathesis checks that
    return start is not None and end is not None and start <= end
