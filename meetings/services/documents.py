"""Opening documents: every view of a non-public document is logged (TiHL 17 §, R64).

`document.viewed` carries identifiers and the SHA-256 of what was shown, never the content
(audit spec §1: confidential matters).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from meetings import files, rules
from meetings.errors import meeting_error
from meetings.models import AgendaItem, Attachment, Publicity
from meetings.services._common import record


def open_attachment(user: Any, attachment_id: int) -> tuple[Attachment, bytes]:
    """The attachment and its bytes for an entitled user; confidential and partly confidential
    ones are logged as `document.viewed` (R64). Others get ``attachment.not_found``."""
    attachment = (
        Attachment.objects.select_related("item__meeting__body").filter(pk=attachment_id).first()
        if str(attachment_id).isdigit() else None
    )
    if attachment is None or not rules.can_view_attachment(user, attachment):
        raise meeting_error("attachment.not_found")
    data = files.read_attachment_bytes(attachment)
    if attachment.publicity != Publicity.PUBLIC or attachment.item.publicity != Publicity.PUBLIC:
        with transaction.atomic():
            record(
                user, "document.viewed", f"attachment:{attachment.pk}",
                {
                    "kind": "attachment",
                    "item_id": attachment.item_id,
                    "sha256": attachment.sha256,
                    "publicity": attachment.publicity,
                },
            )
    return attachment, data


def record_item_view(user: Any, item: AgendaItem) -> None:
    """Log that the member version of a non-public item was shown to `user` (R64)."""
    if item.publicity == Publicity.PUBLIC:
        return
    digest = files.sha256_hex(
        "\x1f".join([item.title, item.description, item.decision_text]).encode()
    )
    with transaction.atomic():
        record(
            user, "document.viewed", f"item:{item.pk}",
            {"kind": "item", "item_id": item.pk, "sha256": digest, "publicity": item.publicity},
        )
