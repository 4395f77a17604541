"""The chair's steps between the discussion and the votes (KL 104.1 §, R40, R43, R33).

1. `state_proposals` — once the discussion has closed, the chair states which proposals are
   voted on and which fall for lack of seconding (`procedure.proposals_to_vote`). The base
   proposal (*pohjaehdotus*) enters the registry here from the item's fixed `base_proposal`.
2. `propose_order` — the chair proposes the voting method and order
   (`procedure.propose_voting_order`), possibly changed (`procedure.validate_plan`).
3. `approve_order` — the body approves it; the approved order is recorded.

When nothing seconded differs from the base proposal, no order is needed: the chair states the
decision at once (`voting.services.decisions.state_decision`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import transaction

from meetings.models import AgendaItem, ItemStatus
from voting import procedure
from voting.errors import from_procedure, voting_error
from voting.models import (
    ProceduralKind,
    Proposal,
    ProposalKind,
    VotingMethod,
    VotingOrder,
)
from voting.services._common import (
    as_int,
    deciding_person_ids,
    item_obj,
    lock_item,
    now,
    push,
    record,
    require_chair,
    require_in_session,
    sha256_hex,
)

# --- the registry as the pure procedure sees it -------------------------------------------------


def base_proposal_of(item: AgendaItem) -> Proposal | None:
    return Proposal.objects.filter(item=item, kind=ProposalKind.BASE).first()


def registry(item: AgendaItem) -> list[Proposal]:
    """The item's live proposals in the order made (base first), withdrawn ones left out."""
    return list(
        Proposal.objects.filter(item=item, withdrawn_at__isnull=True)
        .prefetch_related("secondings", "demands")
        .order_by("number")
    )


def procedure_proposals(item: AgendaItem) -> list[procedure.Proposal]:
    """`procedure.Proposal`s of the registry: ids are `Proposal` primary keys (R31, R40)."""
    return [
        procedure.Proposal(
            id=p.pk,
            kind=p.kind,
            text=p.text,
            # Joining a demand to table supports the motion too (R33).
            seconded=p.is_base or bool(p.secondings.all()) or bool(p.demands.all()),
            distance=p.distance,
        )
        for p in registry(item)
    ]


def tabling_fraction(item: AgendaItem) -> Fraction | None:
    """The share of councillors present whose demand tables the item without a vote, or None
    when the rule does not apply (R33 [UNVERIFIED model rule]).

    It applies in the council (`Body.is_council`) to an item handled for the first time: no
    earlier item of the body with the same diary number was tabled. The share is
    `Body.table_threshold_fraction` (default 1/4); an empty or malformed value disables it.
    Other bodies decide tabling by vote.
    """
    body = item.meeting.body
    if not body.is_council or not body.table_threshold_fraction:
        return None
    try:
        fraction = Fraction(body.table_threshold_fraction.strip())
    except (ValueError, ZeroDivisionError):
        return None
    if not 0 < fraction <= 1:
        return None
    if item.diary_number and AgendaItem.objects.filter(
        body_id=item.body_id, diary_number=item.diary_number, status=ItemStatus.TABLED
    ).exclude(pk=item.pk).exists():
        return None  # tabled once already: the minority right is used up
    return fraction


def is_table_motion(proposal: Proposal) -> bool:
    return (
        proposal.kind == ProposalKind.PROCEDURAL
        and proposal.procedural_kind == ProceduralKind.TABLE
    )


def tabling_demanders(proposal: Proposal) -> set[int]:
    """Person ids of those who demand tabling: the proposer, seconders and joiners (R33)."""
    people = {proposal.proposer.person_id} if proposal.proposer_id else set()
    people |= {s.participant.person_id for s in proposal.secondings.select_related("participant")}
    people |= {d.participant.person_id for d in proposal.demands.select_related("participant")}
    return people


def tabling_demand_status(item: AgendaItem, proposal: Proposal) -> dict[str, Any] | None:
    """How far the demand to table has come, or None when the ¼ rule does not apply (R33).

    ``present`` is the number of councillors deciding in the item now, ``demanders`` the
    present ones among those who demand it, ``threshold`` =
    `procedure.tabling_demand_threshold(present, fraction)`.
    """
    fraction = tabling_fraction(item)
    if fraction is None or not is_table_motion(proposal) or proposal.is_withdrawn:
        return None
    present = deciding_person_ids(item)
    if not present:
        return None
    demanders = sorted(tabling_demanders(proposal) & set(present))
    threshold = procedure.tabling_demand_threshold(len(present), fraction)
    return {"proposal": proposal.pk, "demanders": demanders, "present": len(present),
            "threshold": threshold, "fraction": str(fraction),
            "met": procedure.tabling_demand_met(demanders, present, fraction)}


