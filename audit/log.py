"""Appending to the audit log (*tarkastusloki*; TiHL 17 §, R64, R78): `record()`.

Every state change and its entry are one transaction, so `record` refuses to run outside one:
both commit or neither does (spec section 1).

Numbering without gaps or duplicates
------------------------------------
Numbers are given out only by a transaction that holds the lock on the single `AuditHead` row;
the lock lasts until that transaction ends, so a rolled-back append never leaves a gap.

* SQLite: the transaction already holds the database's writer lock (`BEGIN IMMEDIATE`, see
  settings), so the entry is numbered at once.
* PostgreSQL, one statement (`LOCK_OR_QUEUE`, prepared once per connection): if no committed
  entry is queued and nobody holds the head lock (`FOR UPDATE SKIP LOCKED`: never wait), it
  locks the head and returns the size and the left-sibling hashes; a second statement stores
  the entry, its subtrees and the new size, and `record` returns the numbered entry. This
  uncontended path is as synchronous as on SQLite. Otherwise the entry is queued in
  `AuditPending`, in this same transaction and statement (it commits or rolls back with the
  change), and `record` returns None. `record` never numbers other transactions' entries in the
  caller's transaction: that work happens after commit, off the caller's critical section.

Queued entries are numbered after commit (`drain_queue`, registered with
`transaction.on_commit` by every `record` on PostgreSQL and by `number_queued`): a probe of the
queue in autocommit; if anything is queued, a short transaction that takes the head lock with
SKIP LOCKED and numbers everything queued in id order, then looks again. If the lock is held, it
returns: the holder drains after it ends. Why a committed queued entry P cannot be forgotten
while writers keep committing: P's own transaction drains after it commits. That drain either
takes the lock, and its snapshot, taken after P committed, sees P and numbers it; or finds the
lock held by a transaction H that ends after that moment, hence after P committed. If H
commits, H's own drain (every lock holder registers one) starts after H ended, sees P, and the
same two cases repeat with a strictly later holder, until a drain takes the lock. Only queue
rows are deleted under the head lock, so no two drains take the same row. The chain is cut
only if H rolls back (no on-commit hook runs), a process dies between commit and drain, a drain
fails, or a drain stops after DRAIN_ROUNDS rounds; P then waits for the next writer that
commits (it sees P queued, so it queues behind it and drains), and `sign_checkpoint` numbers
everything queued before it signs, so every checkpoint covers every committed entry.

Order: an entry committed before another transaction starts gets the smaller number. The
later transaction sees the earlier entry either numbered (so below the head size) or queued (so
it queues too, behind it: queue ids grow, drains take them in id order). Under contention `ts`
need not grow with `seq`, which the spec does not require.

Costs (docs/performance-audit.md): the queued path is one prepared statement, about what a
plain INSERT costs; the queue probe reads the primary key from the newest end, and drains
VACUUM the queue table every VACUUM_EVERY entries, because an empty-queue probe otherwise walks
every dead row of this churn table until autovacuum comes.

If anything fails after the head was locked or moved, the enclosing atomic block is marked for
rollback, so a caller that catches the error cannot commit a half-written append.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import merkle
from audit.models import AuditEntry, AuditHead, AuditNode, AuditPending
from audit.store import fetch_subtrees

ACTION_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
OBJECT_RE = re.compile(r"[a-z][a-z0-9_]*:[A-Za-z0-9._~-]+")
ACTOR_RE = re.compile(r"system|user:[A-Za-z0-9_-]+")
MAX_ACTION = AuditEntry._meta.get_field("action").max_length
MAX_OBJECT = AuditEntry._meta.get_field("object").max_length
MAX_ACTOR = AuditEntry._meta.get_field("actor").max_length
#: Queued entries numbered per statement; more wait for the next lock holder.
BATCH = 1000
#: Rounds of `drain_queue` per call (each numbers everything queued when it starts).
DRAIN_ROUNDS = 8
#: A process vacuums the queue table after its drains have numbered this many entries.
VACUUM_EVERY = 500

ENTRY = AuditEntry._meta.db_table
NODE = AuditNode._meta.db_table
HEAD = AuditHead._meta.db_table
PENDING = AuditPending._meta.db_table


class AuditError(Exception):
    """Base of the errors `record` raises; they are programming errors, not user errors."""


class InvalidEntry(AuditError, ValueError):
    """The actor, action, object or data does not fit the entry format (spec section 1)."""


class OutsideTransaction(AuditError, RuntimeError):
    """`record` was called in autocommit mode, where the entry could outlive a failed change."""


class Fields(NamedTuple):
    """An entry without its number; `data` is the canonical JSON text of the data object."""

    ts: str
    actor: str
    action: str
    object: str
    data: str

    def entry(self, seq: int) -> bytes:
        return merkle.canonical_json(
            {
                "seq": seq,
                "ts": self.ts,
                "actor": self.actor,
                "action": self.action,
                "object": self.object,
                "data": json.loads(self.data),
            }
        )


def actor_ref(actor: Any) -> str:
    """`user:<pk>` for a user, `system` for None, or an already formed reference."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        ref = actor
    elif getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) is not None:
        ref = f"user:{actor.pk}"
    else:
        raise InvalidEntry(f"audit actor must be a saved user, None or 'user:<id>', not {actor!r}")
    if len(ref) > MAX_ACTOR or not ACTOR_RE.fullmatch(ref):
        raise InvalidEntry(f"audit actor {ref!r} is not 'system' or 'user:<id>'")
    return ref


