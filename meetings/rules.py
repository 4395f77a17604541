"""Authorisation predicates, in one place (TiHL 16 §, R63; issue: "authorisation in one place").

Selectors, services, views, consumers and templates ask these. Access follows a current
membership of the body or a current staff role, and ends with the term.
"""

from __future__ import annotations

from typing import Any

from meetings.models import (
    AgendaItem,
    Attachment,
    Body,
    Disqualification,
    EPosition,
    EProcedureAnswer,
    ItemMethod,
    Meeting,
    Membership,
    MembershipRole,
    Participant,
    ParticipantRole,
    Publicity,
    StaffRole,
    StaffRoleKind,
)
from meetings.models.organisation import today


def person_of(user: Any) -> Any:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "person", None)


def current_memberships(user: Any, body: Body | None = None) -> Any:
    person = person_of(user)
    if person is None:
        return Membership.objects.none()
    qs = Membership.objects.current().filter(person=person)
    return qs.filter(body=body) if body is not None else qs


def current_staff_roles(user: Any, body: Body | None = None, roles: list[str] | None = None) -> Any:
    person = person_of(user)
    if person is None:
        return StaffRole.objects.none()
    qs = StaffRole.objects.current().filter(person=person)
    if roles:
        qs = qs.filter(role__in=roles)
    if body is not None:
        # A municipality-wide role covers every body of that municipality.
        from django.db.models import Q

        qs = qs.filter(Q(body=body) | Q(body__isnull=True, municipality_id=body.municipality_id))
    return qs


def is_body_member(user: Any, body: Body) -> bool:
    return current_memberships(user, body).exists()


def is_staff_for(user: Any, body: Body, roles: list[str] | None = None) -> bool:
    return current_staff_roles(user, body, roles).exists()


def can_view_body(user: Any, body: Body) -> bool:
    return is_body_member(user, body) or is_staff_for(user, body)


def can_view_meeting(user: Any, meeting: Meeting) -> bool:
    """Members and staff of the body; and people invited to this meeting in another role
    (acting substitute, presenter, attendee with the right to attend, expert: R26, R29) until
    its minutes are published — a former member's old participation gives no access (R63)."""
    if can_view_body(user, meeting.body):
        return True
    person = person_of(user)
    if person is None or meeting.status in ("draft", "published"):
        return False
    return (
        Participant.objects.filter(meeting=meeting, person=person, removed=False)
        .exclude(role=ParticipantRole.MEMBER)
        .exclude(role=ParticipantRole.SUBSTITUTE, acting_for__isnull=True)
        .exists()
    )


def can_manage_meeting(user: Any, meeting: Meeting) -> bool:
    """Secretary or administrator of the body (prepares agendas, sends notices, R77)."""
    return is_staff_for(
        user, meeting.body, [StaffRoleKind.SECRETARY, StaffRoleKind.ADMINISTRATOR]
    )


def is_chair(user: Any, meeting: Meeting) -> bool:
    person = person_of(user)
    return person is not None and meeting.chair_id == person.pk


def is_auditor(user: Any, municipality_id: int | None = None) -> bool:
    qs = current_staff_roles(user, roles=[StaffRoleKind.AUDITOR])
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    return qs.exists()


def has_any_role(user: Any) -> bool:
    return current_memberships(user).exists() or current_staff_roles(user).exists()


def is_body_full_member(user: Any, body: Body) -> bool:
    """A current (not substitute) member of the body."""
    return current_memberships(user, body).filter(role=MembershipRole.MEMBER).exists()


def can_manage_agenda(user: Any, meeting: Meeting) -> bool:
    """Builds the agenda, sends notices, runs attendance: secretary or administrator (R77)."""
    return can_manage_meeting(user, meeting)


def can_edit_proposal(user: Any, item: AgendaItem) -> bool:
    """The presenter of the item, a presenter of the body, or the secretary (R31, R32)."""
    person = person_of(user)
    if person is not None and item.presenter_id == person.pk:
        return True
    return can_manage_meeting(user, item.meeting) or is_staff_for(
        user, item.meeting.body, [StaffRoleKind.PRESENTER]
    )


