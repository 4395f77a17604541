"""Live-room benchmark: real HTTP and WebSocket clients against the served application.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/live/run.py [--members 85,300] [--viewers 3000] [--modes sse,poll]

Each scenario gets a fresh database in a private PostgreSQL cluster (default settings: fsync
and synchronous commit on; or DATABASE_URL's server with --shared-postgres), a private Redis on
a free port and two uvicorn worker processes behind one address. Results are printed as JSON; docs/performance-live.md records a run.

* members N — N remote members with open sockets cast their ballots at once; measured: every
  ballot accepted, ballot latency (p50/p95/max), time from the first ballot until the final
  count is on every member's socket, server CPU seconds and peak memory;
* viewers V — V public viewers (a separate process) follow the public view while the chair gives
  the floor to a new speaker every two seconds; measured: time from the grant being answered
  until each viewer has the new speaker (p50/p99/max), per mode (server-sent events, 1 s polls).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.live.clients import (  # noqa: E402
    Member,
    cpu_seconds,
    peak_rss_mb,
    percentile,
    start_members,
)
from tests.live.harness import (  # noqa: E402
    PrivatePostgres,
    PrivateRedis,
    Stack,
    drop_database,
    fresh_database,
)

ADMIN_URL = {"url": ""}
#: state.json resyncs by the simulated pages (each costs the server a full per-user state).
RESYNCS = {"count": 0}
_resync = Member.resync


async def _counted_resync(self: Member) -> None:
    RESYNCS["count"] += 1
    await _resync(self)


Member.resync = _counted_resync  # type: ignore[method-assign]
#: `--profile DIR`: py-spy records each worker during the vote (flame graphs / speedscope).
PROFILE = {"dir": ""}
#: The workers' environment (bench/live/settings.py: `--pool`, `--cpu-profile`).
SERVER_ENV = {"UVICORN_TIMEOUT_KEEP_ALIVE": "120"}


def server_usage(stack: Stack) -> dict[str, float]:
    pids = stack.worker_pids()
    return {"cpu": sum(cpu_seconds(p) for p in pids),
            "peak_rss_mb": max((peak_rss_mb(p) for p in pids), default=0.0),
            "workers": len(pids),
            "database_cpu": _cpu_of_processes_named("postgres"),
            "redis_cpu": _cpu_of_processes_named("redis-server"),
            "clients_cpu": time.process_time()}


def _cpu_of_processes_named(name: str) -> float:
    """CPU seconds of every process called `name` (the private cluster's backends and the
    machine's idle ones alike: only differences over the window are reported)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() == name:
                total += cpu_seconds(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return total


def new_stack(tmp: Path, name: str, redis: PrivateRedis) -> tuple[Stack, str]:
    admin = ADMIN_URL["url"]
    database = fresh_database(admin, name)
    # Browsers keep a connection to the server open while the room is open and retry on a
    # reused connection the server had just closed; the simulated pages do neither, so uvicorn's
    # 5 s keep-alive made ballots sent a few seconds after the page load fail and be resent.
    stack = Stack(tmp / name, database_url=database, redis_url=redis.url, workers=2,
                  env=dict(SERVER_ENV))
    stack.prepare()
    return stack, admin


def signal_cpu_profilers(stack: Stack) -> None:
    """`--cpu-profile`: start (first call) or write (second call) the workers' yappi profiles."""
    if SERVER_ENV.get("KOKOUS_BENCH_CPU_PROFILE"):
        for pid in stack.worker_pids():
            os.kill(pid, signal.SIGUSR2)


def start_profilers(stack: Stack, n: int) -> list[subprocess.Popen[bytes]]:
    """py-spy on every worker for the vote window (native frames off: Python stacks only)."""
    if not PROFILE["dir"]:
        return []
    out = Path(PROFILE["dir"])
    out.mkdir(parents=True, exist_ok=True)
    procs = []
    for pid in stack.worker_pids():
        procs.append(subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
             "--rate", "250", "--duration", "30", "--format", "raw",
             "--output", str(out / f"m{n}-worker{pid}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(1.0)  # attached before the first ballot
    return procs


def stop_profilers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(2)  # SIGINT: py-spy writes what it has
    for proc in procs:
        proc.wait(timeout=60)


async def vote_round(stack: Stack, info: dict) -> dict:
    members = await start_members(stack.base_url, info, concurrency=30)
    vote = info["vote"]
    n = len(members)
    profilers: list[subprocess.Popen[bytes]] = []
    try:
        await asyncio.sleep(2.0)  # let connect-time writes settle
        profilers = start_profilers(stack, n)
        load = os.getloadavg()
        resyncs = RESYNCS["count"]
        signal_cpu_profilers(stack)
        before = server_usage(stack)
        wall0 = time.monotonic()
        results = await asyncio.gather(*(m.cast(vote, ("jaa", "ei", "tyhja")[i % 3])
                                         for i, m in enumerate(members)))
        deadline = time.monotonic() + 30
        while (any(m.cast_seen.get(vote, -1) < n for m in members)
               and time.monotonic() < deadline):
            await asyncio.sleep(0.01)
        after = server_usage(stack)
        signal_cpu_profilers(stack)
        stop_profilers(profilers)
        first = min(r.sent_at for r in results)
        final = max(m.reached.get((vote, n), float("inf")) for m in members)
        latencies = [r.latency for r in results]
        return {
            "members": n,
            "accepted": sum(r.ok for r in results),
            "retried": sum(r.attempts > 1 for r in results),
            "ballot_latency_p50": round(percentile(latencies, 50), 3),
            "ballot_latency_p95": round(percentile(latencies, 95), 3),
            "ballot_latency_max": round(max(latencies), 3),
            "final_state_on_every_socket_s": round(final - first, 3),
            "all_ballots_answered_s": round(max(r.sent_at + r.latency for r in results) - first,
                                            3),
            "socket_messages_per_member": round(sum(m.messages for m in members) / n, 1),
            "state_resyncs": RESYNCS["count"] - resyncs,
            "server_cpu_s": round(after["cpu"] - before["cpu"], 3),
            "server_cpu_ms_per_ballot": round((after["cpu"] - before["cpu"]) / n * 1000, 1),
            "server_peak_rss_mb": round(after["peak_rss_mb"], 1),
            "workers": after["workers"],
            # Where the rest of the two cores went in the same window (not the server's):
            # PostgreSQL backends (exits of short-lived ones are missed), Redis, and this
            # process's simulated members.
            "database_cpu_s": round(after["database_cpu"] - before["database_cpu"], 3),
            "redis_cpu_s": round(after["redis_cpu"] - before["redis_cpu"], 3),
            "clients_cpu_s": round(after["clients_cpu"] - before["clients_cpu"], 3),
            "load_at_start": [round(x, 2) for x in load],
            "window_s": round(time.monotonic() - wall0, 3),
        }
    finally:
        stop_profilers([p for p in profilers if p.poll() is None])
        await asyncio.gather(*(m.stop() for m in members))


def bench_members(tmp: Path, redis: PrivateRedis, count: int) -> dict:
    stack, admin = new_stack(tmp, f"kokous_bench_live_m{count}_{os.getpid()}", redis)
    try:
        info = stack.seed("meeting", "--members", str(count), "--vote", "--remote")
        stack.start()
        return asyncio.run(vote_round(stack, info))
    finally:
        stack.stop()
        drop_database(admin, stack.database_url.rpartition("/")[2])


async def speaker_changes(stack: Stack, info: dict, changes: int, ready: Path,
                          timeout: float) -> dict[str, float]:
    chair = Member(stack.base_url, info["meeting"], info["chair"]["cookie"], 0)
    speakers = [Member(stack.base_url, info["meeting"], m["cookie"], m["person"])
                for m in info["members"][1:changes + 1]]
    for m in [chair, *speakers]:
        await m.start()
    granted: dict[str, float] = {}
    try:
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("viewers never became ready")
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)
        r = await chair.post("item.open", {"item": info["item"]})
        assert r.ok, r.payload
        await asyncio.sleep(2.0)
        for m, meta in zip(speakers, info["members"][1:changes + 1], strict=True):
            req = await m.post("floor.request", {"kind": "speech"})
            assert req.ok, req.payload
            grant = await chair.post("floor.grant", {"request": req.payload["request"]})
            assert grant.ok, grant.payload
            granted[meta["name"]] = time.time()
            await asyncio.sleep(2.0)
        await asyncio.sleep(2.0)
        return granted
    finally:
        for m in [chair, *speakers]:
            await m.stop()


def bench_viewers(tmp: Path, redis: PrivateRedis, count: int, mode: str,
                  changes: int = 6) -> dict:
    stack, admin = new_stack(tmp, f"kokous_bench_live_v{mode}_{os.getpid()}", redis)
    ready = tmp / f"ready-{mode}.json"
    out = tmp / f"viewers-{mode}.json"
    try:
        info = stack.seed("meeting", "--members", str(changes + 1), "--open", "--remote")
        stack.start()
        duration = 40 + changes * 2.5
        proc = subprocess.Popen([
            sys.executable, str(ROOT / "bench/live/viewers.py"), "--base", stack.base_url,
            "--meeting", str(info["meeting"]), "--count", str(count), "--mode", mode,
            "--duration", str(duration), "--ready", str(ready), "--out", str(out),
        ], cwd=ROOT)
        before = server_usage(stack)
        granted = asyncio.run(speaker_changes(stack, info, changes, ready, timeout=60))
        after = server_usage(stack)
        proc.wait(timeout=duration + 60)
        data = json.loads(out.read_text())
        latencies, missed = [], 0
        for seen in data["first_seen"]:
            for name, at in granted.items():
                if name in seen:
                    latencies.append(seen[name] - at)
                else:
                    missed += 1
        return {
            "mode": mode,
            "viewers": data["count"],
            "connected": data["connected"],
            "ramp_s": round(json.loads(ready.read_text())["ramp_seconds"], 1),
            "changes": len(granted),
            "deliveries": len(latencies),
            "missed": missed,
            "latency_p50": round(percentile(latencies, 50), 3),
            "latency_p99": round(percentile(latencies, 99), 3),
            "latency_max": round(max(latencies), 3) if latencies else None,
            "viewer_errors": data["errors"],
            "http_requests": data["requests"],
            "server_cpu_s": round(after["cpu"] - before["cpu"], 2),
            "server_cpu_window_s": round(changes * 2.0 + 6, 1),
            "server_peak_rss_mb": round(after["peak_rss_mb"], 1),
        }
    finally:
        stack.stop()
        drop_database(admin, stack.database_url.rpartition("/")[2])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", default="85,300")
    parser.add_argument("--viewers", type=int, default=3000)
    parser.add_argument("--modes", default="sse,poll")
    parser.add_argument("--profile", default="",
                        help="directory for py-spy profiles of the workers during the vote")
    parser.add_argument("--cpu-profile", default="",
                        help="directory for yappi CPU profiles of the workers during the vote")
    parser.add_argument("--pool", action="store_true",
                        help="Django's PostgreSQL connection pool in the workers (psycopg_pool)")
    parser.add_argument("--shared-postgres", action="store_true",
                        help="use DATABASE_URL's server instead of a private cluster")
    args = parser.parse_args()
    PROFILE["dir"] = args.profile
    SERVER_ENV["DJANGO_SETTINGS_MODULE"] = "bench.live.settings"
    if args.pool:
        SERVER_ENV["KOKOUS_BENCH_POOL"] = "1"
    if args.cpu_profile:
        SERVER_ENV["KOKOUS_BENCH_CPU_PROFILE"] = args.cpu_profile
    tmp = Path(tempfile.mkdtemp(prefix="kokous-bench-live-"))
    redis = PrivateRedis(tmp)
    redis.start()
    pg = None
    if args.shared_postgres:
        ADMIN_URL["url"] = os.environ.get("DATABASE_URL",
                                          "postgresql://postgres@127.0.0.1:5432/postgres")
    else:
        pg = PrivatePostgres()  # default settings (fsync on), max_connections 200, own port
        pg.init()
        ADMIN_URL["url"] = pg.url
    results: dict[str, object] = {"cpus": os.cpu_count(),
                                  "load_before": os.getloadavg()[0], "pool": args.pool}
    try:
        for n in [int(x) for x in args.members.split(",") if x]:
            results[f"members_{n}"] = bench_members(tmp, redis, n)
            print(json.dumps(results[f"members_{n}"]), flush=True)
        for mode in [m for m in args.modes.split(",") if m] if args.viewers else []:
            results[f"viewers_{mode}"] = bench_viewers(tmp, redis, args.viewers, mode)
            print(json.dumps(results[f"viewers_{mode}"]), flush=True)
    finally:
        redis.stop()
        if pg is not None:
            pg.destroy()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
