"""What happens before the server starts: build the database when it is absent."""

from __future__ import annotations

import logging

from consumption.config import Settings
from consumption.eco2mix import Eco2mixError
from consumption.importer import import_paths
from consumption.sources import find_sources
from consumption.sqlite_store import DatabaseError, SqliteConsumptionRepository, connect

log = logging.getLogger(__name__)


def prepare_database(settings: Settings) -> None:
    """Reuse an existing database; otherwise build one from the files in DATA_DIR.

    Never raises: when there is nothing to import, or the import fails, the server
    starts anyway and `/health` says that there is no data.
    """
    if settings.database_path.exists():
        log.info("reusing the database %s", settings.database_path)
        return
    data_dir = settings.data_dir
    if not data_dir.is_dir() or not find_sources([data_dir]):
        log.warning(
            "no database at %s and no éCO2mix file in %s: serving without data until some "
            "is imported (`consumption import FILES`)",
            settings.database_path,
            data_dir,
        )
        return
    log.info("no database at %s: building it from %s", settings.database_path, data_dir)
    try:
        connection = connect(settings.database_path)
    except DatabaseError as error:
        log.error("cannot create the database: %s", error)
        return
    try:
        import_paths([data_dir], SqliteConsumptionRepository(connection))
    except Eco2mixError as error:
        log.error("building the database failed, nothing was imported: %s", error)
    finally:
        connection.close()
