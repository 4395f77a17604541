"""Elections: connection changes during an open election (R72, the same rule and record as
votes) and candidate lists with electoral alliances registered before opening (R45)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kokous.errors import DomainError
from meetings.models import ConnectionState
from tests.factories import StaffRoleFactory
from tests.voting.test_voting_support import audit_entries, make_room
from voting import services
from voting.models import (
    CandidateList,
    ChairChoice,
    ElectionBallot,
    ElectionParticipation,
    ElectoralAlliance,
)

pytestmark = pytest.mark.django_db


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def open_election(room, names=("Aho", "Berg")):
    m = room.meeting.pk
    election = services.create_election(
        room.chair, m, room.item.pk, title="Puheenjohtajan vaali", seats=1, closed_ballot=True
    )
    candidates = [
        services.nominate_candidate(room.user(1), m, election.pk, name=n) for n in names
    ]
    election = services.open_election(room.chair, m, election.pk)
    return election, candidates


def drop(room, i, state=ConnectionState.DISCONNECTED):
    p = room.participant(i)
    p.connection_state = state
    p.save(update_fields=["connection_state"])
    return services.note_connection_change(p)


# --- R72 -------------------------------------------------------------------------------------


def test_r72_voter_drop_blocks_closing_until_the_chair_chooses():
    """An eligible voter's connection drops: the election cannot close until the chair
    chooses; the flag and the choice are audited and recorded in `ChairChoice` like a vote's."""
    room = make_room(seats=5)
    m = room.meeting.pk
    election, (aho, _berg) = open_election(room)
    services.cast_election_ballot(room.user(1), m, election.pk, aho.pk)
    marked = drop(room, 3)
    assert [type(x).__name__ for x in marked] == ["Election"]
    election.refresh_from_db()
    assert election.needs_chair_decision and election.status == "open"
    assert code_of(lambda: services.close_election(room.chair, m, election.pk)) == (
        "election.needs_chair_decision"
    )
    flag = audit_entries("election.needs_chair_decision")[0]
    assert flag["actor"] == "system" and flag["data"]["person"] == room.person(3).pk
    assert flag["data"]["paused"] is False

    services.election_chair_choice(room.chair, m, election.pk, "continue", "Yhteys palasi.")
    election = services.close_election(room.chair, m, election.pk)
    assert election.status == "closed" and election.result["elected"] == [aho.pk]
    choice = ChairChoice.objects.get(election=election)
    assert (choice.choice, choice.reason, choice.vote_id) == ("continue", "connection", None)
    assert audit_entries("election.chair_choice")[0]["data"]["choice"] == "continue"


def test_r72_chair_drop_pauses_and_restart_discards_the_attempt():
    """The chair's connection drops: the election pauses at once; ballots are refused; a
    restart discards the attempt's ballots uncounted, takes a fresh eligibility list and
    commits a fresh seed before any new ballot."""
    room = make_room(seats=5)
    m = room.meeting.pk
    election, (aho, berg) = open_election(room)
    services.cast_election_ballot(room.user(1), m, election.pk, aho.pk)
    first_commitment = election.seed_commitment
    drop(room, 0)
    election.refresh_from_db()
    assert election.status == "paused" and election.needs_chair_decision
    assert code_of(
        lambda: services.cast_election_ballot(room.user(2), m, election.pk, aho.pk)
    ) == "election.paused"
    assert code_of(lambda: services.close_election(room.chair, m, election.pk)) == (
        "election.paused"
    )

    election = services.election_chair_choice(room.chair, m, election.pk, "restart")
    assert (election.status, election.attempt, election.needs_chair_decision) == (
        "open", 2, False
    )
    assert election.seed_commitment != first_commitment
    assert room.person(0).pk not in election.eligible  # the chair is not connected now
    assert ElectionParticipation.objects.filter(election=election).count() == 0
    assert ElectionBallot.objects.filter(election=election).count() == 0
    restart = audit_entries("election.chair_choice")[-1]["data"]
    assert (restart["choice"], restart["discarded"], restart["new_attempt"]) == (
        "restart", 1, 2
    )
    commitments = [e["data"]["seed_sha256"] for e in audit_entries("election.seed_committed")]
    assert commitments == [first_commitment, election.seed_commitment]

    for i in (1, 2, 3):
        services.cast_election_ballot(room.user(i), m, election.pk, berg.pk)
    election = services.close_election(room.chair, m, election.pk)
    assert election.result["elected"] == [berg.pk] and election.ballot_count == 3


def test_r72_non_voter_connection_change_does_not_flag_the_election():
    room = make_room(seats=5, absent=(4,))
    election, _ = open_election(room)
    assert drop(room, 4, ConnectionState.DEGRADED) == []
    election.refresh_from_db()
    assert not election.needs_chair_decision


# --- R45: lists and alliances ----------------------------------------------------------------


def proportional(room, seats=3):
    return services.create_election(
        room.chair, room.meeting.pk, room.item.pk, title="Lautakunnan jäsenet", seats=seats,
        kind="proportional",
    )


