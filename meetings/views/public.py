"""Public pages (no login): published agendas and their public attachments (KL 29.2 §, R24,
R27). Only the public version of each item is ever rendered here."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kokous.errors import DomainError
from meetings import documents, files, rules, selectors
from meetings.models import Attachment
from meetings.public import public_page
from meetings.views.items import _file_response


@public_page
def public_meetings(request: HttpRequest) -> HttpResponse:
    meetings = selectors.published_meetings(request.GET.get("kunta") or None)[:50]
    return render(request, "meetings/public_meetings.html", {"meetings": meetings})


@public_page
def public_agenda(request: HttpRequest, meeting_id: int) -> HttpResponse:
    try:
        context = selectors.public_agenda(meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    context["attachment_url_name"] = "meetings:public_attachment"
    response = render(request, "meetings/public_agenda.html", context)
    response["Cache-Control"] = "public, max-age=60"
    response["X-Robots-Tag"] = "noindex"  # personal data in agendas (R67)
    return response


@public_page
def public_agenda_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    try:
        context = selectors.public_agenda(meeting_id)
    except DomainError as err:
        raise Http404(err.message) from None
    meeting = context["meeting"]
    response = HttpResponse(documents.render_pdf(meeting, documents.PUBLIC),
                            content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="esityslista-{meeting.number}-{meeting.year}.pdf"'
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@public_page
def public_attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = (
        Attachment.objects.select_related("item__meeting").filter(pk=attachment_id).first()
    )
    if attachment is None or not rules.is_public_attachment(attachment):
        raise Http404
    return _file_response(attachment, files.read_attachment_bytes(attachment))
