"""Appending to the audit log: one transaction with the change, format, tree storage.

R64 (TiHL 17 §: use and disclosure are logged), R78 (append-only, timestamped event log as
evidence), R62 (integrity: the stored tree is the RFC 9162 tree of the stored bytes).
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from audit import checkpoints, merkle, store
from audit.checkpoints import checkpoint_on_commit, latest_checkpoint, sign_checkpoint
from audit.log import (
    InvalidEntry,
    OutsideTransaction,
    drain_queue,
    number_queued,
    queued_count,
    record,
)
from audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode, AuditPending
from meetings.models import Municipality
from tests import factories
from tests.audit import support

TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


class Boom(Exception):
    pass


def run_sql(statement: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path):
    return support.use_test_key(settings, tmp_path)


def test_r78_entry_rolls_back_with_the_change(db):
    """R78: a state change and its entry commit together or not at all."""
    before = store.current_size()
    with pytest.raises(Boom), transaction.atomic():
        municipality = factories.MunicipalityFactory(name_fi="Peruttava kunta")
        record(None, "municipality.created", municipality, {"name": municipality.name_fi})
        raise Boom
    assert not Municipality.objects.filter(name_fi="Peruttava kunta").exists()
    assert store.current_size() == before
    assert not AuditEntry.objects.filter(action="municipality.created").exists()
    # ...and the next entry takes the number the rolled-back one had: no gap.
    with transaction.atomic():
        entry = record(None, "municipality.created", "municipality:1")
    assert entry.seq == before


def test_r78_entry_commits_with_the_change(db):
    """R78: the entry is written in the caller's transaction, next to the change."""
    with transaction.atomic():
        municipality = factories.MunicipalityFactory()
        entry = record(None, "municipality.created", municipality)
    assert entry.object == f"municipality:{municipality.pk}"
    assert AuditEntry.objects.get(seq=entry.seq).action == "municipality.created"


def test_r78_record_outside_a_transaction_is_refused(transactional_db):
    """R78: in autocommit mode the entry could outlive a failed change, so it is refused."""
    assert not connection.in_atomic_block
    with pytest.raises(OutsideTransaction, match="transaction.atomic"):
        record(None, "test.refused", "thing:1", {})
    assert store.current_size() == 0


@pytest.mark.parametrize(
    "data",
    [{"amount": 1.5}, {"nested": {"deep": [1, 2.0]}}, {"nan": float("nan")}],
)
def test_r62_floats_are_refused(db, data):
    """R62: floats have no stable text form, so an entry with one could not be re-verified."""
    before = store.current_size()
    with pytest.raises(InvalidEntry, match="float"), transaction.atomic():
        record(None, "test.float", "thing:1", data)
    assert store.current_size() == before


@pytest.mark.parametrize(
    ("actor", "action", "obj", "data"),
    [
        (None, "Meeting.Opened", "meeting:1", {}),
        (None, "opened", "meeting:1", {}),
        (None, "meeting.opened", "meeting", {}),
        (None, "meeting.opened", "Meeting:1", {}),
        (None, "meeting.opened", "meeting:1 2", {}),
        ("admin", "meeting.opened", "meeting:1", {}),
        (None, "meeting.opened", "meeting:1", {1: "non-string key"}),
        (None, "meeting.opened", "meeting:1", {"when": object()}),
        (None, "meeting.opened", "meeting:1", ["not", "a", "dict"]),
        (None, "meeting.opened", "meeting:1", {"text": "\ud800"}),
    ],
)
def test_r78_malformed_entries_are_refused(db, actor, action, obj, data):
    """R78: actions are dotted lower-case verbs, objects `type:id`, data a JSON object."""
    with pytest.raises(InvalidEntry), transaction.atomic():
        record(actor, action, obj, data)


