"""RTE's éCO2mix archives and how to download them.

Base URL (the `RTE_BASE_URL` setting) and paths, from RTE's download page:
- `/download/eco2mix/eCO2mix_RTE_Annuel-Definitif_{YYYY}.zip`: one year, definitive;
- `/download/eco2mix/eCO2mix_RTE_En-cours-Consolide.zip`: the current year, consolidated;
- `/download/eco2mix/eCO2mix_RTE_En-cours-TR.zip`: the latest days, real time.

RTE sometimes answers an HTML page with status 200 where a zip was expected:
what arrives is checked before anything uses it. A download has a deadline and a
size limit, follows redirects only within RTE's host, and its failures are told
in our own words: nothing the remote server sent is echoed to logs or `/health`.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from consumption import __version__
from consumption.domain import Archive, ArchiveRecord, Download, Outcome

log = logging.getLogger(__name__)

USER_AGENT = f"consumption/{__version__} (France's electricity consumption from RTE eCO2mix data)"
ZIP_MAGIC = b"PK\x03\x04"
CHUNK_BYTES = 64 * 1024
DEFAULT_DEADLINE_SECONDS = 600.0
MAX_REDIRECTS = 5
DECODABLE_ENCODINGS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}  # and their zlib wbits
PART_SUFFIX = ".part"


class DownloadError(Exception):
    """Why one download failed, in our own words: never bytes from the remote server."""


@dataclass
class RteClient:
    """RTE's download server: its base URL and the limits every download keeps to.

    `timeout` bounds each step (connecting, each read); `deadline` the whole download
    of one archive, however slowly the bytes arrive (headers sent one byte at a time
    included, where a time-out per read never fires); `max_bytes` its size, counted
    after any `Content-Encoding` is decoded.

    An async context manager: it owns the HTTP client, whose connections the downloads
    of one run share on the running event loop, and closes it on exit.
    """

    base_url: str
    timeout: float
    deadline: float = DEFAULT_DEADLINE_SECONDS
    max_bytes: int = 200 * 1024 * 1024
    transport: httpx.AsyncBaseTransport | None = None  # tests: httpx.MockTransport
    client: httpx.AsyncClient | None = field(default=None, init=False)

    async def __aenter__(self) -> RteClient:
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ", ".join(DECODABLE_ENCODINGS)},
            follow_redirects=False,  # followed by hand, to RTE's own host only
            transport=self.transport,
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    def url(self, archive: Archive) -> str:
        return f"{self.base_url.rstrip('/')}/download/eco2mix/{archive.name}"

    async def download(self, archive: Archive, known: ArchiveRecord | None, into: Path) -> Download:
        """Download `archive` into a temporary file in `into`, unless RTE says it has not changed.

        Never raises for what RTE or the network does: the outcome says what happened,
        in a short reason of our own.
        """
        if self.client is None:
            raise RuntimeError("RteClient.download outside `async with RteClient(...)`")
        result = Download(archive, self.url(archive), Outcome.FAILED)
        temporary: Path | None = None
        try:
            into.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{archive.name}.", suffix=PART_SUFFIX, dir=into)
            temporary = Path(name)
            with os.fdopen(handle, "wb") as output:
                fcntl.flock(output, fcntl.LOCK_EX)  # held until closed: see remove_partial_downloads
                async with asyncio.timeout(self.deadline):
                    await self._fetch(self.client, known, output, result)
            if result.outcome is Outcome.FAILED:  # bytes were written: new, or those of the last import
                if known is not None and known.sha256 == result.sha256:
                    result.outcome, result.message = Outcome.UNCHANGED, "unchanged: same content as the last import"
                else:
                    temporary.chmod(0o644)  # mkstemp's 0600 would hide the archive from other users
                    result.outcome, result.temporary = Outcome.DOWNLOADED, temporary
                    result.message = f"downloaded {result.size / 1e6:.1f} MB"
        except (DownloadError, httpx.HTTPError, OSError) as error:  # TimeoutError is an OSError
            result.message, result.unreachable = _reason(error, into, self.deadline)
        finally:
            if temporary is not None and result.temporary is None:
                temporary.unlink(missing_ok=True)
        return result

    async def _fetch(
        self, client: httpx.AsyncClient, known: ArchiveRecord | None, output: BinaryIO, result: Download
    ) -> None:
        """GET the archive's URL, following redirects within RTE's host, and write it to `output`.

        Sets `result`'s outcome when RTE says unchanged or not published; leaves it FAILED
        with the size and digest filled in when bytes were written (the caller decides).
        """
        allowed = _origin(httpx.URL(self.base_url))
        request_url = httpx.URL(result.url)
        for _ in range(MAX_REDIRECTS + 1):
            if _origin(request_url) != allowed:
                raise DownloadError(f"redirected away from {self.base_url}; refused")
            async with client.stream("GET", request_url, headers=_conditional_headers(known)) as response:
                if response.has_redirect_location:
                    request_url = response.url.join(response.headers["Location"])
                    continue
                if response.status_code == 304:
                    result.outcome, result.message = Outcome.UNCHANGED, "unchanged since the last import"
                    return
                if response.status_code == 404 and result.archive.may_be_absent:
                    result.outcome, result.message = Outcome.NOT_PUBLISHED, "not published yet (404)"
                    return
                if response.status_code != 200:
                    raise DownloadError(f"HTTP {response.status_code}")
                await _write_body(response, output, result, self.max_bytes)
                return
        raise DownloadError(f"more than {MAX_REDIRECTS} redirects; stopped")


def _reason(error: Exception, into: Path, deadline: float) -> tuple[str, bool]:
    """Why a download failed, in our words, and whether RTE could not be reached at all."""
    if isinstance(error, TimeoutError):
        return f"not complete within the deadline of {deadline:g} s; stopped", False
    if isinstance(error, DownloadError):
        return str(error), False
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({type(error).__name__})", isinstance(error, (httpx.ConnectTimeout, httpx.PoolTimeout))
    if isinstance(error, httpx.ConnectError):
        return "cannot reach RTE (connection failed)", True
    if isinstance(error, httpx.HTTPError):
        return f"cannot reach RTE ({type(error).__name__})", False
    strerror = error.strerror if isinstance(error, OSError) else None
    return f"cannot write into {into}: {strerror or type(error).__name__}", False


def _conditional_headers(known: ArchiveRecord | None) -> dict[str, str]:
    headers = {} if known is None else {"If-None-Match": known.etag, "If-Modified-Since": known.last_modified}
    return {name: value for name, value in headers.items() if value}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port  # httpx gives no port when it is the scheme's default


def _decoder(encoding: str) -> Callable[[bytes], Iterator[bytes]]:
    """Undo a `Content-Encoding` chunk by chunk, never producing more than `CHUNK_BYTES`
    at a time: a gzip bomb is cut at the size limit in bounded memory."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda data: iter((data,))
    if encoding not in DECODABLE_ENCODINGS:
        raise DownloadError("an unsupported Content-Encoding; refused")
    decompressor = zlib.decompressobj(DECODABLE_ENCODINGS[encoding])

    def decode(data: bytes) -> Iterator[bytes]:
        try:
            while data:
                yield decompressor.decompress(data, CHUNK_BYTES)
                data = decompressor.unconsumed_tail
        except zlib.error as error:
            raise DownloadError("a corrupt Content-Encoding; refused") from error

    return decode


