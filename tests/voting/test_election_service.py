"""Elections through the services: lot, demands, pairs, and the secrecy of closed ballots.

R45 majority and proportional elections, lot on ties with a seed committed before the draw;
R12 + audit spec "Secret ballots": nothing lets anyone join a voter to a choice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid

import pytest
from django.db import connection

from kokous.errors import DomainError
from meetings import realtime
from tests.voting.test_voting_support import audit_count, audit_entries, make_room
from voting import procedure, selectors, services
from voting.models import (
    Candidate,
    Election,
    ElectionBallot,
    ElectionParticipation,
)

pytestmark = pytest.mark.django_db


def code_of(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def new_election(room, **kwargs) -> Election:
    defaults = {"title": "Tarkastuslautakunnan puheenjohtajan vaali", "seats": 1,
                "closed_ballot": True}
    defaults.update(kwargs)
    return services.create_election(room.chair, room.meeting.pk, room.item.pk, **defaults)


def nominate(room, election, names, **kwargs) -> list[Candidate]:
    return [
        services.nominate_candidate(room.user(1), room.meeting.pk, election.pk, name=n, **kwargs)
        for n in names
    ]


class EventSpy:
    """Records every event the services hand to `meetings.realtime` (and still sends it)."""

    def __init__(self, monkeypatch) -> None:
        self.events: list[tuple[str, dict]] = []
        original = realtime.send_event_on_commit

        def spy(group: str, event: dict) -> None:
            self.events.append((group, dict(event)))
            original(group, event)

        monkeypatch.setattr(realtime, "send_event_on_commit", spy)


def test_r45_majority_election_tie_is_drawn_by_a_seed_committed_before_the_draw():
    """R45 (KL 105.1, 105.4 §): most votes win; a tie is drawn by lot. The seed's SHA-256 is
    in the log (`election.seed_committed`) before any ballot, the seed is revealed after the
    election closed (`election.drawn`), and anyone can recompute the draw."""
    room = make_room(seats=5)
    m = room.meeting.pk
    election = new_election(room)
    x, y, z = nominate(room, election, ["Aino Anttila", "Pekka Heinonen", "Sari Lehto"])
    services.open_election(room.chair, m, election.pk)
    choices = {0: x.pk, 1: y.pk, 2: x.pk, 3: y.pk, 4: "blank"}
    for i, choice in choices.items():
        services.cast_election_ballot(room.user(i), m, election.pk, choice)
    election = services.close_election(room.chair, m, election.pk)

    entries = audit_entries(obj=f"election:{election.pk}")
    actions = [e["action"] for e in entries]
    committed = entries[actions.index("election.seed_committed")]
    drawn = entries[actions.index("election.drawn")]
    first_ballot = min(e["seq"] for e in entries if e["action"] == "election.participated")
    assert committed["seq"] < first_ballot < drawn["seq"]
    seed = bytes.fromhex(drawn["data"]["seed_hex"])
    assert hashlib.sha256(seed).hexdigest() == committed["data"]["seed_sha256"]

    # Recompute the whole election from the published ballots and seed (R45 auditable draw).
    published = entries[actions.index("election.ballots")]["data"]
    votes = {c.pk: published["ballots"].count(c.pk) for c in (x, y, z)}
    assert votes == {x.pk: 2, y.pk: 2, z.pk: 0} and published["blank"] == 1
    again = procedure.majority_election(votes, 1, seed)
    assert list(again.elected) == election.result["elected"]
    assert again.elected[0] == procedure.lot_order([x.pk, y.pk], seed, "majority")[0]
    draw = election.result["draws"][0]
    assert draw["decisive"] is True and set(draw["tied"]) == {x.pk, y.pk}

    result = selectors.election_results(room.chair, election)
    assert result["elected"][0]["id"] == again.elected[0]
    assert result["seed_hex"] == seed.hex()


def test_r45_seed_is_not_shown_before_the_election_closes():
    room = make_room(seats=5)
    election = new_election(room)
    nominate(room, election, ["A", "B"])
    services.open_election(room.chair, room.meeting.pk, election.pk)
    row = selectors.election_view(room.user(2), room.meeting.pk, election.pk)["row"]
    assert "seed_hex" not in row and row["seed_commitment"]


def test_r12_secret_ballot_cannot_be_joined_to_the_voter(caplog, monkeypatch):
    """R12, audit spec "Secret ballots": after a closed-ballot election no table column, log
    record, pushed event or audit entry lets a test join a voter to a choice."""
    caplog.set_level(logging.DEBUG)
    room = make_room(seats=5)
    m = room.meeting.pk
    spy = EventSpy(monkeypatch)
    election = new_election(room)
    candidates = nominate(room, election, ["Aino Anttila", "Pekka Heinonen", "Sari Lehto"])
    services.open_election(room.chair, m, election.pk)
    # Cast in an order that is NOT the sorted content order.
    choices = [(0, candidates[2].pk), (1, candidates[0].pk), (2, "blank"),
               (3, candidates[1].pk), (4, candidates[0].pk)]
    voters = {room.person(i).pk for i, _ in choices}
    for i, choice in choices:
        result = services.cast_election_ballot(room.user(i), m, election.pk, choice)
        assert not hasattr(result, "candidate")
    services.close_election(room.chair, m, election.pk)

    # 1. The two tables: no link, no time, no sequence.
    participation_fields = {f.name for f in ElectionParticipation._meta.get_fields()}
    ballot_fields = {f.name for f in ElectionBallot._meta.get_fields()}
    assert participation_fields == {"id", "election", "person"}
    assert ballot_fields == {"id", "election", "candidate"}
    for model in (ElectionParticipation, ElectionBallot):
        for f in model._meta.get_fields():
            assert f.get_internal_type() not in ("DateTimeField", "DateField", "AutoField",
                                                 "BigAutoField")
            assert f.related_model not in (ElectionParticipation, ElectionBallot)
    with connection.cursor() as cursor:
        for table in ("voting_electionparticipation", "voting_electionballot"):
            columns = {c.name for c in connection.introspection.get_table_description(cursor,
                                                                                      table)}
            assert columns <= {"id", "election_id", "person_id", "candidate_id"}, columns
    ballots = list(ElectionBallot.objects.filter(election=election))
    assert all(uuid.UUID(str(b.id)).version == 4 for b in ballots)
    assert set(ElectionParticipation.objects.values_list("person_id", flat=True)) == voters

    # 2. Physical order of the ballot rows follows content, not casting order.
    physical = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT candidate_id FROM voting_electionballot WHERE election_id = %s "  # noqa: S608
            f"ORDER BY {physical}", [election.pk]
        )
        physical_order = [row[0] for row in cursor.fetchall()]
    assert physical_order == sorted(physical_order, key=lambda c: (c is not None, c or 0))

    # 3. The audit log: participation without choice; contents once, sorted, after closing.
    entries = audit_entries(obj=f"election:{election.pk}")
    participated = [e for e in entries if e["action"] == "election.participated"]
    assert len(participated) == 5 and all(e["data"] == {} for e in participated)
    assert {e["actor"] for e in participated} == {f"user:{room.user(i).pk}" for i in range(5)}
    ballots_entry = [e for e in entries if e["action"] == "election.ballots"]
    assert len(ballots_entry) == 1
    assert ballots_entry[0]["seq"] > max(e["seq"] for e in participated)
    assert ballots_entry[0]["data"]["ballots"] == sorted(ballots_entry[0]["data"]["ballots"])
    opened = next(e["seq"] for e in entries if e["action"] == "election.seed_committed")
    voter_actors = {f"user:{room.user(i).pk}" for i in range(5)}
    for e in audit_entries():
        if e["actor"] in voter_actors and opened < e["seq"] < ballots_entry[0]["seq"]:
            # While the ballot is open a voter's only entries are participation, without choice.
            assert (e["action"], e["data"]) == ("election.participated", {}), e
        assert "choice" not in e["data"] or e["action"] == "vote.cast", e

    # 4. Pushed events carry counts, never a voter with a choice.
    progress = [ev for _, ev in spy.events if ev["type"] == "election.progress"]
    assert [ev["participated"] for ev in progress] == [1, 2, 3, 4, 5]
    for ev in progress:
        assert set(ev) == {"type", "election", "participated"}
    for _, ev in spy.events:
        assert not {"candidate", "choice", "person"} & set(ev), ev

    # 5. Log output: nothing about candidates or voters.
    text = "\n".join(r.getMessage() for r in caplog.records)
    for c in candidates:
        assert c.name not in text
    for b in ballots:
        assert str(b.id) not in text and b.id.hex not in text

    # 6. No selector exposes a choice per person.
    view = selectors.election_view(room.user(1), m, election.pk)
    assert view["participated"] is True and "choice" not in str(view["row"])


def test_r12_closed_ballot_only_in_electronic_or_hybrid_meetings():
    """R12 (KL 105.5 §): closed ballots only where secrecy is secured; in person → paper."""
    room = make_room(seats=5, method="in_person")
    before = (Election.objects.count(), audit_count())
    assert code_of(lambda: new_election(room)) == "election.closed_ballot_unavailable"
    assert code_of(lambda: new_election(room, kind="proportional", closed_ballot=False)) == (
        "election.closed_ballot_unavailable"
    )
    assert (Election.objects.count(), audit_count()) == before
    open_election = new_election(room, closed_ballot=False)  # an open majority election is fine
    assert not open_election.closed_ballot


def test_r45_one_ballot_per_member_and_only_deciding_members():
    room = make_room(seats=5, absent=(4,))
    m = room.meeting.pk
    election = new_election(room)
    a, _ = nominate(room, election, ["A", "B"])
    services.open_election(room.chair, m, election.pk)
    services.cast_election_ballot(room.user(1), m, election.pk, a.pk)
    before = (ElectionBallot.objects.count(), ElectionParticipation.objects.count(), audit_count())
    assert code_of(lambda: services.cast_election_ballot(room.user(1), m, election.pk, a.pk)) == (
        "election.already_voted"
    )
    assert code_of(lambda: services.cast_election_ballot(room.user(4), m, election.pk, a.pk)) == (
        "member.not_present"
    )
    assert code_of(lambda: services.cast_election_ballot(room.user(2), m, election.pk, 99999)) == (
        "election.unknown_candidate"
    )
    assert (ElectionBallot.objects.count(), ElectionParticipation.objects.count(),
            audit_count()) == before


def test_r45_proportional_election_on_demand_with_lists_and_pairs():
    """R45 (KL 105.2–105.3 §): demanded by ceil(present / (to_elect + 1)) members, the
    election becomes proportional; candidates are (member, personal substitute) pairs on lists
    and comparison numbers decide."""
    room = make_room(seats=5)
    m = room.meeting.pk
    election = new_election(room, title="Jaoston jäsenten vaali", seats=2, closed_ballot=False,
                            personal_substitutes=True)
    assert procedure.proportional_demand_threshold(5, 2) == 2
    services.demand(room.user(1), m, election.pk, "proportional")
    election.refresh_from_db()
    assert election.kind == "majority"
    services.demand(room.user(1), m, election.pk, "proportional")  # idempotent
    services.demand(room.user(2), m, election.pk, "proportional")
    election.refresh_from_db()
    assert election.kind == "proportional" and election.closed_ballot
    demanded = audit_entries("election.demanded")
    assert [d["data"]["switched"] for d in demanded] == [False, True]

    assert code_of(lambda: nominate(room, election, ["Ilman paria"])) == (
        "election.substitute_required"
    )
    la = services.add_candidate_list(room.chair, m, election.pk, "Lista A")
    lb = services.add_candidate_list(room.chair, m, election.pk, "Lista B")
    a1 = services.nominate_candidate(room.user(1), m, election.pk, name="A1",
                                     substitute_name="A1 vara", list_id=la.pk)
    a2 = services.nominate_candidate(room.user(1), m, election.pk, name="A2",
                                     substitute_name="A2 vara", list_id=la.pk)
    b1 = services.nominate_candidate(room.user(3), m, election.pk, name="B1",
                                     substitute_name="B1 vara", list_id=lb.pk)
    services.open_election(room.chair, m, election.pk)
    for i, c in {0: a1, 1: a1, 2: a2, 3: b1, 4: b1}.items():
        services.cast_election_ballot(room.user(i), m, election.pk, c.pk)
    election = services.close_election(room.chair, m, election.pk)
    # List A: 3 votes (A1 2, A2 1) → 3, 1.5; list B: 2 → 2. Elected: A1 (3), B1 (2).
    assert election.result["elected"] == [a1.pk, b1.pk]
    ranking = {r["candidate"]: r["comparison"] for r in election.result["ranking"]}
    assert ranking == {a1.pk: "3", b1.pk: "2", a2.pk: "3/2"}
    assert len(election.result["elected_pairs"]) == 2


def test_r45_demand_threshold_uses_deciding_members():
    room = make_room(seats=9)
    election = new_election(room, seats=3, closed_ballot=False)
    view = selectors.election_view(room.user(1), room.meeting.pk, election.pk)
    assert view["proportional_threshold"] == procedure.proportional_demand_threshold(9, 3) == 3
