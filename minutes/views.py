"""Pages of the minutes: the secretary's minutes page, checking with an MFA step-up, the
chair's signature, the secretary's attestation, publication, and the public minutes
(R49–R53, R67). Thin views: parse → service or selector → render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from kokous.errors import DomainError
from meetings import step_up
from meetings.public import public_page
from meetings.views._util import render_error
from minutes import selectors
from minutes.services import workflow
from minutes.services.errors import minutes_error

PAGE = "minutes/workflow_page.html"
#: The MFA step-up (R50) is the project's one helper (`meetings.step_up`); its age limit is
#: `settings.KOKOUS_STEP_UP_SECONDS` (default 300 s).
recent_mfa = step_up.recent_mfa
require_recent_mfa = step_up.require_recent_mfa


def _page(request: HttpRequest, meeting_id: int, status: int = 200, **extra: Any) -> HttpResponse:
    try:
        context = selectors.minutes_page(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    context.update(extra)
    return render(request, PAGE, context, status=status)


def _back(meeting_id: int) -> HttpResponse:
    return redirect("minutes:page", meeting_id=meeting_id)


def _error(request: HttpRequest, meeting_id: int, err: DomainError) -> HttpResponse:
    try:
        context = selectors.minutes_page(request.user, meeting_id)
    except DomainError:
        raise Http404(err.message) from None
    return render_error(request, err, PAGE, context)


@require_GET
def minutes_page(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _page(request, meeting_id)


def _action(request: HttpRequest, meeting_id: int, call: Any) -> HttpResponse:
    try:
        call()
    except DomainError as err:
        return _error(request, meeting_id, err)
    return _back(meeting_id)


@require_POST
def build(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _action(request, meeting_id, lambda: workflow.build_minutes(request.user, meeting_id))


@require_POST
def narrative(request: HttpRequest, meeting_id: int) -> HttpResponse:
    data = {key: request.POST.get(key, "") for key in request.POST}
    return _action(
        request, meeting_id, lambda: workflow.save_narrative(request.user, meeting_id, data)
    )


@require_POST
def assign_checker(request: HttpRequest, meeting_id: int) -> HttpResponse:
    person_id = request.POST.get("person_id", "")
    return _action(
        request, meeting_id,
        lambda: workflow.assign_checker(request.user, meeting_id, person_id),
    )


def _visible(request: HttpRequest, meeting_id: int) -> None:
    """404 for a meeting the user may not see — before anything else (no step-up redirect)."""
    try:
        selectors.minutes_page(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None


@require_POST
def approve(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _visible(request, meeting_id)
    stale = require_recent_mfa(request)
    if stale is not None:
        return stale
    return _action(
        request, meeting_id,
        lambda: workflow.approve_minutes(request.user, meeting_id, recent_mfa=True),
    )


@require_POST
def comment(request: HttpRequest, meeting_id: int) -> HttpResponse:
    _visible(request, meeting_id)
    stale = require_recent_mfa(request)
    if stale is not None:
        return stale
    text = request.POST.get("comment", "")
    return _action(
        request, meeting_id,
        lambda: workflow.comment_minutes(request.user, meeting_id, text, recent_mfa=True),
    )


@require_POST
def sign(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _action(request, meeting_id, lambda: workflow.sign_minutes(request.user, meeting_id))


@require_POST
def attest(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _action(
        request, meeting_id, lambda: workflow.attest_minutes(request.user, meeting_id)
    )


@require_POST
def publish(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _action(
        request, meeting_id, lambda: workflow.publish_minutes(request.user, meeting_id)
    )


@require_POST
def add_redaction(request: HttpRequest, meeting_id: int) -> HttpResponse:
    p = request.POST
    return _action(request, meeting_id, lambda: workflow.add_redaction(
        request.user, meeting_id, p.get("item_id"), p.get("field", ""), p.get("start"),
        p.get("end"), p.get("kind", "manual"), p.get("scope", "public"),
    ))


@require_POST
def render_draft(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _action(request, meeting_id, lambda: workflow.enqueue_render(request.user, meeting_id))


@require_GET
def render_progress(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The secretary's view of the background rendering (``minutes.jobs``)."""
    try:
        context = selectors.minutes_page(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    job = context["job"]
    if not context["is_secretary"]:
        raise Http404
    if request.headers.get("accept", "").startswith("application/json"):
        if job is None:
            return JsonResponse({"status": "", "progress": 0})
        return JsonResponse({"status": job.status, "progress": job.progress})
    return render(request, "minutes/render_progress.html", context)


@require_GET
def signed_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The sealed original (with confidential §§) for those who may view the meeting."""
    try:
        context = selectors.minutes_page(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    minutes = context["minutes"]
    if minutes is None or not minutes.pdf_storage_name:
        return render_error(request, minutes_error("minutes.not_signed"), PAGE, context)
    meeting = context["meeting"]
    response = HttpResponse(workflow.load_pdf(minutes.pdf_storage_name),
                            content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="poytakirja-{meeting.number}-{meeting.year}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- public -------------------------------------------------------------------------------------


def _noindex(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"  # personal data (R67)
    return response


@public_page
@require_GET
def public_list(request: HttpRequest, municipality: str, body: str) -> HttpResponse:
    found = selectors.public_body(municipality, body)
    if found is None:
        raise Http404
    return _noindex(render(request, "minutes/public_list.html", {
        "rows": selectors.published_minutes(municipality, body), "body": found,
    }))


def _public(municipality: str, body: str, meeting_id: int) -> Any:
    try:
        minutes = selectors.public_minutes(municipality, body, meeting_id)
        return selectors.public_page_context(minutes)
    except DomainError as err:
        raise Http404(err.message) from None


@public_page
@require_GET
def public_minutes(
    request: HttpRequest, municipality: str, body: str, meeting_id: int
) -> HttpResponse:
    context = _public(municipality, body, meeting_id)
    if context["withdrawn"]:
        raise Http404
    return _noindex(render(request, "minutes/public_minutes.html", context))


@public_page
@require_GET
def public_pdf(
    request: HttpRequest, municipality: str, body: str, meeting_id: int
) -> HttpResponse:
    context = _public(municipality, body, meeting_id)
    minutes = context["minutes"]
    if context["withdrawn"] or not minutes.public_pdf_storage_name:
        raise Http404
    response = HttpResponse(workflow.load_pdf(minutes.public_pdf_storage_name),
                            content_type="application/pdf")
    meeting = minutes.meeting
    response["Content-Disposition"] = (
        f'inline; filename="poytakirja-{meeting.number}-{meeting.year}.pdf"'
    )
    return _noindex(response)


__all__ = ["minutes_error", "recent_mfa", "require_recent_mfa"]
