"""The page in a real browser: headless Chromium (Debian's package) driven by Selenium."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import math
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from consumption.config import Settings
from consumption.services.importing import import_paths
from consumption.storage.database import connect
from consumption.storage.repository import SqliteStore
from consumption.web.app import create_app
from consumption.web.page import CONTENT_SECURITY_POLICY
from tests.browser import fits_the_phone, needs_chromium, small_targets, start_chromium
from tests.eco2mix_files import days, eco2mix_lines, write_eco2mix
from tests.helpers import running_server

pytestmark = needs_chromium
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "page.png"
HISTORY = Path(__file__).resolve().parents[2] / "data" / "history"  # France's real consumption, 2012-2021
LAST_DAY = dt.date(2025, 4, 1)
FIRST = "2024-01-01T00:00"
LAST = f"{LAST_DAY}T23:30"
# The plot area's margins inside the chart's viewBox (page.js: LEFT, RIGHT), whose width is the chart's.
PLOT_LEFT, PLOT_RIGHT = 60, 16


def daily_profile(day: dt.date, minutes: int) -> int:
    """A plausible day: a night trough, a morning rise and an evening peak, in MW."""
    hours = minutes / 60
    return int(
        52_000
        + 6_000 * math.sin(2 * math.pi * (hours - 9) / 24)
        + 2_500 * math.exp(-((hours - 19.5) ** 2) / 3)
        + 300 * (day.toordinal() % 7)
    )


def with_gap(day: dt.date, minutes: int) -> int | None:
    """2025-01-02 12:00 to 12:30 is missing: a gap in the curve."""
    if day == dt.date(2025, 1, 2) and minutes in (720, 735, 750, 765):
        return None
    return daily_profile(day, minutes)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("page")
    database = folder / "consumption.sqlite3"
    connection = connect(database)
    files = [
        write_eco2mix(
            folder / "year.xls",
            eco2mix_lines(
                days(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
                daily_profile,
                nature="definitive",
                half_hours_only=True,
            ),
        ),
        write_eco2mix(
            folder / "days.xls",
            eco2mix_lines([*days(dt.date(2025, 1, 1), dt.date(2025, 1, 3)), dt.date(2025, 3, 30), LAST_DAY], with_gap),
        ),
    ]
    import_paths(files, SqliteStore(connection))
    connection.close()
    return database


def app_of(database: Path):
    return create_app(Settings(database_path=database))


@pytest.fixture(scope="module")
def server(database) -> Iterator[str]:
    with running_server(app_of(database)) as url:
        yield url


class Slow:
    """The app, answering /consumption only after `delay` seconds: a slow server."""

    def __init__(self, app) -> None:
        self.app, self.delay = app, 0.0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/consumption":
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def slow_server(database) -> Iterator[tuple[str, Slow]]:
    slow = Slow(app_of(database))
    with running_server(slow) as url:
        yield url, slow


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    """Chromium as a 390 x 844 phone (mobile emulation, touch)."""
    driver = start_chromium(tmp_path_factory.mktemp("phone"), phone=True)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def no_policy_violation(browser):
    """After each test, the browser has reported no Content-Security-Policy violation."""
    browser.get_log("browser")  # what earlier tests left
    yield
    violations = [
        entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert violations == []


def api(server: str, start: str, end: str) -> dict:
    return httpx.get(f"{server}/consumption", params={"start": start, "end": end}, timeout=30).json()


def instant(local: str) -> dt.datetime:
    return dt.datetime.fromisoformat(local).replace(tzinfo=PARIS)


def viewbox_width(browser) -> float:
    return float(browser.find_element(By.ID, "chart").get_dom_attribute("viewBox").split()[2])


def chart_offset(browser, start: str, end: str, at: dt.datetime) -> int:
    """Where the chart of the view [start, end] draws the instant `at`: pixels from its centre."""
    width = browser.find_element(By.ID, "chart").size["width"]
    return round(viewbox_x(browser, start, end, at) / viewbox_width(browser) * width - width / 2)


def point_at(browser, offset: int) -> dict[str, str]:
    """Move the pointer over the chart; return the readout's data attributes and text."""
    chart = browser.find_element(By.ID, "chart")
    ActionChains(browser).move_to_element_with_offset(chart, offset, 0).perform()
    readout = browser.find_element(By.ID, "readout")
    values = browser.execute_script("return Object.assign({}, arguments[0].dataset)", readout)
    return {**values, "text": readout.text}


def shown_range(browser) -> tuple[str, str]:
    """The range in the page's URL."""
    params = parse_qs(urlsplit(browser.current_url).query)
    return params["start"][0], params["end"][0]


def wait_for_url(browser, start: str, end: str) -> None:
    WebDriverWait(browser, 15).until(lambda d: shown_range(d) == (start, end))


def drawn(browser, expected_count: int | None = None, interval: str = "half-hour") -> dict[str, str]:
    """Wait for the chart of an `interval` view to be drawn; return its count of half hours and
    of points (or buckets) drawn."""

    def ready(driver):
        chart = driver.find_element(By.ID, "chart")
        count = chart.get_attribute("data-count")
        error = driver.find_element(By.ID, "error")
        if error.is_displayed():
            return True
        if driver.find_element(By.ID, "loading").is_displayed() or chart.get_attribute("data-interval") != interval:
            return False
        return count is not None and (expected_count is None or count == str(expected_count)) and count != "0"

    WebDriverWait(browser, 30).until(ready)
    assert not browser.find_element(By.ID, "error").is_displayed(), browser.find_element(By.ID, "error").text
    chart = browser.find_element(By.ID, "chart")
    return {name: chart.get_attribute(f"data-{name}") for name in ("count", "points")}


def source(browser) -> str:
    return browser.find_element(By.ID, "chart").get_attribute("data-source")


def gw(watts: float) -> str:
    return f"{watts / 1e9:.3f} GW"


