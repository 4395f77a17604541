"""The HTTP endpoints of spec section 5 and the auditor's page (R62, R64, R78).

Public: key, checkpoint, consistency proofs (hashes only). Auditors only: entries, inclusion
proofs, the export download (itself logged, R64) and the lookup page.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import resolve, reverse

from audit import merkle, store
from audit.checkpoints import sign_checkpoint
from audit.models import AuditEntry
from audit.verify import verify_bundle
from tests import factories
from tests.audit import support

PUBLIC = ["audit:key", "audit:checkpoint", "audit:consistency_proof"]
AUDITORS_ONLY = ["audit:entries", "audit:inclusion_proof", "audit:index", "audit:download"]


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path):
    return support.use_test_key(settings, tmp_path)


@pytest.fixture
def auditor(db, settings):
    """An auditor (*tarkastaja*) of the municipality whose log this installation keeps."""
    role = factories.StaffRoleFactory(
        role="auditor", municipality__audit_origin=settings.AUDIT_LOG_ORIGIN
    )
    return role.person.user


@pytest.fixture
def secretary(db):
    return factories.StaffRoleFactory(role="secretary").person.user


@pytest.fixture
def log(db):
    support.append(13, obj="item:88", action="item.handled")
    return sign_checkpoint()


def published_key(client) -> str:
    response = client.get(reverse("audit:key"))
    assert response.status_code == 200
    return response.content.decode()


def error(response) -> str:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message"} and body["message"]
    return body["code"]


def test_r62_views_are_public_or_auditor_only_as_the_spec_says():
    """R62, spec section 5: exactly key, checkpoint and consistency are public."""
    for name in PUBLIC:
        assert getattr(resolve(reverse(name)).func, "kokous_public", False), name
    for name in AUDITORS_ONLY:
        assert not getattr(resolve(reverse(name)).func, "kokous_public", False), name


def test_r62_key_is_public_and_parses(client, log, settings):
    """R62: anyone can fetch the verifier key line."""
    response = client.get(reverse("audit:key"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.endswith("\n") and text.count("\n") == 1
    key = merkle.parse_verifier_key(text)
    assert key.name == settings.AUDIT_LOG_ORIGIN


def test_r62_checkpoint_is_public_and_verifies(client, log):
    """R62: anyone can fetch the newest checkpoint and check its signature."""
    support.append(2)
    newest = sign_checkpoint()
    response = client.get(reverse("audit:checkpoint"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    origin, size, root = merkle.verify_note(response.content, published_key(client))
    assert (size, root) == (newest.size, store.root(newest.size))


def test_r78_consistency_proof_is_public_and_verifies(client, log):
    """R78: anyone holding an old checkpoint can check the log only grew."""
    key = published_key(client)
    old = merkle.verify_note(client.get(reverse("audit:checkpoint")).content, key)
    support.append(8)
    sign_checkpoint()
    new = merkle.verify_note(client.get(reverse("audit:checkpoint")).content, key)
    response = client.get(reverse("audit:consistency_proof"), {"from": old.size, "to": new.size})
    assert response.status_code == 200
    proof = merkle.parse_consistency_proof_json(response.json())
    assert (proof.old_size, proof.new_size) == (old.size, new.size)
    assert merkle.verify_consistency(old.size, new.size, old.root, new.root, proof.hashes)


@pytest.mark.parametrize(
    "params",
    [{}, {"from": "x", "to": "3"}, {"from": "-1", "to": "3"}, {"from": "5", "to": "3"},
     {"from": "1", "to": "999999"}, {"from": "01", "to": "3"}],
)
def test_r62_consistency_bad_params(client, log, params):
    response = client.get(reverse("audit:consistency_proof"), params)
    assert response.status_code == 400
    assert error(response) == "audit.bad_range"


def test_r64_entries_need_login(client, log):
    """R64: entries reveal who did what; anonymous users are sent to log in."""
    url = reverse("audit:entries")
    assert client.get(url, {"start": 0, "end": 3}).status_code == 302
    as_json = client.get(url, {"start": 0, "end": 3}, HTTP_ACCEPT="application/json")
    assert as_json.status_code == 401


@pytest.mark.parametrize("name", ["audit:entries", "audit:inclusion_proof"])
def test_r64_non_auditors_get_403(client, log, secretary, name):
    """R64: a logged-in member or secretary is not an auditor."""
    client.force_login(secretary)
    response = client.get(reverse(name), {"start": 0, "end": 1, "index": 0, "size": 1})
    assert response.status_code == 403
    assert error(response) == "audit.forbidden"
    assert "tarkastajien" in response.json()["message"]  # Finnish by default


def test_r78_entries_are_the_exact_stored_bytes(client, log, auditor):
    """R78: each line is exactly the leaf bytes; nothing is re-serialised."""
    client.force_login(auditor)
    size = store.current_size()
    response = client.get(reverse("audit:entries"), {"start": 2, "end": size})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jsonl")
    assert response.content == b"".join(e + b"\n" for e in support.stored_entries()[2:size])
    empty = client.get(reverse("audit:entries"), {"start": 4, "end": 4})
    assert empty.status_code == 200 and empty.content == b""


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": "a", "end": "3"}, "audit.bad_range"),
        ({"start": "0"}, "audit.bad_range"),
        ({"start": "4", "end": "3"}, "audit.bad_range"),
        ({"start": "0", "end": "1000"}, "audit.bad_range"),
        ({"start": "0", "end": "10001"}, "audit.range_too_large"),
        ({"start": "5", "end": "100000005"}, "audit.range_too_large"),
    ],
)
def test_r62_entries_bad_ranges(client, log, auditor, params, code):
    client.force_login(auditor)
    response = client.get(reverse("audit:entries"), params)
    assert response.status_code == 400
    assert error(response) == code


def test_r62_inclusion_proof_verifies_against_the_checkpoint(client, log, auditor):
    """R62: an auditor can prove an entry is in the signed log."""
    client.force_login(auditor)
    key = published_key(client)
    cp = merkle.verify_note(client.get(reverse("audit:checkpoint")).content, key)
    entries = support.stored_entries()
    for index in (0, 5, cp.size - 1):
        response = client.get(reverse("audit:inclusion_proof"), {"index": index, "size": cp.size})
        assert response.status_code == 200
        proof = merkle.parse_inclusion_proof_json(response.json())
        assert proof.leaf_hash == merkle.leaf_hash(entries[index])
        assert merkle.verify_inclusion(index, cp.size, proof.leaf_hash, proof.hashes, cp.root)


@pytest.mark.parametrize(
    "params",
    [{"index": "0"}, {"index": "13", "size": "13"}, {"index": "0", "size": "0"},
     {"index": "0", "size": "99999"}, {"index": "1.0", "size": "3"}],
)
def test_r62_inclusion_bad_params(client, log, auditor, params):
    client.force_login(auditor)
    response = client.get(reverse("audit:inclusion_proof"), params)
    assert response.status_code == 400
    assert error(response) == "audit.bad_range"


def test_r62_missing_key_is_a_clear_503(client, log, settings, tmp_path):
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "missing.key"
    response = client.get(reverse("audit:key"))
    assert response.status_code == 503
    assert error(response) == "audit.unavailable"


def test_r64_auditor_page_shows_checkpoint_key_and_lookup(client, log, auditor):
    """R64: the auditor sees the checkpoint and key and looks up an object's entries."""
    client.force_login(auditor)
    response = client.get(reverse("audit:index"), {"object": "item:88"})
    assert response.status_code == 200
    html = response.content.decode()
    assert log.key in html and "Uusin allekirjoitettu tarkistuspiste" in html
    assert html.count("item.handled") == 13
    assert html.count("Todennettu") == 13 and "EI TODENNETTU" not in html
    assert "<script" not in html and "style=" not in html  # CSP: no inline script or style