def test_r64_actor_and_object_references(db):
    """R64: who did what to which object, as `user:<id>` / `system` and `<type>:<id>`."""
    user = factories.UserFactory()
    municipality = factories.MunicipalityFactory()
    with transaction.atomic():
        by_user = record(user, "test.done", municipality)
        by_system = record(None, "test.done", "vote:3")
        by_ref = record(f"user:{user.pk}", "test.done", "item:88", None)
        municipality.audit_type = "kunta"
        renamed = record(None, "test.done", municipality)
    assert (by_user.actor, by_user.object) == (f"user:{user.pk}", f"municipality:{municipality.pk}")
    assert (by_system.actor, by_system.object) == ("system", "vote:3")
    assert (by_ref.actor, by_ref.object) == (f"user:{user.pk}", "item:88")
    assert json.loads(bytes(by_ref.entry))["data"] == {}
    assert renamed.object == f"kunta:{municipality.pk}"


def test_r78_entries_are_canonical_consecutive_and_timestamped(db):
    """R78: seq equals the leaf index, ts is RFC 3339 UTC with microseconds, bytes canonical."""
    base = store.current_size()
    with transaction.atomic():
        for i in range(5):
            record(None, "test.done", "thing:1", {"teksti": "Äänestys §1 – ok", "i": i})
    rows = list(AuditEntry.objects.filter(seq__gte=base).order_by("seq"))
    assert [r.seq for r in rows] == list(range(base, base + 5))
    for row in rows:
        raw = bytes(row.entry)
        fields = json.loads(raw)
        assert merkle.canonical_json(fields) == raw
        assert "Äänestys".encode() in raw  # raw UTF-8, not \u escapes
        assert set(fields) == {"seq", "ts", "actor", "action", "object", "data"}
        assert fields["seq"] == row.seq
        assert TS_RE.fullmatch(fields["ts"])
        assert bytes(row.leaf_hash) == merkle.leaf_hash(raw)
    assert AuditHead.objects.get().size == base + 5


def test_r62_stored_roots_equal_the_rfc9162_roots_at_every_size(db):
    """R62: the root from stored subtrees equals audit.merkle's root over the stored bytes."""
    support.append(70)
    entries = support.stored_entries()
    roots = merkle.prefix_roots(entries, range(len(entries) + 1))
    for size in range(len(entries) + 1):
        assert store.root(size) == roots[size], size


def test_r62_stored_subtrees_equal_the_in_memory_tree(db):
    """R62: the O(log n) append path stores exactly the complete subtrees of the tree."""
    support.append(45)
    leaves = [merkle.leaf_hash(e) for e in support.stored_entries()]
    expected = {k: h for k, h in merkle.subtree_hashes(leaves).items() if k[0] > 0}
    stored = {(n.level, n.index): bytes(n.hash) for n in AuditNode.objects.all()}
    assert stored == expected
    # Proofs read from storage equal the RFC recursion over the list.
    for size in (1, 2, 7, 8, 13, 32, 45):
        for index in range(size):
            leaf, path = store.inclusion_proof(index, size)
            assert leaf == leaves[index]
            assert path == merkle.inclusion_proof(index, size, leaves)
        for old in range(size + 1):
            assert store.consistency_proof(old, size) == merkle.consistency_proof(old, size, leaves)


def test_r62_append_cost_is_logarithmic(db, django_assert_max_num_queries):
    """R62: an append reads O(log n) stored hashes, whatever the size (spec section 6)."""
    support.append(63)  # the 64th append (seq 63 = 0b111111) folds six levels
    # PostgreSQL: lock the head and read the six siblings in one statement, then write head +
    # entry + nodes in one; SQLite reads the head, the siblings and writes in three statements.
    # Plus SAVEPOINT and RELEASE of the atomic block.
    budget = 2 if connection.vendor == "postgresql" else 5
    with django_assert_max_num_queries(budget + 2), transaction.atomic():
        entry = record(None, "test.done", "thing:1")
    assert entry.seq == 63
    assert AuditNode.objects.filter(level=6, index=0).exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@hyp_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_r62_any_json_data_round_trips_and_hashes(db, data):
    """R62: whatever JSON (without floats) goes in comes back intact and the root matches."""
    with transaction.atomic():
        entry = record(None, "test.data", "thing:1", data)
    raw = bytes(AuditEntry.objects.get(seq=entry.seq).entry)
    assert b"\n" not in raw
    assert json.loads(raw)["data"] == data
    assert store.root(entry.seq + 1) == merkle.root_from_entries(support.stored_entries())


