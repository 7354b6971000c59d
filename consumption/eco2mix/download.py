"""RTE's éCO2mix archives and how to download them.

Base URL (the `RTE_BASE_URL` setting) and paths, from RTE's download page:
- `/download/eco2mix/eCO2mix_RTE_Annuel-Definitif_{YYYY}.zip`: one year, definitive;
- `/download/eco2mix/eCO2mix_RTE_En-cours-Consolide.zip`: the current year, consolidated;
- `/download/eco2mix/eCO2mix_RTE_En-cours-TR.zip`: the latest days, real time.

RTE sometimes answers an HTML page with status 200 where a zip was expected:
what arrives is checked before anything uses it.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from consumption import __version__
from consumption.domain import ArchiveRecord

log = logging.getLogger(__name__)

USER_AGENT = f"consumption/{__version__} (France's electricity consumption from RTE eCO2mix data)"
DOWNLOAD_PATH = "/download/eco2mix/"
ZIP_MAGIC = b"PK\x03\x04"
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
FIRST_DEFINITIVE_YEAR = 2012
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Archive:
    """One archive RTE publishes. `may_be_absent`: a 404 means not published yet."""

    name: str
    may_be_absent: bool = False

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + DOWNLOAD_PATH + self.name


def definitive(year: int) -> Archive:
    return Archive(f"eCO2mix_RTE_Annuel-Definitif_{year}.zip", may_be_absent=True)


CONSOLIDATED = Archive("eCO2mix_RTE_En-cours-Consolide.zip")
REAL_TIME = Archive("eCO2mix_RTE_En-cours-TR.zip")


class Outcome(enum.Enum):
    DOWNLOADED = "downloaded"  # new or changed: to be validated and imported
    UNCHANGED = "unchanged"  # RTE has nothing newer than what was imported
    NOT_PUBLISHED = "not published"  # a 404 for an archive that may be absent
    FAILED = "failed"


@dataclass
class Download:
    archive: Archive
    url: str
    outcome: Outcome
    message: str = ""
    temporary: Path | None = None  # the downloaded bytes, in DATA_DIR, until imported
    etag: str | None = None
    last_modified: str | None = None
    size: int = 0
    sha256: str = ""
    unreachable: bool = False  # the network or RTE could not be reached at all

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


class DownloadError(Exception):
    pass


class RteClient:
    """RTE's download server: its base URL and one HTTP client for a run of downloads."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url
        self.http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )

    def __enter__(self) -> RteClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def url(self, archive: Archive) -> str:
        return archive.url(self.base_url)

    def download(self, archive: Archive, known: ArchiveRecord | None, into: Path) -> Download:
        """Download `archive` into a temporary file in `into`, unless it has not changed."""
        return download(self.http, self.base_url, archive, known, into)


def _conditional_headers(known: ArchiveRecord | None) -> dict[str, str]:
    headers = {}
    if known is not None:
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
    return headers


def _describe_start(first_bytes: bytes) -> str:
    text = first_bytes[:40].decode("latin-1", "replace").strip()
    if text.startswith("<"):
        return f"an HTML page ({text[:30]!r}…)"
    return f"content starting with {first_bytes[:8]!r}"


def download(
    client: httpx.Client,
    base_url: str,
    archive: Archive,
    known: ArchiveRecord | None,
    into: Path,
) -> Download:
    """Download `archive` into a temporary file in `into`, unless RTE says it has not changed.

    Never raises for what RTE or the network does: the outcome says what happened.
    """
    url = archive.url(base_url)
    result = Download(archive, url, Outcome.FAILED)
    into.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{archive.name}.", suffix=".part", dir=into)
    temporary = Path(name)
    try:
        with (
            os.fdopen(handle, "wb") as output,
            client.stream("GET", url, headers=_conditional_headers(known)) as response,
        ):
            if response.status_code == 304:
                result.outcome, result.message = Outcome.UNCHANGED, "unchanged since the last import"
                return result
            if response.status_code == 404 and archive.may_be_absent:
                result.outcome, result.message = Outcome.NOT_PUBLISHED, "not published yet (404)"
                return result
            if response.status_code != 200:
                raise DownloadError(f"HTTP {response.status_code} {response.reason_phrase}")
            digest = hashlib.sha256()
            size = 0
            for chunk in response.iter_bytes(CHUNK_BYTES):
                if size == 0 and not chunk.startswith(ZIP_MAGIC[: len(chunk)]):
                    raise DownloadError(f"not a zip archive: RTE sent {_describe_start(chunk)}")
                size += len(chunk)
                if size > MAX_ARCHIVE_BYTES:
                    raise DownloadError(f"larger than {MAX_ARCHIVE_BYTES // 2**20} MiB; refused")
                digest.update(chunk)
                output.write(chunk)
            if size == 0:
                raise DownloadError("an empty response where a zip archive was expected")
            result.etag = response.headers.get("ETag")
            result.last_modified = response.headers.get("Last-Modified")
        result.size, result.sha256 = size, digest.hexdigest()
        if known is not None and known.sha256 == result.sha256:
            result.outcome, result.message = Outcome.UNCHANGED, "unchanged: same content as the last import"
            return result
        temporary.chmod(0o644)  # mkstemp's 0600 would hide the archive from other users
        result.outcome, result.temporary = Outcome.DOWNLOADED, temporary
        result.message = f"downloaded {size / 1e6:.1f} MB"
        return result
    except DownloadError as error:
        result.message = str(error)
        return result
    except httpx.TimeoutException as error:
        result.message = f"timed out ({type(error).__name__})"
        result.unreachable = isinstance(error, (httpx.ConnectTimeout, httpx.PoolTimeout))
        return result
    except httpx.ConnectError as error:
        result.message = f"cannot reach RTE: {error or type(error).__name__}"
        result.unreachable = True
        return result
    except httpx.HTTPError as error:
        result.message = f"cannot reach RTE: {error or type(error).__name__}"
        return result
    except OSError as error:
        result.message = f"cannot write into {into}: {error}"
        return result
    finally:
        if result.temporary is None:
            temporary.unlink(missing_ok=True)
