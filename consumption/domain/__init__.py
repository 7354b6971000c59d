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
)
from consumption.domain.repository import ArchiveLog, ConsumptionRepository, Store, TransactionLost

__all__ = [
    "Archive",
    "ArchiveLog",
    "ArchiveRecord",
    "ConsumptionPoint",
    "ConsumptionRepository",
    "Download",
    "Nature",
    "Outcome",
    "RefreshRecord",
    "Store",
    "StoredSpan",
    "TransactionLost",
]
