"""Public live view fan-out: ONE subscriber per worker process and meeting (R8, DESIGN).

Anonymous viewers never get a Channels consumer and never join a member group. Each worker
process keeps, per public meeting being watched, one feed that

* receives the snapshots this process rebuilds (`realtime.flush_listeners`, no round trip),
* subscribes once to the meeting's public channel group (`realtime.public_group`) for snapshots
  rebuilt by other workers, and
* every `PUBLIC_RESYNC_SECONDS` re-reads the stored snapshot (cache, else one row) and re-joins
  the group — so a lost message or a Redis restart costs a viewer at most that long,

and hands the newest snapshot to the viewers of this process: server-sent-event streams get
it pushed, polls of ``snapshot.json`` read it from memory (`latest`). A viewer's queue holds
only the newest snapshot: a slow viewer skips versions, never piles up. Frames are encoded
once per snapshot, not once per viewer. A feed with no stream and no poll for
`IDLE_SECONDS` stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any

from channels.layers import get_channel_layer

from meetings import realtime
from meetings.live import config, snapshots
from meetings.live.db import live_sync

logger = logging.getLogger("kokous.live")

IDLE_SECONDS = 30.0
Frame = tuple[int, bytes]


class _Feed:
    def __init__(self, meeting_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.meeting_id = meeting_id
        self.loop = loop
        self.viewers: set[asyncio.Queue[Frame]] = set()
        self.version = 0
        self.text = ""
        self.frame = b""
        self.tasks: list[asyncio.Task[None]] = []
        self.channel: str | None = None
        self.last_poll = loop.time() - IDLE_SECONDS - 1  # no poll yet
        self.missing = False  # the meeting has no public snapshot (not public, not found)

    def publish(self, version: int, text: str) -> None:
        if not text or version <= self.version:
            return
        self.version, self.text = version, text
        self.frame = f"id: {version}\ndata: {text}\n\n".encode()
        frame = (version, self.frame)
        for queue in list(self.viewers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(frame)

    async def _load(self) -> None:
        got = await live_sync(snapshots.public_snapshot)(self.meeting_id)
        self.missing = got is None
        if got is not None:
            self.publish(*got)

    async def _join(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        if self.channel is None:
            self.channel = await layer.new_channel()  # the one "specific" prefix (see member_hub)
        await layer.group_add(realtime.public_group(self.meeting_id), self.channel)

    async def run_receiver(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        while True:
            try:
                await self._join()
                while True:
                    message = await layer.receive(self.channel)
                    if message.get("type") == "public.snapshot":
                        self.publish(int(message["version"]), message["text"])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis restarting: the resync loop covers the gap
                logger.warning("live: public feed %s lost the channel layer", self.meeting_id,
                               exc_info=True)
                self.channel = None
                await asyncio.sleep(1.0)

    async def run_resync(self) -> None:
        interval = float(config.get("PUBLIC_RESYNC_SECONDS"))
        while True:
            await asyncio.sleep(interval)
            if not self.viewers and self.loop.time() - self.last_poll > IDLE_SECONDS:
                _drop(self)
                return
            try:
                await self._load()
                await self._join()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                logger.warning("live: public resync %s failed", self.meeting_id, exc_info=True)

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks = []


_feeds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _Feed]] = (
    weakref.WeakKeyDictionary()
)


def _of(loop: asyncio.AbstractEventLoop) -> dict[int, _Feed]:
    feeds = _feeds.get(loop)
    if feeds is None:
        feeds = _feeds[loop] = {}
    return feeds


def all_feeds() -> list[_Feed]:
    return [feed for feeds in list(_feeds.values()) for feed in feeds.values()]


def _on_local_flush(meeting_id: int, rebuilt: Any) -> None:
    if not getattr(rebuilt, "public_text", ""):
        return
    for feed in all_feeds():
        if feed.meeting_id == meeting_id and not feed.loop.is_closed():
            feed.loop.call_soon_threadsafe(feed.publish, rebuilt.public_version,
                                           rebuilt.public_text)


realtime.flush_listeners.append(_on_local_flush)


async def _feed(meeting_id: int) -> _Feed:
    loop = asyncio.get_running_loop()
    feeds = _of(loop)
    feed = feeds.get(meeting_id)
    if feed is None:
        feed = feeds[meeting_id] = _Feed(meeting_id, loop)
        await feed._load()
        # Fresh contexts: the feed outlives the request that started it.
        feed.tasks = [
            loop.create_task(feed.run_receiver(), context=contextvars.Context()),
            loop.create_task(feed.run_resync(), context=contextvars.Context()),
        ]
    return feed


def _drop(feed: _Feed) -> None:
    feeds = _of(feed.loop)
    if feeds.get(feed.meeting_id) is feed:
        feeds.pop(feed.meeting_id, None)
    feed.stop()
    if feed.channel is not None:
        layer = get_channel_layer()
        if layer is not None:
            feed.loop.create_task(_discard(layer, feed.meeting_id, feed.channel),
                                  context=contextvars.Context())


async def latest(meeting_id: int) -> tuple[int, str] | None:
    """The newest public snapshot this worker holds (for polls): memory, no I/O once warm."""
    feed = await _feed(meeting_id)
    feed.last_poll = feed.loop.time()
    if feed.missing and not feed.text:
        return None
    return feed.version, feed.text


async def subscribe(meeting_id: int) -> tuple[asyncio.Queue[Frame], _Feed]:
    feed = await _feed(meeting_id)
    queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize=1)
    feed.viewers.add(queue)
    return queue, feed


def unsubscribe(meeting_id: int, queue: asyncio.Queue[Frame]) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    feed = _of(loop).get(meeting_id)
    if feed is None:
        return
    feed.viewers.discard(queue)
    if not feed.viewers and loop.time() - feed.last_poll > IDLE_SECONDS:
        _drop(feed)


async def _discard(layer: Any, meeting_id: int, channel: str) -> None:
    with contextlib.suppress(Exception):
        await layer.group_discard(realtime.public_group(meeting_id), channel)


async def event_stream(meeting_id: int, keepalive: float = 15.0) -> AsyncIterator[bytes]:
    """Server-sent events: the current snapshot at once, then each newer one (R8)."""
    queue, feed = await subscribe(meeting_id)
    try:
        yield b"retry: 2000\n\n"
        sent = 0
        if feed.frame:
            sent = feed.version
            yield feed.frame
        while True:
            try:
                version, frame = await asyncio.wait_for(queue.get(), timeout=keepalive)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if version > sent:
                sent = version
                yield frame
    finally:
        unsubscribe(meeting_id, queue)
