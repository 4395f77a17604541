"""Attendance: check-in and departure, absences, substitutes, identity, roll call (R5, R11,
R13, R29, R30, R73).

Presence is a list of `PresenceInterval` rows per participant (arrival → departure); attendance
per item is derived from them (`meetings.presence.item_attendance`). A substitute never acts
for a member who is present and not disqualified (`attendance.substitute_member_present`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from meetings import deadlines, lifecycle, presence, rules
from meetings.errors import meeting_error
from meetings.models import (
    AttendanceMode,
    ConnectionState,
    Meeting,
    MeetingStatus,
    Membership,
    MembershipRole,
    NoticeDelivery,
    Participant,
    ParticipantRole,
    Person,
    PresenceInterval,
)
from meetings.services._common import (
    lock_meeting,
    lock_participant,
    meeting_obj,
    now,
    push,
    record,
    require,
)

_ATTENDANCE_STATES = (MeetingStatus.CONVENED, MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED)


def _active(meeting: Meeting) -> None:
    if meeting.status not in _ATTENDANCE_STATES:
        raise meeting_error("attendance.meeting_not_active")


def _participant_data(p: Participant) -> dict[str, Any]:
    return {
        "participant_id": p.pk, "person_id": p.person_id, "role": p.role,
        "seat_id": p.seat_id or 0,
    }


def member_present_for_seat(meeting: Meeting, seat_id: int) -> Participant | None:
    return Participant.objects.filter(
        meeting=meeting, role=ParticipantRole.MEMBER, membership_id=seat_id, is_present=True,
        removed=False,
    ).first()


def acting_substitute_for_seat(meeting: Meeting, seat_id: int) -> Participant | None:
    return Participant.objects.filter(
        meeting=meeting, role=ParticipantRole.SUBSTITUTE, acting_for_id=seat_id,
        item_scoped=False, is_present=True,
    ).first()


# --- arrive / leave ---------------------------------------------------------------------------


@dataclass
class PresenceCheck:
    meeting: Meeting
    participant: Participant
    mode: str = AttendanceMode.IN_ROOM
    reason: str = ""


def check_check_in(
    user: Any, meeting_id: int, participant_id: int, mode: str = AttendanceMode.IN_ROOM
) -> PresenceCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_run_attendance(user, meeting), user, meeting)
    _active(meeting)
    participant = lock_participant(meeting, participant_id)
    if participant.is_present:
        raise meeting_error("attendance.already_present")
    if mode not in AttendanceMode.values:
        mode = AttendanceMode.IN_ROOM
    if participant.role == ParticipantRole.SUBSTITUTE:
        if participant.acting_for_id is None:
            raise meeting_error("attendance.not_acting_substitute")
        if not participant.item_scoped and member_present_for_seat(
            meeting, participant.acting_for_id
        ):
            raise meeting_error("attendance.substitute_member_present")
    if (
        participant.role == ParticipantRole.MEMBER
        and participant.membership_id
        and acting_substitute_for_seat(meeting, participant.membership_id)
    ):
        raise meeting_error("attendance.seat_taken")
    return PresenceCheck(meeting, participant, mode)


def do_check_in(check: PresenceCheck, *, actor: Any) -> PresenceInterval:
    p, at = check.participant, now()
    interval = PresenceInterval.objects.create(participant=p, started_at=at, start_reason="arrived")
    p.is_present = True
    p.mode = check.mode
    p.connection_state = ConnectionState.CONNECTED if check.mode == AttendanceMode.REMOTE else ""
    p.absence = ""
    p.save(update_fields=["is_present", "mode", "connection_state", "absence"])
    record(
        actor, "attendance.arrived", meeting_obj(check.meeting),
        {**_participant_data(p), "mode": check.mode, "interval_id": interval.pk},
    )
    push(check.meeting, {"type": "attendance.changed", "participant": p.pk, "present": True})
    return interval


def check_in(user: Any, meeting_id: int, participant_id: int, mode: str = "in_room") -> Any:
    """The secretary records an arrival (in the room or a verified remote connection, R11)."""
    with transaction.atomic():
        return do_check_in(check_check_in(user, meeting_id, participant_id, mode), actor=user)


def check_check_out(
    user: Any, meeting_id: int, participant_id: int, reason: str = "left"
) -> PresenceCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_run_attendance(user, meeting), user, meeting)
    _active(meeting)
    participant = lock_participant(meeting, participant_id)
    if not participant.is_present:
        raise meeting_error("attendance.not_present")
    return PresenceCheck(meeting, participant, reason=(reason or "left")[:32])


def do_check_out(check: PresenceCheck, *, actor: Any) -> PresenceInterval | None:
    p, at = check.participant, now()
    interval = PresenceInterval.objects.filter(participant=p, ended_at__isnull=True).first()
    if interval is not None:
        interval.ended_at = at
        interval.end_reason = check.reason
        interval.save(update_fields=["ended_at", "end_reason"])
    p.is_present = False
    p.save(update_fields=["is_present"])
    record(
        actor, "attendance.left", meeting_obj(check.meeting),
        {**_participant_data(p), "reason": check.reason,
         "interval_id": interval.pk if interval else 0},
    )
    push(check.meeting, {"type": "attendance.changed", "participant": p.pk, "present": False})
    return interval


def check_out(user: Any, meeting_id: int, participant_id: int, reason: str = "left") -> Any:
    """The secretary records a departure (the person leaves the room or the connection, R72)."""
    with transaction.atomic():
        return do_check_out(check_check_out(user, meeting_id, participant_id, reason), actor=user)


# --- adding people, absences, identity --------------------------------------------------------


def check_add_participant(user: Any, meeting_id: int, person_id: int, role: str) -> PresenceCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_run_attendance(user, meeting), user, meeting)
    if lifecycle.agenda_edit_mode(meeting.status) is lifecycle.AgendaEdit.LOCKED:
        raise meeting_error("attendance.meeting_not_active")
    if role not in (
        ParticipantRole.ATTENDEE, ParticipantRole.EXPERT, ParticipantRole.PRESENTER,
        ParticipantRole.SECRETARY,
    ):
        raise meeting_error("attendance.not_a_member")
    person = Person.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if person is None or person.municipality_id != meeting.body.municipality_id:
        raise meeting_error("attendance.person_not_found")
    if meeting.participants.filter(person=person).exists():
        raise meeting_error("attendance.already_present")
    participant = Participant(meeting=meeting, person=person, role=role)
    return PresenceCheck(meeting, participant)


def do_add_participant(check: PresenceCheck, *, actor: Any) -> Participant:
    p = check.participant
    p.invited_at = now()
    p.save()
    record(actor, "attendance.participant_added", meeting_obj(check.meeting), _participant_data(p))
    return p


def add_participant(user: Any, meeting_id: int, person_id: int, role: str) -> Participant:
    """Invite an attendee with the right to attend or speak, an expert or a presenter (R29)."""
    with transaction.atomic():
        return do_add_participant(
            check_add_participant(user, meeting_id, person_id, role), actor=user
        )


def check_notify_absence(
    user: Any, meeting_id: int, participant_id: int | None = None, note: str = ""
) -> PresenceCheck:
    meeting = lock_meeting(meeting_id)
    rules_ok = rules.can_run_attendance(user, meeting)
    if participant_id is None:
        own = rules.participant_of(user, meeting)
        if own is None:
            raise meeting_error("attendance.not_participant")
        participant_id = own.pk
    participant = lock_participant(meeting, participant_id)
    is_self = participant.person_id == getattr(rules.person_of(user), "pk", None)
    require(rules_ok or is_self, user, meeting)
    if meeting.status not in (MeetingStatus.DRAFT, *_ATTENDANCE_STATES):
        raise meeting_error("attendance.meeting_not_active")
    if participant.is_present:
        raise meeting_error("attendance.already_present")
    return PresenceCheck(meeting, participant, reason=(note or "").strip()[:300])


def do_notify_absence(check: PresenceCheck, *, actor: Any) -> Participant:
    p = check.participant
    p.absence = "notified"
    p.absence_note = check.reason
    p.save(update_fields=["absence", "absence_note"])
    # The note may hold health or family reasons: never in the audit data.
    record(actor, "attendance.absence_notified", meeting_obj(check.meeting), _participant_data(p))
    push(check.meeting, {"type": "attendance.changed", "participant": p.pk, "absent": True})
    return p


def notify_absence(
    user: Any, meeting_id: int, participant_id: int | None = None, note: str = ""
) -> Participant:
    """A member reports being prevented (*esteilmoitus*, R30); the secretary may record it."""
    with transaction.atomic():
        return do_notify_absence(
            check_notify_absence(user, meeting_id, participant_id, note), actor=user
        )


def check_confirm_identity(user: Any, meeting_id: int, participant_id: int) -> PresenceCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_run_attendance(user, meeting), user, meeting)
    _active(meeting)
    return PresenceCheck(meeting, lock_participant(meeting, participant_id))


def do_confirm_identity(check: PresenceCheck, *, actor: Any) -> Participant:
    p = check.participant
    p.identity_confirmed_at = now()
    p.identity_confirmed_by = actor
    fields = ["identity_confirmed_at", "identity_confirmed_by"]
    if p.connection_state == ConnectionState.REJOINED:
        p.connection_state = ConnectionState.CONNECTED  # re-verified after reconnection (R72)
        fields.append("connection_state")
    p.save(update_fields=fields)
    record(actor, "attendance.identity_confirmed", meeting_obj(check.meeting), _participant_data(p))
    push(check.meeting, {"type": "attendance.changed", "participant": p.pk})
    return p


def confirm_identity(user: Any, meeting_id: int, participant_id: int) -> Participant:
    """Chair or secretary confirms who a participant is (99 § 1 point, R5, R13)."""
    with transaction.atomic():
        return do_confirm_identity(
            check_confirm_identity(user, meeting_id, participant_id), actor=user
        )


# --- substitutes (R30) ------------------------------------------------------------------------


@dataclass
class SubstituteCheck:
    meeting: Meeting
    member: Participant
    substitute_membership: Membership
    existing: Participant | None


def substitute_membership_for(
    meeting: Meeting, member: Participant, substitute_membership_id: int | None
) -> Membership:
    """A personal substitute of the member (KL 31.3 §); the council's substitutes are not
    personal, any current substitute of the council may be called (in `substitute_order`)."""
    on = deadlines.local_date(meeting.starts_at)
    qs = Membership.objects.current(on).filter(body=meeting.body, role=MembershipRole.SUBSTITUTE)
    if not meeting.body.is_council:
        qs = qs.filter(substitute_for_id=member.membership_id)
    qs = qs.order_by("substitute_order", "pk")
    if substitute_membership_id:
        qs = qs.filter(pk=substitute_membership_id)
    chosen = qs.first()
    if chosen is None:
        raise meeting_error("attendance.not_personal_substitute")
    return chosen


def _member_participant(meeting: Meeting, participant_id: int) -> Participant:
    member = lock_participant(meeting, participant_id)
    if member.role != ParticipantRole.MEMBER or member.membership_id is None:
        raise meeting_error("attendance.not_a_member")
    return member


def check_invite_substitute(
    user: Any, meeting_id: int, member_participant_id: int,
    substitute_membership_id: int | None = None,
) -> SubstituteCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_run_attendance(user, meeting), user, meeting)
    if meeting.status not in (MeetingStatus.DRAFT, *_ATTENDANCE_STATES):
        raise meeting_error("attendance.meeting_not_active")
    member = _member_participant(meeting, member_participant_id)
    if member.is_present:
        raise meeting_error("attendance.substitute_member_present")
    sub_m = substitute_membership_for(meeting, member, substitute_membership_id)
    existing = (
        Participant.objects.select_for_update(of=("self",))
        .filter(meeting=meeting, person_id=sub_m.person_id)
        .first()
    )
    if existing is not None and existing.role != ParticipantRole.SUBSTITUTE:
        raise meeting_error("attendance.not_personal_substitute")
    if existing is not None and existing.acting_for_id not in (None, member.membership_id):
        raise meeting_error("attendance.seat_taken")
    other = Participant.objects.filter(
        meeting=meeting, role=ParticipantRole.SUBSTITUTE, acting_for_id=member.membership_id,
        item_scoped=False,
    ).exclude(person_id=sub_m.person_id)
    if other.exists():
        raise meeting_error("attendance.seat_taken")
    return SubstituteCheck(meeting, member, sub_m, existing)


def do_invite_substitute(check: SubstituteCheck, *, actor: Any) -> Participant:
    at = now()
    sub = check.existing or Participant(
        meeting=check.meeting, person_id=check.substitute_membership.person_id,
        role=ParticipantRole.SUBSTITUTE,
    )
    sub.membership = check.substitute_membership
    sub.acting_for_id = check.member.membership_id
    sub.item_scoped = False
    sub.invited_at = at
    sub.save()
    NoticeDelivery.objects.create(
        meeting=check.meeting, person_id=sub.person_id,
        email=(sub.person.user.email if sub.person.user_id else ""),
        kind=NoticeDelivery.Kind.SUBSTITUTE, recipient_role="substitute", sent_at=at,
    )
    record(
        actor, "attendance.substitute_invited", meeting_obj(check.meeting),
        {**_participant_data(sub), "member_participant_id": check.member.pk},
    )
    _queue_invitation(check.meeting, sub)
    push(check.meeting, {"type": "attendance.changed", "participant": sub.pk})
    return sub


def invite_substitute(
    user: Any, meeting_id: int, member_participant_id: int,
    substitute_membership_id: int | None = None,
) -> Participant:
    """Call the member's personal substitute for the whole meeting (R30)."""
    with transaction.atomic():
        return do_invite_substitute(
            check_invite_substitute(user, meeting_id, member_participant_id,
                                    substitute_membership_id),
            actor=user,
        )


