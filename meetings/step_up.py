"""MFA step-up for signature-like acts (ASVS L3 for voting; R50 for checking the minutes).

One helper for every such act: checking the minutes (`minutes.views`), and the chair closing a
vote or an election (`voting.views`, the live room). The act needs an MFA authentication in this
session at most `settings.KOKOUS_STEP_UP_SECONDS` old (default 300) — allauth's authentication
records, written at login and by allauth's ``mfa_reauthenticate`` view. Otherwise:

* HTML forms are redirected to ``mfa_reauthenticate?next=<the page>`` (allauth brings the user
  back);
* JSON clients get 403 ``{"code": "auth.step_up_required", "message", "reauthenticate_url"}``.

The check is at the view because only the request knows the session; the service it guards is
not called at all, so nothing is written.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from kokous.errors import PermissionDenied

DEFAULT_SECONDS = 300


def max_age() -> int:
    return int(getattr(settings, "KOKOUS_STEP_UP_SECONDS", DEFAULT_SECONDS))


def recent_mfa(request: HttpRequest, max_age_seconds: int | None = None) -> bool:
    """Whether the session holds an MFA authentication (login or allauth's
    ``mfa_reauthenticate``) newer than `max_age_seconds` (default: the setting)."""
    if not request.user.is_authenticated:
        return False
    limit = max_age() if max_age_seconds is None else max_age_seconds
    records = get_authentication_records(request, request.user)
    now = time.time()
    return any(
        r.get("method") == "mfa" and isinstance(r.get("at"), int | float)
        and now - r["at"] <= limit
        for r in records
    )


def safe_next(request: HttpRequest, next_url: str | None = None) -> str:
    """A local path to come back to: `next_url`, else the referring page, else this path."""
    for candidate in (next_url, request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return request.path


def reauthenticate_url(request: HttpRequest, next_url: str | None = None) -> str:
    return f"{reverse('mfa_reauthenticate')}?{urlencode({'next': safe_next(request, next_url)})}"


class StepUpRequired(PermissionDenied):
    """`auth.step_up_required`: a fresh MFA authentication is needed; carries where to get it."""

    def __init__(self, url: str) -> None:
        super().__init__(
            "auth.step_up_required",
            _("Vahvista henkilöllisyytesi uudelleen toisella tunnistustekijällä ennen tätä "
              "toimintoa."),
        )
        self.reauthenticate_url = url

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "reauthenticate_url": self.reauthenticate_url}


def check_step_up(request: HttpRequest, next_url: str | None = None) -> None:
    """Raise `StepUpRequired` unless the session has a recent MFA authentication."""
    if not recent_mfa(request):
        raise StepUpRequired(reauthenticate_url(request, next_url))


def require_recent_mfa(
    request: HttpRequest, max_age_seconds: int | None = None, next_url: str | None = None
) -> HttpResponse | None:
    """``None`` when stepped up, else a redirect to allauth's MFA reauthentication, which
    returns to the page (HTML forms)."""
    if recent_mfa(request, max_age_seconds):
        return None
    return redirect(reauthenticate_url(request, next_url))