def fields(browser) -> dict[str, str]:
    """What the From and To fields show."""
    names = ("start-date", "start-time", "end-date", "end-time")
    return {name: browser.find_element(By.ID, name).get_attribute("value") for name in names}


def fill(browser, start: str, end: str) -> None:
    """Type "YYYY-MM-DDTHH:MM" bounds into the From and To fields."""
    for name, value in (
        ("start-date", start[:10]),
        ("start-time", start[11:]),
        ("end-date", end[:10]),
        ("end-time", end[11:]),
    ):
        field = browser.find_element(By.ID, name)
        field.clear()
        field.send_keys(value)


def test_the_page_opens_on_the_last_day_and_draws_it(server, browser):
    browser.get(server + "/")
    chart = drawn(browser, 48)
    assert fields(browser) == {
        "start-date": str(LAST_DAY),
        "start-time": "00:00",
        "end-date": str(LAST_DAY),
        "end-time": "23:30",
    }
    assert chart == {"count": "48", "points": "48"}
    path = browser.find_element(By.ID, "curve").get_attribute("d")
    assert path.count("L") == 47 and path.startswith("M")
    data = api(server, f"{LAST_DAY}", f"{LAST_DAY}")["data"]
    watts = [p["consumption_w"] for p in data]
    assert browser.find_element(By.ID, "min").text == gw(min(watts))
    assert browser.find_element(By.ID, "max").text == gw(max(watts))
    assert browser.find_element(By.ID, "mean").text == gw(sum(watts) / len(watts))


def test_the_readout_shows_the_apis_value_under_the_pointer(server, browser):
    browser.get(server + "/")
    drawn(browser, 48)
    chart = browser.find_element(By.ID, "chart")
    data = {p["timestamp"]: p for p in api(server, f"{LAST_DAY}", f"{LAST_DAY}")["data"]}
    seen = set()
    for fraction in (0.1, 0.5, 0.9):
        offset = int(chart.size["width"] * (fraction - 0.5))
        ActionChains(browser).move_to_element_with_offset(chart, offset, 0).perform()
        readout = browser.find_element(By.ID, "readout")
        stamp = readout.get_attribute("data-timestamp")
        assert stamp in data
        assert int(readout.get_attribute("data-consumption-w")) == data[stamp]["consumption_w"]
        assert readout.get_attribute("data-nature") == data[stamp]["nature"]
        assert gw(data[stamp]["consumption_w"]) in readout.text
        seen.add(stamp)
    assert len(seen) == 3  # three places, three half hours, in time order
    assert sorted(seen) == [s for s in data if s in seen]


def gap_marks(browser) -> list[dict[str, str]]:
    return [
        {name: mark.get_attribute(name) for name in ("data-first", "data-last", "x", "width")}
        for mark in browser.find_elements(By.CSS_SELECTOR, "#gaps rect")
    ]


def viewbox_x(browser, start: str, end: str, at: dt.datetime) -> float:
    """Where the chart's viewBox puts the instant `at` in the view [start, end]."""
    first, after = instant(start), instant(end) + dt.timedelta(minutes=30)
    return PLOT_LEFT + (at - first) / (after - first) * (viewbox_width(browser) - PLOT_LEFT - PLOT_RIGHT)


def test_a_gap_is_drawn_as_a_gap_and_marked_as_one(server, browser):
    start, end = "2025-01-02T00:00", "2025-01-02T23:30"
    browser.get(f"{server}/?start={start}&end={end}")
    assert drawn(browser, 46) == {"count": "46", "points": "46"}
    assert browser.find_element(By.ID, "curve").get_attribute("d").count("M") == 2
    (mark,) = gap_marks(browser)
    assert (mark["data-first"], mark["data-last"]) == ("2025-01-02T12:00:00+01:00", "2025-01-02T12:30:00+01:00")
    # The mark covers the missing hour, 12:00 to 13:00, where the curve has no line.
    left, right = (
        viewbox_x(browser, start, end, instant(f"{start[:10]}T12:00")),
        viewbox_x(browser, start, end, instant(f"{start[:10]}T13:00")),
    )
    assert abs(float(mark["x"]) - left) < 0.2 and abs(float(mark["x"]) + float(mark["width"]) - right) < 0.2
    inside = point_at(browser, chart_offset(browser, start, end, instant(f"{start[:10]}T12:30")))
    assert inside["gap"] == "2025-01-02T12:00:00+01:00"
    assert inside["text"] == "No data: 2 half hours missing, 2 Jan 2025, 12:00 to 2 Jan 2025, 12:30"
    beside = point_at(browser, chart_offset(browser, start, end, instant(f"{start[:10]}T10:00")))
    assert "gap" not in beside and beside["timestamp"] == "2025-01-02T10:00:00+01:00"


def test_every_gap_of_a_long_range_is_marked_as_the_api_lists_it(server, browser):
    """Over the whole stored span, drawn by month: each run of missing half hours is marked,
    however short (the hour of 2 January, the repeated hour of 27 October 2024 that RTE's
    files cannot express), and nothing before the stored span."""
    browser.get(f"{server}/?start=2021-01-01T00:00&end={LAST}")
    drawn(browser, interval="month")
    runs = httpx.get(f"{server}/consumption/gaps", params={"start": "2021-01-01", "end": str(LAST_DAY)}).json()["data"]
    assert [run["half_hours"] for run in runs] == [2, 2, 4080, 48]
    marks = gap_marks(browser)
    assert [(m["data-first"], m["data-last"]) for m in marks] == [(r["first"], r["last"]) for r in runs]
    assert all(float(m["width"]) >= 2 for m in marks)
    assert browser.find_element(By.ID, "chart").get_attribute("data-gaps") == "4"


def paris_text(stamp: str) -> str:
    """How the page writes an instant: Paris wall-clock time, "1 Apr 2025, 19:30"."""
    local = dt.datetime.fromisoformat(stamp).astimezone(PARIS)
    return f"{local.day} {local:%b %Y, %H:%M}"