def _queue_invitation(meeting: Meeting, sub: Participant) -> None:
    from django.conf import settings
    from django.core import mail
    from django.template.loader import render_to_string
    from django.utils import translation

    email = sub.person.user.email if sub.person.user_id else ""
    if not email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        from meetings.services.notice import _meeting_url

        body = render_to_string(
            "meetings/email/substitute.txt",
            {"meeting": meeting, "participant": sub, "url": _meeting_url(meeting)},
        )
        subject = translation.gettext("Varajäsenen kutsu: %(name)s") % {
            "name": f"{meeting.body.name_fi} {meeting.number}/{meeting.year}"
        }
    message = mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    transaction.on_commit(lambda: message.send(fail_silently=True))


def check_release_substitute(user: Any, meeting_id: int, participant_id: int) -> PresenceCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_run_attendance(user, meeting), user, meeting)
    sub = lock_participant(meeting, participant_id)
    if sub.role != ParticipantRole.SUBSTITUTE or sub.acting_for_id is None:
        raise meeting_error("attendance.not_acting_substitute")
    return PresenceCheck(meeting, sub)


def do_release_substitute(check: PresenceCheck, *, actor: Any) -> Participant:
    sub, at = check.participant, now()
    seat = sub.acting_for_id
    PresenceInterval.objects.filter(participant=sub, ended_at__isnull=True).update(
        ended_at=at, end_reason="released"
    )
    sub.is_present = False
    sub.acting_for = None
    sub.item_scoped = False
    sub.save(update_fields=["is_present", "acting_for", "item_scoped"])
    record(
        actor, "attendance.substitute_released", meeting_obj(check.meeting),
        {**_participant_data(sub), "seat_id": seat},
    )
    push(check.meeting, {"type": "attendance.changed", "participant": sub.pk, "present": False})
    return sub


