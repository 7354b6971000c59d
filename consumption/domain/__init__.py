"""The domain: what a consumption point is, the precedence rule, Paris time, and the
abstract repositories. Nothing here knows about SQLite, files or HTTP.
"""

from consumption.domain.model import (
    Archive,
    ArchiveRecord,
    ConsumptionPoint,
    Download,
    Nature,
    Outcome,
    RefreshRecord,
    StoredSpan,
    replaces,
)
from consumption.domain.repository import ArchiveLog, ArchiveSource, ConsumptionRepository, Store, TransactionLost

__all__ = [
    "Archive",
    "ArchiveLog",
    "ArchiveRecord",
    "ArchiveSource",
    "ConsumptionPoint",
    "ConsumptionRepository",
    "Download",
    "Nature",
    "Outcome",
    "RefreshRecord",
    "Store",
    "StoredSpan",
    "TransactionLost",
    "replaces",
]
