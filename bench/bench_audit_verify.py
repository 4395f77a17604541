"""Benchmark: offline verification of an audit export is bounded by SHA-256 (spec section 6).

    python bench/bench_audit_verify.py [--entries N] [--repeat R]

Writes an N-entry bundle (default 1,000,000 realistic canonical entries of about 150 bytes) to a
temporary directory, signs a checkpoint with a throwaway Ed25519 key, then times, best of R runs:

(a) baseline: read `entries.jsonl`, split it into lines, and compute the RFC 9162 root with a
    bare hashlib loop (leaf hash, then the same streaming stack fold `audit.merkle` uses);
(b) `audit.verify.verify_bundle` on the bundle (signature, line count, per-line checks, root).

Prints both and their ratio; exits 1 if the ratio exceeds 2.0 or verification fails (R62, R78).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from audit import merkle  # noqa: E402
from audit.verify import verify_bundle  # noqa: E402

MAX_RATIO = 2.0
ORIGIN = "bench.kokous.example/audit"
ACTIONS = (
    "attendance.joined",
    "attendance.left",
    "meeting.opened",
    "agenda.item_opened",
    "proposal.made",
    "proposal.seconded",
    "vote.cast",
    "document.viewed",
)


def make_entries(count: int, seed: int = 9162) -> bytes:
    """`count` canonical entries, one per line, like a council's real log."""
    rng = random.Random(seed)
    out = []
    for seq in range(count):
        seconds = 1_760_000_000 + seq * 3
        day, rest = divmod(seconds % (365 * 86400), 86400)
        month, mday = divmod(day % 336, 28)
        entry = {
            "action": rng.choice(ACTIONS),
            "actor": f"user:{rng.randint(1, 400)}",
            "data": {"choice": rng.choice(("jaa", "ei", "tyhjä")), "item": rng.randint(1, 9999)},
            "object": f"vote:{rng.randint(1, 99_999)}",
            "seq": seq,
            "ts": f"2026-{month + 1:02d}-{mday + 1:02d}T{rest // 3600:02d}:{rest // 60 % 60:02d}:"
            f"{rest % 60:02d}.{rng.randrange(1_000_000):06d}Z",
        }
        out.append(merkle.canonical_json(entry))
    return b"\n".join(out) + b"\n"


def bare_root(path: Path) -> bytes:
    """The baseline: the least work that computes the signed root from the export."""
    sha = hashlib.sha256
    lines = path.read_bytes().split(b"\n")
    lines.pop()
    stack: list[bytes] = []
    pop, push = stack.pop, stack.append
    for n, line in enumerate(lines):
        h = sha(b"\x00" + line).digest()
        j = n
        while j & 1:  # one merge per trailing 1 bit of n, like a binary counter
            h = sha(b"\x01" + pop() + h).digest()
            j >>= 1
        push(h)
    root = stack[-1] if stack else sha(b"").digest()
    for h in reversed(stack[:-1]):
        root = sha(b"\x01" + h + root).digest()
    return root


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kokous-audit-bench-") as tmp:
        bundle = Path(tmp)
        data = make_entries(args.entries)
        (bundle / "entries.jsonl").write_bytes(data)
        lines = data.split(b"\n")[:-1]
        root = merkle.root_from_entries(lines)
        key = Ed25519PrivateKey.generate()
        note = merkle.sign_checkpoint(ORIGIN, len(lines), root, ORIGIN, key)
        (bundle / "checkpoint").write_text(note, encoding="utf-8")
        (bundle / "key.vkey").write_text(
            merkle.verifier_key_line(ORIGIN, key.public_key()) + "\n", encoding="utf-8"
        )
        del data, lines
        print(
            f"{args.entries} entries, {(bundle / 'entries.jsonl').stat().st_size / 1e6:.1f} MB, "
            f"best of {args.repeat}"
        )

        base_time, base_root = best_of(args.repeat, lambda: bare_root(bundle / "entries.jsonl"))
        verify_time, result = best_of(args.repeat, lambda: verify_bundle(bundle))

    print(f"bare hashlib root:  {base_time:8.3f} s")
    print(f"verify_bundle:      {verify_time:8.3f} s")
    ratio = verify_time / base_time
    print(f"ratio:              {ratio:8.2f} (limit {MAX_RATIO})")
    if base_root != root:
        print("baseline root differs from the signed root", file=sys.stderr)
        return 1
    if not result.ok:  # type: ignore[union-attr]
        print(f"verification failed: {result.message}", file=sys.stderr)  # type: ignore[union-attr]
        return 1
    if ratio > MAX_RATIO:
        print(f"too slow: verify_bundle takes {ratio:.2f}x the bare hashlib loop", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
