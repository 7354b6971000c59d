"""`GET /metrics`: Prometheus' text format, read by Prometheus' own parser."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from consumption.bootstrap import build_app
from consumption.config import Settings
from consumption.domain import RefreshRecord
from consumption.services.importing import import_paths
from consumption.services.startup import StartupReport
from tests.eco2mix_files import days, eco2mix_lines, eco2mix_text, write_eco2mix, write_zip
from tests.helpers import running_server
from tests.rte_server import fake_rte

JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 2))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(name, sorted labels) -> value, for every sample of the exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_requests_latency_and_what_the_database_holds(tmp_path, store, database_path):
    import_paths([write_eco2mix(tmp_path / "tr.xls", eco2mix_lines(JANUARY))], store)
    store.archives.record_refresh(RefreshRecord(1_764_000_000, False, "3 archives: 3 failed"))
    settings = Settings(database_path=database_path, data_dir=tmp_path, history_dir=None)
    with TestClient(build_app(settings)) as client:  # in process: what the app counts
        for _ in range(3):
            assert client.get("/consumption", params={"start": "2025-01-01", "end": "2025-01-01"}).status_code == 200
        assert client.get("/consumption", params={"start": "tomorrow"}).status_code == 400
        for path in ("/nothing", "/wp-admin", "/.env"):
            assert client.get(path).status_code == 404
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = samples(response.text)
    requests = "consumption_http_requests_total"
    assert found[requests, (("route", "/consumption"), ("status", "200"))] == 3
    assert found[requests, (("route", "/consumption"), ("status", "400"))] == 1
    assert found[requests, (("route", "other"), ("status", "404"))] == 3  # random paths share one label
    latency = "consumption_http_request_duration_seconds"
    assert found[latency + "_count", (("route", "/consumption"),)] == 4
    assert 0 < found[latency + "_sum", (("route", "/consumption"),)] < 10
    assert found[latency + "_bucket", (("le", "+Inf"), ("route", "/consumption"))] == 4
    assert found["consumption_half_hour_values_stored", ()] == 96
    newest = int(dt.datetime(2025, 1, 2, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))).timestamp())
    assert abs(found["consumption_newest_half_hour_age_seconds", ()] - (time.time() - newest)) < 60
    assert found["consumption_last_refresh_timestamp_seconds", ()] == 1_764_000_000
    assert found["consumption_last_refresh_success", ()] == 0
    assert found["consumption_database_up", ()] == 1
    imported = "consumption_archive_imported_timestamp_seconds"
    assert found[imported, (("archive", "tr.xls"),)] > 0  # the file's name, never its path on the server
    assert str(tmp_path) not in response.text


def test_the_refresh_after_a_first_start_reports_each_archive(tmp_path, database_path):
    with fake_rte() as rte:
        rte.files["eCO2mix_RTE_En-cours-TR.zip"] = write_zip(
            tmp_path / "tr.zip", {"eCO2mix_RTE_En-cours-TR.xls": eco2mix_text(eco2mix_lines(JANUARY))}
        ).read_bytes()
        settings = Settings(database_path=database_path, data_dir=tmp_path / "data", rte_base_url=rte.base_url)
        app = build_app(settings, StartupReport(built=True))
        with running_server(app) as url, httpx.Client(base_url=url) as client:
            deadline = time.monotonic() + 15
            while 'archive="eCO2mix_RTE_En-cours-TR.zip",outcome="failed"' not in (text := client.get("/metrics").text):
                assert time.monotonic() < deadline, "no refresh within 15 s"
                time.sleep(0.1)
    found = samples(client_text := text)
    outcome = "consumption_refresh_archive_outcome"
    assert found[outcome, (("archive", "eCO2mix_RTE_En-cours-TR.zip"), ("outcome", "downloaded"))] == 1
    assert found[outcome, (("archive", "eCO2mix_RTE_En-cours-TR.zip"), ("outcome", "failed"))] == 0
    assert found[outcome, (("archive", "eCO2mix_RTE_En-cours-Consolide.zip"), ("outcome", "failed"))] == 1
    assert ("consumption_archive_imported_timestamp_seconds", (("archive", "eCO2mix_RTE_En-cours-TR.zip"),)) in found
    assert "consumption_refresh_archive_timestamp_seconds" in client_text


@pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool (Debian's prometheus package)")
def test_promtool_accepts_the_metrics_lint_included(tmp_path, store, database_path):
    """Prometheus' own checker, on every series the service exposes: names, units, help, types."""
    import_paths([write_eco2mix(tmp_path / "tr.xls", eco2mix_lines(JANUARY))], store)
    store.archives.record_refresh(RefreshRecord(1_764_000_000, True, "3 archives: 3 unchanged"))
    app = build_app(Settings(database_path=database_path, data_dir=tmp_path, history_dir=None))
    app.state.service.metrics.record_archive("eCO2mix_RTE_En-cours-TR.zip", "downloaded")
    with TestClient(app) as client:
        assert client.get("/consumption", params={"start": "2025-01-01", "end": "2025-01-01"}).status_code == 200
        assert client.get("/nothing").status_code == 404
        text = client.get("/metrics").text
    assert (
        "consumption_refresh_archive_outcome{" in text and "consumption_http_request_duration_seconds_bucket{" in text
    )
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
