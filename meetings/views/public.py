"""Public pages (no login): published agendas and their public attachments (KL 29.2 §, R24,
R27). Only the public version of each item is ever rendered here."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_GET

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


@public_page
@require_GET
def choose_language(request: HttpRequest) -> HttpResponse:
    """Language switch for visitors who are not logged in: a GET form, so the cacheable public
    pages (`Cache-Control: public`) render no CSRF token and set no cookie (F5). Only the
    language cookie, a display preference, is set here; logged-in users keep Django's POST
    `set_language` with its CSRF token. The answer itself is never cached."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("meetings:public_home")
    response = HttpResponseRedirect(next_url)
    code = request.GET.get("language", "")
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    response["Cache-Control"] = "private, no-store"
    return response
