"""Agenda item pages: add and edit, the item page with documents, proposal versions,
attachments, § 100 answers, disqualification and the chair's item buttons."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kokous.errors import DomainError
from meetings import selectors
from meetings.forms import (
    AttachmentForm,
    DecisionForm,
    DisqualificationForm,
    EAnswerForm,
    ItemForm,
    ProposalForm,
    ReasonForm,
)
from meetings.services import agenda as agenda_services
from meetings.services import disqualification as disq_services
from meetings.services import documents as document_services
from meetings.services import e_procedure as e_services
from meetings.services import items as item_services
from meetings.views._util import json_error, render_error, wants_json


def _item_page(request: HttpRequest, item_id: int, **forms: Any) -> dict[str, Any]:
    try:
        context = selectors.item_page(request.user, item_id)
    except DomainError as err:
        raise Http404(err.message) from None
    context.update(
        proposal_form=forms.get("proposal_form") or ProposalForm(),
        attachment_form=forms.get("attachment_form") or AttachmentForm(),
        answer_form=forms.get("answer_form") or EAnswerForm(),
        disqualification_form=forms.get("disqualification_form") or DisqualificationForm(),
        decision_form=forms.get("decision_form") or DecisionForm(),
        reason_form=forms.get("reason_form") or ReasonForm(),
    )
    for attachment in context["attachments"]:  # "Näytä": stamped inline view (R9, R61)
        attachment.inline_view = document_services.has_watermarked_view(attachment)
    return context


def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    context = _item_page(request, item_id)
    if context["full"]:
        document_services.record_item_view(request.user, context["item"])  # R64
    return render(request, "meetings/item_detail.html", context)


def _item_form_response(
    request: HttpRequest, form: ItemForm, context: dict[str, Any], call: Any
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["presenter_id"] = data.get("presenter_id") or None
        data["preparer_id"] = data.get("preparer_id") or None
        try:
            item = call(data)
        except DomainError as err:
            return render_error(request, err, "meetings/item_form.html", context, form)
        messages.success(request, _("Asia tallennettu."))
        return redirect("meetings:item_detail", item.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/item_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def item_create(request: HttpRequest, meeting_id: int) -> HttpResponse:
    try:
        meeting = selectors.meeting_for(request.user, meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    form = ItemForm(request.POST or None, municipality_id=meeting.body.municipality_id)
    context = {"form": form, "meeting": meeting, "creating": True}
    return _item_form_response(
        request, form, context,
        lambda data: agenda_services.add_item(request.user, meeting.pk, **data),
    )


@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = selectors.item_for(request.user, item_id)
    except DomainError as err:
        raise Http404(err.message) from None
    initial = {
        "title": item.title, "section_number": item.section_number,
        "diary_number": item.diary_number, "presenter_id": item.presenter_id or "",
        "preparer_id": item.preparer_id or "", "description": item.description,
        "public_description": item.public_description, "method": item.method,
        "e_deadline": item.e_deadline, "publicity": item.publicity,
        "confidentiality_basis": item.confidentiality_basis,
        "is_closed_handling": item.is_closed_handling,
    }
    form = ItemForm(request.POST or None, initial=initial, editing=True,
                    municipality_id=item.meeting.body.municipality_id)
    context = {"form": form, "meeting": item.meeting, "item": item, "creating": False}
    return _item_form_response(
        request, form, context,
        lambda data: agenda_services.update_item(request.user, item.pk, **data),
    )


def _item_action(request: HttpRequest, item_id: int, form: Any, form_name: str, call: Any,
                 done: str) -> HttpResponse:
    if not form.is_valid():
        if wants_json(request):
            return JsonResponse({"code": "form.invalid", "message": form.errors.as_text()},
                                status=400)
        return render(request, "meetings/item_detail.html",
                      _item_page(request, item_id, **{form_name: form}), status=400)
    try:
        result = call(form.cleaned_data)
    except DomainError as err:
        if wants_json(request):
            return json_error(err)
        return render_error(request, err, "meetings/item_detail.html",
                            _item_page(request, item_id, **{form_name: form}), form)
    if wants_json(request):
        return JsonResponse({"ok": True, "id": getattr(result, "pk", None)})
    messages.success(request, done)
    return redirect("meetings:item_detail", item_id)


@require_POST
def proposal_add(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_action(
        request, item_id, ProposalForm(request.POST), "proposal_form",
        lambda d: agenda_services.add_proposal_version(
            request.user, item_id, d["text"], amendment_reason=d["amendment_reason"]
        ),
        _("Ehdotuksen uusi versio tallennettu."),
    )


@require_POST
def attachment_upload(request: HttpRequest, item_id: int) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)

    def call(d: dict[str, Any]) -> Any:
        upload = d["file"]
        return agenda_services.add_attachment(
            request.user, item_id, title=d["title"], filename=upload.name, data=upload,
            publicity=d["publicity"], confidentiality_basis=d["confidentiality_basis"],
            amendment_reason=d["amendment_reason"],
        )

    return _item_action(request, item_id, form, "attachment_form", call, _("Liite lisätty."))


@require_POST
def item_withdraw(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_action(
        request, item_id, ReasonForm(request.POST), "reason_form",
        lambda d: agenda_services.withdraw_item(request.user, item_id, d["reason"]),
        _("Asia poistettu esityslistalta."),
    )


@require_POST
def e_answer(request: HttpRequest, item_id: int) -> HttpResponse:
    """A member's position in the § 100 procedure (HTML form or JSON)."""
    return _item_action(
        request, item_id, EAnswerForm(request.POST), "answer_form",
        lambda d: e_services.answer_e_procedure(request.user, item_id, d["position"], d["comment"]),
        _("Kantasi on tallennettu."),
    )


