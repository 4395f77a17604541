"""Disqualification (*esteellisyys*, HL 27–29 §, KL 97 §, R36–R39) and per-item substitutes.

A person declares disqualification in an item with a ground from HL 28 §; from that moment the
person no longer decides in the item, does not count for its quorum and no longer sees its
confidential documents (R37, `rules.can_view_item`), unless the body rejects the declaration
(HL 29 §, R38). A substitute may be called for that item only (R30).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from meetings import lifecycle, presence, rules
from meetings.errors import meeting_error
from meetings.models import (
    AgendaItem,
    Disqualification,
    DisqualificationGround,
    ItemSubstitution,
    Meeting,
    MeetingStatus,
    Participant,
    ParticipantRole,
    PresenceInterval,
)
from meetings.services._common import (
    item_obj,
    lock_item,
    lock_meeting,
    lock_participant,
    now,
    push,
    record,
    require,
)
from meetings.services.attendance import substitute_membership_for


@dataclass
class DeclareCheck:
    item: AgendaItem
    meeting: Meeting
    participant: Participant
    ground: str
    explanation: str


def check_declare_disqualification(
    user: Any, item_id: int, ground: str, explanation: str = "",
    participant_id: int | None = None,
) -> DeclareCheck:
    item = lock_item(item_id)
    meeting = lock_meeting(item.meeting_id)
    if participant_id is None:
        own = rules.participant_of(user, meeting)
        if own is None:
            raise meeting_error("attendance.not_participant")
        participant_id = own.pk
    participant = lock_participant(meeting, participant_id)
    is_self = participant.person_id == getattr(rules.person_of(user), "pk", None)
    require(is_self or rules.can_run_attendance(user, meeting), user, meeting)
    if lifecycle.agenda_edit_mode(meeting.status) is lifecycle.AgendaEdit.LOCKED:
        raise meeting_error("agenda.locked")
    if lifecycle.is_terminal_item_state(item.status):
        raise meeting_error("agenda.item_not_editable")
    if ground not in DisqualificationGround.values:
        raise meeting_error("disqualification.bad_ground")
    if item.disqualifications.filter(participant=participant).exists():
        raise meeting_error("disqualification.already_declared")
    return DeclareCheck(item, meeting, participant, ground, (explanation or "").strip()[:500])


def do_declare_disqualification(check: DeclareCheck, *, actor: Any) -> Disqualification:
    disq = Disqualification.objects.create(
        item=check.item, participant=check.participant, ground=check.ground,
        explanation=check.explanation, declared_at=now(),
        declared_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    finding = presence.item_quorum(check.item)  # re-checked at once (R38)
    record(
        actor, "disqualification.declared", item_obj(check.item),
        {
            "disqualification_id": disq.pk, "participant_id": check.participant.pk,
            "person_id": check.participant.person_id, "ground": check.ground,
            **presence.finding_as_data(finding),
        },
    )
    push(check.meeting, {
        "type": "disqualification.declared", "item": check.item.pk,
        "participant": check.participant.pk, "quorate": finding.quorate,
    })
    return disq


def declare_disqualification(
    user: Any, item_id: int, ground: str, explanation: str = "",
    participant_id: int | None = None,
) -> Disqualification:
    """Declare oneself (or record a declaration) disqualified in an item (KL 97 §, R36–R39)."""
    with transaction.atomic():
        return do_declare_disqualification(
            check_declare_disqualification(user, item_id, ground, explanation, participant_id),
            actor=user,
        )


@dataclass
class DecideCheck:
    disqualification: Disqualification
    meeting: Meeting
    accepted: bool


def check_decide_disqualification(
    user: Any, disqualification_id: int, accepted: bool
) -> DecideCheck:
    disq = (
        Disqualification.objects.select_for_update(of=("self",))
        .select_related("item", "participant")
        .filter(pk=disqualification_id)
        .first()
    )
    if disq is None:
        raise meeting_error("disqualification.not_found")
    meeting = lock_meeting(disq.item.meeting_id)
    require(rules.is_chair(user, meeting) or rules.can_run_attendance(user, meeting), user, meeting)
    if disq.body_decision:
        raise meeting_error("disqualification.already_decided")
    return DecideCheck(disq, meeting, bool(accepted))


def do_decide_disqualification(check: DecideCheck, *, actor: Any) -> Disqualification:
    disq = check.disqualification
    disq.body_decision = "accepted" if check.accepted else "rejected"
    disq.decided_at = now()
    disq.decided_by = actor
    disq.save(update_fields=["body_decision", "decided_at", "decided_by"])
    finding = presence.item_quorum(disq.item)
    record(
        actor, "disqualification.decided", item_obj(disq.item),
        {
            "disqualification_id": disq.pk, "participant_id": disq.participant_id,
            "decision": disq.body_decision, **presence.finding_as_data(finding),
        },
    )
    push(check.meeting, {"type": "disqualification.decided", "item": disq.item_id,
                         "decision": disq.body_decision})
    return disq


def decide_disqualification(
    user: Any, disqualification_id: int, accepted: bool
) -> Disqualification:
    """Record the body's decision on a disqualification (HL 29 §, R38)."""
    with transaction.atomic():
        return do_decide_disqualification(
            check_decide_disqualification(user, disqualification_id, accepted), actor=user
        )


