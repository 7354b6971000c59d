"""The history `make bench` serves: annual definitive files in RTE's full-width layout.

RTE's annual files carry about 40 columns (tests/eco2mix_files.py: NEW_COLUMNS);
an importer pays for every byte of a line, so the benchmark writes them as wide as
RTE does: at :00 and :30 a consumption value and 35 other figures like those of a
real 2026 line, at :15 and :45 only empty fields. Each file is zipped, holding one
tab-separated cp1252 `.xls`, as RTE serves it.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.eco2mix_files import NEW_COLUMNS

HEADER = "\t".join(NEW_COLUMNS)
# The figures after `Consommation` on a real line (2026-02-01 00:00, national, real time).
OTHER_FIGURES = (
    "60400\t59100\t35\t0\t4525\t47799\t5710\t0\t8750\t-17\t1086\t-9267\t37\t-2568\t1600\t-3378\t-3200\t-553\t"
    "0\t35\t0\t0\t1675\t2851\t0\t5605\t2703\t442\t344\t440\t301\t-52\t2\t4713\t997"
)
OTHER_COLUMNS = len(NEW_COLUMNS) - 5
assert OTHER_FIGURES.count("\t") + 1 == OTHER_COLUMNS
DISCLAIMER = "RTE ne pourra être tenu responsable de l'usage qui pourrait être fait des données."


def consumption_mw(day: dt.date, half_hour: int) -> int:
    """A plausible value that differs from day to day and half hour to half hour."""
    return 45_000 + (day.toordinal() % 365) * 40 + (half_hour * 37) % 900


def annual_file(year: int) -> str:
    """An annual definitive file's text: 96 lines a day, values at :00 and :30 only.

    As in RTE's files, every day has 96 lines whatever the clock does: the importer
    drops the spring-forward lines that name no Paris instant.
    """
    out = io.StringIO()
    out.write(HEADER + "\r\n")
    empty = "\t" * OTHER_COLUMNS
    day = dt.date(year, 1, 1)
    while day.year == year:
        date = day.isoformat()
        for quarter in range(96):
            hhmm = f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"
            if quarter % 2:
                out.write(f"France\tDonnées définitives\t{date}\t{hhmm}\t{empty}\t\r\n")
            else:
                value = consumption_mw(day, quarter // 2)
                out.write(f"France\tDonnées définitives\t{date}\t{hhmm}\t{value}\t{OTHER_FIGURES}\t\r\n")
        day += dt.timedelta(1)
    out.write(DISCLAIMER + "\r\n")
    return out.getvalue()


def write_annual_file(folder: Path, year: int) -> Path:
    name = f"eCO2mix_RTE_Annuel-Definitif_{year}"
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.xls", annual_file(year).encode("cp1252"))
    return path


def write_history(folder: Path, first: int, last: int) -> list[Path]:
    """One annual file per year from `first` to `last` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_annual_file(folder, year) for year in range(first, last + 1)]


def write_one_day(folder: Path, day: dt.date) -> Path:
    """A file of one day in the same layout: what an import costs besides the rows."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = annual_file(day.year).split("\r\n")
    index = 1 + (day - dt.date(day.year, 1, 1)).days * 96
    text = "\r\n".join([lines[0], *lines[index : index + 96], DISCLAIMER, ""])
    path = folder / f"eCO2mix_RTE_Annuel-Definitif_{day.isoformat()}.xls"
    path.write_bytes(text.encode("cp1252"))
    return path
