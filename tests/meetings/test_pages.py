"""Pages of the meetings app: thin views over services and selectors.

Secretary: create a meeting, build the agenda, send the notice, run attendance (R24–R30, R73);
member: upcoming meetings, agenda, § 100 answer form with history (R17–R22); public:
published agendas (R27). Errors come back with their code and status (contributing.md).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from meetings.models import AgendaItem, Attachment, EProcedureAnswer, Meeting, Participant
from tests.meetings.conftest import audit_count

pytestmark = pytest.mark.django_db


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_secretary_builds_and_sends_an_agenda(org, client, settings, tmp_path):
    settings.PROTECTED_FILES_ROOT = tmp_path
    client.force_login(org.secretary)
    assert "Uusi kokous" in client.get("/oma/").content.decode()
    starts = timezone.now() + dt.timedelta(days=12)
    response = client.post("/kokoukset/uusi/", {
        "body": org.body.pk, "starts_at": local(starts), "place": "Kunnantalo",
        "method": "in_person",
    })
    assert response.status_code == 302
    m = Meeting.objects.get()
    assert client.get(response["Location"]).status_code == 200

    # A bad item: confidential without a basis → the form again, with the code, HTTP 400.
    bad = client.post(f"/kokoukset/{m.pk}/asiat/uusi/", {
        "title": "Salainen", "method": "meeting", "publicity": "confidential",
    })
    assert bad.status_code == 400
    assert "agenda.confidentiality_basis_required" in bad.content.decode()
    assert AgendaItem.objects.count() == 0

    ok = client.post(f"/kokoukset/{m.pk}/asiat/uusi/", {
        "title": "Koulukuljetukset", "method": "meeting", "publicity": "public",
        "description": "<p>Selostus<script>alert(1)</script></p>",
        "public_description": "<p>Julkinen selostus</p>", "proposal_text": "Hyväksytään.",
    })
    assert ok.status_code == 302
    item = AgendaItem.objects.get()
    assert item.description == "<p>Selostus</p>"  # sanitised (nh3)
    upload = SimpleUploadedFile("kartta.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    response = client.post(f"/asiat/{item.pk}/liitteet/", {
        "title": "Kartta", "file": upload, "publicity": "public",
    })
    assert response.status_code == 302 and Attachment.objects.count() == 1
    evil = SimpleUploadedFile("kartta.pdf", b"MZ not a pdf", "application/pdf")
    response = client.post(f"/asiat/{item.pk}/liitteet/", {"file": evil, "publicity": "public"})
    assert response.status_code == 400 and "upload." in response.content.decode()

    page = client.get(f"/kokoukset/{m.pk}/")
    assert "Lähetä kokouskutsu" in page.content.decode()
    response = client.post(f"/kokoukset/{m.pk}/kutsu/", {"late_reason": ""})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == "convened"
    pdf = client.get(f"/kokoukset/{m.pk}/kokouskutsu.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    agenda = client.get(f"/kokoukset/{m.pk}/esityslista/").content.decode()
    assert "Koulukuljetukset" in agenda and "Kartta" in agenda

    # After the notice an edit without a reason is refused with the code and 400.
    response = client.post(f"/kokoukset/{m.pk}/asiat/uusi/", {
        "title": "Lisäasia", "method": "meeting", "publicity": "public",
    })
    assert response.status_code == 400
    assert "agenda.amendment_required" in response.content.decode()


def test_illegal_transition_on_the_page_answers_409(org, client):
    m = org.convened()  # convened, not opened: it cannot be suspended
    client.force_login(org.chair)
    response = client.post(f"/kokoukset/{m.pk}/keskeyta/", {"reason": "Häiriö"})
    assert response.status_code == 409
    assert "meeting.illegal_transition" in response.content.decode()


def test_attendance_page_and_json_errors(org, client):
    m = org.convened()
    client.force_login(org.secretary)
    page = client.get(f"/kokoukset/{m.pk}/lasnaolo/")
    assert page.status_code == 200
    member = Participant.objects.filter(meeting=m, role="member").first()
    assert client.post(f"/kokoukset/{m.pk}/lasnaolo/{member.pk}/saapui/",
                       {"mode": "in_room"}).status_code == 302
    again = client.post(f"/kokoukset/{m.pk}/lasnaolo/{member.pk}/saapui/", {"mode": "in_room"},
                        HTTP_ACCEPT="application/json")
    assert again.status_code == 409
    assert json.loads(again.content)["code"] == "attendance.already_present"
    quorum = client.get(f"/kokoukset/{m.pk}/paatosvaltaisuus.json").json()
    assert quorum == {"meeting": m.pk, "item": None, "required": 5, "present": 1,
                      "quorate": False}
    client.force_login(org.member_user(3))
    assert client.get(f"/kokoukset/{m.pk}/lasnaolo/").status_code == 404


def test_member_answers_in_the_e_procedure_with_history(org, client):
    m = org.new_meeting(days=10)
    item = org.add_item(m, "Lausunto", method="e_procedure",
                        e_deadline=timezone.now() + dt.timedelta(days=5),
                        proposal_text="Annetaan lausunto.")
    from meetings.services import notice

    notice.send_notice(org.secretary, m.pk)
    client.force_login(org.member_user(2))
    page = client.get(f"/asiat/{item.pk}/").content.decode()
    assert "Tallenna kantani" in page and "Kantansa ilmaissut 0/9" in page
    assert client.post(f"/asiat/{item.pk}/kanta/", {"position": "accept"}).status_code == 302
    response = client.post(f"/asiat/{item.pk}/kanta/",
                           {"position": "accept", "comment": "Tarkistin liitteen."})
    assert response.status_code == 302
    page = client.get(f"/asiat/{item.pk}/").content.decode()
    assert "Kantojesi historia" in page and "Tarkistin liitteen." in page
    assert EProcedureAnswer.objects.filter(item=item).count() == 2
    bad = client.post(f"/asiat/{item.pk}/kanta/", {"position": "maybe"},
                      HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "form.invalid"
    client.force_login(org.secretary)
    before = audit_count()
    refused = client.post(f"/asiat/{item.pk}/kanta/", {"position": "accept"},
                          HTTP_ACCEPT="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"code": "eproc.not_member",
                              "message": refused.json()["message"]}
    assert audit_count() == before


def test_anonymous_users_are_sent_to_log_in(org, client):
    m = org.convened()
    for url in (f"/kokoukset/{m.pk}/", f"/kokoukset/{m.pk}/esityslista/", "/kokoukset/uusi/",
                f"/asiat/{m.items.get().pk}/"):
        assert client.get(url).status_code == 302
    assert client.get("/julkinen/kokoukset/").status_code == 200
    assert client.get(f"/julkinen/kokoukset/{m.pk}/").status_code == 200


def test_pages_have_no_inline_script_or_style(org, client):
    m = org.convened()
    client.force_login(org.secretary)
    for url in (f"/kokoukset/{m.pk}/", f"/kokoukset/{m.pk}/esityslista/",
                f"/kokoukset/{m.pk}/lasnaolo/", f"/asiat/{m.items.get().pk}/", "/oma/",
                f"/julkinen/kokoukset/{m.pk}/"):
        html = client.get(url).content.decode()
        assert "<script" not in html and "<style" not in html and " style=" not in html
        assert ' onclick=' not in html
