"""Stored XSS: hostile text in every text field, then every page rendered and parsed (ASVS V1
encoding and sanitisation, V3 web front-end; R9, R60).

The field list is data-driven: every CharField/TextField/URLField without choices of the
`meetings`, `voting` and `minutes` models, minus `NOT_RENDERED` (identifiers and codes that no page
shows as text). Rich-text fields (`RICH_TEXT`) are stored the way the services store them,
through `meetings.html.sanitize_html`. A field added by anyone is poisoned automatically.

The pages are every GET endpoint of the URL conf, as a user with every role in the municipality
and, for public pages, anonymously. A page fails if its HTML holds a script element that is not
a static file or a JSON data block, an `on*` event-handler attribute, a `javascript:` (or
`vbscript:`/`data:text/html`) URL, or an `<object>`/`<embed>`/`<base>` element.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils.html import escape

from meetings.html import sanitize_html
from tests.security import urlwalk
from tests.security.conftest import logged_in
from tests.security.world import PROJECT_APPS, body_text

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "js-url": "javascript:alert(1)",
    "js-url-spaced": " JaVaScRiPt:alert(1)",
    "svg": "<svg onload=alert(1)>",
    "single-quote": "'><a href=javascript:alert(1)>x</a>",
}
#: Rich text: stored through sanitize_html by the services, rendered with |safe.
RICH_TEXT = {"meetings.agendaitem.description", "meetings.agendaitem.public_description"}
#: Fields that are identifiers, digests or codes: never rendered as text, or parsed as data.
NOT_RENDERED = {
    "meetings.municipality.slug", "meetings.municipality.business_id",
    "meetings.municipality.audit_origin", "meetings.body.slug",
    "meetings.body.table_threshold_fraction", "meetings.attachment.storage_name",
    "meetings.attachment.sha256", "meetings.attachment.content_type",
    "meetings.agendaitem.appeal_kind", "meetings.agendaitem.transfer_reason",
    "meetings.rollcall.kind", "meetings.presenceinterval.start_reason",
    "meetings.presenceinterval.end_reason", "meetings.meetingtransition.event",
    "meetings.agendaamendment.kind", "meetings.noticedelivery.recipient_role",
    "meetings.noticedelivery.email", "meetings.disqualification.body_decision",
    "voting.ballot.salt", "voting.ballot.receipt", "voting.ballotrevision.receipt",
    "voting.election.seed_commitment", "voting.election.seed_hex", "voting.vote.winner",
}
DANGEROUS_SCHEMES = re.compile(r"^(javascript|vbscript|data:text/html)", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                  "background", "srcdoc", "ping", "cite"}
FORBIDDEN_ELEMENTS = {"object", "embed", "base", "applet"}
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def xss_fields() -> list[tuple[type[models.Model], models.Field]]:
    found = []
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            for f in model._meta.concrete_fields:
                label = f"{model._meta.label_lower}.{f.name}"
                if f.choices or label in NOT_RENDERED or isinstance(f, models.SlugField):
                    continue
                if isinstance(f, models.CharField | models.TextField):
                    found.append((model, f))
    return found


def poison(payload: str) -> list[str]:
    """Write `payload` into every rendered text field of every row; returns the field labels."""
    done = []
    for model, f in xss_fields():
        label = f"{model._meta.label_lower}.{f.name}"
        value = sanitize_html(payload) if label in RICH_TEXT else payload
        if isinstance(f, models.EmailField):
            continue
        if f.max_length and len(value) > f.max_length:
            continue
        model._default_manager.update(**{f.name: value})
        done.append(label)
    return done


class ExecutableMarkup(HTMLParser):
    """Collects what a browser would execute (the test's definition of XSS)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._script: dict[str, str] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name.lower(): (value or "") for name, value in attrs}
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            cleaned = re.sub(r"[\x00-\x20]", "", value)
            if name in URL_ATTRIBUTES and DANGEROUS_SCHEMES.match(cleaned):
                self.problems.append(f"<{tag} {name}={value!r}>")
        refresh = tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh"
        if refresh and "javascript" in attributes.get("content", "").lower():
            self.problems.append("<meta refresh javascript>")
        if tag == "script":
            self._script, self._script_text = attributes, []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            attrs, text = self._script, "".join(self._script_text).strip()
            self._script = None
            if attrs.get("type", "").lower() in DATA_SCRIPT_TYPES:
                return
            if text:
                self.problems.append(f"inline <script>{text[:60]}</script>")
            src = attrs.get("src", "")
            if src and not src.startswith(settings.STATIC_URL):
                self.problems.append(f"<script src={src!r}>")


def executable_markup(html: str) -> list[str]:
    parser = ExecutableMarkup()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_the_detector_detects():
    """Control: the parser finds each payload when it is not escaped."""
    for payload in PAYLOADS.values():
        html = f'<a href="{payload}">x</a>' if "javascript" in payload.lower() and "<" not in \
            payload else f"<p>{payload}</p>"
        assert executable_markup(html), payload
    assert not executable_markup(f'<script src="{settings.STATIC_URL}js/live.js"></script>')
    assert not executable_markup('<script type="application/json">{"a": 1}</script>')


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_sanitize_html_neutralises_payloads(payload):
    cleaned = sanitize_html(f"<p>{payload}</p><a href='{payload}'>linkki</a>")
    assert executable_markup(cleaned) == [], cleaned


def test_field_list_covers_the_obvious_fields():
    labels = {f"{m._meta.label_lower}.{f.name}" for m, f in xss_fields()}
    assert {
        "meetings.agendaitem.title", "meetings.agendaitem.description",
        "meetings.person.first_name", "meetings.person.last_name",
        "meetings.proposalversion.text", "meetings.meeting.place", "meetings.meeting.video_url",
        "meetings.attachment.title", "meetings.attachment.filename",
    } <= labels
    assert set(NOT_RENDERED) <= {
        f"{m._meta.label_lower}.{f.name}" for app in PROJECT_APPS
        for m in apps.get_app_config(app).get_models() for f in m._meta.concrete_fields
    }, "NOT_RENDERED names a field that no longer exists"


GET_CASES = urlwalk.cases()


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_no_page_executes_stored_payloads(world, payload):
    poisoned = poison(payload)
    assert len(poisoned) > 20, poisoned
    viewers: list[tuple[str, Client]] = [("member", logged_in(world.insider)),
                                         ("anonymous", Client(raise_request_exception=False))]
    viewers[0][1].raise_request_exception = False
    failures: list[str] = []
    rendered = shown = 0
    escaped = escape(payload)
    for case in GET_CASES:
        url = world.url_for(case)
        for who, client in viewers:
            if who == "anonymous" and not (case.is_public or case.is_public_by_design):
                continue
            response = client.get(url)
            if response.status_code >= 500:
                failures.append(f"{who} GET {url}: {response.status_code} with payload")
                continue
            if "html" not in response.get("Content-Type", "") or response.status_code != 200:
                continue
            rendered += 1
            text = body_text(response)
            shown += escaped in text
            failures += [f"{who} GET {url}: {p}" for p in executable_markup(text)]
    assert rendered > 10, f"only {rendered} pages rendered: is the world right?"
    assert shown > 5, f"the payload (escaped) is on only {shown} pages: are the fields rendered?"
    assert failures == [], "\n".join(failures)
