"""The live room's one door to the voting app (proposals, votes, decisions; R40–R47, R72).

`meetings` sits below `voting` in the layer order, so nothing else in `meetings/` touches
`voting`; this module imports it lazily, only when the live room runs. It reads voting rows for
the snapshots and calls voting's *services* for every change — the rules stay in `voting`.
(If the layering check is ever made strict, this file can move to `voting/live.py` unchanged.)
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

VOTE_ACTIVE = ("open", "paused")


def available() -> bool:
    try:
        import voting.models  # noqa: F401
    except ImportError:  # pragma: no cover - voting is always installed in this project
        return False
    return True


# --- reads for snapshots -----------------------------------------------------------------------


def _proposal_label(p: Any) -> str:
    if p.kind == "base":
        return _("Pohjaehdotus")
    if p.kind == "counter":
        return _("Vastaehdotus %(n)s") % {"n": p.number}
    if p.kind == "rejection":
        return _("Hylkäysehdotus %(n)s") % {"n": p.number}
    if p.procedural_kind == "table":
        return _("Pöydällepanoehdotus %(n)s") % {"n": p.number}
    return _("Palautusehdotus %(n)s") % {"n": p.number}


def item_voting(item: Any, *, with_names: bool = True) -> dict[str, Any]:
    """Proposals with seconders, the active vote, closed results and the decision of `item`."""
    from voting.models import Ballot, Decision, Proposal, Vote, VotingOrder

    proposals = list(
        Proposal.objects.filter(item=item)
        .select_related("proposer__person")
        .prefetch_related("secondings__participant__person")
        .order_by("number")
    )
    labels = {p.pk: _proposal_label(p) for p in proposals}
    out_props = []
    for p in proposals:
        seconders = list(p.secondings.all())
        out_props.append({
            "id": p.pk,
            "number": p.number,
            "kind": p.kind,
            "procedural_kind": p.procedural_kind,
            "label": labels[p.pk],
            "text": p.text,
            "proposer": p.proposer_id,
            "proposer_name": p.proposer.person.full_name if p.proposer_id else "",
            "seconders": [s.participant_id for s in seconders],
            "seconder_names": [s.participant.person.full_name for s in seconders],
            "withdrawn": p.withdrawn_at is not None,
        })
    order = VotingOrder.objects.filter(item=item).first()
    votes = list(Vote.objects.filter(item=item).order_by("step", "attempt"))
    active = None
    results = []
    for v in votes:
        base = {
            "id": v.pk, "step": v.step, "attempt": v.attempt, "status": v.status,
            "jaa": labels.get(v.jaa_proposal_id, ""), "ei": labels.get(v.ei_proposal_id, ""),
            "jaa_proposal": v.jaa_proposal_id, "ei_proposal": v.ei_proposal_id,
            "procedural": v.procedural,
        }
        if v.status in VOTE_ACTIVE:
            base.update({
                "cast": Ballot.objects.filter(vote=v).count(),
                "eligible": len(v.eligible),
                "eligible_persons": list(v.eligible),
                "needs_chair_decision": v.needs_chair_decision,
                "attention_reason": v.attention_reason,
                "opened_at": v.opened_at.isoformat(),
            })
            active = base
        elif v.status == "closed":
            base.update({
                "counts": {"jaa": v.jaa_count or 0, "ei": v.ei_count or 0,
                           "tyhja": v.tyhja_count or 0, "absent": v.absent_count or 0},
                "winner": v.winner,
                "winner_label": labels.get(v.winner_proposal_id or 0, ""),
                "tie": v.tie,
                "tie_broken_by_chair": v.tie_broken_by_chair,
            })
            if with_names:
                names: dict[str, list[str]] = {"jaa": [], "ei": [], "tyhja": []}
                voted = set()
                for b in Ballot.objects.filter(vote=v).select_related("person").order_by(
                    "person__last_name", "person__first_name"
                ):
                    names.setdefault(b.option, []).append(b.person.full_name)
                    voted.add(b.person_id)
                absent_ids = [pid for pid in v.eligible if pid not in voted]
                from meetings.models import Person

                names["absent"] = [
                    p.full_name for p in Person.objects.filter(pk__in=absent_ids)
                ]
                base["names"] = names
            results.append(base)
    decision = Decision.objects.filter(item=item).select_related("proposal").first()
    return {
        "proposals": out_props,
        "order": None if order is None else {
            "method": order.method, "approved": order.is_approved, "plan": order.plan,
            "steps": len(order.plan or []),
        },
        "vote": active,
        "results": results,
        "decision": None if decision is None else {
            "proposal": decision.proposal_id,
            "label": labels.get(decision.proposal_id, ""),
            "by_vote": decision.by_vote,
            "dissent_open": decision.dissent_open,
        },
        "base_stated": any(p.kind == "base" for p in proposals),
    }


def vote_progress(vote_id: int) -> dict[str, Any] | None:
    """The open vote's status and ballot count (two cheap queries), for progress pushes."""
    from voting.models import Ballot, Vote

    # order_by(): the model's default ordering would join the meeting for nothing.
    rows = list(Vote.objects.filter(pk=vote_id).order_by().values(
        "status", "needs_chair_decision", "attention_reason"
    )[:1])
    if not rows:
        return None
    row = rows[0]
    return {**row, "cast": Ballot.objects.filter(vote_id=vote_id).count()}


