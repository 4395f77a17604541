"""Benchmark: `audit.record` latency with 4 concurrent writers on PostgreSQL (spec section 6).

    python bench/bench_audit_record.py [--writers 4] [--per-writer 1000] [--rounds 3] [--server URL]

Creates a throwaway PostgreSQL database on the server of `--server` (default `DATABASE_URL`, else
postgresql://postgres@127.0.0.1:5432/postgres), migrates it in a subprocess, then starts
`--writers` processes (like ASGI workers). Each does, `--per-writer` times,
`with transaction.atomic(): record(...)`, a committed transaction per entry like a request, and
times the `record` call (the target), split by path (numbered in the caller's transaction, or
queued), the whole transaction including COMMIT and the after-commit drain of the queue, and that
drain alone. After each round the queue must be empty (the drains after commit leave nothing
behind); at the end the log is checked (a final drain finds nothing, no gap, root equals
audit.merkle's root over the stored bytes). Each round first runs the same writers with one plain INSERT instead of `record`, the
baseline of what a committed one-row transaction costs on this machine at that moment. Prints
p50/p95/p99 and throughput per round; exits 1 if the p95 of `record` in the best round is
>= 2 ms (R78): the machine is shared, so the best of a few rounds is what the code costs. The
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

P95_TARGET_MS = 2.0
WARMUP = 100


@contextmanager
def throwaway_database(server_url: str, name: str) -> Iterator[str]:
    """Create database `name` on the server of `server_url`, yield its URL, drop it after."""
    import psycopg

    parts = urlsplit(server_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, check=True,
        )
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def writer(url: str, number: int, count: int, start: object, out: object, plain: bool) -> None:
    """One worker process: warm up, wait for the others, then time `count` appends.

    With `plain`, each transaction inserts one row into a table without audit instead: the
    baseline of what a committed one-row transaction costs on this machine at this moment."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokous.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from audit import log
    from audit.log import record

    drains: list[float] = []
    drain_queue = log.drain_queue

    def timed_drain() -> int:  # what record() schedules after commit on PostgreSQL
        t = time.perf_counter()
        try:
            return drain_queue()
        finally:
            drains.append(time.perf_counter() - t)

    log.drain_queue = timed_drain

    def append(i: int) -> Any:
        if plain:
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO bench_plain (payload) VALUES (%s)", [b"x" * 150])
            return True
        return record(f"user:{number + 1}", "vote.cast", f"vote:{i}", {"choice": "jaa"})

    for i in range(WARMUP):
        with transaction.atomic():
            append(i)
    start.wait()
    drains.clear()  # type: ignore[attr-defined]
    in_record, whole, paths = [], [], []
    clock = time.perf_counter
    for i in range(count):
        t0 = clock()
        with transaction.atomic():
            t1 = clock()
            entry = append(i)
            t2 = clock()
        t3 = clock()
        in_record.append(t2 - t1)
        whole.append(t3 - t0)
        paths.append(entry is None)
    connection.close()
    out.put((in_record, whole, paths, drains))  # type: ignore[attr-defined]


def check_log(url: str, expected: int) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokous.settings")
    import django

    django.setup()
    from audit import merkle, store
    from audit.log import number_queued, queued_count
    from audit.models import AuditEntry

    assert queued_count() == 0, "entries left queued after the writers' drains"
    assert number_queued() == 0 and queued_count() == 0, "a final drain found queued entries"
    rows = list(AuditEntry.objects.order_by("seq").values_list("seq", "entry"))
    assert [seq for seq, _ in rows] == list(range(expected)), "gap or duplicate in seq"
    assert store.root(expected) == merkle.root_from_entries(bytes(e) for _, e in rows), "root"


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def summary(results: list[Any]) -> dict[str, float]:
    in_call = sorted(x * 1000 for r in results for x in r[0])
    whole = sorted(x * 1000 for r in results for x in r[1])
    out = {f"p{p}": percentile(in_call, p) for p in (50, 95, 99)}
    out.update({f"tx_p{p}": percentile(whole, p) for p in (50, 95, 99)})
    out["max"] = in_call[-1]
    out["queued"] = sum(sum(r[2]) for r in results)
    out["count"] = len(in_call)
    for name, queued in (("numbered", False), ("queued", True)):
        times = sorted(
            x * 1000 for r in results for x, q in zip(r[0], r[2], strict=True) if q is queued
        )
        for p in (50, 95):
            out[f"{name}_p{p}"] = percentile(times, p) if times else float("nan")
    drains = sorted(x * 1000 for r in results for x in r[3])
    for p in (50, 95):
        out[f"drain_p{p}"] = percentile(drains, p) if drains else float("nan")
    return out


