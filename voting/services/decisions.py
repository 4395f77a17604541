"""The chair states the decision; dissent right after it (KL 104.1 §, 106 §, R40, R46, R47).

`state_decision` resolves the approved order's closed votes with `procedure.resolve_plan` (a
procedural motion that won ends the handling: the item is tabled or returned, R33); without
seconded proposals that differ from the base it states the base proposal without a vote. It
calls the meetings quorum guard (R35). The dissent window opens with the decision; the chair
closes it; written reasons may be attached until the minutes are checked (R46).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from meetings.models import AgendaItem, ItemStatus, MeetingStatus
from voting import procedure
from voting.errors import from_procedure, voting_error
from voting.models import (
    Ballot,
    Decision,
    Dissent,
    DissentGround,
    ProceduralKind,
    Proposal,
    ProposalKind,
    Vote,
    VoteStatus,
    VotingOrder,
)
from voting.models.votes import ACTIVE_VOTE_STATUSES
from voting.services._common import (
    get_item,
    item_obj,
    lock_item,
    now,
    person_of,
    push,
    record,
    require_chair,
    require_in_session,
    require_quorum,
    sha256_hex,
    transition_item,
)
from voting.services.order import (
    base_proposal_of,
    procedure_proposals,
    stored_plan,
    tabling_by_demand,
    tabling_demand_status,
)

# --- state the decision -------------------------------------------------------------------------


@dataclass(frozen=True)
class StateDecisionCheck:
    item: AgendaItem
    proposal: Proposal
    by_vote: bool
    by_demand: bool
    votes: list[Vote]
    demand: dict[str, Any] | None = None


def check_state_decision(user: Any, meeting_id: Any, item_id: Any) -> StateDecisionCheck:
    item = lock_item(meeting_id, item_id, user=user)
    require_chair(user, item.meeting)
    require_in_session(item.meeting)
    if Decision.objects.filter(item=item).exists():
        raise voting_error("decision.already_stated")
    if item.status not in (ItemStatus.DISCUSSION_CLOSED, ItemStatus.VOTING):
        raise voting_error("handling.discussion_not_closed")
    base = base_proposal_of(item)
    if base is None:
        raise voting_error("handling.proposals_not_stated")
    order = VotingOrder.objects.filter(item=item).first()
    by_demand = False
    votes: list[Vote] = []
    if order is not None and order.is_approved:
        if order.votes.filter(status__in=ACTIVE_VOTE_STATUSES).exists():
            raise voting_error("decision.votes_pending")
        votes = list(order.votes.filter(status=VoteStatus.CLOSED).order_by("step"))
        results = {v.step: v.winner for v in votes}
        try:
            winner_id = procedure.resolve_plan(stored_plan(order), results)
        except procedure.ProcedureError as exc:
            if exc.code == "vote.result_missing":
                raise voting_error("decision.votes_pending") from exc
            raise from_procedure(exc) from exc
        proposal = Proposal.objects.get(pk=winner_id, item=item)
        by_vote = True
    else:
        demanded = tabling_by_demand(item)
        try:
            vote_needed = procedure.needs_vote(procedure_proposals(item))
        except procedure.ProcedureError as exc:
            raise from_procedure(exc) from exc
        if demanded is not None:
            proposal, by_demand = demanded, True
        elif vote_needed:
            raise voting_error("decision.vote_needed")
        else:
            proposal = base
        by_vote = False
    require_quorum(item)  # R35: no decision without quorum
    demand = tabling_demand_status(item, proposal) if by_demand else None
    return StateDecisionCheck(item, proposal, by_vote, by_demand, votes, demand)


def _item_event(proposal: Proposal) -> str:
    if proposal.kind == ProposalKind.PROCEDURAL:
        return "table" if proposal.procedural_kind == ProceduralKind.TABLE else "return"
    return "decide"


@transaction.atomic
def do_state_decision(check: StateDecisionCheck, *, actor: Any) -> Decision:
    item, proposal = check.item, check.proposal
    decision = Decision.objects.create(
        item=item, proposal=proposal, by_vote=check.by_vote, by_demand=check.by_demand,
        stated_at=now(), stated_by=actor,
    )
    event = _item_event(proposal)
    if event != "decide" and item.status == ItemStatus.VOTING:
        # meetings.lifecycle has no voting → tabled/returned; go back through cancel_vote.
        transition_item(item, "cancel_vote", actor=actor)
    item.decision_text = proposal.text
    transition_item(item, event, actor=actor)
    if event != "decide":
        item.save(update_fields=["decision_text"])
    record(
        actor, "decision.stated", item_obj(item),
        {"decision": decision.pk, "proposal": proposal.pk, "number": proposal.number,
         "kind": proposal.kind, "procedural_kind": proposal.procedural_kind,
         "by_vote": check.by_vote, "by_demand": check.by_demand,
         "votes": [v.pk for v in check.votes], "text_sha256": sha256_hex(proposal.text),
         "item_status": item.status,
         # R33: who demanded tabling, of how many present, against which threshold.
         **({"tabling_demand": {k: check.demand[k] for k in
                                ("demanders", "present", "threshold", "fraction")}}
            if check.demand else {})},
    )
    push(item.meeting_id, {"type": "decision.stated", "item": item.pk, "proposal": proposal.pk,
                           "dissent_open": True})
    return decision


def state_decision(user: Any, meeting_id: Any, item_id: Any) -> Decision:
    """The chair states the decision (R40, R76); the dissent window opens (R46)."""
    with transaction.atomic():
        return do_state_decision(check_state_decision(user, meeting_id, item_id), actor=user)


# --- dissent ------------------------------------------------------------------------------------


def dissent_ground(item: AgendaItem, decision: Decision, person_id: int) -> str | None:
    """Why `person_id` may register dissent in `item`, or None (KL 106.1 §, R46).

    * voted against: in a closed vote of the item where the decided proposal stood, the person
      voted for the other side;
    * made a counter-proposal (or a rejection or procedural proposal) that did not become the
      decision and was not withdrawn;
    * the presenter (*esittelijä*), when the decision departs from the base proposal.
    """
    decided = decision.proposal_id
    for vote in Vote.objects.filter(item=item, status=VoteStatus.CLOSED):
        if decided == vote.jaa_proposal_id:
            against = "ei"
        elif decided == vote.ei_proposal_id:
            against = "jaa"
        else:
            continue
        if Ballot.objects.filter(vote=vote, person_id=person_id, option=against).exists():
            return DissentGround.VOTED_AGAINST
    if (
        Proposal.objects.filter(item=item, proposer__person_id=person_id, withdrawn_at__isnull=True)
        .exclude(kind=ProposalKind.BASE)
        .exclude(pk=decided)
        .exists()
    ):
        return DissentGround.COUNTER_PROPOSAL
    if item.presenter_id == person_id and decision.proposal.kind != ProposalKind.BASE:
        return DissentGround.PRESENTER
    return None


@dataclass(frozen=True)
class RegisterDissentCheck:
    item: AgendaItem
    decision: Decision
    person_id: int
    ground: str
    existing: Dissent | None


def _decision_for(item: AgendaItem) -> Decision:
    decision = Decision.objects.select_related("proposal").filter(item=item).first()
    if decision is None:
        raise voting_error("decision.not_stated")
    return decision


def check_register_dissent(user: Any, meeting_id: Any, item_id: Any) -> RegisterDissentCheck:
    item = lock_item(meeting_id, item_id, user=user)
    person = person_of(user)
    if person is None:
        raise voting_error("dissent.not_entitled")
    decision = _decision_for(item)
    existing = Dissent.objects.filter(item=item, person=person).first()
    if existing is not None:
        return RegisterDissentCheck(item, decision, person.pk, existing.ground, existing)
    if not decision.dissent_open:
        raise voting_error("dissent.window_closed")
    ground = dissent_ground(item, decision, person.pk)
    if ground is None:
        raise voting_error("dissent.not_entitled")
    return RegisterDissentCheck(item, decision, person.pk, ground, None)


@transaction.atomic
def do_register_dissent(check: RegisterDissentCheck, *, actor: Any) -> Dissent:
    if check.existing is not None:
        return check.existing  # idempotent
    dissent = Dissent.objects.create(
        item=check.item, person_id=check.person_id, ground=check.ground, registered_at=now()
    )
    record(
        actor, "dissent.registered", item_obj(check.item),
        {"dissent": dissent.pk, "person": check.person_id, "ground": check.ground,
         "decision": check.decision.pk},
    )
    push(check.item.meeting_id, {"type": "dissent.registered", "item": check.item.pk})
    return dissent


def register_dissent(user: Any, meeting_id: Any, item_id: Any) -> Dissent:
    """An entitled person registers dissent while the chair keeps the window open (R46)."""
    with transaction.atomic():
        return do_register_dissent(
            check_register_dissent(user, meeting_id, item_id), actor=user
        )


@dataclass(frozen=True)
class CloseDissentCheck:
    item: AgendaItem
    decision: Decision


def check_close_dissent_window(user: Any, meeting_id: Any, item_id: Any) -> CloseDissentCheck:
    item = lock_item(meeting_id, item_id, user=user)
    require_chair(user, item.meeting)
    decision = _decision_for(item)
    return CloseDissentCheck(item, decision)


@transaction.atomic
def do_close_dissent_window(check: CloseDissentCheck, *, actor: Any) -> Decision:
    decision = check.decision
    if not decision.dissent_open:
        return decision  # idempotent
    decision.dissent_closed_at = now()
    decision.save(update_fields=["dissent_closed_at"])
    dissenters = sorted(Dissent.objects.filter(item=check.item).values_list("person_id", flat=True))
    record(
        actor, "dissent.window_closed", item_obj(check.item),
        {"decision": decision.pk, "dissenters": dissenters},
    )
    push(check.item.meeting_id, {"type": "dissent.window_closed", "item": check.item.pk})
    return decision


def close_dissent_window(user: Any, meeting_id: Any, item_id: Any) -> Decision:
    """The chair ends the moment for registering dissent (R46, R76)."""
    with transaction.atomic():
        return do_close_dissent_window(
            check_close_dissent_window(user, meeting_id, item_id), actor=user
        )


MAX_REASONS = 20_000
REASONS_CLOSED_STATUSES = (MeetingStatus.MINUTES_CHECKED, MeetingStatus.PUBLISHED)


@dataclass(frozen=True)
class AttachReasonsCheck:
    dissent: Dissent
    reasons: str


def check_attach_dissent_reasons(
    user: Any, meeting_id: Any, item_id: Any, reasons: Any
) -> AttachReasonsCheck:
    item = get_item(meeting_id, item_id, user=user)
    person = person_of(user)
    dissent = None
    if person is not None:
        dissent = Dissent.objects.select_for_update().filter(item=item, person=person).first()
    if dissent is None:
        raise voting_error("dissent.not_found")
    if item.meeting.status in REASONS_CLOSED_STATUSES:
        raise voting_error("dissent.reasons_closed")
    text = str(reasons or "").strip() if isinstance(reasons, str) else ""
    if not text:
        raise voting_error("dissent.reasons_required")
    return AttachReasonsCheck(dissent, text[:MAX_REASONS])


@transaction.atomic
def do_attach_dissent_reasons(check: AttachReasonsCheck, *, actor: Any) -> Dissent:
    dissent = check.dissent
    dissent.reasons = check.reasons
    dissent.reasons_at = now()
    dissent.save(update_fields=["reasons", "reasons_at"])
    record(
        actor, "dissent.reasons_attached", item_obj(dissent.item_id),
        {"dissent": dissent.pk, "person": dissent.person_id,
         "reasons_sha256": sha256_hex(dissent.reasons), "length": len(dissent.reasons)},
    )
    push(dissent.item.meeting_id, {"type": "dissent.reasons_attached", "item": dissent.item_id})
    return dissent


def attach_dissent_reasons(user: Any, meeting_id: Any, item_id: Any, reasons: Any) -> Dissent:
    """The dissenter attaches written reasons until the minutes are checked (KL 106.1 §, R46)."""
    with transaction.atomic():
        return do_attach_dissent_reasons(
            check_attach_dissent_reasons(user, meeting_id, item_id, reasons), actor=user
        )
