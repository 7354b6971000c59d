"""Time the import of a full 2012-2025 history: 14 annual definitive files in RTE's layout.

    .venv/bin/python scripts/bench_import.py [--years 2012-2025] [--keep DIR]

Writes the files (zipped, as RTE serves them, 40 columns wide) to a temporary
folder, then imports them into a new database and prints seconds, rows and peak
memory. Two baselines from the same run: one bare `executemany` of the same rows,
already parsed, into another new database (the floor an import cannot beat), and
the time to merely decode and split every line of the same files with `csv`.
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

from consumption.domain import ConsumptionPoint
from consumption.eco2mix.parser import parse_eco2mix
from consumption.eco2mix.sources import find_sources
from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore
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
        with source.open() as stream, io.TextIOWrapper(stream, encoding="cp1252") as text:
            for _ in csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE):
                lines += 1
    return time.perf_counter() - started, lines


def parsed_rows(folder: Path) -> list[ConsumptionPoint]:
    rows: list[ConsumptionPoint] = []
    for source in find_sources([folder]):
        with source.open() as stream:
            rows.extend(parse_eco2mix(stream, source.name))
    return rows


def executemany_baseline(rows: list[ConsumptionPoint], database: Path) -> float:
    """Seconds to store `rows`, already parsed, in one transaction of one `executemany`."""
    database.unlink(missing_ok=True)
    store = SqliteStore.open(database)
    started = time.perf_counter()
    with store.transaction():
        store.points.add(rows)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def timed_import(folder: Path, database: Path) -> tuple[float, int, int]:
    """Seconds, half hours and files of one `import_paths` of `folder` into a new database."""
    database.unlink(missing_ok=True)
    store = SqliteStore.open(database)
    started = time.perf_counter()
    report = import_paths([folder], store)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, report.half_hours, len(report.files)


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

        elapsed, half_hours, files = timed_import(folder, folder / "bench.sqlite3")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        split, lines = read_only_baseline(folder)
        bare = executemany_baseline(parsed_rows(folder), folder / "bare.sqlite3")

    print("| measure | value |\n|---|---|")
    print(f"| lines in the files | {lines:,} |")
    print(f"| import: {half_hours:,} half-hours, {files} files | {elapsed:.2f} s |")
    print(f"| baseline: one bare executemany of the same rows | {bare:.2f} s |")
    print(f"| baseline: decode + csv-split every line | {split:.2f} s |")
    print(f"| import / bare executemany | {elapsed / bare:.1f}× |")
    print(f"| peak RSS during the import | {peak_mb:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
