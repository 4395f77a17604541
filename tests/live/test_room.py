"""The live room over HTTP and its services: state by role, idempotent actions, the floor queue,
the chair's blocking checks, removal, notes, connection drops during votes (R5, R10, R13, R35,
R40, R72, R73, R76, R77)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from kokous.errors import DomainError
from meetings.live import connections, console, floor, rollcall
from meetings.models import ConnectionState, Participant
from meetings.models.live import FloorRequest, LiveConnection, SecretaryNote
from tests import factories
from tests.live.scenario import (
    make_live_meeting,
    open_with_present,
    run_to_open_vote,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run after-commit work (snapshot rebuilds) as a real request would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def client_for(user, *, csrf: bool = False) -> Client:
    c = Client(enforce_csrf_checks=csrf)
    c.force_login(user)
    return c


def act(c: Client, meeting_id: int, action: str, key: str | None = None, **params):
    headers = {"HTTP_ACCEPT": "application/json"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return c.post(reverse("live:action", args=[meeting_id, action]), params, **headers)


def test_state_json_gives_each_role_its_part(commit):
    """R5: members follow; the chair and secretary also get the roster (R13, R77)."""
    lm = commit(lambda: open_with_present(make_live_meeting(members=3)))
    url = reverse("live:state", args=[lm.meeting.pk])
    member = client_for(lm.user(1)).get(url).json()
    assert member["snapshot"]["meeting"]["status"] == "in_session"
    assert member["me"]["participant"] == lm.members[1].pk and member["me"]["decides"]
    assert "chair" not in member
    chair = client_for(lm.chair_user).get(url).json()
    assert {r["id"] for r in chair["chair"]["roster"]} >= {p.pk for p in lm.members}
    secretary = client_for(lm.secretary_user).get(url).json()
    assert secretary["me"]["is_secretary"] and "chair" in secretary
    outsider = factories.MembershipFactory().person.user
    assert client_for(outsider).get(url).status_code == 404
    assert Client().get(url, HTTP_ACCEPT="application/json").status_code == 401


def test_room_page_is_server_rendered_and_works_without_script(commit):
    lm = commit(lambda: open_with_present(make_live_meeting(members=3)))
    commit(console.perform, lm.chair_user, lm.meeting.pk, "item.open", {"item": lm.item.pk})
    page = client_for(lm.user(1)).get(reverse("live:room", args=[lm.meeting.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert lm.item.title in html and "Pyydä puheenvuoroa" in html
    assert 'src="https://meet.jit.si/kokous-testi"' in html  # Jitsi embedded
    assert "<script>" not in html  # CSP: no inline script, only JSON data blocks
    # A plain form post (no JavaScript) works and redirects back to the room.
    c = client_for(lm.user(1))
    response = c.post(reverse("live:action", args=[lm.meeting.pk, "floor.request"]),
                      {"kind": "speech", "idempotency_key": "nojs-1"})
    assert response.status_code == 302
    assert FloorRequest.objects.filter(participant=lm.members[1]).count() == 1


def test_actions_need_csrf(commit):
    lm = commit(lambda: open_with_present(make_live_meeting(members=3)))
    c = client_for(lm.user(1), csrf=True)
    assert act(c, lm.meeting.pk, "attend.remote").status_code == 403


def test_actions_are_idempotent_by_key_and_by_nature(commit):
    """A resend (same key) changes nothing and gets the same answer (DESIGN "Realtime")."""
    lm = commit(lambda: open_with_present(make_live_meeting(members=4)))
    mid = lm.meeting.pk
    commit(console.perform, lm.chair_user, mid, "item.open", {"item": lm.item.pk})
    c = client_for(lm.user(1))
    first = commit(act, c, mid, "proposal.make", "k-1", item=lm.item.pk, kind="counter",
                   text="Vastaehdotus")
    again = commit(act, c, mid, "proposal.make", "k-1", item=lm.item.pk, kind="counter",
                   text="Vastaehdotus")
    assert first.status_code == again.status_code == 200
    assert first.json()["proposal"] == again.json()["proposal"] and again.json()["replayed"]
    from voting.models import Proposal, Seconding

    assert Proposal.objects.filter(item=lm.item).count() == 1
    # The same key for another action is refused, not silently replayed.
    assert commit(act, c, mid, "attend.remote", "k-1").status_code == 409
    # Natural idempotency without a key: one open request, one seconding.
    commit(act, c, mid, "floor.request", kind="speech")
    commit(act, c, mid, "floor.request", kind="speech")
    assert FloorRequest.objects.filter(participant=lm.members[1]).count() == 1
    c2 = client_for(lm.user(2))
    proposal = first.json()["proposal"]
    assert commit(act, c2, mid, "proposal.second", proposal=proposal).json()["ok"]
    assert commit(act, c2, mid, "proposal.second", proposal=proposal).json()["ok"]
    assert Seconding.objects.filter(proposal_id=proposal).count() == 1
    # A refusal is an error code, and it is replayed the same way.
    c3 = client_for(lm.secretary_user)
    refused = commit(act, c3, mid, "floor.request", "s-1", kind="speech")
    assert refused.status_code == 403 and refused.json()["code"] == "live.no_speech_right"
    assert commit(act, c3, mid, "floor.request", "s-1", kind="speech").json()["code"] == (
        "live.no_speech_right"
    )


def test_ballot_resend_counts_once_with_the_same_receipt(commit):
    """R41, R44: one ballot per member; the receipt comes back on a resend."""
    lm = commit(run_to_open_vote, members=4)
    vote = lm.meeting.votes.get()
    c = client_for(lm.user(3))
    first = commit(act, c, lm.meeting.pk, "ballot.cast", "b-1", vote=vote.pk, option="jaa")
    second = commit(act, c, lm.meeting.pk, "ballot.cast", vote=vote.pk, option="jaa")
    assert first.json()["receipt"] == second.json()["receipt"]
    assert vote.ballots.count() == 1
    state = client_for(lm.user(3)).get(reverse("live:state", args=[lm.meeting.pk])).json()
    assert state["me"]["ballot"]["receipt"] == first.json()["receipt"]
    assert state["snapshot"]["voting"]["vote"]["cast"] == 1


def test_floor_queue_replies_first_and_the_chair_grants(commit, settings):
    """R10: the chair leads; replies (vastauspuheenvuoro) are heard before the next speech."""
    lm = commit(lambda: open_with_present(make_live_meeting(members=4)))
    mid = lm.meeting.pk
    commit(console.perform, lm.chair_user, mid, "item.open", {"item": lm.item.pk})
    r1, _ = floor.request_floor(lm.user(1), mid, "speech")
    r2, _ = floor.request_floor(lm.user(2), mid, "speech")
    with pytest.raises(DomainError) as no_speaker:
        floor.request_floor(lm.user(3), mid, "reply")
    assert no_speaker.value.code == "live.reply_needs_speaker"
    with pytest.raises(DomainError) as not_chair:
        floor.grant_floor(lm.user(1), mid)
    assert not_chair.value.code == "live.chair_only"
    granted = floor.grant_floor(lm.chair_user, mid)
    assert granted.pk == r1.pk and granted.status == "speaking"
    reply, _ = floor.request_floor(lm.user(3), mid, "reply")
    nxt = floor.grant_floor(lm.chair_user, mid)
    assert nxt.pk == reply.pk and nxt.time_limit_seconds == 60
    r1.refresh_from_db()
    assert r1.status == "done" and r1.ended_at is not None
    floor.end_floor(lm.chair_user, mid)
    assert floor.grant_floor(lm.chair_user, mid, time_limit=120).pk == r2.pk
    assert {e.action for e in AuditEntry.objects.filter(action__startswith="floor.")} >= {
        "floor.requested", "floor.granted", "floor.ended",
    }
    # Closing the discussion ends the speech and empties the queue.
    floor.request_floor(lm.user(1), mid, "speech")
    commit(console.perform, lm.chair_user, mid, "item.close_discussion", {"item": lm.item.pk})
    assert not FloorRequest.objects.filter(meeting=lm.meeting, status__in=["queued", "speaking"])


def test_a_member_who_is_not_present_cannot_ask_for_the_floor(commit):
    lm = commit(lambda: open_with_present(make_live_meeting(members=4)))
    commit(console.perform, lm.chair_user, lm.meeting.pk, "item.open", {"item": lm.item.pk})
    p = lm.members[3]
    Participant.objects.filter(pk=p.pk).update(connection_state=ConnectionState.REJOINED,
                                               mode="remote")
    with pytest.raises(DomainError) as refused:
        floor.request_floor(lm.user(3), lm.meeting.pk, "speech")
    assert refused.value.code == "live.not_present"


def test_chair_console_explains_the_blocking_checks(commit):
    """R35, R76: no vote without quorum — the console says so before the service refuses."""
    lm = commit(run_to_open_vote, members=5)
    vote = lm.meeting.votes.get()
    for i in range(5):
        commit(console.perform, lm.user(i), lm.meeting.pk, "ballot.cast",
               {"vote": vote.pk, "option": "ei"})
    commit(console.perform, lm.chair_user, lm.meeting.pk, "vote.close", {"vote": vote.pk})
    state = client_for(lm.chair_user).get(reverse("live:state", args=[lm.meeting.pk])).json()
    keys = [s["key"] for s in state["chair"]["steps"]]
    assert "decision" in keys
    # Three members leave: no quorum, so stating the decision is blocked and refused.
    from meetings.services import attendance

    for i in (2, 3, 4):
        commit(attendance.check_out, lm.chair_user, lm.meeting.pk, lm.members[i].pk)
    state = client_for(lm.chair_user).get(reverse("live:state", args=[lm.meeting.pk])).json()
    step = next(s for s in state["chair"]["steps"] if s["key"] == "decision")
    assert step["actions"][0]["blocked"]
    with pytest.raises(DomainError) as refused:
        console.perform(lm.chair_user, lm.meeting.pk, "decision.state", {"item": lm.item.pk})
    assert refused.value.code == "meeting.no_quorum"


def test_drop_during_a_vote_stops_it_closing_by_itself_and_chair_drop_pauses(commit):
    """R72: a voter's drop during the vote needs the chair's choice; the chair's drop pauses."""
    lm = commit(run_to_open_vote, members=5, remote=(0, 3))
    vote = lm.meeting.votes.get()
    member = lm.members[3]
    connections.socket_opened(member.pk, "chan-a")
    assert connections.socket_closed("chan-a") == member.pk
    assert commit(connections.drop_if_gone, member.pk, at=timezone.now())
    vote.refresh_from_db()
    assert vote.needs_chair_decision and vote.status == "open"
    with pytest.raises(DomainError) as refused:
        console.perform(lm.chair_user, lm.meeting.pk, "vote.close", {"vote": vote.pk})
    assert refused.value.code == "vote.needs_chair_decision"
    with pytest.raises(DomainError) as cannot_vote:
        console.perform(member.person.user, lm.meeting.pk, "ballot.cast",
                        {"vote": vote.pk, "option": "jaa"})
    assert cannot_vote.value.code == "member.not_present"
    # The chair's own connection drops: the vote pauses (R72).
    connections.socket_opened(lm.chair.pk, "chan-chair")
    connections.socket_closed("chan-chair")
    commit(connections.drop_if_gone, lm.chair.pk, at=timezone.now())
    vote.refresh_from_db()
    assert vote.status == "paused"


