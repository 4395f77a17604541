"""Concurrent ballots from two OS processes count once (R44; DESIGN "Realtime": idempotent POST).

PostgreSQL only (`@pytest.mark.postgres`): the data must be committed (`transaction=True`) and
two real processes must race. The test holds the vote's row lock while both processes start
and wait for it (ballots take it in share mode, `SELECT … FOR SHARE`); it then commits, and
both proceed at once. Exactly one
ballot and one `vote.cast` entry result, and both callers get the same receipt.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction

from audit.log import number_queued
from tests.voting.test_voting_support import audit_entries, close_discussion, make_room
from voting import services
from voting.models import Ballot, Vote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]

WORKER = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from kokous.errors import DomainError
from voting import services
user = get_user_model().objects.get(pk=int(sys.argv[1]))
try:
    result = services.cast_ballot(user, int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
except DomainError as err:
    print(json.dumps({"code": err.code}))
else:
    print(json.dumps({"receipt": result.receipt, "created": result.created}))
"""


def database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(user_id: int, meeting_id: int, vote_id: int, option: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(),
           "DJANGO_SETTINGS_MODULE": "kokous.settings_test"}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(user_id), str(meeting_id), str(vote_id), option],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        # Statistics views are a snapshot per transaction: clear it to see the waiters now.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race(room, vote: Vote, calls: list[tuple[int, str]]) -> list[dict]:
    """Start one process per call while holding the vote's row lock; release when all wait."""
    with transaction.atomic():
        Vote.objects.select_for_update().get(pk=vote.pk)
        procs = [start_worker(room.user(i).pk, room.meeting.pk, vote.pk, option)
                 for i, option in calls]
        deadline = time.monotonic() + 60
        while waiting_on_locks() < len(procs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                break
            time.sleep(0.05)
        if waiting_on_locks() != len(procs):
            for p in procs:
                p.kill()
            errors = [p.communicate()[1][-2000:] for p in procs]
            pytest.fail(f"the processes did not reach the lock together: {errors}")
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def open_vote_room(**kwargs):
    room = make_room(**kwargs)
    m, i = room.meeting.pk, room.item.pk
    a = services.make_proposal(room.user(1), m, i, "counter", "Vastaehdotus.")
    services.second_proposal(room.user(2), m, a.pk)
    close_discussion(room)
    services.state_proposals(room.chair, m, i)
    services.propose_order(room.chair, m, i)
    services.approve_order(room.chair, m, i)
    return room, services.open_vote(room.chair, m, i)


def test_r44_concurrent_identical_ballots_from_two_processes_count_once():
    """R44: the same member's ballot sent by two processes at once is one ballot, one audit
    entry, one receipt."""
    room, vote = open_vote_room(seats=5)
    results = race(room, vote, [(1, "ei"), (1, "ei")])
    assert all("receipt" in r for r in results), results
    assert results[0]["receipt"] == results[1]["receipt"]
    assert sorted(r["created"] for r in results) == [False, True]
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert len(audit_entries("vote.cast", f"vote:{vote.pk}")) == 1


def test_r44_concurrent_different_ballots_when_not_changeable_count_once():
    """R44: two different options sent at once when ballots are final: one wins, the other is
    refused with `vote.ballot_final`; still one ballot."""
    room, vote = open_vote_room(seats=5, ballot_changeable=False)
    results = race(room, vote, [(1, "jaa"), (1, "ei")])
    assert sorted(r.get("code", "ok") for r in results) == ["ok", "vote.ballot_final"]
    ballot = Ballot.objects.get(vote=vote)
    winner = next(r for r in results if "receipt" in r)
    assert ballot.receipt == winner["receipt"]
    assert len(audit_entries("vote.cast", f"vote:{vote.pk}")) == 1


def test_r44_concurrent_ballots_of_different_members_all_count():
    """Ballots of different members run side by side (share lock) and none is lost: three
    members at once, three ballots, three audit entries."""
    room, vote = open_vote_room(seats=5)
    results = race(room, vote, [(1, "jaa"), (2, "ei"), (3, "tyhja")])
    assert all(r["created"] for r in results), results
    assert Ballot.objects.filter(vote=vote).count() == 3
    # Concurrent appends may be queued for their number (audit/log.py); the next checkpoint
    # numbers them, as number_queued() does here.
    number_queued()
    seqs = [e["seq"] for e in audit_entries("vote.cast", f"vote:{vote.pk}")]
    assert len(seqs) == 3 and len(set(seqs)) == 3
