"""Proposals, voting order and counting of open votes (voting/procedure.py).

Pure domain tests: no Django, no database. R-numbers refer to
../shared/spec/legal-requirements.md (section F).
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting.procedure import (
    ABSENT,
    PlannedVote,
    ProcedureError,
    Proposal,
    ProposalKind,
    VoteOption,
    VotingPlan,
    WinnerOf,
    count_votes,
    needs_vote,
    proposals_to_vote,
    propose_voting_order,
    resolve_plan,
    validate_plan,
)

BASE_TEXT = "Hyväksytään esittelijän ehdotuksen mukaisesti."
TEXTS = [
    BASE_TEXT,
    "  hyväksytään ESITTELIJÄN ehdotuksen   mukaisesti. ",  # same as base, other spacing/case
    "Määrärahaa korotetaan 50 000 eurolla.",
    "Määrärahaa korotetaan 80 000 eurolla.",
    "Asia palautetaan uudelleen valmisteltavaksi.",
    "Asia jätetään pöydälle.",
    "Asia hylätään.",
]


def codes(errors) -> list[str]:
    return [e.code for e in errors]


# --------------------------------------------------------------------------- strategies


@st.composite
def proposal_sets(draw) -> list[Proposal]:
    """A base proposal and 0–7 others of random kind, seconding, text and distance."""
    n = draw(st.integers(0, 7))
    ids = draw(st.permutations(range(1, n + 2)))
    use_distance = draw(st.booleans())
    others = [
        Proposal(
            id=ids[i + 1],
            kind=draw(st.sampled_from(["counter", "counter", "rejection", "procedural"])),
            text=draw(st.sampled_from(TEXTS)),
            seconded=draw(st.booleans()),
            distance=draw(st.integers(0, 3)) if use_distance else None,
        )
        for i in range(n)
    ]
    base = Proposal(ids[0], "base", BASE_TEXT, seconded=draw(st.booleans()))
    others.insert(draw(st.integers(0, n)), base)
    return others


def direct_uses(plan: VotingPlan) -> Counter[int]:
    return Counter(side for s in plan for side in s.sides if isinstance(side, int))


# --------------------------------------------------------------------------- proposals


def test_unseconded_fall_and_the_base_always_stands():
    """R40, R31: unseconded proposals fall (raukeavat kannattamattomina); the base is voted
    without seconding."""
    ps = [
        Proposal(1, "base", BASE_TEXT, seconded=False),
        Proposal(2, "counter", "Määrärahaa korotetaan.", seconded=False),
        Proposal(3, "rejection", "Asia hylätään.", seconded=False),
        Proposal(4, "procedural", "Asia jätetään pöydälle.", seconded=False),
    ]
    voted, fallen = proposals_to_vote(ps)
    assert [p.id for p in voted] == [1]
    assert [(f.proposal.id, f.reason) for f in fallen] == [
        (2, "vote.unseconded"),
        (3, "vote.unseconded"),
        (4, "vote.unseconded"),
    ]
    assert needs_vote(ps) is False
    assert propose_voting_order(ps).steps == ()
    assert resolve_plan(propose_voting_order(ps), {}) == 1


def test_counter_proposal_identical_to_base_is_reported_not_voted():
    """R40: a seconded counter-proposal equal in text to the base decides nothing; it is
    reported with its reason. Whitespace and letter case do not make a text different."""
    ps = [
        Proposal(1, "base", BASE_TEXT),
        Proposal(2, "counter", TEXTS[1], seconded=True),
        Proposal(3, "counter", "Määrärahaa korotetaan.", seconded=True),
        Proposal(4, "counter", "määrärahaa  korotetaan.", seconded=True),
    ]
    voted, fallen = proposals_to_vote(ps)
    assert [p.id for p in voted] == [1, 3]
    assert [(f.proposal.id, f.reason) for f in fallen] == [
        (2, "vote.same_as_base"),
        (4, "vote.same_as_earlier"),
    ]
    only_same = ps[:2]
    assert needs_vote(only_same) is False  # the chair states the decision without a vote (R40)


@pytest.mark.parametrize(
    ("proposals", "code"),
    [
        ([Proposal(1, "counter", "x", True)], "vote.no_base"),
        ([Proposal(1, "base", "x"), Proposal(2, "base", "y")], "vote.several_bases"),
        ([Proposal(1, "base", "x"), Proposal(1, "counter", "y", True)], "vote.duplicate_id"),
    ],
)
def test_malformed_proposal_sets_raise_codes(proposals, code):
    """R40: an item has exactly one base proposal and unique proposal ids."""
    with pytest.raises(ProcedureError) as exc:
        proposals_to_vote(proposals)
    assert exc.value.code == code


def test_unknown_kind_raises_code():
    with pytest.raises(ProcedureError) as exc:
        Proposal(1, "amendment", "x")
    assert exc.value.code == "vote.bad_kind"
    assert Proposal(1, "counter", "x").kind is ProposalKind.COUNTER


# --------------------------------------------------------------------------- voting order


def test_one_counter_proposal_is_one_vote_base_jaa_counter_ei():
    """R40, R43: one seconded counter-proposal → one vote, base (jaa) against counter (ei)."""
    ps = [Proposal(1, "base", BASE_TEXT), Proposal(2, "counter", "Muutos.", seconded=True)]
    plan = propose_voting_order(ps)
    assert plan.steps == (PlannedVote(1, jaa=1, ei=2),)
    assert resolve_plan(plan, {1: "jaa"}) == 1
    assert resolve_plan(plan, {1: "ei"}) == 2
    flipped = propose_voting_order(ps, standing_is_jaa=False)
    assert flipped.steps == (PlannedVote(1, jaa=2, ei=1),)


def test_full_order_procedural_first_counters_pairwise_rejection_last():
    """R43 [UNVERIFIED model rule], R33: procedural motions first, each against continuing
    (the base); counter-proposals pairwise, furthest from the base first; the winner against the
    base; the rejection proposal last."""
    ps = [
        Proposal(1, "base", BASE_TEXT),
        Proposal(2, "counter", "A", seconded=True),
        Proposal(3, "procedural", "Pöydälle.", seconded=True),
        Proposal(4, "counter", "B", seconded=True),
        Proposal(5, "rejection", "Hylätään.", seconded=True),
        Proposal(6, "counter", "C", seconded=True),
    ]
    plan = propose_voting_order(ps)
    # No distances given: the later proposal is assumed to depart further → C, B, A.
    assert plan.steps == (
        PlannedVote(1, jaa=1, ei=3, procedural=True),
        PlannedVote(2, jaa=6, ei=4),
        PlannedVote(3, jaa=WinnerOf(2), ei=2),
        PlannedVote(4, jaa=1, ei=WinnerOf(3)),
        PlannedVote(5, jaa=WinnerOf(4), ei=5),
    )
    assert validate_plan(plan, ps) == []


def test_chair_distance_overrides_order_of_making():
    """R43: distance is the chair's judgement; larger distance is voted first, equal distances
    fall back to 'made later first'."""
    ps = [
        Proposal(1, "base", BASE_TEXT),
        Proposal(2, "counter", "A", seconded=True, distance=5),
        Proposal(3, "counter", "B", seconded=True, distance=1),
        Proposal(4, "counter", "C", seconded=True, distance=1),
    ]
    plan = propose_voting_order(ps)
    assert [(s.jaa, s.ei) for s in plan] == [(2, 4), (WinnerOf(1), 3), (1, WinnerOf(2))]


def test_partial_distances_are_refused():
    """R43: an ordering key for some counter-proposals only is ambiguous."""
    ps = [
        Proposal(1, "base", BASE_TEXT),
        Proposal(2, "counter", "A", seconded=True, distance=2),
        Proposal(3, "counter", "B", seconded=True),
    ]
    with pytest.raises(ProcedureError) as exc:
        propose_voting_order(ps)
    assert exc.value.code == "vote.order_partial_distance"
    assert exc.value.params["proposals"] == [3]


@given(proposal_sets(), st.booleans())
def test_proposed_plan_is_always_valid(ps, standing_is_jaa):
    """R40, R43: the engine's own proposal passes the checks applied to a chair's change."""
    plan = propose_voting_order(ps, standing_is_jaa=standing_is_jaa)
    assert validate_plan(plan, ps) == []


@given(proposal_sets())
def test_every_seconded_proposal_once_unseconded_never(ps):
    """R40: every proposal to be voted appears exactly once, fallen ones never."""
    voted, fallen = proposals_to_vote(ps)
    plan = propose_voting_order(ps)
    uses = direct_uses(plan)
    base = next(p for p in voted if p.kind is ProposalKind.BASE)
    for p in voted:
        if p is not base:
            assert uses[p.id] == 1
    for f in fallen:
        assert uses[f.proposal.id] == 0
    assert all(p.seconded for p in voted if p is not base)


@given(proposal_sets())
def test_plan_ends_against_the_base(ps):
    """R43: the pairwise order always ends against the base proposal; only rejection
    proposals may follow it."""
    voted, _ = proposals_to_vote(ps)
    kinds = {p.id: p.kind for p in voted}
    base_id = next(p.id for p in voted if p.kind is ProposalKind.BASE)
    plan = propose_voting_order(ps)
    main = [s for s in plan if not s.procedural]
    if not main:
        return
    with_base = [s.step for s in main if base_id in s.sides]
    assert len(with_base) == 1
    tail = [s for s in main if s.step > with_base[0]]
    for s in tail:
        assert ProposalKind.REJECTION in {kinds.get(x) for x in s.sides}
        assert isinstance(s.jaa, WinnerOf)  # the standing proposal is jaa
    if ProposalKind.REJECTION not in kinds.values():
        assert base_id in main[-1].sides


@given(proposal_sets())
def test_needs_vote_iff_plan_has_steps(ps):
    """R40: no vote (empty plan) exactly when nothing seconded differs from the base."""
    assert needs_vote(ps) == bool(propose_voting_order(ps).steps)


@given(proposal_sets(), st.data())
def test_resolve_plan_yields_an_unbeaten_voted_proposal(ps, data):
    """R40, R41, R33: whatever the results, the decision is a voted proposal that won every
    vote it took part in; a winning procedural motion ends the handling; if the standing side
    always wins, the base proposal is the decision."""
    voted, _ = proposals_to_vote(ps)
    plan = propose_voting_order(ps)
    assert resolve_plan(plan, {s.step: "jaa" for s in plan}) == plan.base_id

    results = {s.step: data.draw(st.sampled_from(["jaa", "ei"])) for s in plan}
    decision = resolve_plan(plan, results)
    assert decision in {p.id for p in voted}
    winners: dict[int, int] = {}
    for s in plan:
        sides = [winners[x.step] if isinstance(x, WinnerOf) else x for x in s.sides]
        winners[s.step] = sides[0] if results[s.step] == "jaa" else sides[1]
        if s.procedural and winners[s.step] != plan.base_id:
            assert decision == winners[s.step]
            return
        if decision in sides:
            assert winners[s.step] == decision


def test_resolve_plan_procedural_motion_carried_ends_handling():
    """R33: if the motion to table wins, later votes are not held (their results not read)."""
    ps = [
        Proposal(1, "base", BASE_TEXT),
        Proposal(2, "procedural", "Pöydälle.", seconded=True),
        Proposal(3, "counter", "A", seconded=True),
    ]
    plan = propose_voting_order(ps)
    assert resolve_plan(plan, {1: "ei"}) == 2
    assert resolve_plan(plan, {1: "jaa", 2: "ei"}) == 3


def test_resolve_plan_errors_and_vote_results():
    """R41: a tie the chair did not break cannot silently decide a step."""
    ps = [Proposal(1, "base", BASE_TEXT), Proposal(2, "counter", "A", seconded=True)]
    plan = propose_voting_order(ps)
    for results, code in [
        ({}, "vote.result_missing"),
        ({1: "tyhja"}, "vote.bad_result"),
        (
            {1: count_votes({"a": "jaa", "b": "ei"}, ["a", "b", "c"], "c")},
            "vote.needs_chair_decision",
        ),
    ]:
        with pytest.raises(ProcedureError) as exc:
            resolve_plan(plan, results)
        assert exc.value.code == code
    result = count_votes({"a": "jaa", "b": "ei", "c": "ei"}, ["a", "b", "c"], "a")
    assert resolve_plan(plan, {1: result}) == 2
    dangling = VotingPlan(1, (PlannedVote(1, jaa=1, ei=WinnerOf(2)),))
    with pytest.raises(ProcedureError) as exc:
        resolve_plan(dangling, {1: "ei"})
    assert exc.value.code == "vote.order_bad_reference"


# --------------------------------------------------------------------------- chair's changes


PS = [
    Proposal(1, "base", BASE_TEXT),
    Proposal(2, "counter", "A", seconded=True),
    Proposal(3, "counter", "B", seconded=True),
    Proposal(4, "counter", "unseconded", seconded=False),
    Proposal(5, "procedural", "Pöydälle.", seconded=True),
    Proposal(6, "rejection", "Hylätään.", seconded=True),
]


def plan_of(*steps: tuple) -> VotingPlan:
    return VotingPlan(1, tuple(PlannedVote(i, *s) for i, s in enumerate(steps, 1)))


GOOD = [
    (1, 5, True),
    (2, 3),
    (1, WinnerOf(2)),
    (WinnerOf(3), 6),
]


def test_chair_may_reorder_counter_proposals():
    """R40, R43: the chair may change the order; other valid orders pass."""
    assert validate_plan(plan_of(*GOOD), PS) == []
    assert (
        validate_plan(plan_of((1, 5, True), (3, 2), (WinnerOf(2), 1), (6, WinnerOf(3))), PS) == []
    )
    # Rejection voted before the base: a departure from the model rule, not an illegal order.
    assert (
        validate_plan(plan_of((1, 5, True), (2, 6), (WinnerOf(2), 3), (1, WinnerOf(3))), PS) == []
    )


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        pytest.param(GOOD[:3], ["vote.order_missing_proposal"], id="missing"),
        pytest.param(
            [(1, 5, True), (2, 3), (1, WinnerOf(4)), (WinnerOf(3), 6)],
            ["vote.order_bad_reference", "vote.order_dangling_step"],
            id="forward-reference",
        ),
        pytest.param(
            [(1, 5, True), (WinnerOf(1), 3), (1, 2), (WinnerOf(3), 6)],
            ["vote.order_bad_reference", "vote.order_dangling_step"],
            id="winner-of-procedural",
        ),
        pytest.param(
            [(1, 5, True), (1, 2), (WinnerOf(2), 3), (WinnerOf(3), 6)],
            ["vote.order_not_ending_with_base"],
            id="base-not-last",
        ),
        pytest.param(
            [(2, 3), (1, WinnerOf(1)), (1, 5, True), (WinnerOf(2), 6)],
            ["vote.order_procedural_not_first"],
            id="procedural-late",
        ),
        pytest.param(
            [(2, 5, True), (1, 3), (WinnerOf(2), 6)],
            ["vote.order_bad_procedural_step"],
            id="procedural-against-counter",
        ),
        pytest.param(
            [(1, 5, True), (2, 3), (1, WinnerOf(2)), (WinnerOf(3), 6), (WinnerOf(4), 2)],
            ["vote.order_duplicate_proposal", "vote.order_not_ending_with_base"],
            id="proposal-twice",
        ),
        pytest.param(
            [(1, 5, True), (2, 3), (1, WinnerOf(2)), (WinnerOf(2), 6)],
            ["vote.order_winner_reused", "vote.order_dangling_step"],
            id="winner-reused",
        ),
        pytest.param(
            [(1, 5, True), (2, 4), (WinnerOf(2), 3), (1, WinnerOf(3)), (WinnerOf(4), 6)],
            ["vote.order_unvoted_proposal"],
            id="fallen-proposal",
        ),
        pytest.param(
            [(1, 5, True), (2, 2), (3, 1), (WinnerOf(3), 6)],
            ["vote.order_same_sides", "vote.order_duplicate_proposal", "vote.order_dangling_step"],
            id="same-sides",
        ),
    ],
)
def test_invalid_changed_orders_report_stable_codes(steps, expected):
    """R40, R43: a changed order is checked and its defects reported as stable codes."""
    assert sorted(codes(validate_plan(plan_of(*steps), PS))) == sorted(expected)


def test_plan_numbering_and_base_are_checked():
    bad_numbers = VotingPlan(1, (PlannedVote(1, 1, 5, True), PlannedVote(3, 2, 3)))
    assert codes(validate_plan(bad_numbers, PS)) == ["vote.order_bad_step"]
    wrong_base = VotingPlan(2, plan_of(*GOOD).steps)
    assert codes(validate_plan(wrong_base, PS)) == ["vote.order_wrong_base"]


# --------------------------------------------------------------------------- counting


@st.composite
def open_votes(draw):
    eligible = draw(st.sets(st.integers(1, 40), min_size=1, max_size=15))
    voters = draw(st.sets(st.sampled_from(sorted(eligible))))
    ballots = {v: draw(st.sampled_from(["jaa", "ei", "tyhja"])) for v in sorted(voters)}
    chair = draw(st.none() | st.sampled_from(sorted(eligible)))
    return ballots, eligible, chair


@given(open_votes(), st.data())
def test_count_independent_of_ballot_order(vote, data):
    """R41, R44: the result does not depend on the order ballots arrive in."""
    ballots, eligible, chair = vote
    shuffled = dict(data.draw(st.permutations(list(ballots.items()))))
    reordered_eligible = data.draw(st.permutations(sorted(eligible)))
    assert count_votes(shuffled, reordered_eligible, chair) == count_votes(ballots, eligible, chair)


@given(open_votes())
def test_totals_partition_the_eligible(vote):
    """R42, R44: jaa + ei + tyhjä + absent equals the eligible members; names partition them."""
    ballots, eligible, chair = vote
    r = count_votes(ballots, list(eligible) * 2, chair)  # duplicates in the roster count once
    assert r.jaa + r.ei + r.tyhja + r.absent == len(eligible)
    assert sorted(v for ids in r.names.values() for v in ids) == sorted(eligible)
    for key, n in [("jaa", r.jaa), ("ei", r.ei), ("tyhja", r.tyhja), (ABSENT, r.absent)]:
        assert len(r.names[key]) == n
        assert list(r.names[key]) == sorted(r.names[key])


@given(open_votes())
def test_majority_and_tie_rules(vote):
    """R41 (KL 104.2 §): most votes win; on a tie the chair's side wins; a tie the chair did
    not break (tyhjä or no vote) is surfaced as needing the chair's decision, never closed."""
    ballots, eligible, chair = vote
    r = count_votes(ballots, eligible, chair)
    chair_vote = ballots.get(chair)
    assert r.tie == (r.jaa == r.ei)
    if not r.tie:
        assert r.winner == ("jaa" if r.jaa > r.ei else "ei")
        assert not r.tie_broken_by_chair and not r.needs_chair_decision
    elif chair_vote in ("jaa", "ei"):
        assert r.winner == chair_vote and r.tie_broken_by_chair and not r.needs_chair_decision
    else:
        assert r.winner is None and r.needs_chair_decision and not r.tie_broken_by_chair


