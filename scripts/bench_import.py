"""Time the import of a full 2012-2025 history: 14 annual definitive files in RTE's layout.

    .venv/bin/python scripts/bench_import.py [--years 2012-2025] [--keep DIR]

Writes the files (zipped, as RTE serves them) to a temporary folder, then imports
them into a new database and prints seconds, rows and peak memory. The baseline
in the same run is the time to merely read and split every line of the same files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consumption.importer import import_paths
from consumption.sources import find_sources
from consumption.sqlite_store import SqliteConsumptionRepository, connect

from tests.eco2mix_files import NEW_COLUMNS

HEADER = "\t".join(NEW_COLUMNS)
OTHER_COLUMNS = HEADER.count("\t") - 4


def annual_file(year: int) -> str:
    """An annual definitive file: 96 lines a day, values at :00 and :30 only."""
    out = io.StringIO()
    out.write(HEADER + "\r\n")
    day = dt.date(year, 1, 1)
    filler = "\t".join(["123"] * OTHER_COLUMNS)
    empty = "\t" * OTHER_COLUMNS
    while day.year == year:
        date = day.isoformat()
        for minutes in range(0, 1440, 15):
            hhmm = f"{minutes // 60:02d}:{minutes % 60:02d}"
            if minutes % 30:
                out.write(f"France\tDonnées définitives\t{date}\t{hhmm}\t\t{empty}\t\r\n")
            else:
                value = 45_000 + (day.toordinal() % 365) * 10 + minutes // 30
                out.write(f"France\tDonnées définitives\t{date}\t{hhmm}\t{value}\t{filler}\t\r\n")
        day += dt.timedelta(1)
    out.write("RTE ne pourra être tenu responsable de l'usage qui pourrait être fait des données.\r\n")
    return out.getvalue()


def write_history(folder: Path, first: int, last: int) -> None:
    for year in range(first, last + 1):
        name = f"eCO2mix_RTE_Annuel-Definitif_{year}"
        with zipfile.ZipFile(folder / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{name}.xls", annual_file(year).encode("cp1252"))


def read_only_baseline(folder: Path) -> tuple[float, int]:
    """Seconds to decode and split every line, with nothing else: the floor for an import."""
    started = time.perf_counter()
    lines = 0
    for source in find_sources([folder]):
        with source.open_lines() as text:
            for _ in csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE):
                lines += 1
    return time.perf_counter() - started, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2012-2025", help="first-last (default 2012-2025)")
    parser.add_argument("--keep", type=Path, help="write the files and database here and keep them")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))

    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_history(folder, first, last)
        print(f"wrote {last - first + 1} annual files in {time.perf_counter() - started:.1f} s")

        baseline, lines = read_only_baseline(folder)
        database = folder / "bench.sqlite3"
        database.unlink(missing_ok=True)
        connection = connect(database)
        started = time.perf_counter()
        report = import_paths([folder], SqliteConsumptionRepository(connection))
        elapsed = time.perf_counter() - started
        connection.close()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print("| measure | value |\n|---|---|")
    print(f"| lines in the files | {lines:,} |")
    print(f"| baseline: decode + split every line | {baseline:.2f} s |")
    print(f"| import: {report.half_hours:,} half-hours, {len(report.files)} files | {elapsed:.2f} s |")
    print(f"| import / baseline | {elapsed / baseline:.1f}× |")
    print(f"| peak RSS of the process | {peak_mb:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
