"""Writing éCO2mix-format files for tests: header, 96 lines a day, trailing tab, disclaimer, cp1252."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# Today's national layout (40 columns) and an older one, as in RTE's files.
NEW_COLUMNS = [
    "Périmètre",
    "Nature",
    "Date",
    "Heures",
    "Consommation",
    "Prévision J-1",
    "Prévision J",
    "Fioul",
    "Charbon",
    "Gaz",
    "Nucléaire",
    "Eolien",
    "Solaire",
    "Hydraulique",
    "Pompage",
    "Bioénergies",
    "Ech. physiques",
    "Taux de Co2",
    "Ech. comm. Angleterre",
    "Ech. comm. Espagne",
    "Ech. comm. Italie",
    "Ech. comm. Suisse",
    "Ech. comm. Allemagne-Belgique",
    "Fioul - TAC",
    "Fioul - Cogén.",
    "Fioul - Autres",
    "Gaz - TAC",
    "Gaz - Cogén.",
    "Gaz - CCG",
    "Gaz - Autres",
    "Hydraulique - Fil de l?eau + éclusée",
    "Hydraulique - Lacs",
    "Hydraulique - STEP turbinage",
    "Bioénergies - Déchets",
    "Bioénergies - Biomasse",
    "Bioénergies - Biogaz",
    " Stockage batterie",
    "Déstockage batterie",
    "Eolien terrestre",
    "Eolien offshore",
]
OLD_COLUMNS = [
    "Périmètre",
    "Nature",
    "Date",
    "Heures",
    "Consommation",
    "Prévision J-1",
    "Prévision J",
    "Fioul",
    "Charbon",
    "Gaz",
    "Nucléaire",
    "Eolien",
    "Solaire",
    "Hydraulique",
    "Pompage",
    "Bioénergies",
    "Ech. physiques",
    "Taux de Co2",
]
# A layout with the columns in another order, to prove they are found by name.
SHUFFLED_COLUMNS = ["Date", "Heures", " Consommation ", "Nature", "Périmètre", "Gaz"]

NATURES = {
    "real-time": "Données temps réel",
    "consolidated": "Données consolidées",
    "definitive": "Données définitives",
}
DISCLAIMER = (
    "RTE ne pourra être tenu responsable de l'usage qui pourrait être fait des données mises "
    "à disposition, ni en cas de prévisions qui se révèleraient imprécises."
)

Value = Callable[[dt.date, int], "int | str | None"]


def default_value(day: dt.date, minutes: int) -> int:
    """A distinct, plausible consumption in MW for each quarter hour of each day."""
    return 40_000 + (day.toordinal() % 500) * 17 + minutes


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


def eco2mix_lines(
    days_: Iterable[dt.date],
    value: Value = default_value,
    *,
    nature: str = "real-time",
    perimeter: str = "France",
    columns: list[str] = NEW_COLUMNS,
    date_format: str = "%Y-%m-%d",
    half_hours_only: bool = False,
    forecast: Callable[[dt.date, int], int | None] | None = None,
) -> list[str]:
    """Data lines, one per quarter hour from 00:00 to 23:45, whatever the clock does that day.

    `value` gives the consumption (None for an empty cell); with `half_hours_only`
    the :15 and :45 lines are empty, as in annual definitive files.
    """
    names = [c.strip() for c in columns]
    lines = []
    for day in days_:
        for minutes in range(0, 24 * 60, 15):
            cells = {name: "" for name in names}
            cells["Périmètre"] = perimeter
            cells["Nature"] = NATURES.get(nature, nature)
            cells["Date"] = day.strftime(date_format)
            cells["Heures"] = f"{minutes // 60:02d}:{minutes % 60:02d}"
            if not (half_hours_only and minutes % 30):
                v = value(day, minutes)
                cells["Consommation"] = "" if v is None else str(v)
                if forecast is not None and (f := forecast(day, minutes)) is not None:
                    for name in ("Prévision J-1", "Prévision J"):
                        if name in cells:
                            cells[name] = str(f)
            lines.append("\t".join(cells[n] for n in names) + "\t")
    return lines


def eco2mix_text(data_lines: list[str], *, columns: list[str] = NEW_COLUMNS, disclaimer: bool = True) -> str:
    lines = ["\t".join(columns), *data_lines]
    if disclaimer:
        lines.append(DISCLAIMER)
    return "\r\n".join(lines) + "\r\n"


def write_eco2mix(path: Path, data_lines: list[str], **options) -> Path:
    """Write an éCO2mix file as RTE does: Windows-1252 text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(eco2mix_text(data_lines, **options).encode("cp1252"))
    return path


def write_zip(path: Path, members: dict[str, str]) -> Path:
    """A real zip archive holding `members` (name -> éCO2mix text), encoded as RTE does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("cp1252"))
    return path


def paris_instant(naive: dt.datetime) -> int | None:
    """UTC seconds of a Paris wall-clock time, first occurrence; None in the spring-forward gap."""
    aware = naive.replace(tzinfo=PARIS)
    if aware.astimezone(dt.UTC).astimezone(PARIS).replace(tzinfo=None) != naive:
        return None
    return int(aware.timestamp())


def expected_points(days_: Iterable[dt.date], value: Value = default_value) -> dict[int, int]:
    """What an importer must store for these days: UTC seconds -> MW, at :00 and :30.

    Computed with zoneinfo directly: wall-clock times the clock skips are left out;
    repeated ones are taken at their first (summer-time) occurrence.
    """
    expected: dict[int, int] = {}
    for day in days_:
        for minutes in range(0, 24 * 60, 30):
            instant = paris_instant(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))
            v = value(day, minutes)
            if instant is not None and isinstance(v, int):
                expected[instant] = v
    return expected