def test_closing_one_of_two_tabs_is_not_a_drop(commit):
    lm = commit(lambda: open_with_present(make_live_meeting(members=3), remote=(1,)))
    p = lm.members[1]
    connections.socket_opened(p.pk, "tab-1")
    connections.socket_opened(p.pk, "tab-2")
    connections.socket_closed("tab-1")
    assert not connections.drop_if_gone(p.pk, at=timezone.now())
    p.refresh_from_db()
    assert p.connection_state == ConnectionState.CONNECTED and p.is_present


def test_sweeper_disconnects_the_participants_of_a_dead_worker(commit):
    """A worker killed mid-meeting leaves socket rows; the sweep ends them at the last
    heartbeat (R72) so the roster and quorum are right."""
    lm = commit(lambda: open_with_present(make_live_meeting(members=3), remote=(1,)))
    p = lm.members[1]
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    connections.socket_opened(p.pk, "dead-worker!abc", at=long_ago)
    assert commit(connections.sweep) == [p.pk]
    p.refresh_from_db()
    assert p.connection_state == ConnectionState.DISCONNECTED and not p.is_present
    assert not LiveConnection.objects.filter(participant=p).exists()


def test_remote_join_confirmation_and_removal(commit):
    """R13: remote participants are confirmed by the chair or secretary; R10: removal."""
    lm = commit(lambda: make_live_meeting(members=4))
    mid = lm.meeting.pk
    p = lm.members[2]
    commit(console.perform, p.person.user, mid, "attend.remote", {})
    with pytest.raises(DomainError) as not_connected:
        rollcall.confirm_identity(lm.secretary_user, mid, p.pk)
    assert not_connected.value.code == "live.not_connected"
    connections.socket_opened(p.pk, "chan-p")
    p.refresh_from_db()
    assert p.mode == "remote" and p.connection_state == ConnectionState.CONNECTED
    assert not p.is_present
    with pytest.raises(DomainError) as member_cannot:
        rollcall.confirm_identity(lm.user(1), mid, p.pk)
    assert member_cannot.value.code == "live.chair_or_secretary"
    commit(rollcall.confirm_identity, lm.secretary_user, mid, p.pk)
    p.refresh_from_db()
    assert p.is_present and p.identity_confirmed_by_id == lm.secretary_user.pk
    commit(lambda: open_with_present_rest(lm, skip=p.pk))
    commit(console.perform, lm.chair_user, mid, "participant.remove",
           {"participant": p.pk, "reason": "Häiritsevä käytös"})
    p.refresh_from_db()
    assert p.removed and not p.is_present
    assert AuditEntry.objects.filter(action="attendance.removed").exists()
    room = client_for(p.person.user).get(reverse("live:room", args=[mid]))
    assert room.status_code == 403


