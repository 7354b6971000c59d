"""Settings, read from the environment and an optional `.env` file.

Every setting is listed, with its default, in `.env.example`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from collections.abc import Mapping

from starlette.config import Config, environ


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_path: Path = Path("data/consumption.sqlite3")
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_environment(
        cls, env_file: str | Path | None = ".env", environ: Mapping[str, str] = environ
    ) -> Settings:
        """Settings from the environment, then `env_file` when it exists, then the defaults."""
        config = Config(env_file if env_file and Path(env_file).is_file() else None, environ)
        data_dir = config("DATA_DIR", cast=Path, default=cls.data_dir)
        return cls(
            data_dir=data_dir,
            database_path=config(
                "DATABASE_PATH", cast=Path, default=data_dir / "consumption.sqlite3"
            ),
            log_level=config("LOG_LEVEL", default=cls.log_level).upper(),
            host=config("HOST", default=cls.host),
            port=config("PORT", cast=int, default=cls.port),
        )