@pytest.mark.parametrize(
    ("start", "end", "interval"), [(f"{LAST_DAY}", f"{LAST_DAY}", "half-hour"), ("2024-01-01", "2024-12-31", "day")]
)
def test_the_peak_is_shown_with_its_time_beside_the_mean(server, browser, start, end, interval):
    """The earliest half hour of the range's maximum: on a year the profile's peak recurs each
    week, so the first one is meant, as the buckets' max_at says."""
    browser.get(f"{server}/?start={start}T00:00&end={end}T23:30")
    drawn(browser, interval=interval)
    data = api(server, start, end)["data"]
    peak = max(p["consumption_w"] for p in data)
    peaks = [p["timestamp"] for p in data if p["consumption_w"] == peak]
    assert interval == "half-hour" or len(peaks) > 1
    labels = [node.text for node in browser.find_elements(By.CSS_SELECTOR, "#stats span")]
    assert labels.index("peak") == labels.index("mean") + 1
    assert browser.find_element(By.ID, "max").text == gw(peak)
    at = browser.find_element(By.ID, "peak-at")
    assert (at.get_attribute("data-at"), at.text) == (peaks[0], paris_text(peaks[0]))


def test_the_spring_forward_day_has_46_half_hours_on_a_continuous_curve(server, browser):
    browser.get(server + "/?start=2025-03-30T00:00&end=2025-03-30T23:30")
    assert drawn(browser, 46) == {"count": "46", "points": "46"}
    assert browser.find_element(By.ID, "curve").get_attribute("d").count("M") == 1


def api_requests(browser) -> int:
    """How many requests the page has sent to /consumption (the gaps' included) since it loaded."""
    return int(
        browser.execute_script(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('/consumption')).length"
        )
    )


def test_a_reversed_range_is_said_beside_the_fields_without_asking_the_service(server, phone):
    phone.get(server + "/")
    drawn(phone, 48)
    curve, asked = phone.find_element(By.ID, "curve").get_attribute("d"), api_requests(phone)
    fill(phone, "2025-01-03T12:00", "2025-01-02T12:00")
    phone.find_element(By.ID, "show").click()
    said = phone.find_element(By.ID, "range-error")
    WebDriverWait(phone, 10).until(lambda d: said.is_displayed())
    assert said.text == "From is after To"
    form, shown = phone.find_element(By.ID, "range").rect, said.rect
    assert form["y"] <= shown["y"] and shown["y"] + shown["height"] <= form["y"] + form["height"]  # beside the fields
    assert not phone.find_element(By.ID, "error").is_displayed()
    assert phone.find_element(By.ID, "curve").get_attribute("d") == curve  # the view drawn stays
    assert shown_range(phone) == (f"{LAST_DAY}T00:00", LAST)
    assert api_requests(phone) == asked
    fill(phone, "2025-01-02T12:00", "2025-01-03T12:00")  # put right, the range is shown
    phone.find_element(By.ID, "show").click()
    wait_for_url(phone, "2025-01-02T12:00", "2025-01-03T12:00")
    drawn(phone, len(api(server, "2025-01-02T12:00", "2025-01-03T12:00")["data"]))
    assert not said.is_displayed()


def test_a_reversed_range_in_the_address_is_said_beside_the_fields_too(server, phone):
    phone.get(f"{server}/?start=2025-01-03T12:00&end=2025-01-02T12:00")
    said = phone.find_element(By.ID, "range-error")
    WebDriverWait(phone, 10).until(lambda d: said.is_displayed())
    assert said.text == "From is after To"
    assert not phone.find_element(By.ID, "error").is_displayed()
    assert phone.find_element(By.ID, "curve").get_attribute("d") == ""
    assert api_requests(phone) == 0


def test_from_and_to_are_24_hour_in_a_us_english_browser(server, phone):
    """The fields are text the page writes, YYYY-MM-DD and HH:MM, not the browser's
    locale-dependent date-time picker (12-hour in US English)."""
    assert phone.execute_script("return navigator.language") == "en-US"
    phone.get(f"{server}/?start=2025-01-02T00:00&end=2025-01-02T23:30")
    drawn(phone, 46)
    assert fields(phone) == {
        "start-date": "2025-01-02",
        "start-time": "00:00",
        "end-date": "2025-01-02",
        "end-time": "23:30",
    }
    for name in fields(phone):
        assert phone.find_element(By.ID, name).get_attribute("type") == "text"
    fill(phone, "2025-01-02T13:00", "2025-01-02T21:30")
    phone.find_element(By.ID, "show").click()
    wait_for_url(phone, "2025-01-02T13:00", "2025-01-02T21:30")
    assert drawn(phone, 18)["count"] == "18"
    fill(phone, "2025-01-02T1:00", "2025-01-02T21:30")  # not HH:MM: the browser refuses it, nothing is sent
    phone.find_element(By.ID, "show").click()
    assert phone.execute_script("return document.getElementById('start-time').validity.patternMismatch")
    assert shown_range(phone) == ("2025-01-02T13:00", "2025-01-02T21:30")


def test_the_exercises_range_shows_the_mean_of_the_sql_script(server, database, browser):
    browser.get(server + "/?start=2025-01-01T06:00&end=2025-01-03T17:00")
    drawn(browser, 3 * 48 - 12 - 13 - 2)  # both bounds included, less the 2 missing half hours
    script = Path(__file__).parents[2] / "scripts" / "average_consumption.sql"
    with sqlite3.connect(database) as connection:
        # The script asks for 2019 (a stored year); this database holds the same days of 2025.
        (mean_mw,) = connection.execute(script.read_text().replace("'2019-01-0", "'2025-01-0")).fetchone()
    shown_mw = float(browser.find_element(By.ID, "mean").text.removesuffix(" GW")) * 1000
    assert abs(shown_mw - mean_mw) <= 0.55  # the page shows whole MW, the script tenths


