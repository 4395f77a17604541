"""Sending the notice (*kokouskutsu*) and the agenda, and notices of amendments (R14, R16,
R24–R29).

The notice period is counted by `meetings.deadlines.notice_sent_in_time` with the body's rules
(`notice_days`, `notice_counts_sending_day`). A late notice is refused for the council (KL 94.3 §,
R24) and needs a recorded reason for other bodies (R26). Sending publishes the public agenda
online at the same moment (KL 94.3 § 2nd sentence, 29.2 §, R24, R27).

Emails leave only after the transaction commits; each recipient's delivery is a
`NoticeDelivery` row with its time (R24: log sending time per recipient).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from meetings import deadlines, documents, lifecycle, rules
from meetings.errors import meeting_error
from meetings.models import (
    AgendaAmendment,
    AgendaItem,
    ItemMethod,
    ItemStatus,
    Meeting,
    Membership,
    MembershipRole,
    NoticeDelivery,
    Participant,
    ParticipantRole,
    Person,
    StaffRole,
    StaffRoleKind,
)
from meetings.services._common import iso, lock_meeting, meeting_obj, now, push, record, require
from meetings.services.meeting import check_transition, do_transition_meeting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    person: Person
    role: str  # member, substitute, secretary, presenter, staff, attendee, expert, chair

    @property
    def email(self) -> str:
        user = self.person.user
        return (user.email or "") if user is not None else ""


def notice_recipients(meeting: Meeting) -> list[Recipient]:
    """Members, substitutes for information, staff of the body, presenters and everyone invited
    to attend (R25, R26, R29). One entry per person, the strongest role first."""
    on = deadlines.local_date(meeting.starts_at)
    found: dict[int, Recipient] = {}

    def add(person: Person | None, role: str) -> None:
        if person is not None and person.pk not in found:
            found[person.pk] = Recipient(person, role)

    memberships = (
        Membership.objects.current(on).filter(body=meeting.body).select_related("person__user")
    )
    for m in memberships.filter(role=MembershipRole.MEMBER):
        add(m.person, "member")
    add(meeting.chair, "chair")
    add(meeting.secretary, "secretary")
    for p in meeting.participants.exclude(role=ParticipantRole.MEMBER).select_related(
        "person__user"
    ):
        add(p.person, p.role)
    for item in meeting.items.exclude(status=ItemStatus.WITHDRAWN).select_related(
        "presenter__user", "preparer__user"
    ):
        add(item.presenter, "presenter")
    staff = StaffRole.objects.current(on).filter(
        body=meeting.body, role__in=[StaffRoleKind.SECRETARY, StaffRoleKind.PRESENTER]
    )
    for s in staff.select_related("person__user"):
        add(s.person, "staff")
    for m in memberships.filter(role=MembershipRole.SUBSTITUTE):
        add(m.person, "substitute")
    return list(found.values())


def ensure_participants(meeting: Meeting) -> None:
    """Participant rows for the members, the secretary and the presenters (R29)."""
    on = deadlines.local_date(meeting.starts_at)
    existing = set(meeting.participants.values_list("person_id", flat=True))
    rows = []
    for m in Membership.objects.current(on).filter(body=meeting.body, role=MembershipRole.MEMBER):
        if m.person_id not in existing:
            rows.append(Participant(meeting=meeting, person_id=m.person_id,
                                    role=ParticipantRole.MEMBER, membership=m))
            existing.add(m.person_id)
    if meeting.secretary_id and meeting.secretary_id not in existing:
        rows.append(Participant(meeting=meeting, person_id=meeting.secretary_id,
                                role=ParticipantRole.SECRETARY))
        existing.add(meeting.secretary_id)
    for presenter_id in meeting.items.exclude(status=ItemStatus.WITHDRAWN).exclude(
        presenter__isnull=True
    ).values_list("presenter_id", flat=True).distinct():
        if presenter_id not in existing:
            rows.append(Participant(meeting=meeting, person_id=presenter_id,
                                    role=ParticipantRole.PRESENTER))
            existing.add(presenter_id)
    Participant.objects.bulk_create(rows)


# --- emails -----------------------------------------------------------------------------------


def _meeting_url(meeting: Meeting) -> str:
    base = getattr(settings, "KOKOUS_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('meetings:meeting_detail', args=[meeting.pk])}"


def _subject(meeting: Meeting, amendment: AgendaAmendment | None) -> str:
    local = meeting.starts_at.astimezone(deadlines.HELSINKI)
    name = f"{meeting.body.name_fi} {meeting.number}/{meeting.year}"
    if amendment is not None:
        return translation.gettext("Esityslistan muutos: %(name)s") % {"name": name}
    return translation.gettext("Kokouskutsu: %(name)s %(date)s") % {
        "name": name, "date": local.strftime("%d.%m.%Y %H:%M"),
    }


def _queue_emails(
    meeting: Meeting, recipients: list[Recipient], amendment: AgendaAmendment | None
) -> None:
    """Render now (inside the transaction, from committed-to-be state), send after commit."""
    with translation.override(settings.LANGUAGE_CODE):
        items = documents.version_agenda(meeting, documents.NOTICE)
        context = {
            **documents.document_context(meeting, items, documents.NOTICE),
            "amendment": amendment,
            "url": _meeting_url(meeting),
        }
        body = render_to_string("meetings/email/notice.txt", context)
        subject = _subject(meeting, amendment)
        pdf = documents.render_pdf(meeting, documents.NOTICE)
    filename = f"kokouskutsu-{meeting.body.slug}-{meeting.number}-{meeting.year}.pdf"
    messages = []
    for r in recipients:
        if not r.email:
            continue  # shown in the application only
        message = mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [r.email])
        message.attach(filename, pdf, "application/pdf")
        messages.append(message)

    def send() -> None:
        try:
            mail.get_connection().send_messages(messages)
        except Exception:  # the notice is recorded; a mail outage must not undo it
            log.exception("sending notices of meeting %s failed", meeting.pk)

    if messages:
        transaction.on_commit(send)


def _record_deliveries(
    meeting: Meeting, recipients: list[Recipient], kind: str, at: dt.datetime,
    amendment: AgendaAmendment | None = None,
) -> None:
    NoticeDelivery.objects.bulk_create(
        NoticeDelivery(
            meeting=meeting, person=r.person, email=r.email, kind=kind, recipient_role=r.role,
            amendment=amendment, sent_at=at,
        )
        for r in recipients
    )


def do_queue_amendment_notice(meeting: Meeting, amendment: AgendaAmendment) -> None:
    """Re-notify everyone entitled to the notice about an amendment (R25, R26)."""
    recipients = notice_recipients(meeting)
    _record_deliveries(meeting, recipients, NoticeDelivery.Kind.AMENDMENT, now(), amendment)
    _queue_emails(meeting, recipients, amendment)


# --- sending the notice -----------------------------------------------------------------------


@dataclass
class SendNoticeCheck:
    meeting: Meeting
    sent_at: dt.datetime
    deadline: dt.datetime
    in_time: bool
    late_reason: str
    e_items: list[AgendaItem]


def check_send_notice(user: Any, meeting_id: int, late_reason: str = "") -> SendNoticeCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_manage_agenda(user, meeting), user, meeting)
    check_transition(meeting, lifecycle.MeetingEvent.CONVENE)
    items = list(meeting.items.exclude(status=ItemStatus.WITHDRAWN))
    if not items:
        raise meeting_error("notice.empty_agenda")
    sent_at = now()
    body = meeting.body
    deadline = deadlines.notice_deadline(
        meeting.starts_at, body.notice_days, body.notice_counts_sending_day
    )
    in_time = deadlines.notice_sent_in_time(
        meeting.starts_at, sent_at, body.notice_days, body.notice_counts_sending_day
    )
    deadline_text = deadline.astimezone(deadlines.HELSINKI).strftime("%d.%m.%Y %H:%M")
    reason = (late_reason or "").strip()
    if not in_time:
        if body.is_council:
            raise meeting_error("notice.late_council", deadline=deadline_text)
        if not reason:
            raise meeting_error("notice.late_reason_required", deadline=deadline_text)
    # Items in the § 100 procedure are re-checked at sending: the meeting may have changed (R15,
    # R16), and each deadline must still lie after the notice.
    from meetings.services.e_procedure import check_e_procedure_allowed

    e_items = [i for i in items if i.method == ItemMethod.E_PROCEDURE]
    for item in e_items:
        check_e_procedure_allowed(
            meeting, is_closed_handling=item.is_closed_handling, deadline=item.e_deadline,
            at=sent_at,
        )
    return SendNoticeCheck(meeting, sent_at, deadline, in_time, reason if not in_time else "",
                           e_items)


def do_send_notice(check: SendNoticeCheck, *, actor: Any) -> Meeting:
    meeting = check.meeting
    do_transition_meeting(
        meeting, lifecycle.MeetingEvent.CONVENE, actor=actor, reason=check.late_reason,
        at=check.sent_at,
    )
    meeting.convened_at = check.sent_at
    meeting.late_notice_reason = check.late_reason
    meeting.agenda_published_at = check.sent_at  # online at the same time (R24, R27)
    meeting.save(update_fields=["convened_at", "late_notice_reason", "agenda_published_at"])
    for item in check.e_items:
        lifecycle.next_item_state(item.status, lifecycle.ItemEvent.START_E_PROCEDURE)
        item.status = ItemStatus.E_PROCEDURE_OPEN
        item.save(update_fields=["status"])
    ensure_participants(meeting)
    recipients = notice_recipients(meeting)
    _record_deliveries(meeting, recipients, NoticeDelivery.Kind.NOTICE, check.sent_at)
    record(
        actor, "meeting.convened", meeting_obj(meeting),
        {
            "sent_at": iso(check.sent_at),
            "notice_deadline": iso(check.deadline),
            "in_time": 1 if check.in_time else 0,
            "late_reason": check.late_reason,
            "recipients": len(recipients),
            "emailed": sum(1 for r in recipients if r.email),
            "item_ids": list(
                meeting.items.exclude(status=ItemStatus.WITHDRAWN).values_list("pk", flat=True)
            ),
            "e_procedure": [
                {"item_id": i.pk, "deadline": iso(i.e_deadline)} for i in check.e_items
            ],
            "agenda_published": 1,
        },
    )
    _queue_emails(meeting, recipients, None)
    push(meeting, {"type": "meeting.convened", "meeting": meeting.pk})
    return meeting


def send_notice(user: Any, meeting_id: int, late_reason: str = "") -> Meeting:
    """Send the notice and agenda; the meeting becomes *convened* (R24–R26)."""
    with transaction.atomic():
        return do_send_notice(check_send_notice(user, meeting_id, late_reason), actor=user)