def tabling_by_demand(item: AgendaItem) -> Proposal | None:
    """The motion to table that enough councillors present demand (R33), if any: the chair
    then states the item tabled without a vote (`decisions.state_decision`)."""
    if tabling_fraction(item) is None:
        return None
    for p in registry(item):
        status = tabling_demand_status(item, p)
        if status is not None and status["met"]:
            return p
    return None


# --- plans as JSON ------------------------------------------------------------------------------


def _side_to_json(side: procedure.Side) -> Any:
    return {"winner_of": side.step} if isinstance(side, procedure.WinnerOf) else side


def plan_to_json(plan: procedure.VotingPlan) -> list[dict[str, Any]]:
    return [
        {"step": s.step, "jaa": _side_to_json(s.jaa), "ei": _side_to_json(s.ei),
         "procedural": bool(s.procedural)}
        for s in plan.steps
    ]


def _side_from_json(value: Any) -> procedure.Side:
    if isinstance(value, dict) and set(value) == {"winner_of"}:
        step = as_int(value["winner_of"])
        if step is None:
            raise voting_error("order.malformed")
        return procedure.WinnerOf(step)
    number = as_int(value)
    if number is None:
        raise voting_error("order.malformed")
    return number


def plan_from_json(base_id: int, data: Any) -> procedure.VotingPlan:
    """A plan from its JSON form; `order.malformed` for anything else."""
    if not isinstance(data, list):
        raise voting_error("order.malformed")
    steps = []
    for i, raw in enumerate(data, 1):
        if not isinstance(raw, dict) or "jaa" not in raw or "ei" not in raw:
            raise voting_error("order.malformed")
        step = as_int(raw.get("step", i))
        if step is None:
            raise voting_error("order.malformed")
        steps.append(
            procedure.PlannedVote(
                step, _side_from_json(raw["jaa"]), _side_from_json(raw["ei"]),
                bool(raw.get("procedural", False)),
            )
        )
    return procedure.VotingPlan(base_id, tuple(steps))


def plan_from_text(item: AgendaItem, base_id: int, text: str) -> procedure.VotingPlan:
    """The chair console's compact form: one vote per line, ``<jaa> <ei>``.

    A side is a proposal number as the console shows it (0 = the base proposal) or ``V<k>`` for
    the winner of vote k. A vote between the base and a procedural motion is procedural.
    """
    by_number = {p.number: p for p in registry(item)}
    steps = []
    for i, line in enumerate([ln for ln in text.splitlines() if ln.strip()], 1):
        tokens = line.replace(",", " ").replace("-", " ").split()
        if len(tokens) != 2:
            raise voting_error("order.malformed")
        sides: list[procedure.Side] = []
        kinds = set()
        for token in tokens:
            token = token.strip().upper()
            if token.startswith("V"):
                k = as_int(token[1:])
                if k is None:
                    raise voting_error("order.malformed")
                sides.append(procedure.WinnerOf(k))
            else:
                n = token.lstrip("#")
                if not n.isdigit() or int(n) not in by_number:
                    raise voting_error("order.malformed")
                sides.append(by_number[int(n)].pk)
                kinds.add(by_number[int(n)].kind)
        procedural = ProposalKind.PROCEDURAL in kinds
        steps.append(procedure.PlannedVote(i, sides[0], sides[1], procedural))
    return procedure.VotingPlan(base_id, tuple(steps))


def stored_plan(order: VotingOrder) -> procedure.VotingPlan:
    base = base_proposal_of(order.item)
    return plan_from_json(base.pk if base else 0, order.plan)


# --- 1. state the proposals ---------------------------------------------------------------------


@dataclass(frozen=True)
class StateProposalsCheck:
    item: AgendaItem
    base: Proposal | None


def check_state_proposals(user: Any, meeting_id: Any, item_id: Any) -> StateProposalsCheck:
    item = lock_item(meeting_id, item_id, user=user)
    require_chair(user, item.meeting)
    require_in_session(item.meeting)
    if item.status != ItemStatus.DISCUSSION_CLOSED:
        raise voting_error("handling.discussion_not_closed")
    if item.base_proposal is None:
        raise voting_error("handling.no_base_proposal")
    order = VotingOrder.objects.filter(item=item).first()
    if order is not None and order.is_approved:
        raise voting_error("order.already_approved")
    return StateProposalsCheck(item, base_proposal_of(item))


