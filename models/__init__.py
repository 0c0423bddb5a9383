"""All tables, imported here so SQLModel.metadata (and Alembic) sees every one."""

from models.api_token import ApiToken
from models.audit import AuditEntry
from models.batch import Batch, BatchStatus
from models.capability import Capability, CapabilityStatus
from models.data_version import DataVersion
from models.docking import DockingEvent, DockingStage
from models.interest import Interest, InterestStatus
from models.join_request import JoinRequest, JoinStatus
from models.notification import Notification
from models.organisation import Organisation, OrgKind
from models.password_reset import PasswordReset
from models.recommendation import Recommendation, RecommendationSource, RecommendationStatus
from models.scenario import Scenario, ScenarioStatus
from models.tally import FirmTally, Tally, TallyMark
from models.user import Role, User
from models.weight_set import WeightSet

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Batch",
    "BatchStatus",
    "Capability",
    "CapabilityStatus",
    "DataVersion",
    "DockingEvent",
    "DockingStage",
    "FirmTally",
    "Interest",
    "InterestStatus",
    "JoinRequest",
    "JoinStatus",
    "Notification",
    "OrgKind",
    "Organisation",
    "PasswordReset",
    "Recommendation",
    "RecommendationSource",
    "RecommendationStatus",
    "Role",
    "Scenario",
    "ScenarioStatus",
    "Tally",
    "TallyMark",
    "User",
    "WeightSet",
]
