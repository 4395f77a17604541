"""Pages of the voting app: the item's proposals and chair console, the member's voting screen
and the election page. Forms POST to the same actions as the JSON API and redirect back
(post/redirect/get), with the error code and message shown on failure.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from kokous.errors import DomainError, NotFound
from meetings.step_up import StepUpRequired
from voting import selectors
from voting.errors import CODES
from voting.models import (
    ChairChoiceKind,
    ElectionKind,
    ProceduralKind,
    ProposalKind,
    VotingMethod,
)
from voting.views import actions


def message_for(code: str) -> str:
    """The translated message of an error code (voting or meetings), for blocked steps."""
    if not code:
        return ""
    from meetings.errors import CODES as MEETING_CODES

    entry = CODES.get(code) or MEETING_CODES.get(code)
    if entry is None:
        return code
    try:
        return str(entry[1]) % defaultdict(lambda: "…")
    except (TypeError, ValueError):
        return str(entry[1])


def _payload(request: HttpRequest) -> dict[str, Any]:
    """The form fields; a field sent several times (checkboxes) keeps all its values."""
    return {
        k: (v if len(v) > 1 else v[0])
        for k, v in request.POST.lists()
        if k not in ("csrfmiddlewaretoken", "next") and v
    }


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _run(
    request: HttpRequest, resource: str, meeting_id: int, obj_id: int, action: str, back: str
) -> tuple[HttpResponse, dict[str, Any] | None]:
    try:
        data, message = actions.run(
            resource, action, request.user, meeting_id, obj_id, _payload(request),
            request=request, next_url=_back(request, back),
        )
    except StepUpRequired as err:
        # ASVS L3: allauth's MFA reauthentication, then back to this page to click again.
        return redirect(err.reauthenticate_url), None
    except NotFound as err:
        raise Http404(err.message) from None
    except DomainError as err:
        messages.error(request, f"{err.message} [{err.code}]")
        return redirect(_back(request, back)), None
    messages.success(request, str(message))
    return redirect(_back(request, back)), data


# --- item: proposals and the chair console -------------------------------------------------------


@require_GET
def item_page(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    try:
        data = selectors.item_handling(request.user, meeting_id, item_id)
    except DomainError as err:
        raise Http404(err.message) from None
    nxt = data.get("next") or {}
    context = {
        **data,
        "meeting_id": meeting_id,
        "not_deciding_message": message_for(data["not_deciding_reason"]),
        "blocked_message": message_for(nxt.get("blocked", "")),
        "member_kinds": [c for c in ProposalKind.choices if c[0] != ProposalKind.BASE],
        "procedural_kinds": [c for c in ProceduralKind.choices if c[0]],
        "methods": VotingMethod.choices,
        "election_kinds": ElectionKind.choices,
        "chair_choices": ChairChoiceKind.choices,
    }
    return render(request, "voting/item.html", context)


@require_POST
def item_post(request: HttpRequest, meeting_id: int, item_id: int, action: str) -> HttpResponse:
    back = reverse("voting:item", args=[meeting_id, item_id])
    response, data = _run(request, "items", meeting_id, item_id, action, back)
    if data and action == "create-election":
        return redirect("voting:election", meeting_id, data["election"])
    return response


@require_POST
def proposal_post(
    request: HttpRequest, meeting_id: int, proposal_id: int, action: str
) -> HttpResponse:
    back = request.POST.get("next") or reverse("meetings:dashboard")
    response, _ = _run(request, "proposals", meeting_id, proposal_id, action, back)
    return response


# --- the member's voting screen ------------------------------------------------------------------


@require_GET
def vote_page(request: HttpRequest, meeting_id: int, vote_id: int) -> HttpResponse:
    try:
        data = selectors.member_vote(request.user, meeting_id, vote_id)
    except DomainError as err:
        raise Http404(err.message) from None
    context = {**data, "reason_message": message_for(data["reason"])}
    return render(request, "voting/vote.html", context)


@require_POST
def vote_post(request: HttpRequest, meeting_id: int, vote_id: int, action: str) -> HttpResponse:
    back = reverse("voting:vote", args=[meeting_id, vote_id])
    response, _ = _run(request, "votes", meeting_id, vote_id, action, back)
    return response


# --- elections ------------------------------------------------------------------------------------


@require_GET
def election_page(request: HttpRequest, meeting_id: int, election_id: int) -> HttpResponse:
    try:
        data = selectors.election_view(request.user, meeting_id, election_id)
    except DomainError as err:
        raise Http404(err.message) from None
    context = {**data, "meeting_id": meeting_id,
               "not_deciding_message": message_for(data["not_deciding_reason"])}
    return render(request, "voting/election.html", context)


@require_POST
def election_post(
    request: HttpRequest, meeting_id: int, election_id: int, action: str
) -> HttpResponse:
    back = reverse("voting:election", args=[meeting_id, election_id])
    response, _ = _run(request, "elections", meeting_id, election_id, action, back)
    return response
