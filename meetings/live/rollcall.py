"""Roll call and identity confirmation in the live room (KL 99 § 1, 102 §, 103 §; R5, R10, R13,
R35, R72, R73, R77).

* `confirm_identity` — the chair or the secretary confirms a remote participant seen and heard
  on the video link; the participant becomes present (a new presence interval). The same action
  re-confirms one who rejoined after a dropped connection (R72).
* `take_roll_call` — the chair's finding of who is present and whether the body is quorate, with
  a roster snapshot (a `RollCall` row and an audit entry; at opening, after breaks, before votes).
* `join_remote` — a member declares remote participation in a hybrid meeting.
* `remove_participant` — the chair orders a disruptive participant to leave (KL 102.1 §).
* `add_note` — the secretary's notes for the minutes (R77).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

import audit
from meetings import realtime, rules
from meetings.errors import meeting_error
from meetings.live import floor, voting_bridge
from meetings.live.connections import iso
from meetings.live.errors import live_error
from meetings.models import (
    AgendaItem,
    AttendanceMode,
    ConnectionState,
    Meeting,
    MeetingMethod,
    MeetingStatus,
    Participant,
    PresenceInterval,
    RollCall,
)
from meetings.models.live import LiveConnection, SecretaryNote

ACTIVE = (MeetingStatus.CONVENED, MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED)


def _lock_meeting(meeting_id: int) -> Meeting:
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("body")
        .filter(pk=meeting_id).first()
    )
    if meeting is None:
        raise meeting_error("meeting.not_found")
    return meeting


def _lock_participant(meeting: Meeting, participant_id: Any) -> Participant:
    try:
        pid = int(participant_id)
    except (TypeError, ValueError):
        raise live_error("live.bad_request", field="participant") from None
    p = (
        Participant.objects.select_for_update(of=("self",)).select_related("person", "meeting")
        .filter(pk=pid, meeting=meeting).first()
    )
    if p is None:
        raise meeting_error("attendance.not_participant")
    return p


def is_secretary(user: Any, meeting: Meeting) -> bool:
    person = rules.person_of(user)
    return bool(person is not None and meeting.secretary_id == person.pk) or (
        rules.can_manage_meeting(user, meeting)
    )


def _changed(meeting_id: int, kind: str) -> None:
    realtime.send_event_on_commit(realtime.meeting_group(meeting_id), {"type": kind})


# --- identity confirmation and roll call (the meetings attendance services) --------------------


def confirm_identity(user: Any, meeting_id: int, participant_id: Any) -> Participant:
    """The chair or secretary confirms a remote participant on the video link (KL 99 § 1, R13).

    Uses the attendance services: `confirm_identity` records who confirmed, and a participant
    not yet present (first arrival, or back after a dropped connection, R72) is checked in as
    a remote participant — a new presence interval. The socket must be open: one cannot confirm
    someone who is not connected.
    """
    from meetings.services import attendance

    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        if not rules.can_view_meeting(user, meeting):
            raise meeting_error("meeting.not_found")
        if not rules.can_run_attendance(user, meeting):
            raise live_error("live.chair_or_secretary")
        p = _lock_participant(meeting, participant_id)
        if p.removed:
            raise live_error("live.removed")
        if p.mode != AttendanceMode.REMOTE:
            raise live_error("live.not_remote")
        if p.connection_state not in (
            ConnectionState.CONNECTED, ConnectionState.DEGRADED, ConnectionState.REJOINED
        ) or not LiveConnection.objects.filter(participant=p, closed_at__isnull=True).exists():
            raise live_error("live.not_connected")
        rejoined = p.connection_state == ConnectionState.REJOINED
        if p.is_present and not rejoined:
            raise live_error("live.already_confirmed")
        attendance.confirm_identity(user, meeting.pk, p.pk)
        if not Participant.objects.get(pk=p.pk).is_present:
            attendance.check_in(user, meeting.pk, p.pk, AttendanceMode.REMOTE)
        p = Participant.objects.select_related("person", "meeting").get(pk=p.pk)
        if p.connection_state != ConnectionState.CONNECTED:
            p.connection_state = ConnectionState.CONNECTED
            p.save(update_fields=["connection_state"])
        if rejoined:
            voting_bridge.note_connection_change(p)
        _changed(meeting.pk, "attendance.confirmed")
        return p


def take_roll_call(user: Any, meeting_id: int) -> RollCall:
    """The chair states who is present and whether the body is quorate (R35, R73)."""
    from meetings.services import attendance

    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        return attendance.roll_call(user, meeting.pk, meeting.current_item_id)


# --- remote participation ----------------------------------------------------------------------


def join_remote(user: Any, meeting_id: int) -> Participant:
    """The member takes part remotely (hybrid meeting); waits for identity confirmation (R13)."""
    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        if not rules.can_view_meeting(user, meeting):
            raise meeting_error("meeting.not_found")
        if meeting.method not in (MeetingMethod.ELECTRONIC, MeetingMethod.HYBRID):
            raise live_error("live.remote_not_allowed")
        if meeting.status not in ACTIVE:
            raise live_error("live.meeting_not_active")
        person = rules.person_of(user)
        p = (
            Participant.objects.select_for_update(of=("self",)).select_related("person", "meeting")
            .filter(meeting=meeting, person=person).first() if person else None
        )
        if p is None:
            raise live_error("live.not_participant")
        if p.removed:
            raise live_error("live.removed")
        if p.mode == AttendanceMode.REMOTE:
            return p
        if p.is_present:
            raise live_error("live.already_present")
        p.mode = AttendanceMode.REMOTE
        fields = ["mode"]
        if LiveConnection.objects.filter(participant=p, closed_at__isnull=True).exists():
            p.connection_state = ConnectionState.CONNECTED
            fields.append("connection_state")
        p.save(update_fields=fields)
        audit.record(user, "attendance.remote_joined", f"participant:{p.pk}",
                     {"meeting": meeting.pk, "person": p.person_id})
        _changed(meeting.pk, "attendance.remote_joined")
        return p


# --- removal (KL 102.1 §) ----------------------------------------------------------------------


def remove_participant(user: Any, meeting_id: int, participant_id: Any, reason: str) -> Participant:
    """The chair orders a disruptive participant to leave; sockets close, presence ends (R10)."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        if not rules.can_view_meeting(user, meeting):
            raise meeting_error("meeting.not_found")
        if not rules.is_chair(user, meeting):
            raise live_error("live.chair_only")
        if not reason:
            raise live_error("live.reason_required")
        p = _lock_participant(meeting, participant_id)
        if p.removed:
            return p
        at = timezone.now()
        was_present = p.is_present
        p.removed = True
        p.is_present = False
        p.save(update_fields=["removed", "is_present"])
        PresenceInterval.objects.filter(participant=p, ended_at__isnull=True).update(
            ended_at=at, end_reason="removed"
        )
        audit.record(
            user, "attendance.removed", f"participant:{p.pk}",
            {"meeting": meeting.pk, "person": p.person_id, "at": iso(at), "reason": reason,
             "was_present": 1 if was_present else 0},
        )
        if meeting.current_item_id:
            from meetings.models.live import FloorRequest, FloorStatus

            for r in FloorRequest.objects.filter(
                item_id=meeting.current_item_id, participant=p, status=FloorStatus.QUEUED
            ):
                floor.cancel_floor(user, meeting.pk, r.pk)
        voting_bridge.note_connection_change(p)
        if p.person.user_id:
            realtime.disconnect_user(p.person.user_id)
        _changed(meeting.pk, "attendance.removed")
        return p


# --- the secretary's notes (R77) ---------------------------------------------------------------


def add_note(user: Any, meeting_id: int, text: str, item_id: Any = None) -> SecretaryNote:
    text = (text or "").strip()
    if not text:
        raise live_error("live.note_required")
    if len(text) > 5000:
        raise live_error("live.note_too_long")
    with transaction.atomic():
        meeting = _lock_meeting(meeting_id)
        if not rules.can_view_meeting(user, meeting):
            raise meeting_error("meeting.not_found")
        if not is_secretary(user, meeting):
            raise live_error("live.secretary_only")
        item = None
        if item_id not in (None, ""):
            item = AgendaItem.objects.filter(pk=item_id, meeting=meeting).first()
            if item is None:
                raise meeting_error("agenda.item_not_found")
        note = SecretaryNote.objects.create(
            meeting=meeting, item=item, author=user, text=text, created_at=timezone.now()
        )
        audit.record(
            user, "meeting.note_added", f"meeting:{meeting.pk}",
            {"note": note.pk, "item": item.pk if item else 0,
             "text_sha256": hashlib.sha256(text.encode()).hexdigest()},
        )
        return note