def test_the_csv_link_asks_for_the_range_shown(server, browser):
    browser.get(server + "/?start=2025-01-01T06:00&end=2025-01-01T07:00")
    drawn(browser, 3)
    href = browser.find_element(By.ID, "csv").get_attribute("href")
    response = httpx.get(href)
    assert response.headers["content-type"].startswith("text/csv")
    assert len(response.text.strip().splitlines()) == 1 + 3


def test_the_page_is_served_with_a_policy_that_allows_nothing_inline_or_from_elsewhere(server):
    page = httpx.get(server + "/")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "<script>" not in page.text and "<style>" not in page.text and "style=" not in page.text
    for path, media_type in (("/page.js", "text/javascript"), ("/page.css", "text/css")):
        response = httpx.get(server + path)
        assert response.headers["content-type"].startswith(media_type)
        assert response.headers["cache-control"] == "no-cache"  # a new version never runs an old script


def test_the_stored_span_is_shown(server, browser):
    browser.get(server + "/")
    drawn(browser, 48)
    stored = browser.find_element(By.ID, "stored")
    health = httpx.get(server + "/health").json()
    assert (stored.get_attribute("data-first"), stored.get_attribute("data-last")) == (health["first"], health["last"])
    assert stored.text == "Stored: 1 Jan 2024, 00:00 to 1 Apr 2025, 23:30 (Paris time)."


def expected_day(server: str, day: str) -> dict:
    """A Paris day's bucket from the API's half hours, with zoneinfo for the day's length."""
    watts = [p["consumption_w"] for p in api(server, day, day)["data"]]
    first = instant(f"{day}T00:00")
    following = dt.datetime.combine(first.date() + dt.timedelta(days=1), dt.time(0), tzinfo=PARIS)
    return {
        "count": len(watts),
        "expected": int(following.timestamp() - first.timestamp()) // 1800,
        "min_w": min(watts),
        "max_w": max(watts),
        "mean_w": sum(watts) / len(watts),
    }


def test_a_year_is_drawn_as_daily_min_mean_max_and_the_readout_gives_a_days_values(server, browser):
    start, end = "2024-01-01T00:00", "2024-12-31T23:30"
    browser.get(f"{server}/?start={start}&end={end}")
    chart = drawn(browser, interval="day")
    data = api(server, "2024-01-01", "2024-12-31")["data"]
    assert chart == {"count": str(len(data)), "points": "366"}  # every half hour counted, one bucket a day
    assert len(data) == 366 * 48 - 2  # spring forward: 2 fewer
    watts = [p["consumption_w"] for p in data]
    assert browser.find_element(By.ID, "min").text == gw(min(watts))
    assert browser.find_element(By.ID, "max").text == gw(max(watts))
    assert browser.find_element(By.ID, "mean").text == gw(sum(watts) / len(watts))
    assert browser.find_element(By.ID, "band").get_attribute("d").count("M") == 1
    assert source(browser) == "server"  # the service's daily buckets, drawn as it sends them
    for day in ("2024-03-31", "2024-07-14"):  # the spring-forward day: 46 half hours
        at = instant(f"{day}T12:00")
        shown = point_at(browser, chart_offset(browser, start, end, at))
        expected = expected_day(server, day)
        assert shown["timestamp"].startswith(day)
        assert (int(shown["count"]), int(shown["expected"])) == (expected["count"], expected["expected"])
        assert (int(shown["minW"]), int(shown["maxW"])) == (expected["min_w"], expected["max_w"])
        assert abs(float(shown["meanW"]) - expected["mean_w"]) <= 1  # however the server rounds
        assert gw(round(expected["mean_w"])) in shown["text"]
        assert f"{expected['count']}/{expected['expected']} half hours" in shown["text"]
    assert expected_day(server, "2024-03-31")["expected"] == 46


def test_years_are_drawn_monthly_with_gaps_where_months_have_no_data(server, browser):
    start, end = "2021-01-01T00:00", LAST
    browser.get(f"{server}/?start={start}&end={end}")
    chart = drawn(browser, interval="month")
    assert source(browser) == "server"
    # 2024's 12 months, then January, March and April 2025: no data in 2021-2023 or in February 2025.
    assert chart["points"] == "15"
    assert browser.find_element(By.ID, "band").get_attribute("d").count("M") == 2
    shown = point_at(browser, chart_offset(browser, start, end, instant("2025-01-16T00:00")))
    assert shown["timestamp"].startswith("2025-01-01")
    assert (shown["count"], shown["expected"]) == (str(3 * 48 - 2), str(31 * 48))  # 3 days, less a gap
    assert "2025-01: mean" in shown["text"] and "142/1488 half hours" in shown["text"]


def test_a_preset_shows_the_year_to_the_last_day_shown_and_everything_shows_what_is_stored(server, browser):
    browser.get(server + "/")
    drawn(browser, 48)
    assert not browser.find_element(By.ID, "back").is_enabled()
    browser.find_element(By.CSS_SELECTOR, "[data-preset=year]").click()
    wait_for_url(browser, "2024-04-02T00:00", LAST)
    year = drawn(browser, interval="day")
    assert year["count"] == str(len(api(server, "2024-04-02", f"{LAST_DAY}")["data"]))
    browser.find_element(By.CSS_SELECTOR, "[data-preset=everything]").click()
    wait_for_url(browser, FIRST, LAST)
    everything = len(api(server, FIRST, LAST)["data"])  # awaited: the year before it is drawn by day too
    assert drawn(browser, everything, interval="day")["count"] == str(everything)
    browser.find_element(By.CSS_SELECTOR, "[data-preset=week]").click()
    wait_for_url(browser, "2025-03-26T00:00", LAST)
    drawn(browser, 48 * 2 - 2)  # of those 7 days, only 2025-03-30 (46 half hours) and 2025-04-01 hold data
    browser.find_element(By.ID, "back").click()  # back to everything
    wait_for_url(browser, FIRST, LAST)
    drawn(browser, len(api(server, FIRST, LAST)["data"]), interval="day")
    browser.back()  # the browser's own Back too
    wait_for_url(browser, "2024-04-02T00:00", LAST)
    drawn(browser, int(year["count"]), interval="day")


