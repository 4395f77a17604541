"""Reads for pages: each selector takes the requesting user and returns only what they may see.

Reads that show § 100 items first apply due deadlines (each in its own short transaction), so
a deadline takes effect even if the scheduler has not run (KL 100.2 §, R17, R18).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from meetings import documents, presence, rules
from meetings.errors import meeting_error
from meetings.models import (
    AgendaItem,
    Body,
    EProcedureAnswer,
    ItemMethod,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Municipality,
    Participant,
    ParticipantRole,
    StaffRoleKind,
)

UPCOMING_STATES = [MeetingStatus.CONVENED, MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED]


def public_municipalities() -> QuerySet[Municipality]:
    return Municipality.objects.order_by("name_fi")


def bodies_for(user: Any) -> QuerySet[Body]:
    member_of = rules.current_memberships(user).values("body_id")
    staff = rules.current_staff_roles(user)
    body_ids = set(member_of.values_list("body_id", flat=True))
    body_ids |= {b for b in staff.values_list("body_id", flat=True) if b}
    municipality_wide = staff.filter(body__isnull=True).values_list("municipality_id", flat=True)
    return Body.objects.filter(pk__in=body_ids) | Body.objects.filter(
        municipality_id__in=list(municipality_wide)
    )


def managed_bodies_for(user: Any) -> list[Body]:
    """Bodies whose meetings the user prepares (secretary or administrator, R77)."""
    return [
        b for b in bodies_for(user).select_related("municipality").order_by("name_fi")
        if rules.is_staff_for(user, b, [StaffRoleKind.SECRETARY, StaffRoleKind.ADMINISTRATOR])
    ]


def _invited_meeting_ids(user: Any) -> QuerySet[Participant]:
    """Meetings the user is invited to in a role other than member (`rules.can_view_meeting`)."""
    person = rules.person_of(user)
    if person is None:
        return Participant.objects.none().values("meeting_id")
    return (
        Participant.objects.filter(person=person, removed=False)
        .exclude(role=ParticipantRole.MEMBER)
        .exclude(role=ParticipantRole.SUBSTITUTE, acting_for__isnull=True)
        .exclude(meeting__status=MeetingStatus.PUBLISHED)
        .values("meeting_id")
    )


def meetings_for(user: Any) -> QuerySet[Meeting]:
    """Meetings the user may see: of their bodies, or ones they are invited to (R26, R29).
    Drafts only to those who prepare them."""
    managed = [b.pk for b in managed_bodies_for(user)]
    visible = Q(body__in=bodies_for(user)) | Q(pk__in=_invited_meeting_ids(user))
    return (
        Meeting.objects.filter(visible)
        .filter(~Q(status=MeetingStatus.DRAFT) | Q(body_id__in=managed))
        .select_related("body")
        .distinct()
        .order_by("-starts_at")
    )


def upcoming_meetings_for(user: Any, at: dt.datetime | None = None) -> QuerySet[Meeting]:
    at = at or timezone.now()
    return (
        meetings_for(user)
        .filter(status__in=UPCOMING_STATES)
        .filter(Q(starts_at__gte=at - dt.timedelta(hours=12)) | ~Q(status=MeetingStatus.CONVENED))
        .order_by("starts_at")
    )


def dashboard_for(user: Any) -> dict[str, Any]:
    return {
        "person": rules.person_of(user),
        "bodies": bodies_for(user).select_related("municipality").order_by("name_fi"),
        "meetings": meetings_for(user)[:20],
        "upcoming": list(upcoming_meetings_for(user)[:10]),
        "managed_bodies": managed_bodies_for(user),
        "open_e_items": open_e_items_for(user),
        "memberships": rules.current_memberships(user).select_related("body"),
        "staff_roles": rules.current_staff_roles(user).select_related("body", "municipality"),
    }


def meeting_for(user: Any, meeting_id: int) -> Meeting:
    """The meeting, or ``meeting.not_found`` when the user may not see it (no existence leak)."""
    meeting = (
        meetings_for(user).select_related("body__municipality", "chair", "secretary")
        .filter(pk=meeting_id).first()
        if str(meeting_id).isdigit() else None
    )
    if meeting is None:
        raise meeting_error("meeting.not_found")
    return meeting


def item_for(user: Any, item_id: int) -> AgendaItem:
    item = (
        AgendaItem.objects.select_related("meeting__body__municipality", "presenter", "preparer")
        .filter(pk=item_id).first()
        if str(item_id).isdigit() else None
    )
    if item is None:
        raise meeting_error("agenda.item_not_found")
    meeting_for(user, item.meeting_id)  # same visibility as the meeting
    return item


def apply_deadlines_for(meeting: Meeting) -> None:
    """The check on every read (R17, R18): due § 100 deadlines of the meeting take effect now."""
    from meetings.services.e_procedure import apply_due_e_procedure_deadlines

    if meeting.items.filter(
        method=ItemMethod.E_PROCEDURE, status=ItemStatus.E_PROCEDURE_OPEN,
        e_deadline__lte=timezone.now(),
    ).exists():
        apply_due_e_procedure_deadlines(meeting_id=meeting.pk)


def meeting_page(user: Any, meeting_id: int) -> dict[str, Any]:
    meeting = meeting_for(user, meeting_id)
    apply_deadlines_for(meeting)
    meeting.refresh_from_db()
    items = documents.member_agenda(user, meeting)
    can_manage = rules.can_manage_agenda(user, meeting)
    return {
        "meeting": meeting,
        "items": items,
        "can_manage": can_manage,
        "can_run_attendance": rules.can_run_attendance(user, meeting),
        "is_chair": rules.is_chair(user, meeting),
        "me": rules.participant_of(user, meeting),
        "amendments": meeting.amendments.select_related("item").order_by("at", "pk"),
        "transitions": meeting.transitions.order_by("at", "pk"),
        "quorum": (
            presence.meeting_quorum(meeting) if meeting.status != MeetingStatus.DRAFT else None
        ),
    }


def agenda_page(user: Any, meeting_id: int) -> dict[str, Any]:
    meeting = meeting_for(user, meeting_id)
    apply_deadlines_for(meeting)
    items = documents.member_agenda(user, meeting)
    return documents.document_context(meeting, items, documents.MEMBER)


def e_procedure_view(user: Any, item: AgendaItem) -> dict[str, Any] | None:
    """The § 100 state of an item for the user: own answer history, whether they may answer,
    and others' positions only if the body's rule makes them visible (R22)."""
    if item.method != ItemMethod.E_PROCEDURE:
        return None
    from meetings.services.e_procedure import e_procedure_state

    state = e_procedure_state(item)
    person = rules.person_of(user)
    mine = [s for s in state.seats if person is not None and s.seat.person_id == person.pk]
    subs_for = []
    if person is not None and item.body.e_procedure_substitute_may_answer:
        subs_for = [
            s for s in state.seats
            if rules.current_memberships(user, item.body).filter(substitute_for=s.seat).exists()
        ]
    my_seat = (mine or subs_for or [None])[0]
    history = list(
        EProcedureAnswer.objects.filter(item=item, seat=my_seat.seat).select_related("person")
        .order_by("seq")
    ) if my_seat else []
    staff = rules.is_staff_for(user, item.body) or rules.is_chair(user, item.meeting)
    return {
        "state": state,
        "my_seat": my_seat,
        "history": history,
        "can_answer": my_seat is not None and item.status == ItemStatus.E_PROCEDURE_OPEN
        and item.e_deadline is not None and timezone.now() < item.e_deadline,
        "show_positions": staff or item.body.e_procedure_positions_visible,
        "answered_count": len(state.seats) - len(state.missing),
        "seat_count": len(state.seats),
    }


def item_page(user: Any, item_id: int) -> dict[str, Any]:
    item = item_for(user, item_id)
    apply_deadlines_for(item.meeting)
    item.refresh_from_db()
    full = rules.can_view_item(user, item)
    view = documents.item_view(item, documents.MEMBER if full else documents.PUBLIC)
    attachments = [a for a in item.attachments.all() if rules.can_view_attachment(user, a)]
    view.attachments = attachments
    meeting = item.meeting
    me = rules.participant_of(user, meeting)
    return {
        "meeting": meeting,
        "item": item,
        "view": view,
        "full": full,
        "attachments": attachments,
        "proposals": list(item.proposal_versions.order_by("version")) if full else [],
        "can_manage": rules.can_manage_agenda(user, meeting),
        "can_edit_proposal": rules.can_edit_proposal(user, item),
        "can_run_attendance": rules.can_run_attendance(user, meeting),
        "is_chair": rules.is_chair(user, meeting),
        "me": me,
        "my_disqualification": (
            item.disqualifications.filter(participant=me).first() if me else None
        ),
        "disqualifications": item.disqualifications.select_related("participant__person")
        if (full or rules.can_run_attendance(user, meeting)) else [],
        "substitutions": item.substitutions.select_related("substitute__person", "member__person"),
        "e": e_procedure_view(user, item) if full else None,
        "quorum": (
            presence.item_quorum(item)
            if meeting.status in (MeetingStatus.IN_SESSION, MeetingStatus.SUSPENDED) else None
        ),
        "amendments": item.amendments.order_by("at", "pk"),
        "transferred_to": list(item.transferred_to.all()),
    }


def attendance_page(user: Any, meeting_id: int) -> dict[str, Any]:
    meeting = meeting_for(user, meeting_id)
    if not rules.can_run_attendance(user, meeting):
        raise meeting_error("meeting.forbidden")
    participants = list(
        meeting.participants.select_related("person", "membership", "acting_for__person")
        .order_by("role", "person__last_name", "person__first_name")
    )
    current = meeting.current_item
    return {
        "meeting": meeting,
        "participants": participants,
        "members": [p for p in participants if p.role == ParticipantRole.MEMBER],
        "quorum": presence.meeting_quorum(meeting),
        "item_quorum": presence.item_quorum(current) if current else None,
        "current_item": current,
        "roll_calls": meeting.roll_calls.order_by("-at")[:5],
        "is_chair": rules.is_chair(user, meeting),
    }


def open_e_items_for(user: Any) -> list[AgendaItem]:
    """§ 100 items awaiting the user's answer (dashboard)."""
    person = rules.person_of(user)
    if person is None:
        return []
    bodies = rules.current_memberships(user).values("body_id")
    return list(
        AgendaItem.objects.filter(
            body_id__in=bodies, method=ItemMethod.E_PROCEDURE,
            status=ItemStatus.E_PROCEDURE_OPEN, e_deadline__gt=timezone.now(),
        ).select_related("meeting__body").order_by("e_deadline")[:20]
    )


