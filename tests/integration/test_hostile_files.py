"""Hostile and broken files: each is refused with a one-line reason naming it, and nothing is imported.

Every archive here is a real zip written in the test, some then altered byte by
byte as a damaged or hostile one would be; the import runs through the CLI.
"""

from __future__ import annotations

import datetime as dt
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from consumption.cli import main
from consumption.eco2mix.parser import DEFAULT_LIMITS
from tests.eco2mix_files import days, eco2mix_lines, eco2mix_text, write_eco2mix, write_zip

JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))
MEGABYTE = 1024 * 1024

# Offsets of a member's fields in its local header (signature PK\3\4) and in the
# central directory (PK\1\2), from the zip specification.
LOCAL_FIELDS = {
    "flag_bits": (6, "<H"),
    "compress_type": (8, "<H"),
    "crc": (14, "<I"),
    "compress_size": (18, "<I"),
    "file_size": (22, "<I"),
}
CENTRAL_FIELDS = {
    "flag_bits": (8, "<H"),
    "compress_type": (10, "<H"),
    "crc": (16, "<I"),
    "compress_size": (20, "<I"),
    "file_size": (24, "<I"),
}


def patch_member(path: Path, **fields: int) -> Path:
    """Rewrite fields of the only member of the zip at `path`, in both of its headers."""
    data = bytearray(path.read_bytes())
    for signature, offsets in ((b"PK\x03\x04", LOCAL_FIELDS), (b"PK\x01\x02", CENTRAL_FIELDS)):
        start = data.index(signature)
        for name, value in fields.items():
            offset, layout = offsets[name]
            struct.pack_into(layout, data, start + offset, value)
    path.write_bytes(bytes(data))
    return path


def good_zip(path: Path) -> Path:
    return write_zip(path, {"tr.xls": eco2mix_text(eco2mix_lines(JANUARY))})


