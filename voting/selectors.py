"""Reads of the voting app: each selector takes the requesting user (docs/contributing.md).

Pages, the JSON API, the live room and the minutes read through these. Who may read: anyone who
may see the meeting (`meetings.rules.can_view_meeting`); others get *not found*. Named votes are
public (KL 104.2 §) but names are shown only once a vote has closed; nothing here ever joins an
election participant to a ballot (R12), and an election's seed is shown only after it closed.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kokous.errors import DomainError
from meetings import rules
from meetings.models import AgendaItem, ItemStatus, Meeting, Participant, Person
from voting import procedure
from voting.errors import voting_error
from voting.models import (
    Ballot,
    Candidate,
    ChairChoiceKind,
    Decision,
    Dissent,
    Election,
    ElectionDemandKind,
    ElectionKind,
    ElectionParticipation,
    ElectionStatus,
    Proposal,
    Vote,
    VoteStatus,
    VotingOrder,
)
from voting.models.votes import ACTIVE_VOTE_STATUSES
from voting.services._common import as_int, iso

OPTION_KEYS = ("jaa", "ei", "tyhja", procedure.ABSENT)


def _meeting_for(user: Any, meeting_id: Any, code: str) -> Meeting:
    mid = as_int(meeting_id)
    meeting = Meeting.objects.select_related("body").filter(pk=mid).first() if mid else None
    if meeting is None or not rules.can_view_meeting(user, meeting):
        raise voting_error(code)
    return meeting


def _names(person_ids: Any) -> dict[int, str]:
    ids = {int(p) for p in person_ids if p is not None}
    return {p.pk: p.full_name for p in Person.objects.filter(pk__in=ids)}


def _person_rows(person_ids: Any, names: dict[int, str]) -> list[dict[str, Any]]:
    rows = [{"person_id": int(p), "name": names.get(int(p), "")} for p in person_ids]
    return sorted(rows, key=lambda r: (r["name"].split(" ")[-1:], r["name"], r["person_id"]))


# --- proposals ----------------------------------------------------------------------------------


def proposal_label(p: Proposal) -> str:
    if p.is_base:
        return _("Pohjaehdotus")
    return _("%(kind)s %(number)s") % {"kind": p.get_kind_display().capitalize(),
                                        "number": p.number}


def proposal_row(p: Proposal) -> dict[str, Any]:
    seconders = [
        {"person_id": s.participant.person_id, "name": s.participant.person.full_name,
         "at": iso(s.at)}
        for s in p.secondings.all()
    ]
    proposer = p.proposer.person if p.proposer_id else None
    return {
        "id": p.pk,
        "number": p.number,
        "label": proposal_label(p),
        "kind": p.kind,
        "kind_display": p.get_kind_display(),
        "procedural_kind": p.procedural_kind,
        "text": p.text,
        "is_base": p.is_base,
        "proposer_id": proposer.pk if proposer else None,
        "proposer": proposer.full_name if proposer else "",
        "made_at": iso(p.made_at),
        "withdrawn": p.is_withdrawn,
        "withdrawn_at": iso(p.withdrawn_at),
        "seconders": seconders,
        "seconded": p.is_base or bool(seconders),
        "distance": p.distance,
        # R33: councillors who joined the demand to table (besides proposer and seconders).
        "demanders": [
            {"person_id": d.participant.person_id, "name": d.participant.person.full_name}
            for d in p.demands.all()
        ],
    }


def _proposals(item: AgendaItem) -> list[Proposal]:
    return list(
        Proposal.objects.filter(item=item)
        .select_related("proposer__person")
        .prefetch_related("secondings__participant__person", "demands__participant__person")
        .order_by("number")
    )


# --- votes --------------------------------------------------------------------------------------


def _side(p: Proposal) -> dict[str, Any]:
    return {"id": p.pk, "number": p.number, "label": proposal_label(p), "text": p.text}


def vote_row(vote: Vote, *, with_names: bool = True) -> dict[str, Any]:
    """A vote for pages, the API and the minutes; names only once it has closed (R44)."""
    row: dict[str, Any] = {
        "id": vote.pk,
        "item_id": vote.item_id,
        "step": vote.step,
        "attempt": vote.attempt,
        "status": vote.status,
        "status_display": vote.get_status_display(),
        "procedural": vote.procedural,
        "jaa": _side(vote.jaa_proposal),
        "ei": _side(vote.ei_proposal),
        "eligible_count": len(vote.eligible),
        "cast_count": vote.ballots.count(),
        "opened_at": iso(vote.opened_at),
        "closed_at": iso(vote.closed_at),
        "needs_chair_decision": vote.needs_chair_decision,
        "attention_reason": vote.attention_reason,
        "chair_choices": [
            {"choice": c.choice, "choice_display": c.get_choice_display(), "reason": c.reason,
             "at": iso(c.at), "restarted_as": c.restarted_as_id}
            for c in vote.chair_choices.all()
        ],
    }
    if vote.status == VoteStatus.CLOSED:
        row.update(
            jaa_count=vote.jaa_count, ei_count=vote.ei_count, tyhja_count=vote.tyhja_count,
            absent_count=vote.absent_count, winner=vote.winner, tie=vote.tie,
            tie_broken_by_chair=vote.tie_broken_by_chair,
            winner_proposal_id=vote.winner_proposal_id,
        )
        if with_names:
            row["names"] = vote_names(vote)
    return row


def vote_names(vote: Vote) -> dict[str, list[dict[str, Any]]]:
    """jaa / ei / tyhja / absent with names, for the minutes appendix (R44, R47)."""
    ballots = dict(Ballot.objects.filter(vote=vote).values_list("person_id", "option"))
    groups: dict[str, list[int]] = {key: [] for key in OPTION_KEYS}
    for person_id in vote.eligible:
        groups[ballots.get(person_id, procedure.ABSENT)].append(person_id)
    names = _names(vote.eligible)
    return {key: _person_rows(ids, names) for key, ids in groups.items()}


def _votes(item: AgendaItem) -> list[Vote]:
    return list(
        Vote.objects.filter(item=item)
        .select_related("jaa_proposal", "ei_proposal")
        .prefetch_related("chair_choices")
        .order_by("step", "attempt")
    )


def _vote_for(user: Any, meeting_id: Any, vote_id: Any) -> Vote:
    meeting = _meeting_for(user, meeting_id, "vote.not_found")
    vid = as_int(vote_id)
    vote = (
        Vote.objects.select_related("jaa_proposal", "ei_proposal", "item", "meeting__body")
        .filter(pk=vid, meeting=meeting).first()
        if vid else None
    )
    if vote is None:
        raise voting_error("vote.not_found")
    return vote


def vote_result(user: Any, meeting_id: Any, vote_id: Any) -> dict[str, Any]:
    """A vote's state; after it closed, its result and the names per option (R41, R44)."""
    return vote_row(_vote_for(user, meeting_id, vote_id))


