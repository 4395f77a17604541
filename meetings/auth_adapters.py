"""allauth adapter: accounts are created by administrators, never by self-signup."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


def axes_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The login name axes locks on: allauth passes `email`, the form posts `login`."""
    if credentials:
        for key in ("email", "username", "login"):
            if credentials.get(key):
                return str(credentials[key]).strip().lower()
    if request is not None and request.method == "POST":
        value = request.POST.get("login")
        return value.strip().lower() if value else None
    return None
