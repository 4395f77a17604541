"""Opening documents: every view of a non-public document is logged (TiHL 17 §, R64).

`document.viewed` carries identifiers and the SHA-256 of what was shown, never the content
(audit spec §1: confidential matters).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from meetings import files, rules, watermark
from meetings.errors import meeting_error
from meetings.models import AgendaItem, Attachment, Publicity
from meetings.services._common import record

PDF = "application/pdf"


def is_restricted(attachment: Attachment) -> bool:
    """Confidential or partly confidential, itself or through its item: views are logged."""
    return attachment.publicity != Publicity.PUBLIC or attachment.item.publicity != Publicity.PUBLIC


def has_watermarked_view(attachment: Attachment) -> bool:
    """Whether the item page offers the stamped inline view ("Näytä"): restricted PDFs only;
    other restricted files are downloaded as they are."""
    return is_restricted(attachment) and attachment.content_type == PDF


def _entitled_attachment(user: Any, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("item__meeting__body").filter(pk=attachment_id).first()
        if str(attachment_id).isdigit() else None
    )
    if attachment is None or not rules.can_view_attachment(user, attachment):
        raise meeting_error("attachment.not_found")
    return attachment


def viewer_name(user: Any) -> str:
    person = rules.person_of(user)
    name = person.full_name.strip() if person is not None else ""
    return name or user.get_full_name().strip() or user.get_username()


def open_attachment(user: Any, attachment_id: int) -> tuple[Attachment, bytes]:
    """The attachment and its bytes for an entitled user; confidential and partly confidential
    ones are logged as `document.viewed` (R64). Others get ``attachment.not_found``."""
    attachment = _entitled_attachment(user, attachment_id)
    data = files.read_attachment_bytes(attachment)
    if is_restricted(attachment):
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


def view_attachment_watermarked(
    user: Any, attachment_id: int, *, moment: dt.datetime | None = None
) -> tuple[Attachment, bytes]:
    """A restricted PDF stamped on every page with the viewer's name, the time and the marking,
    for inline viewing (R9, R61); logged as `document.viewed` with ``rendition: watermarked``
    and the digest of the served copy, which identifies whose copy a leaked file is (R64).

    Same access rule as downloading (R37 disqualification, R63 terms, municipality); a public
    attachment, a file that is not a PDF or a PDF that cannot be stamped (encrypted, damaged)
    answers ``attachment.no_inline_view`` — it stays downloadable as it is.
    """
    attachment = _entitled_attachment(user, attachment_id)
    if not has_watermarked_view(attachment):
        raise meeting_error("attachment.no_inline_view")
    moment = timezone.localtime(moment or timezone.now())
    lines = [watermark.MARKING, f"{viewer_name(user)} · {moment:%d.%m.%Y %H.%M}"]
    try:
        stamped = watermark.stamp_pdf(files.read_attachment_bytes(attachment), lines)
    except watermark.WatermarkError:
        raise meeting_error("attachment.no_inline_view") from None
    with transaction.atomic():
        record(
            user, "document.viewed", f"attachment:{attachment.pk}",
            {
                "kind": "attachment",
                "item_id": attachment.item_id,
                "sha256": attachment.sha256,
                "publicity": attachment.publicity,
                "rendition": "watermarked",
                "served_sha256": files.sha256_hex(stamped),
            },
        )
    return attachment, stamped


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
