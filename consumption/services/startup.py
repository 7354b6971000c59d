"""What happens before the server starts: make sure the database holds data when it can.

A store with data is reused. Otherwise it is built from the éCO2mix files in
DATA_DIR, or, when there are none, by fetching RTE's archives. Offline or with RTE
down, the server starts anyway with an empty database, and the log and `/health`
say why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from consumption.domain import Store
from consumption.eco2mix.parser import Eco2mixError
from consumption.eco2mix.sources import Eco2mixSource, find_sources
from consumption.services.importing import import_sources
from consumption.services.refresh import FetchReport

log = logging.getLogger(__name__)


def fill_if_empty(store: Store, data_dir: Path, fetch_everything: Callable[[], FetchReport]) -> None:
    """Import DATA_DIR's files into an empty store, or, with none, fetch RTE's. Never raises
    for what the files or RTE hold: the log says what happened."""
    count = store.points.stored_span().count
    if count:
        log.info("reusing the database (%d half hours)", count)
        return
    sources = _local_sources(data_dir)
    if sources:
        log.info("no data yet: importing the %d éCO2mix files in %s", len(sources), data_dir)
        try:
            import_sources(sources, store)
        except Eco2mixError as error:
            log.error("importing %s failed, nothing was imported: %s", data_dir, error)
        return
    log.info("no data yet and no éCO2mix file in %s: fetching RTE's archives", data_dir)
    report = fetch_everything()
    if not report.ok:
        log.warning("serving what could be fetched (see /health); fetch: %s", report.describe())


def _local_sources(data_dir: Path) -> list[Eco2mixSource]:
    if not data_dir.is_dir():
        return []
    try:
        return find_sources([data_dir])
    except Eco2mixError as error:
        log.error("cannot list the files in %s: %s", data_dir, error)
        return []