def object_ref(obj: Any) -> str:
    """`<type>:<id>` for a saved model instance (type = `audit_type` or the model name)."""
    if isinstance(obj, str):
        ref = obj
    elif hasattr(obj, "_meta") and getattr(obj, "pk", None) is not None:
        kind = getattr(obj, "audit_type", None) or obj._meta.model_name
        ref = f"{kind}:{obj.pk}"
    else:
        raise InvalidEntry(f"audit object must be a saved model instance or 'type:id', not {obj!r}")
    if len(ref) > MAX_OBJECT or not OBJECT_RE.fullmatch(ref):
        raise InvalidEntry(f"audit object {ref!r} is not '<type>:<id>' (e.g. 'meeting:12')")
    return ref


def check_action(action: str) -> str:
    if not isinstance(action, str) or len(action) > MAX_ACTION or not ACTION_RE.fullmatch(action):
        raise InvalidEntry(f"audit action {action!r} is not a dotted lower-case verb")
    return action


def data_json(data: dict[str, Any] | None) -> str:
    """The data object as canonical JSON text: string keys, no floats, JSON types only."""
    if data is None:
        return "{}"
    if not isinstance(data, dict):
        raise InvalidEntry(f"audit data must be a dict, not {type(data).__name__}")
    try:
        return merkle.canonical_json(data).decode("utf-8")
    except (TypeError, ValueError) as exc:  # floats, NaN, non-JSON types, lone surrogates
        raise InvalidEntry(f"audit data cannot be logged: {exc}") from exc


