"""Bad input is refused with a clear code and changes nothing: no row, no audit entry.

R16 (§ 100 deadlines), R30 (substitute while the member is present), R63 (another
municipality's body), and the continuous § numbering per body and year.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kokous.errors import DomainError
from meetings.models import (
    AgendaAmendment,
    AgendaItem,
    Attachment,
    ItemSubstitution,
    Meeting,
    Participant,
    PresenceInterval,
    ProposalVersion,
)
from meetings.services import agenda, attendance, disqualification, meeting
from tests import factories
from tests.meetings.conftest import audit_count, make_org

pytestmark = pytest.mark.django_db

MODELS = (Meeting, AgendaItem, ProposalVersion, Attachment, AgendaAmendment, Participant,
          PresenceInterval, ItemSubstitution)


def snapshot():
    return tuple(model.objects.count() for model in MODELS) + (audit_count(),)


def refused(code, call):
    before = snapshot()
    with pytest.raises(DomainError) as info:
        call()
    assert info.value.code == code, info.value
    assert snapshot() == before
    assert info.value.message  # a translated, human message beside the code
    return info.value


def test_past_deadlines(org):
    m = org.new_meeting()
    refused("eproc.deadline_past", lambda: org.add_item(
        m, "Asia", method="e_procedure", e_deadline=timezone.now() - dt.timedelta(minutes=1)))
    refused("meeting.starts_in_past", lambda: org.new_meeting(days=-1))


def test_items_for_another_municipalitys_body(org):
    other = make_org()
    theirs = other.new_meeting()
    refused("meeting.not_found", lambda: org.add_item(theirs, "Väärän kunnan asia"))
    refused("meeting.forbidden", lambda: meeting.create_meeting(
        org.secretary, other.body.pk, starts_at=timezone.now() + dt.timedelta(days=9)))
    mine = org.new_meeting()
    stranger = factories.PersonFactory()  # a person of another municipality
    refused("agenda.foreign_person",
            lambda: org.add_item(mine, "Asia", presenter_id=stranger.pk))


def test_substitute_acting_while_the_member_is_present(org):
    m = org.convened()
    member = org.participant(m, org.members[3])
    attendance.check_in(org.secretary, m.pk, member.pk)
    refused("attendance.substitute_member_present",
            lambda: attendance.invite_substitute(org.secretary, m.pk, member.pk))
    item = m.items.get()
    refused("attendance.substitute_member_present",
            lambda: disqualification.call_item_substitute(org.secretary, item.pk, member.pk))


def test_duplicate_section_numbers(org):
    m = org.new_meeting()
    first = org.add_item(m, "Ensimmäinen", section_number=12)
    assert first.section_number == 12
    assert org.add_item(m, "Seuraava").section_number == 13  # continuous per body and year
    refused("agenda.duplicate_section_number",
            lambda: org.add_item(m, "Toinen", section_number=12))
    later = org.new_meeting(days=30)  # same body, same year: numbering continues
    refused("agenda.duplicate_section_number",
            lambda: org.add_item(later, "Kolmas", section_number=13))
    assert org.add_item(later, "Neljäs").section_number == 14
    second = AgendaItem.objects.get(title="Seuraava")
    refused("agenda.duplicate_section_number",
            lambda: agenda.update_item(org.secretary, second.pk, section_number=12))


def test_other_bad_input(org):
    m = org.new_meeting()
    refused("agenda.title_required", lambda: org.add_item(m, "  "))
    refused("agenda.confidentiality_basis_required",
            lambda: org.add_item(m, "Salainen", publicity="confidential"))
    item = org.add_item(m, "Asia")
    refused("upload.type_not_allowed", lambda: agenda.add_attachment(
        org.secretary, item.pk, title="x", filename="ohjelma.exe", data=b"MZ\x90\x00binary"))
    refused("upload.empty", lambda: agenda.add_attachment(
        org.secretary, item.pk, title="x", filename="tyhja.pdf", data=b""))
    refused("meeting.video_url_required", lambda: org.new_meeting(method="electronic"))
