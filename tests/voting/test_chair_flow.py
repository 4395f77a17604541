"""The chair's flow from proposals to the decision and dissent (KL 104 §, 106 §).

R40 proposals, seconding, voting order; R41 majority and the chair's tie-break; R43 order;
R44 named results; R33 procedural motions first; R35 quorum; R46/R47 dissent.
"""

from __future__ import annotations

import pytest

from kokous.errors import DomainError
from meetings.models import ItemStatus, Participant
from tests.voting.test_voting_support import (
    BASE_TEXT,
    audit_entries,
    close_discussion,
    make_room,
)
from voting import selectors, services
from voting.models import Decision, Dissent, Proposal, Vote, VotingOrder

pytestmark = pytest.mark.django_db(transaction=False)


def vote_all(room, vote, choices: dict[int, str]) -> None:
    for i, option in choices.items():
        services.cast_ballot(room.user(i), room.meeting.pk, vote.pk, option)


def test_r40_r43_r44_full_chair_flow_three_proposals_two_votes():
    """R40, R43, R44: base + two seconded counter-proposals (one more falls unseconded); the
    chair states the proposals, proposes and gets the order approved, runs two pairwise votes
    and states the decision; the named results list every member by option."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Määrärahaa korotetaan 50 000 €.")
    services.second_proposal(room.user(2), m, a.pk)
    b = services.make_proposal(room.user(3), m, i, "counter", "Määrärahaa korotetaan 80 000 €.")
    services.second_proposal(room.user(4), m, b.pk)
    c = services.make_proposal(room.user(2), m, i, "counter", "Asia hylätään kokonaan.")

    close_discussion(room)
    voted, fallen = services.state_proposals(room.chair, m, i)
    base = Proposal.objects.get(item=room.item, kind="base")
    assert base.text == BASE_TEXT
    assert [p.id for p in voted] == [base.pk, a.pk, b.pk]
    assert [(f.proposal.id, f.reason) for f in fallen] == [(c.pk, "vote.unseconded")]

    order = services.propose_order(room.chair, m, i)
    assert not order.is_approved
    with pytest.raises(DomainError) as exc:
        services.open_vote(room.chair, m, i)
    assert exc.value.code == "order.not_approved"
    services.approve_order(room.chair, m, i)
    # R43: the later counter-proposal first (no distances), the winner against the base.
    assert VotingOrder.objects.get(item=room.item).plan == [
        {"step": 1, "jaa": b.pk, "ei": a.pk, "procedural": False},
        {"step": 2, "jaa": base.pk, "ei": {"winner_of": 1}, "procedural": False},
    ]

    v1 = services.open_vote(room.chair, m, i)
    room.refresh()
    assert room.item.status == ItemStatus.VOTING
    assert (v1.jaa_proposal_id, v1.ei_proposal_id) == (b.pk, a.pk)
    vote_all(room, v1, {0: "ei", 1: "ei", 2: "ei", 3: "jaa"})  # member 4 does not vote
    v1 = services.close_vote(room.chair, m, v1.pk)
    assert (v1.jaa_count, v1.ei_count, v1.tyhja_count, v1.absent_count) == (1, 3, 0, 1)
    assert v1.winner_proposal_id == a.pk

    v2 = services.open_vote(room.chair, m, i)
    assert (v2.step, v2.jaa_proposal_id, v2.ei_proposal_id) == (2, base.pk, a.pk)
    vote_all(room, v2, {0: "jaa", 1: "ei", 2: "ei", 3: "jaa", 4: "jaa"})
    v2 = services.close_vote(room.chair, m, v2.pk)
    assert v2.winner_proposal_id == base.pk

    decision = services.state_decision(room.chair, m, i)
    room.refresh()
    assert decision.proposal_id == base.pk and decision.by_vote
    assert room.item.status == ItemStatus.DECIDED
    assert room.item.decision_text == BASE_TEXT

    names = selectors.vote_result(room.chair, m, v2.pk)["names"]
    assert {p["person_id"] for p in names["jaa"]} == {
        room.person(0).pk, room.person(3).pk, room.person(4).pk
    }
    assert names["tyhja"] == [] and names["absent"] == []
    assert {p["person_id"] for p in names["ei"]} == {room.person(1).pk, room.person(2).pk}

    # R46: the counter-proposer and those who voted against may register dissent.
    services.register_dissent(room.user(1), m, i)
    services.register_dissent(room.user(2), m, i)
    with pytest.raises(DomainError) as exc:
        services.register_dissent(room.user(4), m, i)  # voted for the decision
    assert exc.value.code == "dissent.not_entitled"
    services.close_dissent_window(room.chair, m, i)
    with pytest.raises(DomainError) as exc:
        services.register_dissent(room.user(3), m, i)  # counter-proposer, but window closed
    assert exc.value.code == "dissent.window_closed"
    services.attach_dissent_reasons(room.user(1), m, i, "Korotus on välttämätön.")
    assert Dissent.objects.get(item=room.item, person=room.person(1)).reasons

    actions = [e["action"] for e in audit_entries()]
    for expected in ("proposal.made", "proposal.seconded", "proposals.stated",
                     "voting.order_proposed", "voting.order_approved", "vote.opened",
                     "vote.cast", "vote.closed", "decision.stated", "dissent.registered",
                     "dissent.window_closed", "dissent.reasons_attached"):
        assert expected in actions, expected

    record = selectors.item_voting_record(room.chair, room.item)
    assert [v["step"] for v in record["votes"]] == [1, 2]
    assert record["decision"]["proposal_number"] == 0
    assert {d["person_id"] for d in record["dissents"]} == {room.person(1).pk, room.person(2).pk}


def test_r40_no_seconded_counter_proposal_decision_without_vote():
    """R40: when nothing seconded differs from the base, the chair states it without a vote."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    services.make_proposal(room.user(1), m, i, "counter", "Asia hylätään.")  # nobody seconds
    close_discussion(room)
    voted, fallen = services.state_proposals(room.chair, m, i)
    assert len(voted) == 1 and len(fallen) == 1
    with pytest.raises(DomainError) as exc:
        services.propose_order(room.chair, m, i)
    assert exc.value.code == "order.not_needed"
    decision = services.state_decision(room.chair, m, i)
    assert not decision.by_vote and decision.proposal.is_base
    assert Vote.objects.count() == 0
    room.refresh()
    assert room.item.status == ItemStatus.DECIDED


