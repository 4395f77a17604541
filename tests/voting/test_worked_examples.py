"""Worked examples from Finnish municipal minutes (voting/procedure.py).

Real minutes, reproduced exactly (source named in the fixture):

* muonio_municipal_election_2021.json — Muonio central municipal election board 16.6.2021
  § 51–52: the 2021 council election result, 33 candidates in five groups with an electoral
  alliance (KOK + KD), comparison numbers to three decimals and three ties drawn by lot
  (R45, vaalilaki 89–91 §).

Invented (illustrative; a serious search of the stored corpora found no real minutes with a
three-proposal pairwise vote and all its counts — the queries are in docs/voting-notes.md):

* board_budget_item.json — a kunnanhallitus budget item: a seconded motion to return the item,
  two seconded counter-proposals, one unseconded; three votes, one a tie broken by the chair's
  vote, one with a member whose connection dropped (R40, R41, R42, R43, R44, R72, R33).
* council_committee_election.json — a council of 43 electing a 9-member lautakunta by a
  demanded proportional election, candidates nominated as (member, personal substitute) pairs
  (R45, R12, R30).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from voting.procedure import (
    ComparisonEntry,
    PlannedVote,
    Proposal,
    VotingPlan,
    WinnerOf,
    count_votes,
    format_comparison_number,
    needs_vote,
    personal_substitute_pairs,
    proportional_demand_threshold,
    proportional_election,
    proposals_to_vote,
    propose_voting_order,
    resolve_plan,
    validate_plan,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- board budget item


@pytest.fixture(scope="module")
def board() -> dict:
    return load("board_budget_item.json")


def board_proposals(board: dict) -> list[Proposal]:
    return [
        Proposal(p["id"], p["kind"], p["text"], p["seconded"], p.get("distance"))
        for p in board["proposals"]
    ]


def side(value) -> int | WinnerOf:
    return WinnerOf(value["winner_of"]) if isinstance(value, dict) else value


def test_board_item_proposals_and_voting_order(board):
    """R40, R43, R33: the chair states that Rantanen's proposal falls for lack of seconding,
    and proposes the order: return motion first (continue JAA / return EI); then Koski's
    counter-proposal (judged by the chair to depart furthest, distance 2) JAA against Berg's EI;
    the winner EI against the presenter's proposal JAA."""
    proposals = board_proposals(board)
    voted, fallen = proposals_to_vote(proposals)
    assert [{"id": f.proposal.id, "reason": f.reason} for f in fallen] == board["fallen"]
    assert needs_vote(proposals)

    plan = propose_voting_order(proposals)
    expected = tuple(
        PlannedVote(s["step"], side(s["jaa"]), side(s["ei"]), s.get("procedural", False))
        for s in board["voting_order"]
    )
    assert plan.steps == expected
    assert validate_plan(plan, proposals) == []
    assert len(voted) == 4


def test_board_item_votes_and_decision(board):
    """R41, R42, R44, R72: each vote counted with names; vote 2 is 5–5 with one blank and the
    chair (Niemi) voted EI, so Berg's counter-proposal wins (KL 104.2 §); in vote 3 Mäkinen's
    dropped connection makes him absent; the presenter's proposal becomes the decision."""
    proposals = board_proposals(board)
    plan = propose_voting_order(proposals)
    results = {}
    for vote in board["votes"]:
        r = count_votes(vote["ballots"], vote["eligible"], board["chair"])
        expected = vote["result"]
        assert {k: getattr(r, k) for k in expected} == expected
        assert sorted(r.names["jaa"] + r.names["ei"] + r.names["tyhja"] + r.names["absent"]) == (
            sorted(board["members"])
        )
        results[vote["step"]] = r
        # The proposal winning each step, step by step (as the minutes record it).
        partial = VotingPlan(plan.base_id, plan.steps[: vote["step"]])
        assert resolve_plan(partial, results) == vote["winning_proposal"]

    assert results[2].names["ei"] == ("Aho", "Berg", "Heikkinen", "Järvinen", "Niemi")
    assert results[2].names["tyhja"] == ("Mäkinen",)
    assert results[3].names["absent"] == ("Mäkinen",)
    # R47: those who voted against the decision (EI in vote 3) are not liable for it.
    assert results[3].names["ei"] == ("Aho", "Berg", "Koski", "Laine")
    assert resolve_plan(plan, results) == board["decision"]


