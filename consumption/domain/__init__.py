"""The domain: what a consumption point is, the precedence rule, Paris time, and the
abstract repositories. Nothing here knows about SQLite, files or HTTP.
"""

from consumption.domain.model import Archive as Archive
from consumption.domain.model import ArchiveRecord as ArchiveRecord
from consumption.domain.model import ConsumptionPoint as ConsumptionPoint
from consumption.domain.model import Download as Download
from consumption.domain.model import Nature as Nature
from consumption.domain.model import Outcome as Outcome
from consumption.domain.model import RefreshRecord as RefreshRecord
from consumption.domain.model import StoredSpan as StoredSpan
from consumption.domain.repository import ArchiveLog as ArchiveLog
from consumption.domain.repository import ConsumptionRepository as ConsumptionRepository
from consumption.domain.repository import Store as Store
from consumption.domain.repository import TransactionLost as TransactionLost
