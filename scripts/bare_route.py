"""The bare route `make bench` measures the service against: Starlette, sqlite3 and orjson,
one query, no validation.

    .venv/bin/python scripts/bare_route.py DATABASE [--port 8001]

`GET /consumption?start=YYYY-MM-DD&end=YYYY-MM-DD` answers the service's JSON document
for those Paris days (the same envelope and the same items: a test checks it) with none
of its work around the data: no parameter checks, no formats, no cache, no streaming,
no error handling, no access log. What is left is the floor for one request on this
stack: uvicorn's HTTP, Starlette's routing, one SQLite query and one orjson encoding.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PARIS = ZoneInfo("Europe/Paris")
NATURES = {1: "real-time", 2: "consolidated", 3: "definitive"}
WATTS_PER_MEGAWATT = 1_000_000
SELECT_RANGE = (
    "SELECT timestamp, consumption_mw, nature FROM consumption WHERE timestamp BETWEEN ? AND ? ORDER BY timestamp"
)


def paris_day_bounds(first: str, last: str) -> tuple[dt.datetime, dt.datetime]:
    """The first half hour of day `first` and the last of day `last`, Paris time."""
    start = dt.datetime.combine(dt.date.fromisoformat(first), dt.time(0), PARIS)
    after = dt.datetime.combine(dt.date.fromisoformat(last) + dt.timedelta(1), dt.time(0), PARIS)
    end = dt.datetime.fromtimestamp(after.timestamp() - 1800, PARIS)
    return start, end


def create_app(database: Path) -> Starlette:
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)

    async def consumption(request: Request) -> Response:
        start, end = paris_day_bounds(request.query_params["start"], request.query_params["end"])
        rows = connection.execute(SELECT_RANGE, (int(start.timestamp()), int(end.timestamp()))).fetchall()
        document = {
            "start": start,
            "end": end,
            "unit": "W",
            "count": len(rows),
            "data": [
                {
                    "timestamp": dt.datetime.fromtimestamp(timestamp, PARIS),
                    "consumption_w": mw * WATTS_PER_MEGAWATT,
                    "nature": NATURES[nature],
                }
                for timestamp, mw, nature in rows
            ],
        }
        return Response(orjson.dumps(document), media_type="application/json")

    return Starlette(routes=[Route("/consumption", consumption)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(create_app(args.database), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
