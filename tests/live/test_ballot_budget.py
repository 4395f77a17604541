"""The query budget of one ballot POST on the served path (docs/performance-live.md).

85 or 300 members vote in the same second, so every query of the ballot path is paid that many
times; these budgets pin what was removed (repeated meeting and membership lookups, the ballot
lookup before the insert, savepoints, the ballot count per ballot, the model ordering's joins).
Counted with the project's middleware and a committed transaction, as a request runs it: the
session, the user, MFA, the vote's locks, the member's checks, the ballot, the audit entry.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.live.scenario import run_to_open_vote
from voting.models import Ballot

pytestmark = pytest.mark.django_db(transaction=True)

# BEGIN and COMMIT are counted as queries. PostgreSQL: session, user, BEGIN, advisory lock, the
# vote with meeting, body and item (one join), the member's participant row with person and
# "holds a seat now" (one query, `visible_voter_row`), disqualified?, INSERT, audit (up to 3),
# COMMIT. MFA is looked up once a minute per session, not per request
# (`meetings.mfa.request_has_mfa`). SQLite has no lock statement but writes the audit entry in
# up to five statements.
FIRST = {"postgresql": 12, "sqlite": 13}  # was 24 on PostgreSQL, then 16
# A resend: the INSERT finds the ballot, which is then read (locked); no audit entry.
RESEND = {"postgresql": 10, "sqlite": 9}


@pytest.fixture
def pushes(monkeypatch):
    """The meeting-changed marks a request leaves. Under the ASGI server they only schedule the
    coalesced snapshot push on the event loop (`meetings.realtime`), outside the request; here,
    without a server loop, they would rebuild inside it, so they are recorded instead."""
    from meetings import realtime

    marks: list[tuple[int, str]] = []
    monkeypatch.setattr(realtime, "mark_changed", lambda mid, kind="changed": marks.append(
        (mid, kind)))
    return marks


@pytest.fixture
def voting_room(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lm = run_to_open_vote(members=5, remote=tuple(range(5)))
    return lm, lm.meeting.votes.get()


def ballot_post(client: Client, meeting_id: int, vote_id: int, option: str):
    return client.post(
        reverse("live:action", args=[meeting_id, "ballot.cast"]),
        {"vote": vote_id, "option": option}, HTTP_ACCEPT="application/json",
    )


def test_one_ballot_post_stays_within_its_query_budget(
    voting_room, pushes, django_assert_max_num_queries
):
    lm, vote = voting_room
    client = Client()
    client.force_login(lm.user(3))
    client.get(reverse("live:state", args=[lm.meeting.pk]))  # the page load stamps the session
    with django_assert_max_num_queries(FIRST[connection.vendor]):
        first = ballot_post(client, lm.meeting.pk, vote.pk, "jaa")
    assert first.status_code == 200 and first.json()["created"] is True
    assert pushes == [(lm.meeting.pk, "vote.progress")]
    with django_assert_max_num_queries(RESEND[connection.vendor]):
        again = ballot_post(client, lm.meeting.pk, vote.pk, "jaa")
    assert again.json()["receipt"] == first.json()["receipt"] and not again.json()["created"]
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert pushes == [(lm.meeting.pk, "vote.progress")]  # a resend changes nothing


def test_a_ballot_for_a_meeting_the_user_cannot_see_is_not_found(voting_room):
    """The view leaves the meeting lookup to the voting service for ballots: the outsider still
    learns nothing (R63) and nothing is written."""
    from tests import factories

    lm, vote = voting_room
    outsider = factories.PersonFactory().user  # has MFA, no role in this body
    client = Client()
    client.force_login(outsider)
    response = ballot_post(client, lm.meeting.pk, vote.pk, "jaa")
    assert response.status_code == 404 and response.json()["code"] == "vote.not_found"
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_member_whose_seat_has_ended_cannot_cast_a_ballot_r63(voting_room):
    """The one-query voter lookup (`visible_voter_row`) keeps the access rule: a participant
    row alone, without a current seat or another right to the meeting, is not access."""
    import datetime as dt

    from django.utils import timezone

    lm, vote = voting_room
    member = lm.members[3]
    membership = member.membership
    membership.term_end = timezone.localdate() - dt.timedelta(days=1)
    membership.save(update_fields=["term_end"])
    client = Client()
    client.force_login(lm.user(3))
    response = ballot_post(client, lm.meeting.pk, vote.pk, "jaa")
    assert response.status_code == 404 and response.json()["code"] == "vote.not_found"
    assert not Ballot.objects.filter(vote=vote).exists()
