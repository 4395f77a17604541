"""Bad input at every endpoint: missing or wrong CSRF tokens, oversized bodies, hostile uploads,
foreign ids in forms. Each case asserts the refusal *and* that nothing changed (rows of every
model, audit entries, stored files). ASVS 5.0 V3.5 (CSRF), V2 (input), V4 (API), V5 (files),
V8; R60, R63.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseForbidden
from django.test import Client

from meetings.models import Meeting
from tests.security import samples, urlwalk
from tests.security.conftest import logged_in
from tests.security.world import audit_count, changed_between, fingerprint

CASES = urlwalk.cases()
CSRF_SECRET = "A" * 32  # a well-formed CSRF secret (Django accepts the unmasked secret)
OTHER_SECRET = "B" * 32
FAILURE_HEADER = "X-Test-Csrf-Failure"


def csrf_failure(request: Any, reason: str = "") -> HttpResponseForbidden:
    """CSRF_FAILURE_VIEW for these tests: marks a refusal as CSRF's (not the view's own 403)."""
    response = HttpResponseForbidden("CSRF")
    response[FAILURE_HEADER] = reason or "csrf"
    return response


@pytest.fixture
def csrf_marked(settings):
    settings.CSRF_FAILURE_VIEW = f"{__name__}.csrf_failure"


def files_under_root() -> list[Path]:
    root = Path(settings.PROTECTED_FILES_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class Unchanged:
    """Context manager: no row of any model, no audit entry and no stored file changes."""

    def __enter__(self) -> Unchanged:
        self.rows, self.entries, self.files = fingerprint(), audit_count(), files_under_root()
        return self

    def check(self, what: str) -> None:
        changed = changed_between(self.rows, fingerprint())
        assert changed == [], f"{what}: changed {changed}"
        assert audit_count() == self.entries, f"{what}: wrote to the audit log"
        assert files_under_root() == self.files, f"{what}: wrote a file"

    def __exit__(self, *exc: object) -> None:
        return None


def csrf_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


# --- CSRF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_post_without_or_with_a_wrong_csrf_token_is_refused(world, case, csrf_marked):
    """ASVS 3.5: every POST needs the CSRF token (form field or X-CSRFToken) and same origin.

    The logged-in insider could do anything here, so only CSRF stands between a hostile page and
    the action. Anonymous POSTs to the public and log-in pages are refused the same way.
    """
    url = world.url_for(case)
    assert not case.csrf_exempt or case.key in urlwalk.CSRF_EXEMPT_OK, f"{case.id} is csrf_exempt"
    user = None if (case.is_public or case.is_public_by_design) else world.insider
    attempts = {
        "no token (form)": ({}, {}),
        "no token (JSON)": ({"data": "{}", "content_type": "application/json"}, {}),
        "token ≠ cookie": ({"HTTP_X_CSRFTOKEN": OTHER_SECRET}, {"csrftoken": CSRF_SECRET}),
        "token ≠ cookie (form)": (
            {"data": {"csrfmiddlewaretoken": OTHER_SECRET}}, {"csrftoken": CSRF_SECRET}
        ),
        "right token, foreign Origin": (
            {"HTTP_X_CSRFTOKEN": CSRF_SECRET, "HTTP_ORIGIN": "https://evil.example"},
            {"csrftoken": CSRF_SECRET},
        ),
        "right token, no cookie": ({"HTTP_X_CSRFTOKEN": CSRF_SECRET}, {}),
    }
    clients = {label: csrf_client(user) for label in attempts}
    with Unchanged() as unchanged:
        for label, (extra, cookies) in attempts.items():
            client = clients[label]
            for name, value in cookies.items():
                client.cookies[name] = value
            response = client.post(url, **extra)
            what = f"POST {url} ({case.id}) with {label}: {response.status_code}"
            assert response.status_code == 403, what
            assert FAILURE_HEADER in response, f"{what} was not refused by the CSRF check"
            unchanged.check(what)
    # Control: with the right token the CSRF check lets the request through.
    client = csrf_client(user)
    client.cookies["csrftoken"] = CSRF_SECRET
    response = client.post(
        url, data="{}", content_type="application/json", HTTP_X_CSRFTOKEN=CSRF_SECRET
    )
    assert FAILURE_HEADER not in response, f"{case.id}: the valid token was refused"


# --- oversized bodies --------------------------------------------------------------------------

# A view reads a JSON body if it touches request.body or hands the request to a *json*/*params*
# helper (voting.api.parse_json, meetings.views.live._params).
JSON_SOURCE = re.compile(
    r"request\.body|(?<!def )\b(?!_?wants_json\b)\w*(?:json|params)\w*\(\s*request\b"
)


def reads_json(case: Any) -> bool:
    try:
        source = inspect.getsource(inspect.unwrap(case.callback))
    except (OSError, TypeError):
        return False
    return bool(JSON_SOURCE.search(source))


JSON_CASES = [c for c in CASES if reads_json(c)]


def valid_csrf_client(user: Any) -> Client:
    client = csrf_client(user)
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_oversized_form_bodies_are_refused(world, case):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 400/413 before any view runs."""
    url = world.url_for(case)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    user = None if (case.is_public or case.is_public_by_design) else world.insider
    big_field = "x" * (limit + 1)
    bodies = {
        "urlencoded": {"data": f"a={big_field}",
                       "content_type": "application/x-www-form-urlencoded"},
        "multipart field": {"data": {"a": big_field}},
    }
    clients = {label: valid_csrf_client(user) for label in bodies}
    with Unchanged() as unchanged:
        for label, kwargs in bodies.items():
            response = clients[label].post(url, HTTP_X_CSRFTOKEN=CSRF_SECRET, **kwargs)
            what = f"POST {url} ({case.id}) {label} of {limit + 1} bytes: {response.status_code}"
            assert response.status_code in (400, 413), what
            unchanged.check(what)


