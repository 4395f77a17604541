"""Meeting pages: create and edit, the meeting page, notice and agenda (HTML and PDF), and the
chair's lifecycle buttons. Thin: parse → service or selector → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kokous.errors import DomainError
from meetings import documents, selectors
from meetings.forms import LegalityForm, MeetingForm, NoticeForm, ReasonForm
from meetings.services import meeting as meeting_services
from meetings.services import notice as notice_services
from meetings.views._util import render_error


def _meeting_page(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    try:
        context = selectors.meeting_page(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    context.setdefault("notice_form", NoticeForm())
    context.setdefault("legality_form", LegalityForm())
    context.setdefault("reason_form", ReasonForm())
    return context


def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return render(request, "meetings/meeting_detail.html", _meeting_page(request, meeting_id))


@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    bodies = selectors.managed_bodies_for(request.user)
    if not bodies:
        raise Http404
    form = MeetingForm(request.POST or None, bodies=bodies)
    context = {"form": form, "creating": True}
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        body_id = int(data.pop("body"))
        try:
            meeting = meeting_services.create_meeting(request.user, body_id, **data)
        except DomainError as err:
            return render_error(request, err, "meetings/meeting_form.html", context, form)
        messages.success(request, _("Kokous luotu."))
        return redirect("meetings:meeting_detail", meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/meeting_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    try:
        meeting = selectors.meeting_for(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    initial = {
        "starts_at": meeting.starts_at, "place": meeting.place, "method": meeting.method,
        "video_url": meeting.video_url, "is_public": meeting.is_public,
        "public_viewing": meeting.public_viewing,
    }
    form = MeetingForm(request.POST or None, initial=initial, editing=True)
    context = {"form": form, "meeting": meeting, "creating": False}
    if request.method == "POST" and form.is_valid():
        try:
            meeting_services.update_meeting(request.user, meeting.pk, **form.cleaned_data)
        except DomainError as err:
            return render_error(request, err, "meetings/meeting_form.html", context, form)
        messages.success(request, _("Kokouksen tiedot tallennettu."))
        return redirect("meetings:meeting_detail", meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/meeting_form.html", context, status=status)


def _lifecycle_action(request: HttpRequest, meeting_id: int, form_class: Any, name: str,
                      call: Any, done: str) -> HttpResponse:
    form = form_class(request.POST)
    if not form.is_valid():
        context = _meeting_page(request, meeting_id)
        context[name] = form
        return render(request, "meetings/meeting_detail.html", context, status=400)
    try:
        call(form.cleaned_data)
    except DomainError as err:
        context = _meeting_page(request, meeting_id)
        context[name] = form
        return render_error(request, err, "meetings/meeting_detail.html", context, form)
    messages.success(request, done)
    return redirect("meetings:meeting_detail", meeting_id)


@require_POST
def send_notice(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _lifecycle_action(
        request, meeting_id, NoticeForm, "notice_form",
        lambda d: notice_services.send_notice(request.user, meeting_id, d["late_reason"]),
        _("Kokouskutsu lähetetty ja esityslista julkaistu."),
    )


@require_POST
def open_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _lifecycle_action(
        request, meeting_id, LegalityForm, "legality_form",
        lambda d: meeting_services.open_meeting(request.user, meeting_id, d["legality_finding"]),
        _("Kokous avattu."),
    )


@require_POST
def suspend_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _lifecycle_action(
        request, meeting_id, ReasonForm, "reason_form",
        lambda d: meeting_services.suspend_meeting(request.user, meeting_id, d["reason"]),
        _("Kokous keskeytetty."),
    )


@require_POST
def resume_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _lifecycle_action(
        request, meeting_id, ReasonForm, "reason_form",
        lambda d: meeting_services.resume_meeting(request.user, meeting_id),
        _("Kokousta jatketaan."),
    )


@require_POST
def close_meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _lifecycle_action(
        request, meeting_id, ReasonForm, "reason_form",
        lambda d: meeting_services.close_meeting(request.user, meeting_id, d["reason"]),
        _("Kokous päätetty."),
    )


def agenda(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The notice and agenda in the app, each item in the version the user may see (R26)."""
    try:
        context = selectors.agenda_page(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    context.update(link_items=True, attachment_url_name="meetings:attachment_download",
                   show_status=True)
    return render(request, "meetings/agenda.html", context)


def agenda_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The notice as PDF (the version that may leave the app: no confidential content)."""
    try:
        meeting = selectors.meeting_for(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    pdf = documents.render_pdf(meeting, documents.NOTICE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="kokouskutsu-{meeting.number}-{meeting.year}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
