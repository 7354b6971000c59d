"""What happens before the server starts: the one start-up path of `make run` and the container.

A database with data is reused. Otherwise it is built from the éCO2mix files in
DATA_DIR, or, when there are none, by fetching RTE's archives. Offline or with RTE
down, the server starts anyway with an empty database, and the log and `/health`
say why.
"""

from __future__ import annotations

import datetime as dt
import logging

from consumption.config import Settings
from consumption.eco2mix import Eco2mixError
from consumption.fetch import fetch
from consumption.importer import import_sources
from consumption.rte import FIRST_DEFINITIVE_YEAR
from consumption.sources import find_sources
from consumption.sqlite_store import DatabaseError, SqliteConsumptionRepository, connect

log = logging.getLogger(__name__)


def prepare_database(settings: Settings) -> None:
    """Make sure a database exists, with data when it can be had. Never raises."""
    try:
        connection = connect(settings.database_path)
    except DatabaseError as error:
        log.error("cannot open or create the database: %s", error)
        return
    repository = SqliteConsumptionRepository(connection)
    try:
        count = repository.summary().count
        if count:
            log.info("reusing the database %s (%d half hours)", settings.database_path, count)
            return
        data_dir = settings.data_dir
        try:
            sources = find_sources([data_dir]) if data_dir.is_dir() else []
        except Eco2mixError as error:
            log.error("cannot list the files in %s: %s", data_dir, error)
            sources = []
        if sources:
            log.info(
                "no data in %s: importing the files in %s (%d éCO2mix files)",
                settings.database_path,
                data_dir,
                len(sources),
            )
            try:
                import_sources(sources, repository)
            except Eco2mixError as error:
                log.error("importing %s failed, nothing was imported: %s", data_dir, error)
            return
    finally:
        connection.close()

    log.info(
        "no data in %s and no éCO2mix file in %s: fetching RTE's archives from %s",
        settings.database_path,
        settings.data_dir,
        settings.rte_base_url,
    )
    report = fetch(settings, FIRST_DEFINITIVE_YEAR, dt.date.today().year)
    if not report.ok:
        log.warning(
            "serving what could be fetched (see /health); fetch: %s", report.summary()
        )
