"""The embedded history: one zip a year of France's consumption in RTE's layout.

The files are named `eCO2mix_France_consumption_{YYYY}_{nature}.zip` (see
data/README.md and scripts/build_history.py, which writes them). Start-up
imports them into an empty database and records each in the archive log under
that name, so `/health` can say which years came from them.
"""

from __future__ import annotations

from pathlib import Path

from consumption.eco2mix.names import history_name, history_year, years_by_source

__all__ = ["history_files", "history_name", "history_year", "years_by_source"]


def history_files(history_dir: Path | None) -> list[Path]:
    """The embedded history's files in `history_dir`, by year; none when it is absent."""
    if history_dir is None or not history_dir.is_dir():
        return []
    return sorted(p for p in history_dir.iterdir() if p.is_file() and history_year(p.name) is not None)
