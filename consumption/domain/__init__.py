"""The domain: what a consumption point is, and where points are kept.

Nothing here knows about SQLite, files or HTTP.
"""

from consumption.domain.model import ConsumptionPoint, Nature
from consumption.domain.repository import ConsumptionRepository, DataSummary

__all__ = ["ConsumptionPoint", "ConsumptionRepository", "DataSummary", "Nature"]
