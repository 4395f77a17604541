"""Turning a `DomainError` into a response (contributing.md: code + translated message).

HTML forms are re-rendered with the error and the error's status (400, 403, 409); JSON clients
get ``{"code", "message"}``; a *not found* error is a 404 in both.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from kokous.errors import DomainError, NotFound


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get("accept", "").startswith("application/json")


def error_text(err: DomainError) -> str:
    return f"{err.message} [{err.code}]"


def json_error(err: DomainError) -> JsonResponse:
    return JsonResponse(err.as_dict(), status=err.status)


def render_error(
    request: HttpRequest, err: DomainError, template: str, context: dict[str, Any],
    form: Any = None,
) -> HttpResponse:
    """Re-render `template` with the error attached to `form` (or as `error`)."""
    if wants_json(request):
        return json_error(err)
    if isinstance(err, NotFound):
        raise Http404(err.message)
    if form is not None:
        form.add_error(None, error_text(err))
    context = {**context, "error": err, "error_text": error_text(err)}
    return render(request, template, context, status=err.status)


def not_found(err: DomainError) -> Http404:
    return Http404(err.message)