# --- a substitute for one item (R30) ----------------------------------------------------------


@dataclass
class ItemSubstituteCheck:
    item: AgendaItem
    meeting: Meeting
    member: Participant
    substitute_membership: Any
    existing: Participant | None
    check_in: bool


def check_call_item_substitute(
    user: Any, item_id: int, member_participant_id: int,
    substitute_membership_id: int | None = None, check_in: bool = True,
) -> ItemSubstituteCheck:
    item = lock_item(item_id)
    meeting = lock_meeting(item.meeting_id)
    require(rules.can_run_attendance(user, meeting), user, meeting)
    if meeting.status not in (MeetingStatus.CONVENED, MeetingStatus.IN_SESSION,
                              MeetingStatus.SUSPENDED):
        raise meeting_error("attendance.meeting_not_active")
    if lifecycle.is_terminal_item_state(item.status):
        raise meeting_error("agenda.item_not_editable")
    member = lock_participant(meeting, member_participant_id)
    if member.role != ParticipantRole.MEMBER or member.membership_id is None:
        raise meeting_error("attendance.not_a_member")
    disqualified = (
        item.disqualifications.filter(participant=member).exclude(body_decision="rejected").exists()
    )
    if member.is_present and not disqualified:
        raise meeting_error("attendance.substitute_member_present")
    if item.substitutions.filter(member=member).exists():
        raise meeting_error("attendance.seat_taken")
    sub_m = substitute_membership_for(meeting, member, substitute_membership_id)
    existing = (
        Participant.objects.select_for_update(of=("self",))
        .filter(meeting=meeting, person_id=sub_m.person_id)
        .first()
    )
    if existing is not None and (
        existing.role != ParticipantRole.SUBSTITUTE
        or existing.acting_for_id not in (None, member.membership_id)
        or (existing.acting_for_id is not None and not existing.item_scoped)
    ):
        raise meeting_error("attendance.seat_taken")
    return ItemSubstituteCheck(item, meeting, member, sub_m, existing, bool(check_in))


def do_call_item_substitute(check: ItemSubstituteCheck, *, actor: Any) -> ItemSubstitution:
    at = now()
    sub = check.existing or Participant(
        meeting=check.meeting, person_id=check.substitute_membership.person_id,
        role=ParticipantRole.SUBSTITUTE,
    )
    sub.membership = check.substitute_membership
    sub.acting_for_id = check.member.membership_id
    sub.item_scoped = True
    sub.invited_at = sub.invited_at or at
    if check.check_in and not sub.is_present:
        sub.is_present = True
        sub.save()
        PresenceInterval.objects.create(participant=sub, started_at=at, start_reason="arrived")
    else:
        sub.save()
    substitution = ItemSubstitution.objects.create(
        item=check.item, substitute=sub, member=check.member,
        created_by=actor if getattr(actor, "is_authenticated", False) else None, created_at=at,
    )
    finding = presence.item_quorum(check.item)
    record(
        actor, "attendance.item_substitute_called", item_obj(check.item),
        {
            "substitution_id": substitution.pk, "member_participant_id": check.member.pk,
            "substitute_participant_id": sub.pk, "substitute_person_id": sub.person_id,
            "seat_id": check.member.membership_id, **presence.finding_as_data(finding),
        },
    )
    push(check.meeting, {"type": "attendance.changed", "participant": sub.pk,
                         "item": check.item.pk, "quorate": finding.quorate})
    return substitution


def call_item_substitute(
    user: Any, item_id: int, member_participant_id: int,
    substitute_membership_id: int | None = None, check_in: bool = True,
) -> ItemSubstitution:
    """A substitute acts for a disqualified (or absent) member in this item only (R30, R37)."""
    with transaction.atomic():
        return do_call_item_substitute(
            check_call_item_substitute(user, item_id, member_participant_id,
                                       substitute_membership_id, check_in),
            actor=user,
        )
