"""The page in a real browser: headless Chromium (Debian's package) driven by Selenium."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from consumption.config import Settings
from consumption.services.importing import import_paths
from consumption.storage.database import connect
from consumption.storage.repository import SqliteStore
from consumption.web.app import create_app
from tests.conftest import running_server
from tests.eco2mix_files import days, eco2mix_lines, write_eco2mix

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "page.png"
LAST_DAY = dt.date(2025, 4, 1)


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
def server(tmp_path_factory) -> Iterator[str]:
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
    with running_server(create_app(Settings(database_path=database))) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1100,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def api(server: str, start: str, end: str) -> dict:
    return httpx.get(f"{server}/consumption", params={"start": start, "end": end}).json()


def drawn(browser, expected_count: int | None = None) -> dict[str, str]:
    """Wait for the chart to be drawn; return its data attributes."""

    def ready(driver):
        chart = driver.find_element(By.ID, "chart")
        count = chart.get_attribute("data-count")
        error = driver.find_element(By.ID, "error")
        if error.is_displayed():
            return True
        return count is not None and (expected_count is None or count == str(expected_count)) and count != "0"

    WebDriverWait(browser, 15).until(ready)
    chart = browser.find_element(By.ID, "chart")
    return {name: chart.get_attribute(f"data-{name}") for name in ("count", "points")}


def gw(watts: float) -> str:
    return f"{watts / 1e9:.3f} GW"


def test_the_page_opens_on_the_last_day_and_draws_it(server, browser):
    browser.get(server + "/")
    chart = drawn(browser, 48)
    assert browser.find_element(By.ID, "start").get_attribute("value") == f"{LAST_DAY}T00:00"
    assert browser.find_element(By.ID, "end").get_attribute("value") == f"{LAST_DAY}T23:30"
    assert chart == {"count": "48", "points": "48"}
    path = browser.find_element(By.ID, "curve").get_attribute("d")
    assert path.count("L") == 47 and path.startswith("M")
    data = api(server, f"{LAST_DAY}", f"{LAST_DAY}")["data"]
    watts = [p["consumption_w"] for p in data]
    assert browser.find_element(By.ID, "min").text == gw(min(watts))
    assert browser.find_element(By.ID, "max").text == gw(max(watts))
    assert browser.find_element(By.ID, "mean").text == gw(sum(watts) / len(watts))
    if os.environ.get("UPDATE_SCREENSHOT"):  # the README's picture: `make screenshot`
        chart_element = browser.find_element(By.ID, "chart")
        offset = int(chart_element.size["width"] * 0.31)
        ActionChains(browser).move_to_element_with_offset(chart_element, offset, 0).perform()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))


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


def test_a_gap_is_drawn_as_a_gap(server, browser):
    browser.get(server + "/?start=2025-01-02T00:00&end=2025-01-02T23:30")
    assert drawn(browser, 46) == {"count": "46", "points": "46"}
    assert browser.find_element(By.ID, "curve").get_attribute("d").count("M") == 2


def test_the_spring_forward_day_has_46_half_hours_on_a_continuous_curve(server, browser):
    browser.get(server + "/?start=2025-03-30T00:00&end=2025-03-30T23:30")
    assert drawn(browser, 46) == {"count": "46", "points": "46"}
    assert browser.find_element(By.ID, "curve").get_attribute("d").count("M") == 1


def test_a_year_is_decimated_for_drawing_but_not_for_the_numbers(server, browser):
    browser.get(server + "/?start=2024-01-01T00:00&end=2024-12-31T23:30")
    chart = drawn(browser)
    data = api(server, "2024-01-01", "2024-12-31")["data"]
    assert chart["count"] == str(len(data)) == str(366 * 48 - 2)  # spring forward: 2 fewer
    assert 0 < int(chart["points"]) <= 2 * 960
    watts = [p["consumption_w"] for p in data]
    assert browser.find_element(By.ID, "max").text == gw(max(watts))
    assert browser.find_element(By.ID, "mean").text == gw(sum(watts) / len(watts))


def test_a_reversed_range_shows_the_apis_message(server, browser):
    browser.get(server + "/")
    drawn(browser, 48)
    for field, value in (("start", "2025-01-03T12:00"), ("end", "2025-01-02T12:00")):
        browser.execute_script("document.getElementById(arguments[0]).value = arguments[1]", field, value)
    browser.find_element(By.ID, "show").click()
    error = browser.find_element(By.ID, "error")
    WebDriverWait(browser, 10).until(lambda d: error.is_displayed())
    expected = httpx.get(
        f"{server}/consumption", params={"start": "2025-01-03T12:00", "end": "2025-01-02T12:00"}
    ).json()["error"]
    assert error.text == expected
    assert browser.find_element(By.ID, "curve").get_attribute("d") == ""


def test_the_csv_link_asks_for_the_range_shown(server, browser):
    browser.get(server + "/?start=2025-01-01T06:00&end=2025-01-01T07:00")
    drawn(browser, 3)
    href = browser.find_element(By.ID, "csv").get_attribute("href")
    response = httpx.get(href)
    assert response.headers["content-type"].startswith("text/csv")
    assert len(response.text.strip().splitlines()) == 1 + 3
