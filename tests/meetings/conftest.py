"""Fixtures for the meetings tests: a committee with members, substitutes, a secretary and a
chair with user accounts, and helpers to build meetings through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from meetings.models import Body, Meeting, MethodAuthorisation, Participant
from meetings.services import agenda, meeting, notice
from tests import factories


@dataclass
class Org:
    body: Body
    members: list[Any]
    subs: list[Any]
    secretary: Any  # User
    chair: Any  # User
    extra: dict[str, Any] = field(default_factory=dict)

    def member_user(self, i: int) -> Any:
        return self.members[i].person.user

    def sub_user(self, i: int) -> Any:
        return self.subs[i].person.user

    def new_meeting(self, days: int = 14, **kw: Any) -> Meeting:
        kw.setdefault("starts_at", timezone.now() + dt.timedelta(days=days))
        kw.setdefault("place", "Kunnantalo")
        kw.setdefault("method", "in_person")
        return meeting.create_meeting(self.secretary, self.body.pk, **kw)

    def add_item(self, m: Meeting, title: str = "Asia", **kw: Any) -> Any:
        return agenda.add_item(self.secretary, m.pk, title=title, **kw)

    def convened(self, days: int = 14, items: int = 1, **kw: Any) -> Meeting:
        m = self.new_meeting(days, **kw)
        for i in range(items):
            self.add_item(m, f"Asia {i + 1}", proposal_text=f"Ehdotus {i + 1}")
        notice.send_notice(self.secretary, m.pk)
        m.refresh_from_db()
        return m

    def participant(self, m: Meeting, membership: Any) -> Participant:
        return Participant.objects.get(meeting=m, person=membership.person)


def make_org(kind: str = "committee", seats: int = 9, methods: list[str] | None = None,
             **body_kwargs: Any) -> Org:
    body, members, subs = factories.make_body_with_members(kind=kind, seats=seats, **body_kwargs)
    if methods:
        for method in methods:
            MethodAuthorisation.objects.create(
                body=body, method=method, valid_from=factories.TERM_START
            )
    staff = factories.StaffRoleFactory(municipality=body.municipality, body=body, role="secretary")
    return Org(body=body, members=members, subs=subs, secretary=staff.person.user,
               chair=members[0].person.user)


@pytest.fixture
def org(db) -> Org:
    """A 9-member committee whose rules allow every method incl. § 100 (R1, R2)."""
    return make_org(methods=["e_procedure"])


@pytest.fixture
def council(db) -> Org:
    return make_org(kind="council", seats=27, substitutes=False)


def audit_count() -> int:
    return AuditEntry.objects.count()


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks, monkeypatch):
    """Execute on-commit callbacks (mail, checkpoints) of the block; live pushes are left out —
    the live room has its own tests, and these tests are about mail and checkpoints."""
    monkeypatch.setattr("meetings.realtime.send_event_on_commit", lambda group, event: None)

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
