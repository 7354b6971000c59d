"""A synthetic history, one value per Paris half hour, written the ways the service reads it:
RTE's annual files (full width, zipped), ODRÉ's CSV export, or rows for a database.

The tests and `make bench` (scripts/bench.py) take their synthetic data from here. Layouts:
tests/eco2mix_files.py and docs/data.md.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.eco2mix_files import DISCLAIMER, NEW_COLUMNS, ODRE_LABELS

PARIS = ZoneInfo("Europe/Paris")
# The figures after `Consommation` on a real line (2026-02-01 00:00, national, real time).
OTHER_FIGURES = (
    "60400\t59100\t35\t0\t4525\t47799\t5710\t0\t8750\t-17\t1086\t-9267\t37\t-2568\t1600\t-3378\t-3200\t-553\t"
    "0\t35\t0\t0\t1675\t2851\t0\t5605\t2703\t442\t344\t440\t301\t-52\t2\t4713\t997"
)
OTHER_COLUMNS = len(NEW_COLUMNS) - 5
ODRE_OTHER_FIGURES = OTHER_FIGURES.replace("\t", ";") + ";1234"  # ODRÉ has one column more


def consumption_mw(day: dt.date, half_hour: int) -> int:
    """A plausible value that differs from day to day and half hour to half hour."""
    return 45_000 + (day.toordinal() % 365) * 40 + (half_hour * 37) % 900


def half_hours(first_year: int, last_year: int) -> Iterator[tuple[int, int]]:
    """(UTC seconds, MW) of every half hour of those Paris years, both fall-back hours included."""
    first = int(dt.datetime(first_year, 1, 1, tzinfo=PARIS).timestamp())
    end = int(dt.datetime(last_year + 1, 1, 1, tzinfo=PARIS).timestamp())
    for instant in range(first, end, 1800):
        local = dt.datetime.fromtimestamp(instant, PARIS)
        yield instant, consumption_mw(local.date(), local.hour * 2 + local.minute // 30)


def annual_lines(year: int) -> Iterator[str]:
    """RTE's annual definitive file: 96 lines a day whatever the clock does (the reader drops
    the spring-forward lines), values at :00 and :30, empty fields at :15 and :45."""
    empty = "\t" * OTHER_COLUMNS
    day = dt.date(year, 1, 1)
    while day.year == year:
        for quarter in range(96):
            start = f"France\tDonnées définitives\t{day.isoformat()}\t{quarter // 4:02d}:{quarter % 4 * 15:02d}"
            if quarter % 2:
                yield f"{start}\t{empty}\t"
            else:
                yield f"{start}\t{consumption_mw(day, quarter // 2)}\t{OTHER_FIGURES}\t"
        day += dt.timedelta(1)


def write_annual_files(folder: Path, first: int, last: int) -> list[Path]:
    """One zip per year, holding one tab-separated cp1252 `.xls`, as RTE serves them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in range(first, last + 1):
        name = f"eCO2mix_RTE_Annuel-Definitif_{year}"
        text = "\r\n".join(["\t".join(NEW_COLUMNS), *annual_lines(year), DISCLAIMER, ""])
        with zipfile.ZipFile(folder / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{name}.xls", text.encode("cp1252"))
        paths.append(folder / f"{name}.zip")
    return paths


def write_odre_export(folder: Path, first: int, last: int) -> Path:
    """ODRÉ's CSV export of those years (eco2mix-national-cons-def): `;`, UTF-8 with a byte
    order mark, one row per quarter hour that exists in Paris, `Date - Heure` with its offset,
    the consumption at :00 and :30 only; the years in reverse order, as exports come unsorted."""
    folder.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    out.write("\ufeff" + ";".join(ODRE_LABELS.values()) + "\n")
    for year in range(last, first - 1, -1):
        first = int(dt.datetime(year, 1, 1, tzinfo=PARIS).timestamp())
        end = int(dt.datetime(year + 1, 1, 1, tzinfo=PARIS).timestamp())
        for instant in range(first, end, 900):
            local = dt.datetime.fromtimestamp(instant, PARIS)
            start = f"France;Données définitives;{local:%Y-%m-%d;%H:%M};{local.isoformat()}"
            value = "" if local.minute % 30 else consumption_mw(local.date(), local.hour * 2 + local.minute // 30)
            out.write(f"{start};{value};{ODRE_OTHER_FIGURES}\n")
    path = folder / "eco2mix-national-cons-def.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path
