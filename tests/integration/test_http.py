"""HTTP around the data: ETag and 304, Cache-Control, gzip, CORS, `tz`, the latest value, /docs."""

from __future__ import annotations

import datetime as dt
import gzip
import sqlite3
import time
from pathlib import Path

import jsonschema
import pytest

from consumption.config import Settings
from consumption.domain import RefreshRecord
from consumption.services.importing import import_paths
from consumption.storage.database import connect
from consumption.storage.repository import SqliteStore
from consumption.web import app as app_module
from tests.api_fixtures import JANUARY, api_client, consolidated_value, schema, served_client
from tests.eco2mix_files import days, eco2mix_lines, write_eco2mix

DAY = {"start": "2025-01-01", "end": "2025-01-01"}
SUMMER = {"start": "2024-06-01", "end": "2024-08-31"}  # several batches: a streamed response


@pytest.fixture(scope="module")
def client(database):
    with api_client(database) as client:
        yield client


@pytest.fixture(scope="module")
def served(database):
    """The app behind uvicorn, where what the server adds (chunked streams) is the point."""
    with served_client(database) as client:
        yield client


def test_a_repeated_request_with_its_etag_is_a_304_without_a_body(client):
    first = client.get("/consumption", params=DAY)
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    again = client.get("/consumption", params=DAY, headers={"If-None-Match": tag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == tag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert client.get("/consumption", params=DAY, headers={"If-None-Match": '"other", ' + tag}).status_code == 304
    assert client.get("/consumption", params=DAY, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get("/consumption", params=DAY, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_tag_names_what_was_asked(client):
    tags = {
        client.get("/consumption", params={**DAY, **extra}).headers["etag"]
        for extra in ({}, {"format": "csv"}, {"interval": "day"}, {"tz": "UTC"}, {"end": "2025-01-02"})
    }
    assert len(tags) == 5
    # The same resolved range written otherwise is the same answer, with the same tag.
    same = client.get("/consumption", params={"start": "2025-01-01T00:00", "end": "2025-01-01T23:30+01:00"})
    assert same.headers["etag"] == client.get("/consumption", params=DAY).headers["etag"]


def test_the_tag_changes_exactly_when_the_data_do(tmp_path):
    path = tmp_path / "consumption.sqlite3"
    store = SqliteStore.open(path)
    lines = eco2mix_lines(JANUARY)
    import_paths([write_eco2mix(tmp_path / "a.xls", lines)], store)
    with api_client(path) as client:
        before = client.get("/consumption", params=DAY).headers["etag"]
        import_paths([write_eco2mix(tmp_path / "same.xls", lines)], store)  # changes nothing
        assert client.get("/consumption", params=DAY, headers={"If-None-Match": before}).status_code == 304
        better = eco2mix_lines(JANUARY, consolidated_value, nature="consolidated")
        import_paths([write_eco2mix(tmp_path / "b.xls", better)], store)
        after = client.get("/consumption", params=DAY, headers={"If-None-Match": before})
    store.close()
    assert after.status_code == 200 and after.headers["etag"] != before
    assert {p["nature"] for p in after.json()["data"]} == {"consolidated"}


def test_cache_control_lasts_until_the_next_refresh_could_change_the_data(tmp_path):
    path = tmp_path / "consumption.sqlite3"
    store = SqliteStore.open(path)
    import_paths([write_eco2mix(tmp_path / "a.xls", eco2mix_lines(JANUARY))], store)
    with api_client(path, refresh_interval=3600) as client:
        assert client.get("/consumption", params=DAY).headers["cache-control"] == "public, no-cache"
        store.archives.record_refresh(RefreshRecord(int(time.time()) - 600, True, "ok"))
        max_age = client.get("/consumption", params=DAY).headers["cache-control"]
        assert max_age.startswith("public, max-age=")
        assert 2990 <= int(max_age.split("=")[1]) <= 3000
        store.archives.record_refresh(RefreshRecord(int(time.time()), False, "RTE unreachable"))
        assert client.get("/consumption", params=DAY).headers["cache-control"] == "public, no-cache"
    store.close()
    with api_client(path) as client:  # no periodic refresh: revalidate every time
        assert client.get("/consumption", params=DAY).headers["cache-control"] == "public, no-cache"


@pytest.mark.parametrize("params", [DAY, SUMMER, {**SUMMER, "format": "csv"}, {**SUMMER, "interval": "hour"}])
def test_gzip_when_accepted_streamed_responses_included(served, params, monkeypatch):
    # uvicorn runs in this process: a summer is streamed when ranges that long are.
    monkeypatch.setattr(app_module, "MAX_WHOLE_ROWS", 1000)
    streamed = params is not DAY  # no length known in advance
    params = dict(reversed(list(params.items())))
    with served.stream("GET", "/consumption", params=params, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["vary"]
        raw = b"".join(response.iter_raw())
    plain = served.get("/consumption", params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content
    assert len(raw) < len(plain.content) / 4
    if streamed:
        assert response.headers.get("transfer-encoding") == "chunked"


def test_cors_lets_any_origin_read_by_default(client):
    response = client.get("/consumption", params=DAY, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = client.options(
        "/consumption",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_cors_origins_is_a_setting(database):
    with api_client(database, cors_origins=("https://a.example",)) as client:
        allowed = client.get("/consumption", params=DAY, headers={"Origin": "https://a.example"})
        other = client.get("/consumption", params=DAY, headers={"Origin": "https://b.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://a.example"
    assert "access-control-allow-origin" not in other.headers


def test_settings_read_cors_origins():
    def origins(value: str) -> tuple[str, ...]:
        return Settings.from_environment(env_file=None, environ={"CORS_ORIGINS": value}).cors_origins

    assert Settings.from_environment(env_file=None, environ={}).cors_origins == ("*",)
    assert origins("https://a.example, https://b.example") == ("https://a.example", "https://b.example")
    assert origins("") == ()


def test_tz_sets_the_clock_of_bounds_output_and_buckets(client):
    utc = client.get("/consumption", params={"start": "2025-01-01T05:00", "end": "2025-01-01T05:30", "tz": "UTC"})
    paris = client.get("/consumption", params={"start": "2025-01-01T06:00", "end": "2025-01-01T06:30"})
    assert utc.json()["start"] == "2025-01-01T05:00:00+00:00"
    assert [p["timestamp"] for p in utc.json()["data"]] == ["2025-01-01T05:00:00+00:00", "2025-01-01T05:30:00+00:00"]
    assert [p["consumption_w"] for p in utc.json()["data"]] == [p["consumption_w"] for p in paris.json()["data"]]
    day = client.get("/consumption", params={**DAY, "interval": "day", "tz": "America/New_York"}).json()
    assert day["data"][0]["timestamp"] == "2025-01-01T00:00:00-05:00"
    assert day["end"] == "2025-01-01T23:30:00-05:00"


def test_an_unknown_zone_is_a_400_naming_it(client):
    response = client.get("/consumption", params={**DAY, "tz": "Europe/Atlantis"})
    assert response.status_code == 400
    assert "'tz'" in response.json()["error"] and "Europe/Atlantis" in response.json()["error"]


def test_an_offset_whose_plus_arrived_as_a_space_is_read_as_plus(client):
    spaced = client.get("/consumption?start=2025-01-01T06:00:00+01:00&end=2025-01-01T07:00:00+01:00")
    encoded = client.get("/consumption?start=2025-01-01T06:00:00%2B01:00&end=2025-01-01T07:00:00%2B01:00")
    assert spaced.status_code == 200, spaced.text
    assert spaced.json() == encoded.json()
    assert spaced.json()["count"] == 3


@pytest.mark.parametrize("value", ["", "CSV", " csv", "csv ", "Json"])
def test_format_is_exactly_json_or_csv(client, value):
    response = client.get("/consumption", params={**DAY, "format": value})
    assert response.status_code == 400
    assert "'format'" in response.json()["error"]


def test_accept_is_case_insensitive(client):
    response = client.get("/consumption", params=DAY, headers={"Accept": "TEXT/CSV"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("start", "end"),
    [("1900-01-01", "2025-01-01"), ("2025-01-01", "9999-12-31"), ("2025-01-01", "9999-12-31T23:30")],
)
def test_years_outside_2000_2100_are_refused_with_the_range(client, start, end):
    response = client.get("/consumption", params={"start": start, "end": end})
    assert response.status_code == 400
    assert "2000–2100" in response.json()["error"]


def test_the_whole_accepted_range_is_answered_with_rfc3339_bounds(client):
    body = client.get("/consumption", params={"start": "2000-01-01", "end": "2100-12-31", "interval": "year"}).json()
    assert (body["start"], body["end"]) == ("2000-01-01T00:00:00+01:00", "2100-12-31T23:30:00+01:00")
    assert [b["timestamp"][:4] for b in body["data"]] == ["2024", "2025"]


def test_latest_is_the_last_half_hour_and_its_age(served, database):
    response = served.get("/consumption/latest")
    assert response.status_code == 200
    body = response.json()
    jsonschema.validate(body, schema("Latest"))
    assert body["timestamp"] == "2025-10-26T23:30:00+01:00"
    age = time.time() - dt.datetime.fromisoformat(body["timestamp"]).timestamp()
    assert abs(body["age_seconds"] - age) < 5
    assert served.get("/consumption/latest", params={"tz": "UTC"}).json()["timestamp"] == "2025-10-26T22:30:00+00:00"
    assert served.get("/consumption/latest", params={"tz": "Mars/Olympus"}).status_code == 400
    assert served.get("/consumption/latest", params={"x": "1"}).status_code == 400


def test_latest_of_an_empty_database_is_a_404_that_says_so(tmp_path):
    connect(tmp_path / "empty.sqlite3").close()
    with api_client(tmp_path / "empty.sqlite3") as client:
        response = client.get("/consumption/latest")
        empty = client.get("/consumption", params=DAY).json()
    assert response.status_code == 404
    assert "no half hour is stored yet" in response.json()["error"]
    assert empty["stored"] == {"first": None, "last": None}


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_answer_if_none_match_with_304(client, path):
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    again = client.get(path, headers={"If-None-Match": page.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_docs_is_an_explorer_of_the_document_with_nothing_from_elsewhere(client):
    page = client.get("/docs").text
    assert '<script src="/docs.js">' in page and '<link rel="stylesheet" href="/docs.css">' in page
    script, style = client.get("/docs.js").text, client.get("/docs.css").text
    assert 'fetch("/openapi.json")' in script
    for text in (page, script, style):  # nothing from another origin
        assert "http" not in text.replace("http://www.w3.org/2000/svg", "")


def january_database(path: Path, value=None) -> Path:
    """A database of 1 January 2025 built on its own, at generation 1."""
    store = SqliteStore.open(path)
    lines = eco2mix_lines(days(JANUARY[0], JANUARY[0]), *([value] if value else []))
    import_paths([write_eco2mix(path.with_suffix(".xls"), lines)], store)
    store.close()
    return path


def test_databases_built_apart_at_the_same_generation_never_share_a_tag(tmp_path: Path):
    """Two replicas, each building its own database: a client behind a load balancer that
    holds one's tag must get the other's body, never a 304."""
    answers = []
    for name, value in (("a.sqlite3", None), ("b.sqlite3", consolidated_value)):
        with api_client(january_database(tmp_path / name, value)) as client:
            answers.append(client.get("/consumption", params=DAY))
    (a, b) = answers
    assert a.json()["data"] != b.json()["data"]
    assert a.headers["etag"] != b.headers["etag"]
    for path, other in ((tmp_path / "a.sqlite3", b), (tmp_path / "b.sqlite3", a)):
        with api_client(path) as client:
            assert (
                client.get("/consumption", params=DAY, headers={"If-None-Match": other.headers["etag"]}).status_code
                == 200
            )


def test_a_version_1_database_is_given_an_id_once_and_then_tagged(tmp_path: Path):
    path = january_database(tmp_path / "old.sqlite3")
    with sqlite3.connect(path) as connection:  # as version 1 made it: no database id
        connection.execute("ALTER TABLE generation DROP COLUMN database_id")
        connection.execute("PRAGMA user_version = 1")
    connection.close()
    SqliteStore.open(path).close()  # what `serve` and every command do first
    with sqlite3.connect(path) as connection:
        ((version,),) = connection.execute("PRAGMA user_version")
        ((database_id,),) = connection.execute("SELECT database_id FROM generation")
    connection.close()
    SqliteStore.open(path).close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT database_id FROM generation").fetchone() == (database_id,)  # once
    connection.close()
    assert version == 2 and len(database_id) == 16
    with api_client(path) as client:
        response = client.get("/consumption", params=DAY)
    assert response.headers["etag"].startswith(f'W/"{database_id}-1-')
    assert response.json()["count"] == 48


def test_cached_days_are_kept_per_zone(client):
    paris = client.get("/consumption", params=SUMMER).json()  # fills the cache with whole UTC days
    utc = client.get("/consumption", params={**SUMMER, "tz": "UTC"}).json()
    assert {p["timestamp"][-6:] for p in paris["data"]} == {"+02:00"}
    assert {p["timestamp"][-6:] for p in utc["data"]} == {"+00:00"}
    by_instant = {dt.datetime.fromisoformat(p["timestamp"]): p["consumption_w"] for p in paris["data"]}
    same = [p for p in utc["data"] if dt.datetime.fromisoformat(p["timestamp"]) in by_instant]
    # UTC's 1 June starts two hours after Paris's; the data end on 31 August, Paris time.
    assert len(same) == len(utc["data"]) == len(paris["data"]) - 4
    assert all(by_instant[dt.datetime.fromisoformat(p["timestamp"])] == p["consumption_w"] for p in same)


def test_a_long_body_is_the_same_with_gzip_or_without(client):
    """A body is the same whoever asks, gzip or not."""
    params = {"end": SUMMER["end"], "start": SUMMER["start"], "format": "json"}  # an order of its own
    first = client.get("/consumption", params=params, headers={"Accept-Encoding": "gzip"})
    again = client.get("/consumption", params=params, headers={"Accept-Encoding": "gzip"})
    plain = client.get("/consumption", params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert again.headers["content-encoding"] == "gzip"
    assert first.content == again.content == plain.content  # httpx decodes the gzip ones
