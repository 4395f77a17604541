"""Step-up authentication for the chair's closing of votes and elections (ASVS L3 for voting;
R41, R44, R76): without an MFA authentication newer than `KOKOUS_STEP_UP_SECONDS` the close is
refused with `auth.step_up_required` and the URL of allauth's reauthentication, and nothing
changes; after reauthenticating with the second factor it succeeds. The same helper
(`meetings.step_up`) guards checking the minutes (R50)."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.voting.test_voting_support import (
    audit_count,
    close_discussion,
    make_room,
    mfa_login,
)
from voting import services
from voting.models import Election, Vote

pytestmark = pytest.mark.django_db

STALE = 3600.0  # logged in with MFA an hour ago


def api(meeting_id, resource, obj_id, action) -> str:
    return reverse("voting:api_action", args=[meeting_id, resource, obj_id, action])


def post_json(client: Client, url: str, body: dict | None = None):
    return client.post(url, data=body or {}, content_type="application/json",
                       HTTP_ACCEPT="application/json")


def current_totp() -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(factories.TEST_TOTP_SECRET, counter))


def room_with_ballots():
    room = make_room(seats=3)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Toisin.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    vote = services.open_vote(room.chair, m, i)
    for k, option in ((0, "jaa"), (1, "ei"), (2, "jaa")):
        services.cast_ballot(room.user(k), m, vote.pk, option)
    return room, vote


def test_closing_a_vote_without_recent_mfa_is_refused_then_succeeds_after_reauthentication():
    room, vote = room_with_ballots()
    m = room.meeting.pk
    chair = mfa_login(Client(), room.chair, age=STALE)
    before = audit_count()
    response = post_json(chair, api(m, "votes", vote.pk, "close"))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "auth.step_up_required"
    assert body["reauthenticate_url"].startswith(reverse("mfa_reauthenticate") + "?next=")
    vote.refresh_from_db()
    assert vote.status == "open" and vote.closed_at is None and vote.winner == ""
    assert audit_count() == before
    # allauth's reauthentication with the second factor, then the same request succeeds.
    assert chair.get(body["reauthenticate_url"]).status_code == 200
    back = chair.post(body["reauthenticate_url"], {"code": current_totp()})
    assert back.status_code == 302
    closed = post_json(chair, api(m, "votes", vote.pk, "close"))
    assert closed.status_code == 200, closed.content
    assert closed.json()["winner"] == "jaa"
    assert Vote.objects.get(pk=vote.pk).status == "closed"


def test_step_up_age_is_the_setting(settings):
    """`KOKOUS_STEP_UP_SECONDS`: an MFA authentication older than it does not count."""
    settings.KOKOUS_STEP_UP_SECONDS = 60
    room, vote = room_with_ballots()
    stale = post_json(mfa_login(Client(), room.chair, age=120),
                      api(room.meeting.pk, "votes", vote.pk, "close"))
    assert stale.json()["code"] == "auth.step_up_required"
    fresh = post_json(mfa_login(Client(), room.chair, age=30),
                      api(room.meeting.pk, "votes", vote.pk, "close"))
    assert fresh.status_code == 200


def test_the_vote_page_sends_the_chair_through_reauthentication_and_back():
    room, vote = room_with_ballots()
    m = room.meeting.pk
    chair = mfa_login(Client(), room.chair, age=STALE)
    page = reverse("voting:vote", args=[m, vote.pk])
    response = chair.post(reverse("voting:vote_action", args=[m, vote.pk, "close"]),
                          {"next": page})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert Vote.objects.get(pk=vote.pk).status == "open"
    back = chair.post(response["Location"], {"code": current_totp()})
    assert back.status_code == 302 and back["Location"] == page
    chair.post(reverse("voting:vote_action", args=[m, vote.pk, "close"]), {"next": page})
    assert Vote.objects.get(pk=vote.pk).status == "closed"


def test_closing_an_election_needs_the_step_up_too():
    room = make_room(seats=3)
    m = room.meeting.pk
    election = services.create_election(room.chair, m, room.item.pk, title="Vaali", seats=1)
    services.nominate_candidate(room.user(1), m, election.pk, name="Aino Anttila")
    services.open_election(room.chair, m, election.pk)
    election = Election.objects.get(pk=election.pk)
    services.cast_election_ballot(room.user(1), m, election.pk,
                                  election.candidates.get().pk)
    stale_chair = mfa_login(Client(), room.chair, age=STALE)
    before = audit_count()  # after logging in, which is audited too
    refused = post_json(stale_chair, api(m, "elections", election.pk, "close"))
    assert refused.status_code == 403 and refused.json()["code"] == "auth.step_up_required"
    assert Election.objects.get(pk=election.pk).status == "open"
    assert audit_count() == before
    ok = post_json(mfa_login(Client(), room.chair), api(m, "elections", election.pk, "close"))
    assert ok.status_code == 200, ok.content
    assert Election.objects.get(pk=election.pk).status == "closed"
