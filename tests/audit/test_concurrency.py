"""Concurrent appends from several worker processes (R78; spec section 6).

Two OS processes with four threads each (eight writers, like two ASGI workers under load)
append 2,000 entries to PostgreSQL, each in its own committed transaction, while this process
keeps signing checkpoints. Under this contention many entries take the queued path of
`audit.log` (numbered by the drains after commit), so both paths are exercised together.
Afterwards: nothing left queued, no gap and no duplicate in `seq`, every writer's entries in
its own order, the root equals audit.merkle's root over the stored bytes, and every stored
checkpoint's root matches its size. Committing needs `transactional_db`; the flush after the
test empties the log through the sanctioned path (`audit.guards`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from audit import merkle, store
from audit.checkpoints import sign_checkpoint
from audit.log import queued_count
from audit.models import AuditCheckpoint
from audit.verify import verify_bundle
from tests.audit import support

PROCESSES, THREADS, PER_THREAD = 2, 4, 250

WRITER = """
import sys, threading
import django
django.setup()
from django.db import connection, transaction
from audit.log import record

process, threads, per_thread = (int(a) for a in sys.argv[1:4])
start = threading.Barrier(threads)
errors = []
queued = []

def write(thread):
    try:
        start.wait()
        for i in range(per_thread):
            with transaction.atomic():
                entry = record(None, "test.concurrent", f"writer:{process}-{thread}", {"i": i})
            if entry is None:
                queued.append(i)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(f"queued={len(queued)}")
if errors:
    print("\\n".join(errors), file=sys.stderr)
    sys.exit(1)
"""


def database_url() -> str:
    s = connection.settings_dict
    user = quote(s["USER"] or "", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    host = f"{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
    return f"postgresql://{user}{password}@{host}/{s['NAME']}"


@pytest.mark.postgres
@pytest.mark.slow
def test_r78_eight_writers_in_two_processes_leave_no_gap(transactional_db, settings, tmp_path):
    """R78: concurrent requests on several workers never produce a gap or a duplicate."""
    support.use_test_key(settings, tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),  # the test database, which the writers commit to
        "AUDIT_SIGNING_KEY_FILE": str(settings.AUDIT_SIGNING_KEY_FILE),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(django_settings.BASE_DIR),
                                                    os.environ.get("PYTHONPATH")])),
    }
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(p), str(THREADS), str(PER_THREAD)],
            env=env, cwd=django_settings.BASE_DIR,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for p in range(PROCESSES)
    ]
    # Meanwhile sign checkpoints, as meeting events would, racing the writers.
    while any(w.poll() is None for w in writers):
        sign_checkpoint()
        time.sleep(0.01)
    queued = 0
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        queued += int(out.split("queued=")[1])
    # Every writer drained the queue after each commit (audit.log), and so did every lock
    # holder, checkpoints included: nothing committed is left waiting for its number.
    assert queued_count() == 0
    sign_checkpoint()
    print(f"{queued} of 2000 entries were queued behind another writer and numbered later")

    total = PROCESSES * THREADS * PER_THREAD
    entries = support.stored_entries()
    assert len(entries) == store.current_size() == total
    fields = [json.loads(e) for e in entries]
    assert [f["seq"] for f in fields] == list(range(total))  # no gap, no duplicate
    per_writer: dict[str, list[int]] = defaultdict(list)
    for f in fields:
        per_writer[f["object"]].append(f["data"]["i"])
    assert len(per_writer) == PROCESSES * THREADS
    assert all(order == list(range(PER_THREAD)) for order in per_writer.values())

    assert store.root(total) == merkle.root_from_entries(entries)
    checkpoints = list(AuditCheckpoint.objects.order_by("size"))
    assert len(checkpoints) > 1
    roots = merkle.prefix_roots(entries, [c.size for c in checkpoints])
    for cp in checkpoints:
        assert bytes(cp.root) == roots[cp.size], cp.size
        assert merkle.verify_note(cp.note, cp.key).root == roots[cp.size]

    oldest = tmp_path / "oldest.checkpoint"
    oldest.write_text(checkpoints[0].note)
    bundle = support.export(tmp_path / "bundle")
    result = verify_bundle(bundle, oldest)
    assert result.ok, result.message
