"""Marking views that anyone may open without logging in (KL 101.4 §, 140 §, R8, R52).

Everything else requires a logged-in user with MFA (`meetings.middleware`). The list of public
views is therefore explicit: `tests/security` walks the URL conf and checks that every view not
marked here refuses anonymous users.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ATTRIBUTE = "kokous_public"


def public_page(view: F) -> F:
    """Mark a view as public: no login, no MFA, and it must never reveal non-public data."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def is_public_view(view: Callable[..., Any]) -> bool:
    target = getattr(view, "view_class", view)
    return bool(getattr(view, PUBLIC_ATTRIBUTE, False) or getattr(target, PUBLIC_ATTRIBUTE, False))
