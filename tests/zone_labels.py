"""What bucket a moment falls in, from zoneinfo alone: the independent reference the
aggregate tests compare the service's buckets with (the same label, the same bucket)."""

from __future__ import annotations

import datetime as dt


def local_label(moment: dt.datetime, interval: str) -> object:
    """`moment` is aware, in the zone whose clock the buckets follow."""
    date = moment.date()
    return {
        "hour": (date, moment.hour, moment.utcoffset()),
        "day": date,
        "week": date - dt.timedelta(date.weekday()),
        "month": (date.year, date.month),
        "year": date.year,
        "all": None,
    }[interval]
