"""Who counts as an auditor (*tarkastaja*) of the log, decided outside the audit app.

`audit` must not import `meetings` (layers: `audit` <- `meetings`), yet auditor status comes from
staff roles there. So the predicate is named by `settings.AUDIT_IS_AUDITOR`, a dotted path to
`is_auditor(user) -> bool` (in this project `meetings.rules.is_auditor`). Without the setting,
only active superusers are auditors: closed by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_PREDICATE = "audit.access.superuser_is_auditor"


def superuser_is_auditor(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def _predicate() -> Callable[[Any], bool]:
    return import_string(getattr(settings, "AUDIT_IS_AUDITOR", DEFAULT_PREDICATE))


def is_auditor(user: Any) -> bool:
    """True if `user` may read entries and inclusion proofs and download exports."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(_predicate()(user))