def import_refused(path: Path, database_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Import `path` beside a good file: exit 1, nothing stored; the error line, without its 'error: '."""
    good = write_eco2mix(path.parent / "0-good.xls", eco2mix_lines(JANUARY))
    assert main(["import", str(good), str(path), "--database", str(database_path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert f"{path.name}" in errors[0]
    assert "nothing was imported" in err
    assert not database_path.exists()  # nothing stored: the new database is not left behind
    return errors[0].removeprefix("error: ")


def with_value(value: str) -> str:
    """Three days in RTE's layout, the consumption of line 4 (00:30 on the first day) replaced."""
    lines = eco2mix_lines(JANUARY)
    cells = lines[2].split("\t")
    cells[4] = value
    lines[2] = "\t".join(cells)
    return eco2mix_text(lines)


def test_an_encrypted_member_is_that_files_error(tmp_path, database_path, capsys):
    path = patch_member(good_zip(tmp_path / "locked.zip"), flag_bits=0x1)
    reason = import_refused(path, database_path, capsys)
    assert reason.startswith(f"{path}!tr.xls: encrypted")


@pytest.mark.parametrize(
    ("method", "name"), [(9, "method 9"), (zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")]
)
def test_a_compression_other_than_deflate_is_that_files_error(tmp_path, database_path, capsys, method, name):
    # bzip2 and lzma members are refused although zipfile reads them: it decompresses
    # them without bounding each step's output, so that a small one is a memory bomb.
    path = tmp_path / "other.zip"
    compression = method if method != 9 else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("tr.xls", eco2mix_text(eco2mix_lines(JANUARY)).encode("cp1252"))
    if method == 9:  # deflate64, which zipfile cannot read
        patch_member(path, compress_type=9)
    reason = import_refused(path, database_path, capsys)
    assert reason == f"{path}!tr.xls: compressed with {name}, which is not read; RTE's use deflate"


def test_a_corrupt_member_is_that_files_error(tmp_path, database_path, capsys):
    path = good_zip(tmp_path / "corrupt.zip")
    data = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack_from("<HH", data, 26)
    data[30 + name_length + extra_length] = 0xFF  # the first deflate block's type: 3, reserved
    path.write_bytes(bytes(data))
    reason = import_refused(path, database_path, capsys)
    assert reason == f"{path}!tr.xls: cannot be read: zlib.error: Error -3 while decompressing data: invalid block type"


def test_a_member_whose_checksum_does_not_match_is_that_files_error(tmp_path, database_path, capsys):
    path = patch_member(good_zip(tmp_path / "crc.zip"), crc=12345)
    reason = import_refused(path, database_path, capsys)
    assert reason == f"{path}!tr.xls: cannot be read: zipfile.BadZipFile: Bad CRC-32 for file 'tr.xls'"


def test_a_member_cut_short_is_that_files_error(tmp_path, database_path, capsys):
    path = tmp_path / "short.zip"
    text = eco2mix_text(eco2mix_lines(JANUARY)).encode("cp1252")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("tr.xls", text)
    # The member claims a megabyte more than the archive holds: reading it reaches the file's end.
    patch_member(path, compress_size=len(text) + MEGABYTE, file_size=len(text) + MEGABYTE)
    reason = import_refused(path, database_path, capsys)
    assert reason == f"{path}!tr.xls: cannot be read: EOFError"


def test_a_damaged_large_member_names_the_last_line_read(tmp_path, database_path, capsys):
    year = days(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    path = patch_member(write_zip(tmp_path / "year.zip", {"tr.xls": eco2mix_text(eco2mix_lines(year))}), crc=12345)
    reason = import_refused(path, database_path, capsys)
    assert reason.startswith(f"{path}!tr.xls: cannot be read after line ")
    assert reason.endswith(": zipfile.BadZipFile: Bad CRC-32 for file 'tr.xls'")


@pytest.mark.parametrize("value", [str(2**64), str(2**62), "-1", "55_000"])
def test_impossible_values_are_that_files_error(tmp_path, database_path, capsys, value):
    path = write_zip(tmp_path / "values.zip", {"tr.xls": with_value(value)})
    reason = import_refused(path, database_path, capsys)
    assert reason.startswith(f"{path}!tr.xls, line 4: consumption {value!r}")


@pytest.mark.parametrize("year", ["1900", "0001"])
def test_impossible_years_are_that_files_error(tmp_path, database_path, capsys, year):
    text = eco2mix_text(eco2mix_lines(JANUARY)).replace("2025-01-02", f"{year}-01-02")
    path = write_zip(tmp_path / "years.zip", {"tr.xls": text})
    reason = import_refused(path, database_path, capsys)
    next_year = dt.date.today().year + 1
    assert reason == f"{path}!tr.xls, line 98: date '{year}-01-02' is outside the years 2000 to {next_year}"


def zip_bomb(path: Path, megabytes: int, member: str = "bomb.xls", start: bytes = b"") -> Path:
    """A zip of `start` then `megabytes` of zeros with no line end, a few kilobytes on disk.

    Written as a stored member holding a deflate stream of repeated blocks, then
    declared as deflate: compressing the bytes themselves would take seconds.
    """
    block = b"0" * MEGABYTE
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = head.compress(start) + head.flush(zlib.Z_FULL_FLUSH) + segment * megabytes
    stream += zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = zlib.crc32(start)
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(member, stream)
    size = len(start) + megabytes * MEGABYTE
    return patch_member(path, compress_type=zipfile.ZIP_DEFLATED, crc=crc, file_size=size)


def test_a_zip_bomb_is_refused_before_it_is_decompressed(tmp_path, database_path, capsys):
    path = zip_bomb(tmp_path / "bomb.zip", 1024)
    assert path.stat().st_size < 2 * MEGABYTE
    reason = import_refused(path, database_path, capsys)
    assert reason == f"{path}!bomb.xls: more than 256 MB of text once decompressed; refused (FILE_MAX_MB)"


@pytest.mark.parametrize(
    ("member", "start", "reason"),
    [
        ("bomb.xls", b"", "bomb.xls, line 1: a line longer than 4,096 bytes; refused"),
        # A JSON number of a gigabyte: refused before ijson would buffer the token.
        ("bomb.json", b'[{"consommation": ', "bytes without a quote, more than a record holds; refused"),
        ("bomb.csv", b'[{"nature": "', "bytes without a quote, more than a record holds; refused"),
    ],
)
def test_a_zip_bomb_takes_little_memory_even_under_a_high_file_max_mb(tmp_path, database_path, member, start, reason):
    # With FILE_MAX_MB past the bomb's size, reading stops at the first line's
    # length limit: a process that held the line (or the JSON token) would need 1 GB.
    path = zip_bomb(tmp_path / "bomb.zip", 1024, member, start)
    # The peak is read from VmHWM, which starts afresh at exec; ru_maxrss would keep the
    # peak of the forked parent (pytest, large once other tests loaded their libraries).
    script = (
        "import re\n"
        "from consumption.cli import main\n"
        f"code = main(['import', {str(path)!r}, '--database', {str(database_path)!r}])\n"
        "status = open('/proc/self/status').read()\n"
        "print(code, int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"FILE_MAX_MB": "4096", "PATH": ""},
        cwd=Path(__file__).parents[2],
    )
    code, peak_mb = done.stdout.split()
    assert code == "1"
    assert reason in done.stderr
    assert int(peak_mb) < 150


def test_file_max_mb_refuses_a_larger_file(tmp_path, database_path, capsys, monkeypatch):
    monkeypatch.setenv("FILE_MAX_MB", "1")
    text = eco2mix_text(eco2mix_lines(days(dt.date(2025, 1, 1), dt.date(2025, 6, 30))))
    assert 1 * MEGABYTE < len(text) < 4 * MEGABYTE
    path = write_zip(tmp_path / "half-year.zip", {"tr.xls": text})
    reason = import_refused(path, database_path, capsys)
    assert reason == f"{path}!tr.xls: more than 1 MB of text once decompressed; refused (FILE_MAX_MB)"
    monkeypatch.setenv("FILE_MAX_MB", "4")
    assert main(["import", str(path), "--database", str(database_path)]) == 0


def test_a_file_of_millions_of_blank_lines_is_refused(tmp_path, database_path, capsys):
    path = tmp_path / "blank.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("blank.xls", eco2mix_text([], disclaimer=False).encode("cp1252") + b"\r\n" * 10_000_000)
    reason = import_refused(path, database_path, capsys)
    cap = DEFAULT_LIMITS.max_lines
    assert reason == f"{path}!blank.xls, line {cap + 1}: more than {cap:,} lines; refused"


@pytest.mark.parametrize("value", ["0", "-5", "256MB", ""])
def test_an_invalid_file_max_mb_stops_the_command(tmp_path, database_path, capsys, monkeypatch, value):
    monkeypatch.setenv("FILE_MAX_MB", value)
    assert main(["import", str(tmp_path), "--database", str(database_path)]) == 2
    assert "FILE_MAX_MB" in capsys.readouterr().err


def test_a_gigabyte_of_json_is_refused_before_it_is_decompressed(tmp_path, database_path, capsys):
    path = zip_bomb(tmp_path / "export.zip", 1024, "export.json", b"[")
    reason = import_refused(path, database_path, capsys)
    assert reason == f"{path}!export.json: more than 256 MB of text once decompressed; refused (FILE_MAX_MB)"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[" * 5_000 + b"]" * 5_000, "10,000 bytes without a quote, more than a record holds; refused"),
        (b"[" + b'{"a": [' * 100_000, "record 1: a nested object or array in a record"),
        (b'[{"nature": "' + b"x" * 50_000 + b'"}]', "50,000 bytes without a quote"),
        (b'[] {"more": 1}', "invalid JSON"),
        (b'{"records": [' + b"{}, " * 1000 + b"]}", "record 1: not an array of records"),
    ],
)
def test_hostile_json_is_refused_cheaply_naming_the_file(tmp_path, database_path, capsys, content, reason):
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    message = import_refused(path, database_path, capsys)
    assert message.startswith(f"{path}")
    assert reason in message
