"""Helpers shared by the voting services: locking reads, who may act, audit and realtime.

The rule "only present, acting, not disqualified, connected members propose, second and vote"
is `meetings.presence`; here it is only turned into a precise error code (R29, R37, R72).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

import audit
from meetings import presence, private_place, realtime, rules
from meetings.models import (
    AgendaItem,
    ConnectionState,
    Meeting,
    MeetingStatus,
    Membership,
    Participant,
    Person,
)
from voting.errors import voting_error


def now() -> dt.datetime:
    return timezone.now()


def iso(moment: dt.datetime | None) -> str:
    """UTC RFC 3339 for audit data and JSON (no floats, no local time)."""
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_int(value: Any) -> int | None:
    """An id from a URL or payload, or None when it is not a positive integer."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- locking reads ------------------------------------------------------------------------------


def require_visible(user: Any, meeting: Meeting, code: str) -> None:
    """Refuse as *not found* when the user may not even see the meeting: before any state
    check, so an outsider learns nothing about another municipality's objects (R63)."""
    if not rules.can_view_meeting(user, meeting):
        raise voting_error(code)


def visible_voter_row(user: Any, meeting: Meeting, code: str) -> Participant | None:
    """`require_visible`, and the user's participant row in `meeting`, in one query when the
    user holds a current seat in the body (the ballot path: 85 or 300 members at once).

    The row comes with the person, annotated `current_member`; a current seat makes the meeting
    visible by `rules.can_view_meeting`'s first rule. Anyone else — no row, or no current seat —
    is judged by `require_visible` itself, so the answer is always the rule's.
    """
    row = None
    if user is not None and user.is_authenticated:
        seat = Membership.objects.current().filter(
            person_id=OuterRef("person_id"), body_id=meeting.body_id
        )
        rows = list(
            Participant.objects.filter(meeting_id=meeting.pk, person__user_id=user.pk)
            .select_related("person")
            .annotate(current_member=Exists(seat))
            .order_by()[:1]  # at most one row per (meeting, person)
        )
        row = rows[0] if rows else None
    if row is not None:
        user.person = row.person  # `rules.person_of` then needs no query of its own
    if row is None or not row.current_member:
        require_visible(user, meeting, code)
    return row


def lock_item(meeting_id: Any, item_id: Any, *, user: Any) -> AgendaItem:
    """The item of this meeting, row-locked for the transaction (a no-op on SQLite), if the
    user may see the meeting; otherwise `handling.item_not_found`."""
    mid, iid = as_int(meeting_id), as_int(item_id)
    item = None
    if mid and iid:
        item = (
            AgendaItem.objects.select_for_update(of=("self",))
            .select_related("meeting", "meeting__body", "base_proposal")
            .filter(pk=iid, meeting_id=mid)
            .first()
        )
    if item is None:
        raise voting_error("handling.item_not_found")
    require_visible(user, item.meeting, "handling.item_not_found")
    return item


def get_item(meeting_id: Any, item_id: Any, *, user: Any) -> AgendaItem:
    mid, iid = as_int(meeting_id), as_int(item_id)
    item = None
    if mid and iid:
        item = (
            AgendaItem.objects.select_related("meeting", "meeting__body", "base_proposal")
            .filter(pk=iid, meeting_id=mid)
            .first()
        )
    if item is None:
        raise voting_error("handling.item_not_found")
    require_visible(user, item.meeting, "handling.item_not_found")
    return item


# --- who may act --------------------------------------------------------------------------------


def require_chair(user: Any, meeting: Meeting) -> None:
    """Only the meeting's chair runs the chair's steps (KL 102 §, 104.1 §, R76)."""
    if not rules.is_chair(user, meeting):
        raise voting_error("handling.chair_only")


