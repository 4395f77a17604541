"""Deployment settings and WebSocket admission (R5, R13, R61; issue: foundation)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from kokous.asgi import application
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def run_with_env(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    """`manage.py check --deploy` reports nothing with the production defaults."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="kokous.settings",
        KOKOUS_VAR_DIR=str(tmp_path),
        ALLOWED_HOSTS="kokous.example.fi",
    )
    env.pop("DJANGO_DEBUG", None)
    env.pop("KOKOUS_HTTPS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # The generated secret is private to the service account.
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_redis_url_selects_the_redis_channel_layer(tmp_path):
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='kokous.settings';"
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.CHANNEL_LAYERS['default']['BACKEND']); print(s.CACHES['default']['BACKEND'])"
    )
    with_redis = run_with_env(
        code, REDIS_URL="redis://127.0.0.1:6379/9", KOKOUS_VAR_DIR=str(tmp_path)
    )
    without = run_with_env(code, KOKOUS_VAR_DIR=str(tmp_path))
    assert "channels_redis.core.RedisChannelLayer" in with_redis.stdout, with_redis.stderr
    assert "InMemoryChannelLayer" in without.stdout, without.stderr


def test_db_pool_size_turns_on_the_postgresql_connection_pool(tmp_path):
    """Production option (docs/performance-live.md): KOKOUS_DB_POOL_SIZE > 0 with PostgreSQL
    gives each worker a psycopg_pool of that size; unset, no pool."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='kokous.settings';"
        "import django; django.setup(); from django.conf import settings as s;"
        "import psycopg_pool;"  # installed with the project (psycopg[pool])
        "d = s.DATABASES['default']; print(d.get('OPTIONS', {}).get('pool'), d['CONN_MAX_AGE'])"
    )
    url = "postgresql://postgres@127.0.0.1:5432/postgres"
    pooled = run_with_env(code, DATABASE_URL=url, KOKOUS_DB_POOL_SIZE="12",
                          KOKOUS_VAR_DIR=str(tmp_path))
    assert "'max_size': 12" in pooled.stdout and pooled.stdout.strip().endswith(" 0"), pooled.stderr
    plain = run_with_env(code, DATABASE_URL=url, KOKOUS_VAR_DIR=str(tmp_path))
    assert plain.stdout.splitlines()[0].startswith("None"), plain.stderr


def test_time_zone_and_languages():
    assert settings.TIME_ZONE == "Europe/Helsinki" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "fi"
    assert [code for code, _ in settings.LANGUAGES] == ["fi", "sv", "en"]


def _session_cookie_for(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db(transaction=True)
async def test_websocket_without_session_is_refused():
    """R13: an anonymous socket is closed before it is accepted."""
    meeting = await _meeting()
    communicator = WebsocketCommunicator(
        application, f"/ws/meetings/{meeting.pk}/", headers=[(b"origin", b"http://127.0.0.1")]
    )
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_from_foreign_origin_is_refused():
    """A page on another site cannot open a socket with the member's cookie (CSWSH)."""
    meeting, cookie = await _meeting_and_member_cookie()
    communicator = WebsocketCommunicator(
        application,
        f"/ws/meetings/{meeting.pk}/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_websocket_member_with_session_is_accepted_and_outsider_refused():
    meeting, cookie = await _meeting_and_member_cookie()
    ok = WebsocketCommunicator(
        application,
        f"/ws/meetings/{meeting.pk}/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await ok.connect()
    assert connected
    await ok.send_json_to({"type": "ping"})
    assert await ok.receive_json_from() == {"type": "pong"}
    await ok.disconnect()

    outsider_cookie = await _outsider_cookie()
    refused = WebsocketCommunicator(
        application,
        f"/ws/meetings/{meeting.pk}/",
        headers=[
            (b"origin", b"http://127.0.0.1"),
            (b"cookie", f"sessionid={outsider_cookie}".encode()),
        ],
    )
    connected, code = await refused.connect()
    assert not connected and code == 4403
    await refused.disconnect()


async def _meeting():
    from asgiref.sync import sync_to_async

    return await sync_to_async(lambda: factories.MeetingFactory(status="convened"))()


async def _meeting_and_member_cookie():
    from asgiref.sync import sync_to_async

    def make():
        membership = factories.MembershipFactory()
        meeting = factories.MeetingFactory(body=membership.body, status="convened")
        return meeting, _session_cookie_for(membership.person.user)

    return await sync_to_async(make)()


async def _outsider_cookie():
    from asgiref.sync import sync_to_async

    return await sync_to_async(
        lambda: _session_cookie_for(factories.MembershipFactory().person.user)
    )()


async def _connected_member_socket():
    """A member of a body with a convened meeting, and that member's open room socket."""
    from asgiref.sync import sync_to_async

    def make():
        membership = factories.MembershipFactory()
        meeting = factories.MeetingFactory(body=membership.body, status="convened")
        return membership, meeting, _session_cookie_for(membership.person.user)

    membership, meeting, cookie = await sync_to_async(make)()
    socket = WebsocketCommunicator(
        application,
        f"/ws/meetings/{meeting.pk}/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await socket.connect()
    assert connected
    return membership, socket


@pytest.mark.django_db(transaction=True)
async def test_r63_ending_a_membership_closes_the_members_socket():
    """R63: when a term is ended (or a role removed) the user's open socket closes at once."""
    import asyncio
    import datetime as dt

    from asgiref.sync import sync_to_async

    membership, socket = await _connected_member_socket()

    def end_term():
        membership.term_end = dt.date(2025, 6, 2)
        membership.save()

    await sync_to_async(end_term)()
    closed = None
    async with asyncio.timeout(1.0):
        while closed is None:
            message = await socket.receive_output(timeout=1.0)
            if message["type"] == "websocket.close":
                closed = message
    assert closed["type"] == "websocket.close"
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_r63_a_term_that_ends_by_the_calendar_closes_the_socket_at_the_next_check(settings):
    """R63: a term also ends without any row changing (its end date passes). The socket re-checks
    the user's right every `ACCESS_RECHECK_SECONDS` (here 0: at the next ping) and closes."""
    import datetime as dt

    from asgiref.sync import sync_to_async

    from meetings.models import Membership

    settings.KOKOUS_LIVE = {"ACCESS_RECHECK_SECONDS": 0}

    membership, socket = await _connected_member_socket()
    # As if the calendar passed the end date: an UPDATE sends no signal, so nothing is pushed.
    await sync_to_async(
        lambda: Membership.objects.filter(pk=membership.pk).update(term_end=dt.date(2025, 6, 2))
    )()
    await socket.send_json_to({"type": "ping"})
    messages = []
    while True:
        message = await socket.receive_output(timeout=2.0)
        messages.append(message)
        if message["type"] == "websocket.close":
            break
    assert messages[-1] == {"type": "websocket.close", "code": 4001}
    await socket.disconnect()
