"""Template context shared by every page: the user's person record and whether MFA is set."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from meetings.mfa import request_has_mfa
from meetings.rules import person_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_person": person_of(user), "nav_has_mfa": request_has_mfa(request)}
