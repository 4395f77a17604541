"""Attendance and quorum per item (KL 103 §, HL 27–29 §).

R11 (remote participants are present), R30 (substitutes, per item too), R34 (thresholds),
R35 (per-item finding; no vote, no decision without quorum), R37/R38 (disqualified leave the
item), R73 (presence intervals → attendance per item).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from kokous.errors import DomainError
from meetings import presence
from meetings.models import (
    AgendaItem,
    Disqualification,
    ItemSubstitution,
    Participant,
    PresenceInterval,
)
from meetings.services import attendance, disqualification, items, meeting
from tests.meetings.conftest import audit_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(org):
    """A convened meeting with two items, five members present, opened by the chair."""
    m = org.convened(items=2)
    parts = [org.participant(m, ms) for ms in org.members]
    for p in parts[:5]:
        attendance.check_in(org.secretary, m.pk, p.pk)
    meeting.open_meeting(org.chair, m.pk, "Laillinen ja päätösvaltainen.")
    first, second = m.items.order_by("order")
    return m, parts, first, second


def q(item):
    return presence.item_quorum(AgendaItem.objects.get(pk=item.pk))


def test_quorum_follows_arrivals_departures_disqualifications_and_substitutes_r34_r35_r37(
    org, session
):
    m, parts, first, second = session
    assert (q(first).present_count, q(first).required, q(first).quorate) == (5, 5, True)

    attendance.check_out(org.secretary, m.pk, parts[4].pk)  # someone leaves
    assert (q(first).present_count, q(first).quorate) == (4, False)
    with pytest.raises(DomainError) as info:
        presence.require_quorum(first)
    assert info.value.code == "meeting.no_quorum"

    attendance.check_in(org.secretary, m.pk, parts[5].pk, "remote")  # a remote arrival (R11)
    assert (q(first).present_count, q(first).quorate) == (5, True)

    # Member 2 is disqualified in the first item only (R37).
    disqualification.declare_disqualification(org.member_user(2), first.pk, "1")
    assert (q(first).present_count, q(first).quorate) == (4, False)
    assert q(second).present_count == 5  # the other item is not affected
    assert not presence.is_deciding(first, parts[2].person_id)
    assert presence.is_deciding(second, parts[2].person_id)

    # Their personal substitute is called for that item only (R30).
    disqualification.call_item_substitute(org.secretary, first.pk, parts[2].pk)
    sub = Participant.objects.get(meeting=m, person=org.subs[2].person)
    assert (sub.acting_for_id, sub.item_scoped, sub.is_present) == (org.members[2].pk, True, True)
    assert (q(first).present_count, q(first).quorate) == (5, True)
    assert presence.is_deciding(first, sub.person_id)
    assert not presence.is_deciding(second, sub.person_id)  # not in the other item
    assert q(second).present_count == 5  # the member sits in the second item again

    # The body rejects the declaration (HL 29 §): the member decides again; the seat counts once.
    d = Disqualification.objects.get(item=first, participant=parts[2])
    disqualification.decide_disqualification(org.chair, d.pk, accepted=False)
    finding = q(first)
    assert finding.present_count == 5 and finding.conflicting_seat_ids == (org.members[2].pk,)


def test_whole_meeting_substitute_counts_for_the_absent_member_r30(org, session):
    m, parts, first, _ = session
    attendance.notify_absence(org.member_user(7), m.pk, note="Sairaus")
    sub = attendance.invite_substitute(org.secretary, m.pk, parts[7].pk)
    attendance.check_out(org.secretary, m.pk, parts[0].pk)
    assert q(first).present_count == 4
    attendance.check_in(org.secretary, m.pk, sub.pk)
    assert q(first).present_count == 5
    assert presence.is_deciding(first, sub.person_id)


def test_substitute_cannot_act_while_the_member_is_present_r30(org, session):
    m, parts, first, _ = session
    counts = (Participant.objects.count(), ItemSubstitution.objects.count(), audit_count())
    with pytest.raises(DomainError) as info:
        attendance.invite_substitute(org.secretary, m.pk, parts[1].pk)  # present member
    assert info.value.code == "attendance.substitute_member_present"
    with pytest.raises(DomainError) as info:
        disqualification.call_item_substitute(org.secretary, first.pk, parts[1].pk)
    assert info.value.code == "attendance.substitute_member_present"
    assert (Participant.objects.count(), ItemSubstitution.objects.count(), audit_count()) == counts
    # A substitute invited while the member was away cannot check in once the member is back.
    sub = attendance.invite_substitute(org.secretary, m.pk, parts[8].pk)
    attendance.check_in(org.secretary, m.pk, parts[8].pk)
    with pytest.raises(DomainError) as info:
        attendance.check_in(org.secretary, m.pk, sub.pk)
    assert info.value.code == "attendance.substitute_member_present"
    # The member cannot check in while the substitute sits in the seat either.
    attendance.check_out(org.secretary, m.pk, parts[8].pk)
    attendance.check_in(org.secretary, m.pk, sub.pk)
    with pytest.raises(DomainError) as info:
        attendance.check_in(org.secretary, m.pk, parts[8].pk)
    assert info.value.code == "attendance.seat_taken"
    attendance.release_substitute(org.secretary, m.pk, sub.pk)
    attendance.check_in(org.secretary, m.pk, parts[8].pk)


def test_only_a_personal_substitute_may_act_r30(org, session):
    m, parts, first, _ = session
    with pytest.raises(DomainError) as info:
        attendance.invite_substitute(org.secretary, m.pk, parts[6].pk,
                                     substitute_membership_id=org.subs[5].pk)
    assert info.value.code == "attendance.not_personal_substitute"


def test_no_decision_and_no_vote_without_quorum_r35(org, session):
    m, parts, first, _ = session
    items.open_item(org.chair, first.pk)
    items.close_discussion(org.chair, first.pk)
    attendance.check_out(org.secretary, m.pk, parts[1].pk)
    before = audit_count()
    for call in (lambda: items.state_decision(org.chair, first.pk, "Hyväksyttiin."),
                 lambda: items.start_vote(org.chair, first.pk)):
        with pytest.raises(DomainError) as info:
            call()
        assert info.value.code == "meeting.no_quorum"
    first.refresh_from_db()
    assert first.status == "discussion_closed" and first.decision_text == ""
    assert audit_count() == before
    attendance.check_in(org.secretary, m.pk, parts[1].pk)
    assert items.state_decision(org.chair, first.pk, "Hyväksyttiin.").status == "decided"


def test_item_attendance_is_derived_from_presence_intervals_r73(org):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=10)
    with time_machine.travel(start - dt.timedelta(days=10), tick=False):
        m = org.convened(items=2, starts_at=start)
    m1, m2, m3, m4, m5, m6, m7 = (org.participant(m, ms) for ms in org.members[:7])
    first, second = m.items.order_by("order")
    with time_machine.travel(start, tick=False):
        for p in (m1, m2, m3, m4, m5, m7):
            attendance.check_in(org.secretary, m.pk, p.pk)
        meeting.open_meeting(org.chair, m.pk, "Laillinen.")
        items.open_item(org.chair, first.pk)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        attendance.check_in(org.secretary, m.pk, m6.pk)  # arrives during the first item
        disqualification.declare_disqualification(org.member_user(2), first.pk, "4")
    with time_machine.travel(start + dt.timedelta(minutes=15), tick=False):
        attendance.check_out(org.secretary, m.pk, m4.pk)  # leaves during the first item
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        items.close_discussion(org.chair, first.pk)
        items.state_decision(org.chair, first.pk, "Merkittiin tiedoksi.")
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        items.open_item(org.chair, second.pk)
    with time_machine.travel(start + dt.timedelta(minutes=40), tick=False):
        items.close_discussion(org.chair, second.pk)
        items.state_decision(org.chair, second.pk, "Hyväksyttiin.")

    rows = {r.person_id: r for r in presence.item_attendance(AgendaItem.objects.get(pk=first.pk))}
    assert rows[m1.person_id].whole_item and rows[m1.person_id].present
    assert rows[m6.person_id].present and not rows[m6.person_id].whole_item
    assert rows[m6.person_id].arrived_during == (start + dt.timedelta(minutes=10),)
    assert rows[m4.person_id].left_during == (start + dt.timedelta(minutes=15),)
    assert rows[m3.person_id].disqualified and not rows[m3.person_id].present
    absent = org.participant(m, org.members[8])
    assert not rows[absent.person_id].present

    rows2 = {r.person_id: r for r in presence.item_attendance(AgendaItem.objects.get(pk=second.pk))}
    assert rows2[m3.person_id].present and rows2[m3.person_id].whole_item
    assert not rows2[m4.person_id].present
    assert PresenceInterval.objects.filter(participant=m4).get().ended_at == (
        start + dt.timedelta(minutes=15)
    )


def test_roll_call_is_logged_with_the_finding_r73(org, session):
    m, parts, first, _ = session
    call = attendance.roll_call(org.secretary, m.pk)
    assert call.present_count == 5 and call.quorate


def test_identity_is_confirmed_by_the_secretary_r13(org, session):
    m, parts, *_ = session
    p = attendance.confirm_identity(org.secretary, m.pk, parts[0].pk)
    assert p.identity_confirmed_by == org.secretary and p.identity_confirmed_at is not None


def test_members_cannot_run_attendance(org, session):
    m, parts, *_ = session
    with pytest.raises(DomainError) as info:
        attendance.check_in(org.member_user(6), m.pk, parts[6].pk)
    assert info.value.code == "meeting.forbidden"
