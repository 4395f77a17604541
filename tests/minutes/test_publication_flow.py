"""Publication of the minutes (KL 140 §, R52, R53, R67, R68, R57): the public version at a
stable URL hides confidential matters and redacted personal data, shows the notification date
and appeal deadlines, and loses the remaining personal data when the appeal period ends — by
the maintenance command and by the check on each read."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from meetings.models import MeetingStatus
from minutes import selectors
from minutes.models import Minutes
from minutes.samples import PRIVATE_HETU, PRIVATE_NAME
from minutes.services import workflow
from tests.minutes.conftest import pdf_text
from tests.minutes.test_builder import CONFIDENTIAL_TEXT, run_meeting
from tests.minutes.test_workflow import env  # noqa: F401 — fixture

pytestmark = pytest.mark.django_db(transaction=False)


def published(s) -> Minutes:
    m = s.meeting.pk
    workflow.build_minutes(s.secretary, m)
    proposals = selectors.redaction_proposals(s.secretary, m, [PRIVATE_NAME])
    assert {p["kind"] for p in proposals} == {"hetu", "name"}
    for p in proposals:
        scope = "public" if p["kind"] == "hetu" else "after_appeal"
        workflow.add_redaction(s.secretary, m, p["item_id"], p["field"], p["start"], p["end"],
                               p["kind"], scope)
    for k in (1, 3):
        workflow.assign_checker(s.secretary, m, s.room.person(k).pk)
    workflow.build_minutes(s.secretary, m)
    for k in (1, 3):
        workflow.approve_minutes(s.room.user(k), m, recent_mfa=True)
    workflow.sign_minutes(s.room.chair, m)
    workflow.attest_minutes(s.secretary, m)
    return workflow.publish_minutes(s.secretary, m)


def urls(minutes: Minutes) -> tuple[str, str]:
    body = minutes.meeting.body
    args = [body.municipality.slug, body.slug, minutes.meeting_id]
    return (reverse("minutes:public_minutes", args=args),
            reverse("minutes:public_pdf", args=args))


def removals(minutes: Minutes) -> int:
    return AuditEntry.objects.filter(
        object=f"minutes:{minutes.pk}", action="minutes.personal_data_removed"
    ).count()


@pytest.mark.parametrize("path", ["maintenance_command", "page_read"])
def test_r52_r53_r67_public_minutes_and_personal_data_removal(env, path):  # noqa: F811
    s = run_meeting(confidential=True)
    minutes = published(s)
    s.meeting.refresh_from_db()
    assert s.meeting.status == MeetingStatus.PUBLISHED
    page_url, pdf_url = urls(minutes)
    anonymous = Client()

    # During the appeal period: no confidential text, no henkilötunnus; the name needed for
    # tiedonsaanti is shown (R52); the notification date is publication + 7 days (R53).
    html = anonymous.get(page_url).content.decode()
    assert CONFIDENTIAL_TEXT not in html and PRIVATE_HETU not in html
    assert PRIVATE_NAME in html
    assert "Salassa pidettävän asian käsittely" in html
    notified = minutes.published_on + dt.timedelta(days=7)
    assert f"{notified.day}.{notified.month}.{notified.year}" in html
    response = anonymous.get(pdf_url)
    assert response["X-Robots-Tag"] == "noindex"
    text = pdf_text(response.content)
    assert CONFIDENTIAL_TEXT not in text and PRIVATE_HETU not in text
    assert "Koulukiinteistöjen korjausmääräraha" in text
    listing = anonymous.get(reverse("minutes:public_list", args=urls_args(minutes)[:2]))
    assert page_url in listing.content.decode()
    assert removals(minutes) == 0

    # After the appeal period (14 + 7 days, rolled over): the personal data are gone (R52).
    with time_machine.travel(timezone.now() + dt.timedelta(days=40), tick=True):
        if path == "maintenance_command":
            out = StringIO()
            call_command("publish_minutes_maintenance", stdout=out)
            assert "1 updated" in out.getvalue()
            assert removals(minutes) == 1
        html = anonymous.get(page_url).content.decode()
        assert removals(minutes) == 1  # the read found (or did) the removal — audited once
        assert PRIVATE_NAME not in html and PRIVATE_HETU not in html
        assert CONFIDENTIAL_TEXT not in html
        text = pdf_text(anonymous.get(pdf_url).content)
        assert PRIVATE_NAME not in text and CONFIDENTIAL_TEXT not in text
        out = StringIO()
        call_command("publish_minutes_maintenance", stdout=out)
        assert "0 updated" in out.getvalue()
    minutes.refresh_from_db()
    assert minutes.personal_data_removed_at is not None


def urls_args(minutes: Minutes) -> list:
    body = minutes.meeting.body
    return [body.municipality.slug, body.slug]


def test_r51_unpublished_minutes_are_not_public(env):  # noqa: F811
    """R51: minutes are public only after checking and signing; before that no public URL."""
    s = run_meeting()
    workflow.build_minutes(s.secretary, s.meeting.pk)
    minutes = Minutes.objects.get(meeting=s.meeting)
    page_url, pdf_url = urls(minutes)
    anonymous = Client()
    assert anonymous.get(page_url).status_code == 404
    assert anonymous.get(pdf_url).status_code == 404
