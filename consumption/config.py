"""Settings, read from the environment and an optional `.env` file.

Every setting is listed, with its default, in `.env.example`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.config import Config, environ

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LOG_FORMATS = ("text", "json")
# The embedded history in a source checkout; the image sets HISTORY_DIR to its own copy.
CHECKOUT_HISTORY_DIR = Path(__file__).resolve().parents[1] / "data" / "history"


def parse_interval(text: str) -> int:
    """`90s`, `15m`, `1h`, `1d` -> seconds; `0` or empty -> 0 (disabled)."""
    text = text.strip().lower()
    if text in ("", "0"):
        return 0
    number, unit = text[:-1], text[-1:]
    if unit in _UNITS and number.isdigit() and int(number) > 0:
        return int(number) * _UNITS[unit]
    raise ValueError(
        f"REFRESH_INTERVAL {text!r} is not a duration; expected a number and a unit "
        "such as 90s, 15m, 1h or 1d, or 0 to disable"
    )


def parse_megabytes(name: str, text: str) -> int:
    """A positive whole number of megabytes."""
    if text.strip().isdigit() and int(text) > 0:
        return int(text)
    raise ValueError(f"{name} {text!r} is not a positive whole number of megabytes")


def parse_origins(text: str) -> tuple[str, ...]:
    """`*`, or origins separated by commas or spaces: `https://a.example, https://b.example`;
    empty: none (no page elsewhere may read the API)."""
    return tuple(text.replace(",", " ").split())


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_path: Path = Path("data/consumption.sqlite3")
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 8000
    rte_base_url: str = "https://eco2mix.rte-france.com"
    http_timeout: float = 30.0
    download_deadline: float = 600.0  # seconds for the whole download of one archive
    download_max_mb: int = 200  # megabytes one archive may hold, after any Content-Encoding
    refresh_interval: int = 0  # seconds between refreshes in the service; 0: none
    render_cache_mb: int = 16  # rendered days kept in memory by the API; 0: none
    file_max_mb: int = 256  # text an éCO2mix file may hold once decompressed; past it, refused
    history_dir: Path | None = CHECKOUT_HISTORY_DIR  # the embedded history; None: none
    log_format: str = "text"  # or "json": one JSON object per line
    cors_origins: tuple[str, ...] = ("*",)  # origins whose pages may read the API; * for any
    access_log: bool = False  # one log line per request: a third of the one-day throughput
    workers: int = 1  # server processes; each reads the SQLite file on its own

    @classmethod
    def from_environment(cls, env_file: str | Path | None = ".env", environ: Mapping[str, str] = environ) -> Settings:
        """Settings from the environment, then `env_file` when it exists, then the defaults."""
        config = Config(env_file if env_file and Path(env_file).is_file() else None, environ)
        data_dir = config("DATA_DIR", cast=Path, default=cls.data_dir)
        return cls(
            data_dir=data_dir,
            database_path=config("DATABASE_PATH", cast=Path, default=data_dir / "consumption.sqlite3"),
            log_level=parse_log_level(config("LOG_LEVEL", default=cls.log_level)),
            host=config("HOST", default=cls.host),
            port=config("PORT", cast=int, default=cls.port),
            rte_base_url=config("RTE_BASE_URL", default=cls.rte_base_url),
            http_timeout=_above_zero("HTTP_TIMEOUT", config("HTTP_TIMEOUT", cast=float, default=cls.http_timeout)),
            download_deadline=_above_zero(
                "DOWNLOAD_DEADLINE", config("DOWNLOAD_DEADLINE", cast=float, default=cls.download_deadline)
            ),
            download_max_mb=parse_megabytes(
                "DOWNLOAD_MAX_MB", config("DOWNLOAD_MAX_MB", default=str(cls.download_max_mb))
            ),
            refresh_interval=parse_interval(config("REFRESH_INTERVAL", default="0")),
            render_cache_mb=_at_least_zero(
                "RENDER_CACHE_MB", config("RENDER_CACHE_MB", cast=int, default=cls.render_cache_mb)
            ),
            file_max_mb=parse_megabytes("FILE_MAX_MB", config("FILE_MAX_MB", default=str(cls.file_max_mb))),
            history_dir=_optional_path(config("HISTORY_DIR", default=str(CHECKOUT_HISTORY_DIR))),
            log_format=parse_log_format(config("LOG_FORMAT", default=cls.log_format)),
            cors_origins=parse_origins(config("CORS_ORIGINS", default="*")),
            access_log=config("ACCESS_LOG", cast=bool, default=cls.access_log),
            workers=_positive("WORKERS", config("WORKERS", cast=int, default=cls.workers)),
        )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"LOG_LEVEL {text!r} is not a log level; expected one of {', '.join(LOG_LEVELS)}")
    return level


def _above_zero(name: str, value: float) -> float:
    if not value > 0:
        raise ValueError(f"{name} {value} is not a number of seconds; expected more than 0")
    return value


def _at_least_zero(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"{name} {value} is negative; expected 0 (off) or more")
    return value


def _optional_path(text: str) -> Path | None:
    return Path(text) if text.strip() else None


def parse_log_format(text: str) -> str:
    """`text` (the default) or `json`."""
    text = text.strip().lower() or "text"
    if text not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT {text!r} is not a log format; expected text or json")
    return text


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise ValueError(f"{name} {value} is not a number of processes; expected 1 or more")
    return value
