"""Simulated members and public viewers: real HTTP and WebSocket clients (aiohttp) against a
served Kokous, for the fault drills and the benchmarks. 127.0.0.1 only.

A `Member` behaves like room.js: it loads the room (CSRF cookie and token), keeps a socket open
with pings, reconnects with backoff and resyncs from state.json, and sends idempotent ballot
POSTs that it resends with the same key when the connection fails or the server answers 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class BallotResult:
    ok: bool
    status: int
    latency: float
    attempts: int
    sent_at: float
    payload: dict[str, Any] = field(default_factory=dict)


class Member:
    def __init__(self, base: str, meeting: int, cookie: str, person: int) -> None:
        self.base = base
        self.meeting = meeting
        self.cookie = cookie
        self.person = person
        self.session: aiohttp.ClientSession | None = None
        self.token = ""
        self.version = 0
        self.full_v = -1
        self.needs_resync = False
        self.cast_seen: dict[int, int] = {}
        self.reached: dict[tuple[int, int], float] = {}  # (vote, count) → monotonic time seen
        self.connected = asyncio.Event()
        self.reconnects = 0
        self.messages = 0
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    async def start(self, connector: aiohttp.BaseConnector | None = None) -> None:
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies({"sessionid": self.cookie}, URL(self.base))
        self.session = aiohttp.ClientSession(
            cookie_jar=jar, connector=connector, connector_owner=connector is None,
            timeout=aiohttp.ClientTimeout(total=30),
        )
        for _ in range(50):
            try:
                async with self.session.get(f"{self.base}/kokoukset/{self.meeting}/live/") as r:
                    html = await r.text()
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        self.token = TOKEN_RE.search(html).group(1)
        self._task = asyncio.get_running_loop().create_task(self._socket_loop())

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.session is not None:
            await self.session.close()

    # --- state ------------------------------------------------------------------------------

    def _see(self, version: int, snapshot: dict[str, Any] | None) -> None:
        if version < self.version or not snapshot:
            return
        self.version = version
        self.full_v = int(snapshot.get("full_v", 0))
        vote = (snapshot.get("voting") or {}).get("vote")
        if vote:
            self._count(int(vote["id"]), int(vote["cast"]))

    def _progress(self, data: dict[str, Any]) -> None:
        """A ballot-count-only push; anything missed since the last full snapshot → resync."""
        version = int(data["v"])
        if version <= self.version:
            return
        if data.get("full_v") != self.full_v:
            self.needs_resync = True
            return
        self.version = version
        self._count(int(data["vote"]), int(data["cast"]))

    def _count(self, vote: int, count: int) -> None:
        if count > self.cast_seen.get(vote, -1):
            self.cast_seen[vote] = count
            now = time.monotonic()
            for c in range(count + 1):
                self.reached.setdefault((vote, c), now)

    async def resync(self) -> None:
        assert self.session is not None
        for _ in range(3):
            try:
                async with self.session.get(
                    f"{self.base}/kokoukset/{self.meeting}/live/state.json",
                    headers={"Accept": "application/json"},
                ) as r:
                    if r.status == 200:
                        data = await r.json()
                        self._see(int(data["v"]), data.get("snapshot"))
                        return
            except (TimeoutError, aiohttp.ClientError, ValueError):
                pass
            await asyncio.sleep(0.3)

    async def _socket_loop(self) -> None:
        assert self.session is not None
        attempt = 0
        ws_url = self.base.replace("http://", "ws://") + f"/ws/meetings/{self.meeting}/"
        while not self._stop:
            try:
                async with self.session.ws_connect(
                    ws_url, headers={"Origin": self.base}, heartbeat=None, autoping=True,
                ) as ws:
                    attempt = 0
                    self.connected.set()
                    await self.resync()
                    pinger = asyncio.get_running_loop().create_task(self._ping(ws))
                    try:
                        async for msg in ws:
                            if msg.type != aiohttp.WSMsgType.TEXT:
                                break
                            self.messages += 1
                            data = json.loads(msg.data)
                            kind = data.get("type")
                            if kind == "state":
                                self._see(int(data["v"]), data.get("snapshot"))
                            elif kind == "stale":
                                await self.resync()
                            elif kind == "progress":
                                self._progress(data)
                                if self.needs_resync:
                                    self.needs_resync = False
                                    await self.resync()
                            elif (kind == "pong" and isinstance(data.get("v"), int)
                                  and data["v"] > self.version):
                                await self.resync()
                    finally:
                        pinger.cancel()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - server gone: reconnect like room.js
                pass
            self.connected.clear()
            if self._stop:
                return
            attempt += 1
            self.reconnects += 1
            await asyncio.sleep(min(2.0, 0.25 * 2 ** (attempt - 1)) + random.random() * 0.25)

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            await asyncio.sleep(5)
            await ws.send_str(json.dumps({"type": "ping", "v": self.version}))

    # --- actions ------------------------------------------------------------------------------

    async def post(self, action: str, params: dict[str, Any], *, deadline: float = 30.0,
                   key: str | None = None) -> BallotResult:
        """An idempotent POST, resent with the same key on connection errors and 5xx."""
        assert self.session is not None
        key = key or uuid.uuid4().hex
        started = time.monotonic()
        attempts = 0
        url = f"{self.base}/kokoukset/{self.meeting}/live/do/{action}/"
        headers = {"Accept": "application/json", "Content-Type": "application/json",
                   "X-CSRFToken": self.token, "Idempotency-Key": key, "Origin": self.base,
                   "Referer": f"{self.base}/kokoukset/{self.meeting}/live/"}
        status = 0
        payload: dict[str, Any] = {}
        while time.monotonic() - started < deadline:
            attempts += 1
            try:
                async with self.session.post(url, data=json.dumps(params), headers=headers) as r:
                    status = r.status
                    try:
                        payload = await r.json(content_type=None)
                    except (ValueError, aiohttp.ContentTypeError):
                        payload = {}
                    if status < 500:
                        break
            except (TimeoutError, aiohttp.ClientError):
                status = 0
            await asyncio.sleep(min(1.0, 0.1 * attempts) + random.random() * 0.1)
        return BallotResult(bool(payload.get("ok")), status, time.monotonic() - started,
                            attempts, started, payload)

    async def cast(self, vote: int, option: str, **kw: Any) -> BallotResult:
        return await self.post("ballot.cast", {"vote": vote, "option": option}, **kw)


async def start_members(base: str, info: dict[str, Any], *, concurrency: int = 20,
                        skip_chair: bool = False) -> list[Member]:
    members = [Member(base, info["meeting"], m["cookie"], m["person"])
               for m in info["members"][(1 if skip_chair else 0):]]
    sem = asyncio.Semaphore(concurrency)

    async def one(m: Member) -> None:
        async with sem:
            await m.start()

    await asyncio.gather(*(one(m) for m in members))
    await asyncio.wait_for(asyncio.gather(*(m.connected.wait() for m in members)), 60)
    return members


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


# --- process measurements ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