def open_with_present_rest(lm, *, skip):
    from meetings.services import meeting as meeting_services
    from tests.live.scenario import make_present

    for member in lm.members:
        if member.pk != skip:
            make_present(member)
    meeting_services.open_meeting(lm.chair_user, lm.meeting.pk, "Laillinen.")


def test_secretary_keeps_notes_for_the_minutes(commit):
    """R77."""
    lm = commit(lambda: open_with_present(make_live_meeting(members=3)))
    c = client_for(lm.secretary_user)
    assert commit(act, c, lm.meeting.pk, "note.add", "n-1", text="Jäsen X saapui klo 17.05.",
                  item=lm.item.pk).json()["ok"]
    assert SecretaryNote.objects.get().item_id == lm.item.pk
    refused = commit(act, client_for(lm.user(1)), lm.meeting.pk, "note.add", text="x")
    assert refused.json()["code"] == "live.secretary_only"


def test_unknown_action_and_malformed_body(commit):
    lm = commit(lambda: open_with_present(make_live_meeting(members=3)))
    c = client_for(lm.user(1))
    assert act(c, lm.meeting.pk, "vote.rig").json()["code"] == "live.unknown_action"
    response = c.post(reverse("live:action", args=[lm.meeting.pk, "floor.request"]),
                      "{nope", content_type="application/json", HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["code"] == "request.malformed_json"