def test_json_endpoints_are_found():
    """The JSON API exists and is found by the source scan (else the next test is vacuous)."""
    assert JSON_CASES, "no JSON endpoint found: check reads_json()"


@pytest.mark.parametrize("case", JSON_CASES, ids=[c.id for c in JSON_CASES])
def test_oversized_json_bodies_are_refused(world, case):
    url = world.url_for(case)
    body = '{"text": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'
    client = valid_csrf_client(world.insider)
    with Unchanged() as unchanged:
        response = client.post(
            url, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=CSRF_SECRET
        )
        what = f"POST {url} ({case.id}) JSON of {len(body)} bytes: {response.status_code}"
        assert response.status_code in (400, 413), what
        unchanged.check(what)


# --- uploads through the endpoint --------------------------------------------------------------


@pytest.fixture
def pending_item(world):
    """An item that accepts attachments: pending, in the draft meeting (free editing)."""
    from tests import factories

    draft = Meeting.objects.filter(body=world.body, status="draft").first()
    return factories.AgendaItemFactory(meeting=draft, status="pending", title="Liitteellinen")


def upload(client, item, name: str, content: bytes) -> Any:
    from django.urls import reverse

    return client.post(
        reverse("meetings:attachment_upload", args=[item.pk]),
        {"title": "", "publicity": "public", "file": SimpleUploadedFile(name, content)},
        HTTP_ACCEPT="application/json",
    )


def test_control_a_valid_upload_is_stored(world, pending_item):
    response = upload(logged_in(world.insider), pending_item, "liite.pdf", samples.pdf())
    assert response.status_code == 200, response.content
    attachment = pending_item.attachments.get()
    assert attachment.filename == "liite.pdf" and attachment.content_type == "application/pdf"


