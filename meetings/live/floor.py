"""The floor queue (*puheenvuorot*): requests, reply requests, the chair's grants (KL 102 §, R10).

Members and others with the right to speak (R29) ask for the floor in the item under discussion;
a reply request (*vastauspuheenvuoro*) may be asked while someone speaks and is heard before the
next ordinary speech. The chair grants, ends and removes; the speech timer runs from the grant
(time limits per hallintosääntö, KL 90.1 § 3 f). Requests are naturally idempotent: asking again
returns the open request (one per person, item and kind, enforced by the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from meetings import realtime, rules
from meetings.live import config
from meetings.live.errors import live_error
from meetings.models import (
    AgendaItem,
    ConnectionState,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Participant,
    ParticipantRole,
)
from meetings.models.live import FloorKind, FloorRequest, FloorStatus


def _lock_meeting(meeting_id: int) -> Meeting:
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("body")
        .filter(pk=meeting_id).first()
    )
    if meeting is None:
        from meetings.errors import meeting_error

        raise meeting_error("meeting.not_found")
    return meeting


def _current_item(meeting: Meeting) -> AgendaItem:
    if meeting.status != MeetingStatus.IN_SESSION:
        raise live_error("live.meeting_not_active")
    item = AgendaItem.objects.filter(pk=meeting.current_item_id).first()
    if item is None:
        raise live_error("live.no_current_item")
    return item


def _speaker_participant(user: Any, meeting: Meeting) -> Participant:
    """The user's participation if he or she may speak now (R29, R72)."""
    person = rules.person_of(user)
    p = Participant.objects.filter(meeting=meeting, person=person).first() if person else None
    if p is None:
        raise live_error("live.not_participant")
    if p.removed:
        raise live_error("live.removed")
    if p.role == ParticipantRole.SECRETARY:
        raise live_error("live.no_speech_right")
    if not p.is_present or p.connection_state in (
        ConnectionState.DISCONNECTED, ConnectionState.REJOINED
    ):
        raise live_error("live.not_present")
    return p


def _data(r: FloorRequest, **extra: Any) -> dict[str, Any]:
    return {"meeting": r.meeting_id, "item": r.item_id, "participant": r.participant_id,
            "person": r.participant.person_id, "kind": r.kind, **extra}


def _push(meeting_id: int, kind: str) -> None:
    realtime.send_event_on_commit(realtime.meeting_group(meeting_id), {"type": kind})


# --- request / withdraw ------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestCheck:
    meeting: Meeting
    item: AgendaItem
    participant: Participant
    kind: str
    existing: FloorRequest | None
    reply_to: FloorRequest | None


def check_request_floor(user: Any, meeting_id: int, kind: str = FloorKind.SPEECH) -> RequestCheck:
    if kind not in FloorKind.values:
        raise live_error("live.bad_request", field="kind")
    meeting = _lock_meeting(meeting_id)
    if not rules.can_view_meeting(user, meeting):
        from meetings.errors import meeting_error

        raise meeting_error("meeting.not_found")
    item = _current_item(meeting)
    if item.status != ItemStatus.IN_DISCUSSION:
        raise live_error("live.discussion_not_open")
    participant = _speaker_participant(user, meeting)
    from meetings.private_place import needs_confirmation

    if needs_confirmation(participant, item):  # R9, R75: not taking part in the closed item
        from meetings.errors import meeting_error

        raise meeting_error("attendance.private_place_unconfirmed")
    existing = FloorRequest.objects.filter(
        item=item, participant=participant, kind=kind, status__in=["queued", "speaking"]
    ).first()
    reply_to = None
    if kind == FloorKind.REPLY and existing is None:
        reply_to = FloorRequest.objects.filter(meeting=meeting, status=FloorStatus.SPEAKING).first()
        if reply_to is None or reply_to.participant_id == participant.pk:
            raise live_error("live.reply_needs_speaker")
    return RequestCheck(meeting, item, participant, kind, existing, reply_to)


def do_request_floor(check: RequestCheck, *, actor: Any) -> tuple[FloorRequest, bool]:
    if check.existing is not None:
        return check.existing, False
    try:
        with transaction.atomic():
            r = FloorRequest.objects.create(
                meeting=check.meeting, item=check.item, participant=check.participant,
                kind=check.kind, reply_to=check.reply_to, requested_at=timezone.now(),
            )
    except IntegrityError:  # a concurrent resend won (only without row locks, i.e. SQLite)
        return FloorRequest.objects.get(
            item=check.item, participant=check.participant, kind=check.kind,
            status__in=["queued", "speaking"],
        ), False
    r.participant = check.participant
    audit.record(actor, "floor.requested", f"floor:{r.pk}",
                 _data(r, reply_to=r.reply_to_id or 0))
    _push(check.meeting.pk, "floor.requested")
    return r, True


def request_floor(
    user: Any, meeting_id: int, kind: str = FloorKind.SPEECH
) -> tuple[FloorRequest, bool]:
    """Ask for the floor (or a reply) in the item under discussion; idempotent."""
    with transaction.atomic():
        return do_request_floor(check_request_floor(user, meeting_id, kind), actor=user)


def withdraw_floor(user: Any, meeting_id: int, request_id: int) -> FloorRequest:
    """The requester withdraws a queued request; withdrawing again is a no-op."""
    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        person = rules.person_of(user)
        r = (
            FloorRequest.objects.select_for_update(of=("self",))
            .select_related("participant")
            .filter(pk=request_id, meeting=meeting, participant__person=person).first()
            if person is not None else None
        )
        if r is None:
            raise live_error("live.floor_not_found")
        if r.status != FloorStatus.QUEUED:
            if r.status in (FloorStatus.WITHDRAWN, FloorStatus.CANCELLED, FloorStatus.DONE):
                return r
            raise live_error("live.floor_not_queued")
        r.status = FloorStatus.WITHDRAWN
        r.ended_at = timezone.now()
        r.end_reason = "withdrawn"
        r.save(update_fields=["status", "ended_at", "end_reason"])
        audit.record(user, "floor.withdrawn", f"floor:{r.pk}", _data(r))
        _push(meeting.pk, "floor.withdrawn")
        return r


