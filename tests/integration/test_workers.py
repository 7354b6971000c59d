"""`WORKERS=2`: two server processes answer on one port; only one of them refreshes."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.server_process import serving, write_history


@pytest.mark.parametrize(
    ("refresh", "said"), [("1h", "refreshing from RTE every 3600 s"), ("once", "refreshing from RTE once")]
)
def test_two_workers_answer_and_only_one_refreshes(tmp_path, refresh, said):
    database = tmp_path / "consumption.sqlite3"
    write_history(database, 2024, 2024)
    env = {"WORKERS": "2", "REFRESH_INTERVAL": refresh, "LOG_LEVEL": "INFO", "HTTP_TIMEOUT": "1"}
    with serving(database, env=env) as server, httpx.Client(base_url=server.url) as client:
        answers = [client.get("/consumption", params={"start": "2024-06-01", "end": "2024-06-01"}) for _ in range(20)]
    output = server.output
    assert all(answer.status_code == 200 and answer.json()["count"] == 48 for answer in answers)
    assert len(re.findall(r"Started server process", output)) == 2
    assert output.count(said) == 1
