"""`GET /consumption/latest`: the most recent stored half hour, in the shape of the items of
`/consumption`, and how old it is."""

from __future__ import annotations

import time
from typing import Any

from consumption.domain.clock import Clock
from consumption.domain.model import WATTS_PER_MEGAWATT, Nature
from consumption.storage.reader import ConsumptionReader


def latest_body(reader: ConsumptionReader, zone: Clock) -> dict[str, Any] | None:
    """The latest half hour on the clock of `zone`, or None when nothing is stored."""
    row, _ = reader.latest()
    if row is None:
        return None
    timestamp, consumption_mw, nature = row
    return {
        "timestamp": zone.isoformat(timestamp),
        "consumption_w": consumption_mw * WATTS_PER_MEGAWATT,
        "nature": Nature(nature).label,
        "age_seconds": max(0, int(time.time()) - timestamp),
    }
