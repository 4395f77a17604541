"""The public live view's two hot endpoints as plain ASGI, in front of Django (R8).

    GET /julkinen/kokous/<id>/snapshot.json   → the public snapshot, ETag / 304, max-age=1
    GET /julkinen/kokous/<id>/events          → server-sent events

Thousands of anonymous viewers poll or stream these. Through Django each request would take a
worker thread for the synchronous middleware (and an SSE stream would keep it for its whole
life) to answer with a string this worker already holds in memory. So, like static files, these
two are answered before Django: from the worker's one public feed (`public_hub`), without
cookies, sessions or database access per request. They carry only public data (the feed is the
public snapshot), validate the Host header against ALLOWED_HOSTS and send the same security
headers Django would for JSON. Every other request goes to Django unchanged; the Django views
for the same paths (`meetings.views.live`) stay as the fallback and serve the tests.

Wire it in kokous/asgi.py: ``"http": public_live(django_asgi_app)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from meetings.live import public_hub

PATH = re.compile(r"/julkinen/kokous/([1-9][0-9]{0,9})/(snapshot\.json|events)")
ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]],
                    Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


def public_live(app: ASGIApp) -> ASGIApp:
    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            match = PATH.fullmatch(scope.get("path", ""))
            if match is not None:
                await _serve(int(match.group(1)), match.group(2), scope, receive, send)
                return
        await app(scope, receive, send)

    return asgi


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _host_allowed(scope: dict[str, Any]) -> bool:
    domain, _port = split_domain_port(_header(scope, b"host"))
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _headers(content_type: bytes, cache: bytes, scope: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", content_type),
        (b"cache-control", cache),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]
    if settings.SECURE_HSTS_SECONDS and scope.get("scheme") == "https":
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            value += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            value += "; preload"
        headers.append((b"strict-transport-security", value.encode()))
    return headers


async def _simple(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]],
                  head: bool = False) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _serve(meeting_id: int, what: str, scope: dict[str, Any], receive: Any,
                 send: Any) -> None:
    json_type = b"application/json"
    if not _host_allowed(scope):
        await _simple(send, 400, b'{"code":"request.bad_host"}',
                      _headers(json_type, b"no-store", scope))
        return
    head = scope.get("method") == "HEAD"
    if what == "snapshot.json":
        got = await public_hub.latest(meeting_id)
        if got is None:
            await _simple(send, 404, b'{"code":"live.not_public"}',
                          _headers(json_type, b"public, max-age=5", scope), head)
            return
        version, text = got
        etag = f'"{meeting_id}-{version}"'
        headers = [*_headers(json_type, b"public, max-age=1", scope),
                   (b"etag", etag.encode()), (b"x-kokous-version", str(version).encode())]
        wanted = [t.strip() for t in _header(scope, b"if-none-match").split(",")]
        if etag in wanted:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await _simple(send, 200, text.encode(), headers, head)
        return
    got = await public_hub.latest(meeting_id)
    if got is None:
        await _simple(send, 404, b'{"code":"live.not_public"}',
                      _headers(json_type, b"no-store", scope), head)
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [*_headers(b"text/event-stream", b"no-store", scope),
                            (b"x-accel-buffering", b"no")]})
    if head:
        await send({"type": "http.response.body", "body": b""})
        return
    stream = public_hub.event_stream(meeting_id)

    async def pump() -> None:
        async for chunk in stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pumping = asyncio.ensure_future(pump())
    watching = asyncio.ensure_future(gone())
    try:
        await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pumping, watching):
            task.cancel()
        for task in (pumping, watching):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await stream.aclose()
