"""Benchmark: serving an inclusion proof from a 1,000,000-entry log over HTTP (spec section 6).

    python bench/bench_audit_proof.py [--entries N] [--requests R] [--rounds 3] [--server URL]

Defaults: N = 1,000,000 entries, R = 200 requests per round.

1. Creates a throwaway PostgreSQL database on the server of `--server` (default `DATABASE_URL`,
   else postgresql://postgres@127.0.0.1:5432/postgres) and migrates it.
2. Builds the fixture fast: computes N canonical entries, their leaf hashes and every complete
   subtree in memory (`audit.merkle.TreeBuilder`, the same hashing `record` uses) and bulk-loads
   them with COPY, then sets the head size. This bypasses `audit.record` only to build the
   fixture in seconds instead of hours; the triggers stay in place (they refuse UPDATE and
   DELETE, not INSERT) and the result is checked: the root computed from the stored subtrees
   must equal the in-memory root.
3. Signs a checkpoint, logs in an auditor (a real staff role, MFA, session) and times
   `GET /audit/proof/inclusion?index=M&size=N` through Django's full request path (test Client:
   middleware, session, auditor check, view, JSON) for random M; each proof is verified
   against the signed checkpoint. Also reports the public consistency proof for reference.

Each round also times `audit.store.inclusion_proof` alone (no HTTP). Prints p50/p95/p99/max per
round; exits 1 if a proof does not verify or the inclusion p95 of the best round is >= 50 ms
(the machine is shared, so the best of a few rounds is what the code costs). The database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

P95_TARGET_MS = 50.0
ACTIONS = ("attendance.joined", "proposal.made", "vote.cast", "document.viewed")


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


def build_log(url: str, count: int) -> bytes:
    """Bulk-load `count` entries and their subtrees; returns the in-memory root."""
    import psycopg

    from audit import merkle

    rng = random.Random(9162)
    builder = merkle.TreeBuilder()
    nodes_written = 0
    t0 = time.perf_counter()
    # Two connections: one COPY each, so neither list has to be held in memory.
    with psycopg.connect(url) as entry_conn, psycopg.connect(url) as node_conn:
        with (
            entry_conn.cursor().copy(
                "COPY audit_auditentry (seq, entry, leaf_hash, action, object, actor) FROM STDIN"
            ) as entries,
            node_conn.cursor().copy(
                'COPY audit_auditnode (level, "index", hash) FROM STDIN'
            ) as nodes,
        ):
            for seq in range(count):
                action = ACTIONS[seq % len(ACTIONS)]
                actor = f"user:{rng.randint(1, 400)}"
                obj = f"vote:{seq // 40}"
                minute, second = seq // 60 % 60, seq % 60
                entry = merkle.canonical_json(
                    {
                        "action": action,
                        "actor": actor,
                        "data": {"choice": rng.choice(("jaa", "ei", "tyhjä")), "n": seq},
                        "object": obj,
                        "seq": seq,
                        "ts": f"2026-01-15T17:{minute:02d}:{second:02d}.{seq % 10**6:06d}Z",
                    }
                )
                leaf = merkle.leaf_hash(entry)
                entries.write_row((seq, entry, leaf, action, obj, actor))
                for (level, index), h in builder.append(leaf)[1:]:
                    nodes.write_row((level, index, h))
                    nodes_written += 1
        node_conn.commit()
        entry_conn.execute("UPDATE audit_audithead SET size = %s WHERE id = 1", [count])
        entry_conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    print(
        f"  fixture: {count:,} entries and {nodes_written:,} subtree hashes bulk-loaded in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return builder.root()


def percentiles(values: list[float]) -> str:
    v = sorted(values)

    def at(p: float) -> float:
        return v[min(len(v) - 1, int(p / 100 * len(v)))]

    return f"p50 {at(50):.2f} ms  p95 {at(95):.2f} ms  p99 {at(99):.2f} ms  max {v[-1]:.2f} ms"


def serve_proofs(url: str, count: int, requests: int, rounds: int, expected_root: bytes) -> int:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "kokous.settings_test"  # plain-HTTP test client
    key_dir = tempfile.mkdtemp(prefix="kokous-bench-key-")
    os.environ["AUDIT_SIGNING_KEY_FILE"] = str(Path(key_dir) / "audit.key")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from audit import keys, merkle, store
    from audit.checkpoints import sign_checkpoint
    from tests.factories import StaffRoleFactory

    setup_test_environment()
    settings.AUDIT_IS_AUDITOR = getattr(settings, "AUDIT_IS_AUDITOR", "meetings.rules.is_auditor")
    keys.write_new_key(keys.key_path())
    assert store.root(count) == expected_root, "stored subtrees disagree with the fixture"
    cp = sign_checkpoint()
    signed = merkle.verify_note(cp.note, keys.verifier_key())
    assert signed.size == count and signed.root == expected_root

    client = Client()
    client.force_login(StaffRoleFactory(role="auditor").person.user)
    rng = random.Random(1)
    inclusion_url = reverse("audit:inclusion_proof")
    consistency_url = reverse("audit:consistency_proof")
    for _ in range(20):  # warm up connections and caches
        client.get(inclusion_url, {"index": rng.randrange(count), "size": count})

    failures = 0
    best: float | None = None
    for number in range(1, rounds + 1):
        load = os.getloadavg()[0]
        timings, alone, consistency = [], [], []
        for _ in range(requests):
            index = rng.randrange(count)
            t0 = time.perf_counter()
            response = client.get(inclusion_url, {"index": index, "size": count})
            timings.append((time.perf_counter() - t0) * 1000)
            proof = merkle.parse_inclusion_proof_json(response.json())
            root = signed.root
            if not merkle.verify_inclusion(index, count, proof.leaf_hash, proof.hashes, root):
                failures += 1
            t0 = time.perf_counter()
            store.inclusion_proof(rng.randrange(count), count)  # the proof alone, no HTTP
            alone.append((time.perf_counter() - t0) * 1000)
        for _ in range(requests // 3):
            old = rng.randrange(1, count)
            t0 = time.perf_counter()
            response = client.get(consistency_url, {"from": old, "to": count})
            consistency.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        print(f"  round {number} (load {load:.1f}), N={count:,}:")
        print(f"    GET /audit/proof/inclusion (auditor): {percentiles(timings)}")
        print(f"    store.inclusion_proof alone:          {percentiles(alone)}")
        print(f"    GET /audit/proof/consistency (public): {percentiles(consistency)}")
        p95 = sorted(timings)[int(0.95 * len(timings))]
        best = p95 if best is None else min(best, p95)

    if failures:
        print(f"FAILED: {failures} inclusion proofs did not verify", file=sys.stderr)
        return 1
    assert best is not None
    if best >= P95_TARGET_MS:
        print(
            f"FAILED: inclusion p95 {best:.2f} ms (best round) >= target {P95_TARGET_MS} ms",
            file=sys.stderr,
        )
        return 1
    print(
        f"OK: all {rounds * requests} proofs verify against the signed checkpoint; "
        f"inclusion p95 {best:.2f} ms (best round) < {P95_TARGET_MS} ms"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="per round")
    parser.add_argument("--rounds", type=int, default=3, help="best round counts (shared machine)")
    parser.add_argument(
        "--server",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    if not args.server.startswith(("postgres://", "postgresql://")):
        print("bench_audit_proof needs PostgreSQL (--server or DATABASE_URL)", file=sys.stderr)
        return 2
    print(f"audit inclusion proofs over HTTP ({os.cpu_count()} CPUs)")
    with throwaway_database(args.server, f"kokous_bench_proof_{os.getpid()}") as url:
        root = build_log(url, args.entries)
        return serve_proofs(url, args.entries, args.requests, args.rounds, root)


if __name__ == "__main__":
    sys.exit(main())
