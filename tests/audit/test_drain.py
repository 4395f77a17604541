"""The queue of `audit.log` is drained after commit, and nothing stays queued (R78, R62).

PostgreSQL only, with committed transactions (`transactional_db`), because the drain runs in
`transaction.on_commit` callbacks, which Django runs only for a real commit. A second writer
runs in a thread with its own connection, as a concurrent request would. See the module
docstring of `audit.log` for the argument these tests exercise: every committed queued entry is
drained by its own transaction after commit, or else by the lock holder that made that drain
give up (after the holder ends), or, if the holder rolled back, by the next writer that commits.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections, transaction

from audit import merkle, store
from audit.log import queued_count, record
from audit.models import AuditEntry
from tests.audit import support

pytestmark = pytest.mark.postgres


class Boom(Exception):
    pass


def in_other_connection(work: Callable[[], Any]) -> Any:
    """Run `work` in a thread with its own database connection (another request)."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the other request hung"
    if errors:
        raise errors[0]
    return result[0]


def append_one(action: str) -> Any:
    with transaction.atomic():
        return record(None, action, "thing:1")


def actions_from(seq: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(seq__gte=seq).order_by("seq").values_list("action", flat=True)
    )


def assert_log_intact() -> None:
    entries = support.stored_entries()
    assert [json.loads(e)["seq"] for e in entries] == list(range(len(entries)))
    assert store.current_size() == len(entries)
    assert store.root(len(entries)) == merkle.root_from_entries(entries)


def test_r78_uncontended_append_is_numbered_in_the_callers_transaction(transactional_db):
    """R78: with the log free and nothing queued the entry is numbered at once (as on SQLite),
    and the drain after commit finds nothing to do."""
    with transaction.atomic():
        entry = record(None, "test.done", "thing:1")
        assert entry is not None and AuditEntry.objects.filter(seq=entry.seq).exists()
    assert queued_count() == 0
    assert_log_intact()


def test_r78_lock_holder_drains_what_was_queued_behind_it(transactional_db):
    """R78: a writer that queued while we held the log gives up its own drain (the lock is ours);
    our drain after commit numbers its entry."""
    with transaction.atomic():
        ours = record(None, "test.holder", "thing:1")
        assert ours is not None
        # The other request commits while we hold the log; its drain cannot take the lock.
        assert in_other_connection(lambda: append_one("test.behind")) is None
        assert queued_count() == 1  # committed, but its drain found the log held by us
    # Committed: our on-commit drain has numbered it.
    assert queued_count() == 0
    assert actions_from(ours.seq) == ["test.holder", "test.behind"]
    assert_log_intact()


def test_r78_entry_left_by_a_rolled_back_holder_is_drained_by_the_next_writer(transactional_db):
    """R78: a holder that rolls back runs no on-commit drain; the entry queued behind it waits for
    the next writer, which queues behind it (keeping the order) and drains both after commit."""
    with pytest.raises(Boom), transaction.atomic():
        assert record(None, "test.rolled_back", "thing:1") is not None
        assert in_other_connection(lambda: append_one("test.behind")) is None
        raise Boom
    assert queued_count() == 1  # committed, waiting for the next writer (or checkpoint)
    size = store.current_size()
    assert in_other_connection(lambda: append_one("test.next")) is None  # queued behind it
    assert queued_count() == 0
    assert actions_from(size) == ["test.behind", "test.next"]
    assert not AuditEntry.objects.filter(action="test.rolled_back").exists()
    assert_log_intact()


def test_r78_queued_then_rolled_back_leaves_nothing(transactional_db):
    """R78: an entry queued by a transaction that rolls back is gone, and no drain runs."""
    def queue_and_fail() -> None:
        with pytest.raises(Boom), transaction.atomic():
            assert record(None, "test.gone", "thing:1") is None
            raise Boom

    with transaction.atomic():
        assert record(None, "test.holder", "thing:1") is not None
        in_other_connection(queue_and_fail)
    assert queued_count() == 0
    assert not AuditEntry.objects.filter(action="test.gone").exists()
    assert_log_intact()
