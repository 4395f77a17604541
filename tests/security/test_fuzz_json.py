"""Fuzzing the JSON request parsing of every JSON endpoint: nothing a client sends gives a 500.

The JSON endpoints are found in the URL conf (views whose source reads `request.body` /
`json.loads` / `parse_json`, see test_bad_input.reads_json), so a new JSON endpoint is fuzzed
without editing this file. Requests go through the CSRF check with a valid token, as in
production. ASVS 5.0 V2/V4 (input validation, API); R60 (TiHL 13 §: tested robustness).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.test_bad_input import CSRF_SECRET, JSON_CASES

#: Keys the JSON actions read; fuzzed values go under them as well as under random keys.
KNOWN_KEYS = [
    "option", "kind", "text", "procedural_kind", "method", "plan", "plan_text", "distances",
    "step", "reasons", "title", "seats", "closed_ballot", "personal_substitutes", "choice", "note",
    "name", "person", "substitute_name", "substitute_person", "list", "candidate", "id",
    "idempotency_key", "version", "position", "comment",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=10), inner, max_size=5),
    max_leaves=15,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=6).map(
        lambda v: json.dumps(v).encode()
    ),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)

NASTY_BODIES = {
    "invalid utf-8": b'{"text": "\xff\xfe"}',
    "nan": b'{"option": NaN, "step": Infinity}',
    "huge int": b'{"step": ' + b"9" * 5000 + b"}",
    "deep nesting": b"[" * 30_000 + b"]" * 30_000,
    "deep object": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "not an object": b'["option", "jaa"]',
    "null": b"null",
    "lone surrogate": b'{"text": "\\ud800"}',
    "nul": b'{"text": "a\\u0000b"}',
    "duplicate keys": b'{"option": "jaa", "option": "ei"}',
    "bom": b'\xef\xbb\xbf{"option": "jaa"}',
    "key not a string": b'{"idempotency_key": true}',
    "key an object": b'{"idempotency_key": {"a": 1}}',
    "option a list": b'{"option": ["jaa"], "choice": {"x": 1}}',
    "text a number": b'{"text": 5, "reasons": false, "note": [], "name": 1.5}',
    "ids wrong type": b'{"step": "x", "person": "1; DROP TABLE x", "list": -1, "candidate": 1e308}',
    "seats huge": b'{"seats": 99999999999999999999, "title": "x"}',
}


def client_for(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


def post(client: Client, url: str, body: bytes, content_type: str = "application/json") -> Any:
    return client.post(url, data=body, content_type=content_type, HTTP_X_CSRFTOKEN=CSRF_SECRET,
                       HTTP_ACCEPT="application/json")


def _one_per_view(cases: list[Any]) -> list[Any]:
    """The parser belongs to the view: one case per view function is enough for fixed bodies."""
    seen: dict[Any, Any] = {}
    for case in cases:
        seen.setdefault(case.callback, case)
    return list(seen.values())


JSON_VIEWS = _one_per_view(JSON_CASES)


#: Open findings (strict xfails, docs/security-notes.md): (test, view key, variant) → reason.
#: (F3, voting.api.parse_json crashing on deep nesting and on multipart bodies, was fixed;
#: F7, a non-string idempotency key reaching meetings/live/idempotency.run, was fixed.)
KNOWN_FINDINGS: dict[tuple[str, str, str], str] = {}


def params(test: str, variants: Any) -> list[Any]:
    """(case, variant) pairs; a known finding is a strict xfail (it must keep failing)."""
    result = []
    for case in JSON_VIEWS:
        for variant in variants:
            reason = KNOWN_FINDINGS.get((test, case.key, variant))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            result.append(pytest.param(case, variant, marks=marks, id=f"{case.key}-{variant}"))
    return result


def test_there_are_json_endpoints_to_fuzz():
    assert JSON_CASES


@pytest.mark.parametrize(("case", "label"), params("nasty", NASTY_BODIES))
def test_nasty_json_bodies_never_crash(world, case, label):
    response = post(client_for(world.insider), world.url_for(case), NASTY_BODIES[label])
    assert response.status_code < 500, f"{case.id} with {label}: {response.status_code}"
    if response.status_code == 400:
        assert "code" in response.json()


@pytest.mark.parametrize(
    ("case", "content_type"),
    params("content-type", ["multipart/form-data; boundary=BoUnDaRy",
                            "application/x-www-form-urlencoded", "text/plain"]),
)
def test_json_endpoints_with_other_content_types_never_crash(world, case, content_type):
    """A browser form or a confused client posting form data to the JSON API gets a 4xx."""
    body = b'--BoUnDaRy\r\nContent-Disposition: form-data; name="option"\r\n\r\njaa\r\n' \
        b"--BoUnDaRy--\r\n" if content_type.startswith("multipart") else b"option=jaa"
    response = post(client_for(world.insider), world.url_for(case), body, content_type)
    assert response.status_code < 500, f"{case.id} as {content_type}: {response.status_code}"


@pytest.mark.skipif(not JSON_CASES, reason="no JSON endpoint")
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=st.sampled_from(JSON_CASES), body=bodies, as_member=st.booleans())
def test_fuzzed_json_never_gives_500(world, case, body, as_member):
    """Arbitrary bytes and arbitrary JSON, as a member and as a user of another municipality."""
    user = world.insider if as_member else world.outsider
    response = post(client_for(user), world.url_for(case), body)
    assert response.status_code < 500, f"{case.id} with {body[:80]!r}: {response.status_code}"
    assert response["Content-Type"].startswith("application/json"), case.id
