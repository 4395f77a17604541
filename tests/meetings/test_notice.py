"""The notice (kokouskutsu) and the agenda: period, recipients, content, email and PDF.

R14 (how to take part), R16 (§ 100 items with deadlines), R24 (council: ≥ 4 days, refused when
late), R26 (other bodies: a late notice needs a recorded reason), R25/R29 (recipients).
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from kokous.errors import DomainError
from meetings import deadlines, documents
from meetings.models import MeetingTransition, NoticeDelivery
from meetings.services import notice
from tests.meetings.conftest import audit_count

pytestmark = pytest.mark.django_db

HEL = deadlines.HELSINKI


def at(y, mo, d, h=12, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=HEL)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")


def test_council_notice_late_is_refused_r24(council):
    """Meeting Monday 16.3.2026: with the strict reading the notice must leave by 11.3."""
    with time_machine.travel(at(2026, 3, 1), tick=False):
        m = council.new_meeting(starts_at=at(2026, 3, 16, 18))
        council.add_item(m, "Talousarvio")
    with time_machine.travel(at(2026, 3, 12, 9), tick=False):
        before = (audit_count(), MeetingTransition.objects.count(), NoticeDelivery.objects.count())
        with pytest.raises(DomainError) as info:
            notice.send_notice(council.secretary, m.pk, late_reason="Kiire")
        assert info.value.code == "notice.late_council"
        assert "11.03.2026" in info.value.message
        assert (audit_count(), MeetingTransition.objects.count(),
                NoticeDelivery.objects.count()) == before
        m.refresh_from_db()
        assert m.status == "draft" and m.agenda_published_at is None
    with time_machine.travel(at(2026, 3, 11, 23, 30), tick=False):
        notice.send_notice(council.secretary, m.pk)
    m.refresh_from_db()
    assert m.status == "convened" and m.late_notice_reason == ""
    # Published online at the same moment (R24 second sentence, R27).
    assert m.agenda_published_at == m.convened_at


def test_sending_day_counting_rule_is_per_body_r24(org):
    org.body.notice_counts_sending_day = True
    org.body.save()
    with time_machine.travel(at(2026, 3, 1), tick=False):
        m = org.new_meeting(starts_at=at(2026, 3, 16, 18))
        org.add_item(m)
    with time_machine.travel(at(2026, 3, 12, 15), tick=False):  # in time when the day counts
        notice.send_notice(org.secretary, m.pk)


def test_late_notice_of_other_bodies_needs_a_recorded_reason_r26(org):
    with time_machine.travel(at(2026, 3, 1), tick=False):
        m = org.new_meeting(starts_at=at(2026, 3, 16, 18))
        org.add_item(m)
    with time_machine.travel(at(2026, 3, 14, 10), tick=False):
        with pytest.raises(DomainError) as info:
            notice.send_notice(org.secretary, m.pk)
        assert info.value.code == "notice.late_reason_required"
        notice.send_notice(org.secretary, m.pk, late_reason="Kiireellinen rakennuslupa-asia")
    m.refresh_from_db()
    assert m.late_notice_reason == "Kiireellinen rakennuslupa-asia"
    transition = m.transitions.get(to_status="convened")
    assert transition.reason == "Kiireellinen rakennuslupa-asia"


def test_an_empty_agenda_is_not_sent(org):
    m = org.new_meeting()
    with pytest.raises(DomainError) as info:
        notice.send_notice(org.secretary, m.pk)
    assert info.value.code == "notice.empty_agenda"


def test_notice_goes_to_members_substitutes_staff_and_says_how_to_take_part_r14_r26(
    org, run_on_commit
):
    m = org.new_meeting(method="hybrid", video_url="https://meet.example/lautakunta",
                        public_viewing="Kunnantalon aula")
    org.add_item(m, "Kaavoitus", proposal_text="Hyväksytään.")
    org.add_item(m, "Lastensuojelu", publicity="confidential",
                 confidentiality_basis="JulkL 24.1 § 25 k",
                 description="<p>SALAINEN-SISALTO henkilön tiedot</p>")
    mail.outbox.clear()
    with run_on_commit():
        notice.send_notice(org.secretary, m.pk)
    roles = dict(
        NoticeDelivery.objects.filter(meeting=m, kind="notice").values_list("person_id",
                                                                            "recipient_role")
    )
    assert sum(1 for r in roles.values() if r in ("member", "chair")) == 9
    assert sum(1 for r in roles.values() if r == "substitute") == 9  # for information (R26)
    assert "secretary" in roles.values()
    assert len(mail.outbox) == len(roles)  # everyone has an address in the factories
    message = mail.outbox[0]
    assert "Kokouskutsu" in message.subject
    assert "https://meet.example/lautakunta" in message.body  # R14
    assert "hybridikokous" in message.body.lower()
    assert "SALAINEN-SISALTO" not in message.body  # never confidential content by email (R61)
    (name, pdf, mimetype), = message.attachments
    assert mimetype == "application/pdf" and pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Kaavoitus" in text and "Salassa pidettävä asia" in text
    assert "SALAINEN-SISALTO" not in text and "Lastensuojelu" not in text
    assert "https://meet.example/lautakunta" in text
    assert len({tuple(msg.to) for msg in mail.outbox}) == len(mail.outbox)  # one per person


def test_e_procedure_items_are_listed_with_deadline_in_helsinki_time_r16(org, run_on_commit):
    with time_machine.travel(at(2026, 3, 1), tick=False):
        m = org.new_meeting(starts_at=at(2026, 3, 20, 17))
        org.add_item(m, "Sähköinen asia", method="e_procedure", e_deadline=at(2026, 3, 18, 16),
                     proposal_text="Hyväksytään.")
        with run_on_commit():
            notice.send_notice(org.secretary, m.pk)
        html = documents.render_document_html(
            m, documents.version_agenda(m, documents.NOTICE), documents.NOTICE
        )
        body = mail.outbox[-1].body
    assert "18.3.2026 klo 16.00" in html  # Europe/Helsinki, not UTC (14.00)
    assert "18.3.2026 klo 16.00" in body
    assert m.items.get().status == "e_open"  # the procedure runs from the notice (R16)


def test_member_sees_upcoming_meeting_in_the_app_r26(org, client):
    m = org.convened()
    client.force_login(org.member_user(3))
    page = client.get("/oma/")
    assert page.status_code == 200
    assert f"/kokoukset/{m.pk}/" in page.content.decode()
    substitute = org.sub_user(3)
    client.force_login(substitute)
    assert f"/kokoukset/{m.pk}/" in client.get("/oma/").content.decode()


def test_drafts_are_not_shown_to_members(org, client):
    m = org.new_meeting()
    client.force_login(org.member_user(2))
    assert client.get(f"/kokoukset/{m.pk}/").status_code == 404
    assert timezone.now() < m.starts_at