def test_dragging_across_the_chart_zooms_in_and_back_returns(server, browser):
    start, end = "2024-06-03T00:00", "2024-06-09T23:30"
    browser.get(f"{server}/?start={start}&end={end}")
    drawn(browser, 7 * 48)
    chart = browser.find_element(By.ID, "chart")
    left = chart_offset(browser, start, end, instant("2024-06-05T00:00"))
    right = chart_offset(browser, start, end, instant("2024-06-06T12:00"))
    actions = ActionChains(browser).move_to_element_with_offset(chart, left, 0).click_and_hold()
    actions.move_by_offset(right - left, 20).release().perform()
    WebDriverWait(browser, 10).until(lambda d: shown_range(d) != (start, end))
    zoom_start, zoom_end = shown_range(browser)
    assert abs(instant(zoom_start) - instant("2024-06-05T00:00")) <= dt.timedelta(hours=1)
    assert abs(instant(zoom_end) - instant("2024-06-06T12:00")) <= dt.timedelta(hours=1)
    assert drawn(browser, len(api(server, zoom_start, zoom_end)["data"]))["count"] == str(
        (instant(zoom_end) - instant(zoom_start)) // dt.timedelta(minutes=30) + 1
    )
    browser.find_element(By.ID, "back").click()
    wait_for_url(browser, start, end)
    drawn(browser, 7 * 48)


def test_zooming_into_a_year_shows_half_hours(server, browser):
    start, end = "2024-01-01T00:00", "2024-12-31T23:30"
    browser.get(f"{server}/?start={start}&end={end}")
    drawn(browser, interval="day")
    chart = browser.find_element(By.ID, "chart")
    left = chart_offset(browser, start, end, instant("2024-05-01T00:00"))
    right = chart_offset(browser, start, end, instant("2024-05-20T00:00"))
    ActionChains(browser).move_to_element_with_offset(chart, left, 0).click_and_hold().move_by_offset(
        right - left, 0
    ).release().perform()
    WebDriverWait(browser, 10).until(lambda d: shown_range(d) != (start, end))
    zoom_start, zoom_end = shown_range(browser)
    assert abs(instant(zoom_start) - instant("2024-05-01T00:00")) <= dt.timedelta(hours=12)
    assert abs(instant(zoom_end) - instant("2024-05-20T00:00")) <= dt.timedelta(hours=12)
    assert drawn(browser)["count"] == str(len(api(server, zoom_start, zoom_end)["data"]))


def no_data_said(browser) -> str:
    error = browser.find_element(By.ID, "error")
    WebDriverWait(browser, 10).until(lambda d: error.is_displayed())
    assert browser.find_element(By.ID, "curve").get_attribute("d") == ""
    return str(error.find_element(By.ID, "error-text").text)


def test_an_empty_range_says_what_is_stored_and_offers_it(server, browser):
    browser.get(server + "/?start=2020-01-01T00:00&end=2020-01-31T23:30")
    error = browser.find_element(By.ID, "error")
    assert no_data_said(browser) == (
        "No data from 1 Jan 2020, 00:00 to 31 Jan 2020, 23:30. "
        "Nothing is stored before it; the nearest stored half hour after it is 1 Jan 2024, 00:00."
    )
    assert paris_text(api(server, FIRST, FIRST)["data"][0]["timestamp"]) == "1 Jan 2024, 00:00"
    browser.find_element(By.ID, "show-stored").click()
    wait_for_url(browser, FIRST, LAST)
    drawn(browser, len(api(server, FIRST, LAST)["data"]), interval="day")
    assert not error.is_displayed()


def test_a_range_inside_the_stored_span_with_no_data_names_the_stored_half_hours_around_it(server, phone):
    """February 2025 holds nothing, between stored days: the page says so, and names the last
    stored half hour before it and the first after it, as /consumption lists them."""
    phone.get(f"{server}/?start=2025-02-01T00:00&end=2025-02-28T23:30")
    before = api(server, FIRST, "2025-01-31T23:30")["data"][-1]["timestamp"]
    after = api(server, "2025-03-01T00:00", LAST)["data"][0]["timestamp"]
    assert no_data_said(phone) == (
        "No data from 1 Feb 2025, 00:00 to 28 Feb 2025, 23:30. "
        f"The nearest stored half hours are {paris_text(before)} before it and {paris_text(after)} after it."
    )
    assert (paris_text(before), paris_text(after)) == ("3 Jan 2025, 23:30", "30 Mar 2025, 00:00")
    assert small_targets(phone, "#error button") == []
    fits_the_phone(phone)
    phone.get(f"{server}/?start=2025-05-01T00:00&end=2025-05-31T23:30")  # after the stored span
    assert no_data_said(phone).endswith(
        "Nothing is stored after it; the nearest stored half hour before it is 1 Apr 2025, 23:30."
    )


def test_a_slow_answer_shows_a_loading_indicator(slow_server, browser):
    url, slow = slow_server
    slow.delay = 2.0
    try:
        browser.get(f"{url}/?start=2024-02-01T00:00&end=2024-02-01T23:30")
        WebDriverWait(browser, 5).until(expected_conditions.visibility_of_element_located((By.ID, "loading")))
        assert drawn(browser, 48) == {"count": "48", "points": "48"}
        assert not browser.find_element(By.ID, "loading").is_displayed()
    finally:
        slow.delay = 0.0


