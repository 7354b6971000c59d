"""Finding éCO2mix files on disk: plain `.xls` / `.csv` files, and `.zip` archives holding them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from consumption.eco2mix.parser import Eco2mixError

TEXT_SUFFIXES = (".xls", ".csv")
ARCHIVE_SUFFIX = ".zip"
ENCODING = "cp1252"
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Eco2mixSource:
    """One éCO2mix text file: on disk, or a member of a zip archive."""

    path: Path
    member: str | None = None
    label: str | None = None  # how messages name the file, when not by its path

    @property
    def name(self) -> str:
        where = self.label or str(self.path)
        return f"{where}!{self.member}" if self.member else where

    @contextmanager
    def open_lines(self) -> Iterator[TextIO]:
        """The file's text, decoded from Windows-1252 (or UTF-8 when it starts with a BOM)."""
        try:
            if self.member is None:
                raw: io.BufferedReader | zipfile.ZipExtFile = open(self.path, "rb")  # noqa: SIM115
                archive = None
            else:
                archive = zipfile.ZipFile(self.path)
                member = archive.open(self.member)
                assert isinstance(member, zipfile.ZipExtFile)  # what typeshed calls IO[bytes]
                raw = member
        except (OSError, zipfile.BadZipFile) as error:
            raise Eco2mixError(self.name, f"cannot be read: {error}") from error
        try:
            encoding = "utf-8-sig" if raw.peek(3)[:3] == _UTF8_BOM else ENCODING
            with io.TextIOWrapper(raw, encoding=encoding, errors="replace") as text:
                yield text
        except (OSError, zipfile.BadZipFile, EOFError) as error:
            raise Eco2mixError(self.name, f"cannot be read: {error}") from error
        finally:
            raw.close()
            if archive is not None:
                archive.close()


def _is_text(name: str) -> bool:
    return name.lower().endswith(TEXT_SUFFIXES)


def archive_sources(path: Path, label: str | None = None) -> list[Eco2mixSource]:
    """The éCO2mix files in the zip archive at `path`, named `label` in messages."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir() and _is_text(info.filename)]
    except (OSError, zipfile.BadZipFile) as error:
        raise Eco2mixError(label or str(path), f"not a readable zip archive: {error}") from error
    if not members:
        raise Eco2mixError(label or str(path), "the archive holds no éCO2mix file (.xls or .csv)")
    return [Eco2mixSource(path, member, label) for member in sorted(members)]


def _file_sources(path: Path) -> list[Eco2mixSource]:
    if path.name.lower().endswith(ARCHIVE_SUFFIX):
        return archive_sources(path)
    if _is_text(path.name):
        return [Eco2mixSource(path)]
    return []


def find_sources(paths: Iterable[Path]) -> list[Eco2mixSource]:
    """The éCO2mix files at `paths`, in order; folders are searched recursively, by name.

    A path that does not exist, a file named on its own that is not `.xls`, `.csv`
    or `.zip`, or an archive with no éCO2mix file in it is an error.
    """
    sources: list[Eco2mixSource] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                sources.extend(_file_sources(child))
        elif path.is_file():
            found = _file_sources(path)
            if not found:
                raise Eco2mixError(str(path), "not an éCO2mix file: expected a .xls, .csv or .zip file")
            sources.extend(found)
        else:
            raise Eco2mixError(str(path), "no such file or folder")
    return sources
