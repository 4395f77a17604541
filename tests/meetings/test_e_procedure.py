"""The electronic decision-making procedure, KL 100 § (sähköinen päätöksentekomenettely).

R2 (the administrative rule must allow it), R15 (never the council, never a public item),
R16 (items and deadline in the notice), R17 (decided only when every member has answered and
the deadline has passed), R18 (one demand, or a missing answer at the deadline, transfers),
R19 (accept / demand only), R20 (substitutes, disqualified members), R21 (minutes selector),
R22 (every answer kept, changeable until the deadline), R23 (a changed proposal).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from audit.models import AuditEntry
from kokous.errors import DomainError
from meetings import selectors
from meetings.deadlines import HELSINKI
from meetings.models import AgendaAmendment, AgendaItem, EProcedureAnswer
from meetings.services import agenda, e_procedure, notice
from tests.meetings.conftest import audit_count, make_org

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=HELSINKI)  # notice day
DEADLINE = dt.datetime(2026, 3, 9, 16, 0, tzinfo=HELSINKI)
MEETING = dt.datetime(2026, 3, 12, 17, 0, tzinfo=HELSINKI)
AFTER = DEADLINE + dt.timedelta(minutes=1)


def travel(moment):
    return time_machine.travel(moment, tick=False)


def e_item_meeting(org, deadline=DEADLINE, starts_at=MEETING, **item_kw):
    with travel(T0):
        m = org.new_meeting(starts_at=starts_at)
        item = org.add_item(m, "Lausunto", method="e_procedure", e_deadline=deadline,
                            proposal_text="Annetaan lausunto liitteen mukaisesti.", **item_kw)
        notice.send_notice(org.secretary, m.pk)
    item.refresh_from_db()
    return m, item


def answer(org, i, item, position="accept", comment=""):
    return e_procedure.answer_e_procedure(org.member_user(i), item.pk, position, comment)


def all_accept(org, item, but=()):
    for i in range(9):
        if i not in but:
            answer(org, i, item)


def fresh(item):
    return AgendaItem.objects.get(pk=item.pk)


# --- where the procedure may be used ------------------------------------------------------------


def counts():
    return (AgendaItem.objects.count(), audit_count())


def test_council_is_refused_r15(council):
    council.body.method_authorisations.create(method="e_procedure", valid_from=dt.date(2025, 6, 1))
    with travel(T0):
        m = council.new_meeting(starts_at=MEETING)
        before = counts()
        with pytest.raises(DomainError) as info:
            council.add_item(m, "Asia", method="e_procedure", e_deadline=DEADLINE,
                             is_closed_handling=True)
    assert info.value.code == "eproc.council"
    assert counts() == before


def test_body_whose_rules_do_not_allow_it_is_refused_r2():
    org = make_org()  # in-person, electronic and hybrid only
    with travel(T0):
        m = org.new_meeting(starts_at=MEETING)
        with pytest.raises(DomainError) as info:
            org.add_item(m, "Asia", method="e_procedure", e_deadline=DEADLINE)
    assert info.value.code == "eproc.not_allowed"


def test_item_handled_in_public_is_refused_r15(org):
    with travel(T0):
        m = org.new_meeting(starts_at=MEETING, is_public=True)
        before = counts()
        with pytest.raises(DomainError) as info:
            org.add_item(m, "Asia", method="e_procedure", e_deadline=DEADLINE)
        assert info.value.code == "eproc.public_item"
        assert counts() == before
        # An item the public meeting handles closed may use it.
        org.add_item(m, "Asia", method="e_procedure", e_deadline=DEADLINE,
                     is_closed_handling=True)


@pytest.mark.parametrize(
    ("deadline", "code"),
    [
        (None, "eproc.deadline_required"),
        (T0 - dt.timedelta(hours=1), "eproc.deadline_past"),
        (MEETING + dt.timedelta(hours=1), "eproc.deadline_after_meeting"),
    ],
)
def test_deadline_must_be_in_the_future_and_before_the_meeting_r16(org, deadline, code):
    with travel(T0):
        m = org.new_meeting(starts_at=MEETING)
        before = counts()
        with pytest.raises(DomainError) as info:
            org.add_item(m, "Asia", method="e_procedure", e_deadline=deadline)
    assert info.value.code == code
    assert counts() == before


def test_deadline_that_passed_before_the_notice_blocks_sending_r16(org):
    with travel(T0):
        m = org.new_meeting(starts_at=MEETING)
        org.add_item(m, "Asia", method="e_procedure", e_deadline=T0 + dt.timedelta(hours=2))
    with travel(T0 + dt.timedelta(hours=3)), pytest.raises(DomainError) as info:
        notice.send_notice(org.secretary, m.pk)
    assert info.value.code == "eproc.deadline_past"


# --- answers and outcomes -----------------------------------------------------------------------


def test_one_demand_transfers_the_item_at_once_r18(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        answer(org, 0, item)
        answer(org, 4, item, "demand", "Haluan keskustella tästä.")
        item = fresh(item)
        assert item.status == "transferred" and item.transfer_reason == "demand"
        # It is on the agenda of the body's next meeting (here the one the notice was for).
        new = AgendaItem.objects.get(transferred_from=item)
        assert new.meeting == m and new.method == "meeting" and new.status == "pending"
        assert new.added_as_amendment and new.section_number != item.section_number
        assert new.current_proposal.text == "Annetaan lausunto liitteen mukaisesti."
        assert AgendaAmendment.objects.get(item=new).kind == "item_transferred"
        with pytest.raises(DomainError) as info:
            answer(org, 5, item)
        assert info.value.code == "eproc.closed"
    entry = AuditEntry.objects.get(action="eproc.transferred")
    assert entry.actor == f"user:{org.member_user(4).pk}"


def test_one_missing_answer_at_the_deadline_transfers_r18(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item, but={8})
    with travel(DEADLINE - dt.timedelta(seconds=1)):
        assert e_procedure.apply_due_e_procedure_deadlines() == []
    with travel(AFTER):
        assert e_procedure.apply_due_e_procedure_deadlines() == [item.pk]
    item = fresh(item)
    assert item.status == "transferred" and item.transfer_reason == "missing"
    entry = AuditEntry.objects.get(action="eproc.transferred")
    assert entry.actor == "system"
    assert f'"missing_seat_ids":[{org.members[8].pk}]' in bytes(entry.entry).decode()


def test_all_accepted_before_the_deadline_is_decided_only_when_it_passes_r17(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item)
        assert e_procedure.apply_due_e_procedure_deadlines() == []
        assert fresh(item).status == "e_open"
        state = e_procedure.e_procedure_state(fresh(item))
        assert state.everyone_answered and not state.decidable_at(T0 + dt.timedelta(days=1))
    with travel(AFTER):
        e_procedure.apply_due_e_procedure_deadlines()
    item = fresh(item)
    assert item.status == "decided"
    assert item.decision_text == "Annetaan lausunto liitteen mukaisesti."
    assert item.closed_at == DEADLINE and item.base_proposal.version == 1


def test_answers_can_change_until_the_deadline_and_history_is_kept_r22(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        answer(org, 3, item, "accept")
        answer(org, 3, item, "disqualified", "Olen hakijan sukulainen")
        answer(org, 3, item, "accept", "Erehdys, en ole esteellinen")
    rows = list(EProcedureAnswer.objects.filter(item=item).order_by("seq"))
    assert [(r.seq, r.position) for r in rows] == [(1, "accept"), (2, "disqualified"),
                                                   (3, "accept")]
    assert all(r.seat_id == org.members[3].pk for r in rows)
    state = e_procedure.e_procedure_state(fresh(item))
    seat = next(s for s in state.seats if s.seat.pk == org.members[3].pk)
    assert seat.position == "accept" and len(seat.history) == 3
    with travel(AFTER), pytest.raises(DomainError) as info:
        answer(org, 3, item, "demand")
    assert info.value.code == "eproc.closed"
    assert EProcedureAnswer.objects.filter(item=item).count() == 3


def test_disqualified_member_counts_as_expressed_not_as_acceptance_r20(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item, but={2})
        answer(org, 2, item, "disqualified")
    with travel(AFTER):
        e_procedure.apply_due_e_procedure_deadlines()
    assert fresh(item).status == "decided"
    data = bytes(AuditEntry.objects.get(action="eproc.decided").entry).decode()
    assert f'"disqualified_seat_ids":[{org.members[2].pk}]' in data


def test_substitute_answers_only_if_the_rules_allow_it_r20(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        with pytest.raises(DomainError) as info:
            e_procedure.answer_e_procedure(org.sub_user(6), item.pk, "accept")
        assert info.value.code == "eproc.substitute_not_allowed"
        org.body.e_procedure_substitute_may_answer = True
        org.body.save()
        a = e_procedure.answer_e_procedure(org.sub_user(6), item.pk, "accept")
        assert a.seat_id == org.members[6].pk and a.person == org.subs[6].person
        answer(org, 7, item)
        with pytest.raises(DomainError) as info:
            e_procedure.answer_e_procedure(org.sub_user(7), item.pk, "accept")
        assert info.value.code == "eproc.member_answered"
        with pytest.raises(DomainError) as info:
            e_procedure.answer_e_procedure(org.secretary, item.pk, "accept")
        assert info.value.code == "eproc.not_member"
        with pytest.raises(DomainError) as info:
            answer(org, 1, item, "maybe")
        assert info.value.code == "eproc.bad_position"


def test_a_changed_proposal_needs_every_position_again_r23(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item)
        agenda.add_proposal_version(org.secretary, item.pk, "Korjattu lausunto.",
                                    amendment_reason="Virhe liitteessä")
        state = e_procedure.e_procedure_state(fresh(item))
        assert len(state.missing) == 9
        all_accept(org, item, but={0})
    with travel(AFTER):
        e_procedure.apply_due_e_procedure_deadlines()
    assert fresh(item).status == "transferred"


def test_the_scheduler_command_applies_the_deadline_r17(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item)
    with travel(AFTER):
        out = io.StringIO()
        call_command("apply_e_procedure_deadlines", stdout=out)
        assert "1 item" in out.getvalue()
        call_command("apply_e_procedure_deadlines", stdout=io.StringIO())  # idempotent
    assert fresh(item).status == "decided"
    assert AuditEntry.objects.filter(action="eproc.decided").count() == 1


def test_a_page_read_applies_the_deadline_without_the_scheduler_r18(org, client):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item, but={5})
    client.force_login(org.member_user(1))
    with travel(AFTER):
        assert fresh(item).status == "e_open"  # nobody ran anything yet
        page = client.get(f"/asiat/{item.pk}/")
        assert page.status_code == 200
        assert "Asia siirtyi kokouksen käsiteltäväksi" in page.content.decode()
    assert fresh(item).status == "transferred"


def test_transfer_waits_for_a_meeting_if_none_exists_r18(org):
    # Deadline at the very start of the meeting: at the deadline no meeting can take it.
    m, item = e_item_meeting(org, deadline=MEETING)
    with travel(MEETING + dt.timedelta(minutes=5)):
        e_procedure.apply_due_e_procedure_deadlines()
        item = fresh(item)
        assert item.status == "transferred" and not item.transferred_to.exists()
        nxt = org.new_meeting(starts_at=MEETING + dt.timedelta(days=14))
    new = AgendaItem.objects.get(transferred_from=item)
    assert new.meeting == nxt and not new.added_as_amendment


def test_answer_and_audit_entry_are_one_transaction(org, monkeypatch):
    m, item = e_item_meeting(org)

    def boom(*args, **kwargs):
        raise RuntimeError("failure after the change")

    monkeypatch.setattr("meetings.services.e_procedure.push", boom)
    before = (EProcedureAnswer.objects.count(), audit_count())
    with travel(T0 + dt.timedelta(days=1)), pytest.raises(RuntimeError):
        answer(org, 1, item)
    assert (EProcedureAnswer.objects.count(), audit_count()) == before
    monkeypatch.undo()
    monkeypatch.setattr("audit.record", boom)
    with travel(T0 + dt.timedelta(days=1)), pytest.raises(RuntimeError):
        answer(org, 1, item)
    assert EProcedureAnswer.objects.count() == before[0]


def test_checkpoint_when_a_matter_closes(org, monkeypatch):
    calls = []
    monkeypatch.setattr("meetings.services.e_procedure.checkpoint_on_commit",
                        lambda: calls.append(1))
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item)
    with travel(AFTER):
        e_procedure.apply_due_e_procedure_deadlines()
    assert calls == [1]


def test_minutes_selectors_r21(org):
    m, item = e_item_meeting(org)
    with travel(T0 + dt.timedelta(days=1)):
        all_accept(org, item, but={1})
        answer(org, 1, item, "disqualified")
    with travel(AFTER):
        state = selectors.e_procedure_results(org.secretary, item.pk)  # applies the deadline
        decided = selectors.e_procedure_decisions(org.secretary, m.pk)
    assert fresh(item).status == "decided"
    assert [i.pk for i in decided] == [item.pk]
    assert len(state.accepted) == 8 and len(state.disqualified) == 1 and not state.missing
