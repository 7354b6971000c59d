"""`GET /consumption/gaps` against an independent computation: the Paris half hours that the
fixture's files hold (zoneinfo, from tests/eco2mix_files.py), and the runs of the UTC grid
between the first and last stored half hours that they miss, found by a plain scan here."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore
from tests.api_fixtures import Client, api_client, schema, served_client
from tests.eco2mix_files import days, default_value, eco2mix_lines, expected_points, write_eco2mix

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
HALF_HOUR = 1800
DAYS = [
    *days(dt.date(2025, 1, 1), dt.date(2025, 1, 3)),
    *days(dt.date(2025, 3, 29), dt.date(2025, 3, 31)),  # spring forward on the 30th
    *days(dt.date(2025, 10, 25), dt.date(2025, 10, 27)),  # fall back on the 26th
]
# Paris wall-clock half hours the files leave empty: (day, "hh:mm").
HOLES = {
    (dt.date(2025, 1, 1), "12:00"),  # a lone half hour
    *((dt.date(2025, 1, 1), t) for t in ("23:00", "23:30")),  # a run across midnight ...
    *((dt.date(2025, 1, 2), t) for t in ("00:00", "00:30", "01:00", "01:30")),
    *((dt.date(2025, 3, 30), t) for t in ("01:00", "01:30", "03:00", "03:30")),  # across spring forward
    *((dt.date(2025, 10, 26), t) for t in ("01:30", "02:00", "02:30", "03:00")),  # across fall back
    *((dt.date(2025, 1, 3), f"{hour:02d}:30") for hour in range(12)),  # lone ones: a response over 1 KiB
}


def value(day: dt.date, minutes: int) -> int | None:
    return None if (day, f"{minutes // 60:02d}:{minutes % 60:02d}") in HOLES else default_value(day, minutes)


STORED = set(expected_points(DAYS, value))


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[Client]:
    folder = tmp_path_factory.mktemp("gaps")
    store = SqliteStore.open(folder / "consumption.sqlite3")
    import_paths([write_eco2mix(folder / "tr.xls", eco2mix_lines(DAYS, value))], store)
    store.close()
    with api_client(folder / "consumption.sqlite3") as client:
        yield client


def expected_runs(start: str, end: str, zone: ZoneInfo = PARIS) -> list[dict]:
    """The runs of missing half hours in [start, end] within the stored span, by a scan of the grid."""
    low = max(math.ceil(dt.datetime.fromisoformat(start).timestamp() / HALF_HOUR) * HALF_HOUR, min(STORED))
    high = min(int(dt.datetime.fromisoformat(end).timestamp()), max(STORED))
    runs: list[list[int]] = []
    for instant in range(low, high + 1, HALF_HOUR):
        if instant in STORED:
            continue
        if runs and runs[-1][1] == instant - HALF_HOUR:
            runs[-1][1] = instant
        else:
            runs.append([instant, instant])
    return [
        {
            "first": dt.datetime.fromtimestamp(first, zone).isoformat(),
            "last": dt.datetime.fromtimestamp(last, zone).isoformat(),
            "half_hours": (last - first) // HALF_HOUR + 1,
        }
        for first, last in runs
    ]


def gaps(client: Client, **params: str) -> dict:
    response = client.get("/consumption/gaps", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    jsonschema.validate(body, schema("Gaps"))
    assert body["missing_half_hours"] == sum(run["half_hours"] for run in body["data"])
    return body


RANGES = [
    pytest.param("2024-12-01T00:00:00+01:00", "2026-01-01T00:00:00+01:00", id="everything"),
    pytest.param("2025-01-01T06:00:00+01:00", "2025-01-01T18:00:00+01:00", id="lone"),
    pytest.param("2025-01-01T20:00:00+01:00", "2025-01-02T06:00:00+01:00", id="across-midnight"),
    pytest.param("2025-03-29T20:00:00+01:00", "2025-03-30T06:00:00+02:00", id="across-spring-forward"),
    pytest.param("2025-10-25T20:00:00+02:00", "2025-10-26T06:00:00+01:00", id="across-fall-back"),
    pytest.param("2025-01-01T23:30:00+01:00", "2025-01-02T01:00:00+01:00", id="all-missing"),
    pytest.param("2025-01-01T23:10:00+01:00", "2025-01-02T03:00:00+01:00", id="starts-in-a-hole-off-grid"),
    pytest.param("2025-01-01T10:00:00+01:00", "2025-01-01T12:20:00+01:00", id="ends-in-a-hole"),
    pytest.param("2024-12-30T00:00:00+01:00", "2025-01-01T13:00:00+01:00", id="before-the-stored-span"),
    pytest.param("2025-10-27T12:00:00+01:00", "2025-12-31T00:00:00+01:00", id="after-the-stored-span"),
    pytest.param("2024-01-01T00:00:00+01:00", "2024-12-01T00:00:00+01:00", id="wholly-before-the-stored-span"),
    pytest.param("2025-11-01T00:00:00+01:00", "2025-12-31T00:00:00+01:00", id="wholly-after-the-stored-span"),
    pytest.param("2025-01-03T00:00:00+01:00", "2025-03-30T00:30:00+01:00", id="weeks-without-files"),
    pytest.param("2025-01-02T06:00:00+01:00", "2025-01-02T18:00:00+01:00", id="none"),
]


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_runs_equal_an_independent_computation(client, start, end):
    body = gaps(client, start=start, end=end)
    assert body["data"] == expected_runs(start, end)
    assert (body["start"], body["end"]) == (start, end)


def test_the_runs_are_the_holes_of_the_files(client):
    """What the fixture says in words: the holes, and RTE's missing repeated hour of the fall-back day."""
    data = gaps(client, start="2025-01-01", end="2025-10-27")["data"]
    assert [(run["first"], run["last"], run["half_hours"]) for run in data] == [
        ("2025-01-01T12:00:00+01:00", "2025-01-01T12:00:00+01:00", 1),
        ("2025-01-01T23:00:00+01:00", "2025-01-02T01:30:00+01:00", 6),
        *((f"2025-01-03T{hour:02d}:30:00+01:00", f"2025-01-03T{hour:02d}:30:00+01:00", 1) for hour in range(12)),
        ("2025-01-04T00:00:00+01:00", "2025-03-28T23:30:00+01:00", 84 * 48),
        ("2025-03-30T01:00:00+01:00", "2025-03-30T03:30:00+02:00", 4),
        ("2025-04-01T00:00:00+02:00", "2025-10-24T23:30:00+02:00", 207 * 48),
        # 01:30 to 03:00 by the clock, the repeated hour included: 6 half hours.
        ("2025-10-26T01:30:00+02:00", "2025-10-26T03:00:00+01:00", 6),
    ]


