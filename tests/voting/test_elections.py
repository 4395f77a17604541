"""Elections (vaalit, KL 105 §): thresholds, majority and proportional elections, lot.

Pure domain tests: no Django, no database. R-numbers refer to
../shared/spec/legal-requirements.md (R45 elections, R12 closed ballots).
"""

from __future__ import annotations

import hashlib
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from voting.procedure import (
    ProcedureError,
    connection_change_effect,
    format_comparison_number,
    lot_order,
    majority_election,
    personal_substitute_pairs,
    proportional_demand_threshold,
    proportional_election,
    proportional_election_list_order,
    tabling_demand_met,
    tabling_demand_threshold,
)

SEED = b"kokous-test-seed"


def documented_lot_order(items, seed: bytes, context: str) -> tuple:
    """The draw as documented in lot_order(), re-implemented from its docstring only."""

    def key(item) -> bytes:
        return hashlib.sha256(
            seed + b"\x00" + context.encode("utf-8") + b"\x00" + str(item).encode("utf-8")
        ).digest()

    return tuple(sorted(items, key=key))


# --------------------------------------------------------------------------- threshold


@pytest.mark.parametrize(
    ("present", "to_elect", "threshold"),
    [(13, 9, 2), (43, 9, 5), (10, 4, 2), (11, 4, 3), (1, 1, 1), (27, 1, 14), (51, 13, 4)],
)
def test_proportional_demand_threshold_examples(present, to_elect, threshold):
    """R45 (KL 105.2 §): present ÷ (to elect + 1), fractions rounded up; 13 and 9 → 2."""
    assert proportional_demand_threshold(present, to_elect) == threshold


@given(st.integers(1, 500), st.integers(1, 60))
def test_proportional_demand_threshold_is_exact_ceiling(present, to_elect):
    """R45: the least integer t with t ≥ present / (to_elect + 1), in exact integer arithmetic."""
    t = proportional_demand_threshold(present, to_elect)
    assert (t - 1) * (to_elect + 1) < present <= t * (to_elect + 1)


@pytest.mark.parametrize(
    ("present", "to_elect", "code"),
    [
        (0, 9, "election.bad_present"),
        (13, 0, "election.bad_seats"),
        (13, True, "election.bad_seats"),
    ],
)
def test_proportional_demand_threshold_bad_input(present, to_elect, code):
    with pytest.raises(ProcedureError) as exc:
        proportional_demand_threshold(present, to_elect)
    assert exc.value.code == code


# --------------------------------------------------------------------------- lot


def test_lot_order_follows_its_documented_formula():
    """R45 (105.4 §, arpa): anyone holding the committed seed can recompute the draw."""
    items = ["Aho", "Berg", "Cajander", "Dahl", "Eklund", 17]
    for context in ["majority", "comparison", "group:B"]:
        assert lot_order(items, SEED, context) == documented_lot_order(items, SEED, context)
    assert lot_order(reversed(items), SEED, "majority") == lot_order(items, SEED, "majority")


def test_lot_order_depends_on_seed_and_context():
    """R45: another seed (or another draw of the same election) gives an independent order."""
    items = list(range(1, 9))  # 8! orders: a coincidence has probability 1/40320
    a = lot_order(items, b"seed-a", "majority")
    assert a == lot_order(items, b"seed-a", "majority")
    assert a != lot_order(items, b"seed-b", "majority")
    assert a != lot_order(items, b"seed-a", "comparison")


def test_lot_is_not_biased_between_two_candidates():
    """R45: a sanity check of fairness — over 400 seeds either order wins about half the time."""
    first = sum(
        lot_order(["x", "y"], i.to_bytes(4, "big"), "majority")[0] == "x" for i in range(400)
    )
    assert 150 < first < 250


@given(st.binary(min_size=1, max_size=32))
def test_draws_reproducible_from_the_same_seed(seed):
    """R45: the same committed seed always reproduces the same draws and result."""
    votes = {f"c{i}": 3 for i in range(5)} | {f"d{i}": 1 for i in range(5)} | {"e": 9}
    a = majority_election(votes, 3, seed)
    assert len(a.ties_drawn) == 2
    assert a == majority_election(dict(reversed(votes.items())), 3, seed)
    lists = {"X": {"x1": 4, "x2": 4, "x3": 0}, "Y": {"y1": 4}, "Z": {"z1": 2, "z2": 2}}
    assert proportional_election(lists, 3, seed) == proportional_election(lists, 3, seed)


