"""A close racing many ballots (R41, R44; docs/performance-live.md).

Ballots take the vote in share mode, so they run side by side; closing takes it exclusively.
Here 24 members cast within a third of a second while the chair closes, each in its own thread
with its own PostgreSQL connection and transaction (truly concurrent transactions). Whatever
the interleaving: every ballot that was answered with a receipt is in the closed result and in the
audit log, every other one was refused as `vote.closed` and left nothing behind, and no ballot
row exists that the result does not count.

PostgreSQL only (`@pytest.mark.postgres`): SQLite serialises writers, so nothing would race.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from audit.log import number_queued
from kokous.errors import DomainError
from tests.voting.test_concurrency import open_vote_room
from tests.voting.test_voting_support import audit_entries
from voting import services
from voting.models import Ballot, Vote, VoteStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VOTERS = 24


def _in_thread(barrier: threading.Barrier, delay: float, fn: Any, out: list, i: int) -> None:
    try:
        connection.ensure_connection()  # connect before the start line, not after it
        barrier.wait(timeout=60)
        if delay:
            threading.Event().wait(delay)
        out[i] = ("ok", fn())
    except DomainError as err:
        out[i] = ("refused", err.code)
    except BaseException as err:  # noqa: BLE001 - reported by the test
        out[i] = ("error", repr(err))
    finally:
        connection.close()


def race(calls: list[tuple[float, Any]]) -> list[tuple[str, Any]]:
    """Run each `(delay, fn)` in its own thread and connection, all released at once."""
    out: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))
    threads = [threading.Thread(target=_in_thread, args=(barrier, delay, fn, out, i))
               for i, (delay, fn) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing transaction never finished"
    return out


@pytest.mark.parametrize("close_delay", [0.0, 0.1, 0.2])
def test_r41_r44_close_racing_ballots_counts_every_accepted_ballot_and_none_after(close_delay):
    room, vote = open_vote_room(seats=VOTERS + 3)
    m = room.meeting.pk
    # Two early ballots, so the result is never a tie the chair would have to settle.
    services.cast_ballot(room.user(1), m, vote.pk, "jaa")
    services.cast_ballot(room.user(2), m, vote.pk, "jaa")
    voters = list(range(3, VOTERS + 3))
    options = ("jaa", "ei", "tyhja")
    # Ballots start over ~0.3 s, so some are in flight when the close comes and some after it.
    calls: list[tuple[float, Any]] = [
        (0.012 * k, lambda i=i: services.cast_ballot(room.user(i), m, vote.pk, options[i % 3]))
        for k, i in enumerate(voters)
    ]
    calls.append((close_delay, lambda: services.close_vote(room.chair, m, vote.pk)))
    results = race(calls)

    errors = [r for r in results if r[0] == "error"]
    assert not errors, errors
    assert results[-1][0] == "ok", results[-1]  # the close itself went through
    accepted = {i for i, r in zip(voters, results, strict=False) if r[0] == "ok"}
    refused = {i: r[1] for i, r in zip(voters, results, strict=False) if r[0] == "refused"}
    assert set(refused.values()) <= {"vote.closed"}, refused
    assert accepted | set(refused) == set(voters)

    vote = Vote.objects.get(pk=vote.pk)
    assert vote.status == VoteStatus.CLOSED
    persons = {room.user(i).person.pk for i in accepted} | {
        room.user(1).person.pk, room.user(2).person.pk}
    # Every accepted ballot is stored and counted, none after the close.
    stored = set(Ballot.objects.filter(vote=vote).values_list("person_id", flat=True))
    assert stored == persons
    assert vote.jaa_count + vote.ei_count + vote.tyhja_count == len(persons)
    number_queued()  # concurrent appends may wait in the queue for their number (audit/log.py)
    closed = audit_entries("vote.closed", f"vote:{vote.pk}")
    assert len(closed) == 1
    named = {pid for key in ("jaa", "ei", "tyhja") for pid in closed[0]["data"]["names"][key]}
    assert named == persons
    assert {e["data"]["person"] for e in audit_entries("vote.cast", f"vote:{vote.pk}")} == persons
    # The receipts the members were given are the stored ones.
    for i, r in zip(voters, results, strict=False):
        if r[0] == "ok":
            assert Ballot.objects.get(vote=vote, person=room.user(i).person).receipt == (
                r[1].receipt)
