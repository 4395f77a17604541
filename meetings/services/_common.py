"""Helpers shared by the meetings services: locking reads, audit objects, realtime pushes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

import audit
from meetings import realtime, rules
from meetings.errors import meeting_error
from meetings.models import AgendaItem, Body, Meeting, Participant


def now() -> dt.datetime:
    return timezone.now()


def lock_meeting(meeting_id: int) -> Meeting:
    """The meeting, row-locked for the rest of the transaction (no-op on SQLite)."""
    try:
        return (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("body")
            .get(pk=meeting_id)
        )
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise meeting_error("meeting.not_found") from None


def lock_item(item_id: int) -> AgendaItem:
    try:
        return (
            AgendaItem.objects.select_for_update(of=("self",))
            .select_related("meeting", "meeting__body", "body")
            .get(pk=item_id)
        )
    except (AgendaItem.DoesNotExist, ValueError, TypeError):
        raise meeting_error("agenda.item_not_found") from None


def lock_participant(meeting: Meeting, participant_id: int) -> Participant:
    try:
        return (
            Participant.objects.select_for_update(of=("self",))
            .select_related("person", "membership", "acting_for")
            .get(pk=participant_id, meeting=meeting)
        )
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise meeting_error("attendance.not_participant") from None


def get_body(body_id: int) -> Body:
    try:
        return Body.objects.select_related("municipality").get(pk=body_id)
    except (Body.DoesNotExist, ValueError, TypeError):
        raise meeting_error("body.not_found") from None


def require_view(user: Any, meeting: Meeting) -> None:
    """Refuse as *not found* when the user may not even see the meeting (no existence leak)."""
    if not rules.can_view_meeting(user, meeting):
        raise meeting_error("meeting.not_found")


def require(condition: bool, user: Any, meeting: Meeting) -> None:
    require_view(user, meeting)
    if not condition:
        raise meeting_error("meeting.forbidden")


def meeting_obj(meeting: Meeting | int) -> str:
    return f"meeting:{meeting if isinstance(meeting, int) else meeting.pk}"


def item_obj(item: AgendaItem | int) -> str:
    return f"item:{item if isinstance(item, int) else item.pk}"


def record(actor: Any, action: str, obj: str, data: dict[str, Any]) -> None:
    """`audit.record` in the caller's transaction (contributing.md: the only history writer)."""
    assert transaction.get_connection().in_atomic_block, "audit.record outside a transaction"
    audit.record(actor, action, obj, data)


def checkpoint_on_commit() -> None:
    """Ask the audit log for a signed checkpoint after commit (meeting opened/closed, § 100)."""
    from audit.checkpoints import checkpoint_on_commit as _checkpoint

    _checkpoint()


def push(meeting: Meeting | int, event: dict[str, Any]) -> None:
    meeting_id = meeting if isinstance(meeting, int) else meeting.pk
    realtime.send_event_on_commit(realtime.meeting_group(meeting_id), event)


def iso(moment: dt.datetime | None) -> str:
    """UTC RFC 3339 for audit data (no floats, no local time)."""
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
