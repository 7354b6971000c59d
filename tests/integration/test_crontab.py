"""The crontab line of docs/deployment.md, run as cron would run it: its own shell, a bare environment."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from tests.eco2mix_files import days, eco2mix_lines, eco2mix_text, write_zip
from tests.helpers import stored_rows
from tests.rte_server import fake_rte

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "/path/to/consumption"
CRON_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh"}  # what cron gives a job, with HOME and LOGNAME


def crontab_line() -> str:
    (block,) = re.findall(r"```crontab\n(.+?)\n```", (ROOT / "docs" / "deployment.md").read_text(), re.DOTALL)
    (line,) = block.splitlines()
    return line


def test_the_line_is_a_valid_hourly_crontab_entry():
    minute, hour, day, month, weekday, command = crontab_line().split(maxsplit=5)
    assert minute.isdigit() and 0 <= int(minute) <= 59
    assert (hour, day, month, weekday) == ("*", "*", "*", "*")
    assert "%" not in command  # cron would turn it into a newline
    assert command.startswith(f"cd {PLACEHOLDER} && ")
    assert "consumption refresh" in command


def test_the_lines_command_refreshes_the_database_and_logs(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "data").mkdir(parents=True)
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    january = days(dt.date(2025, 1, 1), dt.date(2025, 1, 2))
    with fake_rte() as rte:
        rte.files["eCO2mix_RTE_En-cours-TR.zip"] = write_zip(
            tmp_path / "tr.zip", {"eCO2mix_RTE_En-cours-TR.xls": eco2mix_text(eco2mix_lines(january))}
        ).read_bytes()
        rte.files["eCO2mix_RTE_En-cours-Consolide.zip"] = rte.files["eCO2mix_RTE_En-cours-TR.zip"]
        (checkout / ".env").write_text(f"RTE_BASE_URL={rte.base_url}\n")  # the settings of the checkout
        command = crontab_line().split(maxsplit=5)[5].replace(PLACEHOLDER, str(checkout))
        done = subprocess.run(
            ["/bin/sh", "-c", command], env={**CRON_ENVIRONMENT, "HOME": str(tmp_path)}, timeout=60, check=False
        )
    assert done.returncode == 0, (checkout / "data" / "refresh.log").read_text()
    log = (checkout / "data" / "refresh.log").read_text()
    assert "2 downloaded" in log  # the real-time and consolidated files; the missing years are 404s here
    # An empty database is first built from the embedded history, as the service's start-up does.
    assert len(stored_rows(checkout / "data" / "consumption.sqlite3")) == 175_324 + 96