@pytest.fixture(scope="module")
def history_server(tmp_path_factory) -> Iterator[str]:
    """The service on RTE's real half hours of 2012-2021: the embedded history, in the repository."""
    database = tmp_path_factory.mktemp("history") / "consumption.sqlite3"
    connection = connect(database)
    import_paths(sorted(HISTORY.glob("*.zip")), SqliteStore(connection))
    connection.close()
    with running_server(app_of(database)) as url:
        yield url


def test_a_real_year_shows_the_spring_2020_lockdown_in_its_daily_band(history_server, browser):
    """RTE's 2020, day by day, as the README's picture shows it."""
    start, end = "2020-01-01T00:00", "2020-12-31T23:30"
    browser.get(f"{history_server}/?start={start}&end={end}")
    assert drawn(browser, 366 * 48 - 2, interval="day")["points"] == "366"
    for day in ("2020-01-15", "2020-04-15"):
        shown = point_at(browser, chart_offset(browser, start, end, instant(f"{day}T12:00")))
        expected = expected_day(history_server, day)
        assert (shown["count"], shown["minW"], shown["maxW"]) == tuple(
            str(expected[key]) for key in ("count", "min_w", "max_w")
        )
        assert abs(float(shown["meanW"]) - expected["mean_w"]) <= 1  # however the server rounds
    # The first lockdown: a mid-April weekday used about a fifth less than a mid-January one.
    assert (
        expected_day(history_server, "2020-04-15")["mean_w"]
        < 0.8 * expected_day(history_server, "2020-01-15")["mean_w"]
    )


def axis_labels(browser) -> list[dict[str, Any]]:
    return list(
        browser.execute_script(
            "return [...document.querySelectorAll('.axis text')].filter((node) => node.getClientRects().length)"
            ".map((node) => {"
            " const box = node.getBoundingClientRect();"
            " return {axis: node.parentNode.id, left: box.left, right: box.right, top: box.top, height: box.height}; })"
        )
    )


def legible_axes(phone, prefix: str = "") -> None:
    """A chart's axes (the curve's, or with `prefix` another's) have at least three labels each,
    legible, and the time axis's labels apart."""
    labels = [label for label in axis_labels(phone) if label["axis"] in (f"{prefix}x-axis", f"{prefix}y-axis")]
    assert (
        sum(label["axis"] == f"{prefix}x-axis" for label in labels) >= 3
        and sum(label["axis"] == f"{prefix}y-axis" for label in labels) >= 3
    )
    assert min(label["height"] for label in labels) >= 11
    below = sorted(
        (label["top"], label["left"], label["right"]) for label in labels if label["axis"] == f"{prefix}x-axis"
    )
    assert all(  # on each line of labels, each ends before the next begins
        right < following or top != next_top
        for (top, _, right), (next_top, following, _) in zip(below, below[1:], strict=False)
    )


def check_phone_layout(phone) -> None:
    """The page fits the phone's width, its axis labels are legible and apart (the typical day's
    too, when it is shown), its controls are finger-sized."""
    fits_the_phone(phone)
    legible_axes(phone)
    if phone.find_element(By.ID, "typical").is_displayed():
        legible_axes(phone, "typical-")
    assert small_targets(phone, "button, input, a, select") == []


@pytest.mark.parametrize("path", ["/", f"/?start={FIRST}&end={LAST}"])
def test_at_phone_width_the_page_fits_and_its_controls_are_finger_sized(server, phone, path):
    phone.get(server + path)
    drawn(phone, interval="half-hour" if path == "/" else "day")
    check_phone_layout(phone)


def test_at_phone_width_the_whole_history_shows_its_peak_whole(history_server, phone):
    start, end = "2012-01-01T00:00", "2021-12-31T23:30"
    phone.get(f"{history_server}/?start={start}&end={end}")
    drawn(phone, interval="month")
    check_phone_layout(phone)
    peak = max(
        b["max_w"]
        for b in httpx.get(
            f"{history_server}/consumption", params={"start": start, "end": end, "interval": "year"}
        ).json()["data"]
    )
    assert phone.find_element(By.ID, "max").text == gw(peak) == "102.098 GW"
    for name in ("max", "peak-at"):
        node = phone.find_element(By.ID, name)
        box = node.rect
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert phone.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", node)


# Two pictures are the same when no pixel differs by more than antialiasing does (a channel
# off by more than a quarter of its range).
FAR = 64
DIFFERING_PIXELS = """
const [first, second, farther, done] = arguments;
const load = (png) => new Promise((resolve, reject) => {
  const image = new Image();
  image.onload = () => resolve(image);
  image.onerror = () => reject(new Error("not a PNG"));
  image.src = "data:image/png;base64," + png;
});
const pixels = (image) => {
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [image.width, image.height];
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  return context.getImageData(0, 0, image.width, image.height).data;
};
Promise.all([load(first), load(second)]).then(([a, b]) => {
  if (a.width !== b.width || a.height !== b.height) return done({ sizes: [[a.width, a.height], [b.width, b.height]] });
  const [p, q] = [pixels(a), pixels(b)];
  let any = 0, far = 0;
  for (let i = 0; i < p.length; i += 4) {
    const most = Math.max(...[0, 1, 2, 3].map((k) => Math.abs(p[i + k] - q[i + k])));
    any += most > 0;
    far += most > farther;
  }
  done({ any, far });
}, (error) => done({ error: String(error) }));
"""


def differing_pixels(browser, first: bytes, second: bytes) -> dict[str, object]:
    """How many pixels of two PNGs differ at all, and by more than FAR, compared in the browser."""
    encoded = [base64.b64encode(png).decode() for png in (first, second)]
    return dict(browser.execute_async_script(DIFFERING_PIXELS, *encoded, FAR))


@pytest.fixture
def picture_browser(tmp_path_factory):
    """A fresh Chromium at the README picture's size: no state left by other tests."""
    driver = start_chromium(tmp_path_factory.mktemp("picture"), window_size="1100,1250")
    yield driver
    driver.quit()


