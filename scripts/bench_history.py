"""The history `make bench` serves: annual definitive files in RTE's full-width layout,
and the same years as one export in ODRÉ's CSV layout, to time that reader too.

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
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.eco2mix_files import NEW_COLUMNS, ODRE_LABELS

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


ODRE_HEADER = ";".join(ODRE_LABELS.values())
ODRE_OTHER_FIGURES = OTHER_FIGURES.replace("\t", ";") + ";1234"  # the other 36 columns, as wide as RTE's
assert ODRE_HEADER.count(";") == 6 + ODRE_OTHER_FIGURES.count(";")
PARIS = ZoneInfo("Europe/Paris")


def odre_export(first: int, last: int) -> bytes:
    """ODRÉ's CSV export of the years `first` to `last` (eco2mix-national-cons-def): `;`, UTF-8
    with a byte order mark, one row per quarter hour that exists in Paris, `Date - Heure` with
    its offset, the other figures on every row, the consumption at :00 and :30 only (empty at
    :15 and :45): about 90 MB for ten years, as ODRÉ's; the years as runs in reverse order, as
    exports come unsorted.
    """
    out = io.StringIO()
    out.write("\ufeff" + ODRE_HEADER + "\n")
    for year in range(last, first - 1, -1):
        instant = int(dt.datetime(year, 1, 1, tzinfo=PARIS).timestamp())
        end = int(dt.datetime(year + 1, 1, 1, tzinfo=PARIS).timestamp())
        while instant < end:
            local = dt.datetime.fromtimestamp(instant, PARIS)
            start = f"France;Données définitives;{local:%Y-%m-%d;%H:%M};{local.isoformat()}"
            if local.minute % 30:
                out.write(f"{start};;{ODRE_OTHER_FIGURES}\n")
            else:
                half_hour = local.hour * 2 + local.minute // 30
                out.write(f"{start};{consumption_mw(local.date(), half_hour)};{ODRE_OTHER_FIGURES}\n")
            instant += 900
    return out.getvalue().encode("utf-8")


def write_odre_export(folder: Path, first: int, last: int) -> Path:
    """The years `first` to `last` as one ODRÉ CSV export in `folder`, as a user downloads it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "eco2mix-national-cons-def.csv"
    path.write_bytes(odre_export(first, last))
    return path
