"""Pushing events to WebSocket groups, only after the state change has committed.

Services call `send_event_on_commit` inside their transaction (Zulip's pattern): if the
transaction rolls back, nothing is pushed. Groups: one per meeting for entitled users, one for the
meeting's chair and secretary, one per user (to close a user's sockets at logout or loss of
rights). The public live view never subscribes to these groups (R8): it reads a snapshot.

Coalescing (docs/live-notes.md). An event for a meeting group is not sent to every socket as it
is: it marks the meeting *changed*. Per worker process and meeting, the first change starts a
short window (`COALESCE_SECONDS`, 0.1 s); at its end one snapshot of the meeting is rebuilt under
a new version number (`meetings.live.snapshots.rebuild`) and pushed once to the member group,
once to the chair group and once to the public subscribers. Eighty-five ballots in one second
therefore cost a handful of pushes, not 85 × 85. Events for a user group go out at once.

The window runs on the worker's event loop when the change was made in a request or consumer of
an ASGI server; elsewhere (management commands, scripts, synchronous tests) the snapshot is
rebuilt and pushed at once after commit.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger("kokous.live")

COALESCE_SECONDS = float(os.environ.get("KOKOUS_LIVE_COALESCE_SECONDS", "0.1"))
_MEETING_PREFIX = "meeting."


def meeting_group(meeting_id: int) -> str:
    return f"{_MEETING_PREFIX}{meeting_id}"


def chair_group(meeting_id: int) -> str:
    """The chair's and the secretary's sockets of a meeting (roster, alerts; R5, R72, R77)."""
    return f"chair.{meeting_id}"


def public_group(meeting_id: int) -> str:
    """One subscriber per worker process for the public view; never a browser's socket (R8)."""
    return f"public.{meeting_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _meeting_id_of(group: str) -> int | None:
    if group.startswith(_MEETING_PREFIX):
        rest = group[len(_MEETING_PREFIX):]
        if rest.isdigit():
            return int(rest)
    return None


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # noqa: BLE001 - a channel-layer outage must not fail a committed change
        logger.warning("live: group_send to %s failed", group, exc_info=True)


def send_event_on_commit(group: str, event: dict[str, Any]) -> None:
    """Queue `event` for `group`; it is sent once the surrounding transaction commits.

    Events for a meeting group are coalesced into one pushed snapshot (see the module doc); the
    event's `type` travels in the snapshot message's `events` list.
    """
    meeting_id = _meeting_id_of(group)
    if meeting_id is not None:
        kind = str(event.get("type", "changed"))
        transaction.on_commit(lambda: mark_changed(meeting_id, kind))
        return
    transaction.on_commit(lambda: _send(group, {"type": "kokous.event", "event": event}))


def send_user_event_on_commit(user_id: int, event: dict[str, Any]) -> None:
    """Send `event` to every socket of one user after commit (not coalesced)."""
    send_event_on_commit(user_group(user_id), event)


def publish_public_snapshot_on_commit(meeting_id: int) -> None:
    """Rebuild and publish the meeting's snapshots (member, chair, public) after commit (R8)."""
    transaction.on_commit(lambda: mark_changed(meeting_id, "public"))


def send_chair_alert_on_commit(meeting_id: int, alert: dict[str, Any]) -> None:
    """An alert for the chair and secretary, sent at once after commit (R72: a dropped member)."""
    transaction.on_commit(
        lambda: _send(chair_group(meeting_id),
                      {"type": "kokous.event", "event": alert, "audience": "chair"})
    )


def disconnect_user(user_id: int) -> None:
    """Close every open socket of a user once the surrounding transaction commits (ASVS 7.4).

    Call it when a user logs out, loses a membership or staff role, or is removed from a meeting.
    """
    transaction.on_commit(lambda: _send(user_group(user_id), {"type": "kokous.terminate"}))


# --- coalescing --------------------------------------------------------------------------------


@dataclass
class _LoopState:
    pending: dict[int, set[str]] = field(default_factory=dict)
    timers: dict[int, asyncio.TimerHandle] = field(default_factory=dict)
    flushing: set[int] = field(default_factory=set)


_loop_states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
    weakref.WeakKeyDictionary()
)
#: Called with (meeting_id, version, texts) after each local flush: the public hub listens here.
flush_listeners: list[Callable[[int, Any], None]] = []


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the ASGI server this thread works for, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid():
        loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
        if loop is not None and loop.is_running() and not loop.is_closed():
            return loop
    return None


