"""The floor of this stack for one range, which `make bench` measures the service against.

    .venv/bin/python scripts/bare_route.py DATABASE PORT

`GET /consumption?start=S&end=E`, S and E in UTC seconds, answers `[[timestamp, watts], …]`
for the half hours in [S, E]: uvicorn, one Starlette route, one read-only sqlite3 connection
used on the event loop, one query, `orjson.dumps` of its rows. No checks, no formats.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SELECT_RANGE = (
    "SELECT timestamp, consumption_mw * 1000000 FROM consumption WHERE timestamp BETWEEN ? AND ? ORDER BY timestamp"
)


def create_app(database: Path) -> Starlette:
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)

    async def consumption(request: Request) -> Response:
        bounds = (int(request.query_params["start"]), int(request.query_params["end"]))
        return Response(
            orjson.dumps(connection.execute(SELECT_RANGE, bounds).fetchall()), media_type="application/json"
        )

    return Starlette(routes=[Route("/consumption", consumption)])


if __name__ == "__main__":
    app = create_app(Path(sys.argv[1]))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
