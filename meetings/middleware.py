"""Login and MFA before any non-public page; idle timeout for sessions (ASVS 6, 7; R5, R13, R63)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from meetings.mfa import request_has_mfa
from meetings.public import is_public_view

IDLE_KEY = "kokous_last_seen"
# allauth's own views handle their authentication (login, logout, MFA set-up and challenge).
SELF_AUTHENTICATING_MODULE_PREFIXES = ("allauth.", "django.views.i18n", "django.views.static")


class MfaRequiredMiddleware:
    """Anonymous users are sent to log in; logged-in users without MFA to set it up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and self._idle_expired(request):
            logout(request)
        return self.get_response(request)

    def _idle_expired(self, request: HttpRequest) -> bool:
        now = int(time.time())
        last_seen = request.session.get(IDLE_KEY)
        # Refresh at most once a minute: writing the session on every request would add an
        # UPDATE and a commit to each ballot POST (docs/performance-live.md).
        if last_seen is None or now - int(last_seen) >= 60:
            request.session[IDLE_KEY] = now
        return last_seen is not None and now - int(last_seen) > settings.SESSION_IDLE_TIMEOUT

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        module = getattr(view_func, "__module__", "") or ""
        if is_public_view(view_func) or module.startswith(SELF_AUTHENTICATING_MODULE_PREFIXES):
            return None
        if not request.user.is_authenticated:
            if request.headers.get("accept", "").startswith("application/json"):
                return HttpResponse(status=401)
            return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")
        if not request_has_mfa(request):
            return redirect("mfa_activate_totp")
        return None
