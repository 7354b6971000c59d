"""A repeated query is answered afresh once an import changed its data (in process)."""

from __future__ import annotations

import asyncio

import httpx

from consumption.config import Settings
from consumption.domain.model import ConsumptionPoint, Nature
from consumption.storage.repository import SqliteStore
from consumption.web.app import create_app
from tests.server_process import write_history

JUNE_FIRST = 1717192800  # 2024-06-01 00:00 Paris time


def test_a_repeated_query_sees_an_import_that_changed_its_data(tmp_path):
    database = tmp_path / "consumption.sqlite3"
    write_history(database, 2024, 2024)
    day = {"start": "2024-06-01", "end": "2024-06-01"}
    year = {"start": "2024-01-01", "end": "2024-12-31"}  # the longest range built whole

    async def requests() -> tuple[list, httpx.Response, list]:
        transport = httpx.ASGITransport(create_app(Settings(database_path=database)))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = [(await client.get("/consumption", params=p)).json() for p in (day, year, day, year)]
            as_csv = await client.get("/consumption", params=day, headers={"Accept": "text/csv"})
            store = SqliteStore.open(database)
            with store.transaction():
                store.points.add([ConsumptionPoint(JUNE_FIRST, 12_345, Nature.DEFINITIVE)])
            store.close()
            after = [await client.get("/consumption", params=p) for p in (day, year)]
        return first, as_csv, after

    first, as_csv, after = asyncio.run(requests())
    assert first[0] == first[2] and first[1] == first[3]
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.startswith("timestamp,consumption_w,nature")
    assert first[0]["data"][0]["consumption_w"] != 12_345 * 10**6
    day_after, year_after = (response.json() for response in after)
    assert day_after["data"][0]["consumption_w"] == 12_345 * 10**6
    june_first = next(p for p in year_after["data"] if p["timestamp"] == "2024-06-01T00:00:00+02:00")
    assert june_first["consumption_w"] == 12_345 * 10**6