def test_r64_auditor_page_marks_entries_after_the_checkpoint(client, log, auditor):
    client.force_login(auditor)
    support.append(1, obj="item:88", action="item.handled")
    html = client.get(reverse("audit:index"), {"object": "item:88"}).content.decode()
    assert "Ei vielä tarkistuspisteen kattama." in html
    bad = client.get(reverse("audit:index"), {"object": "ei kelpaa"}).content.decode()
    assert "tyyppi:tunniste" in bad


def test_r64_auditor_page_is_for_auditors_only(client, log, secretary):
    assert client.get(reverse("audit:index")).status_code == 302
    client.force_login(secretary)
    assert client.get(reverse("audit:index")).status_code == 403
    assert client.get(reverse("audit:download")).status_code == 403


def test_r64_export_download_verifies_and_is_logged(client, log, auditor, tmp_path):
    """R64: the bundle verifies offline, and downloading it is itself an audit entry."""
    client.force_login(auditor)
    response = client.get(reverse("audit:download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        archive.extractall(tmp_path / "bundle")
    (folder,) = (tmp_path / "bundle").iterdir()
    result = verify_bundle(folder)
    assert result.ok, result.message
    exported = AuditEntry.objects.get(action="audit.exported")
    fields = json.loads(bytes(exported.entry))
    assert fields["actor"] == f"user:{auditor.pk}"
    assert fields["data"] == {"size": result.size, "via": "web"}
    assert exported.seq == result.size  # recorded right after the checkpoint it exported


def test_r62_proofs_cost_a_constant_number_of_queries(client, log, auditor):
    """R62, spec section 6: a proof is O(log n) hashes fetched in at most two queries, so the
    request's query count does not grow with the log."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(auditor)

    def queries(params: dict, name: str = "audit:inclusion_proof") -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name), params).status_code == 200
        return len(captured)

    # The first request of a session also refreshes the idle-timeout stamp (session write);
    # warm up so that only the proof's own queries are compared.
    queries({"index": 4, "size": 13})
    small = queries({"index": 5, "size": 13})
    small_consistency = queries({"from": 5, "to": 13}, "audit:consistency_proof")
    support.append(300)
    size = store.current_size()
    assert queries({"index": 200, "size": size}) == small
    assert queries({"from": 77, "to": size}, "audit:consistency_proof") == small_consistency