def format_ts(moment: dt.datetime) -> str:
    """RFC 3339 UTC with microseconds and `Z` (spec section 1)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def left_siblings(seq: int) -> list[merkle.Subtree]:
    """The stored subtrees that appending leaf `seq` folds with (one per trailing 1 bit)."""
    out, level, j = [], 0, seq
    while j & 1:
        out.append((level, j - 1))
        level += 1
        j >>= 1
    return out


# --------------------------------------------------------------------------------------------
# SQL (raw: every round trip inside the caller's transaction counts)
# --------------------------------------------------------------------------------------------


#: Statements prepared once per PostgreSQL connection (see `_cursor`): the fixed texts of this
#: module's hot paths. Multi-entry appends, whose text varies with the batch, are not.
PREPARED: set[str] = set()
#: psycopg's automatic preparation threshold, set where Django leaves it disabled (None): in
#: effect never automatic, so only statements in PREPARED are prepared, and Django's own queries
#: (client-side binding) never are.
EXPLICIT_ONLY = 2**31


def prepared(sql: str) -> str:
    """Mark `sql` to be prepared on the connection that runs it; returns it."""
    PREPARED.add(sql)
    return sql


def _cursor(connection: Any) -> Any:
    """A cursor for this module's statements.

    On PostgreSQL with psycopg 3, a cursor with server-side binding that prepares the statements
    in PREPARED: parsing and planning the lock-or-queue statement cost more than executing it
    (0.5 against 0.15 ms), and Django's default client-side binding never prepares. It is wrapped
    like Django's own cursors (query logging, `execute_wrapper`, error translation). Set
    `AUDIT_PREPARED_STATEMENTS = False` behind a pooler that cannot keep prepared statements
    (PgBouncer in transaction mode before 1.21).
    """
    cursor_class = _preparing_cursor_class() if connection.vendor == "postgresql" else None
    if cursor_class is None or not getattr(settings, "AUDIT_PREPARED_STATEMENTS", True):
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = EXPLICIT_ONLY
    with connection.wrap_database_errors:
        cursor = cursor_class(raw)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


@functools.cache
def _preparing_cursor_class() -> type | None:
    """psycopg 3's server-binding cursor as Django makes it, preparing PREPARED statements."""
    try:
        from django.db.backends.postgresql.base import ServerBindingCursor
    except ImportError:  # psycopg2
        return None

    class PreparingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            if query in PREPARED:
                kwargs["prepare"] = True
            return super().execute(query, params, **kwargs)

    return PreparingCursor


def _placeholders(rows: int, columns: int) -> str:
    row = "(" + ", ".join(["%s"] * columns) + ")"
    return ", ".join([row] * rows)


def _lock_head_wait(cursor: Any, vendor: str) -> int:
    """The size with the head locked, waiting for the holder (SQLite: the writer lock is held)."""
    lock = " FOR UPDATE" if vendor == "postgresql" else ""
    cursor.execute(f"SELECT size FROM {HEAD} WHERE id = 1{lock}")  # noqa: S608
    row = cursor.fetchone()
    if row is not None:
        return int(row[0])
    created = _create_head(cursor)
    if created is None:  # created meanwhile by another transaction, now committed
        cursor.execute(f"SELECT size FROM {HEAD} WHERE id = 1{lock}")  # noqa: S608
        return int(cursor.fetchone()[0])
    return created


def _create_head(cursor: Any) -> int | None:
    """Create the head row (after a test flush); its size if we created it, else None."""
    cursor.execute(
        f"INSERT INTO {HEAD} (id, size) "  # noqa: S608
        f"SELECT 1, COALESCE(MAX(seq) + 1, 0) FROM {ENTRY} WHERE true "  # WHERE: SQLite syntax
        "ON CONFLICT DO NOTHING RETURNING size"
    )
    row = cursor.fetchone()
    return int(row[0]) if row is not None else None


TAKE_QUEUED = prepared(
    f"DELETE FROM {PENDING} WHERE id IN "  # noqa: S608
    f"(SELECT id FROM {PENDING} ORDER BY id LIMIT {BATCH}) "
    "RETURNING id, ts, actor, action, object, data"
)


def _take_queued(cursor: Any) -> list[tuple[int, Fields]]:
    """Remove up to BATCH queued entries, oldest first, as `(id, fields)`; the head lock is held.

    Only a holder of the head lock deletes queued rows, so nobody else is taking the same ones.
    """
    cursor.execute(TAKE_QUEUED)
    return [(row[0], Fields(*row[1:])) for row in sorted(cursor.fetchall())]


def _number_all_queued(cursor: Any, vendor: str, size: int) -> list[tuple[int, AuditEntry]]:
    """With the head locked at `size`: number every queued entry this transaction sees."""
    numbered: list[tuple[int, AuditEntry]] = []
    while taken := _take_queued(cursor):
        entries = _append(cursor, vendor, size, [fields for _, fields in taken])
        numbered += zip([pending_id for pending_id, _ in taken], entries, strict=True)
        size += len(taken)
    return numbered


