"""JSON endpoints of the voting app (DESIGN "Realtime": writes are CSRF-protected POSTs).

* ``POST /voting/api/meetings/<m>/<resource>/<id>/<action>/`` — one action of
  `voting.views.actions` (resources: ``items``, ``proposals``, ``votes``, ``elections``); the
  body is a JSON object. Answers ``{"ok": true, ...}`` or ``{"code", "message"}`` with the
  error's status: malformed JSON → 400 ``request.malformed_json``; unknown option → 400
  ``vote.unknown_option``; a vote of another meeting → 404 ``vote.not_found``. Ballot POSTs are
  idempotent: a resend returns the same receipt.
* ``GET …/items/<id>/``, ``…/votes/<id>/``, ``…/elections/<id>/``, ``…/open/`` — state for the
  requesting user (selectors).

Not CSRF-exempt: a client sends the ``X-CSRFToken`` header like the pages' forms do.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.http import require_GET, require_POST

from kokous.errors import DomainError
from voting import selectors
from voting.errors import voting_error
from voting.views import actions

MAX_BODY = 64 * 1024


def parse_json(request: HttpRequest) -> dict[str, Any]:
    """The request body as a JSON object; anything else is `request.malformed_json`."""
    try:
        body = request.body
    except RawPostDataException:  # a multipart body that the CSRF check already parsed
        raise voting_error("request.malformed_json") from None
    if not body.strip():
        return {}
    if len(body) > MAX_BODY:
        raise voting_error("request.malformed_json")
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise voting_error("request.malformed_json") from None
    if not isinstance(data, dict):
        raise voting_error("request.malformed_json")
    return data


def error_response(err: DomainError) -> JsonResponse:
    return JsonResponse(err.as_dict(), status=err.status)


@require_POST
def action(
    request: HttpRequest, meeting_id: int, resource: str, obj_id: int, action: str
) -> JsonResponse:
    try:
        payload = parse_json(request)
        data, _message = actions.run(resource, action, request.user, meeting_id, obj_id, payload,
                                     request=request)
    except DomainError as err:
        return error_response(err)
    return JsonResponse({"ok": True, **data})


def _item_json(data: dict[str, Any]) -> dict[str, Any]:
    item = data["item"]
    return {
        "item": {"id": item.pk, "title": item.title, "status": item.status,
                 "section_number": item.section_number},
        "meeting": data["meeting"].pk,
        "is_chair": data["is_chair"],
        "deciding": data["deciding"],
        "not_deciding_reason": data["not_deciding_reason"],
        "base_text": data["base_text"],
        "proposals": data["proposals"],
        "stated": data["stated"],
        "voted": data["voted_ids"],
        "fallen": data["fallen"],
        "order": data["order"],
        "votes": data["votes"],
        "active_vote": data["active_vote"],
        "decision": data["decision"],
        "dissents": data["dissents"],
        "my_dissent": data["my_dissent"].pk if data["my_dissent"] else None,
        "may_dissent": data["may_dissent"],
        "elections": data["elections"],
        "next": data.get("next"),
    }


@require_GET
def item_state(request: HttpRequest, meeting_id: int, item_id: int) -> JsonResponse:
    try:
        return JsonResponse(_item_json(selectors.item_handling(request.user, meeting_id, item_id)))
    except DomainError as err:
        return error_response(err)


@require_GET
def vote_state(request: HttpRequest, meeting_id: int, vote_id: int) -> JsonResponse:
    try:
        return JsonResponse(selectors.member_vote(request.user, meeting_id, vote_id))
    except DomainError as err:
        return error_response(err)


@require_GET
def election_state(request: HttpRequest, meeting_id: int, election_id: int) -> JsonResponse:
    try:
        view = selectors.election_view(request.user, meeting_id, election_id)
    except DomainError as err:
        return error_response(err)
    return JsonResponse({
        "election": view["row"],
        "lists": [{"id": cl.pk, "number": cl.number, "name": cl.name} for cl in view["lists"]],
        "is_chair": view["is_chair"],
        "deciding": view["deciding"],
        "participated": view["participated"],
        "eligible": view["eligible"],
        "proportional_demands": view["proportional_demands"],
        "proportional_threshold": view["proportional_threshold"],
    })


@require_GET
def open_state(request: HttpRequest, meeting_id: int) -> JsonResponse:
    try:
        return JsonResponse(selectors.open_votes(request.user, meeting_id))
    except DomainError as err:
        return error_response(err)