def require_in_session(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.IN_SESSION:
        raise voting_error("handling.not_in_session")


def person_of(user: Any) -> Person | None:
    return rules.person_of(user)


def deciding_participant(
    item: AgendaItem, user: Any, row: Participant | None = None
) -> Participant:
    """The user's participant row if he or she decides in `item` now; else a precise refusal.

    `member.not_acting` — not a member or acting substitute of this meeting (R29);
    `member.disqualified` — disqualified from this item (R37);
    `member.not_present` — not present, removed, disconnected or rejoined but not yet
    re-confirmed (R11, R72); `attendance.private_place_unconfirmed` — remote and has not
    attested a private place for this closed item (R9, R75). The final word is
    `meetings.presence.participant_decides`. `row`: the user's participant row in the item's
    meeting when the caller has already read it.
    """
    if row is not None and row.meeting_id == item.meeting_id:
        participant: Participant | None = row  # already read (`visible_voter_row`)
    else:
        person = person_of(user)
        if person is None:
            raise voting_error("member.not_acting")
        # At most one row per (meeting, person); order_by(): the default ordering joins the
        # person.
        rows = list(
            Participant.objects.filter(meeting_id=item.meeting_id, person=person).order_by()[:1]
        )
        participant = rows[0] if rows else None
    if participant is None or not participant.decides:
        raise voting_error("member.not_acting")
    here = (
        participant.is_present
        and not participant.removed
        and participant.connection_state
        not in (ConnectionState.DISCONNECTED, ConnectionState.REJOINED)
    )
    # The common case costs one query: `participant_decides` already excludes the disqualified.
    # Only a refusal asks why, to give the precise code (disqualification first, as before).
    if here and presence.participant_decides(item, participant):
        return participant
    if item.disqualifications.filter(participant=participant).exclude(
        body_decision="rejected"
    ).exists():
        raise voting_error("member.disqualified")
    if here and private_place.needs_confirmation(participant, item):
        from meetings.errors import meeting_error

        raise meeting_error("attendance.private_place_unconfirmed")
    raise voting_error("member.not_present")


def deciding_person_ids(item: AgendaItem) -> list[int]:
    """Sorted person ids of those deciding in `item` right now (the eligibility snapshot)."""
    return sorted(presence.deciding_participants(item).values_list("person_id", flat=True))


# --- other apps ---------------------------------------------------------------------------------


def require_quorum(item: AgendaItem) -> None:
    """The meetings quorum guard (KL 103 §, R35): raises `meeting.no_quorum` when not quorate."""
    presence.require_quorum(item)


def parse_chair_choice(choice: Any) -> str:
    """`continue`, `pause` or `restart` (R72), else `vote.bad_choice`."""
    from voting.models import ChairChoiceKind

    value = str(choice or "").strip().lower()
    if value not in ChairChoiceKind.values:
        raise voting_error("vote.bad_choice")
    return value


def check_chair_choice_rule(
    choice: str, *, meeting: Meeting, item: AgendaItem, needs_decision: bool, paused: bool,
    code_prefix: str,
) -> list[int] | None:
    """The chair's choice on a flagged or paused vote or election (R72, R76), one rule for both.

    Continue only what waits for the chair, in session; pause what is not paused; a restart
    needs the session and quorum and returns the fresh list of those deciding. Error codes
    are `<code_prefix>.choice_not_needed` and `<code_prefix>.paused`.
    """
    from voting.models import ChairChoiceKind

    if choice == ChairChoiceKind.CONTINUE:
        if not needs_decision and not paused:
            raise voting_error(f"{code_prefix}.choice_not_needed")
        require_in_session(meeting)
        return None
    if choice == ChairChoiceKind.PAUSE:
        if paused:
            raise voting_error(f"{code_prefix}.paused")
        return None
    require_in_session(meeting)
    require_quorum(item)
    return deciding_person_ids(item)


def transition_item(item: AgendaItem, event: str, *, actor: Any) -> None:
    """Move the item through `meetings.lifecycle` with the meetings item service, in the
    caller's transaction (start_vote, cancel_vote, decide, table, return; R35 quorum inside).

    For `decide`, the decision text is the text of the decided proposal (`item.decision_text`
    must be set by the caller before, or the base proposal's text is used).
    """
    from meetings.services import items as item_services

    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    check = item_services.check_item_transition(item, meeting, event, item.decision_text)
    item_services.do_item_transition(check, actor=actor)


# --- history and pushes -------------------------------------------------------------------------


def record(actor: Any, action: str, obj: str, data: dict[str, Any]) -> None:
    """`audit.record` in the caller's transaction (contributing.md: the only history writer)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("voting: audit.record outside a transaction")
    audit.record(actor, action, obj, data)


def checkpoint_on_commit() -> None:
    """Ask for a signed checkpoint after commit (audit spec section 3: a vote closes)."""
    from audit.checkpoints import checkpoint_on_commit as _checkpoint

    _checkpoint()


def push(meeting: Meeting | int, event: dict[str, Any]) -> None:
    """Push `event` to the meeting's members after commit. Never a voter↔choice link (R12)."""
    meeting_id = meeting if isinstance(meeting, int) else meeting.pk
    realtime.send_event_on_commit(realtime.meeting_group(meeting_id), event)


def item_obj(item: AgendaItem | int) -> str:
    return f"item:{item if isinstance(item, int) else item.pk}"