def mark_changed(meeting_id: int, kind: str = "changed") -> None:
    """The meeting changed (already committed): push a fresh snapshot soon."""
    loop = _server_loop()
    if loop is None:
        flush_now(meeting_id, {kind})
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    # A fresh context: the flush must not inherit the caller's asgiref thread bookkeeping
    # (a task born inside a sync_to_async call may not use the sync thread itself).
    if running is loop:
        loop.call_soon(_schedule, loop, meeting_id, {kind}, context=contextvars.Context())
    else:
        loop.call_soon_threadsafe(_schedule, loop, meeting_id, {kind},
                                  context=contextvars.Context())


def _schedule(loop: asyncio.AbstractEventLoop, meeting_id: int, kinds: set[str]) -> None:
    state = _loop_states.setdefault(loop, _LoopState())
    state.pending.setdefault(meeting_id, set()).update(kinds)
    if meeting_id in state.timers or meeting_id in state.flushing:
        return
    state.timers[meeting_id] = loop.call_later(
        COALESCE_SECONDS, _start_flush, loop, meeting_id, context=contextvars.Context()
    )


def _start_flush(loop: asyncio.AbstractEventLoop, meeting_id: int) -> None:
    state = _loop_states.setdefault(loop, _LoopState())
    state.timers.pop(meeting_id, None)
    kinds = state.pending.pop(meeting_id, set())
    state.flushing.add(meeting_id)
    loop.create_task(_flush(loop, meeting_id, kinds), context=contextvars.Context())


async def _flush(loop: asyncio.AbstractEventLoop, meeting_id: int, kinds: set[str]) -> None:
    state = _loop_states.setdefault(loop, _LoopState())
    try:
        from meetings.live import snapshots

        started = loop.time()
        from meetings.live.db import live_sync

        rebuilt = await live_sync(snapshots.rebuild)(meeting_id, kinds)
        if rebuilt is not None:
            await _push_rebuilt(rebuilt, kinds)
            logger.info("live: meeting %s v%s %s %s in %.3f s", meeting_id, rebuilt.version,
                        "progress" if rebuilt.progress else "full", sorted(kinds),
                        loop.time() - started)
    except Exception:  # noqa: BLE001 - logged; the next change or a client resync recovers
        logger.warning("live: flushing meeting %s failed", meeting_id, exc_info=True)
    finally:
        state.flushing.discard(meeting_id)
        if meeting_id in state.pending and meeting_id not in state.timers:
            state.timers[meeting_id] = loop.call_later(
                COALESCE_SECONDS, _start_flush, loop, meeting_id, context=contextvars.Context()
            )


def flush_now(meeting_id: int, kinds: set[str] | None = None) -> Any:
    """Rebuild and push at once (outside an ASGI server, or when a caller needs it now)."""
    from meetings.live import snapshots

    try:
        rebuilt = snapshots.rebuild(meeting_id, kinds)
    except Exception:  # noqa: BLE001
        logger.warning("live: rebuilding meeting %s failed", meeting_id, exc_info=True)
        return None
    if rebuilt is not None:
        try:
            async_to_sync(_push_rebuilt)(rebuilt, kinds or {"changed"})
        except Exception:  # noqa: BLE001
            logger.warning("live: pushing meeting %s failed", meeting_id, exc_info=True)
    return rebuilt


async def _push_rebuilt(rebuilt: Any, kinds: set[str]) -> None:
    layer = get_channel_layer()
    for listener in list(flush_listeners):
        try:
            listener(rebuilt.meeting_id, rebuilt)
        except Exception:  # noqa: BLE001
            logger.warning("live: flush listener failed", exc_info=True)
    if layer is None:
        return
    messages = [
        (meeting_group(rebuilt.meeting_id),
         {"type": "kokous.raw", "text": rebuilt.member_message(sorted(kinds))}),
    ]
    chair_text = rebuilt.chair_message()
    if chair_text is not None:
        messages.append(
            (chair_group(rebuilt.meeting_id),
             {"type": "kokous.raw", "text": chair_text, "audience": "chair"})
        )
    if rebuilt.public_text:
        messages.append(
            (public_group(rebuilt.meeting_id),
             {"type": "public.snapshot", "meeting": rebuilt.meeting_id,
              "version": rebuilt.public_version, "text": rebuilt.public_text})
        )
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:  # noqa: BLE001 - Redis down: clients resync from state.json later
            logger.warning("live: group_send to %s failed", group, exc_info=True)
