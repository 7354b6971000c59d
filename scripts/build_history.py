"""Rebuild the embedded history (data/history) from RTE's own annual archives.

    .venv/bin/python scripts/build_history.py --download 2022 2023      # from RTE_BASE_URL
    .venv/bin/python scripts/build_history.py [--out DIR] eCO2mix_RTE_Annuel-Definitif_2022.zip ...

Each archive becomes `eCO2mix_France_consumption_{YYYY}_{nature}.zip` (default out: data/history),
its lines copied in RTE's layout and encoding with only the columns Périmètre, Nature, Date, Heures
and Consommation. The zips are reproducible (a rebuild that changes nothing shows no diff in git),
checked with the project's reader before they replace anything; the file of the same year with
another nature is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consumption.config import Settings  # noqa: E402
from consumption.domain import Nature, Outcome  # noqa: E402
from consumption.eco2mix.download import RteClient  # noqa: E402
from consumption.eco2mix.names import definitive, history_files, history_name, history_year  # noqa: E402
from consumption.eco2mix.parser import Eco2mixError, FileContents, normalise_header, parse_eco2mix  # noqa: E402
from consumption.eco2mix.sources import find_sources  # noqa: E402

COLUMNS = ("Périmètre", "Nature", "Date", "Heures", "Consommation")
NATURES = {
    "donneesdefinitives": Nature.DEFINITIVE,
    "donneesconsolidees": Nature.CONSOLIDATED,
    "donneestempsreel": Nature.REAL_TIME,
}
ENCODING = "cp1252"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no build time in the bytes
COMPRESS_LEVEL = 9


class BuildError(Exception):
    pass


def trimmed_lines(lines: Iterator[str], source: str) -> tuple[list[str], int, Nature]:
    """The file's lines with only the five columns; its year and nature, which must be one each."""
    header = next(lines, "").rstrip("\r\n").split("\t")
    names = [normalise_header(name) for name in header]
    try:
        indexes = [names.index(normalise_header(column)) for column in COLUMNS]
    except ValueError:
        raise BuildError(f"{source}: line 1 is not an éCO2mix header with {', '.join(COLUMNS)}") from None
    out = ["\t".join(COLUMNS) + "\t"]
    years: set[int] = set()
    natures: set[Nature] = set()
    for number, raw in enumerate(lines, start=2):
        line = raw.rstrip("\r\n")
        cells = line.split("\t")
        if len(cells) <= max(indexes):
            if line.strip():  # RTE's closing disclaimer, kept as it is
                out.append(line)
            continue
        perimeter, nature, date, _, _ = (cells[i] for i in indexes)
        year = date[:4] if date[4:5] == "-" else date[-4:]  # YYYY-MM-DD or DD/MM/YYYY
        if not year.isdigit() or normalise_header(nature) not in NATURES:
            raise BuildError(f"{source}, line {number}: no year in {date!r} or an unknown nature {nature!r}")
        years.add(int(year))
        natures.add(NATURES[normalise_header(nature)])
        out.append("\t".join(cells[i] for i in indexes) + "\t")
    if len(years) != 1 or len(natures) != 1:
        raise BuildError(f"{source}: expected one year and one nature, found {sorted(years)} and {sorted(natures)}")
    return out, years.pop(), natures.pop()


def zip_bytes(member: str, text: str) -> bytes:
    """A one-member zip whose bytes depend only on `member` and `text`."""
    info = zipfile.ZipInfo(member, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever machine builds it
    info.external_attr = 0o100644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, text.encode(ENCODING), compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def check(path: Path) -> FileContents:
    """Import the written file with the project's reader: what a start-up will read."""
    (source,) = find_sources([path])
    contents = FileContents(source.name)
    with source.open() as stream:
        for _ in parse_eco2mix(stream, source.name, contents):
            pass
    return contents


def build(path: Path, out_dir: Path) -> Path:
    """Write `path`'s trimmed history file into `out_dir`; return it."""
    sources = find_sources([path])
    if len(sources) != 1:
        raise BuildError(f"{path}: expected one éCO2mix file, found {len(sources)}")
    with sources[0].open() as stream, io.TextIOWrapper(stream, encoding=ENCODING) as text:
        lines, year, nature = trimmed_lines(iter(text), sources[0].name)
    name = history_name(year, nature)
    data = zip_bytes(name.removesuffix(".zip") + ".xls", "\n".join(lines) + "\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".zip", dir=out_dir)  # checked as a zip
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        contents = check(Path(temporary))
        if contents.perimeter != "France" or contents.half_hours == 0:
            raise BuildError(f"{path}: {contents.perimeter or 'no'} perimeter, {contents.half_hours} half hours")
        os.chmod(temporary, 0o644)
        os.replace(temporary, out_dir / name)
    finally:
        Path(temporary).unlink(missing_ok=True)
    for older in history_files(out_dir):  # the same year with another nature: the new file replaces it
        if history_year(older.name) == year and older.name != name:
            older.unlink()
            print(f"removed {older.name}: replaced by {name}")
    print(f"{out_dir / name}: {year}, {nature.label}, {contents.half_hours} half hours")
    return out_dir / name


async def download(years: list[int], into: Path) -> list[Path]:
    """RTE's annual definitive archives for `years`, from RTE_BASE_URL; a year not published
    yet is skipped with a message, any other failure stops the script."""
    settings = Settings.from_environment()
    paths = []
    async with RteClient(settings.rte_base_url, settings.http_timeout) as rte:
        for year in years:
            result = await rte.download(definitive(year), None, into)
            if result.outcome is Outcome.NOT_PUBLISHED:
                print(f"{result.url}: not published yet, skipped")
                continue
            if result.outcome is not Outcome.DOWNLOADED or result.temporary is None:
                raise BuildError(f"{result.url}: {result.message}")
            print(f"{result.url}: {result.message}")
            path = into / result.archive.name
            os.replace(result.temporary, path)
            paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="RTE annual archives (.zip) or their .xls files")
    parser.add_argument(
        "--download", nargs="+", type=int, default=[], metavar="YEAR", help="download these years' archives from RTE"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "history", help="output folder (data/history)")
    args = parser.parse_args(argv)
    if not args.files and not args.download:
        parser.error("give RTE's annual archives, or --download YEAR ...")
    try:
        with tempfile.TemporaryDirectory() as downloads:
            inputs = [*args.files, *asyncio.run(download(args.download, Path(downloads)))]
            for path in inputs:
                build(path, args.out)
    except (BuildError, Eco2mixError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