def test_r62_checkpoint_signs_the_stored_root(db):
    """R62: a checkpoint commits to size and root and verifies with the published key."""
    support.append(9)
    cp = sign_checkpoint()
    origin, size, root = merkle.verify_note(cp.note, cp.key)
    assert (size, root) == (9, store.root(9)) == (cp.size, bytes(cp.root))
    assert sign_checkpoint().pk == cp.pk  # same size: the stored one
    support.append(1)
    assert latest_checkpoint().size == 9
    assert sign_checkpoint().size == 10
    assert latest_checkpoint().size == 10


def test_r62_first_checkpoint_is_signed_on_demand(db):
    """R62: the newest checkpoint is always served, even before any was requested."""
    assert not AuditCheckpoint.objects.exists()
    cp = latest_checkpoint()
    assert cp.size == store.current_size()


def test_r78_checkpoint_on_commit_signs_once_after_commit(
    db, django_capture_on_commit_callbacks
):
    """R78: services ask for a checkpoint inside their transaction; it is signed after commit."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        record(None, "meeting.opened", "meeting:1")
        checkpoint_on_commit()
        checkpoint_on_commit()
        assert not AuditCheckpoint.objects.exists()
    # (On PostgreSQL the append also asks for a drain of the queue after commit: audit.log.)
    assert sum(callback is checkpoints._sign_after_commit for callback in callbacks) == 1
    assert latest_checkpoint().size == store.current_size()


def test_r78_checkpoint_on_commit_is_dropped_with_a_rollback(
    db, django_capture_on_commit_callbacks
):
    """R78: a rolled-back change asks for no checkpoint."""
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        record(None, "meeting.opened", "meeting:1")
        checkpoint_on_commit()
        raise Boom
    assert callbacks == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'forged.action'",
        "DELETE FROM audit_auditentry",
        "UPDATE audit_auditnode SET hash = hash",
        "DELETE FROM audit_auditnode",
        "UPDATE audit_auditcheckpoint SET note = ''",
        "DELETE FROM audit_auditcheckpoint",
        "UPDATE audit_audithead SET size = 0",
        "DELETE FROM audit_audithead",
    ],
)
def test_r62_database_refuses_update_and_delete(db, statement):
    """R62, spec section 6: the database itself refuses to change or remove history."""
    support.append(4)
    sign_checkpoint()
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql(statement)
    assert len(support.stored_entries()) == store.current_size() == 4


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table", ["audit_auditentry", "audit_auditnode", "audit_auditcheckpoint", "audit_audithead"]
)
def test_r62_postgresql_refuses_truncate(db, table):
    """R62: TRUNCATE skips row triggers, so a statement trigger refuses it."""
    support.append(2)
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql(f"TRUNCATE {table}")


def test_r62_flush_is_refused_unless_allowed(db, settings):
    """R62: `manage.py flush` cannot empty the log unless AUDIT_ALLOW_FLUSH (test databases)."""
    municipality = factories.MunicipalityFactory()
    support.append(3)
    settings.AUDIT_ALLOW_FLUSH = False
    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False, verbosity=0)
    assert store.current_size() == 3
    assert Municipality.objects.filter(pk=municipality.pk).exists()  # nothing was flushed


def test_r62_flush_allowed_for_test_databases_only_while_it_runs(transactional_db, settings):
    """R62: the test flush may empty the log; right after it the triggers refuse again."""
    settings.AUDIT_ALLOW_FLUSH = True
    support.append(3)
    call_command("flush", interactive=False, verbosity=0)
    assert store.current_size() == 0 and not AuditEntry.objects.exists()
    assert support.append(1)[0].seq == 0  # the head is re-created lazily
    with pytest.raises(DatabaseError, match="append-only"):
        run_sql("DELETE FROM audit_auditentry")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            run_sql("TRUNCATE audit_auditentry")


@pytest.fixture
def log_held_elsewhere(db):
    """Another PostgreSQL session holding the head lock, as a concurrent request would."""
    import psycopg

    s = connection.settings_dict
    other = psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
        host=s["HOST"] or None, port=s["PORT"] or None,
    )
    other.execute("SELECT size FROM audit_audithead WHERE id = 1 FOR UPDATE")
    yield other
    other.rollback()
    other.close()


@pytest.mark.postgres
def test_r78_entry_is_queued_while_another_transaction_holds_the_log(log_held_elsewhere):
    """R78: under contention the entry is stored in the same transaction and numbered later."""
    before = store.current_size()
    with transaction.atomic():
        assert record(None, "vote.cast", "vote:1", {"choice": "jaa"}) is None
    (queued,) = AuditPending.objects.all()
    assert store.current_size() == before
    log_held_elsewhere.rollback()  # the other request ends
    assert number_queued() == 1
    entry = AuditEntry.objects.get(seq=before)
    fields = json.loads(bytes(entry.entry))
    assert (fields["ts"], fields["action"], fields["data"]) == (
        queued.ts, "vote.cast", {"choice": "jaa"}
    )
    assert not AuditPending.objects.exists()
    assert store.root(before + 1) == merkle.root_from_entries(support.stored_entries())


@pytest.mark.postgres
def test_r78_queued_entries_roll_back_with_their_change(log_held_elsewhere):
    """R78: a queued entry is part of its transaction: rolled back, it is gone."""
    with pytest.raises(Boom), transaction.atomic():
        factories.MunicipalityFactory(name_fi="Peruttava kunta")
        assert record(None, "municipality.created", "municipality:1") is None
        raise Boom
    assert not AuditPending.objects.exists()


@pytest.mark.postgres
def test_r78_later_entries_queue_behind_queued_ones_and_keep_their_order(log_held_elsewhere):
    """R78: while entries are queued, a later append queues behind them even with the lock free
    (it never numbers other transactions' entries in its own); the drain after commit numbers
    them all in order. No gap, no duplicate."""
    before = store.current_size()
    with transaction.atomic():
        record(None, "test.first", "thing:1")
        record(None, "test.second", "thing:1")
    log_held_elsewhere.rollback()
    with transaction.atomic():
        assert record(None, "test.third", "thing:1") is None
    assert store.current_size() == before
    assert drain_queue() == 3  # what runs after commit (the test's transaction never commits)
    actions = list(
        AuditEntry.objects.filter(seq__gte=before).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["test.first", "test.second", "test.third"]
    assert not AuditPending.objects.exists()
    assert store.root(before + 3) == merkle.root_from_entries(support.stored_entries())


@pytest.mark.postgres
def test_r78_drain_leaves_the_queue_to_the_lock_holder(log_held_elsewhere):
    """R78: a drain never waits: while another transaction holds the log it numbers nothing
    (the holder drains after it ends); once the log is free it numbers the queue."""
    with transaction.atomic():
        assert record(None, "test.queued", "thing:1") is None
    assert drain_queue() == 0 and queued_count() == 1
    log_held_elsewhere.rollback()
    assert drain_queue() == 1 and queued_count() == 0


@pytest.mark.postgres
def test_r62_checkpoint_covers_queued_entries(log_held_elsewhere):
    """R62: signing numbers everything queued first, so the checkpoint covers it."""
    with transaction.atomic():
        record(None, "test.queued", "thing:1")
    log_held_elsewhere.rollback()
    cp = sign_checkpoint()
    assert cp.size == store.current_size() and not AuditPending.objects.exists()
    assert AuditEntry.objects.filter(action="test.queued", seq__lt=cp.size).exists()


def test_r78_an_uncontended_append_is_numbered_at_once(db):
    """R78: with no other writer the entry is numbered in the caller's transaction on both
    databases. SQLite holds the writer lock, so nothing ever queues and no drain is registered;
    on PostgreSQL every append leaves the one after-commit drain (see `audit.log`)."""
    from audit.log import _drain_after_commit

    with transaction.atomic():
        entry = record(None, "test.done", "thing:1")
        callbacks = [callback[1] for callback in connection.run_on_commit]
    assert entry is not None and queued_count() == 0
    expected = [] if connection.vendor == "sqlite" else [_drain_after_commit]
    assert callbacks == expected


def test_r78_missing_head_is_recreated_from_the_entries(db):
    """R78: if the head row is gone (as after a test flush), numbering resumes after the last
    stored entry instead of starting again at 0."""
    support.append(5)
    support.drop_triggers()
    run_sql("DELETE FROM audit_audithead")
    with transaction.atomic():
        entry = record(None, "test.done", "thing:1")
    assert entry.seq == 5
    assert store.current_size() == 6
