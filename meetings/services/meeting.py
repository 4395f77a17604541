"""Meetings and their lifecycle: create, change, open, suspend, resume, close (R1, R5–R10, R35).

Every transition is a `MeetingTransition` row (who, when, why) and an audit entry, written in
the same transaction, with the table of allowed transitions in `meetings.lifecycle`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max

from meetings import deadlines, lifecycle, presence, rules
from meetings.errors import meeting_error
from meetings.models import (
    AgendaItem,
    Body,
    ItemStatus,
    Meeting,
    MeetingMethod,
    MeetingStatus,
    MeetingTransition,
    Membership,
    MembershipPosition,
    Person,
    PresenceInterval,
    RollCall,
    StaffRoleKind,
)
from meetings.services._common import (
    checkpoint_on_commit,
    get_body,
    iso,
    lock_meeting,
    meeting_obj,
    now,
    push,
    record,
    require,
)

MEETING_FIELDS = ("starts_at", "place", "method", "video_url", "is_public", "public_viewing")


# --- transitions (also used by the minutes app: check_minutes, publish) ------------------------


def check_transition(meeting: Meeting, event: str) -> lifecycle.MeetingState:
    try:
        return lifecycle.next_meeting_state(meeting.status, event)
    except lifecycle.IllegalTransition:
        raise meeting_error(
            "meeting.illegal_transition", state=meeting.status, event=str(event)
        ) from None


def do_transition_meeting(
    meeting: Meeting, event: str, *, actor: Any, reason: str = "", at: dt.datetime | None = None
) -> MeetingTransition:
    """Move a locked `meeting` by `event`, recording who and when (R78). Callers audit the
    domain action themselves; this writes the transition row."""
    to = check_transition(meeting, event)
    at = at or now()
    transition = MeetingTransition.objects.create(
        meeting=meeting, from_status=meeting.status, to_status=to, event=str(event),
        actor=actor if getattr(actor, "is_authenticated", False) else None, at=at,
        reason=reason[:500],
    )
    meeting.status = to
    meeting.save(update_fields=["status"])
    return transition


# --- create -----------------------------------------------------------------------------------


@dataclass
class MeetingFieldsCheck:
    body: Body
    fields: dict[str, Any]
    chair: Person | None = None
    secretary: Person | None = None
    pending_transfers: list[int] = field(default_factory=list)


def _validate_fields(body: Body, fields: dict[str, Any], *, require_future: bool = True) -> None:
    starts_at = fields["starts_at"]
    if starts_at is None or (require_future and starts_at <= now()):
        raise meeting_error("meeting.starts_in_past")
    method = fields["method"]
    if method not in MeetingMethod.values:
        raise meeting_error("meeting.method_not_allowed")
    # The administrative rule must authorise the form on the meeting's date (R2).
    if not body.allows(method, on=deadlines.local_date(starts_at)):
        raise meeting_error("meeting.method_not_allowed")
    if method in (MeetingMethod.ELECTRONIC, MeetingMethod.HYBRID) and not fields["video_url"]:
        raise meeting_error("meeting.video_url_required")
    if body.is_council and not fields["is_public"]:
        raise meeting_error("meeting.council_is_public")


def _normalise(body: Body, raw: dict[str, Any]) -> dict[str, Any]:
    is_public = raw.get("is_public")
    fields = {
        "starts_at": raw.get("starts_at"),
        "place": (raw.get("place") or "").strip()[:200],
        "method": raw.get("method") or MeetingMethod.IN_PERSON,
        "video_url": (raw.get("video_url") or body.video_url or "").strip(),
        # Council meetings are public (KL 101.1 §); other bodies decide (101.3 §).
        "is_public": body.is_council if is_public is None else bool(is_public),
        "public_viewing": (raw.get("public_viewing") or "").strip()[:300],
    }
    if fields["method"] == MeetingMethod.IN_PERSON and raw.get("video_url") is None:
        fields["video_url"] = ""
    return fields


def check_create_meeting(user: Any, body_id: int, **raw: Any) -> MeetingFieldsCheck:
    body = get_body(body_id)
    if not rules.is_staff_for(user, body, [StaffRoleKind.SECRETARY, StaffRoleKind.ADMINISTRATOR]):
        raise meeting_error("meeting.forbidden")
    fields = _normalise(body, raw)
    _validate_fields(body, fields)
    chair_membership = (
        Membership.objects.current(deadlines.local_date(fields["starts_at"]))
        .filter(body=body, position=MembershipPosition.CHAIR)
        .select_related("person")
        .first()
    )
    secretary = rules.person_of(user)
    if not rules.is_staff_for(user, body, [StaffRoleKind.SECRETARY]):
        secretary = None
    return MeetingFieldsCheck(
        body=body,
        fields=fields,
        chair=chair_membership.person if chair_membership else None,
        secretary=secretary,
    )


def do_create_meeting(check: MeetingFieldsCheck, *, actor: Any) -> Meeting:
    # Lock the body so that two secretaries never get the same running number.
    body = Body.objects.select_for_update(of=("self",)).get(pk=check.body.pk)
    year = deadlines.local_date(check.fields["starts_at"]).year
    last = Meeting.objects.filter(body=body, year=year).aggregate(n=Max("number"))["n"] or 0
    meeting = Meeting.objects.create(
        body=body, year=year, number=last + 1, chair=check.chair, secretary=check.secretary,
        **check.fields,
    )
    record(
        actor, "meeting.created", meeting_obj(meeting),
        {
            "body_id": body.pk, "year": year, "number": meeting.number,
            "starts_at": iso(meeting.starts_at), "method": meeting.method,
            "is_public": 1 if meeting.is_public else 0,
        },
    )
    # Matters transferred from the § 100 procedure while no meeting existed (R18).
    from meetings.services.e_procedure import do_attach_pending_transfers

    do_attach_pending_transfers(meeting, actor=actor)
    return meeting


def create_meeting(user: Any, body_id: int, **fields: Any) -> Meeting:
    """Create a draft meeting with the next running number of the body and year."""
    with transaction.atomic():
        return do_create_meeting(check_create_meeting(user, body_id, **fields), actor=user)


# --- change -----------------------------------------------------------------------------------


@dataclass
class UpdateMeetingCheck:
    meeting: Meeting
    changes: dict[str, Any]
    amendment_reason: str


def check_update_meeting(
    user: Any, meeting_id: int, *, amendment_reason: str = "", **raw: Any
) -> UpdateMeetingCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_manage_meeting(user, meeting), user, meeting)
    mode = lifecycle.agenda_edit_mode(meeting.status)
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.CONVENED):
        raise meeting_error("meeting.illegal_transition", state=meeting.status, event="edit")
    current = {f: getattr(meeting, f) for f in MEETING_FIELDS}
    merged = {**current, **{k: v for k, v in raw.items() if k in MEETING_FIELDS}}
    fields = _normalise(meeting.body, merged)
    if "video_url" in raw:
        fields["video_url"] = (raw["video_url"] or "").strip()
    _validate_fields(meeting.body, fields, require_future=fields["starts_at"] != meeting.starts_at)
    changes = {k: v for k, v in fields.items() if v != current[k]}
    reason = (amendment_reason or "").strip()
    if changes and mode is lifecycle.AgendaEdit.AMENDMENT and not reason:
        raise meeting_error("agenda.amendment_required")
    return UpdateMeetingCheck(meeting=meeting, changes=changes, amendment_reason=reason)


def do_update_meeting(check: UpdateMeetingCheck, *, actor: Any) -> Meeting:
    meeting = check.meeting
    if not check.changes:
        return meeting
    for name, value in check.changes.items():
        setattr(meeting, name, value)
    meeting.save(update_fields=list(check.changes))
    data = {
        "fields": sorted(check.changes),
        "starts_at": iso(meeting.starts_at),
    }
    if meeting.status != MeetingStatus.DRAFT:
        from meetings.services.agenda import do_record_amendment

        amendment = do_record_amendment(
            meeting, None, "meeting_changed", check.amendment_reason, actor=actor
        )
        data["amendment_id"] = amendment.pk
    record(actor, "meeting.updated", meeting_obj(meeting), data)
    push(meeting, {"type": "meeting.updated", "meeting": meeting.pk})
    return meeting


def update_meeting(user: Any, meeting_id: int, **fields: Any) -> Meeting:
    """Change time, place or form; after the notice only as a recorded amendment (R25)."""
    with transaction.atomic():
        return do_update_meeting(check_update_meeting(user, meeting_id, **fields), actor=user)


# --- open / suspend / resume / close ----------------------------------------------------------


@dataclass
class OpenMeetingCheck:
    meeting: Meeting
    legality_finding: str
    finding: Any


def check_open_meeting(user: Any, meeting_id: int, legality_finding: str) -> OpenMeetingCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.is_chair(user, meeting), user, meeting)
    check_transition(meeting, lifecycle.MeetingEvent.OPEN)
    text = (legality_finding or "").strip()
    if not text:
        raise meeting_error("meeting.legality_finding_required")
    # The chair's finding of quorum (R35, R76): without quorum the meeting cannot be held.
    finding = presence.meeting_quorum(meeting)
    if not finding.quorate:
        raise meeting_error(
            "meeting.no_quorum", present=finding.present_count, required=finding.required
        )
    return OpenMeetingCheck(meeting=meeting, legality_finding=text, finding=finding)


def do_open_meeting(check: OpenMeetingCheck, *, actor: Any) -> Meeting:
    meeting = check.meeting
    at = now()
    do_transition_meeting(meeting, lifecycle.MeetingEvent.OPEN, actor=actor, at=at)
    meeting.opened_at = at
    meeting.legality_finding = check.legality_finding
    meeting.save(update_fields=["opened_at", "legality_finding"])
    roll_call = _roll_call(meeting, "opening", check.finding, actor, at)
    record(
        actor, "meeting.opened", meeting_obj(meeting),
        {
            "legality_finding": check.legality_finding,
            "roll_call_id": roll_call.pk,
            **presence.finding_as_data(check.finding),
        },
    )
    checkpoint_on_commit()
    push(meeting, {"type": "meeting.opened", "meeting": meeting.pk})
    return meeting


def open_meeting(user: Any, meeting_id: int, legality_finding: str) -> Meeting:
    """The chair opens the meeting and states legality and quorum (R35, R73, R76)."""
    with transaction.atomic():
        return do_open_meeting(check_open_meeting(user, meeting_id, legality_finding), actor=user)


def _roll_call(
    meeting: Meeting, kind: str, finding: Any, actor: Any, at: dt.datetime,
    item: AgendaItem | None = None,
) -> RollCall:
    present_ids = list(
        meeting.participants.filter(is_present=True, removed=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return RollCall.objects.create(
        meeting=meeting, item=item, kind=kind, at=at,
        taken_by=actor if getattr(actor, "is_authenticated", False) else None,
        present_participant_ids=present_ids, required=finding.required,
        present_count=finding.present_count, quorate=finding.quorate,
    )


@dataclass
class SimpleTransitionCheck:
    meeting: Meeting
    reason: str


def check_suspend_meeting(user: Any, meeting_id: int, reason: str) -> SimpleTransitionCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.is_chair(user, meeting), user, meeting)
    check_transition(meeting, lifecycle.MeetingEvent.SUSPEND)
    if not (reason or "").strip():
        raise meeting_error("meeting.reason_required")
    return SimpleTransitionCheck(meeting, reason.strip())


def do_suspend_meeting(check: SimpleTransitionCheck, *, actor: Any) -> Meeting:
    meeting = check.meeting
    do_transition_meeting(
        meeting, lifecycle.MeetingEvent.SUSPEND, actor=actor, reason=check.reason
    )
    record(actor, "meeting.suspended", meeting_obj(meeting), {"reason": check.reason})
    push(meeting, {"type": "meeting.suspended", "meeting": meeting.pk})
    return meeting


def suspend_meeting(user: Any, meeting_id: int, reason: str) -> Meeting:
    """KL 102.1 §: the chair suspends on disorder or a technical failure (R10, R72)."""
    with transaction.atomic():
        return do_suspend_meeting(check_suspend_meeting(user, meeting_id, reason), actor=user)


def check_resume_meeting(user: Any, meeting_id: int) -> SimpleTransitionCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.is_chair(user, meeting), user, meeting)
    check_transition(meeting, lifecycle.MeetingEvent.RESUME)
    return SimpleTransitionCheck(meeting, "")


def do_resume_meeting(check: SimpleTransitionCheck, *, actor: Any) -> Meeting:
    meeting = check.meeting
    at = now()
    do_transition_meeting(meeting, lifecycle.MeetingEvent.RESUME, actor=actor, at=at)
    # Roll call after a break (R73); a resumed meeting without quorum cannot decide (R35).
    finding = presence.meeting_quorum(meeting)
    roll_call = _roll_call(meeting, "resume", finding, actor, at)
    record(
        actor, "meeting.resumed", meeting_obj(meeting),
        {"roll_call_id": roll_call.pk, **presence.finding_as_data(finding)},
    )
    push(meeting, {"type": "meeting.resumed", "meeting": meeting.pk})
    return meeting


def resume_meeting(user: Any, meeting_id: int) -> Meeting:
    with transaction.atomic():
        return do_resume_meeting(check_resume_meeting(user, meeting_id), actor=user)


def check_close_meeting(user: Any, meeting_id: int, reason: str = "") -> SimpleTransitionCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.is_chair(user, meeting), user, meeting)
    check_transition(meeting, lifecycle.MeetingEvent.CLOSE)
    return SimpleTransitionCheck(meeting, (reason or "").strip())


def do_close_meeting(check: SimpleTransitionCheck, *, actor: Any) -> Meeting:
    meeting = check.meeting
    at = now()
    do_transition_meeting(
        meeting, lifecycle.MeetingEvent.CLOSE, actor=actor, reason=check.reason, at=at
    )
    meeting.closed_at = at
    meeting.current_item = None
    meeting.save(update_fields=["closed_at", "current_item"])
    # Items still under handling end with the meeting (their attendance is measured until now).
    unfinished = list(
        meeting.items.filter(opened_at__isnull=False, closed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    meeting.items.filter(pk__in=unfinished).update(closed_at=at)
    ended = PresenceInterval.objects.filter(
        participant__meeting=meeting, ended_at__isnull=True
    ).update(ended_at=at, end_reason="meeting_closed")
    meeting.participants.filter(is_present=True).update(is_present=False)
    record(
        actor, "meeting.closed", meeting_obj(meeting),
        {
            "reason": check.reason,
            "unfinished_item_ids": unfinished,
            "open_presence_intervals_ended": ended,
            "pending_item_ids": list(
                meeting.items.filter(status=ItemStatus.PENDING).values_list("pk", flat=True)
            ),
        },
    )
    checkpoint_on_commit()
    push(meeting, {"type": "meeting.closed", "meeting": meeting.pk})
    return meeting


def close_meeting(user: Any, meeting_id: int, reason: str = "") -> Meeting:
    """The chair ends the meeting (R10, R76); open presence intervals end now."""
    with transaction.atomic():
        return do_close_meeting(check_close_meeting(user, meeting_id, reason), actor=user)