def member_vote(user: Any, meeting_id: Any, vote_id: Any) -> dict[str, Any]:
    """The member's voting screen: both proposals in full, the own ballot and receipt."""
    vote = _vote_for(user, meeting_id, vote_id)
    person = rules.person_of(user)
    ballot = Ballot.objects.filter(vote=vote, person=person).first() if person else None
    from voting.services._common import deciding_participant

    can_vote, reason = False, ""
    if vote.status != VoteStatus.OPEN:
        reason = "vote.closed" if vote.status != VoteStatus.PAUSED else "vote.paused"
    else:
        try:
            participant = deciding_participant(vote.item, user)
        except DomainError as exc:
            reason = exc.code
        else:
            can_vote = participant.person_id in vote.eligible
            reason = "" if can_vote else "vote.not_eligible"
    return {
        "vote": vote_row(vote),
        "meeting_id": vote.meeting_id,
        "item": {"id": vote.item_id, "title": str(vote.item)},
        "ballot": {
            "option": ballot.option, "option_display": ballot.get_option_display(),
            "receipt": ballot.receipt, "salt": ballot.salt, "revision": ballot.revision,
            "cast_at": iso(ballot.cast_at), "person_id": ballot.person_id,
        } if ballot else None,
        "can_vote": can_vote,
        "reason": reason,
        "changeable": vote.meeting.body.ballot_changeable,
    }


