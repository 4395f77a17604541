"""Lifecycle of a meeting and of an agenda item — a pure domain module, no Django import.

Meeting (*kokous*), R10, R24–R26, R35, R76::

    draft ──convene──▶ convened ──open──▶ in_session ──close──▶ closed ──check_minutes──▶
      minutes_checked ──publish──▶ published
                                   in_session ──suspend──▶ suspended ──resume──▶ in_session
                                                           suspended ──close──▶ closed

* ``convene`` = the notice (*kokouskutsu*) is sent (R24, R26);
* ``open`` needs the chair's finding of legality and quorum (R35, R76) — the service checks it;
* ``suspend``/``resume``: the chair suspends on disorder or technical failure (KL 102.1 §, R10,
  R72); a suspended meeting can also be ended (102.1 §: *keskeytettävä tai lopetettava*).

The agenda may be edited freely only before the notice is sent; after that every change is a
recorded amendment (R16, R25: never a silent edit); once the meeting has closed it is locked.

Agenda item (*asia*), R1, R15–R19, R31–R33::

    pending ──open──▶ in_discussion ──close_discussion──▶ discussion_closed ──start_vote──▶ voting
    discussion_closed ──decide──▶ decided        voting ──decide──▶ decided
    voting ──cancel_vote──▶ discussion_closed    (a vote halted after a connection drop, R72)
    discussion_closed ──reopen_discussion──▶ in_discussion
    in_discussion | discussion_closed ──table──▶ tabled      (pöydällepano, R33)
    in_discussion | discussion_closed ──return──▶ returned   (palautus valmisteluun, R33)
    pending | in_discussion ──withdraw──▶ withdrawn          (presenter withdraws, R32)
    pending ──start_e_procedure──▶ e_open                    (notice sent, KL 100 §, R16)
    e_open ──e_decide──▶ decided | ──transfer──▶ transferred | ──withdraw──▶ withdrawn (R17, R18)

Deciding (``decide``) and opening a vote (``start_vote``) need quorum (R35): see
:data:`QUORUM_EVENTS`. Events handled in the meeting need the meeting in session:
:data:`IN_SESSION_EVENTS`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AgendaEdit",
    "IN_SESSION_EVENTS",
    "ItemEvent",
    "ItemState",
    "IllegalTransition",
    "MEETING_TRANSITIONS",
    "ITEM_TRANSITIONS",
    "MeetingEvent",
    "MeetingState",
    "QUORUM_EVENTS",
    "agenda_edit_mode",
    "allowed_item_events",
    "allowed_meeting_events",
    "is_terminal_item_state",
    "meeting_is_active",
    "next_item_state",
    "next_meeting_state",
]


class IllegalTransition(ValueError):
    """The event is not allowed in the current state."""

    def __init__(self, state: str, event: str) -> None:
        self.state = str(state)
        self.event = str(event)
        super().__init__(f"{event!s} is not allowed in state {state!s}")


class MeetingState(StrEnum):
    DRAFT = "draft"
    CONVENED = "convened"
    IN_SESSION = "in_session"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    MINUTES_CHECKED = "minutes_checked"
    PUBLISHED = "published"


class MeetingEvent(StrEnum):
    CONVENE = "convene"
    OPEN = "open"
    SUSPEND = "suspend"
    RESUME = "resume"
    CLOSE = "close"
    CHECK_MINUTES = "check_minutes"
    PUBLISH = "publish"


MEETING_TRANSITIONS: dict[tuple[MeetingState, MeetingEvent], MeetingState] = {
    (MeetingState.DRAFT, MeetingEvent.CONVENE): MeetingState.CONVENED,
    (MeetingState.CONVENED, MeetingEvent.OPEN): MeetingState.IN_SESSION,
    (MeetingState.IN_SESSION, MeetingEvent.SUSPEND): MeetingState.SUSPENDED,
    (MeetingState.SUSPENDED, MeetingEvent.RESUME): MeetingState.IN_SESSION,
    (MeetingState.IN_SESSION, MeetingEvent.CLOSE): MeetingState.CLOSED,
    (MeetingState.SUSPENDED, MeetingEvent.CLOSE): MeetingState.CLOSED,
    (MeetingState.CLOSED, MeetingEvent.CHECK_MINUTES): MeetingState.MINUTES_CHECKED,
    (MeetingState.MINUTES_CHECKED, MeetingEvent.PUBLISH): MeetingState.PUBLISHED,
}


def _meeting_state(state: str) -> MeetingState:
    return MeetingState(state)


def next_meeting_state(state: str, event: str) -> MeetingState:
    """The state after `event`, or :class:`IllegalTransition`. Unknown names raise ValueError."""
    current, ev = _meeting_state(state), MeetingEvent(event)
    try:
        return MEETING_TRANSITIONS[(current, ev)]
    except KeyError:
        raise IllegalTransition(current, ev) from None


def allowed_meeting_events(state: str) -> tuple[MeetingEvent, ...]:
    current = _meeting_state(state)
    return tuple(ev for (st, ev) in MEETING_TRANSITIONS if st is current)


class AgendaEdit(StrEnum):
    """How the agenda of a meeting in a given state may change."""

    FREE = "free"  # draft: nothing has been sent
    AMENDMENT = "amendment"  # notice sent: only as a recorded, re-notified amendment (R25)
    LOCKED = "locked"  # the meeting has ended


def agenda_edit_mode(state: str) -> AgendaEdit:
    current = _meeting_state(state)
    if current is MeetingState.DRAFT:
        return AgendaEdit.FREE
    if current in (MeetingState.CONVENED, MeetingState.IN_SESSION, MeetingState.SUSPENDED):
        return AgendaEdit.AMENDMENT
    return AgendaEdit.LOCKED


def meeting_is_active(state: str) -> bool:
    """Opened and not yet ended: attendance, items and votes are being handled."""
    return _meeting_state(state) in (MeetingState.IN_SESSION, MeetingState.SUSPENDED)


class ItemState(StrEnum):
    PENDING = "pending"
    IN_DISCUSSION = "in_discussion"
    DISCUSSION_CLOSED = "discussion_closed"
    VOTING = "voting"
    DECIDED = "decided"
    TABLED = "tabled"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    E_PROCEDURE_OPEN = "e_open"
    TRANSFERRED = "transferred"


class ItemEvent(StrEnum):
    OPEN = "open"
    CLOSE_DISCUSSION = "close_discussion"
    REOPEN_DISCUSSION = "reopen_discussion"
    START_VOTE = "start_vote"
    CANCEL_VOTE = "cancel_vote"
    DECIDE = "decide"
    TABLE = "table"
    RETURN = "return"
    WITHDRAW = "withdraw"
    START_E_PROCEDURE = "start_e_procedure"
    E_DECIDE = "e_decide"
    TRANSFER = "transfer"


_I, _E = ItemState, ItemEvent
ITEM_TRANSITIONS: dict[tuple[ItemState, ItemEvent], ItemState] = {
    (_I.PENDING, _E.OPEN): _I.IN_DISCUSSION,
    (_I.IN_DISCUSSION, _E.CLOSE_DISCUSSION): _I.DISCUSSION_CLOSED,
    (_I.DISCUSSION_CLOSED, _E.REOPEN_DISCUSSION): _I.IN_DISCUSSION,
    (_I.DISCUSSION_CLOSED, _E.START_VOTE): _I.VOTING,
    (_I.VOTING, _E.CANCEL_VOTE): _I.DISCUSSION_CLOSED,
    (_I.DISCUSSION_CLOSED, _E.DECIDE): _I.DECIDED,
    (_I.VOTING, _E.DECIDE): _I.DECIDED,
    (_I.IN_DISCUSSION, _E.TABLE): _I.TABLED,
    (_I.DISCUSSION_CLOSED, _E.TABLE): _I.TABLED,
    (_I.IN_DISCUSSION, _E.RETURN): _I.RETURNED,
    (_I.DISCUSSION_CLOSED, _E.RETURN): _I.RETURNED,
    (_I.PENDING, _E.WITHDRAW): _I.WITHDRAWN,
    (_I.IN_DISCUSSION, _E.WITHDRAW): _I.WITHDRAWN,
    (_I.PENDING, _E.START_E_PROCEDURE): _I.E_PROCEDURE_OPEN,
    (_I.E_PROCEDURE_OPEN, _E.E_DECIDE): _I.DECIDED,
    (_I.E_PROCEDURE_OPEN, _E.TRANSFER): _I.TRANSFERRED,
    (_I.E_PROCEDURE_OPEN, _E.WITHDRAW): _I.WITHDRAWN,
}
del _I, _E

#: Events that need quorum at the moment they happen (KL 103 §, R35).
QUORUM_EVENTS: frozenset[ItemEvent] = frozenset({ItemEvent.START_VOTE, ItemEvent.DECIDE})

#: Events of the handling in a meeting: the meeting must be in session (not suspended).
IN_SESSION_EVENTS: frozenset[ItemEvent] = frozenset(
    {
        ItemEvent.OPEN,
        ItemEvent.CLOSE_DISCUSSION,
        ItemEvent.REOPEN_DISCUSSION,
        ItemEvent.START_VOTE,
        ItemEvent.CANCEL_VOTE,
        ItemEvent.DECIDE,
        ItemEvent.TABLE,
        ItemEvent.RETURN,
    }
)


def next_item_state(state: str, event: str) -> ItemState:
    current, ev = ItemState(state), ItemEvent(event)
    try:
        return ITEM_TRANSITIONS[(current, ev)]
    except KeyError:
        raise IllegalTransition(current, ev) from None


def allowed_item_events(state: str) -> tuple[ItemEvent, ...]:
    current = ItemState(state)
    return tuple(ev for (st, ev) in ITEM_TRANSITIONS if st is current)


def is_terminal_item_state(state: str) -> bool:
    return not allowed_item_events(state)
