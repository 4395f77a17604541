"""JSON endpoints and pages of the voting app.

Bad input gives a clear code and changes nothing (rows and audit entries counted); POSTs are
CSRF-protected; ballots are idempotent over HTTP (DESIGN "Realtime"); pages render for chair and
member without inline script or style (CSP). R40–R46, R12, R72.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.voting.test_voting_support import (
    audit_count,
    close_discussion,
    make_room,
    mfa_login,
)
from voting import services
from voting.models import Ballot, ElectionBallot, ElectionParticipation, Proposal, Vote

pytestmark = pytest.mark.django_db


def api(meeting_id, resource, obj_id, action) -> str:
    return reverse("voting:api_action", args=[meeting_id, resource, obj_id, action])


def post_json(client: Client, url: str, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json",
                       HTTP_ACCEPT="application/json", **extra)


def logged_in(user) -> Client:
    """A client logged in with password and MFA just now (so a chair may close votes)."""
    return mfa_login(Client(), user)


def room_with_vote(**kwargs):
    room = make_room(**kwargs)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Määrärahaa korotetaan.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    return room, services.open_vote(room.chair, m, i)


def counts():
    return (Ballot.objects.count(), Vote.objects.count(), Proposal.objects.count(),
            ElectionBallot.objects.count(), ElectionParticipation.objects.count(), audit_count())


# --- bad input changes nothing -------------------------------------------------------------------


def test_r42_unknown_option_gives_400_and_changes_nothing():
    room, vote = room_with_vote()
    client = logged_in(room.user(1))
    before = counts()
    response = post_json(client, api(room.meeting.pk, "votes", vote.pk, "ballot"),
                         {"option": "kyllä"})
    assert response.status_code == 400
    assert response.json()["code"] == "vote.unknown_option"
    assert response.json()["message"]
    assert counts() == before


def test_vote_of_another_meeting_gives_404_and_changes_nothing():
    room, vote = room_with_vote()
    other, _ = room_with_vote()
    client = logged_in(room.user(1))
    before = counts()
    response = post_json(client, api(other.meeting.pk, "votes", vote.pk, "ballot"),
                         {"option": "jaa"})
    assert response.status_code == 404
    assert response.json()["code"] == "vote.not_found"
    response = client.get(reverse("voting:api_vote", args=[other.meeting.pk, vote.pk]),
                          HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and response.json()["code"] == "vote.not_found"
    assert counts() == before


@pytest.mark.parametrize("body", ["{\"option\": ", "[\"jaa\"]", "jaa", b"\xff\xfe", "42"])
def test_malformed_json_gives_400_and_changes_nothing(body):
    room, vote = room_with_vote()
    client = logged_in(room.user(1))
    before = counts()
    response = post_json(client, api(room.meeting.pk, "votes", vote.pk, "ballot"), body)
    assert response.status_code == 400
    assert response.json()["code"] == "request.malformed_json"
    assert counts() == before


def test_unknown_action_and_wrong_method():
    room, vote = room_with_vote()
    client = logged_in(room.user(1))
    response = post_json(client, api(room.meeting.pk, "votes", vote.pk, "explode"), {})
    assert response.status_code == 404 and response.json()["code"] == "request.unknown_action"
    assert client.get(api(room.meeting.pk, "votes", vote.pk, "ballot")).status_code == 405


def test_refused_ballot_of_disqualified_member_over_http_changes_nothing():
    """R37 over the API: 403 `member.disqualified`, no ballot, no audit entry."""
    from django.utils import timezone

    from meetings.models import Disqualification

    room, vote = room_with_vote()
    Disqualification.objects.create(item=room.item, participant=room.participants[3],
                                    ground="1", declared_at=timezone.now())
    client = logged_in(room.user(3))
    before = counts()
    response = post_json(client, api(room.meeting.pk, "votes", vote.pk, "ballot"),
                         {"option": "jaa"})
    assert response.status_code == 403 and response.json()["code"] == "member.disqualified"
    assert counts() == before


# --- CSRF, auth, idempotency ---------------------------------------------------------------------


def test_posts_are_csrf_protected():
    room, vote = room_with_vote()
    client = Client(enforce_csrf_checks=True)
    client.force_login(room.user(1))
    url = api(room.meeting.pk, "votes", vote.pk, "ballot")
    assert post_json(client, url, {"option": "jaa"}).status_code == 403
    assert not Ballot.objects.exists()
    client.get(reverse("voting:vote", args=[room.meeting.pk, vote.pk]))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = post_json(client, url, {"option": "jaa"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["ok"] is True


def test_anonymous_json_client_gets_401():
    room, vote = room_with_vote()
    response = post_json(Client(), api(room.meeting.pk, "votes", vote.pk, "ballot"),
                         {"option": "jaa"})
    assert response.status_code == 401


def test_r44_resent_ballot_over_http_returns_the_same_receipt():
    """DESIGN "Realtime": a phone resends; the same ballot, the same receipt, counted once."""
    room, vote = room_with_vote()
    client = logged_in(room.user(1))
    url = api(room.meeting.pk, "votes", vote.pk, "ballot")
    first = post_json(client, url, {"option": "ei"}).json()
    entries = audit_count()
    second = post_json(client, url, {"option": "ei"}).json()
    assert first["receipt"] == second["receipt"] and first["created"] and not second["created"]
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert audit_count() == entries


def test_r40_full_flow_over_the_api():
    """R40, R41: the chair's steps and the members' actions through the JSON endpoints."""
    room = make_room(seats=3)
    m, i = room.meeting.pk, room.item.pk
    chair, alice, bob = logged_in(room.chair), logged_in(room.user(1)), logged_in(room.user(2))
    r = post_json(alice, api(m, "items", i, "propose"), {"kind": "counter", "text": "Toisin."})
    assert r.status_code == 200, r.content
    pid = r.json()["proposal"]
    assert post_json(bob, api(m, "proposals", pid, "second"), {}).status_code == 200
    for step in ("close-discussion", "state-proposals", "propose-order", "approve-order"):
        r = post_json(chair, api(m, "items", i, step), {})
        assert r.status_code == 200, (step, r.content)
    r = post_json(chair, api(m, "items", i, "open-vote"), {})
    vid = r.json()["vote"]
    for client, option in ((chair, "jaa"), (alice, "ei"), (bob, "jaa")):
        r = post_json(client, api(m, "votes", vid, "ballot"), {"option": option})
        assert r.status_code == 200
    r = post_json(chair, api(m, "votes", vid, "close"), {})
    assert r.json()["winner"] == "jaa" and r.json()["jaa"] == 2
    assert post_json(chair, api(m, "items", i, "state-decision"), {}).json()["by_vote"] is True
    assert post_json(alice, api(m, "items", i, "dissent"), {}).status_code == 200
    state = chair.get(reverse("voting:api_item", args=[m, i])).json()
    assert state["decision"]["by_vote"] and state["next"]["step"] == "close_dissent"
    assert [d["name"] for d in state["dissents"]] == [room.person(1).full_name]
    vote_state = alice.get(reverse("voting:api_vote", args=[m, vid])).json()
    assert {p["name"] for p in vote_state["vote"]["names"]["jaa"]} == {
        room.person(0).full_name, room.person(2).full_name}


def test_r41_tie_refusal_over_the_api_is_409_and_persists_the_flag():
    room, vote = room_with_vote(seats=3)
    m = room.meeting.pk
    for i, option in ((0, "tyhja"), (1, "jaa"), (2, "ei")):
        services.cast_ballot(room.user(i), m, vote.pk, option)
    r = post_json(logged_in(room.chair), api(m, "votes", vote.pk, "close"), {})
    assert r.status_code == 409 and r.json()["code"] == "vote.tie_needs_chair"
    vote.refresh_from_db()
    assert vote.needs_chair_decision and vote.status == "open"


# --- pages ---------------------------------------------------------------------------------------

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", re.I)


def test_r76_chair_console_and_member_page_render_without_inline_code():
    room, vote = room_with_vote()
    url = reverse("voting:item", args=[room.meeting.pk, room.item.pk])
    chair_page = logged_in(room.chair).get(url)
    assert chair_page.status_code == 200
    html = chair_page.content.decode()
    assert "Puheenjohtajan ohjaus" in html and "Päätä äänestys" in html
    assert not INLINE.search(html)
    member_page = logged_in(room.user(3)).get(url)
    assert member_page.status_code == 200
    assert "Puheenjohtajan ohjaus" not in member_page.content.decode()


def test_member_voting_screen_shows_both_proposals_receipt_and_voted():
    """The phone screen: both proposals in full, then after voting the receipt and
    "you have voted" (R40: jaa and ei stand for named proposals)."""
    room, vote = room_with_vote()
    client = logged_in(room.user(3))
    url = reverse("voting:vote", args=[room.meeting.pk, vote.pk])
    html = client.get(url).content.decode()
    assert vote.jaa_proposal.text in html and vote.ei_proposal.text in html
    assert 'name="option" value="jaa"' in html and not INLINE.search(html)
    response = client.post(reverse("voting:vote_action", args=[room.meeting.pk, vote.pk,
                                                                "ballot"]), {"option": "ei"})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    ballot = Ballot.objects.get(vote=vote, person=room.person(3))
    assert "Olet äänestänyt" in html and ballot.receipt in html


def test_page_error_is_shown_with_its_code():
    room, vote = room_with_vote()
    client = logged_in(room.user(1))
    url = reverse("voting:vote_action", args=[room.meeting.pk, vote.pk, "ballot"])
    response = client.post(url, {"option": "ehkä"}, follow=True)
    assert "vote.unknown_option" in response.content.decode()
    assert not Ballot.objects.exists()


def test_r12_election_page_and_secret_ballot_over_http():
    room = make_room(seats=3)
    m = room.meeting.pk
    election = services.create_election(room.chair, m, room.item.pk, title="Edustajan vaali",
                                        seats=1, closed_ballot=True)
    a = services.nominate_candidate(room.user(1), m, election.pk, name="Aino Anttila")
    services.open_election(room.chair, m, election.pk)
    client = logged_in(room.user(2))
    url = reverse("voting:election", args=[m, election.pk])
    html = client.get(url).content.decode()
    assert "Aino Anttila" in html and not INLINE.search(html)
    r = post_json(client, api(m, "elections", election.pk, "ballot"), {"candidate": a.pk})
    assert r.json() == {"ok": True, "election": election.pk, "participated": True}
    html = client.get(url).content.decode()
    assert "Olet äänestänyt tässä vaalissa." in html
    r = post_json(client, api(m, "elections", election.pk, "ballot"), {"candidate": a.pk})
    assert r.status_code == 409 and r.json()["code"] == "election.already_voted"
    assert ElectionBallot.objects.count() == 1


def test_r76_console_renders_at_every_step_of_the_flow():
    """R76: the chair console and the member's page render at each step (guided steps), with
    the step the chair is at marked, and without inline code (CSP)."""
    room = make_room(seats=3)
    m, i = room.meeting.pk, room.item.pk
    chair, member = logged_in(room.chair), logged_in(room.user(1))
    url = reverse("voting:item", args=[m, i])

    def pages(expect_step: str) -> None:
        html = chair.get(url).content.decode()
        assert not INLINE.search(html)
        assert f'action="{reverse("voting:item_action", args=[m, i, expect_step])}"' in html \
            or expect_step in ("close", "done"), expect_step
        assert member.get(url).status_code == 200

    pages("close-discussion")
    a = services.make_proposal(room.user(1), m, i, "counter", "Toisin.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    pages("state-proposals")
    services.state_proposals(room.chair, m, i)
    pages("propose-order")
    services.propose_order(room.chair, m, i)
    pages("approve-order")
    services.approve_order(room.chair, m, i)
    pages("open-vote")
    vote = services.open_vote(room.chair, m, i)
    html = chair.get(url).content.decode()
    assert reverse("voting:vote_action", args=[m, vote.pk, "close"]) in html
    for k, option in ((0, "jaa"), (1, "ei"), (2, "jaa")):
        services.cast_ballot(room.user(k), m, vote.pk, option)
    services.close_vote(room.chair, m, vote.pk)
    pages("state-decision")
    services.state_decision(room.chair, m, i)
    pages("close-dissent")
    html = member.get(url).content.decode()
    assert reverse("voting:item_action", args=[m, i, "dissent"]) in html  # proposer may dissent
    response = member.post(reverse("voting:item_action", args=[m, i, "dissent"]), follow=True)
    assert "dissent-reasons" in response.content.decode()
    services.close_dissent_window(room.chair, m, i)
    assert "Asian käsittely on päättynyt." in chair.get(url).content.decode()


def test_election_pages_render_for_chair_and_member_in_every_state():
    room = make_room(seats=3)
    m = room.meeting.pk
    chair, member = logged_in(room.chair), logged_in(room.user(1))
    r = chair.post(reverse("voting:item_action", args=[m, room.item.pk, "create-election"]),
                   {"title": "Vaali", "seats": "1", "kind": "proportional",
                    "closed_ballot": "1"})
    assert r.status_code == 302
    from voting.models import Election

    election = Election.objects.get()
    url = reverse("voting:election", args=[m, election.pk])
    assert r["Location"] == url
    for client in (chair, member):
        html = client.get(url).content.decode()
        assert client.get(url).status_code == 200 and not INLINE.search(html)
    chair.post(reverse("voting:election_action", args=[m, election.pk, "add-list"]),
               {"name": "Lista A"})
    member.post(reverse("voting:election_action", args=[m, election.pk, "nominate"]),
                {"name": "Aino Anttila", "list": str(election.lists.get().pk)})
    chair.post(reverse("voting:election_action", args=[m, election.pk, "open"]))
    for client in (chair, member):
        assert client.get(url).status_code == 200
    member.post(reverse("voting:election_action", args=[m, election.pk, "ballot"]),
                {"candidate": str(election.candidates.get().pk)})
    chair.post(reverse("voting:election_action", args=[m, election.pk, "close"]))
    election.refresh_from_db()
    assert election.status == "closed"
    html = member.get(url).content.decode()
    assert "Aino Anttila" in html and election.seed_hex in html and not INLINE.search(html)
