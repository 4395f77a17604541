"""Meetings through the services: creation rules, the lifecycle, amendments, atomic audit.

R1/R2 (methods per the administrative rule), R8 (council public), R10 (suspend/resume/end),
R14 (video link), R25 (amendments after the notice), R35/R73/R76 (opening: finding, roll call).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEntry
from kokous.errors import DomainError
from meetings.models import (
    AgendaAmendment,
    AgendaItem,
    Meeting,
    MeetingTransition,
    NoticeDelivery,
    PresenceInterval,
    RollCall,
)
from meetings.services import agenda, attendance, meeting
from tests import factories
from tests.meetings.conftest import audit_actions, audit_count, make_org

pytestmark = pytest.mark.django_db


def code(exc_info) -> str:
    return exc_info.value.code


def check_in_members(org, m, n):
    for membership in org.members[:n]:
        attendance.check_in(org.secretary, m.pk, org.participant(m, membership).pk)


def test_running_number_per_body_and_year(org):
    a = org.new_meeting(10)
    b = org.new_meeting(20)
    assert (a.number, b.number) == (1, 2)
    assert a.year == timezone.localdate(a.starts_at).year
    assert AuditEntry.objects.filter(action="meeting.created").count() == 2
    assert a.chair == org.members[0].person  # the body's chair chairs by default


def test_method_must_be_allowed_by_the_administrative_rule_r2():
    org = make_org()
    org.body.method_authorisations.filter(method="electronic").delete()
    with pytest.raises(DomainError) as info:
        org.new_meeting(method="electronic", video_url="https://meet.example/x")
    assert code(info) == "meeting.method_not_allowed"


def test_electronic_meeting_needs_a_video_link_r14(org):
    with pytest.raises(DomainError) as info:
        org.new_meeting(method="hybrid")
    assert code(info) == "meeting.video_url_required"
    m = org.new_meeting(method="hybrid", video_url="https://meet.example/abc")
    assert m.video_url == "https://meet.example/abc"


def test_council_meetings_are_public_r8(council):
    m = council.new_meeting()
    assert m.is_public
    with pytest.raises(DomainError) as info:
        council.new_meeting(is_public=False)
    assert code(info) == "meeting.council_is_public"


def test_only_the_bodys_secretary_creates_meetings(org):
    other = factories.StaffRoleFactory(role="secretary")  # another municipality
    with pytest.raises(DomainError) as info:
        meeting.create_meeting(other.person.user, org.body.pk,
                               starts_at=timezone.now() + dt.timedelta(days=9))
    assert code(info) == "meeting.forbidden"
    assert Meeting.objects.count() == 0


def test_opening_a_meeting_never_convened_is_refused_r24_r35(org):
    m = org.new_meeting()
    org.add_item(m)
    before = (audit_count(), MeetingTransition.objects.count())
    with pytest.raises(DomainError) as info:
        meeting.open_meeting(org.chair, m.pk, "Laillinen ja päätösvaltainen.")
    assert code(info) == "meeting.illegal_transition"
    m.refresh_from_db()
    assert m.status == "draft"
    assert (audit_count(), MeetingTransition.objects.count()) == before


def test_opening_needs_the_chairs_finding_and_quorum_r35_r76(org):
    m = org.convened()
    with pytest.raises(DomainError) as info:
        meeting.open_meeting(org.member_user(1), m.pk, "x")
    assert code(info) == "meeting.forbidden"  # only the chair
    with pytest.raises(DomainError) as info:
        meeting.open_meeting(org.chair, m.pk, "  ")
    assert code(info) == "meeting.legality_finding_required"
    check_in_members(org, m, 4)  # 9 members → 5 needed (R34)
    with pytest.raises(DomainError) as info:
        meeting.open_meeting(org.chair, m.pk, "Todettiin.")
    assert code(info) == "meeting.no_quorum"
    assert info.value.params == {"present": 4, "required": 5}
    attendance.check_in(org.secretary, m.pk, org.participant(m, org.members[4]).pk)
    assert meeting.open_meeting(org.chair, m.pk, "Todettiin.").status == "in_session"


def test_open_suspend_resume_close_records_who_and_when_r10_r73(org):
    m = org.convened()
    for membership in org.members[:5]:
        attendance.check_in(org.secretary, m.pk, org.participant(m, membership).pk)
    meeting.open_meeting(org.chair, m.pk, "Kokous on laillinen ja päätösvaltainen.")
    m.refresh_from_db()
    assert m.status == "in_session" and m.opened_at is not None
    call = RollCall.objects.get(meeting=m, kind="opening")
    assert call.present_count == 5 and call.quorate and len(call.present_participant_ids) == 5
    with pytest.raises(DomainError) as info:
        meeting.suspend_meeting(org.chair, m.pk, "")
    assert code(info) == "meeting.reason_required"
    meeting.suspend_meeting(org.chair, m.pk, "Tekninen häiriö")
    meeting.resume_meeting(org.chair, m.pk)
    meeting.close_meeting(org.chair, m.pk)
    m.refresh_from_db()
    assert m.status == "closed"
    steps = list(m.transitions.values_list("from_status", "to_status", "actor_id"))
    assert [s[:2] for s in steps] == [
        ("draft", "convened"), ("convened", "in_session"), ("in_session", "suspended"),
        ("suspended", "in_session"), ("in_session", "closed"),
    ]
    assert all(s[2] is not None for s in steps)
    assert audit_actions()[-4:] == [
        "meeting.opened", "meeting.suspended", "meeting.resumed", "meeting.closed"
    ]
    # Everyone's presence interval ended with the meeting.
    assert not PresenceInterval.objects.filter(participant__meeting=m, ended_at=None).exists()
    assert PresenceInterval.objects.filter(participant__meeting=m).count() == 5


def test_open_meeting_writes_its_audit_entry_in_the_same_transaction(org, monkeypatch):
    """A failure after the change rolls back the state *and* the audit entry (contributing.md,
    audit spec §1: both commit or neither does)."""
    m = org.convened()
    for membership in org.members[:5]:
        attendance.check_in(org.secretary, m.pk, org.participant(m, membership).pk)
    before = (audit_count(), RollCall.objects.count(), MeetingTransition.objects.count())

    def boom(*args, **kwargs):
        raise RuntimeError("push failed after the change")

    monkeypatch.setattr("meetings.services.meeting.push", boom)
    with pytest.raises(RuntimeError):
        meeting.open_meeting(org.chair, m.pk, "Laillinen.")
    m.refresh_from_db()
    assert m.status == "convened" and m.opened_at is None and m.legality_finding == ""
    assert (audit_count(), RollCall.objects.count(), MeetingTransition.objects.count()) == before

    # And the other way round: the audit write fails → the change is not kept either.
    monkeypatch.undo()

    def audit_fails(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("audit.record", audit_fails)
    with pytest.raises(RuntimeError):
        meeting.open_meeting(org.chair, m.pk, "Laillinen.")
    m.refresh_from_db()
    assert m.status == "convened"
    assert MeetingTransition.objects.count() == before[2]


@pytest.mark.django_db(transaction=True)
def test_checkpoint_when_a_meeting_opens_and_closes(monkeypatch):
    """A signed checkpoint after the opening and after the closing commit (audit spec §3)."""
    monkeypatch.setattr("meetings.realtime.send_event_on_commit", lambda group, event: None)
    org = make_org()
    m = org.convened()
    for membership in org.members[:5]:
        attendance.check_in(org.secretary, m.pk, org.participant(m, membership).pk)
    calls = []
    monkeypatch.setattr("audit.checkpoints.sign_checkpoint", lambda: calls.append(1))
    meeting.open_meeting(org.chair, m.pk, "Laillinen.")
    assert len(calls) == 1
    meeting.close_meeting(org.chair, m.pk)
    assert len(calls) == 2


def test_adding_an_item_to_a_closed_meeting_is_refused_r25(org):
    m = org.convened()
    for membership in org.members[:5]:
        attendance.check_in(org.secretary, m.pk, org.participant(m, membership).pk)
    meeting.open_meeting(org.chair, m.pk, "Laillinen.")
    meeting.close_meeting(org.chair, m.pk)
    before = (AgendaItem.objects.count(), AgendaAmendment.objects.count(), audit_count())
    for reason in ("", "Kiireellinen asia"):
        with pytest.raises(DomainError) as info:
            org.add_item(m, "Myöhästynyt asia", amendment_reason=reason)
        assert code(info) == "agenda.locked"
    assert (AgendaItem.objects.count(), AgendaAmendment.objects.count(), audit_count()) == before


def test_after_the_notice_an_item_needs_a_recorded_amendment_r25(org, run_on_commit):
    m = org.convened()
    before = (AgendaItem.objects.count(), audit_count())
    with pytest.raises(DomainError) as info:
        org.add_item(m, "Lisäasia")
    assert code(info) == "agenda.amendment_required"
    assert (AgendaItem.objects.count(), audit_count()) == before
    mail.outbox.clear()
    with run_on_commit():
        item = org.add_item(m, "Lisäasia", amendment_reason="Kiireellinen hankinta")
    assert item.added_as_amendment
    amendment = AgendaAmendment.objects.get(meeting=m)
    assert (amendment.item, amendment.kind, amendment.actor) == (item, "item_added", org.secretary)
    assert "Kiireellinen hankinta" in amendment.description
    # Re-notified: a delivery per recipient, and mail to those with an address.
    assert NoticeDelivery.objects.filter(meeting=m, kind="amendment").count() >= 9
    assert mail.outbox and all("muutos" in msg.subject.lower() for msg in mail.outbox)
    assert "agenda.amended" in audit_actions()


def test_editing_an_item_after_the_notice_is_an_amendment_not_a_silent_edit_r25(org):
    m = org.convened()
    item = m.items.get()
    with pytest.raises(DomainError) as info:
        agenda.update_item(org.secretary, item.pk, title="Uusi otsikko")
    assert code(info) == "agenda.amendment_required"
    item.refresh_from_db()
    assert item.title == "Asia 1"
    agenda.update_item(org.secretary, item.pk, title="Uusi otsikko", amendment_reason="Korjaus")
    assert AgendaAmendment.objects.get(item=item).kind == "item_changed"


def test_changing_the_meeting_after_the_notice_is_an_amendment(org):
    m = org.convened()
    with pytest.raises(DomainError) as info:
        meeting.update_meeting(org.secretary, m.pk, place="Valtuustosali")
    assert code(info) == "agenda.amendment_required"
    meeting.update_meeting(org.secretary, m.pk, place="Valtuustosali",
                           amendment_reason="Tila vaihtui")
    m.refresh_from_db()
    assert m.place == "Valtuustosali"
    assert AgendaAmendment.objects.get(meeting=m).kind == "meeting_changed"


def test_proposal_versions_and_the_base_proposal_r31_r32(org):
    from meetings.services import items

    m = org.convened()
    item = m.items.get()
    agenda.add_proposal_version(org.secretary, item.pk, "Ehdotus 2", amendment_reason="Tarkennus")
    for membership in org.members[:5]:
        attendance.check_in(org.secretary, m.pk, org.participant(m, membership).pk)
    meeting.open_meeting(org.chair, m.pk, "Laillinen.")
    items.open_item(org.chair, item.pk)
    # The presenter amends in the meeting: a new version, no amendment reason needed.
    agenda.add_proposal_version(org.secretary, item.pk, "Ehdotus 3")
    items.close_discussion(org.chair, item.pk)
    item.refresh_from_db()
    assert item.base_proposal.version == 3 and item.base_proposal.text == "Ehdotus 3"
    with pytest.raises(DomainError) as info:
        agenda.add_proposal_version(org.secretary, item.pk, "Liian myöhään")
    assert code(info) == "agenda.item_not_editable"
    decided = items.state_decision(org.chair, item.pk)
    assert decided.status == "decided" and decided.decision_text == "Ehdotus 3"