@pytest.mark.parametrize(
    ("chair_vote", "winner", "needs_decision"),
    [("jaa", "jaa", False), ("ei", "ei", False), ("tyhja", None, True), (None, None, True)],
)
def test_tie_examples(chair_vote, winner, needs_decision):
    """R41: a tie (with blanks); only the chair's jaa or ei vote decides it."""
    ballots = {"a": "jaa", "b": "jaa", "c": "ei", "d": "ei", "e": "tyhja"}
    if chair_vote:
        ballots["pj"] = chair_vote
        ballots["f"] = {"jaa": "ei", "ei": "jaa", "tyhja": "tyhja"}[chair_vote]
    else:
        ballots["f"] = "tyhja"
    r = count_votes(ballots, ["a", "b", "c", "d", "e", "f", "pj", "g"], "pj")
    assert r.tie and r.winner == winner and r.needs_chair_decision is needs_decision
    assert r.absent == (2 if chair_vote is None else 1)


def test_ineligible_ballots_and_bad_options_raise_codes():
    """R37, R41, R72: only entitled members vote; all offending voters are listed, in order."""
    with pytest.raises(ProcedureError) as exc:
        count_votes({"x": "jaa", "a": "ei", "b": "jaa"}, ["a"], "a")
    assert exc.value.code == "vote.not_eligible"
    assert exc.value.params["voters"] == ("b", "x")
    with pytest.raises(ProcedureError) as exc:
        count_votes({"a": "tyhjä"}, ["a"], "a")
    assert exc.value.code == "vote.bad_option"
    assert count_votes({"a": VoteOption.JAA}, ["a"], None).winner == "jaa"