@given(st.binary(min_size=1, max_size=32), st.binary(min_size=1, max_size=32))
def test_draws_differ_for_another_seed(seed_a, seed_b):
    """R45: another seed gives another draw. Twelve tied candidates have 12! ≈ 4.8e8 orders, so
    a coincidence (the only way this test could fail) is negligible."""
    assume(seed_a != seed_b)
    votes = {f"c{i}": 3 for i in range(12)}
    assert (
        majority_election(votes, 1, seed_a).ranking != majority_election(votes, 1, seed_b).ranking
    )


def test_different_seeds_give_different_draws_for_fixed_example():
    votes = {f"c{i}": 3 for i in range(6)}
    orders = {majority_election(votes, 2, bytes([i])).ranking for i in range(1, 21)}
    assert len(orders) > 15  # 720 possible orders, 20 seeds


@pytest.mark.parametrize("seed", [b"", "text", None])
def test_bad_seed(seed):
    with pytest.raises(ProcedureError) as exc:
        majority_election({"a": 1}, 1, seed)
    assert exc.value.code == "election.bad_seed"


# --------------------------------------------------------------------------- majority


def test_majority_election_tie_at_cut_off_drawn_with_fixed_seed():
    """R45 (105.1, 105.4 §): most votes win; three candidates tied for the last seat are ordered
    by lot. With this seed the drawn order is exactly Cajander, Berg, Dahl."""
    votes = {"Aho": 9, "Berg": 7, "Cajander": 7, "Dahl": 7, "Eklund": 2}
    r = majority_election(votes, 2, b"lautakunta-2025")
    assert r.elected == ("Aho", "Cajander")
    assert r.not_elected == ("Berg", "Dahl", "Eklund")  # non-personal substitutes' order (105.3)
    assert r.ranking == (("Aho", 9), ("Cajander", 7), ("Berg", 7), ("Dahl", 7), ("Eklund", 2))
    (draw,) = r.ties_drawn
    assert draw.tied == ("Berg", "Cajander", "Dahl")
    assert draw.order == ("Cajander", "Berg", "Dahl")
    assert draw.order == documented_lot_order(draw.tied, b"lautakunta-2025", "majority")
    assert draw.decisive and draw.value == 7
    assert r.seed_hex == b"lautakunta-2025".hex()


def test_majority_election_ties_below_the_cut_off_are_not_decisive():
    """R45: lower ties are drawn (they order substitutes, 105.3 §) but did not decide a seat."""
    r = majority_election({"a": 5, "b": 4, "c": 1, "d": 1}, 2, SEED)
    assert r.elected == ("a", "b")
    (draw,) = r.ties_drawn
    assert draw.tied == ("c", "d") and not draw.decisive


def test_more_seats_than_candidates_leaves_seats_unfilled():
    r = majority_election({"a": 0, "b": 3}, 3, SEED)
    assert r.elected == ("b", "a") and r.unfilled_seats == 1


@pytest.mark.parametrize(
    ("votes", "seats", "code"),
    [
        ({}, 1, "election.no_candidates"),
        ({"a": 1}, 0, "election.bad_seats"),
        ({"a": -1}, 1, "election.bad_votes"),
        ({"a": 1.5}, 1, "election.bad_votes"),
        ({"a": True}, 1, "election.bad_votes"),
    ],
)
def test_majority_election_bad_input(votes, seats, code):
    with pytest.raises(ProcedureError) as exc:
        majority_election(votes, seats, SEED)
    assert exc.value.code == code


@given(
    st.dictionaries(st.integers(1, 30), st.integers(0, 6), min_size=1, max_size=10),
    st.integers(1, 12),
    st.data(),
)
def test_majority_election_properties(votes, seats, data):
    """R45: seats filled = min(seats, candidates); nobody elected has fewer votes than anyone
    not elected; the result does not depend on the order candidates are listed in."""
    r = majority_election(votes, seats, SEED)
    assert len(r.elected) == min(seats, len(votes))
    assert set(r.elected) | set(r.not_elected) == set(votes)
    if r.elected and r.not_elected:
        assert min(votes[c] for c in r.elected) >= max(votes[c] for c in r.not_elected)
    shuffled = dict(data.draw(st.permutations(list(votes.items()))))
    assert majority_election(shuffled, seats, SEED) == r


# --------------------------------------------------------------------------- proportional