def my_ballot(vote_id: int, person_id: int) -> dict[str, Any] | None:
    from voting.models import Ballot

    b = Ballot.objects.filter(vote_id=vote_id, person_id=person_id).first()
    if b is None:
        return None
    return {"vote": vote_id, "option": b.option, "receipt": b.receipt,
            "cast_at": b.cast_at.isoformat(), "revision": b.revision}


def my_dissent(item_id: int, person_id: int) -> bool:
    from voting.models import Dissent

    return Dissent.objects.filter(item_id=item_id, person_id=person_id).exists()


# --- connection changes (R72) ------------------------------------------------------------------


def note_connection_change(participant: Any) -> None:
    """voting.services.note_connection_change (votes and elections, R72), inside the caller's
    transaction."""
    from voting.services import note_connection_change as _note

    _note(participant)


# --- actions: each is a voting service, called with the requesting user ------------------------


def make_proposal(user: Any, meeting_id: int, item_id: int, kind: str, text: str,
                  procedural_kind: str = "") -> dict[str, Any]:
    from voting.services.proposals import make_proposal as _make

    p = _make(user, meeting_id, item_id, kind, text, procedural_kind)
    return {"proposal": p.pk, "number": p.number}


def second_proposal(user: Any, meeting_id: int, proposal_id: int) -> dict[str, Any]:
    from meetings.rules import person_of
    from voting.errors import voting_error  # noqa: F401
    from voting.models import Seconding
    from voting.services.proposals import second_proposal as _second

    person = person_of(user)
    existing = Seconding.objects.filter(
        proposal_id=proposal_id, participant__person=person
    ).first() if person is not None else None
    if existing is not None:  # a resend: seconding is naturally idempotent
        return {"seconding": existing.pk, "created": False}
    s = _second(user, meeting_id, proposal_id)
    return {"seconding": s.pk, "created": True}


def withdraw_proposal(user: Any, meeting_id: int, proposal_id: int) -> dict[str, Any]:
    from voting.models import Proposal
    from voting.services.proposals import withdraw_proposal as _withdraw

    p = Proposal.objects.filter(pk=proposal_id, item__meeting_id=meeting_id).first()
    if p is not None and p.withdrawn_at is not None:
        return {"proposal": p.pk, "created": False}
    p = _withdraw(user, meeting_id, proposal_id)
    return {"proposal": p.pk}


def cast_ballot(user: Any, meeting_id: int, vote_id: int, option: str) -> dict[str, Any]:
    from voting.services.votes import cast_ballot as _cast

    result = _cast(user, meeting_id, vote_id, option)
    b = result.ballot
    return {"vote": vote_id, "option": b.option, "receipt": result.receipt,
            "cast_at": b.cast_at.isoformat(), "created": result.created,
            "changed": result.changed}


def state_proposals(user: Any, meeting_id: int, item_id: int) -> dict[str, Any]:
    from voting.services.order import state_proposals as _state

    voted, fallen = _state(user, meeting_id, item_id)
    return {"voted": [p.id for p in voted], "fallen": [f.proposal.id for f in fallen]}


def propose_order(user: Any, meeting_id: int, item_id: int, method: str = "electronic",
                  plan_text: str = "") -> dict[str, Any]:
    from voting.services.order import propose_order as _propose

    order = _propose(user, meeting_id, item_id, method=method or "electronic",
                     plan_text=plan_text or None)
    return {"order": order.pk}


def approve_order(user: Any, meeting_id: int, item_id: int) -> dict[str, Any]:
    from voting.services.order import approve_order as _approve

    return {"order": _approve(user, meeting_id, item_id).pk}


def open_vote(user: Any, meeting_id: int, item_id: int) -> dict[str, Any]:
    from voting.services.votes import open_vote as _open

    return {"vote": _open(user, meeting_id, item_id).pk}


def close_vote(user: Any, meeting_id: int, vote_id: int) -> dict[str, Any]:
    from voting.services.votes import close_vote as _close

    v = _close(user, meeting_id, vote_id)
    return {"vote": v.pk, "winner": v.winner}


def chair_choice(user: Any, meeting_id: int, vote_id: int, choice: str,
                 note: str = "") -> dict[str, Any]:
    from voting.services.votes import chair_choice as _choice

    return {"vote": _choice(user, meeting_id, vote_id, choice, note).pk}


def state_decision(user: Any, meeting_id: int, item_id: int) -> dict[str, Any]:
    from voting.services.decisions import state_decision as _decide

    return {"decision": _decide(user, meeting_id, item_id).pk}


def register_dissent(user: Any, meeting_id: int, item_id: int) -> dict[str, Any]:
    from meetings.rules import person_of
    from voting.services.decisions import register_dissent as _dissent

    person = person_of(user)
    if person is not None and my_dissent(item_id, person.pk):
        return {"created": False}
    return {"dissent": _dissent(user, meeting_id, item_id).pk}


def close_dissent_window(user: Any, meeting_id: int, item_id: int) -> dict[str, Any]:
    from voting.services.decisions import close_dissent_window as _close

    return {"decision": _close(user, meeting_id, item_id).pk}
