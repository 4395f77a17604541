"""Database access from the event loop's background work (sockets, flushes, the public feed).

`channels.db.database_sync_to_async` closes the connection around every call when
`CONN_MAX_AGE` is 0, so each heartbeat or snapshot would open a new PostgreSQL connection. The
live room's background work all runs in asgiref's one shared sync thread; `live_sync` keeps
that thread's connection open across calls and only replaces it when it is broken (e.g. after
a database restart). Requests keep Django's own per-request handling.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

R = TypeVar("R")


def _healthy(*, after_error: bool = False) -> None:
    for conn in connections.all(initialized_only=True):
        # A connection inside a transaction belongs to whoever opened it (a caller's atomic
        # block, a test): leave it alone.
        if conn.connection is None or conn.in_atomic_block:
            continue
        if after_error or conn.errors_occurred or not conn.is_usable():
            conn.close()


def _call(fn: Callable[..., R], args: Any, kwargs: Any) -> R:
    _healthy()
    try:
        return fn(*args, **kwargs)
    except Exception:
        _healthy(after_error=True)  # a failed call may leave a broken connection
        raise


def live_sync(fn: Callable[..., R]) -> Callable[..., Any]:
    """`sync_to_async` in asgiref's shared sync thread, with a kept, health-checked connection.

    The call runs in a fresh context, so even when awaited inside a request (the public
    events stream) it uses the one shared thread and its one connection, never a connection
    held by a long-lived request thread.
    """

    async def run(*args: Any, **kwargs: Any) -> R:
        coro = sync_to_async(_call)(fn, args, kwargs)
        return await asyncio.get_running_loop().create_task(coro, context=contextvars.Context())

    return run