# --- the chair ---------------------------------------------------------------------------------


def _require_chair(user: Any, meeting: Meeting) -> None:
    if not rules.can_view_meeting(user, meeting):
        from meetings.errors import meeting_error

        raise meeting_error("meeting.not_found")
    if not rules.is_chair(user, meeting):
        raise live_error("live.chair_only")


def _end_speaker(meeting: Meeting, actor: Any, reason: str) -> FloorRequest | None:
    speaking = (
        FloorRequest.objects.select_for_update(of=("self",)).select_related("participant")
        .filter(meeting=meeting, status=FloorStatus.SPEAKING).first()
    )
    if speaking is None:
        return None
    at = timezone.now()
    speaking.status = FloorStatus.DONE
    speaking.ended_at = at
    speaking.ended_by = actor
    speaking.end_reason = reason
    speaking.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    seconds = int((at - speaking.granted_at).total_seconds()) if speaking.granted_at else 0
    audit.record(actor, "floor.ended", f"floor:{speaking.pk}",
                 _data(speaking, seconds=seconds, reason=reason))
    return speaking


def _time_limit(kind: str, raw: Any) -> int | None:
    if raw in (None, ""):
        default = int(float(config.get(
            "REPLY_LIMIT_SECONDS" if kind == FloorKind.REPLY else "SPEECH_LIMIT_SECONDS"
        )))
        return default or None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise live_error("live.bad_time_limit") from None
    if not 0 <= value <= 3600:
        raise live_error("live.bad_time_limit")
    return value or None


def grant_floor(user: Any, meeting_id: int, request_id: int | None = None,
                time_limit: Any = None) -> FloorRequest:
    """The chair gives the floor: to `request_id`, or to the next in the queue (R10).

    The current speaker, if any, is ended first. Granting the one already speaking is a no-op.
    """
    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        _require_chair(user, meeting)
        item = _current_item(meeting)
        queued = FloorRequest.objects.select_for_update(of=("self",)).select_related(
            "participant__person"
        ).filter(meeting=meeting, item=item)
        if request_id is not None:
            r = queued.filter(pk=request_id).first()
            if r is None:
                raise live_error("live.floor_not_found")
            if r.status == FloorStatus.SPEAKING:
                return r
            if r.status != FloorStatus.QUEUED:
                raise live_error("live.floor_not_queued")
        else:
            waiting = list(queued.filter(status=FloorStatus.QUEUED).order_by("requested_at", "pk"))
            waiting.sort(key=lambda q: 0 if q.kind == FloorKind.REPLY else 1)
            if not waiting:
                raise live_error("live.floor_queue_empty")
            r = waiting[0]
        limit = _time_limit(r.kind, time_limit)
        _end_speaker(meeting, user, "next_speaker")
        r.status = FloorStatus.SPEAKING
        r.granted_at = timezone.now()
        r.granted_by = user
        r.time_limit_seconds = limit
        r.save(update_fields=["status", "granted_at", "granted_by", "time_limit_seconds"])
        audit.record(user, "floor.granted", f"floor:{r.pk}", _data(r, limit=limit or 0))
        _push(meeting.pk, "floor.granted")
        return r


def end_floor(user: Any, meeting_id: int) -> FloorRequest | None:
    """The chair ends the current speech (also after a warning, KL 102.2 §); idempotent."""
    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        _require_chair(user, meeting)
        ended = _end_speaker(meeting, user, "ended_by_chair")
        if ended is not None:
            _push(meeting.pk, "floor.ended")
        return ended


def cancel_floor(user: Any, meeting_id: int, request_id: int) -> FloorRequest:
    """The chair removes a queued request (e.g. the member left); idempotent."""
    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        _require_chair(user, meeting)
        r = (
            FloorRequest.objects.select_for_update(of=("self",)).select_related("participant")
            .filter(pk=request_id, meeting=meeting).first()
        )
        if r is None:
            raise live_error("live.floor_not_found")
        if r.status != FloorStatus.QUEUED:
            return r
        r.status = FloorStatus.CANCELLED
        r.ended_at = timezone.now()
        r.ended_by = user
        r.end_reason = "chair_cancelled"
        r.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
        audit.record(user, "floor.cancelled", f"floor:{r.pk}", _data(r))
        _push(meeting.pk, "floor.cancelled")
        return r


def do_close_queue(meeting: Meeting, item_id: int | None, *, actor: Any, reason: str) -> int:
    """End the speech and cancel the queue of an item whose discussion ended (in the caller's
    transaction). Returns how many requests were closed."""
    if item_id is None:
        return 0
    closed = 0
    if _end_speaker(meeting, actor, reason) is not None:
        closed += 1
    at = timezone.now()
    for r in FloorRequest.objects.select_for_update(of=("self",)).select_related(
        "participant"
    ).filter(item_id=item_id, status=FloorStatus.QUEUED):
        r.status = FloorStatus.CANCELLED
        r.ended_at = at
        r.ended_by = actor if getattr(actor, "is_authenticated", False) else None
        r.end_reason = reason
        r.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
        audit.record(actor, "floor.cancelled", f"floor:{r.pk}", _data(r, reason=reason))
        closed += 1
    if closed:
        _push(meeting.pk, "floor.cancelled")
    return closed
