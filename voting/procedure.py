"""Voting procedure of municipal bodies — a pure domain module, no Django import.

Legal basis (see ../shared/spec/legal-requirements.md, section F):

* R40 — KL 410/2015 104.1 §: if no counter-proposal is seconded the chair states the decision
  without a vote; otherwise the chair states which proposals fall for lack of seconding
  (*raukeavat kannattamattomina*), proposes the voting order (*äänestysjärjestys*) for the body's
  approval and formulates the proposition so that *jaa* or *ei* expresses the stance.
* R43 [UNVERIFIED model rule] — procedural motions first; counter-proposals furthest from the
  base first, the winner against the next, finally against the base proposal; rejection
  proposals last. :func:`propose_voting_order` makes this a *proposal* the chair may change;
  :func:`validate_plan` checks a changed order.
* R41 — 104.2 §: open vote; the proposal with most votes wins; on a tie the proposal the chair
  voted for. R42 [UNVERIFIED]: *tyhjä* counts for neither side. R44, R47: every vote is
  attributable, so :class:`VoteResult` lists names per option.
* R45 — 105 §: elections (*vaalit*): most votes win, proportional election on demand, lot
  (*arpa*) for ties, substitutes. R12 — closed ballots: the election functions only take
  aggregated counts, never who voted for whom.
* R31, R33 — the base proposal (*pohjaehdotus*) is always voted without seconding; motions to
  table or return (*pöydällepano*, *palautus*) are decided first.

Errors are :class:`ProcedureError` with a stable ``code`` (``vote.not_eligible``,
``election.bad_seats``, …); the service layer maps codes to translated messages and records
every outcome (plans, results, draw seeds) in the audit log.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from itertools import groupby
from typing import Any, TypeVar

__all__ = [
    "ABSENT",
    "ComparisonEntry",
    "Draw",
    "ElectionResult",
    "FallenProposal",
    "PlanError",
    "PlannedVote",
    "ProcedureError",
    "Proposal",
    "ProposalKind",
    "ProportionalResult",
    "ConnectionEffect",
    "VoteOption",
    "VoteResult",
    "VotingPlan",
    "WinnerOf",
    "count_votes",
    "format_comparison_number",
    "lot_order",
    "majority_election",
    "needs_vote",
    "personal_substitute_pairs",
    "proportional_demand_threshold",
    "proportional_election",
    "proportional_election_list_order",
    "propose_voting_order",
    "proposals_to_vote",
    "resolve_plan",
    "connection_change_effect",
    "tabling_demand_met",
    "tabling_demand_threshold",
    "validate_plan",
]

_M = TypeVar("_M")
_S = TypeVar("_S")

#: A member (voter) id; ids of one vote must be mutually comparable (all ints or all strs).
VoterId = int | str
#: A candidate id: a person, or a nomination standing for a (member, substitute) pair (R45).
CandidateId = int | str
#: A candidate list (*ehdokaslista*) or electoral alliance (*vaaliliitto*) id.
ListId = int | str


class ProcedureError(Exception):
    """A voting-procedure rule was broken. ``code`` is stable; ``params`` carry the details.

    The message is English for developers only; user-facing text is mapped from ``code``.
    """

    def __init__(self, code: str, detail: str = "", **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code}: {detail}" if detail else code)


def _id_key(value: Any) -> tuple[str, Any]:
    """Sort key for ids: deterministic even if a caller mixes ints and strs."""
    return (type(value).__name__, value)


def _check_int(code: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ProcedureError(code, f"{name} must be an int >= {minimum}, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# Proposals (ehdotukset) and voting order (äänestysjärjestys) — R31, R33, R40, R43
# --------------------------------------------------------------------------------------------


class ProposalKind(StrEnum):
    """Kind of proposal made in the handling of an item (R31, R33, R40)."""

    BASE = "base"  # pohjaehdotus: presenter's (or chair's) proposal, voted without seconding
    COUNTER = "counter"  # vastaehdotus
    REJECTION = "rejection"  # hylkäysehdotus: reject the matter altogether
    PROCEDURAL = "procedural"  # pöydällepano- tai palautusehdotus: table / return for preparation


@dataclass(frozen=True)
class Proposal:
    """One proposal (*ehdotus*) of an agenda item.

    * ``seconded`` — whether someone seconded it (*kannatettu*); ignored for the base proposal,
      which is always voted (R31).
    * ``distance`` — the chair's ordering key for counter-proposals (R43): a larger value departs
      further from the base and is voted earlier. Distance is a human judgement, so it is never
      computed here. When no counter-proposal has one, the proposal made *later* is assumed to
      depart further; "order of making" is the order of the sequence passed in (pass proposals
      as the registry lists them, oldest first). Equal distances fall back to that rule too.
      Not read for other kinds (procedural and rejection proposals keep the order of making).
    """

    id: int
    kind: str
    text: str
    seconded: bool = False
    distance: int | None = None

    def __post_init__(self) -> None:
        try:
            kind = ProposalKind(self.kind)
        except ValueError:
            raise ProcedureError(
                "vote.bad_kind", f"unknown proposal kind {self.kind!r}", proposal=self.id
            ) from None
        object.__setattr__(self, "kind", kind)


@dataclass(frozen=True)
class FallenProposal:
    """A proposal that is not voted on, with the reason code (R40).

    * ``vote.unseconded`` — *raukeaa kannattamattomana*;
    * ``vote.same_as_base`` — a counter-proposal identical in text to the base proposal;
    * ``vote.same_as_earlier`` — a counter-proposal identical to an earlier seconded one.
    """

    proposal: Proposal
    reason: str


def _normal_text(text: str) -> str:
    # "Identical in text": same words in the same order; whitespace and letter case ignored.
    return " ".join(text.split()).casefold()


def _base_of(proposals: Sequence[Proposal]) -> Proposal:
    ids = Counter(p.id for p in proposals)
    duplicated = sorted(i for i, n in ids.items() if n > 1)
    if duplicated:
        raise ProcedureError("vote.duplicate_id", f"proposal ids {duplicated}", ids=duplicated)
    bases = [p for p in proposals if p.kind is ProposalKind.BASE]
    if len(bases) != 1:
        raise ProcedureError(
            "vote.no_base" if not bases else "vote.several_bases",
            f"an item has exactly one base proposal, got {len(bases)}",
        )
    return bases[0]


def proposals_to_vote(
    proposals: Iterable[Proposal],
) -> tuple[tuple[Proposal, ...], tuple[FallenProposal, ...]]:
    """Split the proposals into those voted on and those that fall (R40, R31).

    Returns ``(voted, fallen)``, both in the order given. ``voted`` always contains the base
    proposal (*pohjaehdotus*, voted without seconding). Unseconded counter, rejection and
    procedural proposals fall (*raukeavat kannattamattomina*); a seconded counter-proposal whose
    text equals the base's (or an earlier seconded counter-proposal's) is not voted either —
    voting a proposal against itself decides nothing — and is reported with its reason.

    Raises ``vote.no_base`` / ``vote.several_bases`` / ``vote.duplicate_id``.
    """
    items = tuple(proposals)
    base = _base_of(items)
    voted: list[Proposal] = []
    fallen: list[FallenProposal] = []
    seen_counter_texts: set[str] = set()
    base_text = _normal_text(base.text)
    for p in items:
        if p.kind is ProposalKind.BASE:
            voted.append(p)
        elif not p.seconded:
            fallen.append(FallenProposal(p, "vote.unseconded"))
        elif p.kind is ProposalKind.COUNTER and _normal_text(p.text) == base_text:
            fallen.append(FallenProposal(p, "vote.same_as_base"))
        elif p.kind is ProposalKind.COUNTER and _normal_text(p.text) in seen_counter_texts:
            fallen.append(FallenProposal(p, "vote.same_as_earlier"))
        else:
            if p.kind is ProposalKind.COUNTER:
                seen_counter_texts.add(_normal_text(p.text))
            voted.append(p)
    return tuple(voted), tuple(fallen)


def needs_vote(proposals: Iterable[Proposal]) -> bool:
    """Whether a vote is needed: some seconded proposal differs from the base (R40).

    ``False`` means the chair states the base proposal as the decision without a vote.
    """
    voted, _ = proposals_to_vote(proposals)
    return any(p.kind is not ProposalKind.BASE for p in voted)


@dataclass(frozen=True)
class WinnerOf:
    """A side of a planned vote that is the winner of an earlier step (*voittanut ehdotus*)."""

    step: int


#: One side of a planned vote: a proposal id or the winner of an earlier step.
Side = int | WinnerOf


@dataclass(frozen=True)
class PlannedVote:
    """One vote (*äänestys*) of a voting order: ``jaa`` against ``ei`` (R40, R43).

    ``procedural`` marks a vote on a procedural motion (R33): its sides are the base proposal
    (meaning "continue handling") and the motion; if the motion wins, handling ends there.
    """

    step: int
    jaa: Side
    ei: Side
    procedural: bool = False

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.jaa, self.ei)


@dataclass(frozen=True)
class VotingPlan:
    """A voting order (*äänestysjärjestys*): steps numbered 1…n, run in order (R40, R43).

    Behaves as a sequence of :class:`PlannedVote`. ``base_id`` is the base proposal, which is
    also the decision when the plan is empty (no vote needed).
    """

    base_id: int
    steps: tuple[PlannedVote, ...] = field(default_factory=tuple)

    def __iter__(self) -> Iterator[PlannedVote]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index: int) -> PlannedVote:
        return self.steps[index]


def _ordered_counters(counters: Sequence[Proposal]) -> list[Proposal]:
    """Counter-proposals furthest from the base first (R43); see :class:`Proposal`."""
    with_distance = [p for p in counters if p.distance is not None]
    if with_distance and len(with_distance) != len(counters):
        missing = [p.id for p in counters if p.distance is None]
        raise ProcedureError(
            "vote.order_partial_distance",
            f"give a distance to every voted counter-proposal or none; missing: {missing}",
            proposals=missing,
        )
    made = {p.id: i for i, p in enumerate(counters)}
    # Larger distance first; equal (or absent) distance: made later first.
    return sorted(counters, key=lambda p: (-(p.distance or 0), -made[p.id]))


def propose_voting_order(
    proposals: Iterable[Proposal], *, standing_is_jaa: bool = True
) -> VotingPlan:
    """Propose the voting order (*äänestysjärjestys*) for the chair (R40, R43 [UNVERIFIED]).

    1. Each seconded procedural motion, in the order made, is its own vote against continuing
       the handling (represented by the base proposal) (R33).
    2. Counter-proposals pairwise, the one departing furthest from the base first: the first two
       against each other, the winner against the next, …; the final winner against the base
       proposal. One counter-proposal: one vote, base (jaa) against counter (ei).
    3. Rejection proposals last: the winner so far (or the base) against each, in order made.

    Finnish convention (104.1 §: the proposition is made so that *jaa* or *ei* expresses the
    stance): the standing proposal — the base, or the winner of the earlier vote — is *jaa* and
    the challenger *ei*; in the first counter-proposal vote the one voted first is *jaa*. Pass
    ``standing_is_jaa=False`` where the local practice is the other way round.

    The result is a proposal: the chair may change it and the body approves it (R40); check a
    changed plan with :func:`validate_plan`. Empty when no vote is needed.
    """
    voted, _ = proposals_to_vote(proposals)
    base = next(p for p in voted if p.kind is ProposalKind.BASE)
    steps: list[PlannedVote] = []

    def add(standing: Side, challenger: Side, procedural: bool = False) -> WinnerOf:
        jaa, ei = (standing, challenger) if standing_is_jaa else (challenger, standing)
        steps.append(PlannedVote(len(steps) + 1, jaa, ei, procedural))
        return WinnerOf(len(steps))

    for p in voted:
        if p.kind is ProposalKind.PROCEDURAL:
            add(base.id, p.id, procedural=True)
    current: Side | None = None
    for p in _ordered_counters([p for p in voted if p.kind is ProposalKind.COUNTER]):
        current = p.id if current is None else add(current, p.id)
    current = base.id if current is None else add(base.id, current)
    for p in voted:
        if p.kind is ProposalKind.REJECTION:
            current = add(current, p.id)
    return VotingPlan(base.id, tuple(steps))


@dataclass(frozen=True)
class PlanError:
    """A defect of a (changed) voting order; ``code`` is stable, ``step``/``proposal`` locate it.

    Codes: ``vote.order_wrong_base``, ``vote.order_bad_step``, ``vote.order_same_sides``,
    ``vote.order_bad_reference``, ``vote.order_unvoted_proposal``,
    ``vote.order_missing_proposal``, ``vote.order_duplicate_proposal``,
    ``vote.order_winner_reused``, ``vote.order_dangling_step``,
    ``vote.order_procedural_not_first``, ``vote.order_bad_procedural_step``,
    ``vote.order_not_ending_with_base``.
    """

    code: str
    step: int | None = None
    proposal: int | None = None


def validate_plan(plan: VotingPlan, proposals: Iterable[Proposal]) -> list[PlanError]:
    """Check a voting order the chair changed (R40, R43); ``[]`` means it is valid.

    Hard rules (whatever the order of counter-proposals): every seconded proposal appears
    exactly once; a "winner of step k" refers to an earlier, non-procedural step and is used
    once; every non-procedural step except the last feeds a later one (so one final winner
    exists); procedural motions come first, each against the base; the base proposal is in the
    last vote, or only votes against rejection proposals follow it. Which side is *jaa* is free.

    Raises :class:`ProcedureError` only when the proposals themselves are malformed.
    """
    voted, _ = proposals_to_vote(proposals)
    by_id = {p.id: p for p in voted}
    base_id = next(p.id for p in voted if p.kind is ProposalKind.BASE)
    errors: list[PlanError] = []
    if plan.base_id != base_id:
        errors.append(PlanError("vote.order_wrong_base", proposal=plan.base_id))
    steps = list(plan.steps)
    bad_numbers = [s.step for i, s in enumerate(steps, 1) if s.step != i]
    if bad_numbers:
        # References are meaningless until steps are numbered 1…n.
        return errors + [PlanError("vote.order_bad_step", step=n) for n in bad_numbers]

    def kind_of(side: Side) -> ProposalKind | None:
        return by_id[side].kind if isinstance(side, int) and side in by_id else None

    uses: Counter[int] = Counter()
    consumed: Counter[int] = Counter()
    base_step: int | None = None
    seen_main_step = False
    for s in steps:
        if s.jaa == s.ei:
            errors.append(PlanError("vote.order_same_sides", step=s.step))
        for side in s.sides:
            if isinstance(side, WinnerOf):
                if not 1 <= side.step < s.step or steps[side.step - 1].procedural:
                    errors.append(PlanError("vote.order_bad_reference", step=s.step))
                else:
                    consumed[side.step] += 1
            elif side not in by_id:
                errors.append(PlanError("vote.order_unvoted_proposal", s.step, side))
            elif side != base_id:
                uses[side] += 1
        kinds = {kind_of(side) for side in s.sides}
        if s.procedural:
            if seen_main_step:
                errors.append(PlanError("vote.order_procedural_not_first", step=s.step))
            if kinds != {ProposalKind.BASE, ProposalKind.PROCEDURAL}:
                errors.append(PlanError("vote.order_bad_procedural_step", step=s.step))
            continue
        seen_main_step = True
        if ProposalKind.PROCEDURAL in kinds:
            errors.append(PlanError("vote.order_bad_procedural_step", step=s.step))
        if ProposalKind.BASE in kinds:
            if base_step is not None:
                errors.append(PlanError("vote.order_duplicate_proposal", s.step, base_id))
            base_step = s.step

    for p in voted:
        if p.kind is ProposalKind.BASE or uses[p.id] == 1:
            continue
        missing = uses[p.id] == 0
        code = "vote.order_missing_proposal" if missing else "vote.order_duplicate_proposal"
        errors.append(PlanError(code, proposal=p.id))
    main_steps = [s for s in steps if not s.procedural]
    for s in main_steps:
        if consumed[s.step] > 1:
            errors.append(PlanError("vote.order_winner_reused", step=s.step))
        elif consumed[s.step] == 0 and s is not main_steps[-1]:
            errors.append(PlanError("vote.order_dangling_step", step=s.step))

    has_main = any(p.kind in (ProposalKind.COUNTER, ProposalKind.REJECTION) for p in voted)
    if has_main:
        after_base = [s for s in main_steps if base_step is not None and s.step > base_step]
        if base_step is None or any(
            ProposalKind.REJECTION not in {kind_of(x) for x in s.sides} for s in after_base
        ):
            errors.append(PlanError("vote.order_not_ending_with_base"))
    return errors


def resolve_plan(plan: VotingPlan, results: Mapping[int, str | VoteResult]) -> int:
    """The proposal that becomes the decision, given each step's winning side (R40, R41).

    ``results`` maps a step number to ``"jaa"`` / ``"ei"`` or to its :class:`VoteResult`. A
    procedural motion that wins ends the handling: its id is returned and later steps are not
    read (R33). An empty plan returns the base proposal (no vote was needed).

    Raises ``vote.result_missing``, ``vote.bad_result``, ``vote.needs_chair_decision`` (a tie
    the chair's vote did not break, R41), ``vote.order_bad_reference``.
    """
    winners: dict[int, int] = {}

    def proposal_of(side: Side, step: int) -> int:
        if isinstance(side, WinnerOf):
            if side.step not in winners:
                raise ProcedureError("vote.order_bad_reference", step=step)
            return winners[side.step]
        return side

    for s in plan.steps:
        if s.step not in results:
            raise ProcedureError("vote.result_missing", f"no result for step {s.step}", step=s.step)
        outcome = results[s.step]
        if isinstance(outcome, VoteResult):
            if outcome.winner is None:
                raise ProcedureError("vote.needs_chair_decision", step=s.step)
            outcome = outcome.winner
        if outcome not in (VoteOption.JAA, VoteOption.EI):
            raise ProcedureError("vote.bad_result", f"{outcome!r}", step=s.step)
        winner = proposal_of(s.jaa if outcome == VoteOption.JAA else s.ei, s.step)
        winners[s.step] = winner
        if s.procedural and winner != plan.base_id:
            return winner
    return winners[plan.steps[-1].step] if plan.steps else plan.base_id


def tabling_demand_threshold(present: int, fraction: Fraction = Fraction(1, 4)) -> int:
    """How many councillors present must demand it to table a first-time item (R33).

    R33 [UNVERIFIED model rule]: in the council an item handled for the first time is tabled
    (*pannaan pöydälle*) without a vote when at least ``fraction`` (by default one quarter) of
    the councillors present demand it: ``ceil(present * fraction)`` in exact integers, at least
    one. 43 present → 43 / 4 = 10.75 → **11**; 40 present → **10**.

    Raises ``tabling.bad_present`` (``present`` not an int >= 1) and ``tabling.bad_fraction``
    (``fraction`` not in (0, 1]).
    """
    _check_int("tabling.bad_present", "present", present, 1)
    if not isinstance(fraction, Fraction | int) or isinstance(fraction, bool) or not (
        0 < fraction <= 1
    ):
        raise ProcedureError("tabling.bad_fraction", f"fraction must be in (0, 1]: {fraction!r}")
    share = Fraction(fraction) * present
    return max(1, -(-share.numerator // share.denominator))


def tabling_demand_met(
    demanders: Collection[VoterId], present: Collection[VoterId],
    fraction: Fraction = Fraction(1, 4),
) -> bool:
    """Whether the councillors *present* among ``demanders`` reach
    :func:`tabling_demand_threshold` (R33). A demander who has left no longer counts."""
    here = set(present)
    if not here:
        return False
    return len(set(demanders) & here) >= tabling_demand_threshold(len(here), fraction)


@dataclass(frozen=True)
class ConnectionEffect:
    """What a change of a connection does to a running vote or election (R72).

    ``flag``: it cannot close until the chair chooses continue, pause or restart;
    ``pause``: it is paused at once (the chair's or the secretary's connection was lost).
    """

    flag: bool
    pause: bool


def connection_change_effect(
    *, eligible: bool, key_person: bool, lost: bool, running: bool
) -> ConnectionEffect:
    """The one rule for votes *and* elections when a connection state changes (R72
    [UNVERIFIED rule set]).

    * ``eligible`` — the person is an eligible voter of the vote or election;
    * ``key_person`` — the person is the meeting's chair or secretary;
    * ``lost`` — the new state is disconnected (or rejoined, not yet re-confirmed);
    * ``running`` — the vote or election is open (not paused).

    A change of an eligible voter's connection, or of the chair's or the secretary's, flags it
    for the chair; losing the chair's or the secretary's connection also pauses it at once.
    """
    flag = eligible or key_person
    return ConnectionEffect(flag=flag, pause=flag and key_person and lost and running)


# --------------------------------------------------------------------------------------------
# Counting a vote (ääntenlaskenta) — R41, R42, R44, R72
# --------------------------------------------------------------------------------------------


class VoteOption(StrEnum):
    """What a member may answer in an open vote (R41, R42); stored as ASCII codes."""

    JAA = "jaa"
    EI = "ei"
    TYHJA = "tyhja"  # tyhjä: counts for neither side (R42)


#: Key of :attr:`VoteResult.names` for eligible members who cast no ballot (*poissa*).
ABSENT = "absent"


@dataclass(frozen=True)
class VoteResult:
    """Result of one open vote (*äänestyksen tulos*, R41, R44).

    ``winner`` is ``"jaa"``/``"ei"`` or ``None`` when a tie was not broken by the chair's vote
    (the chair voted *tyhjä* or not at all): then ``needs_chair_decision`` is set and the vote
    must not be closed silently — the chair must resolve it (e.g. re-run, R72) [UNVERIFIED how
    locally handled]. ``names`` maps ``jaa``/``ei``/``tyhja``/``absent`` to sorted voter ids for
    the minutes appendix and the liability of R47.
    """

    jaa: int
    ei: int
    tyhja: int
    absent: int
    winner: VoteOption | None
    tie: bool
    tie_broken_by_chair: bool
    needs_chair_decision: bool
    names: Mapping[str, tuple[VoterId, ...]]


def count_votes(
    ballots: Mapping[VoterId, str],
    eligible: Collection[VoterId],
    chair_id: VoterId | None,
) -> VoteResult:
    """Count an open vote (R41, R42, R44).

    * ``ballots`` — voter → ``"jaa"``/``"ei"``/``"tyhja"``.
    * ``eligible`` — members entitled to vote in this vote (present when it opened, not
      disqualified, R37). A member whose connection dropped after casting stays eligible and the
      ballot counts; one who dropped before casting is absent (R72).
    * ``chair_id`` — the chair (*puheenjohtaja*), whose vote breaks a tie (KL 104.2 §).

    Most votes among *jaa* and *ei* win. The result does not depend on ballot order and
    ``jaa + ei + tyhja + absent == len(set(eligible))``.

    Raises ``vote.not_eligible`` (ballots of non-eligible voters, all of them listed) and
    ``vote.bad_option``.
    """
    eligible_set = set(eligible)
    strangers = sorted((v for v in ballots if v not in eligible_set), key=_id_key)
    if strangers:
        raise ProcedureError("vote.not_eligible", f"voters {strangers}", voters=tuple(strangers))
    options = {str(o) for o in VoteOption}
    bad = sorted((v for v, o in ballots.items() if o not in options), key=_id_key)
    if bad:
        raise ProcedureError("vote.bad_option", f"voters {bad}", voters=tuple(bad))

    groups: dict[str, list[VoterId]] = {str(o): [] for o in VoteOption}
    for voter, option in ballots.items():
        groups[option].append(voter)
    groups[ABSENT] = [v for v in eligible_set if v not in ballots]
    names = {key: tuple(sorted(ids, key=_id_key)) for key, ids in groups.items()}
    jaa, ei = len(names[VoteOption.JAA]), len(names[VoteOption.EI])

    tie = jaa == ei
    chair_vote = ballots.get(chair_id) if chair_id is not None else None
    winner: VoteOption | None
    if not tie:
        winner = VoteOption.JAA if jaa > ei else VoteOption.EI
    elif chair_vote in (VoteOption.JAA, VoteOption.EI):
        winner = VoteOption(chair_vote)
    else:
        winner = None
    return VoteResult(
        jaa=jaa,
        ei=ei,
        tyhja=len(names[VoteOption.TYHJA]),
        absent=len(names[ABSENT]),
        winner=winner,
        tie=tie,
        tie_broken_by_chair=tie and winner is not None,
        needs_chair_decision=winner is None,
        names=names,
    )


# --------------------------------------------------------------------------------------------
# Elections (vaalit) — R45, R12
# --------------------------------------------------------------------------------------------


def proportional_demand_threshold(present: int, to_elect: int) -> int:
    """How many members present can demand a proportional election (KL 105.2 §, R45).

    ``ceil(present / (to_elect + 1))`` in integers: 13 present, 9 to elect → 13/10 → **2**.
    """
    _check_int("election.bad_present", "present", present, 1)
    _check_int("election.bad_seats", "to_elect", to_elect, 1)
    return -(-present // (to_elect + 1))


def lot_order(items: Iterable[CandidateId], seed: bytes, context: str) -> tuple[CandidateId, ...]:
    """Order ``items`` by lot (*arpa*, KL 105.4 §, R45), reproducibly from ``seed``.

    Each item gets the key ``SHA-256(seed || 0x00 || context || 0x00 || str(item))`` (context
    and ``str(item)`` UTF-8 encoded); items are ordered by ascending key. ``context`` separates
    independent draws of one election (``"majority"``, ``"group:<list id>"``, ``"comparison"``).

    The service commits the seed (32 bytes from ``secrets.token_bytes``, optionally mixed with
    a value the chair announces) to the audit log *before* drawing, so that anyone can recompute
    the draw with a few lines of ``hashlib`` and the result cannot be changed afterwards.
    """
    _check_seed(seed)
    prefix = seed + b"\x00" + context.encode("utf-8") + b"\x00"

    def key(item: CandidateId) -> tuple[bytes, tuple[str, Any]]:
        return hashlib.sha256(prefix + str(item).encode("utf-8")).digest(), _id_key(item)

    return tuple(sorted(items, key=key))


def _check_seed(seed: object) -> None:
    if not isinstance(seed, bytes) or not seed:
        raise ProcedureError("election.bad_seed", "the seed must be non-empty bytes")


@dataclass(frozen=True)
class Draw:
    """One drawing of lots (*arvonta*) for equal votes or comparison numbers (R45).

    ``tied`` is the tied group in id order, ``order`` the drawn order; ``value`` the tied vote
    count or comparison number. ``decisive`` is true when the tied candidates did not all end up
    on the same side of the election (elected / not elected); other draws only order substitutes
    or the list (105.3 §).
    """

    context: str
    value: int | Fraction
    tied: tuple[CandidateId, ...]
    order: tuple[CandidateId, ...]
    decisive: bool = False


def _draw(
    members: Sequence[CandidateId],
    value: int | Fraction,
    seed: bytes,
    context: str,
    draws: list[Draw],
) -> tuple[CandidateId, ...]:
    if len(members) < 2:
        return tuple(members)
    order = lot_order(members, seed, context)
    draws.append(Draw(context, value, tuple(sorted(members, key=_id_key)), order))
    return order


def _mark_decisive(draws: list[Draw], elected: Collection[CandidateId]) -> tuple[Draw, ...]:
    chosen = set(elected)
    return tuple(replace(d, decisive=len({c in chosen for c in d.tied}) > 1) for d in draws)


@dataclass(frozen=True)
class ElectionResult:
    """Result of a majority election (*enemmistövaali*, KL 105.1 §, R45).

    ``elected`` in order of votes; ``not_elected`` continues that order (non-personal
    substitutes are taken from its start, 105.3 §); ``ranking`` pairs each candidate with votes.
    """

    seats: int
    elected: tuple[CandidateId, ...]
    not_elected: tuple[CandidateId, ...]
    ranking: tuple[tuple[CandidateId, int], ...]
    ties_drawn: tuple[Draw, ...]
    seed_hex: str

    @property
    def unfilled_seats(self) -> int:
        return self.seats - len(self.elected)


def _check_votes(votes: Mapping[CandidateId, int]) -> None:
    for candidate, n in votes.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ProcedureError("election.bad_votes", f"{candidate!r}: {n!r}", candidate=candidate)


def majority_election(
    votes: Mapping[CandidateId, int], seats: int, rng_seed: bytes
) -> ElectionResult:
    """Majority election (*enemmistövaali*): most votes win (KL 105.1 §, R45).

    ``votes`` maps each nominated candidate to the votes received (a closed ballot is counted
    elsewhere; only totals come here, R12). Equal votes are ordered by lot (105.4 §) with
    :func:`lot_order` (context ``"majority"``); every tied group is drawn so that the order of
    substitutes is fixed too, and draws that decided a seat are marked ``decisive``. A
    candidate id may stand for a (member, substitute) pair — see
    :func:`personal_substitute_pairs`. Seats beyond the number of candidates stay unfilled.
    """
    _check_int("election.bad_seats", "seats", seats, 1)
    _check_seed(rng_seed)
    if not votes:
        raise ProcedureError("election.no_candidates")
    _check_votes(votes)
    by_votes = sorted(votes, key=lambda c: (-votes[c], _id_key(c)))
    draws: list[Draw] = []
    ranking: list[tuple[CandidateId, int]] = []
    for n, group in groupby(by_votes, key=lambda c: votes[c]):
        ranking.extend((c, n) for c in _draw(list(group), n, rng_seed, "majority", draws))
    ordered = tuple(c for c, _ in ranking)
    elected = ordered[:seats]
    return ElectionResult(
        seats=seats,
        elected=elected,
        not_elected=ordered[seats:],
        ranking=tuple(ranking),
        ties_drawn=_mark_decisive(draws, elected),
        seed_hex=rng_seed.hex(),
    )


@dataclass(frozen=True)
class ComparisonEntry:
    """A candidate's place in a proportional election (R45).

    ``group`` is the list, or the alliance (*vaaliliitto*) the list belongs to; ``position`` the
    1-based place within the group, ``comparison`` the exact comparison number
    (*vertausluku*) = group total / position. ``personal_votes`` is ``None`` in list-order
    elections.
    """

    candidate: CandidateId
    list_id: ListId
    group: ListId
    position: int
    personal_votes: int | None
    comparison: Fraction


@dataclass(frozen=True)
class ProportionalResult:
    """Result of a proportional election (*suhteellinen vaali*, KL 105.2 §, R45).

    ``ranking`` is every candidate by comparison number; ``elected`` its start, ``not_elected``
    the rest in order (non-personal substitutes: next highest comparison numbers, 105.3 §).
    ``totals`` are the votes per group (list or alliance).
    """

    seats: int
    elected: tuple[CandidateId, ...]
    not_elected: tuple[CandidateId, ...]
    ranking: tuple[ComparisonEntry, ...]
    totals: Mapping[ListId, int]
    ties_drawn: tuple[Draw, ...]
    seed_hex: str

    @property
    def unfilled_seats(self) -> int:
        return self.seats - len(self.elected)

    @property
    def seats_by_list(self) -> dict[ListId, int]:
        """Seats won per candidate list (not per alliance); lists without seats have 0."""
        seats: dict[ListId, int] = {e.list_id: 0 for e in self.ranking}
        for entry in self.ranking[: len(self.elected)]:
            seats[entry.list_id] += 1
        return seats

    def entry(self, candidate: CandidateId) -> ComparisonEntry:
        return next(e for e in self.ranking if e.candidate == candidate)


def _rank_by_comparison(
    groups: Mapping[ListId, tuple[int, list[tuple[CandidateId, ListId, int | None]]]],
    seats: int,
    seed: bytes,
    draws: list[Draw],
) -> ProportionalResult:
    """Order all candidates by comparison number; ties by lot (vaalilaki 89–91 §)."""
    entries: list[ComparisonEntry] = []
    for gid in sorted(groups, key=_id_key):
        total, members = groups[gid]
        for k, (candidate, list_id, personal) in enumerate(members, 1):
            entries.append(
                ComparisonEntry(candidate, list_id, gid, k, personal, Fraction(total, k))
            )
    entries.sort(key=lambda e: -e.comparison)
    ranking: list[ComparisonEntry] = []
    for value, tied_iter in groupby(entries, key=lambda e: e.comparison):
        tied = list(tied_iter)
        drawn = _draw([e.candidate for e in tied], value, seed, "comparison", draws)
        # Inside one group equal comparison numbers happen only when its total is 0; the drawn
        # order then decides which *group* takes each place, and the group's own order is kept.
        queues = {
            gid: deque(sorted((e for e in tied if e.group == gid), key=lambda e: e.position))
            for gid in {e.group for e in tied}
        }
        by_candidate = {e.candidate: e for e in tied}
        ranking.extend(queues[by_candidate[c].group].popleft() for c in drawn)
    ordered = tuple(e.candidate for e in ranking)
    elected = ordered[:seats]
    return ProportionalResult(
        seats=seats,
        elected=elected,
        not_elected=ordered[seats:],
        ranking=tuple(ranking),
        totals={gid: total for gid, (total, _) in groups.items()},
        ties_drawn=_mark_decisive(draws, elected),
        seed_hex=seed.hex(),
    )


def proportional_election(
    lists: Mapping[ListId, Mapping[CandidateId, int]],
    seats: int,
    rng_seed: bytes,
    *,
    alliances: Mapping[ListId, Collection[ListId]] | None = None,
) -> ProportionalResult:
    """Proportional election with personal votes (*suhteellinen vaali*, KL 105.2 §, R45).

    Comparison numbers as in municipal elections (vaalilaki 714/1998 89–91 §): within each list
    candidates are ranked by personal votes, equal votes by lot (context ``"group:<id>"``); the
    first gets the list total, the second total/2, the third total/3 …; all candidates are
    ordered by comparison number (exact :class:`~fractions.Fraction`), equal numbers by lot
    (context ``"comparison"``), and the highest ``seats`` are elected.

    * A list of one candidate (*yksittäinen ehdokas*) gets its own votes as comparison number.
    * ``alliances`` maps an alliance (*vaaliliitto*) id to its list ids: the alliance is one
      group for ranking and comparison numbers (vaalilaki 89 §); its id must differ from list
      ids, and a list belongs to one alliance at most.
    * Candidate ids are unique across lists and may stand for (member, substitute) pairs.

    Raises ``election.bad_seats``, ``election.bad_seed``, ``election.no_candidates``,
    ``election.bad_votes``, ``election.duplicate_candidate``, ``election.bad_alliance``.
    """
    _check_int("election.bad_seats", "seats", seats, 1)
    _check_seed(rng_seed)
    seen: set[CandidateId] = set()
    for list_id, votes in lists.items():
        _check_votes(votes)
        duplicated = seen.intersection(votes)
        if duplicated:
            raise ProcedureError(
                "election.duplicate_candidate",
                f"{sorted(duplicated, key=_id_key)}",
                list_id=list_id,
            )
        seen.update(votes)
    if not seen:
        raise ProcedureError("election.no_candidates")

    group_of: dict[ListId, ListId] = {list_id: list_id for list_id in lists}
    for alliance_id, members in (alliances or {}).items():
        if alliance_id in lists or not members:
            raise ProcedureError("election.bad_alliance", alliance=alliance_id)
        for list_id in members:
            if list_id not in lists or group_of[list_id] != list_id:
                raise ProcedureError("election.bad_alliance", alliance=alliance_id, list=list_id)
            group_of[list_id] = alliance_id

    draws: list[Draw] = []
    groups: dict[ListId, tuple[int, list[tuple[CandidateId, ListId, int | None]]]] = {}
    for gid in sorted(set(group_of.values()), key=_id_key):
        personal = {
            c: (list_id, n)
            for list_id in sorted(lists, key=_id_key)
            if group_of[list_id] == gid
            for c, n in lists[list_id].items()
        }
        by_votes = sorted(personal, key=lambda c: (-personal[c][1], _id_key(c)))
        members: list[tuple[CandidateId, ListId, int | None]] = []
        for n, tied in groupby(by_votes, key=lambda c: personal[c][1]):
            for c in _draw(list(tied), n, rng_seed, f"group:{gid}", draws):
                members.append((c, personal[c][0], n))
        groups[gid] = (sum(n for _, n in personal.values()), members)
    return _rank_by_comparison(groups, seats, rng_seed, draws)


def proportional_election_list_order(
    list_votes: Mapping[ListId, int],
    candidates: Mapping[ListId, Sequence[CandidateId]],
    seats: int,
    rng_seed: bytes,
) -> ProportionalResult:
    """Proportional election where ballots name a list (R45) [UNVERIFIED local rule].

    Some councils' own election rules (hallintosääntö) have ballots cast for a candidate list,
    with candidates taking comparison numbers in the order the list names them (total, total/2,
    …). This is the same comparison-number method as :func:`proportional_election` without
    the personal-vote ranking; equal comparison numbers are ordered by lot. Alliances are not
    supported here. Confirm against the municipality's hallintosääntö before using.

    Raises ``election.bad_seats``, ``election.bad_seed``, ``election.no_candidates``,
    ``election.bad_votes``, ``election.unknown_list``, ``election.duplicate_candidate``.
    """
    _check_int("election.bad_seats", "seats", seats, 1)
    _check_seed(rng_seed)
    _check_votes(list_votes)
    if set(list_votes) != set(candidates):
        raise ProcedureError(
            "election.unknown_list", "list_votes and candidates must name the same lists"
        )
    all_candidates = [c for list_id in candidates for c in candidates[list_id]]
    if not all_candidates:
        raise ProcedureError("election.no_candidates")
    if len(set(all_candidates)) != len(all_candidates):
        raise ProcedureError("election.duplicate_candidate")
    groups = {
        list_id: (list_votes[list_id], [(c, list_id, None) for c in candidates[list_id]])
        for list_id in candidates
    }
    return _rank_by_comparison(groups, seats, rng_seed, [])


def format_comparison_number(value: Fraction | int, decimal_separator: str = ",") -> str:
    """A comparison number for humans: two decimals, half up (``Fraction(43, 3)`` → ``14,33``).

    Only for display; elections compare the exact values.
    """
    hundredths = math.floor(Fraction(value) * 100 + Fraction(1, 2))
    whole, cents = divmod(hundredths, 100)
    return f"{whole}{decimal_separator}{cents:02d}"


def personal_substitute_pairs(
    candidates: Sequence[CandidateId], pairs: Mapping[CandidateId, tuple[_M, _S]]
) -> tuple[tuple[_M, _S], ...]:
    """Expand candidates that stand for (member, personal substitute) pairs (KL 105.3 §, R45).

    Where substitutes are personal, each member and his or her substitute are nominated as a
    pair before the vote, and the pair is one candidate: pass the pair's nomination id as the
    candidate id to the election functions, then expand ``result.elected`` here.

    Raises ``election.unknown_pair`` when a candidate has no pair.
    """
    missing = [c for c in candidates if c not in pairs]
    if missing:
        raise ProcedureError("election.unknown_pair", f"{missing}", candidates=tuple(missing))
    return tuple(pairs[c] for c in candidates)
