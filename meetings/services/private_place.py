"""Attesting a private place before a closed item (R9, R75; KL 98.2 §; R72/R13 on reconnect).

* `confirm_private_place` (`check_confirm_private_place` / `do_confirm_private_place`) — a
  remote participant confirms, for the item being handled, "I am in a place where outsiders
  cannot see or hear the meeting (headphones in use)". Idempotent: a resend returns the same
  confirmation and writes nothing (audited once, `attendance.private_place_confirmed`).
* `do_lapse_on_disconnect` — a dropped connection ends the participant's confirmations
  (`attendance.private_place_lapsed`): after a reconnect he or she confirms again. Called by
  `meetings.live.connections.do_mark_disconnected` in its transaction.

Who must confirm and the effect of not confirming are `meetings.private_place` (read side) and
`meetings.presence` (eligibility): one rule for proposing, seconding, voting and the quorum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from meetings import rules
from meetings.errors import meeting_error
from meetings.models import (
    AgendaItem,
    AttendanceMode,
    ConnectionState,
    Meeting,
    MeetingStatus,
    Participant,
    PrivatePlaceConfirmation,
)
from meetings.private_place import requires_private_place, valid_confirmations
from meetings.services._common import iso, lock_meeting, now, push, record, require_view

_HANDLING_STATES = (MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED)
_TRUE = {"1", "on", "true", "yes", "kyllä"}


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in _TRUE


@dataclass(frozen=True)
class ConfirmPrivatePlaceCheck:
    meeting: Meeting
    item: AgendaItem
    participant: Participant
    existing: PrivatePlaceConfirmation | None


def check_confirm_private_place(
    user: Any, meeting_id: Any, item_id: Any, attest: Any
) -> ConfirmPrivatePlaceCheck:
    """Validate and lock: the user's own remote participation in the item being handled."""
    meeting = lock_meeting(meeting_id)
    require_view(user, meeting)
    person = rules.person_of(user)
    participant = (
        Participant.objects.select_for_update(of=("self",)).select_related("person")
        .filter(meeting=meeting, person=person).first()
        if person is not None else None
    )
    if participant is None or participant.removed:
        raise meeting_error("attendance.not_participant")
    if not _truthy(attest):
        raise meeting_error("attendance.private_place_attest_required")
    try:
        wanted = int(item_id)
    except (TypeError, ValueError):
        raise meeting_error("attendance.private_place_not_current") from None
    if meeting.status not in _HANDLING_STATES or meeting.current_item_id != wanted:
        raise meeting_error("attendance.private_place_not_current")
    item = AgendaItem.objects.get(pk=wanted)
    if not requires_private_place(item, meeting):
        raise meeting_error("attendance.private_place_not_required")
    if participant.mode != AttendanceMode.REMOTE:
        raise meeting_error("attendance.private_place_not_remote")
    if participant.connection_state == ConnectionState.DISCONNECTED:
        raise meeting_error("attendance.private_place_not_connected")
    existing = valid_confirmations(item).filter(participant=participant).first()
    return ConfirmPrivatePlaceCheck(meeting, item, participant, existing)


@transaction.atomic
def do_confirm_private_place(
    check: ConfirmPrivatePlaceCheck, *, actor: Any
) -> tuple[PrivatePlaceConfirmation, bool]:
    """Record the confirmation (once); returns it and whether it was created now."""
    if check.existing is not None:
        return check.existing, False
    p = check.participant
    confirmation = PrivatePlaceConfirmation.objects.create(
        participant=p, item=check.item, confirmed_at=now()
    )
    # Identifiers only: the attestation is a fixed text, no free text is stored (R9).
    record(
        actor, "attendance.private_place_confirmed", f"participant:{p.pk}",
        {"meeting": check.meeting.pk, "item": check.item.pk, "participant": p.pk,
         "person": p.person_id},
    )
    push(check.meeting, {"type": "attendance.private_place", "item": check.item.pk})
    return confirmation, True


def confirm_private_place(
    user: Any, meeting_id: Any, item_id: Any, attest: Any = True
) -> tuple[PrivatePlaceConfirmation, bool]:
    """A remote participant attests a private place for the closed item being handled (R75)."""
    with transaction.atomic():
        return do_confirm_private_place(
            check_confirm_private_place(user, meeting_id, item_id, attest), actor=user
        )


def do_lapse_on_disconnect(
    participant: Participant, *, at: dt.datetime, reason: str = "disconnected"
) -> list[int]:
    """End the participant's valid confirmations (R72/R13: re-confirm after a reconnect).

    Runs inside the caller's transaction (the participant row is locked there); returns the
    items whose confirmation lapsed.
    """
    rows = PrivatePlaceConfirmation.objects.filter(
        participant=participant, revoked_at__isnull=True
    )
    items = sorted(rows.values_list("item_id", flat=True))
    if not items:
        return []
    rows.update(revoked_at=at, revoked_reason=reason[:32])
    record(
        None, "attendance.private_place_lapsed", f"participant:{participant.pk}",
        {"meeting": participant.meeting_id, "participant": participant.pk,
         "person": participant.person_id, "items": items, "at": iso(at), "reason": reason},
    )
    push(participant.meeting_id, {"type": "attendance.private_place"})
    return items
