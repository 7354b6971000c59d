"""Time the API's buckets over the whole history against the raw SQL GROUP BY on the same file.

    .venv/bin/python scripts/bench_aggregates.py [DATABASE] [--repeat 7]

Without DATABASE, writes the 2012-2025 history (14 annual files in RTE's layout, 245,444
half hours) to a temporary folder and imports it. For each interval it reports the best of
`--repeat` runs of:
- the service in-process: the read transaction, the buckets and the JSON body, as the
  endpoint builds it (no HTTP);
- the service over HTTP (uvicorn on 127.0.0.1, one request at a time);
- the raw SQL baselines on the same file: a GROUP BY on the Paris calendar with SQLite's
  `localtime` (TZ=Europe/Paris: the same buckets) and on a fixed +01:00 offset (faster,
  but wrong by an hour for half the year).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ["TZ"] = "Europe/Paris"  # for SQLite's `localtime` in the baseline
time.tzset()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from consumption.config import Settings  # noqa: E402
from consumption.domain.clock import clock  # noqa: E402
from consumption.services.importing import import_paths  # noqa: E402
from consumption.storage.reader import ConsumptionReader  # noqa: E402
from consumption.storage.repository import SqliteStore  # noqa: E402
from consumption.web.aggregates import render_aggregates  # noqa: E402
from consumption.web.app import create_app  # noqa: E402
from consumption.web.params import Query, parse_time_range  # noqa: E402
from tests.eco2mix_files import NEW_COLUMNS  # noqa: E402
from tests.helpers import running_server  # noqa: E402

WHOLE = ("2012-01-01", "2025-12-31")
BASELINES = {
    "hour": (
        "strftime('%Y-%m-%d %H', timestamp, 'unixepoch', 'localtime')",
        "(timestamp + 3600) / 3600",
    ),
    "day": ("date(timestamp, 'unixepoch', 'localtime')", "(timestamp + 3600) / 86400"),
    "week": (
        "date(timestamp, 'unixepoch', 'localtime', 'weekday 0', '-6 days')",
        "(timestamp + 3600 + 3 * 86400) / (7 * 86400)",
    ),
    "month": ("strftime('%Y-%m', timestamp, 'unixepoch', 'localtime')", None),
    "year": ("strftime('%Y', timestamp, 'unixepoch', 'localtime')", None),
}
GROUP_BY = (
    "SELECT {key} AS bucket, avg(consumption_mw), min(consumption_mw), max(consumption_mw), count(*)"
    " FROM consumption WHERE timestamp BETWEEN ? AND ? GROUP BY bucket ORDER BY bucket"
)


def annual_file(year: int) -> str:
    """An annual definitive file: 96 lines a day, values at :00 and :30 only."""
    out = io.StringIO()
    out.write("\t".join(NEW_COLUMNS) + "\r\n")
    others = len(NEW_COLUMNS) - 5
    day = dt.date(year, 1, 1)
    while day.year == year:
        for minutes in range(0, 1440, 15):
            value = "" if minutes % 30 else str(45_000 + (day.toordinal() % 365) * 10 + minutes // 30)
            hhmm = f"{minutes // 60:02d}:{minutes % 60:02d}"
            out.write(f"France\tDonnées définitives\t{day.isoformat()}\t{hhmm}\t{value}" + "\t" * others + "\t\r\n")
        day += dt.timedelta(1)
    return out.getvalue()


def build_history(folder: Path) -> Path:
    files = []
    for year in range(2012, 2026):
        path = folder / f"eCO2mix_RTE_Annuel-Definitif_{year}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(path.with_suffix(".xls").name, annual_file(year).encode("cp1252"))
        files.append(path)
    database = folder / "consumption.sqlite3"
    store = SqliteStore.open(database)
    import_paths(files, store)
    store.close()
    return database


def best(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or build_history(Path(folder))
        run(database, args.repeat)


def run(database: Path, repeat: int) -> None:
    paris = clock("Europe/Paris")
    time_range = parse_time_range(*WHOLE, paris)
    app = create_app(Settings(database_path=database))
    reader = ConsumptionReader(database)  # this thread's; the server has its own
    sql = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    (rows,) = sql.execute("SELECT count(*) FROM consumption").fetchone()
    print(f"{database}: {rows:,} half hours; best of {repeat} runs, ms\n")
    print(
        "| interval | buckets | service in-process | service over HTTP | SQL GROUP BY localtime | ratio | "
        "SQL GROUP BY fixed +01:00 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    with running_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        for interval in ("day", "month", "week", "year", "hour", "all"):
            query = Query(time_range, interval, paris, "json")

            def service(query: Query = query) -> str:
                range_query = reader.range(time_range.start, time_range.end, counted=False)
                return "".join(render_aggregates(query, range_query))

            service_ms, body = best(service, repeat)
            params = {"start": WHOLE[0], "end": WHOLE[1], "interval": interval}
            http_ms, response = best(lambda params=params: client.get("/consumption", params=params), repeat)
            buckets = response.json()["count"]
            local_key, fixed_key = BASELINES.get(interval, ("0", "0"))
            bounds = (time_range.start, time_range.end)
            local_ms, local_rows = best(
                lambda key=local_key, bounds=bounds: sql.execute(GROUP_BY.format(key=key), bounds).fetchall(), repeat
            )
            assert len(local_rows) == buckets, (interval, len(local_rows), buckets)
            fixed = "–"
            if fixed_key:
                fixed_ms, _ = best(
                    lambda key=fixed_key, bounds=bounds: sql.execute(GROUP_BY.format(key=key), bounds).fetchall(),
                    repeat,
                )
                fixed = f"{fixed_ms:.1f}"
            print(
                f"| {interval} | {buckets:,} | {service_ms:.1f} | {http_ms:.1f} | {local_ms:.1f} | "
                f"{service_ms / local_ms:.2f}× | {fixed} |"
            )
    sql.close()


if __name__ == "__main__":
    main()
