"""Writing éCO2mix-format files for tests: header, 96 lines a day, trailing tab, disclaimer, cp1252."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
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
        start, end = (dt.datetime.combine(day, t, PARIS).utcoffset() for t in (dt.time(0), dt.time(23, 59)))
        midnight = int(dt.datetime.combine(day, dt.time(0), PARIS).timestamp())
        for minutes in range(0, 24 * 60, 30):
            if start == end:  # no clock change that day: the quick way, for long spans
                instant: int | None = midnight + minutes * 60
            else:
                instant = paris_instant(dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60)))
            v = value(day, minutes)
            if instant is not None and isinstance(v, int):
                expected[instant] = v
    return expected


# ODRÉ's exports (datasets eco2mix-national-cons-def and eco2mix-national-tr): field
# names and their labels, as in its CSV and JSON exports. `consommation_corrigee` is
# the trap: a consumption, but not the one to import.
ODRE_LABELS = {
    "perimetre": "Périmètre",
    "nature": "Nature",
    "date": "Date",
    "heure": "Heure",
    "date_heure": "Date - Heure",
    "consommation": "Consommation (MW)",
    "prevision_j1": "Prévision J-1 (MW)",
    "prevision_j": "Prévision J (MW)",
    "fioul": "Fioul (MW)",
    "charbon": "Charbon (MW)",
    "gaz": "Gaz (MW)",
    "nucleaire": "Nucléaire (MW)",
    "eolien": "Eolien (MW)",
    "eolien_terrestre": "Eolien terrestre (MW)",
    "eolien_offshore": "Eolien offshore (MW)",
    "solaire": "Solaire (MW)",
    "hydraulique": "Hydraulique (MW)",
    "pompage": "Pompage (MW)",
    "bioenergies": "Bioénergies (MW)",
    "ech_physiques": "Ech. physiques (MW)",
    "taux_co2": "Taux de CO2 (g/kWh)",
    "ech_comm_angleterre": "Ech. comm. Angleterre (MW)",
    "ech_comm_espagne": "Ech. comm. Espagne (MW)",
    "ech_comm_italie": "Ech. comm. Italie (MW)",
    "ech_comm_suisse": "Ech. comm. Suisse (MW)",
    "ech_comm_allemagne_belgique": "Ech. comm. Allemagne-Belgique (MW)",
    "fioul_tac": "Fioul - TAC (MW)",
    "fioul_cogen": "Fioul - Cogén. (MW)",
    "fioul_autres": "Fioul - Autres (MW)",
    "gaz_tac": "Gaz - TAC (MW)",
    "gaz_cogen": "Gaz - Cogén. (MW)",
    "gaz_ccg": "Gaz - CCG (MW)",
    "gaz_autres": "Gaz - Autres (MW)",
    "hydraulique_fil_eau_eclusee": "Hydraulique - Fil de l'eau + éclusée (MW)",
    "hydraulique_lacs": "Hydraulique - Lacs (MW)",
    "hydraulique_step_turbinage": "Hydraulique - STEP turbinage (MW)",
    "bioenergies_dechets": "Bioénergies - Déchets (MW)",
    "bioenergies_biomasse": "Bioénergies - Biomasse (MW)",
    "bioenergies_biogaz": "Bioénergies - Biogaz (MW)",
    "stockage_batterie": "Stockage batterie (MW)",
    "destockage_batterie": "Déstockage batterie (MW)",
    "consommation_corrigee": "Consommation corrigée (MW)",
}
ODRE_FIELDS = list(ODRE_LABELS)
# An older vintage: fewer columns, in another order, the trap before the consumption,
# and `Date et Heure` for `Date - Heure`.
ODRE_OLD_FIELDS = [
    "perimetre",
    "nature",
    "date",
    "heure",
    "date_heure",
    "consommation_corrigee",
    "consommation",
    "prevision_j1",
    "prevision_j",
    "fioul",
    "charbon",
    "gaz",
    "nucleaire",
]
OdreRow = dict[str, "str | int | None"]


def odre_value(instant: int) -> int:
    """A distinct, plausible consumption in MW for each quarter hour, by its UTC instant."""
    return 40_000 + (instant // 900) % 30_000


def odre_rows(
    days_: Iterable[dt.date],
    *,
    nature: str = "consolidated",
    perimeter: str = "France",
    utc: bool = False,
    value: Callable[[int], int | None] = odre_value,
) -> list[OdreRow]:
    """One row per quarter hour that exists in Paris on these days, in order, as ODRÉ exports them.

    `Date` and `Heure` are the Paris clock, `date_heure` the instant with its offset
    (`+00:00` with `utc`); real-time rows hold a consumption at :15 and :45,
    consolidated and definitive ones an empty one; the trap column another value.
    """
    days_ = list(days_)
    start = int(dt.datetime.combine(days_[0], dt.time(), PARIS).timestamp())
    end = int(dt.datetime.combine(days_[-1] + dt.timedelta(1), dt.time(), PARIS).timestamp())
    rows: list[OdreRow] = []
    for instant in range(start, end, 900):
        local = dt.datetime.fromtimestamp(instant, PARIS)
        shown = dt.datetime.fromtimestamp(instant, dt.UTC) if utc else local
        quarter = bool(local.minute % 30)
        v = None if quarter and nature != "real-time" else value(instant)
        row: OdreRow = dict.fromkeys(ODRE_FIELDS, 1234)
        row.update(
            perimetre=perimeter,
            nature=NATURES.get(nature, nature),
            date=local.date().isoformat(),
            heure=f"{local:%H:%M}",
            date_heure=shown.isoformat(),
            consommation=v,
            consommation_corrigee=None if v is None else v + 7,
        )
        rows.append(row)
    return rows


def odre_expected(rows: list[OdreRow]) -> dict[int, int]:
    """What an importer must store from ODRÉ rows: their :00 and :30 values, by UTC instant."""
    expected = {}
    for row in rows:
        instant = int(dt.datetime.fromisoformat(str(row["date_heure"])).timestamp())
        if instant % 1800 == 0 and row["consommation"] is not None:
            expected[instant] = int(row["consommation"])
    return expected


def in_runs(rows: list[OdreRow], runs: int = 3) -> list[OdreRow]:
    """The rows as several ascending runs, the latest first, as ODRÉ's exports come."""
    size = -(-len(rows) // runs)
    return [row for start in reversed(range(0, len(rows), size)) for row in rows[start : start + size]]


def odre_csv(
    rows: list[OdreRow],
    *,
    fields: list[str] = ODRE_FIELDS,
    labels: bool = True,
    bom: bool = True,
    instant_label: str = "Date - Heure",
) -> bytes:
    """ODRÉ's CSV export: `;`-separated UTF-8, header of labels (or field names), often a byte order mark."""
    names = [(instant_label if f == "date_heure" else ODRE_LABELS[f]) if labels else f for f in fields]
    lines = [";".join(names)]
    lines += [";".join("" if row[f] is None else str(row[f]) for f in fields) for row in rows]
    return (b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8")


def odre_json(rows: list[OdreRow], *, string_numbers: bool = False) -> bytes:
    """ODRÉ's JSON export: one array of objects by field name, `null` where there is no value."""

    def cell(v: str | int | None) -> str | int | None:
        return str(v) if string_numbers and isinstance(v, int) else v

    return json.dumps([{f: cell(v) for f, v in row.items()} for row in rows], ensure_ascii=False).encode()


def resaved(text: str) -> bytes:
    """RTE's layout as a spreadsheet re-saves it: commas (the disclaimer, which holds some,
    quoted), accents stripped, UTF-8."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(line.split("\t") for line in plain.splitlines())
    return out.getvalue().encode("utf-8")