def test_proportional_hand_computed():
    """R45 (vaalilaki 89 §): lists 6 + 4 = 10 and 3 + 2 + 1 = 6 votes, 3 seats.

    Comparison numbers: A: a1 10, a2 10/2 = 5; B: b1 6, b2 6/2 = 3, b3 6/3 = 2.
    Order: a1 10, b1 6, a2 5 | b2 3, b3 2 → A 2 seats, B 1 seat (D'Hondt).
    """
    r = proportional_election({"A": {"a1": 6, "a2": 4}, "B": {"b2": 2, "b1": 3, "b3": 1}}, 3, SEED)
    assert r.elected == ("a1", "b1", "a2")
    assert r.not_elected == ("b2", "b3")
    assert [e.comparison for e in r.ranking] == [10, 6, 5, 3, 2]
    assert r.totals == {"A": 10, "B": 6}
    assert r.seats_by_list == {"A": 2, "B": 1}
    assert r.ties_drawn == ()
    b3 = r.entry("b3")
    assert (b3.position, b3.personal_votes, b3.comparison) == (3, 1, Fraction(2))


def test_proportional_tie_between_comparison_numbers_by_lot():
    """R45 (105.4 §; vaalilaki 90 §: equal comparison numbers by lot). List X has 6 + 0 votes,
    single candidate y1 has 3 votes; two seats: x1 6 is elected, x2 (6/2 = 3) and y1 (3) tie for
    the second seat. With seed b"seed-2" the lot puts y1 first; with b"seed-1" x2 first."""
    lists = {"X": {"x1": 6, "x2": 0}, "Y": {"y1": 3}}
    r = proportional_election(lists, 2, b"seed-2")
    assert r.elected == ("x1", "y1")
    (draw,) = r.ties_drawn
    assert (draw.context, draw.value, draw.tied, draw.order) == (
        "comparison",
        Fraction(3),
        ("x2", "y1"),
        ("y1", "x2"),
    )
    assert draw.decisive
    assert draw.order == documented_lot_order(("x2", "y1"), b"seed-2", "comparison")
    assert proportional_election(lists, 2, b"seed-1").elected == ("x1", "x2")


def test_proportional_alliance_is_one_group():
    """R45 (vaalilaki 89 §): lists of an alliance (vaaliliitto) are ranked together by personal
    votes and share the alliance total. C (5 + 3 + 1 = 9) and single-candidate D (5) form CD
    with 14 votes: 14, 14/2 = 7, 14/3 ≈ 4.67, 14/4 = 3.5; c1 and d1 (5 each) are ordered by lot.
    A: 16; B: 13. Three seats: a1 16, cd1 14, b1 13.
    """
    lists = {
        "A": {"a1": 10, "a2": 6},
        "B": {"b1": 13},
        "C": {"c1": 5, "c2": 3, "c3": 1},
        "D": {"d1": 5},
    }
    r = proportional_election(lists, 5, SEED, alliances={"CD": ["C", "D"]})
    assert r.totals == {"A": 16, "B": 13, "CD": 14}
    cd = [e for e in r.ranking if e.group == "CD"]
    assert [e.comparison for e in cd] == [14, 7, Fraction(14, 3), Fraction(7, 2)]
    assert {cd[0].candidate, cd[1].candidate} == {"c1", "d1"}
    (draw,) = r.ties_drawn
    assert draw.context == "group:CD" and draw.tied == ("c1", "d1")
    assert draw.order == documented_lot_order(("c1", "d1"), SEED, "group:CD")
    # 16, 14, 13, 8 (a2 16/2), 7 → a1, cd1, b1, a2, cd2.
    assert r.elected[:4] == ("a1", draw.order[0], "b1", "a2")
    assert r.elected[4] == draw.order[1]
    assert not draw.decisive  # both tied candidates are elected
    assert r.seats_by_list == {"A": 2, "B": 1, "C": 1, "D": 1}


@pytest.mark.parametrize(
    ("alliances", "code"),
    [
        ({"X": ["A", "Z"]}, "election.bad_alliance"),  # unknown list
        ({"A": ["B"]}, "election.bad_alliance"),  # alliance id collides with a list id
        ({"X": ["A"], "Y": ["A", "B"]}, "election.bad_alliance"),  # list in two alliances
        ({"X": []}, "election.bad_alliance"),
    ],
)
def test_bad_alliances(alliances, code):
    with pytest.raises(ProcedureError) as exc:
        proportional_election({"A": {"a": 1}, "B": {"b": 1}}, 1, SEED, alliances=alliances)
    assert exc.value.code == code


