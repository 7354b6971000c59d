"""The domain: what a consumption point is, the precedence rule, Paris time, and the
abstract repositories. Nothing here knows about SQLite, files or HTTP.
"""

from consumption.domain.model import (
    ArchiveRecord,
    ConsumptionPoint,
    Nature,
    RefreshRecord,
    StoredSpan,
    replaces,
)
from consumption.domain.repository import ArchiveLog, ConsumptionRepository, Store, TransactionLost

__all__ = [
    "ArchiveLog",
    "ArchiveRecord",
    "ConsumptionPoint",
    "ConsumptionRepository",
    "Nature",
    "RefreshRecord",
    "Store",
    "StoredSpan",
    "TransactionLost",
    "replaces",
]
