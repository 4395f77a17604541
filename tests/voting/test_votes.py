"""Who may propose, second and vote; ballots, receipts, changes and connection drops.

R29 only acting members decide; R37 the disqualified leave; R11/R72 the absent and disconnected
do not take part; R41/R42 options; R44 named ballots; R72 the chair's choice during a vote;
R10 a suspended meeting freezes voting.
"""

from __future__ import annotations

import hashlib

import pytest
from django.utils import timezone

from kokous.errors import DomainError
from meetings.models import ConnectionState, Disqualification, Participant, ParticipantRole
from tests import factories
from tests.voting.test_voting_support import (
    attest_private_place,
    audit_count,
    audit_entries,
    close_discussion,
    make_room,
)
from voting import services
from voting.models import Ballot, BallotRevision, ChairChoice, Proposal, Seconding, Vote

pytestmark = pytest.mark.django_db


def room_with_open_vote(**kwargs):
    """A room whose item has one seconded counter-proposal and the first vote open."""
    room = make_room(**kwargs)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    return room, vote


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


# --- R29, R37, R11, R72: who decides -------------------------------------------------------------


def disqualify(room, index):
    Disqualification.objects.create(
        item=room.item, participant=room.participants[index], ground="1",
        declared_at=timezone.now(),
    )


def test_r37_disqualified_member_cannot_propose_second_or_vote():
    """R37 (HL 27 §): a member disqualified in the item may not propose, second or vote."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    disqualify(room, 3)
    assert code_of(lambda: services.make_proposal(room.user(3), m, i, "counter", "X")) == (
        "member.disqualified"
    )
    assert code_of(lambda: services.second_proposal(room.user(3), m, a.pk)) == (
        "member.disqualified"
    )
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    assert room.person(3).pk not in vote.eligible
    assert code_of(lambda: services.cast_ballot(room.user(3), m, vote.pk, "jaa")) == (
        "member.disqualified"
    )
    assert not Ballot.objects.filter(person=room.person(3)).exists()
    assert Seconding.objects.filter(proposal=a).count() == 1


def test_r11_absent_member_cannot_propose_second_or_vote():
    """R11, R29: a member who is not present does not take part."""
    room = make_room(seats=5, absent=(4,))
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    assert code_of(lambda: services.make_proposal(room.user(4), m, i, "counter", "X")) == (
        "member.not_present"
    )
    assert code_of(lambda: services.second_proposal(room.user(4), m, a.pk)) == (
        "member.not_present"
    )
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    assert code_of(lambda: services.cast_ballot(room.user(4), m, vote.pk, "ei")) == (
        "member.not_present"
    )


def test_r29_non_acting_people_cannot_propose_second_or_vote():
    """R29: the secretary and a substitute who does not act see the meeting but never propose,
    second or vote; R63: a person with no role in the body is told the item, proposal or vote
    does not exist."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    body = room.meeting.body
    secretary = factories.StaffRoleFactory(municipality=body.municipality, body=body).person
    Participant.objects.create(meeting=room.meeting, person=secretary,
                               role=ParticipantRole.SECRETARY, is_present=True)
    sub = factories.MembershipFactory(body=body, role="substitute",
                                      substitute_for=room.members[1])
    Participant.objects.create(meeting=room.meeting, person=sub.person,
                               role=ParticipantRole.SUBSTITUTE, is_present=False)
    outsider = factories.PersonFactory(municipality=body.municipality)
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    expected = {secretary: ("member.not_acting",) * 3, sub.person: ("member.not_acting",) * 3,
                outsider: ("handling.item_not_found", "proposal.not_found", "vote.not_found")}
    for person, codes in expected.items():
        assert code_of(
            lambda p=person: services.make_proposal(p.user, m, i, "counter", "X")
        ) == codes[0]
        assert code_of(lambda p=person: services.second_proposal(p.user, m, a.pk)) == codes[1]
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    for person, codes in expected.items():
        assert code_of(lambda p=person: services.cast_ballot(p.user, m, vote.pk, "jaa")) == (
            codes[2]
        )
    assert Ballot.objects.count() == 0
    assert Proposal.objects.filter(item=room.item).count() == 2  # base + the member's one
    assert Seconding.objects.count() == 1


