"""One bad archive never spoils the others: whatever importing one archive
raises, that archive alone fails with a one-line reason naming it, the others are
imported, and the outcome is recorded."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile

import pytest

from consumption.domain import Outcome
from consumption.services.refresh import archives_to_refresh
from consumption.storage.repository import SqliteStore
from tests.eco2mix_files import days, eco2mix_lines, eco2mix_text, expected_points
from tests.helpers import stored_rows
from tests.rte_archives import CONSOLIDATED, JANUARY, TR, refresh, rte_zip, run
from tests.rte_server import fake_rte

MEMBER = "eCO2mix_RTE_En-cours-Consolide.xls"


@pytest.fixture
def rte():
    with fake_rte() as server:
        server.files[TR] = rte_zip(eco2mix_lines(JANUARY))
        yield server


def _patched(archive: bytes, local_offset: int, central_offset: int, value: int) -> bytes:
    """The zip with a 16-bit field of its (one) member's local and central headers set to `value`."""
    data = bytearray(archive)
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, local + local_offset, value)
    struct.pack_into("<H", data, central + central_offset, value)
    return bytes(data)


def consolidated_zip(data_lines: list[str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr(MEMBER, eco2mix_text(data_lines).encode("cp1252"))
    return buffer.getvalue()


def good_lines() -> list[str]:
    return eco2mix_lines(JANUARY[:1], nature="consolidated")


def too_large_a_value() -> bytes:
    """A consumption larger than SQLite's 64-bit integers (OverflowError when stored)."""
    return consolidated_zip(eco2mix_lines(JANUARY[:1], lambda d, m: 2**70, nature="consolidated"))


def the_year_1900() -> bytes:
    """A date when Paris's offset was not a whole half hour (an IntegrityError when stored)."""
    return consolidated_zip(eco2mix_lines([dt.date(1900, 1, 1)], nature="consolidated"))


def an_encrypted_member() -> bytes:
    """Bit 0 of the member's flags (RuntimeError: a password is required)."""
    return _patched(consolidated_zip(good_lines()), 6, 8, 0x1)


def an_unsupported_compression() -> bytes:
    """Compression method 99 (NotImplementedError)."""
    return _patched(consolidated_zip(good_lines(), zipfile.ZIP_STORED), 8, 10, 99)


def a_corrupt_deflate_stream() -> bytes:
    """The member's compressed bytes overwritten with garbage (zlib.error)."""
    data = bytearray(consolidated_zip(good_lines()))
    start = data.index(b"PK\x03\x04") + 30 + len(MEMBER)
    data[start : start + 64] = b"\xff" * 64
    return bytes(data)


BAD_ARCHIVES = {
    "a value past 64 bits": too_large_a_value,
    "the year 1900": the_year_1900,
    "an encrypted member": an_encrypted_member,
    "an unsupported compression": an_unsupported_compression,
    "a corrupt deflate stream": a_corrupt_deflate_stream,
}


@pytest.mark.parametrize("case", BAD_ARCHIVES)
def test_a_bad_archive_fails_alone_and_the_others_are_imported(case, rte, settings):
    rte.files[CONSOLIDATED] = BAD_ARCHIVES[case]()
    report = refresh(settings, today=dt.date(2025, 1, 4))

    failed = {d.archive.name: d.message for d in report.downloads if d.outcome is Outcome.FAILED}
    assert list(failed) == [CONSOLIDATED]
    assert "\n" not in failed[CONSOLIDATED] and failed[CONSOLIDATED]
    assert {d.archive.name: d.outcome for d in report.downloads}[TR] is Outcome.DOWNLOADED
    assert {t: mw for t, mw, _ in stored_rows(settings.database_path)} == expected_points(JANUARY)
    assert not (settings.data_dir / CONSOLIDATED).exists()
    store = SqliteStore.open(settings.database_path)
    try:
        recorded = store.archives.last_refresh()
        assert store.archives.get(CONSOLIDATED) is None
    finally:
        store.close()
    assert recorded is not None and not recorded.ok
    assert f"failed: {CONSOLIDATED}: " in recorded.report and "\n" not in recorded.report


def test_the_outcome_is_recorded_when_the_local_copy_cannot_be_kept(rte, settings):
    """Something unforeseen after the import: the data is in, the outcome recorded, nothing raised."""
    rte.files[CONSOLIDATED] = consolidated_zip(good_lines())
    (settings.data_dir / TR).mkdir(parents=True)  # where the archive's local copy should go
    report = refresh(settings, today=dt.date(2025, 1, 4))

    (tr,) = [d for d in report.downloads if d.archive.name == TR]
    assert tr.outcome is Outcome.DOWNLOADED
    assert "local copy could not be replaced" in tr.message
    assert len(stored_rows(settings.database_path)) == 3 * 48
    assert not list(settings.data_dir.glob(".*.part"))
    store = SqliteStore.open(settings.database_path)
    try:
        recorded = store.archives.last_refresh()
    finally:
        store.close()
    assert recorded is not None and recorded.report == report.describe()


def test_a_full_disk_fails_every_archive_of_the_run_and_keeps_the_previous_data(rte, settings):
    rte.files[CONSOLIDATED] = consolidated_zip(good_lines())
    assert refresh(settings, today=dt.date(2025, 1, 4)).ok
    before = stored_rows(settings.database_path)
    rte.files[TR] = rte_zip(eco2mix_lines(days(dt.date(2025, 1, 1), dt.date(2025, 3, 31))))  # more than the room left
    rte.files[CONSOLIDATED] = consolidated_zip(eco2mix_lines(JANUARY, nature="consolidated"))

    store = SqliteStore.open(settings.database_path)
    try:
        (pages,) = store.connection.execute("PRAGMA page_count").fetchone()
        store.connection.execute(f"PRAGMA max_page_count = {pages + 1}")  # SQLite's own "disk full"
        report = run(settings, lambda store: archives_to_refresh(store.points, dt.date(2025, 1, 5)), store)
    finally:
        store.close()

    assert not report.ok
    assert "full" in report.describe()
    assert stored_rows(settings.database_path) == before
