"""Operations: which years came from where, JSON log lines, settings, the commands' help."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from consumption.cli import main
from consumption.config import Settings
from consumption.eco2mix.names import years_by_source
from consumption.logs import JsonFormatter
from consumption.web.metrics import Metrics

EMBEDDED = [f"eCO2mix_France_consumption_{y}_definitive.zip" for y in range(2012, 2021)] + [
    "eCO2mix_France_consumption_2021_consolidated.zip"
]


def test_years_come_from_the_embedded_history_until_rte_replaces_them():
    history = range(2012, 2022)
    assert years_by_source(EMBEDDED, history) == {"embedded": list(history), "rte": [], "files": []}
    fetched = [f"eCO2mix_RTE_Annuel-Definitif_{y}.zip" for y in (2021, 2022, 2023, 2024, 2025)]
    current = ["eCO2mix_RTE_En-cours-Consolide.zip", "eCO2mix_RTE_En-cours-TR.zip"]
    assert years_by_source(EMBEDDED + fetched + current, range(2012, 2027)) == {
        "embedded": list(range(2012, 2021)),  # 2021: RTE's definitive file replaced the consolidated one
        "rte": [2021, 2022, 2023, 2024, 2025, 2026],
        "files": [],
    }
    assert years_by_source(current, [2026]) == {"embedded": [], "rte": [2026], "files": []}
    # A year with nothing stored (RTE's archives skipped 2022-2024 here) is no one's.
    stored = [*range(2012, 2022), 2025, 2026]
    assert years_by_source(EMBEDDED + current, stored)["rte"] == [2025, 2026]
    assert years_by_source([], []) == {"embedded": [], "rte": [], "files": []}


def test_stored_years_no_archive_accounts_for_came_from_files():
    """A file imported from disk is logged under its path, which names no year: its years
    are the stored ones that neither the embedded history nor RTE accounts for."""
    local = ["/home/me/data/eCO2mix_RTE_Annuel-Definitif_2023.zip", "/home/me/data/mine.xls"]
    assert years_by_source(EMBEDDED + local, [*range(2012, 2022), 2023, 2024]) == {
        "embedded": list(range(2012, 2022)),
        "rte": [],
        "files": [2023, 2024],
    }
    assert years_by_source(local, [2010, 2023]) == {"embedded": [], "rte": [], "files": [2010, 2023]}


def test_a_json_log_line_is_one_object_with_the_access_fields():
    formatter = JsonFormatter()
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", "/x?a=é", "1.1", 200),
        None,
    )
    line = formatter.format(access)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == '1.2.3.4:5 - "GET /x?a=é HTTP/1.1" 200'
    assert (parsed["level"], parsed["logger"], parsed["method"], parsed["status"]) == (
        "INFO",
        "uvicorn.access",
        "GET",
        200,
    )
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        failure = logging.LogRecord("consumption", logging.ERROR, "", 0, "failed: %s", ("x",), sys.exc_info())
    parsed = json.loads(formatter.format(failure))
    assert parsed["message"] == "failed: x" and "ValueError: bad\nthing" in parsed["exception"]


def test_log_format_and_history_dir_settings(tmp_path):
    assert Settings.from_environment(None, {}).log_format == "text"
    assert Settings.from_environment(None, {}).history_dir is not None
    settings = Settings.from_environment(None, {"LOG_FORMAT": "JSON", "HISTORY_DIR": str(tmp_path)})
    assert (settings.log_format, settings.history_dir) == ("json", tmp_path)
    assert Settings.from_environment(None, {"HISTORY_DIR": ""}).history_dir is None
    with pytest.raises(ValueError, match="LOG_FORMAT 'yaml'"):
        Settings.from_environment(None, {"LOG_FORMAT": "yaml"})


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("fetch", ["--from-year YEAR", "first year whose definitive archive", "--to-year YEAR", "not published"]),
        ("refresh", ["conditional", "cron", "REFRESH_INTERVAL=0"]),
    ],
)
def test_fetch_and_refresh_explain_their_options(command, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert word in text


def test_metrics_label_unknown_paths_as_other():
    metrics = Metrics(reader=None, routes=["/consumption"])  # type: ignore[arg-type]
    metrics.observe("/consumption", 200, 0.01)
    for n in range(100):
        metrics.observe(f"/scan/{n}", 404, 0.001)
    families = {f.name: f for f in metrics.registry.collect()}
    labels = {tuple(s.labels.values()) for s in families["consumption_http_requests"].samples}
    assert labels == {("/consumption", "200"), ("other", "404")}


def test_an_access_line_of_another_shape_keeps_its_text_without_guessed_fields():
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, "%s %s %s %s %d", ("a", "b", "c", "d", 1), None)
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed["message"] == "a b c d 1"
    assert "method" not in parsed and "status" not in parsed