def test_uploaded_attachment_is_encrypted_at_rest(world, pending_item):
    """R9/R61/R62: what an upload leaves on disk is an AES-GCM blob, never the document."""
    from meetings import encryption, files

    secret = b"%PDF-1.7\nSALAINEN-SISALTO-123456-789A\n%%EOF\n"
    response = upload(logged_in(world.insider), pending_item, "salainen.pdf", secret)
    assert response.status_code == 200, response.content
    attachment = pending_item.attachments.get()
    [path] = [p for p in files_under_root() if p.name == attachment.storage_name]
    raw = path.read_bytes()
    assert b"SALAINEN-SISALTO" not in raw
    assert encryption.is_encrypted_blob(raw)
    assert files.read_attachment_bytes(attachment) == secret


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("c:liite.pdf", samples.pdf(), "upload.bad_name"),  # drive-relative: Django keeps it
        ("CON.pdf", samples.pdf(), "upload.bad_name"),
        ("...", samples.pdf(), "upload.bad_name"),
        ("liite.pdf", samples.exe(), "upload.type_not_allowed"),
        ("kuva.pdf", samples.png(), "upload.content_mismatch"),
        ("makro.docx", samples.docx(extra=[("word/vbaProject.bin", b"x")]),
         "upload.type_not_allowed"),
    ],
)
def test_hostile_uploads_are_refused_with_a_code(world, pending_item, name, content, code):
    client = logged_in(world.insider)
    with Unchanged() as unchanged:
        response = upload(client, pending_item, name, content)
        assert response.status_code in (400, 413), response.content
        assert response.json()["code"] == code
        unchanged.check(f"upload {name!r}")


def test_too_large_upload_is_refused(world, pending_item, settings):
    settings.KOKOUS_ATTACHMENT_MAX_BYTES = 1000
    client = logged_in(world.insider)
    with Unchanged() as unchanged:
        response = upload(client, pending_item, "iso.pdf", samples.pdf() + b"0" * 2000)
        assert response.status_code == 413
        assert response.json()["code"] == "upload.too_large"
        unchanged.check("too large upload")


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.pdf", "..\\..\\boot\\liite.pdf", "/var/lib/kokous/x.pdf"]
)
def test_traversal_in_upload_names_never_reaches_the_file_system(world, pending_item, name):
    """Django's multipart parser already drops directories; the stored name is the basename and
    the file itself is stored under a random name (validate_upload refuses what is left)."""
    response = upload(logged_in(world.insider), pending_item, name, samples.pdf())
    assert response.status_code in (200, 400), response.content
    for attachment in pending_item.attachments.all():
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert ".." not in attachment.filename
        # The file on disk is named by the random storage name, never by the client's name.
        assert not set("/\\") & set(attachment.storage_name)
        assert attachment.storage_name not in name and "passwd" not in attachment.storage_name
    root = Path(settings.PROTECTED_FILES_ROOT).resolve()
    assert all(root in p.resolve().parents for p in files_under_root())


# --- foreign ids in form fields ----------------------------------------------------------------


def test_meeting_cannot_be_created_in_another_municipalitys_body(world):
    """R63: B's secretary posts A's body id to the create form; nothing is created."""
    from django.urls import reverse

    data = {"body": str(world.body.pk), "starts_at": "2031-01-15T18:00", "place": "x",
            "method": "in_person"}
    client = logged_in(world.outsider)
    with Unchanged() as unchanged:
        response = client.post(reverse("meetings:meeting_create"), data)
        assert response.status_code in (400, 403, 404)
        unchanged.check("meeting_create with a foreign body")


def test_meeting_service_refuses_another_municipalitys_body(world):
    """The same below the form: the service checks the role itself (defence in depth)."""
    import datetime as dt

    from django.utils import timezone

    from kokous.errors import DomainError
    from meetings.services import meeting as meeting_services

    with Unchanged() as unchanged, pytest.raises(DomainError) as info:
        meeting_services.create_meeting(
            world.outsider, world.body.pk, starts_at=timezone.now() + dt.timedelta(days=30),
            place="x", method="in_person",
        )
    assert info.value.status in (403, 404), info.value.code
    unchanged.check("create_meeting with a foreign body")
