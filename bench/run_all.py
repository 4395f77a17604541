"""Run every benchmark in bench/ and report which met its target (`make bench`).

Each benchmark is a script that prints its measurements and exits non-zero when it misses a
target. Results with dates and machine notes are recorded in docs/performance.md; run this on an
otherwise idle machine. The PostgreSQL benchmarks need the local server (they create and drop
their own throwaway databases) and the live benchmark needs Redis too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = [
    ["bench_audit_verify.py"],
    ["bench_audit_record.py"],
    ["bench_audit_proof.py"],
    ["bench_minutes_pdf.py"],
    ["live/run.py"],
]


def main() -> int:
    failures = []
    for script, *args in SCRIPTS:
        path = BENCH / script
        if not path.exists():
            print(f"== {script}: missing", flush=True)
            failures.append(script)
            continue
        print(f"== {script}", flush=True)
        result = subprocess.run([sys.executable, str(path), *args], cwd=BENCH.parent)
        if result.returncode != 0:
            failures.append(script)
    print("== targets missed:", ", ".join(failures) if failures else "none")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
