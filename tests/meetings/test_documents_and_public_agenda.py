"""Publicity of agendas and documents (KL 29.2 §, JulkL 22–24 §, TiHL 17 §).

R27 (public version online without confidential content), R28 (publicity per item and
attachment), R37 (a disqualified person no longer sees the item's confidential documents),
R63 (access by role), R64 (every view of a confidential document is logged).
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from audit.models import AuditEntry
from meetings import files, rules
from meetings.models import Attachment
from meetings.services import agenda, attendance, disqualification, notice
from tests import factories

pytestmark = pytest.mark.django_db

SECRET_TEXT = "HETU-131052-308T lapsen sijoitus"
SECRET_TITLE = "Huostaanotto Virtasen perhe"
SECRET_FILE = b"%PDF-1.4\n% SALAINEN-LIITE-SISALTO\n%%EOF\n"
PUBLIC_FILE = b"%PDF-1.4\n% julkinen kartta\n%%EOF\n"


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")


@pytest.fixture
def agenda_meeting(org, settings, tmp_path):
    settings.PROTECTED_FILES_ROOT = tmp_path / "files"
    m = org.new_meeting(is_public=True)
    public = org.add_item(
        m, "Kevyen liikenteen väylä", description="<p>Jäsenversio: Matti Meikäläisen tontti</p>",
        public_description="<p>Väylä rakennetaan koulun kohdalle.</p>",
        proposal_text="Hyväksytään suunnitelma.",
    )
    partly = org.add_item(
        m, "Tilintarkastuskertomus", publicity="partly_confidential",
        confidentiality_basis="JulkL 24.1 § 20 k",
        description=f"<p>Liikesalaisuus: {SECRET_TEXT}</p>",
        public_description="<p>Kertomus merkitään tiedoksi.</p>",
    )
    secret = org.add_item(
        m, SECRET_TITLE, publicity="confidential", confidentiality_basis="JulkL 24.1 § 25 k",
        description=f"<p>{SECRET_TEXT}</p>",
        public_description="<p>SALAISEN-ASIAN-JULKINEN-TEKSTI</p>",
        proposal_text=f"Päätetään {SECRET_TEXT}", is_closed_handling=True,
    )
    pub_att = agenda.add_attachment(org.secretary, public.pk, title="Kartta", filename="kartta.pdf",
                                    data=PUBLIC_FILE)
    conf_att = agenda.add_attachment(
        org.secretary, partly.pk, title="Salainen liite SALAINEN-OTSIKKO", filename="s.pdf",
        data=SECRET_FILE, publicity="confidential", confidentiality_basis="JulkL 24.1 § 20 k",
    )
    agenda.add_attachment(
        org.secretary, secret.pk, title="Lastensuojeluilmoitus", filename="l.pdf",
        data=SECRET_FILE, publicity="confidential", confidentiality_basis="JulkL 24.1 § 25 k",
    )
    notice.send_notice(org.secretary, m.pk)
    m.refresh_from_db()
    return {"meeting": m, "public": public, "partly": partly, "secret": secret,
            "pub_att": pub_att, "conf_att": conf_att}


def test_public_agenda_has_no_confidential_text_or_attachment_r27(agenda_meeting, client):
    m = agenda_meeting["meeting"]
    page = client.get(f"/julkinen/kokoukset/{m.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for forbidden in (SECRET_TEXT, SECRET_TITLE, "SALAINEN-OTSIKKO", "Lastensuojeluilmoitus",
                      "Matti Meikäläisen", "SALAISEN-ASIAN-JULKINEN-TEKSTI", "Päätetään"):
        assert forbidden not in html
    assert "Salassa pidettävä asia" in html and "JulkL 24.1 § 25 k" in html
    assert "Väylä rakennetaan koulun kohdalle." in html  # the public description
    assert "Kertomus merkitään tiedoksi." in html
    assert "Kartta" in html  # public attachment of a public item is listed
    assert f"/liitteet/{agenda_meeting['conf_att'].pk}/" not in html
    assert "https://" not in html or "meet.example" not in html  # no members' video link

    pdf = client.get(f"/julkinen/kokoukset/{m.pk}/esityslista.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for forbidden in (SECRET_TEXT, SECRET_TITLE, "SALAINEN-OTSIKKO", "Lastensuojeluilmoitus",
                      "Matti Meikäläisen"):
        assert forbidden not in text
    assert "Salassa pidettävä asia" in text and "Väylä rakennetaan" in text


def test_public_attachments_only_if_public_r27(agenda_meeting, client):
    ok = client.get(f"/julkinen/liitteet/{agenda_meeting['pub_att'].pk}/")
    assert ok.status_code == 200 and ok.content == PUBLIC_FILE
    assert client.get(f"/julkinen/liitteet/{agenda_meeting['conf_att'].pk}/").status_code == 404
    # The authorised view needs a login (middleware) for anyone anonymous.
    assert client.get(f"/liitteet/{agenda_meeting['conf_att'].pk}/").status_code == 302


def test_unpublished_agenda_is_not_public(org, client):
    m = org.new_meeting(is_public=True)
    org.add_item(m)
    assert client.get(f"/julkinen/kokoukset/{m.pk}/").status_code == 404


def test_member_version_and_audited_download_of_confidential_attachment_r64(
    org, agenda_meeting, client
):
    member = org.member_user(2)
    client.force_login(member)
    item_page = client.get(f"/asiat/{agenda_meeting['secret'].pk}/")
    assert item_page.status_code == 200
    assert SECRET_TEXT in item_page.content.decode()
    viewed = AuditEntry.objects.filter(action="document.viewed")
    assert viewed.count() == 1  # opening the member version of a confidential item (R64)

    att = agenda_meeting["conf_att"]
    response = client.get(f"/liitteet/{att.pk}/")
    assert response.status_code == 200 and response.content == SECRET_FILE
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    entry = AuditEntry.objects.filter(action="document.viewed").latest("seq")
    assert entry.object == f"attachment:{att.pk}" and entry.actor == f"user:{member.pk}"
    digest = hashlib.sha256(SECRET_FILE).hexdigest()
    raw = bytes(entry.entry).decode()
    assert f'"sha256":"{digest}"' in raw and f'"item_id":{att.item_id}' in raw
    assert "SALAINEN" not in raw
    # A public attachment is not logged.
    client.get(f"/liitteet/{agenda_meeting['pub_att'].pk}/")
    assert AuditEntry.objects.filter(action="document.viewed").count() == 2


def test_stored_file_is_outside_the_web_root_under_a_random_name(agenda_meeting, settings):
    att = Attachment.objects.get(pk=agenda_meeting["conf_att"].pk)
    assert att.storage_name != att.filename and len(att.storage_name) == 64
    assert files.read_attachment_bytes(att) == SECRET_FILE
    assert att.sha256 == hashlib.sha256(SECRET_FILE).hexdigest()
    assert str(settings.PROTECTED_FILES_ROOT) not in str(settings.MEDIA_ROOT)


def test_substitute_for_information_and_outsiders_do_not_get_confidential_documents_r63(
    org, agenda_meeting, client
):
    secret, att = agenda_meeting["secret"], agenda_meeting["conf_att"]
    substitute = org.sub_user(4)
    assert rules.can_view_meeting(substitute, secret.meeting)
    assert not rules.can_view_item(substitute, secret)
    assert not rules.can_view_attachment(substitute, att)
    client.force_login(substitute)
    page = client.get(f"/asiat/{secret.pk}/").content.decode()
    assert SECRET_TEXT not in page and "Salassa pidettävä asia" in page
    assert client.get(f"/liitteet/{att.pk}/").status_code == 404
    outsider = factories.MembershipFactory().person.user  # another municipality's body
    client.force_login(outsider)
    assert client.get(f"/asiat/{secret.pk}/").status_code == 404
    assert client.get(f"/kokoukset/{secret.meeting_id}/").status_code == 404


def test_disqualified_member_loses_the_items_confidential_documents_r37(
    org, agenda_meeting, client
):
    secret, att = agenda_meeting["secret"], agenda_meeting["conf_att"]
    member = org.member_user(3)
    assert rules.can_view_item(member, secret)
    disqualification.declare_disqualification(member, secret.pk, "1", "Sukulainen")
    assert not rules.can_view_item(member, secret)
    client.force_login(member)
    assert SECRET_TEXT not in client.get(f"/asiat/{secret.pk}/").content.decode()
    # Only that item: the attachment of another item is still visible.
    assert rules.can_view_attachment(member, att)
    disqualification.declare_disqualification(member, agenda_meeting["partly"].pk, "3")
    assert not rules.can_view_attachment(member, att)
    assert client.get(f"/liitteet/{att.pk}/").status_code == 404


def test_invited_substitute_gets_the_member_version_r30(org, agenda_meeting):
    m, secret = agenda_meeting["meeting"], agenda_meeting["secret"]
    member = org.participant(m, org.members[5])
    attendance.invite_substitute(org.secretary, m.pk, member.pk)
    assert rules.can_view_item(org.sub_user(5), secret)


def test_invited_expert_sees_the_meeting_until_minutes_are_published_r29_r63(org, agenda_meeting,
                                                                            client):
    m = agenda_meeting["meeting"]
    expert = factories.PersonFactory(municipality=org.body.municipality)
    assert not rules.can_view_meeting(expert.user, m)
    attendance.add_participant(org.secretary, m.pk, expert.pk, "expert")
    assert rules.can_view_meeting(expert.user, m)
    client.force_login(expert.user)
    assert client.get(f"/kokoukset/{m.pk}/").status_code == 200
    assert f"/kokoukset/{m.pk}/" in client.get("/oma/").content.decode()
    m.status = "published"
    m.save()
    assert not rules.can_view_meeting(expert.user, m)


def test_a_failed_upload_leaves_no_file_behind(org, agenda_meeting, monkeypatch, settings):
    def boom(*args, **kwargs):
        raise RuntimeError("failure after the file was written")

    monkeypatch.setattr("meetings.services.agenda.push", boom)
    root = settings.PROTECTED_FILES_ROOT
    before_files = sorted(p.name for p in root.rglob("*") if p.is_file())
    before = (Attachment.objects.count(), AuditEntry.objects.count())
    with pytest.raises(RuntimeError):
        agenda.add_attachment(org.secretary, agenda_meeting["public"].pk, title="x",
                              filename="x.pdf", data=PUBLIC_FILE,
                              amendment_reason="Lisäliite")
    assert (Attachment.objects.count(), AuditEntry.objects.count()) == before
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == before_files
