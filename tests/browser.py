"""Headless Chromium for the browser tests: Debian's `chromium` and `chromium-driver`,
started with what this closed network needs (no background connections)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


# The same page, the same pixels: one scale, no scroll bars, greyscale antialiasing, sRGB.
PICTURE_FLAGS = (
    "--force-device-scale-factor=1",
    "--hide-scrollbars",
    "--disable-lcd-text",
    "--font-render-hinting=none",
    "--force-color-profile=srgb",
)
# A phone as the page tests it: 390 x 844 CSS pixels at 3 device pixels each, touch.
PHONE: dict[str, dict[str, Any]] = {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3, "touch": True}}


def start_chromium(user_data_dir: Path, window_size: str = "1100,900", *, phone: bool = False) -> Any:
    """A Chrome WebDriver on a fresh profile, keeping the browser's console log; US English,
    so that anything left to the browser's locale shows as it would there (12-hour times)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    assert CHROMIUM, "no Chromium: the test should have been skipped (needs_chromium)"
    options.binary_location = CHROMIUM
    flags = (*FLAGS, *PICTURE_FLAGS, "--lang=en-US", f"--window-size={window_size}", f"--user-data-dir={user_data_dir}")
    for flag in flags:
        options.add_argument(flag)
    if phone:
        options.add_experimental_option("mobileEmulation", PHONE)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


# Every element shown whose box reaches past arguments[0] (half a pixel of rounding allowed).
PAST_THE_RIGHT_EDGE = """
return [...document.querySelectorAll("body *")].filter((node) => node.getClientRects().length)
  .filter((node) => node.getBoundingClientRect().right > arguments[0] + 0.5)
  .map((node) => node.tagName + (node.id ? "#" + node.id : "") + " " + node.getBoundingClientRect().right);
"""
# The height and width of each element matching arguments[0] that is shown: hit targets.
TARGET_SIZES = """
return [...document.querySelectorAll(arguments[0])].filter((node) => node.getClientRects().length)
  .map((node) => [node.id || node.dataset.name || node.textContent.trim(), node.getBoundingClientRect().height,
    node.getBoundingClientRect().width]);
"""
# A finger's hit target, in CSS pixels (Apple's and WCAG 2.5.5's 44).
TOUCH_TARGET = 44


def fits_the_phone(driver) -> None:
    """Nothing on the page is wider than the phone's screen: no sideways scrolling, nothing cut.
    (Not the window's width: a phone widens it to a page wider than the screen, zoomed out.)"""
    width = PHONE["deviceMetrics"]["width"]
    assert driver.execute_script("return screen.width") == width
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    assert driver.execute_script(PAST_THE_RIGHT_EDGE, width) == []


def small_targets(driver, selector: str) -> list[tuple[str, float, float]]:
    """The shown elements matching `selector` that a finger cannot easily hit."""
    sizes = driver.execute_script(TARGET_SIZES, selector)
    return [tuple(size) for size in sizes if min(size[1], size[2]) < TOUCH_TARGET]
