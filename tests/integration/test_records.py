"""`/consumption/peaks` and `/consumption/profile` against an independent computation: the
half hours that ODRÉ exports of a few days hold (both occurrences of the autumn repeated
hour, none of the skipped spring one), ranked, bucketed and grouped here with zoneinfo and
plain Python."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore
from consumption.web.openapi import openapi_document
from consumption.web.records import PEAK_INTERVALS
from tests.api_fixtures import Client, api_client, schema
from tests.eco2mix_files import days, odre_csv, odre_expected, odre_rows

PARIS = ZoneInfo("Europe/Paris")
JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))  # Wednesday to Friday
SPRING = days(dt.date(2025, 3, 29), dt.date(2025, 3, 31))  # forward on Sunday the 30th
AUTUMN = days(dt.date(2025, 10, 25), dt.date(2025, 10, 27))  # back on Sunday the 26th
ZONES = ["Europe/Paris", "UTC", "America/New_York"]


def value(instant: int) -> int:
    """A consumption in MW with many ties: 61 values, scattered."""
    return 50_000 + (instant // 1800 * 7919) % 61 * 37


# One export each: an export holds every day from its first to its last.
EXPORTS = {
    nature: odre_rows(days_, nature=nature, value=value)
    for nature, days_ in (("real-time", JANUARY), ("consolidated", SPRING), ("definitive", AUTUMN))
}
STORED = {t: (mw, nature) for nature, rows in EXPORTS.items() for t, mw in odre_expected(rows).items()}


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[Client]:
    folder = tmp_path_factory.mktemp("records")
    for nature, rows in EXPORTS.items():
        (folder / f"eco2mix-national-{nature}.csv").write_bytes(odre_csv(rows))
    store = SqliteStore.open(folder / "consumption.sqlite3")
    import_paths(sorted(folder.glob("*.csv")), store)
    store.close()
    with api_client(folder / "consumption.sqlite3") as client:
        yield client


def get(client: Client, path: str, component: str, **params: str) -> dict:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, schema(component))
    assert body["count"] == len(body["data"])
    return body


def instant(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def stamp(t: int, zone: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(t, zone).isoformat()


def in_range(start: str, end: str) -> dict[int, tuple[int, str]]:
    return {t: point for t, point in STORED.items() if instant(start) <= t <= instant(end)}


def bucket_of(t: int, interval: str, zone: ZoneInfo) -> dt.date:
    """The first local date of the day, week, month or year holding `t` on the clock of `zone`."""
    date = dt.datetime.fromtimestamp(t, zone).date()
    return {
        "day": date,
        "week": date - dt.timedelta(date.weekday()),
        "month": date.replace(day=1),
        "year": date.replace(month=1, day=1),
    }[interval]


RANGES = [
    pytest.param("2025-01-01T00:00:00+01:00", "2025-12-31T23:30:00+01:00", id="everything"),
    pytest.param("2025-01-01T18:00:00+01:00", "2025-01-03T17:30:00+01:00", id="clipped"),
    pytest.param("2025-03-29T12:00:00+01:00", "2025-03-31T12:00:00+02:00", id="spring-forward"),
    pytest.param("2025-10-25T12:00:00+02:00", "2025-10-26T23:30:00+01:00", id="fall-back"),
    pytest.param("2025-05-01T00:00:00+02:00", "2025-06-01T00:00:00+02:00", id="nothing-stored"),
]


@pytest.mark.parametrize("order", ["highest", "lowest"])
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("start", "end"), RANGES)
def test_peak_half_hours_are_an_independent_ranking(client, start, end, zone, order):
    body = get(client, "/consumption/peaks", "Peaks", start=start, end=end, n="25", order=order, tz=zone)
    sign = -1 if order == "highest" else 1
    ranked = sorted(in_range(start, end).items(), key=lambda item: (sign * item[1][0], item[0]))[:25]
    expected = [
        {"timestamp": stamp(t, ZoneInfo(zone)), "consumption_w": mw * 1_000_000, "nature": nature}
        for t, (mw, nature) in ranked
    ]
    assert body["data"] == expected
    assert bool(expected) != start.startswith("2025-05")  # only the range named so holds nothing
    assert (body["interval"], body["order"], body["unit"]) == ("half-hour", order, "W")


def test_ties_come_earliest_first_and_n_defaults_to_ten(client):
    data = get(client, "/consumption/peaks", "Peaks", start="2025-01-01", end="2025-12-31")["data"]
    assert len(data) == 10
    tied = [item for item in data if item["consumption_w"] == data[0]["consumption_w"]]
    assert len(tied) > 1  # the fixture's ties are tested, not assumed
    assert [item["timestamp"] for item in tied] == sorted(item["timestamp"] for item in tied)


@pytest.mark.parametrize("order", ["highest", "lowest"])
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("interval", PEAK_INTERVALS)
@pytest.mark.parametrize(("start", "end"), RANGES)
def test_peak_buckets_are_an_independent_ranking(client, start, end, interval, zone, order):
    tz = ZoneInfo(zone)
    body = get(client, "/consumption/peaks", "Peaks", start=start, end=end, interval=interval, tz=zone, order=order)
    grouped: dict[dt.date, list[tuple[int, int]]] = defaultdict(list)
    for t, (mw, _) in in_range(start, end).items():
        grouped[bucket_of(t, interval, tz)].append((mw, t))
    pick = max if order == "highest" else min
    extremes = []
    for first_date, values in grouped.items():
        extreme = pick(mw for mw, _ in values)
        bucket_start = max(instant(start), int(dt.datetime.combine(first_date, dt.time(), tz).timestamp()))
        extremes.append((extreme, bucket_start, min(t for mw, t in values if mw == extreme)))
    sign = -1 if order == "highest" else 1
    extremes.sort(key=lambda item: (sign * item[0], item[1]))
    word = "max" if order == "highest" else "min"
    expected = [
        {"timestamp": stamp(first, tz), f"{word}_w": mw * 1_000_000, f"{word}_at": stamp(at, tz)}
        for mw, first, at in extremes[:10]
    ]
    assert body["data"] == expected
    assert body["interval"] == interval


def expected_profile(start: str, end: str, zone: ZoneInfo, by_weekday: bool) -> list[dict]:
    slots: dict[tuple[int, str], list[int]] = defaultdict(list)
    for t, (mw, _) in in_range(start, end).items():
        local = dt.datetime.fromtimestamp(t, zone)
        slots[(local.isoweekday() if by_weekday else 0, f"{local:%H:%M}")].append(mw * 1_000_000)
    items = []
    for weekday in range(1, 8) if by_weekday else [0]:
        for minutes in range(0, 1440, 30):
            time = f"{minutes // 60:02d}:{minutes % 60:02d}"
            values = slots.get((weekday, time), [])
            item: dict[str, object] = {"weekday": weekday} if by_weekday else {}
            item |= {"time": time, "mean_w": round(Fraction(sum(values), len(values))) if values else None}
            item |= {"min_w": min(values, default=None), "max_w": max(values, default=None), "count": len(values)}
            items.append(item)
    return items


@pytest.mark.parametrize("by", [None, "weekday"])
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("start", "end"), RANGES)
def test_the_profile_is_an_independent_grouping(client, start, end, zone, by):
    params = {"start": start, "end": end, "tz": zone} | ({"by": by} if by else {})
    body = get(client, "/consumption/profile", "Profile", **params)
    assert body["data"] == expected_profile(start, end, ZoneInfo(zone), by is not None)
    assert body["count"] == (336 if by else 48) and body["by"] == by


def test_the_clock_changes_show_in_the_counts(client):
    """The autumn repeated hour counts twice; the hour the spring night skips, not at all."""
    autumn = get(client, "/consumption/profile", "Profile", start="2025-10-26", end="2025-10-26")["data"]
    assert {item["time"]: item["count"] for item in autumn if item["count"] != 1} == {
        "02:00": 2,
        "02:30": 2,
    }
    spring = get(client, "/consumption/profile", "Profile", start="2025-03-30", end="2025-03-30")["data"]
    empty = [item for item in spring if item["count"] == 0]
    assert empty == [{"time": t, "mean_w": None, "min_w": None, "max_w": None, "count": 0} for t in ("02:00", "02:30")]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/consumption/peaks", {"n": "0"}, "n"),
        ("/consumption/peaks", {"n": "1001"}, "n"),
        ("/consumption/peaks", {"n": "ten"}, "n"),
        ("/consumption/peaks", {"n": "1.5"}, "n"),
        ("/consumption/peaks", {"n": ""}, "n"),
        ("/consumption/peaks", {"order": "max"}, "order"),
        ("/consumption/peaks", {"interval": "hour"}, "interval"),
        ("/consumption/peaks", {"interval": "half-hour"}, "interval"),
        ("/consumption/peaks", {"interval": "all"}, "interval"),
        ("/consumption/peaks", {"by": "weekday"}, "by"),
        ("/consumption/profile", {"by": "day"}, "by"),
        ("/consumption/profile", {"by": ""}, "by"),
        ("/consumption/profile", {"interval": "day"}, "interval"),
        ("/consumption/profile", {"n": "3"}, "n"),
        ("/consumption/profile", {"order": "lowest"}, "order"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, path, params, parameter):
    response = client.get(path, params={"start": "2025-01-01", "end": "2025-01-02", **params})
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"parameter {parameter!r}: ")


def test_the_expected_values_are_said(client):
    errors = {
        "n": client.get("/consumption/peaks?start=2025-01-01&end=2025-01-02&n=0"),
        "order": client.get("/consumption/peaks?start=2025-01-01&end=2025-01-02&order=max"),
        "interval": client.get("/consumption/peaks?start=2025-01-01&end=2025-01-02&interval=hour"),
        "by": client.get("/consumption/profile?start=2025-01-01&end=2025-01-02&by=day"),
    }
    said = {name: response.json()["error"] for name, response in errors.items()}
    assert "from 1 to 1000" in said["n"]
    assert "highest, lowest" in said["order"]
    assert "day, week, month, year" in said["interval"]
    assert "weekday" in said["by"]


@pytest.mark.parametrize(
    ("path", "params", "component"),
    [
        ("/consumption/peaks", {}, "Peaks"),
        ("/consumption/peaks", {"interval": "week"}, "Peaks"),
        ("/consumption/peaks", {"interval": "day", "order": "lowest"}, "Peaks"),
        ("/consumption/profile", {}, "Profile"),
        ("/consumption/profile", {"by": "weekday"}, "Profile"),
    ],
)
def test_csv_has_the_json_items_columns_in_order(client, path, params, component):
    params = {"start": "2025-01-01", "end": "2025-12-31", **params}
    items = get(client, path, component, **params)["data"]
    response = client.get(path, params=params | {"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    header, *lines = list(csv.reader(io.StringIO(response.text)))
    assert header == list(items[0])
    assert lines == [["" if v is None else str(v) for v in item.values()] for item in items]


@pytest.mark.parametrize(
    "url",
    [
        "/consumption/peaks?start=2025-01-01&end=2025-12-31&interval=day",
        "/consumption/profile?start=2025-01-01&end=2025-12-31&by=weekday",
    ],
)
def test_a_current_etag_gets_a_304_and_another_request_another_tag(client, url):
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"].startswith('W/"')
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    other = client.get(url + "&format=csv")
    assert other.headers["ETag"] != first.headers["ETag"]
    changed = client.get(url.replace("2025-12-31", "2025-10-26"), headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200


def test_the_n_and_order_are_in_the_tag(client):
    url = "/consumption/peaks?start=2025-01-01&end=2025-12-31"
    tags = {client.get(url + extra).headers["ETag"] for extra in ("", "&n=3", "&order=lowest")}
    assert len(tags) == 3


def test_the_document_lists_the_intervals_peaks_accepts():
    parameters = openapi_document()["paths"]["/consumption/peaks"]["get"]["parameters"]
    (interval,) = [parameter for parameter in parameters if parameter["name"] == "interval"]
    assert interval["schema"]["enum"] == list(PEAK_INTERVALS)


@pytest.mark.parametrize(("path", "extra"), [("/consumption/peaks", {"n": "1000"}), ("/consumption/profile", {})])
def test_gzip_and_cors_as_on_the_other_data_routes(client, path, extra):
    headers = {"Accept-Encoding": "gzip", "Origin": "https://example.org"}
    response = client.get(path, params={"start": "2025-01-01", "end": "2025-12-31", **extra}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["count"] > 0  # the client decompressed it