def can_run_attendance(user: Any, meeting: Meeting) -> bool:
    """Check-in, absences, substitutes, identity checks: secretary or chair (R5 1 point, R77)."""
    return can_manage_meeting(user, meeting) or is_chair(user, meeting)


def participant_of(user: Any, meeting: Meeting) -> Participant | None:
    person = person_of(user)
    if person is None:
        return None
    return Participant.objects.filter(meeting=meeting, person=person, removed=False).first()


def may_receive_closed_documents(user: Any, meeting: Meeting) -> bool:
    """Whether the user gets the member version of non-public items of this meeting (R26, R65).

    Members, staff of the body, and people invited to this meeting (an acting substitute, the
    presenter, an attendee with the right to attend). A substitute who only receives the notice
    for information sees the public parts until invited (R29, R30).
    """
    if is_body_full_member(user, meeting.body) or is_staff_for(user, meeting.body):
        return True
    participant = participant_of(user, meeting)
    if participant is None:
        return False
    if participant.role == ParticipantRole.SUBSTITUTE:
        return participant.acting_for_id is not None
    return True


def is_disqualified_for(user: Any, item: AgendaItem) -> bool:
    """Declared disqualified in the item (not rejected by the body), in the meeting or in the
    § 100 procedure (HL 27–28 §, R37): confidential documents of the item are withdrawn."""
    person = person_of(user)
    if person is None:
        return False
    if (
        Disqualification.objects.filter(item=item, participant__person=person)
        .exclude(body_decision="rejected")
        .exists()
    ):
        return True
    latest = (
        EProcedureAnswer.objects.filter(item=item, person=person).order_by("-answered_at", "-pk")
        .values_list("position", flat=True)
        .first()
    )
    return latest == EPosition.DISQUALIFIED


def can_view_item(user: Any, item: AgendaItem) -> bool:
    """Whether the user sees the *member version* of the item (full description, proposal,
    confidential parts). Others who may see the meeting get the public version (R27)."""
    if not can_view_meeting(user, item.meeting):
        return False
    if item.publicity == Publicity.PUBLIC and item.method != ItemMethod.E_PROCEDURE:
        return True
    if item.publicity != Publicity.PUBLIC and is_disqualified_for(user, item):
        return False
    if item.method == ItemMethod.E_PROCEDURE and item.publicity == Publicity.PUBLIC:
        # § 100 matters are handled closed: members and authorised staff only (R15).
        return may_receive_closed_documents(user, item.meeting) or (
            item.meeting.body.e_procedure_substitute_may_answer
            and current_memberships(user, item.meeting.body).exists()
        )
    return may_receive_closed_documents(user, item.meeting)


def can_view_attachment(user: Any, attachment: Attachment) -> bool:
    """Public attachments follow the item; others need the member version and no
    disqualification in the item (R27, R37, R63)."""
    item = attachment.item
    if attachment.publicity == Publicity.PUBLIC and item.publicity == Publicity.PUBLIC:
        return can_view_item(user, item)
    if is_disqualified_for(user, item):
        return False
    return can_view_item(user, item)


def is_public_item(item: AgendaItem) -> bool:
    """Whether the item appears with its public text in the published agenda (R27)."""
    return item.meeting.agenda_published_at is not None and item.status != "withdrawn"


def is_public_attachment(attachment: Attachment) -> bool:
    """Published online: a public attachment of a public item of a published agenda (R27)."""
    item = attachment.item
    return (
        is_public_item(item)
        and attachment.publicity == Publicity.PUBLIC
        and item.publicity == Publicity.PUBLIC
        and item.method != ItemMethod.E_PROCEDURE
    )


__all__ = ["today"]


def is_log_auditor(user: Any) -> bool:
    """An auditor of the municipality whose audit log this installation keeps (R64, R78).

    There is one log per installation, named by `AUDIT_LOG_ORIGIN`; an auditor of another
    municipality on the same installation must not read it.
    """
    from django.conf import settings

    return (
        current_staff_roles(user, roles=[StaffRoleKind.AUDITOR])
        .filter(municipality__audit_origin=settings.AUDIT_LOG_ORIGIN)
        .exists()
    )