def left_queued(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM audit_auditpending").fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--per-writer", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="best round counts (shared machine)")
    parser.add_argument(
        "--server",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    if not args.server.startswith(("postgres://", "postgresql://")):
        print("bench_audit_record needs PostgreSQL (--server or DATABASE_URL)", file=sys.stderr)
        return 2

    ctx = multiprocessing.get_context("spawn")

    def run(url: str, plain: bool) -> tuple[dict[str, float], float]:
        start = ctx.Barrier(args.writers + 1)
        out = ctx.Queue()
        procs = [
            ctx.Process(target=writer, args=(url, n, args.per_writer, start, out, plain))
            for n in range(args.writers)
        ]
        for p in procs:
            p.start()
        start.wait()
        t0 = time.perf_counter()
        results = [out.get() for _ in procs]
        elapsed = time.perf_counter() - t0
        for p in procs:
            p.join()
        return summary(results), elapsed

    print(
        f"audit.record, {args.writers} concurrent writer processes x {args.per_writer} committed "
        f"transactions on PostgreSQL, {args.rounds} rounds ({os.cpu_count()} CPUs)"
    )
    rounds = []
    with throwaway_database(args.server, f"kokous_bench_record_{os.getpid()}") as url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_plain (id bigserial PRIMARY KEY, payload bytea)")
        for number in range(1, args.rounds + 1):
            load = os.getloadavg()[0]
            base, _ = run(url, plain=True)
            audit, elapsed = run(url, plain=False)
            rounds.append(audit)
            left = left_queued(url)
            print(
                f"  round {number} (load {load:.1f}): record() p50 {audit['p50']:.3f} "
                f"p95 {audit['p95']:.3f} p99 {audit['p99']:.3f} max {audit['max']:.1f} ms; "
                f"whole transaction (COMMIT and drain included) p50 {audit['tx_p50']:.3f} "
                f"p95 {audit['tx_p95']:.3f} ms; "
                f"{audit['queued']:.0f}/{audit['count']:.0f} queued; "
                f"{audit['count'] / elapsed:,.0f} entries/s"
            )
            print(
                f"           by path: numbered in the caller's transaction p50 "
                f"{audit['numbered_p50']:.3f} p95 {audit['numbered_p95']:.3f} ms, queued p50 "
                f"{audit['queued_p50']:.3f} p95 {audit['queued_p95']:.3f} ms; after-commit "
                f"drain (in the whole transaction) p50 {audit['drain_p50']:.3f} p95 "
                f"{audit['drain_p95']:.3f} ms; left queued after the round: {left}"
            )
            if left:
                print("FAILED: entries left queued after the writers' drains", file=sys.stderr)
                return 1
            print(
                f"           baseline (one plain INSERT instead): in transaction p50 "
                f"{base['p50']:.3f} p95 {base['p95']:.3f} ms; whole transaction p50 "
                f"{base['tx_p50']:.3f} p95 {base['tx_p95']:.3f} ms"
            )
        total = args.rounds * args.writers * (args.per_writer + WARMUP)
        checker = ctx.Process(target=check_log, args=(url, total))
        checker.start()
        checker.join()
        if checker.exitcode != 0:
            print("FAILED: the log written by the writers does not check out", file=sys.stderr)
            return 1
    print(
        f"  log verified: {total} entries, none left queued, no gap, no duplicate, root equals "
        "audit.merkle's"
    )
    best = min(rounds, key=lambda r: r["p95"])
    if best["p95"] >= P95_TARGET_MS:
        print(
            f"FAILED: record() p95 {best['p95']:.3f} ms (best round) >= target {P95_TARGET_MS} ms",
            file=sys.stderr,
        )
        return 1
    print(f"OK: record() p95 {best['p95']:.3f} ms (best round) < {P95_TARGET_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
