"""Settings: every value is checked when read, and a bad one names the setting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from consumption.config import Settings, readers

ROOT = Path(__file__).resolve().parents[2]


def settings(**environ: str) -> Settings:
    return Settings.from_environment(env_file=None, environ=environ)


def test_the_defaults() -> None:
    defaults = settings()
    assert (defaults.sql_time_limit_ms, defaults.download_max_mb, defaults.log_level) == (2000, 200, "INFO")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SQL_TIME_LIMIT_MS", "0"),
        ("DOWNLOAD_MAX_MB", "-5"),
        ("DOWNLOAD_MAX_MB", "0"),
        ("FILE_MAX_MB", "lots"),
        ("HTTP_TIMEOUT", "-1"),
        ("DOWNLOAD_DEADLINE", "0"),
        ("LOG_LEVEL", "verbose"),
        ("LOG_FORMAT", "xml"),
        ("WORKERS", "0"),
        ("REFRESH_INTERVAL", "soon"),
        ("PORT", "70000"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        settings(**{name: value})


def test_values_are_read_from_the_environment() -> None:
    assert settings(SQL_TIME_LIMIT_MS="250").sql_time_limit_ms == 250
    assert settings(LOG_LEVEL="debug").log_level == "DEBUG"


@pytest.mark.parametrize(
    ("text", "interval", "at_start"),
    [("0", 0, False), ("off", 0, False), ("OFF", 0, False), ("", 0, False), ("once", 0, True), ("1h", 3600, True)],
)
def test_refresh_off_once_or_a_period(text: str, interval: int, at_start: bool) -> None:
    read = settings(REFRESH_INTERVAL=text)
    assert (read.refresh_interval, read.refresh_at_start) == (interval, at_start)


def test_the_default_refresh_is_once_at_start() -> None:
    assert (settings().refresh_interval, settings().refresh_at_start) == (0, True)


def comments_above(lines: list[str], index: int) -> list[str]:
    """The comment lines just above `lines[index]`, up to a blank line or another setting."""
    comments = []
    for line in reversed(lines[:index]):
        if not line.startswith("# ") or "=" in line.split()[1]:
            break
        comments.append(line)
    return comments


def test_env_example_shows_every_setting_with_its_default_and_what_it_is_for() -> None:
    """.env.example is what a newcomer copies: each setting, the line that says what it is
    for, and a value that reads as the default."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    defaults = Settings()
    for field in dataclasses.fields(Settings):
        if not field.metadata:
            continue
        name = field.name.upper()
        (index,) = [i for i, line in enumerate(lines) if line.removeprefix("# ").startswith(f"{name}=")]
        assert f"# {field.metadata['help']}" in comments_above(lines, index), name
        if not lines[index].startswith("#"):
            values = readers()[name](lines[index].split("=", 1)[1])
            assert values == {key: getattr(defaults, key) for key in values}, name
    written = {line.split("=")[0] for line in lines if line and not line.startswith("#")}
    assert written <= {f.name.upper() for f in dataclasses.fields(Settings)}
