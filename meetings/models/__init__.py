"""Models of the meetings app, one module per subject."""

from meetings.models.agenda import (
    AgendaAmendment,
    AgendaItem,
    Attachment,
    ItemMethod,
    ItemStatus,
    ProposalVersion,
    Publicity,
)
from meetings.models.attendance import (
    AttendanceMode,
    ConnectionState,
    Disqualification,
    DisqualificationGround,
    ItemSubstitution,
    Participant,
    ParticipantRole,
    PresenceInterval,
)
from meetings.models.e_procedure import EPosition, EProcedureAnswer
from meetings.models.live import (
    ActionKey,
    FloorKind,
    FloorRequest,
    FloorStatus,
    LiveConnection,
    LiveState,
    SecretaryNote,
)
from meetings.models.meeting import (
    Meeting,
    MeetingMethod,
    MeetingStatus,
    MeetingTransition,
    NoticeDelivery,
    RollCall,
)
from meetings.models.organisation import (
    Body,
    BodyKind,
    DecisionMethod,
    Membership,
    MembershipPosition,
    MembershipRole,
    MethodAuthorisation,
    Municipality,
    Person,
    StaffRole,
    StaffRoleKind,
)
from meetings.models.private_place import PrivatePlaceConfirmation
from meetings.models.sessions import UserSession

__all__ = [
    "ActionKey", "FloorKind", "FloorRequest", "FloorStatus", "LiveConnection", "LiveState",
    "SecretaryNote",
    "AgendaAmendment", "AgendaItem", "Attachment", "AttendanceMode", "Body", "BodyKind",
    "ConnectionState", "DecisionMethod", "Disqualification", "DisqualificationGround",
    "EPosition", "EProcedureAnswer", "ItemSubstitution", "NoticeDelivery", "RollCall",
    "ItemMethod", "ItemStatus", "Meeting", "MeetingMethod", "MeetingStatus", "MeetingTransition",
    "Membership", "MembershipPosition", "MembershipRole", "MethodAuthorisation", "Municipality",
    "Participant", "ParticipantRole", "Person", "PresenceInterval", "PrivatePlaceConfirmation",
    "ProposalVersion", "Publicity",
    "StaffRole", "StaffRoleKind", "UserSession",
]