def release_substitute(user: Any, meeting_id: int, participant_id: int) -> Participant:
    """The substitute stops acting (the member has arrived): departure recorded."""
    with transaction.atomic():
        return do_release_substitute(
            check_release_substitute(user, meeting_id, participant_id), actor=user
        )


# --- roll call (R73) --------------------------------------------------------------------------


def roll_call(user: Any, meeting_id: int, item_id: int | None = None) -> Any:
    """State who is present now and the quorum finding, for the meeting or an item (R35, R73)."""
    from meetings.services.meeting import _roll_call

    with transaction.atomic():
        meeting = lock_meeting(meeting_id)
        require(
            rules.can_run_attendance(user, meeting) or rules.is_chair(user, meeting), user, meeting
        )
        if not lifecycle.meeting_is_active(meeting.status):
            raise meeting_error("meeting.not_in_session")
        item = None
        if item_id is not None:
            item = meeting.items.filter(pk=item_id).first()
            if item is None:
                raise meeting_error("agenda.item_not_found")
        finding = presence.item_quorum(item) if item else presence.meeting_quorum(meeting)
        call = _roll_call(meeting, "item" if item else "check", finding, user, now(), item)
        record(
            user, "attendance.roll_call", meeting_obj(meeting),
            {"roll_call_id": call.pk, "item_id": item.pk if item else 0,
             **presence.finding_as_data(finding)},
        )
        push(meeting, {"type": "attendance.roll_call", "quorate": finding.quorate})
        return call
