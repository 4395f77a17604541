"""Organisation: quorum from body kind, access from memberships in term (R2, R15, R34, R63)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from meetings import rules
from meetings.models import BodyKind
from tests import factories


@pytest.mark.parametrize(
    ("kind", "seats", "required"),
    [
        (BodyKind.COUNCIL, 27, 18),
        (BodyKind.COUNCIL, 43, 29),
        (BodyKind.BOARD, 9, 5),
        (BodyKind.BOARD, 10, 6),
        (BodyKind.BOARD, 11, 6),
        (BodyKind.COMMITTEE, 9, 5),
    ],
)
def test_r34_quorum_threshold_follows_body_kind(db, kind, seats, required):
    """R34: council needs two thirds of seats; other bodies more than half of members."""
    body = factories.BodyFactory(kind=kind, seats=seats)
    assert body.quorum_required == required


def test_r15_council_may_never_use_e_procedure(db):
    """R15: KL 100.1 § excludes the council even if its rule claimed to allow it."""
    council = factories.BodyFactory(kind=BodyKind.COUNCIL, seats=43, methods=["e_procedure"])
    board = factories.BodyFactory(kind=BodyKind.BOARD, seats=11, methods=["e_procedure"])
    assert not council.allows("e_procedure")
    assert board.allows("e_procedure")


def test_r2_method_authorisation_has_effective_dates(db):
    """R2: the administrative rule authorises methods from a date; before it, they are refused."""
    body = factories.BodyFactory(methods=[])
    body.method_authorisations.create(
        method="electronic", valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 12, 31)
    )
    assert not body.allows("electronic", on=dt.date(2025, 12, 31))
    assert body.allows("electronic", on=dt.date(2026, 6, 1))
    assert not body.allows("electronic", on=dt.date(2027, 1, 1))


def test_r63_access_ends_with_the_term(db, client):
    """R63: a membership whose term has ended gives no access to the body or its meetings."""
    body = factories.BodyFactory()
    ended = factories.MembershipFactory(
        body=body, term_start=dt.date(2021, 6, 1), term_end=dt.date(2025, 5, 31)
    )
    current = factories.MembershipFactory(body=body)
    meeting = factories.MeetingFactory(body=body, status="convened")

    assert not rules.can_view_body(ended.person.user, body)
    assert not rules.can_view_meeting(ended.person.user, meeting)
    assert rules.can_view_meeting(current.person.user, meeting)

    client.force_login(ended.person.user)
    page = client.get(reverse("meetings:dashboard"))
    assert page.status_code == 200
    assert f"{meeting.number}/{meeting.year}" not in page.content.decode()

    client.force_login(current.person.user)
    page = client.get(reverse("meetings:dashboard"))
    assert f"{meeting.number}/{meeting.year}" in page.content.decode()


def test_r63_staff_role_scoped_to_its_municipality(db):
    """R63: a secretary of one municipality sees nothing of another municipality's bodies."""
    own = factories.BodyFactory()
    other = factories.BodyFactory()
    secretary = factories.StaffRoleFactory(municipality=own.municipality, body=None)
    user = secretary.person.user
    assert rules.can_view_body(user, own)
    assert not rules.can_view_body(user, other)
