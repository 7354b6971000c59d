"""Settings: every value is checked when read, and a bad one names the setting."""

from __future__ import annotations

import pytest

from consumption.config import Settings


def settings(**environ: str) -> Settings:
    return Settings.from_environment(env_file=None, environ=environ)


def test_the_defaults() -> None:
    defaults = settings()
    assert (defaults.render_cache_mb, defaults.download_max_mb, defaults.log_level) == (16, 200, "INFO")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RENDER_CACHE_MB", "-1"),
        ("DOWNLOAD_MAX_MB", "-5"),
        ("DOWNLOAD_MAX_MB", "0"),
        ("FILE_MAX_MB", "lots"),
        ("HTTP_TIMEOUT", "-1"),
        ("DOWNLOAD_DEADLINE", "0"),
        ("LOG_LEVEL", "verbose"),
        ("LOG_FORMAT", "xml"),
        ("WORKERS", "0"),
        ("REFRESH_INTERVAL", "soon"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        settings(**{name: value})


def test_a_render_cache_of_zero_turns_it_off() -> None:
    assert settings(RENDER_CACHE_MB="0").render_cache_mb == 0
    assert settings(LOG_LEVEL="debug").log_level == "DEBUG"