# --- the item's handling ------------------------------------------------------------------------


def _step_label(side: Any, by_id: dict[int, Proposal]) -> str:
    if isinstance(side, dict) and "winner_of" in side:
        return _("äänestyksen %(step)s voittaja") % {"step": side["winner_of"]}
    p = by_id.get(side)
    return proposal_label(p) if p else str(side)


def order_row(order: VotingOrder | None, by_id: dict[int, Proposal]) -> dict[str, Any] | None:
    if order is None:
        return None
    return {
        "id": order.pk,
        "method": order.method,
        "method_display": order.get_method_display(),
        "approved": order.is_approved,
        "approved_at": iso(order.approved_at),
        "proposed_at": iso(order.proposed_at),
        "changed_by_chair": order.changed_by_chair,
        "plan": order.plan,
        "steps": [
            {"step": s["step"], "procedural": s.get("procedural", False),
             "jaa": _step_label(s["jaa"], by_id), "ei": _step_label(s["ei"], by_id)}
            for s in order.plan
        ],
    }


def decision_row(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "id": decision.pk,
        "proposal_id": decision.proposal_id,
        "proposal_number": decision.proposal.number,
        "proposal_label": proposal_label(decision.proposal),
        "text": decision.proposal.text,
        "by_vote": decision.by_vote,
        "by_demand": decision.by_demand,
        "stated_at": iso(decision.stated_at),
        "dissent_open": decision.dissent_open,
        "dissent_closed_at": iso(decision.dissent_closed_at),
    }


def dissent_rows(item: AgendaItem) -> list[dict[str, Any]]:
    return [
        {"id": d.pk, "person_id": d.person_id, "name": d.person.full_name, "ground": d.ground,
         "ground_display": d.get_ground_display(), "registered_at": iso(d.registered_at),
         "reasons": d.reasons, "reasons_at": iso(d.reasons_at)}
        for d in Dissent.objects.filter(item=item).select_related("person")
    ]


def dissents_for_item(user: Any, item: AgendaItem) -> list[dict[str, Any]]:
    """Dissents of an item with names, grounds and written reasons (R46, for the minutes)."""
    _meeting_for(user, item.meeting_id, "handling.item_not_found")
    return dissent_rows(item)


def fallen_proposals(proposals: list[Proposal]) -> tuple[list[int], list[dict[str, Any]]]:
    """Ids of the proposals put to the vote, and those that fall (*raukeavat*) with the reason.

    Works on proposals already loaded (with secondings and demands prefetched) and checks no
    access: callers are selectors that did, or the minutes builder working from the records.
    """
    live = [p for p in proposals if not p.is_withdrawn]
    if not any(p.is_base for p in live):
        return [], []
    voted, fallen = procedure.proposals_to_vote(
        procedure.Proposal(p.pk, p.kind, p.text,
                           p.is_base or bool(p.secondings.all()) or bool(p.demands.all()),
                           p.distance)
        for p in live
    )
    by_id = {p.pk: p for p in live}
    return [p.id for p in voted], [
        {"id": f.proposal.id, "label": proposal_label(by_id[f.proposal.id]), "reason": f.reason}
        for f in fallen
    ]