def test_the_readmes_picture_is_the_page_as_it_draws_now(history_server, picture_browser):
    """docs/page.png is RTE's 2020 beside 2019, pointing at 15 April, as the page draws it now: a
    change to the page's look fails here until `make screenshot` (UPDATE_SCREENSHOT=1) rewrites the
    picture, which it does only when the pixels differ."""
    start, end = "2020-01-01T00:00", "2020-12-31T23:30"
    picture_browser.get(f"{history_server}/?start={start}&end={end}&compare=2019")
    drawn(picture_browser, 366 * 48 - 2, interval="day")
    compared(picture_browser, "2019-01-01T00:00")
    wait_for_peaks(picture_browser)
    WebDriverWait(picture_browser, 15).until(lambda d: d.find_element(By.ID, "typical").is_displayed())
    point_at(picture_browser, chart_offset(picture_browser, start, end, instant("2020-04-15T12:00")))
    shot = picture_browser.get_screenshot_as_png()
    assert differing_pixels(picture_browser, shot, picture_browser.get_screenshot_as_png()) == {"any": 0, "far": 0}
    stored = SCREENSHOT.read_bytes() if SCREENSHOT.exists() else b""
    same = stored == shot or differing_pixels(picture_browser, shot, stored).get("far") == 0
    if os.environ.get("UPDATE_SCREENSHOT") and not same:
        SCREENSHOT.write_bytes(shot)
        return
    assert same, f"{SCREENSHOT} is not the page as it draws now: run `make screenshot` and commit the picture"


def listed_peaks(browser) -> list[dict[str, str]]:
    return [
        {"at": button.get_attribute("data-at"), "text": button.text}
        for button in browser.find_elements(By.CSS_SELECTOR, "#peak-list button")
    ]


def highest(server: str, start: str, end: str, n: int) -> list[dict[str, Any]]:
    """The range's `n` highest half hours from /consumption's half hours, ties earliest first."""
    data = api(server, start, end)["data"]
    return sorted(data, key=lambda p: (-p["consumption_w"], dt.datetime.fromisoformat(p["timestamp"])))[:n]


def wait_for_peaks(browser) -> list[dict[str, str]]:
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "peaks").is_displayed())
    return listed_peaks(browser)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_five_highest_half_hours_are_listed_beside_the_chart_and_one_zooms_to_its_day(
    server, browser, phone, width
):
    driver = browser if width == "desktop" else phone
    start, end = "2024-11-25T00:00", "2024-12-08T23:30"
    driver.get(f"{server}/?start={start}&end={end}")
    drawn(driver, 14 * 48)
    expected = highest(server, start, end, 5)
    assert wait_for_peaks(driver) == [
        {"at": p["timestamp"], "text": f"{gw(p['consumption_w'])}\n{paris_text(p['timestamp'])}"} for p in expected
    ]
    chart, peaks = driver.find_element(By.ID, "chart").rect, driver.find_element(By.ID, "peaks").rect
    if width == "desktop":  # to the right of the chart, level with it
        assert peaks["x"] >= chart["x"] + chart["width"] and peaks["y"] < chart["y"] + chart["height"]
    else:  # below it, in the screen's width, finger-sized
        assert peaks["y"] >= chart["y"] + chart["height"]
        fits_the_phone(driver)
        assert small_targets(driver, "#peak-list button") == []
    chosen = expected[2]
    day = chosen["timestamp"][:10]
    button = driver.find_elements(By.CSS_SELECTOR, "#peak-list button")[2]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait_for_url(driver, f"{day}T00:00", f"{day}T23:30")
    drawn(driver, len(api(server, day, day)["data"]))
    assert driver.find_element(By.ID, "max").text == gw(highest(server, day, day, 1)[0]["consumption_w"])
    driver.find_element(By.ID, "back").click()
    wait_for_url(driver, start, end)


def typical_readout(browser, start: str, end: str, time: str) -> dict[str, str]:
    """Point at (tap) the typical day's chart at `time`; return its readout's data attributes and text."""
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "typical").is_displayed())
    chart = browser.find_element(By.ID, "typical-chart")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
    width = chart.size["width"]
    box = viewbox_width_of(browser, "typical-chart")
    slot = int(time[:2]) * 2 + (time[3:] == "30")
    x = (PLOT_LEFT + (slot + 0.5) / 48 * (box - PLOT_LEFT - PLOT_RIGHT)) / box * width
    ActionChains(browser).move_to_element_with_offset(chart, round(x - width / 2), 0).click().perform()  # a tap too
    readout = browser.find_element(By.ID, "typical-readout")
    return {**browser.execute_script("return Object.assign({}, arguments[0].dataset)", readout), "text": readout.text}


def viewbox_width_of(browser, name: str) -> float:
    return float(browser.find_element(By.ID, name).get_dom_attribute("viewBox").split()[2])


def typical_means(server: str, start: str, end: str, time: str) -> tuple[float, float]:
    """The mean of the range's weekday half hours at `time` (Paris), and of its weekend ones."""
    means = []
    for weekend in (False, True):
        watts = [
            p["consumption_w"]
            for p in api(server, start, end)["data"]
            if (local := dt.datetime.fromisoformat(p["timestamp"]).astimezone(PARIS)).strftime("%H:%M") == time
            and (local.isoweekday() >= 6) == weekend
        ]
        means.append(sum(watts) / len(watts))
    return means[0], means[1]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_typical_day_draws_weekdays_and_weekends_as_two_curves(server, browser, phone, width):
    """March 2024: its last Sunday springs forward, so the weekends' 02:00 has one half hour
    fewer than its 19:00, and the curves are each half hour's mean over the days that have it."""
    driver = browser if width == "desktop" else phone
    start, end = "2024-03-01T00:00", "2024-03-31T23:30"
    driver.get(f"{server}/?start={start}&end={end}")
    drawn(driver, 31 * 48 - 2)
    for time in ("02:00", "19:00"):
        shown = typical_readout(driver, start, end, time)
        weekdays, weekends = typical_means(server, start, end, time)
        assert shown["time"] == time
        assert abs(float(shown["weekdaysW"]) - weekdays) < 0.01 and abs(float(shown["weekendsW"]) - weekends) < 0.01
        assert shown["text"] == f"{time}: weekdays {gw(weekdays)}, weekends {gw(weekends)}"
    assert typical_means(server, start, end, "19:00")[0] != typical_means(server, start, end, "19:00")[1]
    for kind in ("weekdays", "weekends"):
        curve = driver.find_element(By.ID, kind)
        assert curve.get_attribute("data-points") == "48"
        path = curve.get_attribute("d")
        assert path.startswith("M") and path.count("M") == 1 and path.count("L") == 47
    if width == "phone":
        fits_the_phone(driver)
        legible_axes(driver, "typical-")
        assert small_targets(driver, "button, input, a, select") == []


