"""Member pushes fanned out per worker process, not per socket (DESIGN "Realtime").

With a Channels group per meeting, every pushed snapshot is one Redis message *per socket*
(300 members → 300 pops and decodes per change). Instead each worker process joins the
meeting's group (and its chair group) with ONE channel while it has sockets of that meeting,
and hands each message to its local sockets. Redis work per change is then one message per
worker; the sockets still only ever receive what their group would have sent them: member
messages go to every socket of the meeting in this process, chair messages only to the chair's
and the secretary's sockets.

The feed re-joins its groups every few seconds, so a Redis restart heals by itself; if the
channel layer fails, the feed retries and the pages' pings (which carry versions) resync them.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from meetings import realtime
from meetings.live import config

logger = logging.getLogger("kokous.live")


class Socket(Protocol):
    def push_text(self, text: str) -> None: ...


class _MeetingFeed:
    def __init__(self, meeting_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.meeting_id = meeting_id
        self.loop = loop
        self.members: set[Any] = set()
        self.chairs: set[Any] = set()
        self.channel: str | None = None
        self.task: asyncio.Task[None] | None = None
        self.joined = asyncio.Event()

    async def _join(self, layer: Any) -> None:
        if self.channel is None:
            # The default "specific" prefix: channels_redis serves all of a process's local channels
            # with one receive loop per prefix; a second prefix would starve one of them.
            self.channel = await layer.new_channel()
        for group in (realtime.meeting_group(self.meeting_id),
                      realtime.chair_group(self.meeting_id)):
            await layer.group_add(group, self.channel)
        self.joined.set()

    async def run(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        rejoin = float(config.get("HEARTBEAT_SECONDS"))
        while True:
            try:
                await self._join(layer)
                while True:
                    try:
                        message = await asyncio.wait_for(
                            asyncio.shield(self._next(layer)), timeout=rejoin
                        )
                    except TimeoutError:
                        await self._join(layer)  # restores the groups after a Redis restart
                        continue
                    await self.dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis restarting: retry; pages resync by ping
                logger.warning("live: member feed %s lost the channel layer", self.meeting_id,
                               exc_info=True)
                self.channel = None
                self._pending = None
                await asyncio.sleep(1.0)

    _pending: asyncio.Future[dict[str, Any]] | None = None

    def _next(self, layer: Any) -> asyncio.Future[dict[str, Any]]:
        # One receive in flight at a time; a timed-out wait keeps waiting for the same one.
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(layer.receive(self.channel))
        return self._pending

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "kokous.raw":
            text = message["text"]
        elif kind == "kokous.event":
            import json

            text = json.dumps(message["event"])
        else:
            return
        chair_only = message.get("audience") == "chair"
        for socket in list(self.chairs if chair_only else self.members):
            try:
                socket.push_text(text)  # queued per socket: never waits for a slow client
            except Exception:  # noqa: BLE001
                logger.warning("live: queueing a push failed", exc_info=True)

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        if self._pending is not None:
            self._pending.cancel()
        if self.channel is not None:
            layer = get_channel_layer()
            channel, self.channel = self.channel, None
            if layer is not None:
                self.loop.create_task(_discard(layer, self.meeting_id, channel),
                                      context=contextvars.Context())


async def _discard(layer: Any, meeting_id: int, channel: str) -> None:
    for group in (realtime.meeting_group(meeting_id), realtime.chair_group(meeting_id)):
        with contextlib.suppress(Exception):
            await layer.group_discard(group, channel)


_feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _MeetingFeed]] = (
    weakref.WeakKeyDictionary()
)


def _of(loop: asyncio.AbstractEventLoop) -> dict[int, _MeetingFeed]:
    feeds = _feeds.get(loop)
    if feeds is None:
        feeds = _feeds[loop] = {}
    return feeds


def register(meeting_id: int, socket: Any, *, chair: bool) -> None:
    loop = asyncio.get_running_loop()
    feeds = _of(loop)
    feed = feeds.get(meeting_id)
    if feed is None:
        feed = feeds[meeting_id] = _MeetingFeed(meeting_id, loop)
        feed.task = loop.create_task(feed.run(), context=contextvars.Context())
    feed.members.add(socket)
    if chair:
        feed.chairs.add(socket)


async def ready(meeting_id: int, timeout: float = 5.0) -> None:
    """Wait until this process's feed has joined the groups (so no push is missed)."""
    loop = asyncio.get_running_loop()
    feed = _of(loop).get(meeting_id)
    if feed is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(feed.joined.wait(), timeout)


def unregister(meeting_id: int, socket: Any) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    feeds = _of(loop)
    feed = feeds.get(meeting_id)
    if feed is None:
        return
    feed.members.discard(socket)
    feed.chairs.discard(socket)
    if not feed.members:
        feed.stop()
        feeds.pop(meeting_id, None)
