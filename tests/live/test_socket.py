"""The meeting socket on the full ASGI application (origin check, session auth, consumer):
pushes after service changes, refusals, hardening, logout, dropped connections (R5, R13, R64,
R72; ASVS 5.0 V7.4, V4.4)."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from kokous.asgi import application
from meetings.models import ConnectionState, Participant, PresenceInterval
from tests import factories
from tests.live.scenario import make_live_meeting, open_with_present, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1")


@pytest.fixture(autouse=True)
async def close_thread_connections():
    """The ORM calls of these tests run in asgiref's sync thread; close its connection after
    each test so PostgreSQL can drop the test database at the end."""
    yield
    from django.db import connections

    await sync_to_async(connections.close_all)()


def socket_for(meeting_id: int, cookie: str | None) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, f"/ws/meetings/{meeting_id}/", headers=headers)


async def receive_until(comm: WebsocketCommunicator, predicate, timeout: float = 3.0):
    """Messages until one satisfies `predicate`; returns it (fails on timeout)."""
    import json

    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for a matching message"
        output = await comm.receive_output(timeout=left)
        if output["type"] == "websocket.close":
            return output
        message = json.loads(output["text"])
        if predicate(message):
            return message


def open_meeting(lm, *, remote=()):
    return open_with_present(lm, remote=remote)


async def test_member_receives_state_after_a_service_change():
    """R5 3 point: every participant follows the proceedings — a change reaches the socket."""
    lm = await sync_to_async(lambda: open_meeting(make_live_meeting(members=3)))()
    cookie = await sync_to_async(session_cookie)(lm.user(1))
    comm = socket_for(lm.meeting.pk, cookie)
    connected, _ = await comm.connect()
    assert connected

    from meetings.services import items

    await sync_to_async(items.open_item)(lm.chair_user, lm.item.pk)
    message = await receive_until(
        comm, lambda m: m.get("type") == "state" and "item.opened" in m["events"]
    )
    assert message["snapshot"]["item"]["id"] == lm.item.pk
    assert message["snapshot"]["item"]["status"] == "in_discussion"
    assert message["v"] >= 1
    await comm.disconnect()


async def test_outsider_and_anonymous_are_refused_and_foreign_origin_too():
    lm = await sync_to_async(lambda: make_live_meeting(members=3))()
    outsider = await sync_to_async(lambda: factories.MembershipFactory().person.user)()
    comm = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(outsider))
    connected, code = await comm.connect()
    assert not connected and code == 4403
    comm = socket_for(lm.meeting.pk, None)
    connected, code = await comm.connect()
    assert not connected and code == 4401
    member_cookie = await sync_to_async(session_cookie)(lm.user(1))
    evil = WebsocketCommunicator(
        application, f"/ws/meetings/{lm.meeting.pk}/",
        headers=[(b"origin", b"https://evil.example"),
                 (b"cookie", f"sessionid={member_cookie}".encode())],
    )
    connected, _ = await evil.connect()
    assert not connected


async def test_oversized_frame_closes_with_1009():
    lm = await sync_to_async(lambda: make_live_meeting(members=3))()
    comm = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(lm.user(1)))
    assert (await comm.connect())[0]
    await comm.send_to(text_data='{"type": "ping", "pad": "' + "x" * 5000 + '"}')
    output = await comm.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": 1009}


async def test_malformed_json_is_answered_not_fatal_and_flooding_closes_with_4429():
    lm = await sync_to_async(lambda: make_live_meeting(members=3))()
    comm = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(lm.user(1)))
    assert (await comm.connect())[0]
    await comm.send_to(text_data="{not json")
    assert await comm.receive_json_from(timeout=2) == {"type": "error", "code": "socket.malformed"}
    await comm.send_to(text_data='["a list"]')
    assert await comm.receive_json_from(timeout=2) == {"type": "error", "code": "socket.malformed"}
    await comm.send_json_to({"type": "subscribe", "group": "meeting.1"})
    assert await comm.receive_json_from(timeout=2) == {
        "type": "error", "code": "socket.unknown_type"
    }
    # Still alive after the errors.
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_json_from(timeout=2) == {"type": "pong"}
    for _ in range(25):
        await comm.send_json_to({"type": "ping"})
    output = await receive_until(comm, lambda m: False, timeout=3)
    assert output == {"type": "websocket.close", "code": 4429}


async def test_logout_closes_the_users_socket_within_one_second():
    """ASVS 7.4.1: logging out ends the session everywhere, including open sockets."""
    lm = await sync_to_async(lambda: make_live_meeting(members=3))()

    def login():
        client = Client()
        client.force_login(lm.user(1))
        return client, client.cookies[settings.SESSION_COOKIE_NAME].value

    client, cookie = await sync_to_async(login)()
    comm = socket_for(lm.meeting.pk, cookie)
    assert (await comm.connect())[0]
    from django.urls import reverse

    response = await sync_to_async(client.post)(reverse("account_logout"))
    assert response.status_code in (200, 302)
    # The close was sent when the logout committed; it reaches the socket within a second.
    output = await receive_until(comm, lambda m: False, timeout=1.0)
    assert output == {"type": "websocket.close", "code": 4001}


async def test_dropped_socket_marks_the_participant_disconnected_and_alerts_the_chair():
    """R72: the member leaves at the drop (audited), the chair is alerted, quorum recomputed;
    on return the member is *rejoined* until the chair re-confirms (R13)."""
    from audit.models import AuditEntry

    lm = await sync_to_async(lambda: open_meeting(make_live_meeting(members=4), remote=(2,)))()
    member = lm.members[2]
    chair = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(lm.chair_user))
    assert (await chair.connect())[0]
    comm = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(member.person.user))
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "ping", "v": 0})
    pong = await receive_until(comm, lambda m: m.get("type") == "pong")
    assert isinstance(pong["v"], int)
    await comm.disconnect()

    alert = await receive_until(chair, lambda m: m.get("type") == "alert", timeout=3)
    assert alert["kind"] == "disconnected" and alert["participant"] == member.pk
    snapshot = await receive_until(
        chair, lambda m: m.get("type") == "chair"
        and any(a["kind"] == "disconnected" for a in m["chair"]["alerts"]), timeout=3,
    )
    assert snapshot["chair"]["alerts"][0]["participant"] == member.pk

    def check_dropped():
        p = Participant.objects.get(pk=member.pk)
        assert p.connection_state == ConnectionState.DISCONNECTED
        assert not p.is_present
        interval = PresenceInterval.objects.filter(participant=p).latest("started_at")
        assert interval.ended_at is not None and interval.end_reason == "disconnected"
        entry = AuditEntry.objects.filter(action="attendance.disconnected").get()
        assert entry.object == f"participant:{member.pk}"
        assert b'"was_present":1' in bytes(entry.entry)

    await sync_to_async(check_dropped)()

    back = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(member.person.user))
    assert (await back.connect())[0]
    alert = await receive_until(chair, lambda m: m.get("type") == "alert", timeout=3)
    assert alert["kind"] == "rejoined"
    state = await sync_to_async(lambda: Participant.objects.get(pk=member.pk).connection_state)()
    assert state == ConnectionState.REJOINED

    from meetings.live import rollcall

    await sync_to_async(rollcall.confirm_identity)(lm.chair_user, lm.meeting.pk, member.pk)

    def check_back():
        p = Participant.objects.get(pk=member.pk)
        assert p.connection_state == ConnectionState.CONNECTED and p.is_present
        assert PresenceInterval.objects.filter(participant=p, ended_at__isnull=True).count() == 1
        assert AuditEntry.objects.filter(action="attendance.rejoined").count() == 1

    await sync_to_async(check_back)()
    await back.disconnect()
    await chair.disconnect()


async def test_ballots_are_coalesced_into_few_pushes_with_the_final_count():
    """85 ballots must not mean 85 × 85 messages: one snapshot per change window."""
    from tests.live.scenario import run_to_open_vote

    lm = await sync_to_async(lambda: run_to_open_vote(members=9))()
    comm = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(lm.user(1)))
    assert (await comm.connect())[0]
    from meetings.live import voting_bridge

    vote_id = await sync_to_async(lambda: lm.meeting.votes.get().pk)()

    async def cast(i):
        await sync_to_async(voting_bridge.cast_ballot)(lm.user(i), lm.meeting.pk, vote_id, "jaa")

    # Let the set-up's own snapshot go out first, then vote. (A timed-out receive would stop
    # the consumer, so look before taking.)
    while not await comm.receive_nothing(timeout=0.6):
        await comm.receive_json_from()
    await asyncio.gather(*(cast(i) for i in range(9)))
    pushes, cast_seen = [], 0
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and cast_seen < 9:
        if await comm.receive_nothing(timeout=0.2):
            continue
        message = await comm.receive_json_from()
        if message.get("type") == "progress":
            pushes.append(message)
            cast_seen = message["cast"]
        elif message.get("type") == "state" and message["snapshot"]["voting"]:
            pushes.append(message)
            cast_seen = message["snapshot"]["voting"]["vote"]["cast"]
    assert cast_seen == 9
    assert len(pushes) < 9
    # Ballot-only windows push a small progress message, not the whole snapshot.
    assert any(m["type"] == "progress" for m in pushes)
    await comm.disconnect()


async def test_silent_socket_goes_degraded_then_is_closed(settings):
    """R72: heartbeats drive the state: no ping → degraded; a ping → connected; long silence →
    the server closes the socket and the participant is disconnected."""
    settings.KOKOUS_LIVE = {"DROP_GRACE_SECONDS": 0.1, "DEGRADED_AFTER_SECONDS": 0.8,
                            "DEAD_AFTER_SECONDS": 2.0, "HEARTBEAT_SECONDS": 1,
                            "SWEEP_SECONDS": 60}
    lm = await sync_to_async(lambda: open_meeting(make_live_meeting(members=3), remote=(1,)))()
    member = lm.members[1]
    comm = socket_for(lm.meeting.pk, await sync_to_async(session_cookie)(member.person.user))
    assert (await comm.connect())[0]

    async def state():
        return await sync_to_async(
            lambda: Participant.objects.get(pk=member.pk).connection_state)()

    deadline = time.monotonic() + 3
    while await state() != ConnectionState.DEGRADED:
        assert time.monotonic() < deadline, "never degraded"
        await asyncio.sleep(0.2)
    await comm.send_json_to({"type": "ping"})
    await receive_until(comm, lambda m: m.get("type") == "pong")
    deadline = time.monotonic() + 3
    while await state() != ConnectionState.CONNECTED:
        assert time.monotonic() < deadline, "never recovered"
        await asyncio.sleep(0.1)
    output = await receive_until(comm, lambda m: False, timeout=5)
    assert output == {"type": "websocket.close", "code": 4408}
    deadline = time.monotonic() + 3
    while await state() != ConnectionState.DISCONNECTED:
        assert time.monotonic() < deadline, "never disconnected"
        await asyncio.sleep(0.1)
