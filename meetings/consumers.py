"""The member's live meeting socket: server → client state pushes only (DESIGN "Realtime").

Writes go through CSRF-protected HTTP POSTs; the socket tells clients that state changed (one
coalesced snapshot per change window, `meetings.realtime`) and carries heartbeats. A connection
is accepted only for a logged-in user with MFA who may see the meeting (R5, R13); the ASGI stack
has already checked the Origin against ALLOWED_HOSTS and loaded the session.

Client → server messages (JSON text, at most `SOCKET_MAX_BYTES`):

* ``{"type": "ping", "v": <version the page shows>}`` every `HEARTBEAT_SECONDS`; answered with
  ``{"type": "pong", "v": <latest version>}`` (``{"type": "pong"}`` when no version was sent;
  a version is named once its push has had `PONG_GRACE_SECONDS` to arrive). A page that sees
  a newer version than its own fetches ``state.json`` (resync).

Hardening: a bigger frame closes the socket with 1009; more than `SOCKET_RATE` messages in
`SOCKET_RATE_WINDOW` seconds closes it with 4429; malformed JSON or an unknown type is answered
with ``{"type": "error", "code": "socket.malformed" | "socket.unknown_type"}``; a
``kokous.terminate`` message (logout, loss of rights, removal) closes it with 4001.

Presence (R72): the sockets of a remote participant drive the connection state
(`meetings.live.connections`): heartbeats are written at most every `HEARTBEAT_WRITE_SECONDS`;
no ping for `DEGRADED_AFTER_SECONDS` marks the participant degraded and for
`DEAD_AFTER_SECONDS` closes the socket; a closed socket becomes a dropped connection when no
other socket of the participant is open `DROP_GRACE_SECONDS` later.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from meetings import realtime
from meetings.live import config, member_hub
from meetings.live.db import live_sync

logger = logging.getLogger("kokous.live")

CLOSE_TOO_BIG = 1009
CLOSE_RATE_LIMITED = 4429
CLOSE_TERMINATED = 4001
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_HEARTBEAT_LOST = 4408
CLOSE_UNAVAILABLE = 1011
OUTBOX_SIZE = 32
STALE = '{"type":"stale"}'


# --- per-process bookkeeping: sweeper, drop timers, latest versions ----------------------------


@dataclass
class _LoopLive:
    consumers: int = 0
    sweeper: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    pending: set[asyncio.Task[Any]] = field(default_factory=set)


_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopLive] = (
    weakref.WeakKeyDictionary()
)
#: Versions this process knows per meeting, (version, first seen), oldest first; and when the
#: database was last asked. See `latest_version`.
_versions: dict[int, list[tuple[int, float]]] = {}
_version_checked: dict[int, float] = {}
#: A pong names a version only once its push has had this long to reach the page. During a vote
#: the snapshot changes every coalescing window (0.1 s); naming a version whose push is still on
#: its way sent a quarter of the pages of an 85-member vote to state.json for nothing, and on
#: two loaded cores a push can take over a second to reach a page (docs/performance-live.md).
#: Half a ping period: a page that really missed a push still resyncs, one ping later.
PONG_GRACE_SECONDS = 2.5


def _loop_live() -> _LoopLive:
    loop = asyncio.get_running_loop()
    state = _loops.get(loop)
    if state is None:
        state = _loops[loop] = _LoopLive()
    return state


def _learn_version(meeting_id: int, version: int, now: float) -> None:
    seen = _versions.setdefault(meeting_id, [])
    if seen and version <= seen[-1][0]:
        return
    # The first version learnt is taken as settled: its age is unknown (as before the grace).
    seen.append((version, now if seen else now - PONG_GRACE_SECONDS))
    while len(seen) > 1 and seen[1][1] <= now - PONG_GRACE_SECONDS:
        seen.pop(0)  # keep the newest settled version and everything newer


def _settled_version(meeting_id: int, now: float) -> int:
    settled = 0
    for version, seen_at in _versions.get(meeting_id, ()):
        if seen_at <= now - PONG_GRACE_SECONDS:
            settled = version
    return settled


def _remember_version(meeting_id: int, rebuilt: Any) -> None:
    _learn_version(meeting_id, rebuilt.version, time.monotonic())


realtime.flush_listeners.append(_remember_version)


async def latest_version(meeting_id: int) -> int:
    """The newest version whose push has had `PONG_GRACE_SECONDS` to arrive (for pongs); the
    database is asked at most once a second per meeting and process."""
    now = time.monotonic()
    if now - _version_checked.get(meeting_id, -1e9) >= 1.0:
        from meetings.live import snapshots

        version = await live_sync(snapshots.latest_version)(meeting_id)
        now = time.monotonic()
        _version_checked[meeting_id] = now
        _learn_version(meeting_id, version, now)
    return _settled_version(meeting_id, now)


async def _sweeper(state: _LoopLive) -> None:
    from meetings.live import connections

    while state.consumers > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.wake.wait(), timeout=float(config.get("SWEEP_SECONDS")))
        state.wake.clear()
        if state.consumers <= 0:
            break
        try:
            await live_sync(connections.sweep)()
        except Exception:  # noqa: BLE001 - database down: try again next round
            logger.warning("live: sweep failed", exc_info=True)
    state.sweeper = None


class MeetingConsumer(AsyncWebsocketConsumer):
    participant_id: int | None = None
    is_chair_room = False
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        self._counted = False
        user = self.scope.get("user")
        self.meeting_id = int(self.scope["url_route"]["kwargs"]["meeting_id"])
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            admitted = await live_sync(self._admit)(user)
        except Exception:  # noqa: BLE001 - the database is down: let the page retry
            logger.warning("live: admitting a socket failed", exc_info=True)
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        if admitted is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.participant_id = admitted["participant"]
        self.is_chair_room = admitted["chair"]
        try:
            # The user's own group (logout, own pages); the meeting's pushes come through
            # this process's one feed per meeting (meetings.live.member_hub).
            group = realtime.user_group(user.pk)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        except Exception:  # noqa: BLE001 - the channel layer (Redis) is down
            logger.warning("live: joining groups failed", exc_info=True)
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        self._outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self._writer = asyncio.get_running_loop().create_task(self._write())
        member_hub.register(self.meeting_id, self, chair=self.is_chair_room)
        self._registered = True
        await member_hub.ready(self.meeting_id)
        await self.accept()
        self._sent_at = time.monotonic()
        self._last_ping = time.monotonic()
        self._last_write = time.monotonic()
        self._last_groups = time.monotonic()
        self._access_checked = time.monotonic()
        self._degraded = False
        self._window: deque[float] = deque()
        state = _loop_live()
        state.consumers += 1
        self._counted = True
        if state.sweeper is None:
            state.wake.clear()
            state.sweeper = asyncio.get_running_loop().create_task(
                _sweeper(state), context=contextvars.Context()
            )
        if self.participant_id is not None:
            from meetings.live import connections

            try:
                await live_sync(connections.socket_opened)(
                    self.participant_id, self.channel_name
                )
            except Exception:  # noqa: BLE001
                logger.warning("live: recording an opened socket failed", exc_info=True)
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    def _admit(self, user: Any) -> dict[str, Any] | None:
        from meetings import rules
        from meetings.live.snapshots import participant_role_flags
        from meetings.mfa import has_mfa
        from meetings.models import Meeting, Participant

        meeting = Meeting.objects.filter(pk=self.meeting_id).select_related("body").first()
        if meeting is None or not has_mfa(user) or not rules.can_view_meeting(user, meeting):
            return None
        person = rules.person_of(user)
        p = Participant.objects.filter(meeting=meeting, person=person).first() if person else None
        if p is not None and p.removed:
            return None
        flags = participant_role_flags(user, meeting)
        return {"participant": p.pk if p is not None else None,
                "chair": flags["is_chair"] or flags["is_secretary"]}

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            with contextlib.suppress(Exception):  # the layer may be down; groups expire anyway
                await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []
        if getattr(self, "_registered", False):
            self._registered = False
            member_hub.unregister(self.meeting_id, self)
        for task in (getattr(self, "_watchdog", None), getattr(self, "_writer", None)):
            if task is not None:
                task.cancel()
        if getattr(self, "_counted", False):
            self._counted = False
            state = _loop_live()
            state.consumers -= 1
            if state.consumers <= 0:
                state.wake.set()
            if self.participant_id is not None:
                task = asyncio.get_running_loop().create_task(
                    self._drop_later(self.participant_id, self.channel_name, timezone.now()),
                    context=contextvars.Context(),
                )
                state.pending.add(task)
                task.add_done_callback(state.pending.discard)

    @staticmethod
    async def _drop_later(participant_id: int, channel_name: str, at: Any) -> None:
        from meetings.live import connections

        try:
            await live_sync(connections.socket_closed)(channel_name, at=at)
            grace = float(config.get("DROP_GRACE_SECONDS"))
            if grace > 0:
                await asyncio.sleep(grace)
            await live_sync(connections.drop_if_gone)(participant_id, at=at)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the sweeper catches what this misses
            logger.warning("live: recording a dropped connection failed", exc_info=True)

    # --- receiving -----------------------------------------------------------------------------

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        text = message.get("text")
        raw = message.get("bytes")
        size = len(text.encode("utf-8")) if text is not None else len(raw or b"")
        if size > int(config.get("SOCKET_MAX_BYTES")):
            await self.close(code=CLOSE_TOO_BIG)
            return
        now = time.monotonic()
        window = float(config.get("SOCKET_RATE_WINDOW"))
        self._window.append(now)
        while self._window and now - self._window[0] > window:
            self._window.popleft()
        if len(self._window) > int(config.get("SOCKET_RATE")):
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        if text is None:
            await self._error("socket.malformed")
            return
        try:
            content = json.loads(text)
        except (ValueError, RecursionError):
            # RecursionError: deeply nested brackets fit in SOCKET_MAX_BYTES (F4); answering
            # with the code keeps one member from dropping sockets and flooding the error log.
            await self._error("socket.malformed")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._error("socket.malformed")
            return
        if content["type"] == "ping":
            await self._ping(content)
            return
        await self._error("socket.unknown_type")

    async def _error(self, code: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "code": code}))

    async def _ping(self, content: dict[str, Any]) -> None:
        now = time.monotonic()
        self._last_ping = now
        if "v" in content:
            try:
                version = await latest_version(self.meeting_id)
            except Exception:  # noqa: BLE001
                version = 0
            await self.send(text_data=json.dumps({"type": "pong", "v": version}))
        else:
            await self.send(text_data=json.dumps({"type": "pong"}))
        if now - self._last_groups >= float(config.get("HEARTBEAT_SECONDS")):
            # Re-joining is idempotent and restores the groups after a Redis restart.
            self._last_groups = now
            try:
                for group in self.groups_joined:
                    await self.channel_layer.group_add(group, self.channel_name)
            except Exception:  # noqa: BLE001
                logger.warning("live: refreshing groups failed", exc_info=True)
        if now - self._access_checked >= float(config.get("ACCESS_RECHECK_SECONDS")):
            # Rights also end without any row changing (a term ends by the calendar, R63):
            # changes close sockets at once through signals, this catches the rest.
            self._access_checked = now
            try:
                admitted = await live_sync(self._admit)(self.scope["user"])
            except Exception:  # noqa: BLE001 - the database is down: decided by the next check
                logger.warning("live: re-checking access failed", exc_info=True)
            else:
                if admitted is None:
                    await self.close(code=CLOSE_TERMINATED)
                    return
        if self.participant_id is None:
            return
        if self._degraded or now - self._last_write >= float(
            config.get("HEARTBEAT_WRITE_SECONDS")
        ):
            from meetings.live import connections

            try:
                await live_sync(connections.socket_heartbeat)(
                    self.participant_id, self.channel_name
                )
                self._last_write = now
                self._degraded = False
            except Exception:  # noqa: BLE001 - retried with the next ping
                logger.warning("live: heartbeat write failed", exc_info=True)

    async def _watch(self) -> None:
        from meetings.live import connections

        interval = max(0.5, float(config.get("HEARTBEAT_SECONDS")) / 2)
        while True:
            await asyncio.sleep(interval)
            silent = time.monotonic() - self._last_ping
            if silent > float(config.get("DEAD_AFTER_SECONDS")):
                await self.close(code=CLOSE_HEARTBEAT_LOST)
                await self.disconnect(CLOSE_HEARTBEAT_LOST)
                return
            if (
                self.participant_id is not None
                and not self._degraded
                and silent > float(config.get("DEGRADED_AFTER_SECONDS"))
            ):
                self._degraded = True
                try:
                    await live_sync(connections.mark_degraded)(self.participant_id)
                except Exception:  # noqa: BLE001
                    logger.warning("live: marking degraded failed", exc_info=True)

    # --- pushed from the channel layer -----------------------------------------------------------

    def push_text(self, text: str) -> None:
        """A message from this process's meeting feed (member_hub): queued for this socket's
        writer, so one slow phone never holds up the others. A socket that falls
        `OUTBOX_SIZE` messages behind gets ``{"type": "stale"}`` instead and resyncs."""
        if not getattr(self, "_registered", False):
            return
        outbox = self._outbox
        if outbox.full():
            while not outbox.empty():
                outbox.get_nowait()
            outbox.put_nowait(STALE)
            return
        outbox.put_nowait(text)

    async def _write(self) -> None:
        while True:
            text = await self._outbox.get()
            try:
                await self.send(text_data=text)
            except Exception:  # noqa: BLE001 - the socket is closing
                return

    async def kokous_event(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message["event"]))

    async def kokous_raw(self, message: dict[str, Any]) -> None:
        await self.send(text_data=message["text"])

    async def kokous_terminate(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_TERMINATED)
