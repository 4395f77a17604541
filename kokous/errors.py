"""The base of every domain error: a stable code, a translated message, nothing half-written.

Each domain module lists its own codes (`meetings/errors.py`, `voting/errors.py`, …) in the
Saleor style; views and consumers turn a `DomainError` into a response with the code and the
message in the user's language. Raising one inside a service's transaction rolls it back.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused state change. `code` is stable (`vote.closed`); `message` is translated."""

    status = 400

    def __init__(self, code: str, message: Any, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = str(message) % params if params else str(message)
        super().__init__(f"{code}: {self.message}")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class PermissionDenied(DomainError):
    """The user may not do this (not a member in term, disqualified, wrong role…)."""

    status = 403


class NotFound(DomainError):
    """The object does not exist for this user (never reveals that it exists elsewhere)."""

    status = 404


class Conflict(DomainError):
    """The object is not in a state that allows this (vote closed, meeting not open…)."""

    status = 409
