"""The public live view (KL 101.4 §, R8, R9): no login, cacheable snapshot, nothing
member-only, closed items cut; server-sent events from one feed per worker; and the clear
503 answer when the database is away."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import resolve, reverse

from meetings.live import console, public_hub
from meetings.live.middleware import DatabaseUnavailableMiddleware, server_error
from meetings.public import is_public_view
from tests.live.scenario import make_live_meeting, open_with_present, run_to_open_vote


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.mark.django_db
def test_public_snapshot_is_anonymous_cacheable_and_answers_304(commit):
    lm = commit(lambda: open_with_present(make_live_meeting(members=3)))
    url = reverse("live:public_snapshot", args=[lm.meeting.pk])
    anon = Client()
    first = anon.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert first["Cache-Control"] == "public, max-age=1"
    etag = first["ETag"]
    assert anon.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    commit(console.perform, lm.chair_user, lm.meeting.pk, "item.open", {"item": lm.item.pk})
    changed = anon.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    data = changed.json()
    assert data["item"]["title"] == lm.item.title and data["v"] > json.loads(first.content)["v"]
    page = anon.get(reverse("live:public", args=[lm.meeting.pk]))
    assert page.status_code == 200 and lm.item.title in page.content.decode()


@pytest.mark.django_db
def test_public_snapshot_shows_results_but_nothing_member_only(commit):
    lm = commit(run_to_open_vote, members=4)
    vote = lm.meeting.votes.get()
    for i in range(4):
        commit(console.perform, lm.user(i), lm.meeting.pk, "ballot.cast",
               {"vote": vote.pk, "option": "jaa" if i else "ei"})
    commit(console.perform, lm.chair_user, lm.meeting.pk, "vote.close", {"vote": vote.pk})
    text = Client().get(reverse("live:public_snapshot", args=[lm.meeting.pk])).content.decode()
    data = json.loads(text)
    assert data["results"][0]["counts"] == {"jaa": 3, "ei": 1, "tyhja": 0, "absent": 0}
    for private in ("Selostus kirjaston", "receipt", "roster", "eligible", "meet.jit.si",
                    "Aukioloa pidennetään"):
        assert private not in text


@pytest.mark.django_db
def test_closed_item_shows_only_that_a_closed_matter_is_handled(commit):
    """R8, R9: during a closed or confidential item the public sees only that one is handled."""
    lm = commit(lambda: open_with_present(make_live_meeting(members=3)))
    lm.item.is_closed_handling = True
    lm.item.save()
    commit(console.perform, lm.chair_user, lm.meeting.pk, "item.open", {"item": lm.item.pk})
    from meetings.live import floor

    commit(floor.request_floor, lm.user(1), lm.meeting.pk, "speech")
    commit(floor.grant_floor, lm.chair_user, lm.meeting.pk)
    text = Client().get(reverse("live:public_snapshot", args=[lm.meeting.pk])).content.decode()
    data = json.loads(text)
    assert data["item"] == {"closed": True, "section": lm.item.section_number}
    assert data["speaker"] is None and data["results"] == []
    assert lm.item.title not in text and lm.members[1].person.last_name not in text


@pytest.mark.django_db
def test_only_public_meetings_have_a_public_view(commit):
    lm = commit(lambda: make_live_meeting(members=3, public=False))
    for name in ("live:public", "live:public_snapshot", "live:public_events"):
        assert Client().get(reverse(name, args=[lm.meeting.pk])).status_code == 404


def test_public_views_are_marked_and_member_views_are_not():
    for name, public in (("live:public", True), ("live:public_snapshot", True),
                         ("live:public_events", True), ("live:room", False),
                         ("live:state", False)):
        match = resolve(reverse(name, args=[1]))
        assert is_public_view(match.func) is public, name
    assert not is_public_view(resolve(reverse("live:action", args=[1, "ballot.cast"])).func)


@pytest.mark.django_db(transaction=True)
async def test_server_sent_events_deliver_each_new_snapshot():
    """One feed per worker process fans out to every local viewer (R8)."""
    lm = await sync_to_async(lambda: open_with_present(make_live_meeting(members=3)))()
    viewers = [public_hub.event_stream(lm.meeting.pk, keepalive=5) for _ in range(3)]
    try:
        for stream in viewers:
            assert (await stream.__anext__()).startswith(b"retry:")
            first = await asyncio.wait_for(stream.__anext__(), 3)
            assert first.startswith(b"id: ")
        await sync_to_async(console.perform)(
            lm.chair_user, lm.meeting.pk, "item.open", {"item": lm.item.pk}
        )
        for stream in viewers:
            event = await asyncio.wait_for(stream.__anext__(), 3)
            payload = json.loads(event.split(b"data: ", 1)[1])
            assert payload["item"]["title"] == lm.item.title
        assert len(public_hub.all_feeds()) == 1  # one feed, three viewers
    finally:
        for stream in viewers:
            await stream.aclose()
        from django.db import connections

        await sync_to_async(connections.close_all)()
    assert not public_hub.all_feeds()


def test_database_outage_is_a_clear_503_not_a_crash():
    """A lost database: 503 `service.database_unavailable`, retry later; nothing half-written
    (every service is one transaction)."""
    factory = RequestFactory()
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = factory.post("/kokoukset/1/live/do/ballot.cast/", HTTP_ACCEPT="application/json")
    response = middleware.process_exception(request, OperationalError("connection refused"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert json.loads(response.content)["code"] == "service.database_unavailable"
    assert middleware.process_exception(request, ValueError("other")) is None
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        page = server_error(factory.get("/kokoukset/1/live/"))
    assert page.status_code == 503 and b"503" in page.content


@pytest.mark.django_db(transaction=True)
async def test_plain_asgi_front_serves_polls_and_streams_without_django():
    """The hot public endpoints answer from the worker's feed: ETag/304, 404 for non-public
    meetings, a bad Host refused, the stream sends the snapshot and ends on disconnect."""
    from channels.testing import ApplicationCommunicator, HttpCommunicator

    from meetings.live.public_asgi import public_live

    async def django_would(scope, receive, send):  # anything else passes through
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})

    app = public_live(django_would)
    lm = await sync_to_async(lambda: open_with_present(make_live_meeting(members=3)))()
    private = await sync_to_async(lambda: make_live_meeting(members=3, public=False))()
    host = [(b"host", b"127.0.0.1")]
    url = f"/julkinen/kokous/{lm.meeting.pk}/snapshot.json"
    try:
        first = await HttpCommunicator(app, "GET", url, headers=host).get_response()
        assert first["status"] == 200
        assert json.loads(first["body"])["meeting"]["id"] == lm.meeting.pk
        headers = dict(first["headers"])
        assert headers[b"cache-control"] == b"public, max-age=1"
        again = await HttpCommunicator(
            app, "GET", url, headers=[*host, (b"if-none-match", headers[b"etag"])]
        ).get_response()
        assert again["status"] == 304
        missing = await HttpCommunicator(
            app, "GET", f"/julkinen/kokous/{private.meeting.pk}/snapshot.json", headers=host
        ).get_response()
        assert missing["status"] == 404
        evil = await HttpCommunicator(app, "GET", url, headers=[(b"host", b"evil.example")]
                                      ).get_response()
        assert evil["status"] == 400
        other = await HttpCommunicator(app, "GET", "/kokoukset/1/live/", headers=host
                                       ).get_response()
        assert other["status"] == 299
        stream = ApplicationCommunicator(app, {
            "type": "http", "method": "GET", "headers": host, "scheme": "http",
            "path": f"/julkinen/kokous/{lm.meeting.pk}/events", "query_string": b"",
        })
        await stream.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await stream.receive_output(timeout=3)
        assert start["status"] == 200
        assert dict(start["headers"])[b"content-type"] == b"text/event-stream"
        assert (await stream.receive_output(timeout=3))["body"].startswith(b"retry:")
        assert (await stream.receive_output(timeout=3))["body"].startswith(b"id: ")
        await stream.send_input({"type": "http.disconnect"})
        await stream.wait(timeout=3)
    finally:
        from django.db import connections

        for feed in public_hub.all_feeds():
            public_hub._drop(feed)
        await sync_to_async(connections.close_all)()
