"""Logging for the command line and the service, uvicorn's lines included: text for people
(Paris time with its offset), or one JSON object per line (`LOG_FORMAT=json`) for log collectors.

A JSON line has `time` (UTC, ISO 8601), `level`, `logger` and `message`; uvicorn's
access lines add `client`, `method`, `path` and `status`; an exception adds `exception`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from consumption.domain.clock import PARIS

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn.access logs each request with this message; its arguments are these fields. A record
# with another message (another uvicorn) keeps its text without them: tests/integration/
# test_serve.py reads them from a real server, so it fails when uvicorn changes its message.
ACCESS_MESSAGE = '%s - "%s %s HTTP/%s" %d'
ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and record.msg == ACCESS_MESSAGE and isinstance(record.args, tuple):
            line.update(zip(ACCESS_FIELDS, record.args, strict=True))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """One line per record, its time in Paris with the offset, as `/health` writes times."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created, PARIS.zone).isoformat(timespec="milliseconds")


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure_logging` installs, told apart from others' (a test's capture)."""


def configure_logging(level: str, log_format: str) -> None:
    """The root logger's handler, on stderr, in `log_format` (`text` or `json`); calling it
    again replaces it, and leaves other handlers alone."""
    handler = _OurHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        if isinstance(old, _OurHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Our own log says what each request did; httpcore's trace would echo RTE's reason phrases.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
