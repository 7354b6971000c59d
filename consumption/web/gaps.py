"""`GET /consumption/gaps`: the runs of missing half hours in a range, as JSON or CSV.

A run is its first and last missing half-hour starts and how many half hours it holds.
Only the stored span can have gaps: before the first stored half hour and after the last,
nothing is stored, which is not a hole. The runs come from one SQL query (storage/queries.py,
MISSING_RUNS); the parameters, errors and caching are those of `/consumption`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consumption.domain.model import HALF_HOUR_SECONDS
from consumption.storage.reader import ConsumptionReader
from consumption.web.http_cache import caching_headers, matches
from consumption.web.params import BadParameter, read_parameters

CSV_HEADER = "first,last,half_hours\r\n"


async def get_gaps(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    query = read_parameters(request)  # a BadParameter is a 400, DatabaseUnavailable a 503 (web/errors.py)
    if "interval" in request.query_params:
        raise BadParameter("interval", "is not a parameter of /consumption/gaps; expected start, end, tz, format")
    bounds = (query.time_range.start, query.time_range.end)
    resolved = ("gaps", *bounds, query.clock.name, query.output)
    headers = caching_headers(request, reader.freshness(), resolved)
    if matches(request, headers.get("ETag")):  # before any reading
        return Response(status_code=304, headers=headers)
    missing, freshness = await reader.missing_runs(*bounds)
    headers = caching_headers(request, freshness, resolved)  # of what this snapshot holds
    isoformat = query.clock.isoformat
    runs = [(isoformat(first), isoformat(last), (last - first) // HALF_HOUR_SECONDS + 1) for first, last in missing]
    if query.output == "csv":
        lines = "".join(f"{first},{last},{half_hours}\r\n" for first, last, half_hours in runs)
        return Response(CSV_HEADER + lines, media_type="text/csv; charset=utf-8", headers=headers)
    stored = {"first": freshness.first, "last": freshness.last}
    body = {
        "start": query.time_range.start_text,
        "end": query.time_range.end_text,
        "stored": {name: None if at is None else isoformat(at) for name, at in stored.items()},
        "missing_half_hours": sum(half_hours for _, _, half_hours in runs),
        "data": [{"first": first, "last": last, "half_hours": half_hours} for first, last, half_hours in runs],
    }
    return JSONResponse(body, headers=headers)