def test_r45_lists_and_alliance_validation_and_audit():
    room = make_room(seats=7)
    m = room.meeting.pk
    election = proportional(room)
    a = services.add_candidate_list(room.chair, m, election.pk, "Lista A")
    b = services.add_candidate_list(room.chair, m, election.pk, "Lista B")
    c = services.add_candidate_list(room.chair, m, election.pk, "Lista C")
    assert code_of(lambda: services.add_candidate_list(room.chair, m, election.pk, "lista  a")) \
        == "election.duplicate_list"
    assert code_of(lambda: services.add_candidate_list(room.user(2), m, election.pk, "X")) == (
        "election.staff_only"
    )
    assert code_of(lambda: services.add_electoral_alliance(
        room.chair, m, election.pk, "Liitto", [a.pk])) == "election.alliance_needs_lists"
    alliance = services.add_electoral_alliance(room.chair, m, election.pk, "Liitto", [a.pk, b.pk])
    assert set(alliance.lists.values_list("pk", flat=True)) == {a.pk, b.pk}
    assert code_of(lambda: services.add_electoral_alliance(
        room.chair, m, election.pk, "Toinen", [b.pk, c.pk])) == "election.list_in_alliance"
    entry = audit_entries("election.alliance_added")[0]["data"]
    assert entry["lists"] == sorted([a.pk, b.pk]) and "name_sha256" in entry

    secretary = StaffRoleFactory(municipality=room.meeting.body.municipality, role="secretary")
    d = services.add_candidate_list(secretary.person.user, m, election.pk, "Lista D")
    assert d.number == 4

    services.nominate_candidate(room.user(1), m, election.pk, name="Ehdokas", list_id=a.pk)
    services.open_election(room.chair, m, election.pk)
    assert code_of(lambda: services.add_candidate_list(room.chair, m, election.pk, "Myöhään")) \
        == "election.not_nominating"


def test_r45_alliance_pools_comparison_numbers_in_the_result():
    """Lists A and B in an alliance: candidates ranked by personal votes across both, the
    first gets the alliance total (vaalilaki 89 §); list C alone."""
    room = make_room(seats=7)
    m = room.meeting.pk
    election = proportional(room, seats=2)
    a = services.add_candidate_list(room.chair, m, election.pk, "A")
    b = services.add_candidate_list(room.chair, m, election.pk, "B")
    c = services.add_candidate_list(room.chair, m, election.pk, "C")
    alliance = services.add_electoral_alliance(room.chair, m, election.pk, "A+B", [a.pk, b.pk])
    a1, b1, c1 = (
        services.nominate_candidate(room.user(1), m, election.pk, name=n, list_id=cl.pk)
        for n, cl in (("A1", a), ("B1", b), ("C1", c))
    )
    services.open_election(room.chair, m, election.pk)
    ballots = {0: a1, 1: a1, 2: b1, 3: c1, 4: c1, 5: c1, 6: None}
    for i, cand in ballots.items():
        services.cast_election_ballot(room.user(i), m, election.pk, cand.pk if cand else "blank")
    election = services.close_election(room.chair, m, election.pk)
    ranking = {r["candidate"]: r for r in election.result["ranking"]}
    assert ranking[a1.pk]["group"] == ranking[b1.pk]["group"] == f"alliance:{alliance.pk}"
    assert Fraction(ranking[a1.pk]["comparison"]) == 3
    assert Fraction(ranking[b1.pk]["comparison"]) == Fraction(3, 2)
    assert Fraction(ranking[c1.pk]["comparison"]) == 3
    assert set(election.result["elected"]) == {a1.pk, c1.pk}
    assert election.result["totals"][f"alliance:{alliance.pk}"] == 3


def test_r45_election_page_registers_lists_and_alliance(client):
    """The chair's election page: list form, alliance form with checkboxes, table of lists."""
    room = make_room(seats=5)
    m = room.meeting.pk
    election = proportional(room)
    client.force_login(room.chair)
    base = f"/voting/kokoukset/{m}/vaalit/{election.pk}/"
    for name in ("Sininen lista", "Vihreä lista"):
        assert client.post(base + "add-list/", {"name": name}).status_code == 302
    page = client.get(base).content.decode()
    assert 'name="lists"' in page and "Sininen lista" in page
    ids = list(CandidateList.objects.filter(election=election).values_list("pk", flat=True))
    response = client.post(base + "add-alliance/", {"name": "Yhteislista", "lists": ids})
    assert response.status_code == 302
    alliance = ElectoralAlliance.objects.get(election=election)
    assert set(alliance.lists.values_list("pk", flat=True)) == set(ids)
    page = client.get(base).content.decode()
    assert "Yhteislista" in page and 'name="lists"' not in page

    client.force_login(room.user(2))
    client.post(base + "add-list/", {"name": "Jäsenen lista"})
    assert not CandidateList.objects.filter(name="Jäsenen lista").exists()