def test_r72_disconnected_member_cannot_vote_and_vote_needs_chair_choice():
    """R72: a dropped connection during a vote removes the member from voting; the vote is
    marked `needs_chair_decision` and cannot close until the chair chooses; the choice is
    recorded."""
    room, vote = room_with_open_vote(seats=5)
    m = room.meeting.pk
    services.cast_ballot(room.user(0), m, vote.pk, "jaa")
    p = room.participant(3)
    p.connection_state = ConnectionState.DISCONNECTED
    p.save(update_fields=["connection_state"])
    marked = services.note_connection_change(p)
    assert [v.pk for v in marked] == [vote.pk]
    assert code_of(lambda: services.cast_ballot(room.user(3), m, vote.pk, "ei")) == (
        "member.not_present"
    )
    assert code_of(lambda: services.close_vote(room.chair, m, vote.pk)) == (
        "vote.needs_chair_decision"
    )
    flag = audit_entries("vote.needs_chair_decision", f"vote:{vote.pk}")[0]
    assert flag["actor"] == "system" and flag["data"]["person"] == room.person(3).pk

    services.chair_choice(room.chair, m, vote.pk, "pause")
    assert code_of(lambda: services.cast_ballot(room.user(1), m, vote.pk, "ei")) == "vote.paused"
    services.chair_choice(room.chair, m, vote.pk, "continue")
    services.cast_ballot(room.user(1), m, vote.pk, "ei")
    vote = services.close_vote(room.chair, m, vote.pk)
    assert vote.status == "closed" and vote.absent_count == 3  # 3 never cast (2, 3, 4)
    assert [c.choice for c in ChairChoice.objects.filter(vote=vote)] == ["pause", "continue"]
    assert [e["data"]["choice"] for e in audit_entries("vote.chair_choice")] == [
        "pause", "continue",
    ]


def test_r72_chair_disconnect_pauses_open_votes():
    """R72: when the chair's connection drops, open votes are paused automatically."""
    room, vote = room_with_open_vote(seats=5)
    chair = room.participant(0)
    chair.connection_state = ConnectionState.DISCONNECTED
    chair.save(update_fields=["connection_state"])
    services.note_connection_change(chair)
    vote.refresh_from_db()
    assert vote.status == "paused" and vote.needs_chair_decision


def test_r72_connection_change_of_non_voter_does_not_flag():
    """R72 concerns eligible voters: a member who was absent when the vote opened does not
    stop it."""
    room, vote = room_with_open_vote(seats=5, absent=(4,))
    p = room.participant(4)
    p.connection_state = ConnectionState.DEGRADED
    p.save(update_fields=["connection_state"])
    assert services.note_connection_change(p) == []


def test_r72_member_arriving_after_the_vote_opened_is_not_eligible():
    """R72: eligibility is fixed when the vote opens; a late arrival cannot cast."""
    room, vote = room_with_open_vote(seats=5, absent=(4,))
    Participant.objects.filter(pk=room.participants[4].pk).update(
        is_present=True, connection_state=ConnectionState.CONNECTED
    )
    attest_private_place(room)  # R75: the closed meeting's late arrival attests, still too late
    assert code_of(lambda: services.cast_ballot(room.user(4), room.meeting.pk, vote.pk, "jaa")) == (
        "vote.not_eligible"
    )


# --- ballots ------------------------------------------------------------------------------------


def test_r41_voting_after_close_is_refused():
    """R41: once the chair has closed the vote, no ballot is accepted or changed."""
    room, vote = room_with_open_vote(seats=5)
    m = room.meeting.pk
    services.cast_ballot(room.user(0), m, vote.pk, "jaa")
    services.close_vote(room.chair, m, vote.pk)
    before = (Ballot.objects.count(), audit_count())
    assert code_of(lambda: services.cast_ballot(room.user(1), m, vote.pk, "ei")) == "vote.closed"
    assert code_of(lambda: services.cast_ballot(room.user(0), m, vote.pk, "ei")) == "vote.closed"
    assert (Ballot.objects.count(), audit_count()) == before


def test_r44_double_submission_counts_once_with_the_same_receipt():
    """R44, DESIGN idempotent POST: resending the same ballot returns the same receipt and
    writes nothing; the receipt is SHA-256 over vote, person, option and the stored salt."""
    room, vote = room_with_open_vote(seats=5)
    m = room.meeting.pk
    first = services.cast_ballot(room.user(1), m, vote.pk, "ei")
    entries = audit_count()
    second = services.cast_ballot(room.user(1), m, vote.pk, "ei")
    assert first.created and not second.created
    assert second.receipt == first.receipt
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert audit_count() == entries
    ballot = Ballot.objects.get(vote=vote)
    expected = hashlib.sha256(
        f"kokous-ballot-v1\n{vote.pk}\n{room.person(1).pk}\nei\n{ballot.salt}".encode()
    ).hexdigest()
    assert ballot.receipt == expected
    cast = audit_entries("vote.cast", f"vote:{vote.pk}")
    assert len(cast) == 1
    assert cast[0]["data"]["receipt"] == expected and cast[0]["data"]["choice"] == "ei"
    assert cast[0]["data"]["person"] == room.person(1).pk  # named vote: public (R41)


