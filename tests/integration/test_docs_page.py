"""/docs in a real browser: the explorer reads the document and sends a request (skips
without Chromium, like test_page.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consumption.web.openapi import openapi_document
from tests.api_fixtures import api_client, served_client
from tests.browser import fits_the_phone, needs_chromium, small_targets, start_chromium
from tests.history import EXERCISE_HALF_HOURS, EXERCISE_MEAN_MW, write_history_database

pytestmark = needs_chromium
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    driver = start_chromium(tmp_path_factory.mktemp("chromium"), window_size="1200,900")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def phone(tmp_path_factory) -> Iterator[object]:
    """Chromium as a 390 x 844 phone (mobile emulation, touch)."""
    driver = start_chromium(tmp_path_factory.mktemp("phone"), phone=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def history_2019(tmp_path_factory) -> Path:
    """RTE's real 2019 from the embedded history: what an offline first start stores."""
    return write_history_database(tmp_path_factory.mktemp("history") / "consumption.sqlite3", 2019)


def open_docs(browser, client) -> Any:
    """/docs loaded; its first operation (getConsumption, open) once the document is read."""
    browser.get(str(client.base_url).rstrip("/") + "/docs")
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "getConsumption"))
    return browser.find_element(By.ID, "getConsumption")


def send(operation) -> tuple[str, str, str]:
    """Click Send; the status line, the request (as curl) and the response body shown."""
    operation.find_element(By.CSS_SELECTOR, "button").click()
    WebDriverWait(operation, 10).until(lambda o: o.find_elements(By.CSS_SELECTOR, "pre.response"))
    return tuple(
        operation.find_element(By.CSS_SELECTOR, selector).text
        for selector in (".status", "pre.request", "pre.response")
    )


def test_the_explorer_sends_a_request_built_from_the_document(history_2019, browser):
    with served_client(history_2019) as client:
        operation = open_docs(browser, client)
        assert operation.get_attribute("open") is not None
        names = [f.get_attribute("data-name") for f in operation.find_elements(By.CSS_SELECTOR, "[data-name]")]
        assert names == ["start", "end", "interval", "tz", "format", "If-None-Match"]
        Select(operation.find_element(By.CSS_SELECTOR, "select[data-name=interval]")).select_by_value("day")
        Select(operation.find_element(By.CSS_SELECTOR, "select[data-name=tz]")).select_by_value("UTC")
        bounds = {name: field_value(operation, name) for name in ("start", "end")}
        status, request, shown = send(operation)
        expected = client.get("/consumption", params={**bounds, "interval": "day", "tz": "UTC"}).json()
    assert status == "200 OK"
    assert "interval=day" in request and "tz=UTC" in request
    assert '"mean_w": ' + str(expected["data"][0]["mean_w"]) in shown
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []  # CSP included


def test_the_explorer_allows_no_inline_script(database):
    with api_client(database) as client:
        policy = client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def field_value(operation, name: str) -> str:
    return operation.find_element(By.CSS_SELECTOR, f"[data-name={name}]").get_property("value")


def test_the_request_sent_unchanged_answers_on_the_embedded_history(history_2019, browser):
    """An offline first start stores 2012-2021: the fields /docs fills in by default (the
    document's examples) ask for a stored range, the README's exercise."""
    with served_client(history_2019) as client:
        operation = open_docs(browser, client)
        status, request, shown = send(operation)
        expected = client.get(
            "/consumption", params={name: field_value(operation, name) for name in ("start", "end")}
        ).json()
    assert status == "200 OK"
    assert f'"count": {EXERCISE_HALF_HOURS}' in shown
    assert expected["count"] == EXERCISE_HALF_HOURS
    mean_mw = sum(point["consumption_w"] for point in expected["data"]) / expected["count"] / 1e6
    assert round(mean_mw, 1) == EXERCISE_MEAN_MW
    assert expected["data"][0]["timestamp"] in shown


def test_markdown_code_in_the_document_is_shown_as_code(database, browser):
    """The document's `…` are <code>, not backticks; built as nodes, so no markup in a
    document string is ever parsed, and the strict CSP still holds."""
    start = next(p for p in openapi_document()["paths"]["/consumption"]["get"]["parameters"] if p["name"] == "start")
    with served_client(database) as client:
        operation = open_docs(browser, client)
        cell = next(
            row.find_elements(By.TAG_NAME, "td")[2]
            for row in operation.find_elements(By.TAG_NAME, "tr")
            if row.find_elements(By.CSS_SELECTOR, "[data-name=start]")
        )
        shown_code = [code.text for code in cell.find_elements(By.TAG_NAME, "code")]
        description = operation.find_element(By.CSS_SELECTOR, ".body > p").text
        assert shown_code == re.findall(r"`([^`]+)`", start["description"]) and "2019-01-01" in shown_code
        assert "`" not in cell.text and "`" not in description
    built = browser.execute_script(
        "const p = document.createElement('p'); p.append(...prose(arguments[0]));"
        "return [p.innerHTML, p.children.length];",
        "a <b>bold</b> `<i>x</i>` and `y` then ` alone",
    )
    assert built == ["a &lt;b&gt;bold&lt;/b&gt; <code>&lt;i&gt;x&lt;/i&gt;</code> and <code>y</code> then ` alone", 2]
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_at_phone_width_every_operation_fits_and_its_controls_are_finger_sized(database, phone):
    """Every operation opened, with its response schemas: nothing wider than the phone, and
    each field, button and toggle a finger-sized target."""
    with served_client(database) as client:
        open_docs(phone, client)
        opened = phone.execute_script(
            "const all = document.querySelectorAll('details');"
            " all.forEach((node) => { node.open = true; }); return all.length"
        )
        assert opened > len(openapi_document()["paths"])
        fits_the_phone(phone)
        assert small_targets(phone, "input, select, button, summary") == []
