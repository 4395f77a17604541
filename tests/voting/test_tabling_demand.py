"""R33: in the council a first-time item is tabled without a vote when a quarter of the
councillors present demand it (`procedure.tabling_demand_threshold`); other bodies vote."""

from __future__ import annotations

import pytest

from kokous.errors import DomainError
from tests.voting.test_voting_support import audit_entries, close_discussion, make_room
from voting import services
from voting.models import Decision, TablingDemand

pytestmark = pytest.mark.django_db


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def table_motion(room):
    return services.make_proposal(
        room.user(1), room.meeting.pk, room.item.pk, "procedural", "", procedural_kind="table"
    )


def test_r33_quarter_of_councillors_present_tables_without_a_vote():
    """9 councillors present → ceil(9 / 4) = 3 must demand it: the proposer and two who join.
    The chair then states the item tabled without a vote; the decision records who demanded
    it, of how many present, against which threshold."""
    room = make_room(kind="council", seats=9)
    m = room.meeting.pk
    motion = table_motion(room)
    services.join_tabling_demand(room.user(2), m, motion.pk)
    services.join_tabling_demand(room.user(2), m, motion.pk)  # idempotent
    assert TablingDemand.objects.filter(proposal=motion).count() == 1
    first = audit_entries("tabling.demand_joined")[-1]["data"]
    assert (first["demanders"], first["present"], first["threshold"], first["met"]) == (
        2, 9, 3, False
    )
    services.join_tabling_demand(room.user(3), m, motion.pk)
    last = audit_entries("tabling.demand_joined")[-1]["data"]
    assert (last["demanders"], last["threshold"], last["met"]) == (3, 3, True)
    assert last["person"] == room.person(3).pk

    close_discussion(room)
    services.state_proposals(room.chair, m, room.item.pk)
    assert code_of(lambda: services.propose_order(room.chair, m, room.item.pk)) == (
        "order.not_needed"
    )
    decision = services.state_decision(room.chair, m, room.item.pk)
    assert decision.by_demand and not decision.by_vote and decision.proposal_id == motion.pk
    room.refresh()
    assert room.item.status == "tabled"
    stated = audit_entries("decision.stated")[-1]["data"]
    assert stated["by_demand"] is True
    assert stated["tabling_demand"] == {
        "demanders": sorted(room.person(i).pk for i in (1, 2, 3)), "present": 9,
        "threshold": 3, "fraction": "1/4",
    }


def test_r33_short_of_a_quarter_the_motion_is_voted():
    """Two of nine is less than a quarter: the seconded motion is voted first (R33, R43)."""
    room = make_room(kind="council", seats=9)
    m = room.meeting.pk
    motion = table_motion(room)
    services.join_tabling_demand(room.user(2), m, motion.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, room.item.pk)
    assert code_of(lambda: services.state_decision(room.chair, m, room.item.pk)) == (
        "decision.vote_needed"
    )
    order = services.propose_order(room.chair, m, room.item.pk)
    assert order.plan[0]["procedural"] is True
    assert not Decision.objects.filter(item=room.item).exists()


def test_r33_demand_path_only_in_the_council_and_not_by_the_proposer():
    """A committee decides tabling by vote; the proposer already demands it."""
    committee = make_room(kind="committee", seats=5)
    motion = table_motion(committee)
    assert code_of(lambda: services.join_tabling_demand(
        committee.user(2), committee.meeting.pk, motion.pk)) == "tabling.not_applicable"

    council = make_room(kind="council", seats=5)
    motion = table_motion(council)
    assert code_of(lambda: services.join_tabling_demand(
        council.user(1), council.meeting.pk, motion.pk)) == "proposal.own"
    counter = services.make_proposal(
        council.user(1), council.meeting.pk, council.item.pk, "counter", "Toisin."
    )
    assert code_of(lambda: services.join_tabling_demand(
        council.user(2), council.meeting.pk, counter.pk)) == "tabling.not_table_motion"


def test_r33_item_page_shows_the_demand_and_the_join_button(client):
    """The proposal list shows demanders / threshold and a keyboard-usable join button."""
    room = make_room(kind="council", seats=9)
    motion = table_motion(room)
    client.force_login(room.user(4))
    url = f"/voting/kokoukset/{room.meeting.pk}/asiat/{room.item.pk}/"
    page = client.get(url).content.decode()
    assert f"/voting/kokoukset/{room.meeting.pk}/ehdotukset/{motion.pk}/join-demand/" in page
    response = client.post(
        f"/voting/kokoukset/{room.meeting.pk}/ehdotukset/{motion.pk}/join-demand/",
        {"next": url},
    )
    assert response.status_code == 302
    assert TablingDemand.objects.filter(proposal=motion).count() == 1
    page = client.get(url).content.decode()
    assert room.person(4).full_name in page