#: PostgreSQL, the one statement of `record` on the common paths. The head row is locked only if
#: no committed entry is queued and nobody holds it (SKIP LOCKED: never wait). The queue probe
#: reads the primary key from the newest end: this table is insert/delete churn, and its dead
#: index entries lie below the live ones (numbered rows are the oldest), so the probe stops at
#: the first committed row instead of visiting every recently deleted one first.
#: Otherwise the entry is queued. With the lock, the left siblings that appending leaf `size`
#: folds with (one per trailing 1 bit of `size`) come back in the same round trip.
LOCK_OR_QUEUE = prepared(
    f"WITH head AS (SELECT size FROM {HEAD} WHERE id = 1 "  # noqa: S608
    f"AND (SELECT id FROM {PENDING} ORDER BY id DESC LIMIT 1) IS NULL FOR UPDATE SKIP LOCKED), "
    f"queued AS (INSERT INTO {PENDING} (ts, actor, action, object, data) "
    "SELECT %s, %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM head) RETURNING id) "
    f"SELECT (SELECT size FROM head), (SELECT id FROM queued), EXISTS (SELECT 1 FROM {HEAD}), "
    "ARRAY(SELECT hash FROM ("
    f"SELECT 0 AS level, e.leaf_hash AS hash FROM head JOIN {ENTRY} e ON e.seq = head.size - 1 "
    "WHERE head.size %% 2 = 1 "
    "UNION ALL "
    "SELECT n.level, n.hash FROM head CROSS JOIN generate_series(1, 61) AS l(level) "
    f'JOIN {NODE} n ON n.level = l.level AND n."index" = (head.size >> l.level) - 1 '
    "WHERE (head.size + 1) & ((2::bigint << l.level) - 1) = 0"
    ") AS siblings ORDER BY level)"
)


def _lock_head_or_queue(
    cursor: Any, fields: Fields
) -> tuple[int | None, dict[merkle.Subtree, bytes] | None, int | None, bool]:
    """PostgreSQL, one round trip: `(size, siblings, None, True)` holding the lock, else
    `(None, None, pending id, head row exists?)` with `fields` queued in this transaction."""
    cursor.execute(LOCK_OR_QUEUE, list(fields))
    size, pending_id, present, hashes = cursor.fetchone()
    if size is None:
        return None, None, int(pending_id), bool(present)
    size = int(size)
    keys = left_siblings(size)
    if len(hashes) == len(keys):
        return size, dict(zip(keys, (bytes(h) for h in hashes), strict=True)), None, True
    # The statement's snapshot predates the lock: an append that committed in between moved the
    # head (FOR UPDATE returns the newest size) but its hashes are not in the snapshot. Read them
    # again now (rare; a stored hash never changes, so the ones found were right).
    return size, fetch_subtrees(keys), None, True


def _append(
    cursor: Any,
    vendor: str,
    size: int,
    batch: list[Fields],
    siblings: dict[merkle.Subtree, bytes] | None = None,
) -> list[AuditEntry]:
    """Number `batch` from `size` on and store entries, subtrees and the new size."""
    if len(batch) == 1:
        if siblings is None:
            siblings = fetch_subtrees(left_siblings(size))
        builder = None
    else:
        plan = merkle.root_plan(size)
        frontier = fetch_subtrees(plan)
        builder = merkle.TreeBuilder(size, [frontier[key] for key in plan])
    entries: list[AuditEntry] = []
    nodes: list[Any] = []
    for offset, fields in enumerate(batch):
        seq = size + offset
        entry = fields.entry(seq)
        leaf = merkle.leaf_hash(entry)
        created = (
            merkle.new_subtrees(seq, leaf, siblings) if builder is None else builder.append(leaf)
        )
        nodes += [value for (level, index), h in created[1:] for value in (level, index, h)]
        entries.append(
            AuditEntry(
                seq=seq,
                entry=entry,
                leaf_hash=leaf,
                action=fields.action,
                object=fields.object,
                actor=fields.actor,
            )
        )
    new_size = size + len(batch)
    entry_params = [
        value
        for e in entries
        for value in (e.seq, e.entry, e.leaf_hash, e.action, e.object, e.actor)
    ]
    update_head = f"UPDATE {HEAD} SET size = %s WHERE id = 1"  # noqa: S608
    insert_entries = (
        f"INSERT INTO {ENTRY} (seq, entry, leaf_hash, action, object, actor) "  # noqa: S608
        f"VALUES {_placeholders(len(entries), 6)}"
    )
    insert_nodes = (
        f'INSERT INTO {NODE} (level, "index", hash) '  # noqa: S608
        f"VALUES {_placeholders(len(nodes) // 3, 3)}"
    )
    if vendor == "postgresql":  # one round trip
        if nodes:
            sql = f"WITH head AS ({update_head}), entries AS ({insert_entries}) {insert_nodes}"
            params = [new_size, *entry_params, *nodes]
        else:
            sql = f"WITH head AS ({update_head}) {insert_entries}"
            params = [new_size, *entry_params]
        if len(batch) == 1:  # one text per number of new subtrees: prepare it
            sql = prepared(sql)
        cursor.execute(sql, params)
    else:
        cursor.execute(update_head, [new_size])
        cursor.execute(insert_entries, entry_params)
        if nodes:
            cursor.execute(insert_nodes, nodes)
    for e in entries:
        e._state.adding = False
    return entries