def test_proportional_bad_input():
    with pytest.raises(ProcedureError) as exc:
        proportional_election({"A": {"a": 1}, "B": {"a": 2}}, 1, SEED)
    assert exc.value.code == "election.duplicate_candidate"
    with pytest.raises(ProcedureError) as exc:
        proportional_election({"A": {}}, 1, SEED)
    assert exc.value.code == "election.no_candidates"
    with pytest.raises(ProcedureError) as exc:
        proportional_election({"A": {"a": 1}}, 0, SEED)
    assert exc.value.code == "election.bad_seats"


def test_list_order_election():
    """R45 [UNVERIFIED local rule]: ballots name a list; candidates take comparison numbers in
    list order. Lists 20 and 9 votes, 3 seats: P 20, 10, 6.67; Q 9, 4.5 → P 2, Q 1."""
    r = proportional_election_list_order(
        {"P": 20, "Q": 9}, {"P": ["p-first", "p-second", "p-third"], "Q": ["q1", "q2"]}, 3, SEED
    )
    assert r.elected == ("p-first", "p-second", "q1")
    assert r.entry("p-third").comparison == Fraction(20, 3)
    assert r.entry("q1").personal_votes is None
    with pytest.raises(ProcedureError) as exc:
        proportional_election_list_order({"P": 1}, {"Q": ["q"]}, 1, SEED)
    assert exc.value.code == "election.unknown_list"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(43, 3), "14,33"),
        (Fraction(13, 2), "6,50"),
        (Fraction(2, 3), "0,67"),
        (16, "16,00"),
    ],
)
def test_format_comparison_number(value, text):
    """R45: comparison numbers are shown with two decimals; the exact value decides."""
    assert format_comparison_number(value) == text
    assert format_comparison_number(Fraction(1, 200), ".") == "0.01"  # half up


@st.composite
def list_elections(draw):
    n_lists = draw(st.integers(1, 4))
    lists: dict[str, dict[str, int]] = {}
    for li in range(n_lists):
        size = draw(st.integers(1, 4))
        lists[f"L{li}"] = {f"L{li}c{k}": draw(st.integers(0, 12)) for k in range(size)}
    seats = draw(st.integers(1, 10))
    seed = draw(st.binary(min_size=1, max_size=8))
    return lists, seats, seed


def dhondt_seats(lists: dict[str, dict[str, int]], seats: int) -> dict[str, int]:
    """Independent oracle: D'Hondt highest averages, one seat at a time."""
    won = dict.fromkeys(lists, 0)
    for _ in range(min(seats, sum(len(c) for c in lists.values()))):
        open_lists = [li for li in lists if won[li] < len(lists[li])]
        best = max(open_lists, key=lambda li: Fraction(sum(lists[li].values()), won[li] + 1))
        won[best] += 1
    return won


@given(list_elections(), st.data())
def test_proportional_properties(election, data):
    """R45 (vaalilaki 89 §): seat count = min(seats, candidates); each comparison number is the
    group total divided by the position, positions follow personal votes; independent of the
    order lists and candidates are given in; same seed, same result."""
    lists, seats, seed = election
    r = proportional_election(lists, seats, seed)
    n_candidates = sum(len(c) for c in lists.values())
    assert len(r.elected) == min(seats, n_candidates)
    assert len(r.ranking) == n_candidates
    for e in r.ranking:
        assert e.comparison == Fraction(r.totals[e.group], e.position)
        assert e.personal_votes == lists[e.list_id][e.candidate]
    for li in lists:
        mine = sorted((e for e in r.ranking if e.list_id == li), key=lambda e: e.position)
        assert [e.position for e in mine] == list(range(1, len(mine) + 1))
        votes = [e.personal_votes for e in mine]
        assert votes == sorted(votes, reverse=True)
    values = [e.comparison for e in r.ranking]
    assert values == sorted(values, reverse=True)
    shuffled = {
        li: dict(data.draw(st.permutations(list(c.items()))))
        for li, c in data.draw(st.permutations(list(lists.items())))
    }
    assert proportional_election(shuffled, seats, seed) == r


@given(list_elections())
def test_proportional_agrees_with_dhondt_when_cut_off_untied(election):
    """R45: the comparison-number method allocates seats to lists as D'Hondt does."""
    lists, seats, seed = election
    r = proportional_election(lists, seats, seed)
    values = [e.comparison for e in r.ranking]
    assume(len(values) <= seats or values[seats - 1] != values[seats])
    assert r.seats_by_list == dhondt_seats(lists, seats)


