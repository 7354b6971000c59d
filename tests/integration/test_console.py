"""What a person sees in the terminal: the start-up log of an offline first start, and Ctrl-C."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from tests.server_process import serving

# `2026-12-08T01:26:25.030+01:00 INFO logger: message`: Paris time with its offset, as /health writes.
TEXT_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) [\w.]+: ")


def test_an_offline_first_start_says_what_happened_in_a_few_short_lines(tmp_path: Path) -> None:
    with serving(tmp_path / "consumption.sqlite3", {"REFRESH_INTERVAL": "once"}) as server:
        server.wait_for(r"fetch: \d+ archives: ")  # the refresh has tried RTE, which is unreachable, and given up
    lines = server.output.splitlines()
    assert lines, "the server said nothing"
    assert not [line for line in lines if not TEXT_LINE.match(line)], server.output  # uvicorn's lines too
    assert not [line for line in lines if len(line) > 300], server.output
    answered = next(i for i, line in enumerate(lines) if "Application startup complete" in line)
    assert answered < 15, server.output
    assert "Traceback" not in server.output


def test_ctrl_c_stops_with_the_shutdown_lines_and_nothing_else(tmp_path: Path) -> None:
    with serving(tmp_path / "consumption.sqlite3") as server:
        assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.output and "KeyboardInterrupt" not in server.output, server.output
    assert server.output.splitlines()[-1].endswith(f"Finished server process [{server.process.pid}]")
