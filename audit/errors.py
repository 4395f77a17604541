"""Error codes of the audit app, with their Finnish messages (same shape as `meetings.errors`).

Raise with `raise audit_error("audit.bad_range", detail=...)`; the HTTP endpoints answer
`{"code": ..., "message": ...}` with the class's status.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kokous.errors import DomainError, PermissionDenied

MAX_ENTRIES_PER_REQUEST = 10_000

CODES: dict[str, tuple[type[DomainError], Any]] = {
    "audit.bad_range": (
        DomainError,
        _("Virheellinen väli: %(detail)s"),
    ),
    "audit.range_too_large": (
        DomainError,
        _("Yhdellä pyynnöllä voi hakea enintään %(limit)s merkintää; pyydettiin %(count)s."),
    ),
    "audit.forbidden": (
        PermissionDenied,
        _("Tarkastuslokin merkinnät ja todistukset ovat vain tarkastajien nähtävissä."),
    ),
    "audit.unavailable": (
        DomainError,
        _("Tarkastuslokin allekirjoitusavain puuttuu; ylläpitäjän on luotava se."),
    ),
}


def audit_error(code: str, **params: Any) -> DomainError:
    """The `DomainError` for `code` (unknown codes are a programming error)."""
    cls, message = CODES[code]
    return cls(code, message, **params)