def choose_year(browser, year: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "compare")).select_by_value(year)


def compared(browser, first: str) -> dict[str, str]:
    """Wait for the comparison from `first` to be drawn; return what its note says."""
    note = browser.find_element(By.ID, "compare-note")
    WebDriverWait(browser, 15).until(
        lambda d: (
            note.is_displayed()
            and note.get_attribute("data-first") == first
            and d.find_element(By.ID, "other").get_attribute("d")
        )
    )
    return {"first": note.get_attribute("data-first"), "last": note.get_attribute("data-last"), "text": note.text}


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_comparing_with_another_year_draws_its_same_dates_as_a_lighter_curve(server, browser, phone, width):
    driver = browser if width == "desktop" else phone
    start, end = "2025-01-02T00:00", "2025-01-02T23:30"
    driver.get(f"{server}/?start={start}&end={end}")
    drawn(driver, 46)
    assert [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#compare option")] == [
        "",
        "2024",
        "2025",
    ]
    assert driver.find_element(By.ID, "other").get_attribute("d") == ""
    choose_year(driver, "2024")
    assert compared(driver, "2024-01-02T00:00") == {
        "first": "2024-01-02T00:00",
        "last": "2024-01-02T23:30",
        "text": "Lighter curve: 2024-01-02 00:00 to 2024-01-02 23:30.",
    }
    assert parse_qs(urlsplit(driver.current_url).query)["compare"] == ["2024"]
    path = driver.find_element(By.ID, "other").get_attribute("d")
    assert path.count("M") == 1 and path.count("L") == 47  # all 48 half hours of 2 January 2024, unbroken
    if width == "desktop":  # pointing reads the other year's value at the same date and time too
        other = {p["timestamp"][11:16]: p["consumption_w"] for p in api(server, "2024-01-02", "2024-01-02")["data"]}
        shown = point_at(driver, chart_offset(driver, start, end, instant("2025-01-02T10:00")))
        assert shown["timestamp"] == "2025-01-02T10:00:00+01:00"
        assert shown["otherTimestamp"] == "2024-01-02T10:00:00+01:00" and int(shown["otherW"]) == other["10:00"]
        assert shown["text"].endswith(f"; 2024-01-02 10:00: {gw(other['10:00'])}")
    else:
        check_phone_layout(driver)
    # The comparison stays on zooming out: a month ending 2 January 2025, over the month ending 2 January 2024.
    driver.find_element(By.CSS_SELECTOR, "[data-preset=month]").click()
    wait_for_url(driver, "2024-12-03T00:00", "2025-01-02T23:30")
    drawn(driver)
    assert compared(driver, "2023-12-03T00:00") == {
        "first": "2023-12-03T00:00",
        "last": "2024-01-02T23:30",
        "text": "Lighter curve: 2023-12-03 00:00 to 2024-01-02 23:30.",
    }
    assert driver.find_element(By.ID, "chart").get_attribute("data-other-points") == str(
        len(api(server, "2024-01-01", "2024-01-02")["data"])  # nothing is stored before 2024
    )
    # A year drawn by day, from its address: over 2023-04-02 to 2024-04-01, of which 2024's days are stored.
    driver.get(f"{server}/?start=2024-04-02T00:00&end={LAST}&compare=2024")
    drawn(driver, interval="day")
    assert driver.find_element(By.ID, "compare").get_attribute("value") == "2024"
    assert compared(driver, "2023-04-02T00:00")["last"] == "2024-04-01T23:30"
    buckets = httpx.get(
        f"{server}/consumption", params={"start": "2023-04-02", "end": "2024-04-01", "interval": "day"}
    ).json()["data"]
    assert driver.find_element(By.ID, "chart").get_attribute("data-other-points") == str(
        sum(1 for b in buckets if b["count"])
    )
    assert driver.find_element(By.ID, "other").get_attribute("d").count("M") == 1  # 1 Jan to 1 Apr 2024, unbroken
    choose_year(driver, "2025")  # the year the range ends in: nothing more to draw
    note = driver.find_element(By.ID, "compare-note")
    WebDriverWait(driver, 15).until(lambda d: note.text == "2025 is the year drawn.")
    assert driver.find_element(By.ID, "other").get_attribute("d") == ""
    driver.get(f"{server}/?start=2024-06-01T00:00&end=2024-06-30T23:30&compare=2025")  # a year not stored there
    drawn(driver, 30 * 48)
    note = driver.find_element(By.ID, "compare-note")  # on the page loaded anew
    WebDriverWait(driver, 15).until(lambda d: note.is_displayed())
    assert note.text == "Nothing is stored from 2025-06-01 00:00 to 2025-06-30 23:30."
    assert driver.find_element(By.ID, "other").get_attribute("d") == ""
    choose_year(driver, "")
    WebDriverWait(driver, 15).until(lambda d: not d.find_element(By.ID, "compare-note").is_displayed())
    assert not driver.find_element(By.ID, "compare-note").is_displayed()
    assert "compare" not in parse_qs(urlsplit(driver.current_url).query)