def item_handling(user: Any, meeting_id: Any, item_id: Any) -> dict[str, Any]:
    """Everything the item page shows: proposals, order, votes, decision, dissent, elections.

    For the chair it adds `next` — the next step of the chair's flow and what blocks it (R76).
    """
    meeting = _meeting_for(user, meeting_id, "handling.item_not_found")
    iid = as_int(item_id)
    item = (
        AgendaItem.objects.select_related("base_proposal", "presenter")
        .filter(pk=iid, meeting=meeting).first() if iid else None
    )
    if item is None:
        raise voting_error("handling.item_not_found")
    item.meeting = meeting
    person = rules.person_of(user)
    me = (
        Participant.objects.filter(meeting=meeting, person=person).first() if person else None
    )
    from voting.services._common import deciding_participant

    deciding, not_deciding_reason = False, ""
    try:
        deciding_participant(item, user)
        deciding = True
    except DomainError as exc:
        not_deciding_reason = exc.code
    proposals = _proposals(item)
    by_id = {p.pk: p for p in proposals}
    voted_ids, fallen = fallen_proposals(proposals)
    order = VotingOrder.objects.filter(item=item).first()
    votes = _votes(item)
    decision = Decision.objects.select_related("proposal").filter(item=item).first()
    my_dissent = None
    dissent_ground = None
    if person is not None and decision is not None:
        my_dissent = Dissent.objects.filter(item=item, person=person).first()
        if my_dissent is None and decision.dissent_open:
            from voting.services.decisions import dissent_ground as ground_of

            dissent_ground = ground_of(item, decision, person.pk)
    is_chair = rules.is_chair(user, meeting)
    active = next((v for v in votes if v.status in ACTIVE_VOTE_STATUSES), None)
    data = {
        "meeting": meeting,
        "item": item,
        "is_chair": is_chair,
        "me": me,
        "deciding": deciding,
        "not_deciding_reason": not_deciding_reason,
        "in_discussion": item.status == ItemStatus.IN_DISCUSSION,
        "base_text": (item.base_proposal.text if item.base_proposal
                      else (item.current_proposal.text if item.current_proposal else "")),
        "proposals": [proposal_row(p) for p in proposals],
        "stated": any(p.is_base for p in proposals),
        "voted_ids": voted_ids,
        "fallen": fallen,
        "order": order_row(order, by_id),
        "votes": [vote_row(v, with_names=True) for v in votes],
        "active_vote": vote_row(active, with_names=False) if active else None,
        "decision": decision_row(decision),
        "dissents": dissent_rows(item) if decision else [],
        "my_dissent": my_dissent,
        "may_dissent": dissent_ground is not None,
        "dissent_ground": dissent_ground,
        "elections": [election_row(e) for e in Election.objects.filter(item=item)],
        "tabling": _tabling(item, proposals),
    }
    for row in data["proposals"]:
        row["tabling"] = data["tabling"].get(row["id"])
    if is_chair:
        data["next"] = _next_step(item, data, order, votes, decision)
    return data


def _tabling(item: AgendaItem, proposals: list[Proposal]) -> dict[int, dict[str, Any]]:
    """Per motion to table: demanders present / threshold where the ¼ rule applies (R33)."""
    from voting.services.order import tabling_demand_status

    out = {}
    for p in proposals:
        status = tabling_demand_status(item, p)
        if status is not None:
            out[p.pk] = {**status, "count": len(status["demanders"])}
    return out


