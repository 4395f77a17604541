"""Public viewers for the live benchmark: a separate process of asyncio clients (127.0.0.1 only).

    python bench/live/viewers.py --base http://127.0.0.1:PORT --meeting ID --count 3000 \
        --mode sse|poll --duration 40 --ready FILE --out FILE

`sse`: each viewer holds one server-sent-events stream (/julkinen/kokous/<id>/events).
`poll`: each viewer polls snapshot.json every second (random phase, If-None-Match → 304).
For every viewer the first time each speaker's name appears is recorded (wall clock), so the
benchmark can compare it with the moment the chair granted the floor. Bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

import aiohttp

MAX_VIEWERS = 5000
MAX_DURATION = 300


def speaker_of(data: dict) -> str:
    return ((data.get("speaker") or {}).get("name")) or ""


class Viewer:
    def __init__(self) -> None:
        self.first_seen: dict[str, float] = {}
        self.connected = False
        self.errors = 0
        self.requests = 0

    def see(self, data: dict) -> None:
        name = speaker_of(data)
        if name and name not in self.first_seen:
            self.first_seen[name] = time.time()


async def sse(session: aiohttp.ClientSession, url: str, v: Viewer, stop: float) -> None:
    while time.time() < stop:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=None,
                                                                       sock_read=30)) as r:
                v.connected = r.status == 200
                v.requests += 1
                buf = b""
                async for chunk in r.content.iter_any():
                    buf += chunk
                    while b"\n\n" in buf:
                        event, buf = buf.split(b"\n\n", 1)
                        for line in event.split(b"\n"):
                            if line.startswith(b"data: "):
                                v.see(json.loads(line[6:]))
                    if time.time() >= stop:
                        return
        except (TimeoutError, aiohttp.ClientError, ValueError):
            v.errors += 1
            v.connected = False
            await asyncio.sleep(1 + random.random())


async def poll(session: aiohttp.ClientSession, url: str, v: Viewer, stop: float) -> None:
    etag = None
    version = 0
    await asyncio.sleep(random.random())  # random phase
    next_at = time.monotonic()
    while time.time() < stop:
        headers = {"Accept": "application/json"}
        if etag:
            headers["If-None-Match"] = etag
        try:
            async with session.get(f"{url}?v={version}", headers=headers) as r:
                v.requests += 1
                v.connected = True
                if r.status == 200:
                    etag = r.headers.get("ETag")
                    data = await r.json()
                    version = data.get("v", version)
                    v.see(data)
                elif r.status != 304:
                    v.errors += 1
        except (TimeoutError, aiohttp.ClientError, ValueError):
            v.errors += 1
        next_at += 1.0
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def main(args: argparse.Namespace) -> None:
    count = min(args.count, MAX_VIEWERS)
    duration = min(args.duration, MAX_DURATION)
    stop = time.time() + duration
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, connect=30, sock_read=60)
    viewers = [Viewer() for _ in range(count)]
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if args.mode == "sse":
            url = f"{args.base}/julkinen/kokous/{args.meeting}/events"
            runner = sse
        else:
            url = f"{args.base}/julkinen/kokous/{args.meeting}/snapshot.json"
            runner = poll
        tasks = []
        started = time.time()
        for i, v in enumerate(viewers):
            tasks.append(asyncio.create_task(runner(session, url, v, stop)))
            if i % 100 == 99:
                await asyncio.sleep(0.05)  # ramp up instead of a connect storm
        while sum(v.connected for v in viewers) < count * 0.99 and time.time() < stop - 5:
            await asyncio.sleep(0.2)
        Path(args.ready).write_text(json.dumps({
            "connected": sum(v.connected for v in viewers), "ramp_seconds": time.time() - started,
        }))
        await asyncio.gather(*tasks, return_exceptions=True)
    Path(args.out).write_text(json.dumps({
        "count": count,
        "connected": sum(v.connected for v in viewers),
        "errors": sum(v.errors for v in viewers),
        "requests": sum(v.requests for v in viewers),
        "first_seen": [v.first_seen for v in viewers],
    }))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--meeting", type=int, required=True)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--mode", choices=["sse", "poll"], default="sse")
    parser.add_argument("--duration", type=float, default=40)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not args.base.startswith("http://127.0.0.1:"):
        raise SystemExit("viewers only connect to 127.0.0.1")
    asyncio.run(main(args))
