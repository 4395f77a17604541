"""Every routed endpoint refuses anonymous users and users of another municipality.

R5, R13, R63 (TiHL 16 §: access by task), R9/R65 (confidential content), ASVS V8 authorization.
The endpoint list is generated from the URL conf (`urlwalk.cases()`), so new endpoints — and new
actions of dispatching endpoints — are exercised automatically; exceptions are the reviewed lists
in `urlwalk.py`, and known open findings are strict xfails listed in docs/security-notes.md.

Each endpoint gets a GET, an empty form POST and an empty JSON POST (`{}`).

The refusal rule for a user of another municipality: 403, 404 or 405 — or a same-site redirect
that ends in one — and nothing changed. A 400 is accepted only when the very same request
against ids that do not exist gets the very same answer: the input was rejected before the
object was looked at, so the answer reveals nothing about municipality A. Any other answer
(200, 409, a 400 that differs) tells the outsider something about A's objects.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse

from tests.security import urlwalk
from tests.security.conftest import logged_in
from tests.security.world import (
    MARKER,
    SECRET,
    audit_count,
    body_text,
    changed_between,
    fingerprint,
)

ENDPOINTS = urlwalk.endpoints()
CASES = urlwalk.cases()
IDS = [e.key for e in ENDPOINTS]
ANONYMOUS_REFUSALS = {302, 401, 403, 404, 405}
OUTSIDER_REFUSALS = {403, 404, 405}
SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("get", {}),
    ("post", {}),
    ("post", {"data": "{}", "content_type": "application/json"}),
]

#: Open findings: (test, case id) → "owner: what". Each is a strict xfail (it must keep failing
#: until fixed; then remove it here and from docs/security-notes.md). F1 (audit log readable by
#: auditors of other municipalities) and F2 (voting state checked before the right) were fixed.
KNOWN_FINDINGS: dict[tuple[str, str], str] = {}


def cases_for(test: str, cases: list[Any]) -> list[Any]:
    marked = []
    for case in cases:
        reason = KNOWN_FINDINGS.get((test, case.id))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        marked.append(pytest.param(case, marks=marks, id=case.id))
    return marked


def describe(case: Any, method: str, url: str, response: Any, shape: dict[str, Any]) -> str:
    location = response.get("Location", "")
    body = " (JSON body)" if shape else ""
    return (
        f"{method.upper()}{body} {url} ({case.id}, {case.module}) answered "
        f"{response.status_code}{' → ' + location if location else ''}"
    )


def follow_redirects(client: Client, response: Any, hops: int = 3) -> tuple[Any, list[str]]:
    """Follow same-site redirects with GET: a refusal may be a redirect to a page that refuses.

    (e.g. "error as a flash message, back to the meeting page", which then answers 404.)
    """
    chain: list[str] = []
    while response.status_code in (301, 302, 303, 307, 308) and len(chain) < hops:
        location = response["Location"]
        if not location.startswith("/") or location.startswith("//"):
            break
        chain.append(location)
        response = client.get(location)
    return response, chain


def resolves_to_per_user(path: str) -> bool:
    match = resolve(path.split("?", 1)[0])
    key = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    return key in urlwalk.PER_USER_VIEWS


def test_the_walker_sees_the_whole_url_conf():
    """Sanity: included apps are walked (allauth, audit, meetings) and nothing is unnamed."""
    keys = set(IDS)
    assert {"account_login", "meetings:dashboard", "meetings:public_home"} <= keys
    assert any(k.startswith("audit:") for k in keys)
    assert all(e.name for e in ENDPOINTS), [e.route for e in ENDPOINTS if not e.name]


def test_public_views_are_the_reviewed_ones():
    """A view marked public is a security decision: it must be reviewed and listed."""
    marked = {e.key for e in ENDPOINTS if e.is_public}
    unreviewed = marked - set(urlwalk.PUBLIC_VIEWS)
    assert not unreviewed, (
        f"views marked @public_page but not reviewed in tests/security/urlwalk.py PUBLIC_VIEWS: "
        f"{sorted(unreviewed)}"
    )
    stale = set(urlwalk.PUBLIC_VIEWS) - marked
    assert not stale, f"PUBLIC_VIEWS lists views that are not (or no longer) public: {stale}"


def test_allow_lists_name_existing_views():
    keys = set(IDS)
    for listing in (urlwalk.PUBLIC_BY_DESIGN, urlwalk.PER_USER_VIEWS, urlwalk.QUERY_STRINGS,
                    INSIDER_404_OK):
        assert set(listing) <= keys, sorted(set(listing) - keys)


@pytest.mark.parametrize("case", cases_for("anonymous", CASES))
def test_anonymous_user_is_refused_or_sees_only_public_data(world, case):
    """R13: without a login only public pages answer, and they never show non-public data."""
    url = world.url_for(case)
    open_to_all = case.is_public or case.is_public_by_design
    login = reverse(settings.LOGIN_URL)
    before, entries = fingerprint(), audit_count()
    for method, shape in SHAPES:
        response = getattr(Client(), method)(url, **shape)
        text = body_text(response)
        what = describe(case, method, url, response, shape)
        assert response.status_code < 500, what
        assert SECRET not in text, f"{what}: shows confidential content to an anonymous user"
        changed = changed_between(before, fingerprint())
        assert changed == [], f"{what}: changed data in {changed}"
        assert audit_count() == entries, f"{what}: wrote to the audit log"
        if open_to_all:
            continue
        assert response.status_code in ANONYMOUS_REFUSALS, f"{what}: not refused"
        assert MARKER not in text, f"{what}: shows the municipality's data"
        if response.status_code == 302:
            assert response["Location"].startswith(login), f"{what}: redirect is not to log in"


@pytest.mark.parametrize("case", cases_for("outsider", CASES))
def test_user_of_another_municipality_is_refused(world, case):
    """R63/TiHL 16 §: every role in municipality B gives nothing in municipality A."""
    url = world.url_for(case)
    client, oracle_client = logged_in(world.outsider), logged_in(world.outsider)
    before, entries = fingerprint(), audit_count()
    for method, shape in SHAPES:
        response = getattr(client, method)(url, **shape)
        text = body_text(response)
        what = describe(case, method, url, response, shape)
        assert response.status_code < 500, what
        if case.is_public:
            assert SECRET not in text, f"{what}: public page shows confidential content"
            continue
        assert MARKER not in text, f"{what}: shows municipality A's data to B's user"
        if case.is_per_user:
            continue
        final, chain = follow_redirects(client, response)
        what += "".join(f" → {hop} {final.status_code}" for hop in chain[-1:])
        assert MARKER not in body_text(final), f"{what}: shows municipality A's data"
        if final.status_code == 400:
            oracle = getattr(oracle_client, method)(
                world.url_for(case, missing=True), **shape
            )
            assert (oracle.status_code, oracle.content) == (400, final.content), (
                f"{what}: a 400 that depends on A's object ({body_text(final)[:200]}); "
                f"for missing ids: {oracle.status_code} {body_text(oracle)[:120]}"
            )
        else:
            assert final.status_code in OUTSIDER_REFUSALS or (
                chain and final.status_code == 200 and resolves_to_per_user(chain[-1])
            ), f"{what}: expected 403/404 ({body_text(final)[:200]})"
        changed = changed_between(before, fingerprint())
        assert changed == [], f"{what}: changed data in {changed}"
        assert audit_count() == entries, f"{what}: wrote to the audit log"


GUARDED = [c for c in CASES if not (c.is_public or c.is_per_user)]


@pytest.mark.parametrize("case", cases_for("outsider-json", GUARDED))
def test_outsider_json_client_is_refused_too(world, case):
    """JSON clients (Accept: application/json) of another municipality get 403/404, not data."""
    url = world.url_for(case)
    response = logged_in(world.outsider).get(url, HTTP_ACCEPT="application/json")
    what = describe(case, "get", url, response, {})
    assert response.status_code in OUTSIDER_REFUSALS, what
    assert MARKER not in body_text(response), what


@pytest.mark.parametrize("case", cases_for("insider", CASES))
def test_insider_reaches_the_view(world, case):
    """Control: the URL built for A's objects is right (else the refusals above prove nothing).

    A user with every role in A must not get 404 or 500 on GET; 405 (POST-only) and 400/409
    (state or input not fitting the generic world) are fine here.
    """
    url = world.url_for(case)
    response = logged_in(world.insider).get(url)
    what = describe(case, "get", url, response, {})
    assert response.status_code < 500, what
    if case.key in INSIDER_404_OK:
        return
    assert response.status_code != 404, f"{what}: wrong object ids in tests/security/world.py?"


#: GET views that answer 404 even to a user with every role in A, with the reason.
INSIDER_404_OK: dict[str, str] = {
    "account_confirm_email": "the walker's key is invalid on purpose",
    "account_reset_password_from_key": "the walker's key is invalid on purpose",
    "mfa_view_recovery_codes": "the test user has no recovery codes",
    "mfa_download_recovery_codes": "the test user has no recovery codes",
    "mfa_remove_webauthn": "the walker passes the user's TOTP authenticator, not a WebAuthn key",
    "mfa_edit_webauthn": "the walker passes the user's TOTP authenticator, not a WebAuthn key",
    "minutes:public_minutes": "the world has no published minutes (publishing renders and seals "
    "a PDF/A); the public version is tested in tests/minutes",
    "minutes:public_pdf": "the world has no published minutes (see above)",
}