@given(list_elections(), st.data())
def test_adding_votes_never_loses_a_list_a_seat(election, data):
    """R45: monotonicity — more personal votes for a list's candidate never cost the list a seat
    (even when ties are drawn: the list's comparison numbers only grow)."""
    lists, seats, seed = election
    li = data.draw(st.sampled_from(sorted(lists)))
    candidate = data.draw(st.sampled_from(sorted(lists[li])))
    extra = data.draw(st.integers(1, 5))
    more = {k: dict(v) for k, v in lists.items()}
    more[li][candidate] += extra
    before = proportional_election(lists, seats, seed).seats_by_list[li]
    after = proportional_election(more, seats, seed).seats_by_list[li]
    assert after >= before


@given(
    st.dictionaries(st.integers(1, 40), st.integers(0, 50), min_size=1, max_size=8),
    st.integers(1, 8),
)
def test_single_candidate_lists_elect_like_majority(votes, seats):
    """R45: with one candidate per list (yksittäinen ehdokas) the comparison number is the
    candidate's own votes, so the elected are the majority election's (when votes are distinct)."""
    assume(len(set(votes.values())) == len(votes))
    lists = {f"list-{c}": {c: n} for c, n in votes.items()}
    assert (
        proportional_election(lists, seats, SEED).elected
        == majority_election(votes, seats, SEED).elected
    )


# --------------------------------------------------------------------------- pairs


def test_personal_substitute_pairs():
    """R45 (105.3 §), R30: with personal substitutes each member and substitute are nominated
    as a pair; the pair's nomination id is the candidate, expanded after the election."""
    pairs = {"P1": ("Aho", "Virtanen"), "P2": ("Berg", "Nieminen"), "P3": ("Dahl", "Laine")}
    r = majority_election({"P1": 20, "P2": 5, "P3": 18}, 2, SEED)
    assert personal_substitute_pairs(r.elected, pairs) == (("Aho", "Virtanen"), ("Dahl", "Laine"))
    with pytest.raises(ProcedureError) as exc:
        personal_substitute_pairs(["P9"], pairs)
    assert exc.value.code == "election.unknown_pair"


# --------------------------------------------------------------------------- tabling (R33)


@pytest.mark.parametrize(("present", "threshold"), [(1, 1), (4, 1), (5, 2), (9, 3), (40, 10),
                                                    (43, 11), (59, 15)])
def test_r33_tabling_demand_threshold_examples(present, threshold):
    """R33: a quarter of the councillors present, rounded up (43 present → 10.75 → 11)."""
    assert tabling_demand_threshold(present) == threshold


@given(st.integers(1, 500), st.fractions(min_value=Fraction(1, 100), max_value=1))
def test_r33_tabling_demand_threshold_is_the_least_sufficient_count(present, fraction):
    """The threshold k is the smallest number of demanders with k / present >= fraction."""
    k = tabling_demand_threshold(present, fraction)
    assert 1 <= k <= present
    assert Fraction(k, present) >= fraction
    assert k == 1 or Fraction(k - 1, present) < fraction


@given(st.sets(st.integers(0, 60)), st.sets(st.integers(0, 60), min_size=1))
def test_r33_only_demanders_present_count(demanders, present):
    """Demanders who are not present do not count; the rule is monotone in the demanders."""
    met = tabling_demand_met(demanders, present)
    assert met == (len(demanders & present) >= tabling_demand_threshold(len(present)))
    assert tabling_demand_met(demanders | present, present)


@pytest.mark.parametrize(("present", "fraction", "code"), [
    (0, Fraction(1, 4), "tabling.bad_present"), (5, Fraction(0), "tabling.bad_fraction"),
    (5, Fraction(5, 4), "tabling.bad_fraction"),
])
def test_r33_tabling_threshold_bad_input(present, fraction, code):
    with pytest.raises(ProcedureError) as exc:
        tabling_demand_threshold(present, fraction)
    assert exc.value.code == code


# --------------------------------------------------------------------------- connection (R72)


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_r72_connection_change_effect(eligible, key_person, lost, running):
    """One rule for votes and elections: flag when an eligible voter or the chair/secretary
    changes state; pause only a running one, and only when the chair/secretary is lost."""
    effect = connection_change_effect(
        eligible=eligible, key_person=key_person, lost=lost, running=running
    )
    assert effect.flag == (eligible or key_person)
    assert effect.pause == (key_person and lost and running)
    assert not effect.pause or effect.flag