# --------------------------------------------------------------------------------------------
# After commit
# --------------------------------------------------------------------------------------------


def _drain_after_commit() -> None:
    # Registered with robust=True: a failure is logged and the committed change stands; the
    # entries stay queued for the next writer's drain or the next checkpoint.
    drain_queue()


def _drain_on_commit(connection: Any) -> None:
    """Run `drain_queue` once after the current transaction commits (once per transaction)."""
    if any(callback[1] is _drain_after_commit for callback in connection.run_on_commit):
        return
    transaction.on_commit(_drain_after_commit, using=connection.alias, robust=True)


ANY_QUEUED = prepared(f"SELECT id FROM {PENDING} ORDER BY id DESC LIMIT 1")  # noqa: S608
TRY_LOCK_HEAD = prepared(
    f"WITH head AS (SELECT size FROM {HEAD} WHERE id = 1 FOR UPDATE SKIP LOCKED) "  # noqa: S608
    f"SELECT (SELECT size FROM head), EXISTS (SELECT 1 FROM {HEAD})"
)


def drain_queue() -> int:
    """Number committed queued entries now, unless another transaction holds the log.

    PostgreSQL only. This is what runs after every commit of a transaction that queued an entry
    or held the head lock (see the module docstring for why that leaves nothing queued). Each
    round: an index probe of the queue in autocommit; if something is queued, a short
    transaction that takes the head lock without waiting and numbers everything queued. If the
    lock is held, the holder drains after it ends, so this returns. Returns how many entries it
    numbered. (Called inside a transaction, as tests executing on-commit callbacks do, the
    rounds are savepoints and the lock lasts until that transaction ends.)
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return 0
    vendor, numbered = connection.vendor, 0
    for _ in range(DRAIN_ROUNDS):
        with _cursor(connection) as cursor:
            cursor.execute(ANY_QUEUED)
            if cursor.fetchone() is None:
                return numbered
        with transaction.atomic(), _cursor(connection) as cursor:
            cursor.execute(TRY_LOCK_HEAD)
            size, present = cursor.fetchone()
            if size is None and present:
                return numbered  # another transaction holds the log: it drains after it ends
            if size is None:  # no head row (after a test flush): creating it locks it
                size = _create_head(cursor)
                if size is None:
                    return numbered  # created meanwhile by a transaction that still holds it
            numbered += len(_number_all_queued(cursor, vendor, int(size)))
        # Committed. Writers that queued meanwhile found the lock held by us and left their
        # entries to us: look again.
        _vacuum_queue_now_and_then(connection, numbered)
    return numbered


_numbered_since_vacuum = 0


def _vacuum_queue_now_and_then(connection: Any, numbered: int) -> None:
    """VACUUM the queue table after every VACUUM_EVERY entries this process numbered.

    The queue is insert/delete churn: every numbered entry leaves a dead row and a dead index
    entry, and a probe of an empty queue walks all of them until VACUUM removes them. Autovacuum
    wakes once a minute, which under sustained load is tens of thousands of dead rows (measured:
    the empty-queue probe grew from 0.2 to 6 ms over 12,000). This small table costs a few ms to
    vacuum; SKIP_LOCKED never waits for another vacuum, TRUNCATE false never takes the exclusive
    lock that truncation needs. Only outside a transaction (after commit, as drains run).
    """
    global _numbered_since_vacuum
    _numbered_since_vacuum += numbered
    if _numbered_since_vacuum < VACUUM_EVERY or connection.in_atomic_block:
        return
    _numbered_since_vacuum = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"VACUUM (SKIP_LOCKED, TRUNCATE false, INDEX_CLEANUP on) {PENDING}"
        )


# --------------------------------------------------------------------------------------------
# Public
# --------------------------------------------------------------------------------------------


def record(
    actor: Any, action: str, obj: Any, data: dict[str, Any] | None = None
) -> AuditEntry | None:
    """Append one entry in the caller's transaction.

    `actor`: a user, None (`system`) or `"user:<id>"`; `obj`: a saved model instance or
    `"type:id"`; `data`: a JSON object without floats and without confidential content
    (identifiers and SHA-256 digests only; see `docs/audit-events.md`).

    Returns the numbered `AuditEntry`, or None when the entry was queued because another
    transaction held the log or entries were already queued (PostgreSQL under contention; it is
    numbered right after this transaction commits, see the module docstring).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise OutsideTransaction(
            "audit.record() must run inside transaction.atomic() together with the change it "
            "records (spec section 1)"
        )
    fields = Fields(
        ts=format_ts(timezone.now()),
        actor=actor_ref(actor),
        action=check_action(action),
        object=object_ref(obj),
        data=data_json(data),
    )
    vendor = connection.vendor
    try:
        with _cursor(connection) as cursor:
            if vendor != "postgresql":
                size = _lock_head_wait(cursor, vendor)
                entry = _append(cursor, vendor, size, [fields])[0]
            else:
                # Whatever happens, look at the queue after commit: we queued, or we hold the
                # lock and others may have queued behind us.
                _drain_on_commit(connection)
                size, siblings, pending_id, present = _lock_head_or_queue(cursor, fields)
                if size is not None:
                    entry = _append(cursor, vendor, size, [fields], siblings)[0]
                elif present:
                    return None  # queued behind another transaction or earlier queued entries
                else:
                    entry = _number_with_new_head(cursor, pending_id)
                    if entry is None:
                        return None
    except BaseException:
        # The head may have moved: this transaction (or the caller's savepoint) must not
        # commit. Django then refuses further queries in the block and rolls it back.
        transaction.set_rollback(True, using=connection.alias)
        raise
    entry._state.db = connection.alias
    return entry


def _number_with_new_head(cursor: Any, pending_id: int) -> AuditEntry | None:
    """Our entry was queued because the head row is missing (after a test flush): create it,
    which locks it, and number the queue with ours; None if someone else created it first."""
    size = _create_head(cursor)
    if size is None:  # another transaction created it meanwhile and holds it
        return None
    numbered = dict(_number_all_queued(cursor, "postgresql", size))
    return numbered[pending_id]


def number_queued() -> int:
    """Number every committed queued entry; returns how many. No-op on SQLite (none queue).

    Waits for the transaction holding the log (`sign_checkpoint` uses this so that a checkpoint
    covers every committed entry). Runs in its own transaction, or a savepoint of the caller's
    (then the head stays locked until the caller commits).
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), _cursor(connection) as cursor:
        size = _lock_head_wait(cursor, connection.vendor)
        # A lock holder: whoever queues while we hold it leaves the entry to us (module docstring).
        _drain_on_commit(connection)
        return len(_number_all_queued(cursor, connection.vendor, size))


def queued_count() -> int:
    """How many committed entries wait for their number."""
    return AuditPending.objects.count()