@transaction.atomic
def do_state_proposals(
    check: StateProposalsCheck, *, actor: Any
) -> tuple[tuple[procedure.Proposal, ...], tuple[procedure.FallenProposal, ...]]:
    item, base = check.item, check.base
    version = item.base_proposal
    if base is None:
        base = Proposal.objects.create(
            item=item, number=0, kind=ProposalKind.BASE, text=version.text,
            base_version=version, made_at=now(),
        )
    elif base.base_version_id != version.pk:
        # The discussion was reopened and the presenter amended the proposal (R32).
        base.text, base.base_version = version.text, version
        base.save(update_fields=["text", "base_version"])
    try:
        voted, fallen = procedure.proposals_to_vote(procedure_proposals(item))
    except procedure.ProcedureError as exc:
        raise from_procedure(exc) from exc
    demand = tabling_by_demand(item)
    record(
        actor, "proposals.stated", item_obj(item),
        {
            "base": base.pk,
            "base_version": version.pk,
            "base_sha256": sha256_hex(base.text),
            "voted": [p.id for p in voted],
            "fallen": [[f.proposal.id, f.reason] for f in fallen],
            "vote_needed": any(p.kind != procedure.ProposalKind.BASE for p in voted),
            "tabling_demanded": demand.pk if demand else None,
        },
    )
    push(item.meeting_id, {"type": "proposals.stated", "item": item.pk})
    return voted, fallen


def state_proposals(
    user: Any, meeting_id: Any, item_id: Any
) -> tuple[tuple[procedure.Proposal, ...], tuple[procedure.FallenProposal, ...]]:
    """The chair states which proposals are voted on and which fall unseconded (R40)."""
    with transaction.atomic():
        return do_state_proposals(check_state_proposals(user, meeting_id, item_id), actor=user)


# --- 2. propose the voting method and order -----------------------------------------------------


@dataclass(frozen=True)
class ProposeOrderCheck:
    item: AgendaItem
    method: str
    proposed: procedure.VotingPlan
    plan: procedure.VotingPlan
    distances: dict[int, int | None]
    existing: VotingOrder | None


def _parse_distances(item: AgendaItem, raw: Any) -> dict[int, int | None]:
    if raw in (None, "", {}):
        return {}
    if not isinstance(raw, dict):
        raise voting_error("request.bad_parameter", field="distances")
    counters = {
        p.pk for p in registry(item) if p.kind == ProposalKind.COUNTER
    }
    out: dict[int, int | None] = {}
    for key, value in raw.items():
        pid = as_int(key)
        if pid not in counters:
            raise voting_error("request.bad_parameter", field="distances")
        if value in (None, ""):
            out[pid] = None
            continue
        if isinstance(value, bool):
            raise voting_error("request.bad_parameter", field="distances")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise voting_error("request.bad_parameter", field="distances") from None
        if not 0 <= number <= 1000:
            raise voting_error("request.bad_parameter", field="distances")
        out[pid] = number
    return out


def check_propose_order(
    user: Any,
    meeting_id: Any,
    item_id: Any,
    *,
    method: Any = VotingMethod.ELECTRONIC,
    plan: Any = None,
    plan_text: str | None = None,
    distances: Any = None,
) -> ProposeOrderCheck:
    item = lock_item(meeting_id, item_id, user=user)
    require_chair(user, item.meeting)
    require_in_session(item.meeting)
    if item.status != ItemStatus.DISCUSSION_CLOSED:
        raise voting_error("handling.discussion_not_closed")
    base = base_proposal_of(item)
    if base is None:
        raise voting_error("handling.proposals_not_stated")
    existing = VotingOrder.objects.filter(item=item).first()
    if existing is not None and existing.is_approved:
        raise voting_error("order.already_approved")
    method = str(method or VotingMethod.ELECTRONIC)
    if method not in VotingMethod.values:
        raise voting_error("order.bad_method")
    parsed_distances = _parse_distances(item, distances)
    proposals = [
        procedure.Proposal(
            p.id, p.kind, p.text, p.seconded,
            parsed_distances.get(p.id, p.distance),
        )
        for p in procedure_proposals(item)
    ]
    try:
        if not procedure.needs_vote(proposals):
            raise voting_error("order.not_needed")
        if tabling_by_demand(item) is not None:
            raise voting_error("order.not_needed")
        proposed = procedure.propose_voting_order(proposals)
    except procedure.ProcedureError as exc:
        raise from_procedure(exc) from exc
    chosen = proposed
    if plan_text:
        chosen = plan_from_text(item, base.pk, plan_text)
    elif plan not in (None, "", []):
        chosen = plan_from_json(base.pk, plan)
    errors = procedure.validate_plan(chosen, proposals)
    if errors:
        raise voting_error("order.invalid", codes=", ".join(sorted({e.code for e in errors})))
    return ProposeOrderCheck(item, method, proposed, chosen, parsed_distances, existing)


