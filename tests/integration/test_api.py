"""The API against a database built by the real importer from fixture files."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import sqlite3
import threading
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import jsonschema
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from consumption.config import Settings
from consumption.domain.clock import PARIS
from consumption.services.importing import import_paths
from consumption.storage.database import connect
from consumption.storage.reader import MAX_WAITING, DatabaseUnavailable, Reader, Snapshot
from consumption.storage.repository import SqliteStore
from consumption.web.app import create_app
from tests.api_fixtures import (
    AUTUMN,
    JANUARY,
    SPRING,
    SUMMER,
    Client,
    api_client,
    consolidated_value,
    schema,
    served_client,
)
from tests.eco2mix_files import default_value, eco2mix_lines, expected_points, write_eco2mix


@pytest.fixture(scope="module")
def client(database) -> Iterator[Client]:
    with api_client(database) as client:
        yield client


def get(client: Client, **params: str):
    return client.get("/consumption", params=params)


def ok(client: Client, **params: str) -> dict:
    response = get(client, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    jsonschema.validate(body, schema("Consumption"))
    assert body["count"] == len(body["data"])
    return body


def instants(body: dict) -> list[int]:
    return [int(dt.datetime.fromisoformat(p["timestamp"]).timestamp()) for p in body["data"]]


def test_the_exercise_range_in_watts_with_offsets(client):
    body = ok(client, start="2025-01-01T06:00", end="2025-01-02T17:00")
    assert body["start"] == "2025-01-01T06:00:00+01:00"
    assert body["end"] == "2025-01-02T17:00:00+01:00"
    assert body["unit"] == "W"
    assert body["count"] == 36 + 35  # 06:00 to 23:30, then 00:00 to 17:00
    expected = expected_points(JANUARY)
    for point in body["data"]:
        instant = int(dt.datetime.fromisoformat(point["timestamp"]).timestamp())
        assert point["consumption_w"] == expected[instant] * 1_000_000
        assert point["timestamp"].endswith("+01:00")
        assert point["nature"] == "real-time"
    assert body["data"][0]["timestamp"] == "2025-01-01T06:00:00+01:00"
    assert body["data"][0]["consumption_w"] == default_value(JANUARY[0], 360) * 1_000_000


def test_nature_and_precedence_show_through(client):
    body = ok(client, start="2025-01-02T23:30", end="2025-01-03T00:00")
    assert [p["nature"] for p in body["data"]] == ["real-time", "consolidated"]
    assert body["data"][1]["consumption_w"] == consolidated_value(JANUARY[2], 0) * 1_000_000


def test_a_date_alone_is_the_whole_day(client):
    body = ok(client, start="2025-01-02", end="2025-01-02")
    assert body["start"] == "2025-01-02T00:00:00+01:00"
    assert body["end"] == "2025-01-02T23:30:00+01:00"
    assert body["count"] == 48


def test_spring_forward_day_has_46_half_hours_with_both_offsets(client):
    body = ok(client, start="2025-03-30", end="2025-03-30")
    assert body["count"] == 46
    assert body["end"] == "2025-03-30T23:30:00+02:00"
    stamps = [p["timestamp"] for p in body["data"]]
    assert stamps[3:5] == ["2025-03-30T01:30:00+01:00", "2025-03-30T03:00:00+02:00"]
    assert set(b - a for a, b in zip(instants(body), instants(body)[1:], strict=False)) == {1800}


def test_fall_back_day_has_48_half_hours_with_both_offsets(client):
    body = ok(client, start="2025-10-26", end="2025-10-26")
    assert body["count"] == 48
    stamps = [p["timestamp"] for p in body["data"]]
    assert stamps[4:7] == [
        "2025-10-26T02:00:00+02:00",
        "2025-10-26T02:30:00+02:00",
        "2025-10-26T03:00:00+01:00",
    ]
    # The repeated hour in winter time was never in RTE's file: it is absent, not invented.
    assert "2025-10-26T02:00:00+01:00" not in stamps


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Europe/Paris"])
def test_a_summer_time_day_is_json_with_its_keys_in_order_on_any_clock(client, zone):
    # Paris changes its offset within this UTC day; Kolkata's is half an hour off the hour.
    response = get(client, start="2025-03-29T22:00Z", end="2025-03-31T00:00Z", tz=zone)
    assert response.status_code == 200
    items = orjson.loads(response.content)["data"]
    assert [list(item) for item in items] == [["timestamp", "consumption_w", "nature"]] * 46
    clock = ZoneInfo(zone)
    expected = [dt.datetime.fromtimestamp(t, clock).isoformat() for t in instants({"data": items})]
    assert [item["timestamp"] for item in items] == expected
    assert len(set(expected)) == 46 and all(isinstance(item["consumption_w"], int) for item in items)


def test_an_ambiguous_naive_time_is_its_first_occurrence(client):
    body = ok(client, start="2025-10-26T02:00", end="2025-10-26T02:00")
    assert [p["timestamp"] for p in body["data"]] == ["2025-10-26T02:00:00+02:00"]
    later = ok(client, start="2025-10-26T02:00+01:00", end="2025-10-26T03:00+01:00")
    assert [p["timestamp"] for p in later["data"]] == ["2025-10-26T03:00:00+01:00"]


def test_bounds_are_inclusive_and_offsets_are_honoured(client):
    assert ok(client, start="2025-01-01T06:00", end="2025-01-01T06:00")["count"] == 1
    assert ok(client, start="2025-01-01T06:00:01", end="2025-01-01T06:30")["count"] == 1
    assert ok(client, start="2025-01-01T06:00", end="2025-01-01T06:29:59")["count"] == 1
    utc = ok(client, start="2025-01-01T05:00Z", end="2025-01-01T05:30:00+00:00")
    paris = ok(client, start="2025-01-01T06:00", end="2025-01-01T06:30")
    assert utc["data"] == paris["data"]
    assert utc["start"] == "2025-01-01T06:00:00+01:00"


def test_date_times_as_python_pandas_and_sqlite_print_them_are_read(client):
    spaced = client.get("/consumption?start=2025-01-01 06:00&end=2025-01-01 07:00:00+01:00")
    assert spaced.status_code == 200, spaced.text
    assert spaced.json() == ok(client, start="2025-01-01T06:00", end="2025-01-01T07:00:00+01:00")
    unencoded_plus = client.get("/consumption?start=2025-01-01 06:00:00+01:00&end=2025-01-01T07:00")
    assert unencoded_plus.json()["start"] == "2025-01-01T06:00:00+01:00"


def test_the_accepted_span_of_years_is_told(client):
    assert ok(client, start="2000-01-01", end="2100-12-31")["end"] == "2100-12-31T23:30:00+01:00"
    for bound in ("1999-12-31", "2101-01-01"):
        assert "the year must lie in 2000–2100" in error(client, 400, start=bound, end="2100-01-01")


def test_an_empty_range_is_an_empty_list(client):
    body = ok(client, start="2030-01-01", end="2030-12-31")
    assert (body["count"], body["data"]) == (0, [])


def test_a_long_range_streams_in_several_batches(client):
    body = ok(client, start="2024-01-01", end="2025-12-31")
    expected = expected_points(JANUARY + SPRING + AUTUMN + SUMMER)
    assert body["count"] == len(expected) > 4000
    assert instants(body) == sorted(expected)


def error(client: Client, status: int, path: str = "/consumption", **params) -> str:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    jsonschema.validate(body, schema("Error"))
    return body["error"]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({}, "'start'"),
        ({"start": "2025-01-01"}, "'end'"),
        ({"start": "", "end": "2025-01-01"}, "'start'"),
        ({"start": "2025-01-01", "end": "  "}, "'end'"),
        ({"start": "yesterday", "end": "2025-01-01"}, "'start'"),
        ({"start": "2025-01-01", "end": "2025-13-01"}, "'end'"),
        ({"start": "2025-02-30", "end": "2025-03-01"}, "'start'"),
        ({"start": "2025-01-01T25:00", "end": "2025-01-02"}, "'start'"),
        ({"start": "2025-01-02", "end": "2025-01-01"}, "'start'"),
        ({"start": "2025-03-30T02:30", "end": "2025-03-30T04:00"}, "'start'"),
        ({"start": "2025-01-01", "end": "2025-01-01T00:00:00+01:00" + "0" * 100}, "'end'"),
        ({"start": "2025-01-01", "end": "9999-12-31"}, "'end'"),
        ({"start": "2025-01-01", "end": "2025-01-02", "stat": "x"}, "'stat'"),
        ({"start": "2025-01-01", "end": "2025-01-02", "format": "xml"}, "'format'"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, params, names):
    assert names in error(client, 400, **params)


def test_a_repeated_parameter_is_refused(client):
    response = client.get("/consumption?start=2025-01-01&start=2025-01-02&end=2025-01-03")
    assert response.status_code == 400
    assert "'start': given 2 times" in response.json()["error"]


def test_the_spring_gap_is_refused_with_a_reason(client):
    message = error(client, 400, start="2025-03-30T02:00", end="2025-03-30T05:00")
    assert "does not exist in Europe/Paris" in message


def test_other_methods_and_paths_are_json_errors(client):
    response = client.post("/consumption?start=2025-01-01&end=2025-01-01")
    assert response.status_code == 405
    assert "GET" in response.json()["error"]
    assert "GET" in response.headers["allow"]
    assert "/nowhere" in error(client, 404, "/nowhere")


def test_health_reports_what_is_stored(client, database):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, schema("Health"))
    with sqlite3.connect(database) as connection:
        count, first, last = connection.execute(
            "SELECT count(*), min(timestamp), max(timestamp) FROM consumption"
        ).fetchone()
    assert body["status"] == "ok"
    assert body["half_hours"] == count
    assert body["first"] == dt.datetime.fromtimestamp(first, PARIS.zone).isoformat()
    assert body["last"] == dt.datetime.fromtimestamp(last, PARIS.zone).isoformat()


def test_without_a_database_queries_and_health_are_503(tmp_path):
    with served_client(tmp_path / "absent.sqlite3") as client:
        assert "no database" in error(client, 503, start="2025-01-01", end="2025-01-01")
        assert "no database" in error(client, 503, "/ready")
        response = client.get("/health")
        assert response.status_code == 503
        jsonschema.validate(response.json(), schema("Unavailable"))
    assert not (tmp_path / "absent.sqlite3").exists()


def test_an_empty_database_is_healthy_but_not_ready(tmp_path):
    connect(tmp_path / "empty.sqlite3").close()
    with api_client(tmp_path / "empty.sqlite3") as client:
        body = client.get("/health").json()
        assert "no data yet" in error(client, 503, "/ready")
    assert (body["status"], body["half_hours"], body["first"]) == ("empty", 0, None)


def test_ready_once_there_is_data(client):
    response = client.get("/ready")
    assert response.status_code == 200
    jsonschema.validate(response.json(), schema("Ready"))


def test_the_api_cannot_write(database):
    reader = create_app(Settings(database_path=database)).state.service.reader
    with pytest.raises(DatabaseUnavailable, match="readonly"):
        asyncio.run(reader.run(lambda snapshot: snapshot.connection.execute("DELETE FROM consumption")))
    reader.close()


ENDLESS = "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


def test_a_query_past_the_time_limit_is_a_503_that_says_so(database, monkeypatch):
    monkeypatch.setattr(Snapshot, "status", lambda snapshot: snapshot.connection.execute(ENDLESS).fetchone())
    with api_client(database, sql_time_limit_ms=50) as client:
        started = time.monotonic()
        response = client.get("/health")
        assert time.monotonic() - started < 5
        jsonschema.validate(response.json(), schema("Unavailable"))
        assert response.status_code == 503
        assert "longer than 50 ms (SQL_TIME_LIMIT_MS)" in response.json()["error"]
        assert ok(client, start="2025-01-01", end="2025-01-01")["count"] == 48  # the next request is answered


def test_a_request_beyond_the_reading_threads_queue_is_a_503(database):
    reader = Reader(database, 10_000, threads=1)
    release = threading.Event()

    async def flood() -> list[object]:
        held = asyncio.ensure_future(reader.run(lambda snapshot: release.wait(10)))
        await asyncio.sleep(0.1)  # the one thread is busy: the next requests wait in the queue
        waiting = [asyncio.ensure_future(reader.run(lambda snapshot: snapshot.freshness)) for _ in range(MAX_WAITING)]
        await asyncio.sleep(0)
        with pytest.raises(DatabaseUnavailable, match="the service is busy"):
            await reader.run(lambda snapshot: snapshot.freshness)
        release.set()
        return await asyncio.gather(held, *waiting)

    answers = asyncio.run(flood())
    reader.close()
    assert len(answers) == MAX_WAITING + 1  # every queued request was answered once the thread was free


def test_the_openapi_document_is_valid_and_covers_the_routes(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    routes = {"/", "/consumption", "/consumption/latest", "/consumption/gaps", "/health", "/ready", "/openapi.json"}
    routes |= {"/docs", "/metrics", "/consumption/peaks", "/consumption/profile"}
    assert set(document["paths"]) == routes
    assert {p["name"] for p in document["paths"]["/consumption"]["get"]["parameters"]} == {
        "start",
        "end",
        "interval",
        "tz",
        "format",
        "If-None-Match",
    }
    assert set(document["paths"]["/consumption"]["get"]["responses"]["200"]["content"]) == {
        "application/json",
        "text/csv",
    }


bounds = st.one_of(
    st.text(max_size=80),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)).map(dt.datetime.isoformat),
    st.dates().map(dt.date.isoformat),
    st.datetimes(timezones=st.sampled_from([dt.UTC, PARIS.zone, dt.timezone(dt.timedelta(hours=-11))])).map(
        dt.datetime.isoformat
    ),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    start=bounds,
    end=bounds,
    extra=st.dictionaries(
        st.sampled_from(["format", "x", ""]) | st.text(max_size=5),
        st.sampled_from(["csv", "json"]) | st.text(max_size=5),
        max_size=2,
    ),
)
def test_fuzzed_parameters_never_give_a_server_error(client, start, end, extra):
    response = client.get("/consumption", params={"start": start, "end": end, **extra})
    assert response.status_code in (200, 400), response.text
    if response.headers["content-type"].startswith("text/csv"):
        assert response.status_code == 200
        assert response.text.startswith("timestamp,consumption_w,nature\r\n")
        return
    body = response.json()
    jsonschema.validate(body, schema("Consumption" if response.status_code == 200 else "Error"))


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    "request_options",
    [
        {"params": {"format": "csv"}},
        {"headers": {"Accept": "text/csv"}},
        {"headers": {"Accept": "text/csv, application/json;q=0.5"}},
    ],
)
def test_csv_has_the_same_values_as_json(client, request_options):
    bounds = {"start": "2024-06-01", "end": "2024-08-31"}  # several batches: streamed
    json_body = ok(client, **bounds)
    response = client.get(
        "/consumption",
        params={**bounds, **request_options.get("params", {})},
        headers=request_options.get("headers", {}),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.startswith("timestamp,consumption_w,nature\r\n")
    rows = csv_rows(response.text)
    assert [(r["timestamp"], int(r["consumption_w"]), r["nature"]) for r in rows] == [
        (p["timestamp"], p["consumption_w"], p["nature"]) for p in json_body["data"]
    ]
    assert 'filename="consumption_2024-06-01_2024-08-31.csv"' in response.headers["content-disposition"]


def test_csv_for_a_short_range_and_json_stays_the_default(client):
    assert client.get("/consumption?start=2025-01-01&end=2025-01-01").headers["content-type"] == "application/json"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert (
        client.get("/consumption?start=2025-01-01&end=2025-01-01", headers={"Accept": browser}).headers["content-type"]
        == "application/json"
    )
    prefers_json = {"Accept": "application/json, text/csv;q=0.1"}
    assert (
        client.get("/consumption?start=2025-01-01&end=2025-01-01", headers=prefers_json).headers["content-type"]
        == "application/json"
    )
    response = client.get("/consumption?start=2025-01-01T06:00&end=2025-01-01T07:00&format=csv")
    assert csv_rows(response.text)[0] == {
        "timestamp": "2025-01-01T06:00:00+01:00",
        "consumption_w": str(default_value(JANUARY[0], 360) * 1_000_000),
        "nature": "real-time",
    }
    assert len(csv_rows(response.text)) == 3


def test_an_error_asked_as_csv_is_still_json(client):
    response = client.get("/consumption?start=2025-01-02&end=2025-01-01&format=csv")
    assert response.status_code == 400
    assert "'start'" in response.json()["error"]


def test_the_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<svg id="chart"' in response.text
    assert "http" not in response.text.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


def test_cached_days_serve_overlapping_ranges_exactly(client):
    expected = expected_points(SUMMER)
    ok(client, start="2024-06-01", end="2024-08-31")  # fills the cache with whole days
    for start, end in [
        ("2024-06-01", "2024-08-31"),
        ("2024-06-10T13:30", "2024-07-02T01:00"),  # partial days at both ends
        ("2024-06-15T02:00+00:00", "2024-06-15T23:30+00:00"),  # one whole UTC day
        ("2024-07-04", "2024-07-04"),
    ]:
        body = ok(client, start=start, end=end)
        low = dt.datetime.fromisoformat(body["start"]).timestamp()
        high = dt.datetime.fromisoformat(body["end"]).timestamp()
        wanted = sorted(t for t in expected if low <= t <= high)
        assert instants(body) == wanted
        assert [p["consumption_w"] for p in body["data"]] == [expected[t] * 1_000_000 for t in wanted]
        csv_body = client.get("/consumption", params={"start": start, "end": end, "format": "csv"}).text
        assert [int(r["consumption_w"]) for r in csv_rows(csv_body)] == [expected[t] * 1_000_000 for t in wanted]


def test_an_import_is_seen_at_once(tmp_path):
    path = tmp_path / "consumption.sqlite3"
    store = SqliteStore.open(path)
    import_paths([write_eco2mix(tmp_path / "a.xls", eco2mix_lines(JANUARY))], store)
    with api_client(path) as client:
        before = ok(client, start="2025-01-01", end="2025-01-03")
        assert ok(client, start="2025-01-01", end="2025-01-03") == before
        import_paths(
            [write_eco2mix(tmp_path / "b.xls", eco2mix_lines(JANUARY, consolidated_value, nature="consolidated"))],
            store,
        )
        after = ok(client, start="2025-01-01", end="2025-01-03")
    store.close()
    expected = expected_points(JANUARY, consolidated_value)
    assert [p["consumption_w"] for p in after["data"]] == [expected[t] * 1_000_000 for t in sorted(expected)]
    assert {p["nature"] for p in after["data"]} == {"consolidated"}