# --------------------------------------------------------------------------- council election


@pytest.fixture(scope="module")
def election() -> dict:
    return load("council_committee_election.json")


def test_committee_election_can_be_demanded(election):
    """R45 (KL 105.2 §): 43 present, 9 to elect → 43 / 10 = 4.3 → 5 councillors may demand a
    proportional election; 6 demanded it."""
    threshold = proportional_demand_threshold(election["present"], election["to_elect"])
    assert threshold == election["expected"]["demand_threshold"] == 5
    assert election["demanded_by"] >= threshold


def test_committee_election_comparison_numbers(election):
    """R45 (vaalilaki 89–91 §), R12 (only counts of the closed ballots are used).

    Hand computation — 43 ballots, list totals A 16, B 13, C 9, D 5 (D a single candidate):

        A (16): A1 16/1 = 16.00  A2 16/2 = 8.00  A3 16/3 = 5.33  A4 16/4 = 4.00  A5 16/5 = 3.20
        B (13): B1 13/1 = 13.00  B2 13/2 = 6.50  B? 13/3 = 4.33  B? 13/4 = 3.25
        C  (9): C1  9/1 =  9.00  C2  9/2 = 4.50  C3  9/3 = 3.00
        D  (5): D1  5/1 =  5.00

    B3 and B4 both have 2 personal votes: their order within list B is drawn by lot, and the
    draw is decisive — third place on list B (4.33) takes the 9th seat, fourth place (3.25)
    does not. With the committed seed, SHA-256 puts B4 first.

    Order: 16 A1, 13 B1, 9 C1, 8 A2, 6.50 B2, 5.33 A3, 5 D1, 4.50 C2, 4.33 B4 | 4 A4, 3.25 B3,
    3.20 A5, 3 C3 → seats A 3, B 3, C 2, D 1 (as D'Hondt).
    """
    seed = bytes.fromhex(election["seed_hex"])
    r = proportional_election(election["lists"], election["to_elect"], seed)
    expected = election["expected"]
    assert r.totals == expected["totals"]
    assert sum(r.totals.values()) == election["present"]  # every councillor's ballot was valid
    assert [[e.candidate, format_comparison_number(e.comparison)] for e in r.ranking] == (
        expected["ranking"]
    )
    assert r.entry("B4").comparison == Fraction(13, 3)
    assert r.seats_by_list == expected["seats_by_list"]
    assert [
        {
            "context": d.context,
            "value": d.value,
            "tied": list(d.tied),
            "order": list(d.order),
            "decisive": d.decisive,
        }
        for d in r.ties_drawn
    ] == expected["draws"]
    assert r.elected == tuple(c for c, _ in expected["ranking"][:9])


def test_committee_election_pairs(election):
    """R45 (105.3 §), R30: lautakunta members have personal substitutes, nominated as pairs;
    each elected pair brings its substitute. The non-elected, in comparison-number order, are
    recorded too (A4 first)."""
    seed = bytes.fromhex(election["seed_hex"])
    r = proportional_election(election["lists"], election["to_elect"], seed)
    pairs = {c: tuple(p) for c, p in election["pairs"].items()}
    elected_pairs = personal_substitute_pairs(r.elected, pairs)
    assert elected_pairs[0] == ("Anttila Aino", "Heinonen Pekka")
    assert elected_pairs[-1] == ("Suominen Hanna", "Tuominen Arto")  # B4, by lot
    assert len({person for pair in elected_pairs for person in pair}) == 18
    assert r.not_elected == ("A4", "B3", "A5", "C3")


# --------------------------------------------------------------------------- Muonio 16.6.2021


@pytest.fixture(scope="module")
def muonio() -> dict:
    return load("muonio_municipal_election_2021.json")


def three_decimals(value: Fraction) -> str:
    """A comparison number as the minutes print it: three decimals, half up, decimal comma."""
    thousandths = int(value * 1000 + Fraction(1, 2))
    whole, rest = divmod(thousandths, 1000)
    return f"{whole},{rest:03d}"