@require_POST
def declare_disqualification(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_action(
        request, item_id, DisqualificationForm(request.POST), "disqualification_form",
        lambda d: disq_services.declare_disqualification(
            request.user, item_id, d["ground"], d["explanation"], d.get("participant_id")
        ),
        _("Esteellisyys kirjattu."),
    )


@require_POST
def decide_disqualification(
    request: HttpRequest, item_id: int, disqualification_id: int
) -> HttpResponse:
    accepted = request.POST.get("decision") == "accepted"
    return _item_action(
        request, item_id, ReasonForm(request.POST), "reason_form",
        lambda d: disq_services.decide_disqualification(
            request.user, disqualification_id, accepted
        ),
        _("Toimielimen päätös esteellisyydestä kirjattu."),
    )


@require_POST
def item_substitute(request: HttpRequest, item_id: int, participant_id: int) -> HttpResponse:
    return _item_action(
        request, item_id, ReasonForm(request.POST), "reason_form",
        lambda d: disq_services.call_item_substitute(request.user, item_id, participant_id),
        _("Varajäsen kutsuttu tähän asiaan."),
    )


_CHAIR_EVENTS = {
    "open": item_services.open_item,
    "close_discussion": item_services.close_discussion,
    "reopen_discussion": item_services.reopen_discussion,
    "table": item_services.table_item,
    "return": item_services.return_item,
}


@require_POST
def item_transition(request: HttpRequest, item_id: int, event: str) -> HttpResponse:
    """The chair's item buttons (R76); deciding has its own form."""
    if event == "decide":
        return _item_action(
            request, item_id, DecisionForm(request.POST), "decision_form",
            lambda d: item_services.state_decision(request.user, item_id, d["decision_text"]),
            _("Päätös todettu."),
        )
    call = _CHAIR_EVENTS.get(event)
    if call is None:
        raise Http404
    return _item_action(
        request, item_id, ReasonForm(request.POST), "reason_form",
        lambda d: call(request.user, item_id), _("Asian tila päivitetty."),
    )


def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Only through this authorised view; non-public documents are logged (R61, R63, R64)."""
    try:
        attachment, data = document_services.open_attachment(request.user, attachment_id)
    except DomainError as err:
        raise Http404(err.message) from None
    return _file_response(attachment, data)


def attachment_view(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A confidential PDF shown inline, every page stamped with the viewer's name (R9, R61);
    logged like a download (R64). Other files: the download view."""
    try:
        attachment, pdf = document_services.view_attachment_watermarked(
            request.user, attachment_id
        )
    except DomainError as err:
        raise Http404(err.message) from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, attachment.filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_response(attachment: Any, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
