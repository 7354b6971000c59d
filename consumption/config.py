"""Settings, read from the environment and an optional `.env` file.

Each field of `Settings` is one setting, written once: its environment variable
(its name in capitals), its default, how its text is read and checked, and what it
is for. `.env.example` shows each with its default and what it is for (a test holds
them together). A value that cannot be read stops start-up with an error naming
the setting. REFRESH_INTERVAL: `once` refreshes from RTE once after `serve` starts;
a period (`1h`) at start and then every period; `0` or `off` never (no request to
RTE at all; `consumption refresh` from cron may do it instead).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from starlette.config import Config, environ

# The embedded history in a source checkout; the image sets HISTORY_DIR to its own copy.
CHECKOUT_HISTORY_DIR = Path(__file__).resolve().parents[1] / "data" / "history"
BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
MAX_PORT = 65535
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int:
    """`90s`, `15m`, `1h`, `1d` -> seconds; `0`, `off` or empty -> 0 (none)."""
    text = text.strip().lower()
    if text in ("", "0", "off"):
        return 0
    number, unit = text[:-1], text[-1:]
    if unit in _UNITS and number.isdigit() and int(number) > 0:
        return int(number) * _UNITS[unit]
    raise ValueError("is not a duration; expected a number and a unit such as 90s, 15m, 1h or 1d, once, or 0/off")


def parse_refresh(text: str) -> dict[str, Any]:
    """`once`: one refresh after start-up; a duration: then every period too; `0`/`off`: never."""
    if text.strip().lower() == "once":
        return {"refresh_interval": 0, "refresh_at_start": True}
    interval = parse_interval(text)
    return {"refresh_interval": interval, "refresh_at_start": interval > 0}


def one_of(*choices: str) -> Callable[[str], str]:
    """A reader of one of `choices`, in any case."""

    def read(text: str) -> str:
        for choice in choices:
            if text.strip().lower() == choice.lower():
                return choice
        raise ValueError(f"is not one of {', '.join(choices)}")

    return read


def parse_origins(text: str) -> tuple[str, ...]:
    """`*`, or origins separated by commas or spaces; empty: none."""
    return tuple(text.replace(",", " ").split())


def parse_bool(text: str) -> bool:
    if text.strip().lower() not in BOOLEANS:
        raise ValueError("is not true or false")
    return BOOLEANS[text.strip().lower()]


def optional_path(text: str) -> Path | None:
    return Path(text) if text.strip() else None


def count_of(what: str, minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A reader of a whole number of `what`, `minimum` or more (and `maximum` at most)."""
    expected = f"{minimum} or more" if maximum is None else f"{minimum} to {maximum}"

    def read(text: str) -> int:
        if text.strip().isdigit() and minimum <= int(text) <= (maximum or int(text)):
            return int(text)
        raise ValueError(f"is not a whole number of {what}; expected {expected}")

    return read


def seconds(text: str) -> float:
    with contextlib.suppress(ValueError):
        if float(text) > 0:  # not NaN either
            return float(text)
    raise ValueError("is not a number of seconds; expected more than 0")


def setting(default: Any, read: Callable[[str], Any], help: str) -> Any:
    """A field of `Settings` read from the environment variable of its name in capitals:
    `read` turns the text into the value (a ValueError says what was expected)."""
    return field(default=default, metadata={"read": read, "help": help})


@dataclass(frozen=True)
class Settings:
    """Every setting, once: its default, how its text is read, and what it is for."""

    data_dir: Path = setting(
        Path("data"), Path, "Folder of éCO2mix files (.zip, .xls, .csv, .json) that start-up imports."
    )
    database_path: Path = setting(
        Path("data/consumption.sqlite3"), Path, "The SQLite database (default: consumption.sqlite3 in DATA_DIR)."
    )
    history_dir: Path | None = setting(
        CHECKOUT_HISTORY_DIR, optional_path, "The embedded history an empty database is built from; empty: none."
    )
    log_level: str = setting("INFO", one_of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "DEBUG, INFO, WARNING…")
    log_format: str = setting("text", one_of("text", "json"), "text, or json: one JSON object per line.")
    host: str = setting("127.0.0.1", str, "The address `consumption serve` listens on (or --host).")
    port: int = setting(8000, count_of("a port", 0, MAX_PORT), "The port `consumption serve` listens on (or --port).")
    rte_base_url: str = setting("https://eco2mix.rte-france.com", str, "Where RTE's archives are downloaded from.")
    http_timeout: float = setting(30.0, seconds, "Seconds to wait for RTE at each step of a download.")
    download_deadline: float = setting(600.0, seconds, "Seconds for the whole download of one archive.")
    download_max_mb: int = setting(200, count_of("megabytes", 1), "Megabytes one archive may hold, once decoded.")
    refresh_interval: int = setting(
        0, parse_refresh, "Refresh from RTE: once (at start); 90s, 15m, 1h, 1d; 0/off: never."
    )
    refresh_at_start: bool = True  # read from REFRESH_INTERVAL: `once` or a period
    sql_time_limit_ms: int = setting(
        2000, count_of("milliseconds", 1), "Milliseconds one request's SQL may run before it is a 503."
    )
    file_max_mb: int = setting(256, count_of("megabytes", 1), "Megabytes of text one éCO2mix file may hold unzipped.")
    cors_origins: tuple[str, ...] = setting(("*",), parse_origins, "Origins whose pages may read the API; * for any.")
    access_log: bool = setting(False, parse_bool, "One log line per request; it costs throughput (docs/benchmarks.md).")
    workers: int = setting(1, count_of("processes", 1), "Server processes; each reads the SQLite file, one refreshes.")

    @classmethod
    def from_environment(cls, env_file: str | Path | None = ".env", environ: Mapping[str, str] = environ) -> Settings:
        """Settings from the environment, then `env_file` when it exists, then the defaults."""
        config = Config(env_file if env_file and Path(env_file).is_file() else None, environ)
        values: dict[str, Any] = {}
        for name, read in readers().items():
            text = config(name, default=None)
            if text is not None:
                values.update(read(text))
        if "database_path" not in values:
            values["database_path"] = values.get("data_dir", cls.data_dir) / "consumption.sqlite3"
        return cls(**values)


def readers() -> dict[str, Callable[[str], dict[str, Any]]]:
    """Each setting's environment variable, and what its text gives `Settings`."""
    return {
        f.name.upper(): functools.partial(_read, f.name, f.metadata["read"]) for f in fields(Settings) if f.metadata
    }


def _read(name: str, read: Callable[[str], Any], text: str) -> dict[str, Any]:
    try:
        value = read(text)
    except ValueError as error:
        raise ValueError(f"{name.upper()} {text!r} {error}") from None
    return value if isinstance(value, dict) else {name: value}