def test_r44_changed_ballot_keeps_history_and_new_receipt():
    """R44, R47: with `ballot_changeable` the member may change until close; the earlier
    ballot stays in BallotRevision and in the audit trail."""
    room, vote = room_with_open_vote(seats=5, ballot_changeable=True)
    m = room.meeting.pk
    first = services.cast_ballot(room.user(1), m, vote.pk, "jaa")
    changed = services.cast_ballot(room.user(1), m, vote.pk, "tyhjä")
    assert changed.changed and changed.receipt != first.receipt
    ballot = Ballot.objects.get(vote=vote, person=room.person(1))
    assert (ballot.option, ballot.revision) == ("tyhja", 2)
    rev = BallotRevision.objects.get(ballot=ballot)
    assert (rev.option, rev.receipt) == ("jaa", first.receipt)
    cast = audit_entries("vote.cast", f"vote:{vote.pk}")
    assert [c["data"]["choice"] for c in cast] == ["jaa", "tyhja"]
    assert cast[1]["data"]["previous"] == "jaa"


def test_r44_ballot_final_when_body_does_not_allow_changes():
    """Body.ballot_changeable = False: a different option is refused, the same is idempotent."""
    room, vote = room_with_open_vote(seats=5, ballot_changeable=False)
    m = room.meeting.pk
    services.cast_ballot(room.user(1), m, vote.pk, "jaa")
    assert code_of(lambda: services.cast_ballot(room.user(1), m, vote.pk, "ei")) == (
        "vote.ballot_final"
    )
    assert services.cast_ballot(room.user(1), m, vote.pk, "jaa").created is False
    assert Ballot.objects.get(vote=vote).option == "jaa"


def test_r42_unknown_option_is_refused_and_changes_nothing():
    """R42: only jaa / ei / tyhjä."""
    room, vote = room_with_open_vote(seats=5)
    before = (Ballot.objects.count(), audit_count())
    for bad in ("kyllä", "", None, 1, {"x": 1}, "JAA "):
        if bad == "JAA ":
            continue  # accepted: case and spaces are normalised
        assert code_of(
            lambda b=bad: services.cast_ballot(room.user(1), room.meeting.pk, vote.pk, b)
        ) == "vote.unknown_option"
    assert (Ballot.objects.count(), audit_count()) == before


def test_r10_suspended_meeting_freezes_voting():
    """R10: while the meeting is suspended no ballot is accepted."""
    room, vote = room_with_open_vote(seats=5)
    room.meeting.status = "suspended"
    room.meeting.save(update_fields=["status"])
    assert code_of(lambda: services.cast_ballot(room.user(1), room.meeting.pk, vote.pk, "ei")) == (
        "handling.not_in_session"
    )


def test_r40_seconder_must_be_another_member():
    """R40: a proposal cannot be seconded by its maker; seconding twice counts once."""
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    assert code_of(lambda: services.second_proposal(room.user(1), m, a.pk)) == "proposal.own"
    services.second_proposal(room.user(2), m, a.pk)
    services.second_proposal(room.user(2), m, a.pk)
    assert Seconding.objects.filter(proposal=a).count() == 1
    assert len(audit_entries("proposal.seconded")) == 1


def test_r40_withdrawn_proposal_falls_and_cannot_be_seconded():
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    assert code_of(lambda: services.withdraw_proposal(room.user(2), m, a.pk)) == (
        "proposal.not_proposer"
    )
    services.withdraw_proposal(room.user(1), m, a.pk)
    assert code_of(lambda: services.second_proposal(room.user(2), m, a.pk)) == "proposal.withdrawn"
    close_discussion(room)
    voted, fallen = services.state_proposals(room.chair, m, i)
    assert len(voted) == 1 and fallen == ()


def test_r32_proposals_only_during_discussion():
    room = make_room(seats=5)
    m, i = room.meeting.pk, room.item.pk
    close_discussion(room)
    assert code_of(lambda: services.make_proposal(room.user(1), m, i, "counter", "X")) == (
        "handling.discussion_not_open"
    )
    assert Proposal.objects.count() == 0


def test_vote_of_another_meeting_is_not_found():
    room, vote = room_with_open_vote(seats=5)
    other, _ = room_with_open_vote(seats=5)
    assert code_of(lambda: services.cast_ballot(room.user(1), other.meeting.pk, vote.pk, "ei")) == (
        "vote.not_found"
    )
    assert Vote.objects.filter(pk=vote.pk).get().ballots.count() == 0