def _next_step(
    item: AgendaItem, data: dict[str, Any], order: VotingOrder | None, votes: list[Vote],
    decision: Decision | None,
) -> dict[str, Any]:
    """The chair's next step and why a step is blocked (R76: guided steps, blocking checks)."""
    status = item.status
    if decision is not None:
        if decision.dissent_open:
            return {"step": "close_dissent", "blocked": ""}
        return {"step": "done", "blocked": ""}
    if status == ItemStatus.IN_DISCUSSION:
        return {"step": "close_discussion", "blocked": ""}
    if status not in (ItemStatus.DISCUSSION_CLOSED, ItemStatus.VOTING):
        return {"step": "done", "blocked": ""}
    if not data["stated"]:
        return {"step": "state_proposals",
                "blocked": "" if item.base_proposal_id else "handling.no_base_proposal"}
    needs = any(pid for pid in data["voted_ids"]
                if not next(p for p in data["proposals"] if p["id"] == pid)["is_base"])
    if not needs:
        return {"step": "state_decision", "blocked": ""}
    from voting.services.order import tabling_by_demand

    if tabling_by_demand(item) is not None:
        return {"step": "state_decision", "blocked": ""}
    if order is None or not order.is_approved:
        return {"step": "propose_order" if order is None else "approve_order", "blocked": ""}
    active = next((v for v in votes if v.status in ACTIVE_VOTE_STATUSES), None)
    if active is not None:
        blocked = ""
        if active.status == VoteStatus.PAUSED:
            blocked = "vote.paused"
        elif active.needs_chair_decision:
            blocked = ("vote.tie_needs_chair" if active.attention_reason == "tie"
                       else "vote.needs_chair_decision")
        return {"step": "close_vote", "vote": active.pk, "blocked": blocked}
    closed_steps = {v.step for v in votes if v.status == VoteStatus.CLOSED}
    from voting.services.order import stored_plan
    from voting.services.votes import handling_ended_by

    plan = stored_plan(order)
    if handling_ended_by(order, plan) is None and any(
        s.step not in closed_steps for s in plan.steps
    ):
        pending = next(s.step for s in plan.steps if s.step not in closed_steps)
        return {"step": "open_vote", "vote_step": pending, "blocked": ""}
    return {"step": "state_decision", "blocked": ""}


def open_votes(user: Any, meeting_id: Any) -> dict[str, Any]:
    """Open and paused votes and open elections of a meeting, for the live room."""
    meeting = _meeting_for(user, meeting_id, "vote.not_found")
    votes = Vote.objects.filter(meeting=meeting, status__in=ACTIVE_VOTE_STATUSES).select_related(
        "jaa_proposal", "ei_proposal"
    )
    elections = Election.objects.filter(
        meeting=meeting, status__in=[ElectionStatus.OPEN, ElectionStatus.PAUSED]
    )
    return {
        "votes": [vote_row(v, with_names=False) for v in votes],
        "elections": [election_row(e) for e in elections],
    }


# --- elections ----------------------------------------------------------------------------------


def candidate_row(c: Candidate) -> dict[str, Any]:
    return {
        "id": c.pk, "number": c.number, "name": c.name, "person_id": c.person_id,
        "substitute_name": c.substitute_name, "substitute_person_id": c.substitute_person_id,
        "list_id": c.candidate_list_id,
        "list_name": c.candidate_list.name if c.candidate_list_id else "",
        "label": str(c),
    }


def election_row(e: Election) -> dict[str, Any]:
    """An election without anything secret: counts of participants, never who chose what."""
    row: dict[str, Any] = {
        "id": e.pk, "item_id": e.item_id, "title": e.title, "kind": e.kind,
        "kind_display": e.get_kind_display(), "seats": e.seats,
        "closed_ballot": e.closed_ballot, "personal_substitutes": e.personal_substitutes,
        "status": e.status, "status_display": e.get_status_display(),
        "eligible_count": len(e.eligible), "participated": e.participations.count(),
        "opened_at": iso(e.opened_at), "closed_at": iso(e.closed_at),
        "seed_commitment": e.seed_commitment,
        "needs_chair_decision": e.needs_chair_decision, "attention_reason": e.attention_reason,
        "attempt": e.attempt,
    }
    if e.status == ElectionStatus.CLOSED:
        row.update(ballot_count=e.ballot_count, blank_count=e.blank_count,
                   seed_hex=e.seed_hex, result=e.result)
    return row


def election_results(user: Any, election: Election) -> dict[str, Any]:
    """A closed election's result with candidate names, for the minutes (R45)."""
    _meeting_for(user, election.meeting_id, "election.not_found")
    row = election_row(election)
    candidates = {c.pk: c for c in election.candidates.select_related("candidate_list")}
    row["candidates"] = [candidate_row(c) for c in candidates.values()]
    if election.status == ElectionStatus.CLOSED:
        result = election.result

        def named(ids: list[int]) -> list[dict[str, Any]]:
            return [candidate_row(candidates[c]) for c in ids if c in candidates]

        row["elected"] = named(result.get("elected", []))
        row["not_elected"] = named(result.get("not_elected", []))
        row["ranking"] = [
            {**r, "name": str(candidates[r["candidate"]])} for r in result.get("ranking", [])
            if r["candidate"] in candidates
        ]
        row["draws"] = result.get("draws", [])
    return row