async def _write_body(response: httpx.Response, output: BinaryIO, result: Download, max_bytes: int) -> None:
    declared = response.headers.get("Content-Length", "")
    encoding = response.headers.get("Content-Encoding", "")
    too_large = f"larger than {max_bytes / 2**20:g} MiB; stopped"
    if declared.isdigit() and int(declared) > max_bytes and encoding in ("", "identity"):
        raise DownloadError(too_large)
    decode = _decoder(encoding)
    digest = hashlib.sha256()
    size = 0
    async for raw in response.aiter_raw():
        for chunk in decode(raw):
            if size == 0 and not chunk.startswith(ZIP_MAGIC[: len(chunk)]):  # said in our words, not its bytes
                sent = "an HTML page" if chunk.lstrip()[:1] == b"<" else "content that is not a zip archive"
                raise DownloadError(f"not a zip archive: RTE sent {sent}")
            size += len(chunk)
            if size > max_bytes:
                raise DownloadError(too_large)
            digest.update(chunk)
            output.write(chunk)
    if size == 0:
        raise DownloadError("an empty response where a zip archive was expected")
    result.etag = response.headers.get("ETag")
    result.last_modified = response.headers.get("Last-Modified")
    result.size, result.sha256 = size, digest.hexdigest()


def remove_partial_downloads(data_dir: Path, older_than: float = DEFAULT_DEADLINE_SECONDS) -> list[Path]:
    """Delete the temporary files that downloads interrupted earlier (a `kill -9`) left in
    `data_dir`; return them.

    A download holds a lock on its file until it ends, which the system releases when the
    process dies: a file still locked is left alone, unless it is older than `older_than`
    seconds (a download's deadline), which no download in progress can be.
    """
    removed: list[Path] = []
    now = time.time()
    for path in list(data_dir.glob(f".*{PART_SUFFIX}")):  # none when the folder cannot be read
        try:
            if _locked(path) and now - path.stat().st_mtime < older_than:
                continue
            path.unlink()
            log.info("removed %s, left by an interrupted download", path)
            removed.append(path)
        except OSError as error:
            log.warning("cannot remove the interrupted download %s: %s", path, error.strerror)
    return removed


def _locked(path: Path) -> bool:
    with path.open("rb") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False
