"""/docs in a real browser: the explorer reads the document and sends a request (skips
without Chromium, like test_page.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api_fixtures import api_client, served_client
from tests.browser import needs_chromium, start_chromium

pytestmark = needs_chromium
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    driver = start_chromium(tmp_path_factory.mktemp("chromium"), window_size="1200,900")
    yield driver
    driver.quit()


def test_the_explorer_sends_a_request_built_from_the_document(database, browser):
    with served_client(database) as client:
        browser.get(str(client.base_url).rstrip("/") + "/docs")
        WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "getConsumption"))
        operation = browser.find_element(By.ID, "getConsumption")
        assert operation.get_attribute("open") is not None
        names = [f.get_attribute("data-name") for f in operation.find_elements(By.CSS_SELECTOR, "[data-name]")]
        assert names == ["start", "end", "interval", "tz", "format", "If-None-Match"]
        Select(operation.find_element(By.CSS_SELECTOR, "select[data-name=interval]")).select_by_value("day")
        Select(operation.find_element(By.CSS_SELECTOR, "select[data-name=tz]")).select_by_value("UTC")
        operation.find_element(By.CSS_SELECTOR, "button").click()
        WebDriverWait(browser, 10).until(lambda d: operation.find_elements(By.CSS_SELECTOR, "pre.response"))
        status = operation.find_element(By.CSS_SELECTOR, ".status").text
        shown = operation.find_element(By.CSS_SELECTOR, "pre.response").text
        request = operation.find_element(By.CSS_SELECTOR, "pre.request").text
        expected = client.get(
            "/consumption",
            params={"start": "2025-01-01T06:00", "end": "2025-01-03T17:00", "interval": "day", "tz": "UTC"},
        ).json()
    assert status == "200 OK"
    assert "interval=day" in request and "tz=UTC" in request
    assert '"mean_w": ' + str(expected["data"][0]["mean_w"]) in shown
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []  # CSP included


def test_the_explorer_allows_no_inline_script(database):
    with api_client(database) as client:
        policy = client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
