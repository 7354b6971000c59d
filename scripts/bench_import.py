"""Time the import of a full 2012-2025 history, and of ten years in ODRÉ's CSV layout.

    .venv/bin/python scripts/bench_import.py [--years 2012-2025] [--keep DIR]

Writes the files (scripts/bench_history.py: zipped, as RTE serves them, 40 columns
wide) to a temporary folder, then imports them into a new database and prints
seconds, rows and peak memory. Two baselines from the same run: one bare
`executemany` of the same rows, already parsed, into another new database (the
floor an import cannot beat), and the time to merely decode and split every line
of the same files with `csv`. Then the last ten years twice: as ten annual files
in RTE's layout, and as one ODRÉ CSV export of about 80 MB (the target:
within 1.5× of the RTE files).
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_history

from consumption.domain import ConsumptionPoint
from consumption.eco2mix.parser import parse_eco2mix
from consumption.eco2mix.sources import find_sources
from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore


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
        files, ten, odre = folder / "files", folder / "ten", folder / "odre"
        bench_history.write_history(files, first, last)
        print(f"wrote the files in {time.perf_counter() - started:.1f} s")

        elapsed, half_hours, count = timed_import(files, folder / "bench.sqlite3")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        bench_history.write_history(ten, last - 9, last)
        bench_history.write_odre_export(odre, last - 9, last)
        split, lines = read_only_baseline(files)
        bare = executemany_baseline(parsed_rows(files), folder / "bare.sqlite3")
        rte_ten = min(timed_import(ten, folder / "ten.sqlite3")[0] for _ in range(3))
        odre_ten = min(timed_import(odre, folder / "odre.sqlite3")[0] for _ in range(3))
        odre_mb = (odre / "eco2mix-national-cons-def.csv").stat().st_size / 1024 / 1024

    print("| measure | value |\n|---|---|")
    print(f"| lines in the files | {lines:,} |")
    print(f"| import: {half_hours:,} half-hours, {count} files | {elapsed:.2f} s |")
    print(f"| baseline: one bare executemany of the same rows | {bare:.2f} s |")
    print(f"| baseline: decode + csv-split every line | {split:.2f} s |")
    print(f"| import / bare executemany | {elapsed / bare:.1f}× |")
    print(f"| peak RSS during the import | {peak_mb:.0f} MB |")
    print(f"| ten years, ten RTE annual files (best of 3) | {rte_ten:.2f} s |")
    print(f"| ten years, one ODRÉ CSV export of {odre_mb:.0f} MB (best of 3) | {odre_ten:.2f} s |")
    print(f"| ODRÉ export / RTE files (target ≤ 1.5×) | {odre_ten / rte_ten:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