def test_a_range_without_holes_is_empty_and_carries_the_stored_span(client):
    body = gaps(client, start="2025-01-02T06:00", end="2025-01-02T18:00")
    assert (body["data"], body["missing_half_hours"]) == ([], 0)
    assert body["stored"] == {"first": "2025-01-01T00:00:00+01:00", "last": "2025-10-27T23:30:00+01:00"}


def test_tz_utc_gives_the_same_runs_in_utc(client):
    start, end = "2025-10-25T00:00:00+00:00", "2025-10-27T00:00:00+00:00"
    body = gaps(client, start=start, end=end, tz="UTC")
    assert body["data"] == expected_runs(start, end, ZoneInfo("UTC"))
    assert body["data"][0]["first"] == "2025-10-25T23:30:00+00:00"
    assert body["stored"]["first"] == "2024-12-31T23:00:00+00:00"


def test_csv_equals_json(client):
    params = {"start": "2025-01-01", "end": "2025-12-31"}
    body = gaps(client, **params)
    response = client.get("/consumption/gaps", params={**params, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.startswith("first,last,half_hours\r\n")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [{**row, "half_hours": int(row["half_hours"])} for row in rows] == body["data"]
    accepted = client.get("/consumption/gaps", params=params, headers={"Accept": "text/csv"})
    assert accepted.text == response.text


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"start": "2025-01-01"}, "end"),
        ({"start": "2025-01-02", "end": "2025-01-01"}, "start"),
        ({"start": "2025-01-01", "end": "2025-01-02", "tz": "Mars/Olympus"}, "tz"),
        ({"start": "2025-01-01", "end": "2025-01-02", "format": "xml"}, "format"),
        ({"start": "2025-01-01", "end": "2025-01-02", "interval": "day"}, "interval"),
        ({"start": "2025-01-01", "end": "2025-01-02", "x": "1"}, "x"),
        ({"start": "2025-03-30T02:30", "end": "2025-03-31"}, "start"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, params, name):
    response = client.get("/consumption/gaps", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert f"parameter {name!r}" in response.json()["error"]


def test_etag_304_gzip_and_cors_as_for_consumption(client):
    params = {"start": "2025-01-01", "end": "2025-12-31"}
    first = client.get("/consumption/gaps", params=params)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = client.get("/consumption/gaps", params=params, headers={"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    as_csv = client.get("/consumption/gaps", params={**params, "format": "csv"})
    assert as_csv.headers["etag"] != tag
    assert client.get("/consumption/gaps", params={**params, "tz": "UTC"}).headers["etag"] != tag
    origin = client.get("/consumption/gaps", params=params, headers={"Origin": "https://elsewhere.example"})
    assert origin.headers["access-control-allow-origin"] == "*"
    with client.stream("GET", "/consumption/gaps", params=params, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert len(first.content) > 1024  # gzip's threshold
    assert gzip.decompress(raw) == first.content


def test_without_a_database_it_is_503(tmp_path: Path):
    with api_client(tmp_path / "missing.sqlite3") as client:
        response = client.get("/consumption/gaps", params={"start": "2025-01-01", "end": "2025-01-02"})
    assert response.status_code == 503
    assert "missing.sqlite3" in response.json()["error"]


def test_on_the_embedded_history_the_gaps_are_each_autumn_s_repeated_hour(tmp_path: Path):
    """RTE's files give the fall-back day 48 lines for its 50 half hours: the repeated hour
    02:00-03:00 (winter time) is never stored, and nothing else is missing."""
    store = SqliteStore.open(tmp_path / "consumption.sqlite3")
    import_paths([ROOT / "data" / "history"], store)
    store.close()
    with served_client(tmp_path / "consumption.sqlite3") as client:  # the route behind uvicorn
        body = gaps(client, start="2012-01-01", end="2021-12-31")
    last_sundays = [
        max(dt.date(year, 10, day) for day in range(25, 32) if dt.date(year, 10, day).weekday() == 6)
        for year in range(2012, 2022)
    ]
    assert [(run["first"], run["last"]) for run in body["data"]] == [
        (f"{day}T02:00:00+01:00", f"{day}T02:30:00+01:00") for day in last_sundays
    ]
    assert body["missing_half_hours"] == 20
