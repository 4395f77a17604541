"""Idempotent room actions: the same key from the same user gets the same answer (DESIGN).

A phone that lost the answer to a POST resends it with the same `Idempotency-Key`; the first
request's outcome (success or refusal) is stored with the key in the same transaction as the
change, so the resend changes nothing and answers identically. Concurrent duplicates wait on the
key's unique index (PostgreSQL) or the writer lock (SQLite) and then read the stored answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kokous.errors import DomainError
from meetings.live.errors import live_error
from meetings.models.live import ActionKey

KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def error_payload(exc: DomainError) -> dict[str, Any]:
    return {"ok": False, **exc.as_dict()}


def run(
    user: Any, key: str | None, action: str, fn: Callable[[], dict[str, Any]]
) -> tuple[int, dict[str, Any]]:
    """Run `fn` once per (user, key); returns (HTTP status, JSON payload)."""
    if not key:
        try:
            return 200, {"ok": True, **fn()}
        except DomainError as exc:
            return exc.status, error_payload(exc)
    # A JSON body may carry any type here; only a well-formed string is a key.
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        exc = live_error("live.bad_idempotency_key")
        return exc.status, error_payload(exc)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = ActionKey.objects.create(
                    user=user, key=key, action=action, created_at=timezone.now()
                )
        except IntegrityError:
            row = ActionKey.objects.select_for_update().get(user=user, key=key)
            if row.action != action:
                exc = live_error("live.key_reused")
                return exc.status, error_payload(exc)
            if row.status:
                payload = json.loads(row.response)
                payload["replayed"] = True
                return row.status, payload
        try:
            status, payload = 200, {"ok": True, **fn()}
        except DomainError as exc:
            status, payload = exc.status, error_payload(exc)
        row.status = status
        row.response = json.dumps(payload, ensure_ascii=False, default=str)
        row.save(update_fields=["status", "response"])
    return status, payload