def test_r40_decision_refused_while_seconded_counter_proposal_needs_a_vote():
    """R40: with a seconded counter-proposal, the decision cannot be stated without a vote."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Toinen ehdotus.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    with pytest.raises(DomainError) as exc:
        services.state_decision(room.chair, m, i)
    assert exc.value.code == "decision.vote_needed"
    assert not Decision.objects.exists()


def test_r41_tie_broken_by_the_chairs_vote():
    """R41: 2–2 with the chair voting jaa: jaa wins, recorded as a tie broken by the chair."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    vote_all(room, vote, {0: "jaa", 1: "ei", 2: "ei", 3: "jaa", 4: "tyhja"})
    vote = services.close_vote(room.chair, m, vote.pk)
    assert vote.tie and vote.tie_broken_by_chair
    assert vote.winner == "jaa" and vote.winner_proposal_id == vote.jaa_proposal_id
    closed = audit_entries("vote.closed", f"vote:{vote.pk}")[0]["data"]
    assert closed["tie_broken_by_chair"] is True and closed["jaa"] == 2 and closed["ei"] == 2


def test_r41_tie_with_chair_tyhja_is_refused_and_surfaced_to_the_chair():
    """R41: a tie the chair's vote does not break (chair voted tyhjä) cannot be closed silently:
    `vote.tie_needs_chair`, the vote is marked for the chair (audited), and after a restart the
    new vote can be decided."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    vote_all(room, vote, {0: "tyhja", 1: "ei", 2: "ei", 3: "jaa", 4: "jaa"})
    for _ in range(2):  # also a second attempt to close is refused
        with pytest.raises(DomainError) as exc:
            services.close_vote(room.chair, m, vote.pk)
        assert exc.value.code == "vote.tie_needs_chair"
    vote.refresh_from_db()
    assert vote.status == "open" and vote.needs_chair_decision and vote.attention_reason == "tie"
    flag = audit_entries("vote.needs_chair_decision", f"vote:{vote.pk}")[0]
    assert flag["data"]["reason"] == "tie"
    assert not audit_entries("vote.closed")
    with pytest.raises(DomainError) as exc:
        services.state_decision(room.chair, m, i)
    assert exc.value.code == "decision.votes_pending"

    again = services.chair_choice(room.chair, m, vote.pk, "restart")
    vote.refresh_from_db()
    assert vote.status == "voided" and again.attempt == 2 and again.step == vote.step
    vote_all(room, again, {0: "jaa", 1: "ei", 2: "ei", 3: "jaa", 4: "jaa"})
    again = services.close_vote(room.chair, m, again.pk)
    assert again.winner == "jaa" and not again.tie
    assert audit_entries("vote.chair_choice")[0]["data"]["choice"] == "restart"


def test_r33_procedural_motion_is_voted_first_and_ends_the_handling():
    """R33: a seconded motion to table is voted first; when it wins the item is tabled and
    no further vote is opened."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    services.second_proposal(room.user(2), m, a.pk)
    t = services.make_proposal(room.user(3), m, i, "procedural", "", procedural_kind="table")
    services.second_proposal(room.user(4), m, t.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    order = services.propose_order(room.chair, m, i)
    assert order.plan[0]["procedural"] is True and order.plan[0]["ei"] == t.pk
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    vote_all(room, vote, {0: "jaa", 1: "ei", 2: "ei", 3: "ei", 4: "ei"})
    services.close_vote(room.chair, m, vote.pk)
    with pytest.raises(DomainError) as exc:
        services.open_vote(room.chair, m, i)
    assert exc.value.code == "vote.handling_ended"
    decision = services.state_decision(room.chair, m, i)
    room.refresh()
    assert decision.proposal_id == t.pk
    assert room.item.status == ItemStatus.TABLED


def test_r43_chair_may_change_the_order_but_an_invalid_order_is_refused():
    """R40, R43: the chair's changed order is validated by procedure.validate_plan."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Ehdotus A.")
    services.second_proposal(room.user(2), m, a.pk)
    b = services.make_proposal(room.user(3), m, i, "counter", "Ehdotus B.")
    services.second_proposal(room.user(4), m, b.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    base = Proposal.objects.get(item=room.item, kind="base")
    bad = [{"step": 1, "jaa": base.pk, "ei": a.pk}]  # B is missing
    with pytest.raises(DomainError) as exc:
        services.propose_order(room.chair, m, i, plan=bad)
    assert exc.value.code == "order.invalid"
    assert "vote.order_missing_proposal" in exc.value.message
    changed = services.propose_order(room.chair, m, i, plan_text="1 2\n0 V1")
    assert changed.changed_by_chair
    assert changed.plan[0]["jaa"] == a.pk and changed.plan[1]["ei"] == {"winner_of": 1}


def test_r35_no_vote_is_opened_without_quorum():
    """R35: opening a vote calls the meetings quorum guard (`meeting.no_quorum`)."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    Participant.objects.filter(pk__in=[p.pk for p in room.participants[2:]]).update(
        is_present=False
    )
    with pytest.raises(DomainError) as exc:
        services.open_vote(room.chair, m, i)
    assert exc.value.code == "meeting.no_quorum"
    assert not Vote.objects.exists()


def test_r76_only_the_chair_runs_the_chairs_steps():
    """R76: a member who is not the chair cannot state proposals, open or close votes."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    close_discussion(room)
    for call in (
        lambda: services.state_proposals(room.user(1), m, i),
        lambda: services.propose_order(room.user(1), m, i),
        lambda: services.state_decision(room.user(1), m, i),
    ):
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.code == "handling.chair_only"
