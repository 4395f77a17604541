"""Handling an item in the meeting: open, close discussion, vote state, decide (R31–R35, R76).

The voting app calls these (or their ``do_`` halves inside its own transaction):

* ``do_item_transition(item, "start_vote", actor=...)`` before opening a vote — checks quorum;
* ``do_item_transition(item, "cancel_vote", ...)`` when a vote is halted (R72);
* ``do_state_decision(check, actor=...)`` / ``state_decision(user, item_id, text)`` — checks
  quorum (R35: stating a decision without quorum is refused).

Closing the discussion fixes the base proposal (*pohjaehdotus*): the proposal version active at
that moment (R31, R32).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from meetings import files, lifecycle, presence, rules
from meetings.errors import meeting_error
from meetings.models import AgendaItem, ItemStatus, Meeting, MeetingStatus, Publicity
from meetings.services._common import item_obj, lock_item, lock_meeting, now, push, record, require

#: Events that end the handling of the item.
_CLOSING_EVENTS = {
    lifecycle.ItemEvent.DECIDE, lifecycle.ItemEvent.TABLE, lifecycle.ItemEvent.RETURN,
    lifecycle.ItemEvent.WITHDRAW,
}
_ACTIONS = {
    lifecycle.ItemEvent.OPEN: "item.opened",
    lifecycle.ItemEvent.CLOSE_DISCUSSION: "item.discussion_closed",
    lifecycle.ItemEvent.REOPEN_DISCUSSION: "item.discussion_reopened",
    lifecycle.ItemEvent.START_VOTE: "item.vote_started",
    lifecycle.ItemEvent.CANCEL_VOTE: "item.vote_cancelled",
    lifecycle.ItemEvent.DECIDE: "item.decided",
    lifecycle.ItemEvent.TABLE: "item.tabled",
    lifecycle.ItemEvent.RETURN: "item.returned",
    lifecycle.ItemEvent.WITHDRAW: "item.withdrawn",
}


@dataclass
class ItemTransitionCheck:
    item: AgendaItem
    meeting: Meeting
    event: lifecycle.ItemEvent
    to: lifecycle.ItemState
    decision_text: str = ""
    finding: Any = None


def check_item_transition(
    item: AgendaItem, meeting: Meeting, event: str, decision_text: str = ""
) -> ItemTransitionCheck:
    """Validate `event` for a locked item of a locked meeting (no permission check here)."""
    ev = lifecycle.ItemEvent(event)
    try:
        to = lifecycle.next_item_state(item.status, ev)
    except lifecycle.IllegalTransition:
        raise meeting_error(
            "agenda.item_illegal_transition", state=item.status, event=str(ev)
        ) from None
    if ev in lifecycle.IN_SESSION_EVENTS and meeting.status != MeetingStatus.IN_SESSION:
        raise meeting_error("meeting.not_in_session")
    if ev is lifecycle.ItemEvent.OPEN and meeting.current_item_id not in (None, item.pk):
        current = AgendaItem.objects.filter(pk=meeting.current_item_id).values_list(
            "status", flat=True
        ).first()
        if current in (ItemStatus.IN_DISCUSSION, ItemStatus.DISCUSSION_CLOSED, ItemStatus.VOTING):
            raise meeting_error("agenda.other_item_open")
    text = (decision_text or "").strip()
    if ev is lifecycle.ItemEvent.DECIDE and not text:
        base = item.base_proposal
        if base is None or not base.text:
            raise meeting_error("agenda.decision_text_required")
        text = base.text
    finding = None
    if ev in lifecycle.QUORUM_EVENTS or ev in (
        lifecycle.ItemEvent.TABLE, lifecycle.ItemEvent.RETURN
    ):
        finding = presence.require_quorum(item)  # R35: no vote, no decision without quorum
    elif ev is lifecycle.ItemEvent.OPEN:
        finding = presence.item_quorum(item)  # logged with the roster snapshot (R35)
    return ItemTransitionCheck(item, meeting, ev, to, text, finding)


def do_item_transition(check: ItemTransitionCheck, *, actor: Any) -> AgendaItem:
    item, meeting, ev = check.item, check.meeting, check.event
    at = now()
    previous = item.status
    item.status = check.to
    fields = ["status"]
    data: dict[str, Any] = {"from_status": previous, "to_status": str(check.to)}
    if ev is lifecycle.ItemEvent.OPEN:
        item.opened_at = item.opened_at or at
        item.closed_at = None
        fields += ["opened_at", "closed_at"]
        meeting.current_item = item
        meeting.save(update_fields=["current_item"])
    elif ev is lifecycle.ItemEvent.CLOSE_DISCUSSION:
        # The version active when discussion closes is the base proposal (R31, R32).
        current = item.current_proposal
        item.base_proposal = current if current is not None and not current.withdrawn else None
        fields.append("base_proposal")
        data["base_proposal_version"] = item.base_proposal.version if item.base_proposal else 0
    elif ev is lifecycle.ItemEvent.REOPEN_DISCUSSION:
        item.base_proposal = None
        fields.append("base_proposal")
    if ev is lifecycle.ItemEvent.DECIDE:
        item.decision_text = check.decision_text
        fields.append("decision_text")
        data["decision_sha256"] = files.sha256_hex(check.decision_text.encode())
        if item.publicity == Publicity.PUBLIC:
            data["decision_text"] = check.decision_text
    if ev in _CLOSING_EVENTS:
        item.closed_at = at
        fields.append("closed_at")
        if meeting.current_item_id == item.pk:
            meeting.current_item = None
            meeting.save(update_fields=["current_item"])
    item.save(update_fields=fields)
    if check.finding is not None:
        data.update(presence.finding_as_data(check.finding))
    record(actor, _ACTIONS[ev], item_obj(item), data)
    push(meeting, {"type": _ACTIONS[ev], "item": item.pk, "status": str(check.to)})
    return item


def _chair_transition(user: Any, item_id: int, event: str, decision_text: str = "") -> AgendaItem:
    with transaction.atomic():
        item = lock_item(item_id)
        meeting = lock_meeting(item.meeting_id)
        require(rules.is_chair(user, meeting), user, meeting)
        check = check_item_transition(item, meeting, event, decision_text)
        return do_item_transition(check, actor=user)


def open_item(user: Any, item_id: int) -> AgendaItem:
    """The chair takes the item up; its handling time starts (R73: attendance per item)."""
    return _chair_transition(user, item_id, lifecycle.ItemEvent.OPEN)


def close_discussion(user: Any, item_id: int) -> AgendaItem:
    """The chair closes the discussion; the active proposal version becomes the base (R31)."""
    return _chair_transition(user, item_id, lifecycle.ItemEvent.CLOSE_DISCUSSION)


def reopen_discussion(user: Any, item_id: int) -> AgendaItem:
    return _chair_transition(user, item_id, lifecycle.ItemEvent.REOPEN_DISCUSSION)


def start_vote(user: Any, item_id: int) -> AgendaItem:
    """Item state *voting*; refused without quorum (R35). The voting app owns the vote itself."""
    return _chair_transition(user, item_id, lifecycle.ItemEvent.START_VOTE)


def cancel_vote(user: Any, item_id: int) -> AgendaItem:
    return _chair_transition(user, item_id, lifecycle.ItemEvent.CANCEL_VOTE)


def check_state_decision(user: Any, item_id: int, decision_text: str = "") -> ItemTransitionCheck:
    item = lock_item(item_id)
    meeting = lock_meeting(item.meeting_id)
    require(rules.is_chair(user, meeting), user, meeting)
    return check_item_transition(item, meeting, lifecycle.ItemEvent.DECIDE, decision_text)


def do_state_decision(check: ItemTransitionCheck, *, actor: Any) -> AgendaItem:
    return do_item_transition(check, actor=actor)


def state_decision(user: Any, item_id: int, decision_text: str = "") -> AgendaItem:
    """The chair states the decision (R76); refused without quorum (R35). An empty text means
    the base proposal was accepted unanimously."""
    with transaction.atomic():
        return do_state_decision(check_state_decision(user, item_id, decision_text), actor=user)


def table_item(user: Any, item_id: int) -> AgendaItem:
    """Pöydällepano (R33): decided by the body, so quorum is needed."""
    return _chair_transition(user, item_id, lifecycle.ItemEvent.TABLE)


def return_item(user: Any, item_id: int) -> AgendaItem:
    """Palautus valmisteluun (R33)."""
    return _chair_transition(user, item_id, lifecycle.ItemEvent.RETURN)
