"""The embedded history (data/history, in the repository: RTE's real half hours of
2012-2021) as a test database, imported by the real importer."""

from __future__ import annotations

from pathlib import Path

from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "data" / "history"
# The exercise on a stored year, as the README, /docs and scripts/average_consumption.sql
# ask it: 2019-01-01 06:00 to 2019-01-03 17:00 Paris time, both half hours included.
EXERCISE_HALF_HOURS, EXERCISE_MEAN_MW = 119, 65_329.3


def write_history_database(path: Path, *years: int) -> Path:
    """A database holding the embedded history's files of `years`."""
    files = [file for year in years for file in sorted(HISTORY.glob(f"eCO2mix_France_consumption_{year}_*.zip"))]
    assert len(files) == len(years), f"data/history lacks some of {years}"
    store = SqliteStore.open(path)
    try:
        import_paths(files, store)
    finally:
        store.close()
    return path
