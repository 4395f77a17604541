"""Proposals and seconding during the discussion of an item (KL 104.1 §, R31–R33, R40).

Members' proposals — counter-proposals (*vastaehdotus*), rejection proposals (*hylkäysehdotus*)
and procedural motions (*pöydällepano*, *palautus*) — are made and seconded by deciding members
while the item is in discussion. The base proposal (*pohjaehdotus*) is never made here: it is
the item's `base_proposal` version, fixed when the discussion closes (R32), and is voted
without seconding (R31).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max

from meetings.models import AgendaItem, ItemStatus, Participant
from voting.errors import voting_error
from voting.models import ProceduralKind, Proposal, ProposalKind, Seconding, TablingDemand
from voting.services._common import (
    as_int,
    deciding_participant,
    lock_item,
    now,
    push,
    record,
    require_in_session,
    require_visible,
    sha256_hex,
)

MEMBER_KINDS = (ProposalKind.COUNTER, ProposalKind.REJECTION, ProposalKind.PROCEDURAL)

#: Text of a procedural motion when the member gives none (R33).
DEFAULT_PROCEDURAL_TEXT = {
    ProceduralKind.TABLE: "Asia jätetään pöydälle.",
    ProceduralKind.RETURN: "Asia palautetaan uudelleen valmisteltavaksi.",
}


def _require_discussion(item: AgendaItem) -> None:
    require_in_session(item.meeting)
    if item.status != ItemStatus.IN_DISCUSSION:
        raise voting_error("handling.discussion_not_open")


def proposal_audit_data(proposal: Proposal) -> dict[str, Any]:
    """What the log keeps of a proposal: identifiers and a digest, never the text (R28)."""
    return {
        "item": proposal.item_id,
        "number": proposal.number,
        "kind": proposal.kind,
        "procedural_kind": proposal.procedural_kind,
        "text_sha256": sha256_hex(proposal.text),
    }


# --- make a proposal ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MakeProposalCheck:
    item: AgendaItem
    participant: Participant
    kind: str
    procedural_kind: str
    text: str


def check_make_proposal(
    user: Any, meeting_id: Any, item_id: Any, kind: Any, text: Any, procedural_kind: Any = ""
) -> MakeProposalCheck:
    kind = str(kind or "")
    procedural_kind = str(procedural_kind or "")
    if kind not in MEMBER_KINDS:
        raise voting_error("proposal.bad_kind")
    if kind == ProposalKind.PROCEDURAL:
        if procedural_kind not in (ProceduralKind.TABLE, ProceduralKind.RETURN):
            raise voting_error("proposal.bad_procedural_kind")
    elif procedural_kind:
        raise voting_error("proposal.bad_procedural_kind")
    clean = str(text or "").strip()
    if not clean and kind == ProposalKind.PROCEDURAL:
        clean = DEFAULT_PROCEDURAL_TEXT[ProceduralKind(procedural_kind)]
    if not clean:
        raise voting_error("proposal.text_required")
    item = lock_item(meeting_id, item_id, user=user)
    _require_discussion(item)
    participant = deciding_participant(item, user)
    return MakeProposalCheck(item, participant, kind, procedural_kind, clean)


@transaction.atomic
def do_make_proposal(check: MakeProposalCheck, *, actor: Any) -> Proposal:
    item = check.item
    last = Proposal.objects.filter(item=item).aggregate(n=Max("number"))["n"] or 0
    proposal = Proposal.objects.create(
        item=item,
        number=last + 1,
        kind=check.kind,
        procedural_kind=check.procedural_kind,
        text=check.text,
        proposer=check.participant,
        made_at=now(),
    )
    record(
        actor, "proposal.made", f"proposal:{proposal.pk}",
        {**proposal_audit_data(proposal), "proposer": check.participant.person_id},
    )
    push(item.meeting_id, {"type": "proposal.made", "item": item.pk, "proposal": proposal.pk})
    return proposal


def make_proposal(
    user: Any, meeting_id: Any, item_id: Any, kind: Any, text: Any, procedural_kind: Any = ""
) -> Proposal:
    """A deciding member makes a counter, rejection or procedural proposal (R40, R33)."""
    with transaction.atomic():
        check = check_make_proposal(user, meeting_id, item_id, kind, text, procedural_kind)
        return do_make_proposal(check, actor=user)


# --- second a proposal --------------------------------------------------------------------------


def _lock_proposal(
    meeting_id: Any, proposal_id: Any, *, user: Any
) -> tuple[Proposal, AgendaItem]:
    pid, mid = as_int(proposal_id), as_int(meeting_id)
    proposal = None
    if pid and mid:
        proposal = (
            Proposal.objects.select_related("proposer", "item__meeting__body")
            .filter(pk=pid, item__meeting_id=mid)
            .first()
        )
    if proposal is None:
        raise voting_error("proposal.not_found")
    require_visible(user, proposal.item.meeting, "proposal.not_found")
    item = lock_item(mid, proposal.item_id, user=user)
    return proposal, item


@dataclass(frozen=True)
class SecondCheck:
    proposal: Proposal
    item: AgendaItem
    participant: Participant
    existing: Seconding | None


def check_second_proposal(user: Any, meeting_id: Any, proposal_id: Any) -> SecondCheck:
    proposal, item = _lock_proposal(meeting_id, proposal_id, user=user)
    if proposal.is_base:
        raise voting_error("proposal.is_base")
    _require_discussion(item)
    participant = deciding_participant(item, user)
    if proposal.is_withdrawn:
        raise voting_error("proposal.withdrawn")
    if proposal.proposer is not None and proposal.proposer.person_id == participant.person_id:
        raise voting_error("proposal.own")
    existing = Seconding.objects.filter(proposal=proposal, participant=participant).first()
    return SecondCheck(proposal, item, participant, existing)


@transaction.atomic
def do_second_proposal(check: SecondCheck, *, actor: Any) -> Seconding:
    if check.existing is not None:
        return check.existing  # idempotent: seconding twice is one seconding
    seconding = Seconding.objects.create(
        proposal=check.proposal, participant=check.participant, at=now()
    )
    record(
        actor, "proposal.seconded", f"proposal:{check.proposal.pk}",
        {"item": check.item.pk, "number": check.proposal.number,
         "seconder": check.participant.person_id},
    )
    push(
        check.item.meeting_id,
        {"type": "proposal.seconded", "item": check.item.pk, "proposal": check.proposal.pk},
    )
    return seconding


def second_proposal(user: Any, meeting_id: Any, proposal_id: Any) -> Seconding:
    """Another deciding member seconds a proposal (*kannatus*, KL 104.1 §, R40)."""
    with transaction.atomic():
        return do_second_proposal(
            check_second_proposal(user, meeting_id, proposal_id), actor=user
        )


# --- withdraw a proposal ------------------------------------------------------------------------


@dataclass(frozen=True)
class WithdrawCheck:
    proposal: Proposal
    item: AgendaItem


def check_withdraw_proposal(user: Any, meeting_id: Any, proposal_id: Any) -> WithdrawCheck:
    from voting.services._common import person_of

    proposal, item = _lock_proposal(meeting_id, proposal_id, user=user)
    if proposal.is_base:
        raise voting_error("proposal.is_base")
    person = person_of(user)
    if person is None or proposal.proposer is None or proposal.proposer.person_id != person.pk:
        raise voting_error("proposal.not_proposer")
    _require_discussion(item)
    return WithdrawCheck(proposal, item)


@transaction.atomic
def do_withdraw_proposal(check: WithdrawCheck, *, actor: Any) -> Proposal:
    proposal = check.proposal
    if proposal.is_withdrawn:
        return proposal  # idempotent
    proposal.withdrawn_at = now()
    proposal.save(update_fields=["withdrawn_at"])
    record(
        actor, "proposal.withdrawn", f"proposal:{proposal.pk}",
        {"item": check.item.pk, "number": proposal.number},
    )
    push(
        check.item.meeting_id,
        {"type": "proposal.withdrawn", "item": check.item.pk, "proposal": proposal.pk},
    )
    return proposal


def withdraw_proposal(user: Any, meeting_id: Any, proposal_id: Any) -> Proposal:
    """The proposer withdraws his or her proposal while the discussion is open."""
    with transaction.atomic():
        return do_withdraw_proposal(
            check_withdraw_proposal(user, meeting_id, proposal_id), actor=user
        )


# --- join a demand to table (R33) ---------------------------------------------------------------


@dataclass(frozen=True)
class JoinTablingCheck:
    proposal: Proposal
    item: AgendaItem
    participant: Participant
    existing: TablingDemand | None


def check_join_tabling_demand(user: Any, meeting_id: Any, proposal_id: Any) -> JoinTablingCheck:
    from voting.services.order import is_table_motion, tabling_fraction

    proposal, item = _lock_proposal(meeting_id, proposal_id, user=user)
    if not is_table_motion(proposal):
        raise voting_error("tabling.not_table_motion")
    _require_discussion(item)
    participant = deciding_participant(item, user)
    if proposal.is_withdrawn:
        raise voting_error("proposal.withdrawn")
    if tabling_fraction(item) is None:
        raise voting_error("tabling.not_applicable")
    if proposal.proposer is not None and proposal.proposer.person_id == participant.person_id:
        raise voting_error("proposal.own")  # the proposer demands it already
    existing = TablingDemand.objects.filter(proposal=proposal, participant=participant).first()
    return JoinTablingCheck(proposal, item, participant, existing)


@transaction.atomic
def do_join_tabling_demand(check: JoinTablingCheck, *, actor: Any) -> TablingDemand:
    from voting.services.order import tabling_demand_status

    if check.existing is not None:
        return check.existing  # idempotent
    demand = TablingDemand.objects.create(
        proposal=check.proposal, participant=check.participant, at=now()
    )
    status = tabling_demand_status(check.item, check.proposal) or {}
    record(
        actor, "tabling.demand_joined", f"proposal:{check.proposal.pk}",
        {"item": check.item.pk, "number": check.proposal.number,
         "person": check.participant.person_id, "demanders": len(status.get("demanders", [])),
         "present": status.get("present", 0), "threshold": status.get("threshold", 0),
         "met": bool(status.get("met"))},
    )
    push(check.item.meeting_id, {"type": "tabling.demand_joined", "item": check.item.pk,
                                 "proposal": check.proposal.pk,
                                 "met": bool(status.get("met"))})
    return demand


def join_tabling_demand(user: Any, meeting_id: Any, proposal_id: Any) -> TablingDemand:
    """A councillor joins the demand to table an item handled for the first time (R33).

    When the councillors present who demand it reach `procedure.tabling_demand_threshold`
    (a quarter of those present by default), the chair states the item tabled without a vote.
    """
    with transaction.atomic():
        return do_join_tabling_demand(
            check_join_tabling_demand(user, meeting_id, proposal_id), actor=user
        )
