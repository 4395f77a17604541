"""The voting actions, shared by the HTML forms (`voting.views.pages`) and the JSON API.

Each action parses its payload (a dict from a form or a JSON body), calls one service and
returns a JSON-ready dict plus a short Finnish success message. Nothing here decides anything:
the services do (docs/contributing.md: thin views).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from meetings import step_up
from meetings.models import Meeting
from voting import services
from voting.errors import voting_error
from voting.services._common import as_int, get_item, iso, require_chair, require_visible

Payload = dict[str, Any]
Handler = Callable[[Any, int, int, Payload], dict[str, Any]]


@dataclass(frozen=True)
class Action:
    handler: Handler
    message: Any
    chair: bool = False  # a chair console step (for labels and page routing only)
    #: Signature-like act: needs a recent MFA authentication (`meetings.step_up`, ASVS L3).
    step_up: bool = False


def _text(payload: Payload, key: str, default: str = "") -> str:
    value = payload.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise voting_error("request.bad_parameter", field=key)
    return value


# --- items --------------------------------------------------------------------------------------


def _make_proposal(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    proposal = services.make_proposal(
        user, m, i, p.get("kind"), p.get("text"), p.get("procedural_kind") or ""
    )
    return {"proposal": proposal.pk, "number": proposal.number}


def _close_discussion(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    from meetings.services import items as item_services

    get_item(m, i, user=user)  # the item must belong to this meeting, visible to the user
    item = item_services.close_discussion(user, i)
    return {"item": item.pk, "status": item.status,
            "base_proposal_version": item.base_proposal_id}


def _state_proposals(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    voted, fallen = services.state_proposals(user, m, i)
    return {"voted": [x.id for x in voted],
            "fallen": [{"proposal": f.proposal.id, "reason": f.reason} for f in fallen]}


def _propose_order(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    order = services.propose_order(
        user, m, i, method=p.get("method") or "electronic", plan=p.get("plan"),
        plan_text=_text(p, "plan_text") or None, distances=p.get("distances"),
    )
    return {"order": order.pk, "plan": order.plan, "changed_by_chair": order.changed_by_chair}


def _approve_order(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    order = services.approve_order(user, m, i)
    return {"order": order.pk, "approved_at": iso(order.approved_at)}


def _open_vote(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    vote = services.open_vote(user, m, i, p.get("step"))
    return {"vote": vote.pk, "step": vote.step, "attempt": vote.attempt,
            "jaa": vote.jaa_proposal_id, "ei": vote.ei_proposal_id}


def _state_decision(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    decision = services.state_decision(user, m, i)
    return {"decision": decision.pk, "proposal": decision.proposal_id,
            "by_vote": decision.by_vote}


def _register_dissent(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    dissent = services.register_dissent(user, m, i)
    return {"dissent": dissent.pk, "ground": dissent.ground}


def _close_dissent(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    decision = services.close_dissent_window(user, m, i)
    return {"decision": decision.pk, "dissent_closed_at": iso(decision.dissent_closed_at)}


def _dissent_reasons(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    dissent = services.attach_dissent_reasons(user, m, i, _text(p, "reasons"))
    return {"dissent": dissent.pk, "reasons_at": iso(dissent.reasons_at)}


def _create_election(user: Any, m: int, i: int, p: Payload) -> dict[str, Any]:
    election = services.create_election(
        user, m, i, title=p.get("title"), seats=p.get("seats"),
        kind=p.get("kind") or "majority", closed_ballot=p.get("closed_ballot", False),
        personal_substitutes=p.get("personal_substitutes", False),
    )
    return {"election": election.pk}


ITEM_ACTIONS: dict[str, Action] = {
    "propose": Action(_make_proposal, _("Ehdotus kirjattu.")),
    "close-discussion": Action(_close_discussion, _("Keskustelu päättyi."), chair=True),
    "state-proposals": Action(_state_proposals, _("Ehdotukset todettu."), chair=True),
    "propose-order": Action(_propose_order, _("Äänestysjärjestys ehdotettu."), chair=True),
    "approve-order": Action(
        _approve_order, _("Äänestysjärjestys hyväksytty."), chair=True
    ),
    "open-vote": Action(_open_vote, _("Äänestys alkoi."), chair=True),
    "state-decision": Action(_state_decision, _("Päätös todettu."), chair=True),
    "dissent": Action(_register_dissent, _("Eriävä mielipide kirjattu.")),
    "close-dissent": Action(
        _close_dissent, _("Eriävien mielipiteiden ilmoittaminen päättyi."), chair=True
    ),
    "dissent-reasons": Action(_dissent_reasons, _("Perustelut liitetty.")),
    "create-election": Action(_create_election, _("Vaali lisätty."), chair=True),
}

# --- proposals ----------------------------------------------------------------------------------


def _second(user: Any, m: int, pid: int, p: Payload) -> dict[str, Any]:
    seconding = services.second_proposal(user, m, pid)
    return {"seconding": seconding.pk, "proposal": pid}


def _withdraw(user: Any, m: int, pid: int, p: Payload) -> dict[str, Any]:
    proposal = services.withdraw_proposal(user, m, pid)
    return {"proposal": proposal.pk, "withdrawn_at": iso(proposal.withdrawn_at)}


def _join_demand(user: Any, m: int, pid: int, p: Payload) -> dict[str, Any]:
    demand = services.join_tabling_demand(user, m, pid)
    return {"demand": demand.pk, "proposal": pid}


PROPOSAL_ACTIONS: dict[str, Action] = {
    "second": Action(_second, _("Kannatus kirjattu.")),
    "join-demand": Action(_join_demand, _("Yhdyit pöydällepanovaatimukseen.")),
    "withdraw": Action(_withdraw, _("Ehdotus peruttu.")),
}

# --- votes --------------------------------------------------------------------------------------


def _cast(user: Any, m: int, vid: int, p: Payload) -> dict[str, Any]:
    result = services.cast_ballot(user, m, vid, p.get("option"))
    b = result.ballot
    return {"vote": vid, "option": b.option, "receipt": result.receipt, "salt": b.salt,
            "person": b.person_id, "revision": b.revision, "cast_at": iso(b.cast_at),
            "created": result.created, "changed": result.changed}


def _close(user: Any, m: int, vid: int, p: Payload) -> dict[str, Any]:
    vote = services.close_vote(user, m, vid)
    return {"vote": vote.pk, "winner": vote.winner, "jaa": vote.jaa_count, "ei": vote.ei_count,
            "tyhja": vote.tyhja_count, "absent": vote.absent_count, "tie": vote.tie,
            "winner_proposal": vote.winner_proposal_id}


def _choice(user: Any, m: int, vid: int, p: Payload) -> dict[str, Any]:
    vote = services.chair_choice(user, m, vid, p.get("choice"), _text(p, "note"))
    return {"vote": vote.pk, "status": vote.status, "attempt": vote.attempt}


VOTE_ACTIONS: dict[str, Action] = {
    "ballot": Action(_cast, _("Äänesi on kirjattu.")),
    "close": Action(_close, _("Äänestys päättyi."), chair=True, step_up=True),
    "chair-choice": Action(_choice, _("Puheenjohtajan ratkaisu kirjattu."), chair=True),
}

# --- elections ----------------------------------------------------------------------------------


def _add_list(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    cl = services.add_candidate_list(user, m, eid, p.get("name"))
    return {"list": cl.pk, "number": cl.number}


def _nominate(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    c = services.nominate_candidate(
        user, m, eid, name=p.get("name") or "", person_id=p.get("person"),
        substitute_name=p.get("substitute_name") or "",
        substitute_person_id=p.get("substitute_person"), list_id=p.get("list"),
    )
    return {"candidate": c.pk, "number": c.number}


def _demand(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    election = services.demand(user, m, eid, p.get("kind"))
    return {"election": election.pk, "kind": election.kind,
            "closed_ballot": election.closed_ballot}


def _open_election(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    election = services.open_election(user, m, eid)
    return {"election": election.pk, "seed_sha256": election.seed_commitment}


def _cast_secret(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    result = services.cast_election_ballot(user, m, eid, p.get("candidate"))
    return {"election": result.election_id, "participated": result.participated}


def _close_election(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    election = services.close_election(user, m, eid)
    return {"election": election.pk, "elected": election.result.get("elected", []),
            "seed_hex": election.seed_hex}


def _add_alliance(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    alliance = services.add_electoral_alliance(user, m, eid, p.get("name"), p.get("lists"))
    return {"alliance": alliance.pk, "number": alliance.number}


def _election_choice(user: Any, m: int, eid: int, p: Payload) -> dict[str, Any]:
    election = services.election_chair_choice(user, m, eid, p.get("choice"), _text(p, "note"))
    return {"election": election.pk, "status": election.status, "attempt": election.attempt}


ELECTION_ACTIONS: dict[str, Action] = {
    "add-list": Action(_add_list, _("Ehdokaslista lisätty."), chair=True),
    "add-alliance": Action(_add_alliance, _("Vaaliliitto lisätty."), chair=True),
    "chair-choice": Action(
        _election_choice, _("Puheenjohtajan ratkaisu kirjattu."), chair=True
    ),
    "nominate": Action(_nominate, _("Ehdokas asetettu.")),
    "demand": Action(_demand, _("Vaatimus kirjattu.")),
    "open": Action(_open_election, _("Vaali alkoi."), chair=True),
    "ballot": Action(_cast_secret, _("Olet äänestänyt.")),
    "close": Action(_close_election, _("Vaali päättyi."), chair=True, step_up=True),
}

RESOURCES: dict[str, dict[str, Action]] = {
    "items": ITEM_ACTIONS,
    "proposals": PROPOSAL_ACTIONS,
    "votes": VOTE_ACTIONS,
    "elections": ELECTION_ACTIONS,
}


def _require_chair_of(user: Any, meeting_id: Any, not_found: str) -> None:
    meeting = Meeting.objects.filter(pk=as_int(meeting_id) or 0).first()
    if meeting is None:
        raise voting_error(not_found)
    require_visible(user, meeting, not_found)
    require_chair(user, meeting)


def run(resource: str, action: str, user: Any, meeting_id: int, obj_id: int,
        payload: Payload, *, request: HttpRequest | None = None,
        next_url: str | None = None) -> tuple[dict[str, Any], Any]:
    """Run one action; raises `DomainError` (nothing written) or returns (data, message).

    Closing a vote or an election needs a recent MFA step-up in `request`'s session
    (`auth.step_up_required` with the reauthentication URL, back to `next_url`); without a
    request there is no session to show one, so it is refused too.
    """
    table = RESOURCES.get(resource)
    act = table.get(action) if table else None
    if act is None:
        raise voting_error("request.unknown_action")
    if act.step_up:
        # Who may act is answered before the MFA prompt: an outsider gets *not found* and a
        # member who is not the chair `handling.chair_only`, never a reauthentication page (R63).
        _require_chair_of(user, meeting_id, f"{resource[:-1]}.not_found")
        if request is None:
            raise step_up.StepUpRequired("")
        step_up.check_step_up(request, next_url)
    # No outer transaction: each service is its own (close_vote commits a tie flag, then raises).
    return act.handler(user, meeting_id, obj_id, payload), act.message
