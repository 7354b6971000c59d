"""`GET /consumption/latest`: the most recent stored half hour, in the shape of the items of
`/consumption`, and how old it is."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consumption.domain.model import WATTS_PER_MEGAWATT, Nature
from consumption.storage.reader import ConsumptionReader
from consumption.web.errors import error_response
from consumption.web.params import read_zone, single_values


async def get_latest(request: Request) -> Response:
    """The latest half hour on the clock of `tz`; a 404 when nothing is stored."""
    zone = read_zone(single_values(request.query_params, ("tz",))["tz"])
    reader: ConsumptionReader = request.app.state.reader
    row = reader.latest()
    if row is None:
        return error_response(404, "no half hour is stored yet; see /health for the last fetch")
    timestamp, consumption_mw, nature = row
    body = {
        "timestamp": zone.isoformat(timestamp),
        "consumption_w": consumption_mw * WATTS_PER_MEGAWATT,
        "nature": Nature(nature).label,
        "age_seconds": max(0, int(time.time()) - timestamp),
    }
    # The age changes every second: no validator, revalidate each time.
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})
