"""The secretary's attendance page: check-in and departures, absences, substitutes, identity
checks, roll call (R5, R11, R13, R30, R73), and a JSON quorum read for live pages (R35)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokous.errors import DomainError
from meetings import presence, selectors
from meetings.forms import AbsenceForm
from meetings.services import attendance as services
from meetings.views._util import json_error, render_error, wants_json


def _page(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    try:
        return selectors.attendance_page(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None


def attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    context = _page(request, meeting_id)
    context["absence_form"] = AbsenceForm()
    return render(request, "meetings/attendance.html", context)


def _action(request: HttpRequest, meeting_id: int, call: Any, done: str) -> HttpResponse:
    try:
        call()
    except DomainError as err:
        if wants_json(request):
            return json_error(err)
        context = _page(request, meeting_id)
        context["absence_form"] = AbsenceForm()
        return render_error(request, err, "meetings/attendance.html", context)
    if wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, done)
    return redirect("meetings:attendance", meeting_id)


@require_POST
def check_in(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    mode = request.POST.get("mode", "in_room")
    return _action(request, meeting_id,
                   lambda: services.check_in(request.user, meeting_id, participant_id, mode),
                   _("Saapuminen kirjattu."))


@require_POST
def check_out(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    return _action(request, meeting_id,
                   lambda: services.check_out(request.user, meeting_id, participant_id),
                   _("Poistuminen kirjattu."))


@require_POST
def confirm_identity(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    return _action(request, meeting_id,
                   lambda: services.confirm_identity(request.user, meeting_id, participant_id),
                   _("Henkilöllisyys todettu."))


@require_POST
def absence(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    form = AbsenceForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _action(request, meeting_id,
                   lambda: services.notify_absence(request.user, meeting_id, participant_id, note),
                   _("Este kirjattu."))


@require_POST
def invite_substitute(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    return _action(request, meeting_id,
                   lambda: services.invite_substitute(request.user, meeting_id, participant_id),
                   _("Varajäsen kutsuttu."))


@require_POST
def release_substitute(request: HttpRequest, meeting_id: int, participant_id: int) -> HttpResponse:
    return _action(request, meeting_id,
                   lambda: services.release_substitute(request.user, meeting_id, participant_id),
                   _("Varajäsen vapautettu."))


@require_POST
def roll_call(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _action(request, meeting_id, lambda: services.roll_call(request.user, meeting_id),
                   _("Nimenhuuto kirjattu."))


@require_POST
def own_absence(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """A member reports being prevented from the meeting page (R30)."""
    form = AbsenceForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.notify_absence(request.user, meeting_id, None, note)
    except DomainError as err:
        if wants_json(request):
            return json_error(err)
        messages.error(request, f"{err.message} [{err.code}]")
        return redirect("meetings:meeting_detail", meeting_id)
    messages.success(request, _("Esteilmoitus kirjattu; sihteeri kutsuu varajäsenen."))
    return redirect("meetings:meeting_detail", meeting_id)


def quorum_json(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """Current quorum of the meeting, or of its current item (R35)."""
    try:
        meeting = selectors.meeting_for(request.user, meeting_id)
    except DomainError as err:
        return json_error(err)
    item = meeting.current_item
    finding = presence.item_quorum(item) if item else presence.meeting_quorum(meeting)
    return JsonResponse({
        "meeting": meeting.pk,
        "item": item.pk if item else None,
        "required": finding.required,
        "present": finding.present_count,
        "quorate": finding.quorate,
    })
