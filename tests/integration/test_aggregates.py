"""Buckets (`interval=`) against an independent computation over the same rows, read with
sqlite3 and bucketed with zoneinfo; the exercise's mean against scripts/average_consumption.sql."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore
from tests.api_fixtures import Client, api_client, schema
from tests.eco2mix_files import days, eco2mix_lines, write_eco2mix
from tests.helpers import stored_rows
from tests.zone_labels import local_label

ROOT = Path(__file__).resolve().parents[2]
INTERVALS = ["hour", "day", "week", "month", "year", "all"]
TEXT_COLUMNS = ("timestamp", "min_at", "max_at")


@pytest.fixture(scope="module")
def client(database) -> Iterator[Client]:
    with api_client(database) as client:
        yield client


def aggregate(client: Client, **params: str) -> dict:
    response = client.get("/consumption", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, schema("Aggregates"))
    assert body["count"] == len(body["data"])
    assert body["interval"] == params["interval"]
    return body


def expected_buckets(path: Path, start: str, end: str, interval: str, zone: str) -> list[dict]:
    """The buckets computed here from the rows: zoneinfo for the clock, Fraction for the mean."""
    info = ZoneInfo(zone)
    low = dt.datetime.fromisoformat(start).timestamp()
    high = dt.datetime.fromisoformat(end).timestamp()
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT timestamp, consumption_mw FROM consumption WHERE timestamp BETWEEN ? AND ? ORDER BY timestamp",
            (low, high),
        ).fetchall()
    values: dict[object, list[int]] = defaultdict(list)
    instants: dict[object, list[int]] = defaultdict(list)
    for timestamp, mw in rows:
        key = local_label(dt.datetime.fromtimestamp(timestamp, info), interval)
        values[key].append(mw)
        instants[key].append(timestamp)
    first_instant: dict[object, int] = {}
    grid: dict[object, int] = defaultdict(int)
    # Offsets of these zones are whole quarter hours: a bucket starts at the range's start
    # or on a quarter hour of UTC.
    for t in [int(low), *range(int(low) // 900 * 900 + 900, int(high) + 1, 900)]:
        key = local_label(dt.datetime.fromtimestamp(t, info), interval)
        first_instant.setdefault(key, t)
        grid[key] += t % 1800 == 0
    buckets = []
    for key, mws in values.items():
        # The earliest half hour of the minimum and of the maximum, when tied.
        low_at = min(t for t, mw in zip(instants[key], mws, strict=True) if mw == min(mws))
        high_at = min(t for t, mw in zip(instants[key], mws, strict=True) if mw == max(mws))
        buckets.append(
            {
                "timestamp": dt.datetime.fromtimestamp(first_instant[key], info).isoformat(),
                "mean_w": round(Fraction(sum(mws) * 1_000_000, len(mws))),
                "min_w": min(mws) * 1_000_000,
                "max_w": max(mws) * 1_000_000,
                "min_at": dt.datetime.fromtimestamp(low_at, info).isoformat(),
                "max_at": dt.datetime.fromtimestamp(high_at, info).isoformat(),
                "energy_wh": sum(mws) * 500_000,
                "count": len(mws),
                "expected": grid[key],
            }
        )
    return sorted(buckets, key=lambda b: dt.datetime.fromisoformat(b["timestamp"]))


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize(
    ("zone", "start", "end"),
    [
        ("Europe/Paris", "2024-06-10T13:30:00+02:00", "2025-10-27T11:00:00+01:00"),
        ("UTC", "2024-08-30T00:00:00+00:00", "2025-03-31T06:30:00+00:00"),
        ("Asia/Kathmandu", "2025-01-01T00:00:00+05:45", "2025-01-03T17:15:00+05:45"),
        ("America/New_York", "2025-03-29T00:00:00-04:00", "2025-11-01T00:00:00-04:00"),
    ],
)
def test_buckets_equal_an_independent_computation(client, database, interval, zone, start, end):
    if interval == "hour" and zone != "Asia/Kathmandu":
        end = (dt.datetime.fromisoformat(start) + dt.timedelta(days=3)).isoformat()
    body = aggregate(client, start=start, end=end, interval=interval, tz=zone)
    assert body["data"] == expected_buckets(database, start, end, interval, zone)


def test_the_paris_clock_changes_make_days_of_46_and_50_half_hours(client):
    spring = aggregate(client, start="2025-03-30", end="2025-03-30", interval="day")["data"]
    assert [(b["timestamp"], b["count"], b["expected"]) for b in spring] == [("2025-03-30T00:00:00+01:00", 46, 46)]
    autumn = aggregate(client, start="2025-10-26", end="2025-10-26", interval="day")["data"]
    # RTE's files give the fall-back day 48 half hours: its repeated hour has one set of lines.
    assert [(b["timestamp"], b["count"], b["expected"]) for b in autumn] == [("2025-10-26T00:00:00+02:00", 48, 50)]


@pytest.mark.parametrize(
    ("interval", "spring", "autumn"),
    [
        ("hour", (23, 46, 46), (24, 48, 48)),  # autumn: the hour 02:00+01:00 has no data, so no bucket
        ("day", (1, 46, 46), (1, 48, 50)),
        ("week", (1, 46, 7 * 48 - 2), (1, 48, 7 * 48 + 2)),
        ("month", (1, 46, 31 * 48 - 2), (1, 48, 31 * 48 + 2)),
        # 2025 holds 3 days of January, the spring day and the autumn day.
        ("year", (1, 144 + 46 + 48, 365 * 48), (1, 144 + 46 + 48, 365 * 48)),
    ],
)
def test_each_bucket_size_on_the_clock_change_days(client, interval, spring, autumn):
    """Buckets, half hours with data and half hours of the clock, for the buckets holding each
    clock-change day (the fixture holds no other day of those weeks and months)."""
    for day, wanted in (("2025-03-30", spring), ("2025-10-26", autumn)):
        if interval == "hour":
            data = aggregate(client, start=day, end=day, interval=interval)["data"]
        else:
            data = aggregate(client, start="2025-01-01", end="2025-12-31", interval=interval)["data"]
            data = [b for b in data if b["timestamp"][:10] <= day][-1:]
        assert (len(data), sum(b["count"] for b in data), sum(b["expected"] for b in data)) == wanted, day


def test_buckets_are_clipped_to_the_range(client):
    data = aggregate(client, start="2025-01-01T06:00", end="2025-01-02T17:00", interval="day")["data"]
    assert [(b["timestamp"], b["count"], b["expected"]) for b in data] == [
        ("2025-01-01T06:00:00+01:00", 36, 36),
        ("2025-01-02T00:00:00+01:00", 35, 35),
    ]


def test_gaps_show_as_count_below_expected_and_empty_buckets_are_absent(client):
    data = aggregate(client, start="2024-12-30", end="2025-02-02", interval="month")["data"]
    # December 2024 has no data; January holds 3 days of 31; February none.
    assert [(b["timestamp"], b["count"], b["expected"]) for b in data] == [("2025-01-01T00:00:00+01:00", 144, 31 * 48)]


def test_a_streamed_range_of_buckets_stays_json_across_long_gaps(client, database):
    """Over a year of buckets streams, a batch at a time; batches that fall wholly in a gap
    (September 2024 to January 2025 here, thousands of hours) add nothing, not even a comma."""
    data = aggregate(client, start="2024-01-01", end="2025-12-31", interval="hour")["data"]
    with sqlite3.connect(database) as connection:
        hours = connection.execute("SELECT count(DISTINCT timestamp / 3600) FROM consumption").fetchone()[0]
    assert len(data) == hours  # Paris's hours are whole UTC hours
    assert sum(bucket["count"] for bucket in data) == len(stored_rows(database))


def test_csv_has_the_same_columns_and_values(client):
    params = {"start": "2024-06-01", "end": "2024-08-31", "interval": "week"}
    body = aggregate(client, **params)
    response = client.get("/consumption", params={**params, "format": "csv"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert (
        list(rows[0])
        == list(body["data"][0])
        == [*("timestamp", "mean_w", "min_w", "min_at", "max_w", "max_at", "energy_wh", "count", "expected")]
    )
    assert [{k: (v if k in TEXT_COLUMNS else int(v)) for k, v in row.items()} for row in rows] == body["data"]


def test_an_empty_range_carries_the_stored_span(client, database):
    body = aggregate(client, start="2030-01-01", end="2030-12-31", interval="day")
    assert (body["count"], body["data"]) == (0, [])
    with sqlite3.connect(database) as connection:
        first, last = connection.execute("SELECT min(timestamp), max(timestamp) FROM consumption").fetchone()
    paris = ZoneInfo("Europe/Paris")
    assert body["stored"] == {
        "first": dt.datetime.fromtimestamp(first, paris).isoformat(),
        "last": dt.datetime.fromtimestamp(last, paris).isoformat(),
    }
    utc = client.get("/consumption", params={"start": "2030-01-01", "end": "2030-01-01", "tz": "UTC"}).json()
    assert utc["stored"]["first"] == dt.datetime.fromtimestamp(first, dt.UTC).isoformat()


def test_the_exercise_mean_is_the_sql_script_s(tmp_path):
    path = tmp_path / "consumption.sqlite3"
    store = SqliteStore.open(path)
    import_paths(
        [write_eco2mix(tmp_path / "a.xls", eco2mix_lines(days(dt.date(2024, 12, 30), dt.date(2025, 1, 5))))], store
    )
    store.close()
    with sqlite3.connect(path) as connection:
        script = (ROOT / "scripts" / "average_consumption.sql").read_text().replace("'2019-01-0", "'2025-01-0")
        (script_mw,) = connection.execute(script).fetchone()
        (exact_mw,) = connection.execute(
            "SELECT avg(consumption_mw) FROM consumption WHERE timestamp BETWEEN ? AND ?",
            (1735707600, 1735920000),  # 2025-01-01T06:00+01:00, 2025-01-03T17:00+01:00
        ).fetchone()
    with api_client(path) as client:
        body = aggregate(client, start="2025-01-01T06:00", end="2025-01-03T17:00", interval="all")
    (bucket,) = body["data"]
    assert (bucket["timestamp"], bucket["count"], bucket["expected"]) == ("2025-01-01T06:00:00+01:00", 119, 119)
    assert round(bucket["mean_w"] / 1_000_000, 1) == script_mw
    assert abs(bucket["mean_w"] - exact_mw * 1_000_000) <= 0.5


def extremes_value(day: dt.date, minutes: int) -> int:
    """50,000 MW, with maxima and minima tied at two times of each day, one near the clock change."""
    peaks = {dt.date(2025, 3, 30): (180, 300), dt.date(2025, 10, 26): (120, 1200)}  # 03:00, 05:00; 02:00, 20:00
    troughs = {dt.date(2025, 3, 30): (90, 1320), dt.date(2025, 10, 26): (1410, 180)}  # 01:30, 22:00; 23:30, 03:00
    return 60_000 if minutes in peaks[day] else 40_000 if minutes in troughs[day] else 50_000


def test_max_at_and_min_at_are_the_earliest_half_hour_of_each_extreme_on_clock_change_days(tmp_path):
    path = tmp_path / "consumption.sqlite3"
    store = SqliteStore.open(path)
    spring, autumn = dt.date(2025, 3, 30), dt.date(2025, 10, 26)
    import_paths([write_eco2mix(tmp_path / "a.xls", eco2mix_lines([spring, autumn], extremes_value))], store)
    store.close()
    with api_client(path) as client:
        days_ = aggregate(client, start="2025-03-30", end="2025-10-26", interval="day")["data"]
        whole = aggregate(client, start="2025-03-30", end="2025-10-26", interval="all", tz="UTC")["data"]
        hours = aggregate(client, start="2025-10-26T01:00", end="2025-10-26T03:59", interval="hour")["data"]
        as_csv = client.get(
            "/consumption", params={"start": "2025-10-26", "end": "2025-10-26", "interval": "day", "format": "csv"}
        )
    assert [(b["max_w"], b["max_at"], b["min_w"], b["min_at"]) for b in days_] == [
        (60_000_000_000, "2025-03-30T03:00:00+02:00", 40_000_000_000, "2025-03-30T01:30:00+01:00"),
        (60_000_000_000, "2025-10-26T02:00:00+02:00", 40_000_000_000, "2025-10-26T03:00:00+01:00"),
    ]
    assert [(b["max_at"], b["min_at"]) for b in whole] == [("2025-03-30T01:00:00+00:00", "2025-03-30T00:30:00+00:00")]
    # A bucket whose values are all equal (01:00 and 01:30, 50,000 MW): both extremes at its first.
    assert (hours[0]["timestamp"], hours[0]["max_w"], hours[0]["min_w"]) == ("2025-10-26T01:00:00+02:00",) + (5e10,) * 2
    assert (hours[0]["max_at"], hours[0]["min_at"]) == ("2025-10-26T01:00:00+02:00",) * 2
    (row,) = csv.DictReader(io.StringIO(as_csv.text))
    assert (row["max_at"], row["min_at"]) == ("2025-10-26T02:00:00+02:00", "2025-10-26T03:00:00+01:00")


def test_the_2012_peak_is_rte_s_published_record(tmp_path):
    """On the embedded history: 102,098 MW on 8 February 2012 at 19:00, France's record."""
    path = tmp_path / "consumption.sqlite3"
    store = SqliteStore.open(path)
    import_paths([ROOT / "data" / "history" / "eCO2mix_France_consumption_2012_definitive.zip"], store)
    store.close()
    with api_client(path) as client:
        (year,) = aggregate(client, start="2012-01-01", end="2012-12-31", interval="year")["data"]
    assert (year["max_w"], year["max_at"]) == (102_098_000_000, "2012-02-08T19:00:00+01:00")
