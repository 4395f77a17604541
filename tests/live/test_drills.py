"""Fault drills on PostgreSQL + Redis with real servers and clients (R60: failover tested
regularly; R62 availability; R72; DESIGN "Realtime": state in the database, any worker serves
any member, a restart loses nothing).

* a worker is killed (SIGKILL) during a vote of 85 members: no ballot lost or doubled, every
  client converges on the final count;
* Redis restarts mid-meeting (a private redis-server on a free port): clients resync within 5 s;
* PostgreSQL stops briefly (a private cluster on a free port): requests fail with a clear 503
  `service.database_unavailable`, nothing partial remains, resent ballots succeed afterwards.

Each drill is bounded (< 60 s). They need PostgreSQL, so they run in CI's PostgreSQL leg.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.live.clients import start_members
from tests.live.harness import (
    PrivatePostgres,
    PrivateRedis,
    Stack,
    drop_database,
    fresh_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _database(name: str) -> tuple[str, str]:
    admin = os.environ["DATABASE_URL"]
    return fresh_database(admin, name), admin


@pytest.fixture
def redis(tmp_path: Path):
    r = PrivateRedis(tmp_path)
    r.start()
    yield r
    r.stop()


async def _converged(members, vote: int, count: int, timeout: float) -> float:
    """Seconds until every member has seen `count` ballots in `vote` (fails on timeout)."""
    started = time.monotonic()
    while True:
        missing = [m for m in members if m.cast_seen.get(vote, -1) < count]
        if not missing:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            seen = sorted({m.cast_seen.get(vote, -1) for m in missing})
            raise AssertionError(f"{len(missing)} clients never saw {count} ballots: {seen}")
        await asyncio.sleep(0.05)


def test_killing_one_of_two_workers_mid_vote_loses_and_doubles_no_ballot(tmp_path, redis):
    name = f"kokous_drill_kill_{os.getpid()}"
    database, admin = _database(name)
    stack = Stack(tmp_path / "stack", database_url=database, redis_url=redis.url, workers=2)
    try:
        stack.prepare()
        info = stack.seed("meeting", "--members", "85", "--vote", "--remote")
        stack.start()
        vote = info["vote"]
        killed: list[int] = []

        async def drill() -> dict:
            members = await start_members(stack.base_url, info)
            try:
                async def vote_later(m):
                    await asyncio.sleep(random.uniform(0, 2.0))
                    return await m.cast(vote, random.choice(["jaa", "ei", "tyhja"]))

                async def kill_one():
                    await asyncio.sleep(0.8)
                    victim = max(stack.worker_pids())
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)

                results, _ = await asyncio.gather(
                    asyncio.gather(*(vote_later(m) for m in members)), kill_one()
                )
                assert all(r.ok for r in results), [r.payload for r in results if not r.ok]
                took = await _converged(members, vote, 85, timeout=30)
                return {"retried": sum(r.attempts > 1 for r in results), "converged": took,
                        "reconnects": sum(m.reconnects for m in members)}
            finally:
                await asyncio.gather(*(m.stop() for m in members))

        outcome = asyncio.run(asyncio.wait_for(drill(), 55))
        assert killed and outcome["reconnects"] > 0  # the kill really cut sockets
        counts = stack.seed("inspect", "--vote", str(vote))
        assert counts == {**counts, "ballots": 85, "persons": 85, "doubled": 0,
                          "cast_entries": 85, "unfinished_keys": 0, "status": "open"}
        print("drill kill:", outcome, counts)
    finally:
        stack.stop()
        drop_database(admin, name)


def test_redis_restart_mid_meeting_clients_resync_within_five_seconds(tmp_path, redis):
    name = f"kokous_drill_redis_{os.getpid()}"
    database, admin = _database(name)
    stack = Stack(tmp_path / "stack", database_url=database, redis_url=redis.url, workers=2)
    try:
        stack.prepare()
        info = stack.seed("meeting", "--members", "20", "--vote", "--remote")
        stack.start()
        vote = info["vote"]

        async def drill() -> dict:
            members = await start_members(stack.base_url, info)
            try:
                redis.kill()
                # A ballot while Redis is away: stored in PostgreSQL, its push is lost.
                during = await members[0].cast(vote, "jaa", deadline=10)
                assert during.ok, during.payload
                await asyncio.sleep(1.0)
                redis.start()
                back = time.monotonic()
                resynced = await _converged(members, vote, 1, timeout=10)
                # Pushes work again (groups re-joined by the sockets).
                after = await members[1].cast(vote, "ei", deadline=10)
                assert after.ok, after.payload
                pushed = await _converged(members, vote, 2, timeout=10)
                return {"resync_after_restart": resynced, "since_back": time.monotonic() - back,
                        "push_after": pushed}
            finally:
                await asyncio.gather(*(m.stop() for m in members))

        outcome = asyncio.run(asyncio.wait_for(drill(), 55))
        print("drill redis:", outcome)
        assert outcome["resync_after_restart"] < 5.0
        assert outcome["push_after"] < 3.0
        counts = stack.seed("inspect", "--vote", str(vote))
        assert counts["ballots"] == 2 and counts["cast_entries"] == 2 and counts["doubled"] == 0
    finally:
        stack.stop()
        drop_database(admin, name)


@pytest.mark.skipif(not PrivatePostgres.available(), reason="PostgreSQL server binaries missing")
def test_postgres_outage_answers_503_and_leaves_nothing_partial(tmp_path):
    pg = PrivatePostgres()
    pg.init()
    stack = Stack(tmp_path / "stack", database_url=pg.url, workers=1)
    try:
        stack.prepare()
        info = stack.seed("meeting", "--members", "5", "--vote", "--remote")
        stack.start()
        vote = info["vote"]

        async def drill() -> dict:
            members = await start_members(stack.base_url, info)
            try:
                assert (await members[0].cast(vote, "jaa")).ok
                pg.stop("fast")
                refused = await members[1].cast(vote, "ei", deadline=0.5, key="outage-ballot-1")
                assert refused.status == 503, (refused.status, refused.payload)
                assert refused.payload["code"] == "service.database_unavailable"
                session = members[2].session
                async with session.get(
                    f"{stack.base_url}/kokoukset/{info['meeting']}/live/state.json",
                    headers={"Accept": "application/json"},
                ) as r:
                    assert r.status == 503
                    assert (await r.json())["code"] == "service.database_unavailable"
                await asyncio.sleep(1.0)
                pg.start()
                # The phone resends the same ballot with the same key: it counts once.
                resent = await members[1].cast(vote, "ei", key="outage-ballot-1")
                assert resent.ok, resent.payload
                again = await members[1].cast(vote, "ei", key="outage-ballot-1")
                assert again.ok and again.payload["receipt"] == resent.payload["receipt"]
                assert (await members[2].cast(vote, "tyhja")).ok
                took = await _converged(members, vote, 3, timeout=15)
                return {"converged": took}
            finally:
                await asyncio.gather(*(m.stop() for m in members))

        outcome = asyncio.run(asyncio.wait_for(drill(), 55))
        print("drill postgres:", outcome)
        counts = stack.seed("inspect", "--vote", str(vote))
        assert counts == {**counts, "ballots": 3, "persons": 3, "doubled": 0,
                          "cast_entries": 3, "unfinished_keys": 0}
    finally:
        stack.stop()
        pg.destroy()