def muonio_lists(muonio: dict) -> dict[str, dict[str, int]]:
    lists: dict[str, dict[str, int]] = {}
    for name, party, votes, _ in muonio["result_in_minutes"]:
        lists.setdefault(party, {})[name] = votes
    return lists


def muonio_result(muonio: dict):
    return proportional_election(
        muonio_lists(muonio), muonio["seats"], bytes.fromhex(muonio["seed_hex"]),
        alliances=muonio["alliances"],
    )


def test_muonio_totals_match_the_minutes(muonio):
    """R45: the group totals are the first comparison numbers in the minutes, and they add up
    to the accepted votes (1 021 of 1 027; 6 rejected)."""
    r = muonio_result(muonio)
    assert r.totals == {"KESK": 319, "KOK + KD": 366, "PS": 57, "SDP": 156, "VAS": 123}
    assert sum(r.totals.values()) == muonio["votes_accepted"]
    assert muonio["votes_accepted"] + muonio["votes_rejected"] == muonio["votes_cast"]


def test_muonio_order_and_comparison_numbers_are_those_of_the_minutes(muonio):
    """R45 (vaalilaki 89–91 §): Kokous ranks the 33 candidates in the order of § 52 with the
    same comparison numbers; the alliance KOK + KD is one group (KD's Heikkilä is third in it:
    366 / 3 = 122,000), single-party lists are their own groups."""
    r = muonio_result(muonio)
    got = [[e.candidate, e.list_id, e.personal_votes, three_decimals(e.comparison)]
           for e in r.ranking]
    assert got == muonio["result_in_minutes"]
    heikkila: ComparisonEntry = r.entry("Heikkilä, Mikael")
    assert (heikkila.group, heikkila.position, heikkila.comparison) == ("KOK + KD", 3, 122)


def test_muonio_elected_seventeen_and_draws(muonio):
    """R45: the first 17 by comparison number are elected (a 17-member council). Two of the
    three draws of § 51 decided a seat: Rauhala Pirjo A. (53,167) in, Muotka Maria (45,571)
    out; Pietikäinen (61,000) in, Niemelä (52,286) out. The third only ordered substitutes."""
    r = muonio_result(muonio)
    minutes = [row[0] for row in muonio["result_in_minutes"]]
    assert r.elected == tuple(minutes[:17])
    assert r.not_elected == tuple(minutes[17:])
    assert r.seats_by_list == {"KESK": 6, "KD": 1, "KOK": 5, "PS": 1, "SDP": 2, "VAS": 2}
    drawn = [{"group": d.context.removeprefix("group:"), "votes": d.value, "order": list(d.order)}
             for d in r.ties_drawn]
    assert sorted(drawn, key=lambda d: (d["group"], -d["votes"])) == sorted(
        muonio["draws_in_minutes"], key=lambda d: (d["group"], -d["votes"])
    )
    decisive = {tuple(d.order): d.decisive for d in r.ties_drawn}
    assert decisive == {("Rauhala Pirjo A.", "Muotka, Maria"): True,
                        ("Makkonen, Jari", "Kangosjärvi, Ulla-Maija"): False,
                        ("Pietikäinen, Maria", "Niemelä, Juha"): True}


def test_muonio_alliance_pools_the_comparison_numbers(muonio):
    """R45 (vaalilaki 89 §): counted as two separate lists, KD's Heikkilä would get KD's own
    total 74 instead of the alliance's 366 / 3 = 122; here the same 17 would still be elected,
    but the order (and so the substitutes' order) differs."""
    separate = proportional_election(
        muonio_lists(muonio), 17, bytes.fromhex(muonio["seed_hex"])
    )
    pooled = muonio_result(muonio)
    assert separate.totals["KOK"] == 292 and separate.totals["KD"] == 74
    assert separate.entry("Heikkilä, Mikael").comparison == 74
    assert set(separate.elected) == set(pooled.elected)
    assert [e.candidate for e in separate.ranking] != [e.candidate for e in pooled.ranking]