@transaction.atomic
def do_propose_order(check: ProposeOrderCheck, *, actor: Any) -> VotingOrder:
    item = check.item
    for pid, distance in check.distances.items():
        Proposal.objects.filter(pk=pid, item=item).update(distance=distance)
    fields = {
        "method": check.method,
        "proposed_plan": plan_to_json(check.proposed),
        "plan": plan_to_json(check.plan),
        "changed_by_chair": check.plan.steps != check.proposed.steps,
        "proposed_at": now(),
        "proposed_by": actor,
        "approved_at": None,
        "approved_by": None,
    }
    if check.existing is None:
        order = VotingOrder.objects.create(item=item, **fields)
    else:
        order = check.existing
        for key, value in fields.items():
            setattr(order, key, value)
        order.save()
    record(
        actor, "voting.order_proposed", item_obj(item),
        {"order": order.pk, "method": order.method, "plan": order.plan,
         "changed_by_chair": order.changed_by_chair,
         "distances": {str(k): v for k, v in sorted(check.distances.items())}},
    )
    push(item.meeting_id, {"type": "voting.order_proposed", "item": item.pk})
    return order


def propose_order(
    user: Any, meeting_id: Any, item_id: Any, *, method: Any = VotingMethod.ELECTRONIC,
    plan: Any = None, plan_text: str | None = None, distances: Any = None,
) -> VotingOrder:
    """The chair proposes the voting method and order for the body's approval (R40, R43).

    Without `plan` (JSON steps) or `plan_text` (console lines) the order of
    `procedure.propose_voting_order` is proposed; a changed order must pass
    `procedure.validate_plan` (`order.invalid` lists the rule codes it breaks).
    """
    with transaction.atomic():
        check = check_propose_order(
            user, meeting_id, item_id, method=method, plan=plan, plan_text=plan_text,
            distances=distances,
        )
        return do_propose_order(check, actor=user)


# --- 3. the body approves the order -------------------------------------------------------------


@dataclass(frozen=True)
class ApproveOrderCheck:
    item: AgendaItem
    order: VotingOrder


def check_approve_order(user: Any, meeting_id: Any, item_id: Any) -> ApproveOrderCheck:
    item = lock_item(meeting_id, item_id, user=user)
    require_chair(user, item.meeting)
    require_in_session(item.meeting)
    order = VotingOrder.objects.select_for_update().filter(item=item).first()
    if order is None:
        raise voting_error("order.not_proposed")
    if order.is_approved:
        raise voting_error("order.already_approved")
    if item.status != ItemStatus.DISCUSSION_CLOSED:
        raise voting_error("handling.discussion_not_closed")
    try:
        errors = procedure.validate_plan(stored_plan(order), procedure_proposals(item))
    except procedure.ProcedureError as exc:
        raise from_procedure(exc) from exc
    if errors:
        raise voting_error("order.invalid", codes=", ".join(sorted({e.code for e in errors})))
    return ApproveOrderCheck(item, order)


@transaction.atomic
def do_approve_order(check: ApproveOrderCheck, *, actor: Any) -> VotingOrder:
    order = check.order
    order.approved_at = now()
    order.approved_by = actor
    order.save(update_fields=["approved_at", "approved_by"])
    record(
        actor, "voting.order_approved", item_obj(check.item),
        {"order": order.pk, "method": order.method, "plan": order.plan},
    )
    push(check.item.meeting_id, {"type": "voting.order_approved", "item": check.item.pk})
    return order


def approve_order(user: Any, meeting_id: Any, item_id: Any) -> VotingOrder:
    """The chair records that the body approved the proposed method and order (R40)."""
    with transaction.atomic():
        return do_approve_order(check_approve_order(user, meeting_id, item_id), actor=user)