# --- public (no login) ------------------------------------------------------------------------


def published_meetings(municipality_slug: str | None = None) -> QuerySet[Meeting]:
    """Meetings whose agenda has been published online (KL 29.2 §, 94.3 §, R24, R27)."""
    qs = Meeting.objects.filter(agenda_published_at__isnull=False).select_related(
        "body__municipality"
    )
    if municipality_slug:
        qs = qs.filter(body__municipality__slug=municipality_slug)
    return qs.order_by("-starts_at")


def public_agenda(meeting_id: int) -> dict[str, Any]:
    """The public version of a published agenda (R27): no confidential text or attachment."""
    meeting = (
        published_meetings().filter(pk=meeting_id).first() if str(meeting_id).isdigit() else None
    )
    if meeting is None:
        raise meeting_error("meeting.not_found")
    items = documents.version_agenda(meeting, documents.PUBLIC)
    return documents.document_context(meeting, items, documents.PUBLIC)


# --- for the minutes app ----------------------------------------------------------------------


def item_attendance(user: Any, item_id: int) -> list[presence.ItemAttendance]:
    """Attendance per item for the minutes (R37, R49, R73)."""
    item = item_for(user, item_id)
    return presence.item_attendance(item)


def e_procedure_results(user: Any, item_id: int) -> Any:
    """The § 100 outcome of an item with every member's position and history (R17–R22), after
    applying a due deadline. Minutes of such decisions may be checked before the meeting (R21)."""
    from meetings.services.e_procedure import apply_due_e_procedure_deadlines, e_procedure_state

    item = item_for(user, item_id)
    if item.method != ItemMethod.E_PROCEDURE:
        raise meeting_error("agenda.item_not_found")
    apply_due_e_procedure_deadlines(item_ids=[item.pk])
    item.refresh_from_db()
    return e_procedure_state(item)


def e_procedure_decisions(user: Any, meeting_id: int) -> list[AgendaItem]:
    """Items of the meeting decided in the § 100 procedure, ready for minutes checking before
    the meeting (KL 100.3 §, R21)."""
    meeting = meeting_for(user, meeting_id)
    apply_deadlines_for(meeting)
    return list(
        meeting.items.filter(method=ItemMethod.E_PROCEDURE, status=ItemStatus.DECIDED)
        .select_related("base_proposal")
        .order_by("order", "section_number")
    )
