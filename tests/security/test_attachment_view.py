"""Confidential attachments at rest and on screen (TiHL 14–15 §, 17 §; R9, R37, R61–R64).

* every stored attachment is an AES-GCM blob bound to its storage name and to its row's digest
  (`meetings/files.py`); plaintext is accepted only from rows written before encryption;
* a confidential PDF can be shown inline, every page stamped with the viewer's name, the time
  and "Salassa pidettävä / Sekretessbelagd", logged like a download (R64), refused to the
  disqualified (R37) and to other municipalities.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML

from audit.models import AuditEntry
from meetings import encryption, files, watermark
from meetings.models import AgendaItem, Attachment, Disqualification, Participant, Publicity
from meetings.services import documents as document_services
from tests.security.conftest import logged_in

PAGE_TEXT = "SALAINEN-LIITE-SISALTO"


def three_page_pdf() -> bytes:
    """Portrait, portrait, landscape: the stamp must fit every page size."""
    html = (
        "<style>@page wide { size: A4 landscape } .w { page: wide }"
        " p { break-after: page }</style>"
        f"<p>{PAGE_TEXT} 1</p><p>{PAGE_TEXT} 2</p><p class='w'>{PAGE_TEXT} 3</p>"
    )
    return HTML(string=html).write_pdf()


def page_texts(pdf: bytes) -> list[str]:
    """Text of each page (poppler's pdftotext; form feeds separate the pages)."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf,
                            capture_output=True, check=True)
    pages = result.stdout.decode("utf-8").split("\f")
    return [p for p in pages if p.strip()]


def make_attachment(item: AgendaItem, data: bytes, *, name: str = "salainen.pdf",
                    content_type: str = "application/pdf",
                    publicity: str = Publicity.CONFIDENTIAL) -> Attachment:
    return Attachment.objects.create(
        item=item, title=name, filename=name, content_type=content_type, size=len(data),
        sha256=files.sha256_hex(data), publicity=publicity,
        confidentiality_basis="JulkL 24.1 § 25 k" if publicity != Publicity.PUBLIC else "",
        storage_name=files.store_attachment_bytes(data), encrypted=True,
        uploaded_at=timezone.now(),
    )


def secret_item(world) -> AgendaItem:
    return AgendaItem.objects.get(meeting=world.meeting, title__startswith="Salainen asia")


def public_item(world) -> AgendaItem:
    return AgendaItem.objects.get(meeting=world.meeting, title__startswith="Julkinen asia")


def disk_path(attachment: Attachment) -> Path:
    name = attachment.storage_name
    return Path(settings.PROTECTED_FILES_ROOT) / name[:2] / name


def view_url(attachment: Attachment) -> str:
    return reverse("meetings:attachment_view", args=[attachment.pk])


def views_logged() -> int:
    return AuditEntry.objects.filter(action="document.viewed").count()


# --- encryption at rest ---------------------------------------------------------------------


def test_confidential_attachment_on_disk_is_a_blob_not_the_document(world):
    """R9, R61: the stored file holds no plaintext; reading gives back the exact bytes."""
    data = three_page_pdf()
    attachment = make_attachment(secret_item(world), data)
    raw = disk_path(attachment).read_bytes()
    assert encryption.is_encrypted_blob(raw) and data not in raw and data[:64] not in raw
    assert (os.stat(disk_path(attachment)).st_mode & 0o777) == 0o600
    assert files.read_attachment_bytes(attachment) == data


def test_row_marked_encrypted_refuses_a_plaintext_file(world):
    """Replacing a blob by plaintext on disk must not feed members other content (R62)."""
    attachment = make_attachment(secret_item(world), b"%PDF-1.4 alkuperainen\n%%EOF\n")
    disk_path(attachment).write_bytes(b"%PDF-1.4 alkuperainen\n%%EOF\n")
    with pytest.raises(files.StoredFileError):
        files.read_attachment_bytes(attachment)


def test_legacy_plaintext_rows_stay_readable(world):
    """Files stored before encryption was wired (encrypted=False) are still served."""
    data = b"%PDF-1.4 vanha tiedosto\n%%EOF\n"
    attachment = make_attachment(public_item(world), data, publicity=Publicity.PUBLIC)
    disk_path(attachment).write_bytes(data)
    Attachment.objects.filter(pk=attachment.pk).update(encrypted=False)
    attachment.refresh_from_db()
    assert files.read_attachment_bytes(attachment) == data


def test_a_blob_is_bound_to_its_name_and_its_row(world):
    """A blob copied onto another attachment's name does not decrypt; a row whose digest does
    not match the decrypted file is refused (R62: the file belongs to its row)."""
    first = make_attachment(secret_item(world), b"%PDF-1.4 eka\n%%EOF\n")
    second = make_attachment(secret_item(world), b"%PDF-1.4 toka\n%%EOF\n")
    disk_path(second).write_bytes(disk_path(first).read_bytes())
    with pytest.raises(encryption.DecryptionError):
        files.read_attachment_bytes(second)
    Attachment.objects.filter(pk=first.pk).update(sha256=hashlib.sha256(b"muu").hexdigest())
    first.refresh_from_db()
    with pytest.raises(files.StoredFileError):
        files.read_attachment_bytes(first)


def test_rotation_covers_attachments(world, settings, tmp_path, capsys):
    """`rotate_file_key` re-encrypts attachments too; they stay readable with the new key."""
    from django.core.management import call_command

    settings.PROTECTED_FILES_ROOT = tmp_path / "files"  # only this test's file: others tamper
    data = b"%PDF-1.4 kierto\n%%EOF\n"
    attachment = make_attachment(secret_item(world), data)
    before = encryption.parse_header(disk_path(attachment).read_bytes()).key_id
    call_command("rotate_file_key")
    after = encryption.parse_header(disk_path(attachment).read_bytes()).key_id
    assert after != before
    assert files.read_attachment_bytes(attachment) == data