def election_view(user: Any, meeting_id: Any, election_id: Any) -> dict[str, Any]:
    """The election page: candidates, lists, demands, whether I took part, the result."""
    meeting = _meeting_for(user, meeting_id, "election.not_found")
    eid = as_int(election_id)
    election = (
        Election.objects.select_related("item", "meeting__body").filter(pk=eid, meeting=meeting)
        .first() if eid else None
    )
    if election is None:
        raise voting_error("election.not_found")
    person = rules.person_of(user)
    from voting.services._common import deciding_participant, deciding_person_ids

    deciding, reason = False, ""
    try:
        deciding_participant(election.item, user)
        deciding = True
    except DomainError as exc:
        reason = exc.code
    participated = bool(person) and ElectionParticipation.objects.filter(
        election=election, person=person
    ).exists()
    threshold = None
    if election.kind == ElectionKind.MAJORITY and election.status == ElectionStatus.NOMINATING:
        present = len(deciding_person_ids(election.item))
        if present:
            threshold = procedure.proportional_demand_threshold(present, election.seats)
    return {
        "meeting": meeting,
        "election": election,
        "row": election_results(user, election),
        "lists": list(election.lists.select_related("alliance")),
        "alliances": [
            {"alliance": a, "lists": list(a.lists.all())}
            for a in election.alliances.prefetch_related("lists")
        ],
        "lists_free": list(election.lists.filter(alliance__isnull=True)),
        "may_register_lists": rules.is_chair(user, meeting)
        or rules.can_manage_meeting(user, meeting),
        "chair_choices": ChairChoiceKind.choices,
        "is_chair": rules.is_chair(user, meeting),
        "deciding": deciding,
        "not_deciding_reason": reason,
        "participated": participated,
        "eligible": bool(person) and person.pk in election.eligible,
        "proportional_demands": election.demands.filter(
            kind=ElectionDemandKind.PROPORTIONAL).count(),
        "proportional_threshold": threshold,
        "closed_ballot_demands": election.demands.filter(
            kind=ElectionDemandKind.CLOSED_BALLOT).count(),
    }


# --- for the minutes ----------------------------------------------------------------------------


def item_voting_record(user: Any, item: AgendaItem) -> dict[str, Any]:
    """The voting part of an item's minutes (R40, R44, R45, R46, R49).

    Proposals with proposers and seconders, those that fell, the voting method and approved
    order, every vote (voided attempts marked) with counts and names per option, the chair's
    choices, the decision, dissents with reasons, and elections with results.
    """
    meeting = _meeting_for(user, item.meeting_id, "handling.item_not_found")
    proposals = _proposals(item)
    by_id = {p.pk: p for p in proposals}
    voted_ids, fallen = fallen_proposals(proposals)
    order = VotingOrder.objects.filter(item=item).first()
    decision = Decision.objects.select_related("proposal").filter(item=item).first()
    return {
        "meeting_id": meeting.pk,
        "item_id": item.pk,
        "proposals": [proposal_row(p) for p in proposals],
        "voted_ids": voted_ids,
        "fallen": fallen,
        "order": order_row(order, by_id),
        "votes": [vote_row(v) for v in _votes(item) if v.status != VoteStatus.VOIDED],
        "voided_votes": [vote_row(v) for v in _votes(item) if v.status == VoteStatus.VOIDED],
        "decision": decision_row(decision),
        "dissents": dissent_rows(item),
        "elections": [election_results(user, e) for e in Election.objects.filter(item=item)],
    }


__all__ = [
    "dissents_for_item", "election_results", "election_view", "fallen_proposals",
    "item_handling", "item_voting_record", "member_vote", "open_votes", "proposal_row",
    "vote_names", "vote_result", "vote_row",
]
