"""Finding éCO2mix files on disk: text files and `.zip` archives holding them.

What a file holds is told by its content (`parser.parse_eco2mix` reads its header),
not by its name: a file named on its own (`data.txt`, `download (1)`) is read
whatever its name. In folders and archives, the names of `TEXT_SUFFIXES` are read,
and a `.txt` file when it opens with an éCO2mix header: an export saved as text is,
a `readme.txt` or RTE's `LISEZMOI.txt` beside the data is not.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from consumption.eco2mix.parser import DEFAULT_LIMITS, Eco2mixError, ReadLimits, describe, starts_eco2mix, too_large

TEXT_SUFFIXES = (".xls", ".csv", ".json")
ARCHIVE_SUFFIX = ".zip"
# RTE's archives use deflate. zipfile decompresses bzip2 and lzma without bounding
# the output of each step, so that a few kilobytes can become gigabytes in memory.
_READABLE_COMPRESSIONS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_COMPRESSION_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}


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
    def open(self, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[IO[bytes]]:
        """The file's bytes; refused at once when its size, as stored or declared, is past `limits`."""
        try:
            if self.member is None:
                stream: IO[bytes] = open(self.path, "rb")  # noqa: SIM115 (closed below)
                size = os.fstat(stream.fileno()).st_size
            else:
                with zipfile.ZipFile(self.path) as archive:  # the member's stream keeps the file open
                    info = archive.getinfo(self.member)
                    if info.flag_bits & 0x1:
                        problem = "encrypted, and no password is known; RTE's archives are not encrypted"
                        raise Eco2mixError(self.name, problem)
                    if info.compress_type not in _READABLE_COMPRESSIONS:
                        method = _COMPRESSION_NAMES.get(info.compress_type, f"method {info.compress_type}")
                        raise Eco2mixError(self.name, f"compressed with {method}, which is not read; RTE's use deflate")
                    stream, size = archive.open(info), info.file_size  # never decompresses more than its size
        except Eco2mixError:
            raise
        # zipfile raises many types on a damaged or hostile archive (BadZipFile,
        # RuntimeError, NotImplementedError, ValueError, EOFError, OSError, ...).
        except Exception as error:
            raise Eco2mixError(self.name, f"cannot be read: {describe(error)}") from error
        with stream:
            if size > limits.max_bytes:
                raise too_large(self.name, limits)
            yield stream


def _is_eco2mix(source: Eco2mixSource) -> bool:
    """Whether a file found in a folder or an archive is to be read: by its name, or for a
    `.txt` file by its header."""
    name = (source.member or source.path.name).lower()
    if not name.endswith(".txt"):
        return name.endswith(TEXT_SUFFIXES)
    with source.open() as stream:
        return starts_eco2mix(stream, source.name)


def archive_sources(path: Path, label: str | None = None) -> list[Eco2mixSource]:
    """The éCO2mix files in the zip archive at `path`, named `label` in messages."""
    name = label or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info.filename for info in archive.infolist() if not info.is_dir()]
    except Exception as error:  # zipfile raises many types on a damaged or hostile archive
        raise Eco2mixError(name, f"not a readable zip archive: {describe(error)}") from error
    sources = [source for member in sorted(members) if _is_eco2mix(source := Eco2mixSource(path, member, label))]
    if not sources:
        raise Eco2mixError(name, f"the archive holds no éCO2mix file ({', '.join(TEXT_SUFFIXES)}, or .txt)")
    return sources


def find_sources(paths: Iterable[Path]) -> list[Eco2mixSource]:
    """The éCO2mix files at `paths`, in order. A file named on its own is read whatever its
    name; folders are searched recursively, by name (and a `.txt` file by its header).

    A path that does not exist, or an archive with no éCO2mix file in it is an error.
    """
    sources: list[Eco2mixSource] = []
    for path in paths:
        if path.is_dir():
            files, named = sorted(p for p in path.rglob("*") if p.is_file()), False
        elif path.is_file():
            files, named = [path], True
        else:
            raise Eco2mixError(str(path), "no such file or folder")
        for file in files:
            if file.name.lower().endswith(ARCHIVE_SUFFIX) or (named and zipfile.is_zipfile(file)):
                sources += archive_sources(file)
            elif named or _is_eco2mix(Eco2mixSource(file)):
                sources.append(Eco2mixSource(file))
    return sources