# --- watermarked inline view ------------------------------------------------------------------


def test_confidential_pdf_is_shown_inline_with_the_viewer_name_on_every_page(world):
    """R9, R61, R64: inline, not cached, each page stamped with name, time and marking; the
    view is logged by id and digests, never content."""
    data = three_page_pdf()
    attachment = make_attachment(secret_item(world), data)
    name = document_services.viewer_name(world.insider)
    before = views_logged()
    response = logged_in(world.insider).get(view_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    pages = page_texts(response.content)
    assert len(pages) == 3
    stamp_time = timezone.localtime().strftime("%d.%m.%Y")
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert name in flat, (number, flat)
        assert "Salassa pidettävä" in flat and "Sekretessbelagd" in flat, (number, flat)
        assert stamp_time in flat and f"{PAGE_TEXT} {number}" in flat, (number, flat)
    assert views_logged() == before + 1
    entry = AuditEntry.objects.filter(action="document.viewed").latest("seq")
    assert entry.object == f"attachment:{attachment.pk}"
    assert entry.actor == f"user:{world.insider.pk}"
    raw = bytes(entry.entry).decode()
    body = json.loads(raw)
    data_field = body.get("data", body)
    assert data_field["rendition"] == "watermarked"
    assert data_field["sha256"] == hashlib.sha256(data).hexdigest()
    assert data_field["served_sha256"] == hashlib.sha256(response.content).hexdigest()
    assert PAGE_TEXT not in raw and name not in raw


def test_the_item_page_offers_the_view_only_for_confidential_pdfs(world):
    item = secret_item(world)
    pdf = make_attachment(item, three_page_pdf())
    text = make_attachment(item, b"Salainen muistio\n", name="muistio.txt",
                           content_type="text/plain")
    html = logged_in(world.insider).get(
        reverse("meetings:item_detail", args=[item.pk])).content.decode()
    assert f'href="{view_url(pdf)}"' in html
    assert f'href="{view_url(text)}"' not in html
    assert f'href="{reverse("meetings:attachment_download", args=[text.pk])}"' in html


def test_files_without_a_stamped_view_keep_the_download(world):
    """Non-PDF confidential files and public attachments have no inline view (404)."""
    client = logged_in(world.insider)
    text = make_attachment(secret_item(world), b"Salainen muistio\n", name="muistio.txt",
                           content_type="text/plain")
    public = make_attachment(public_item(world), three_page_pdf(), publicity=Publicity.PUBLIC)
    before = views_logged()
    assert client.get(view_url(text)).status_code == 404
    assert client.get(view_url(public)).status_code == 404
    assert views_logged() == before
    download = client.get(reverse("meetings:attachment_download", args=[text.pk]))
    assert download.status_code == 200 and download.content == b"Salainen muistio\n"
    assert download["Content-Disposition"].startswith("attachment")


def test_a_pdf_that_cannot_be_stamped_is_refused_not_served_raw(world):
    broken = make_attachment(secret_item(world), b"%PDF-1.4 rikki, ei xref-taulua\n")
    before = views_logged()
    response = logged_in(world.insider).get(view_url(broken))
    assert response.status_code == 404 and b"rikki" not in response.content
    assert views_logged() == before


def test_disqualified_member_is_refused_r37(world):
    item = secret_item(world)
    attachment = make_attachment(item, three_page_pdf())
    participant = (Participant.objects.filter(meeting=world.meeting, role="member")
                   .exclude(person__user=world.insider).select_related("person__user").first())
    client = logged_in(participant.person.user)
    assert client.get(view_url(attachment)).status_code == 200  # control: entitled before
    Disqualification.objects.create(item=item, participant=participant, ground="1",
                                    declared_at=timezone.now())
    before = views_logged()
    response = client.get(view_url(attachment))
    assert response.status_code == 404 and PAGE_TEXT.encode() not in response.content
    assert views_logged() == before


def test_other_municipality_and_anonymous_are_refused(world):
    attachment = make_attachment(secret_item(world), three_page_pdf())
    before = views_logged()
    outsider = logged_in(world.outsider).get(view_url(attachment))
    assert outsider.status_code == 404
    anonymous = Client().get(view_url(attachment))
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]
    assert views_logged() == before


def test_stamped_copy_has_no_scripts_or_automatic_actions():
    """The untrusted document is shown in the browser's viewer: its scripts are removed."""
    pdf = pikepdf.open(io.BytesIO(three_page_pdf()))
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.Root.OpenAction = script
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(
        Names=pikepdf.Array([pikepdf.String("x"), pdf.make_indirect(script)])))
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=script)
    out = io.BytesIO()
    pdf.save(out)
    stamped = pikepdf.open(io.BytesIO(watermark.stamp_pdf(out.getvalue(), ["Testi Katsoja"])))
    assert "/OpenAction" not in stamped.Root
    assert "/JavaScript" not in stamped.Root.get("/Names", {})
    assert all("/AA" not in page.obj for page in stamped.pages)
    assert len(stamped.pages) == 3


def test_encrypted_pdf_cannot_be_stamped():
    pdf = pikepdf.open(io.BytesIO(three_page_pdf()))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="salasana"))
    with pytest.raises(watermark.WatermarkError):
        watermark.stamp_pdf(out.getvalue(), ["Testi Katsoja"])
