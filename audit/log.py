"""Appending to the audit log (*tarkastusloki*; TiHL 17 §, R64, R78): `record()`.

Every state change and its entry are one transaction, so `record` refuses to run outside one:
both commit or neither does (spec section 1).

Numbering without gaps or duplicates
------------------------------------
Numbers are given out only by a transaction that holds the lock on the single `AuditHead` row;
the lock lasts until that transaction ends, so a rolled-back append never leaves a gap.

* SQLite: the transaction already holds the database's writer lock (`BEGIN IMMEDIATE`, see
  settings), so the entry is numbered at once.
* PostgreSQL: `record` tries the head lock without waiting (`FOR UPDATE SKIP LOCKED`). If it
  gets it, it numbers any queued entries (below) and then its own. If another transaction holds
  it, waiting would serialise this request behind that transaction's commit and disk flush; so
  the entry is queued instead in `AuditPending`, in this same transaction and the same round
  trip. A queued entry is numbered by the next transaction that takes the lock: the next
  `record`, or `sign_checkpoint`, which numbers everything queued before it signs (so every
  checkpoint covers every committed entry). Queued entries keep their order and their `ts` (the
  time of the change); under contention `ts` need not grow with `seq`, which the spec does not
  require.

If anything fails after the head was locked or moved, the enclosing atomic block is marked for
rollback, so a caller that catches the error cannot commit a half-written append.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, NamedTuple

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
# SQL (raw: the head lock is held from the first statement to commit, so round trips count)
# --------------------------------------------------------------------------------------------


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


def _take_queued(cursor: Any) -> list[Fields]:
    """Remove up to BATCH committed queued entries (the head lock is held), oldest first."""
    cursor.execute(
        f"DELETE FROM {PENDING} WHERE id IN "  # noqa: S608
        f"(SELECT id FROM {PENDING} ORDER BY id LIMIT {BATCH}) "
        "RETURNING id, ts, actor, action, object, data"
    )
    rows = sorted(cursor.fetchall())
    return [Fields(*row[1:]) for row in rows]


def _lock_head_or_queue(cursor: Any, fields: Fields) -> tuple[int, bool, bool] | None:
    """PostgreSQL, one round trip: lock the head without waiting, or else queue `fields`.

    Returns `(size, entries queued?, ours among them?)` holding the lock, or None when the entry
    was queued behind another transaction.
    """
    cursor.execute(
        f"WITH head AS (SELECT size FROM {HEAD} WHERE id = 1 FOR UPDATE SKIP LOCKED), "  # noqa: S608
        f"queued AS (INSERT INTO {PENDING} (ts, actor, action, object, data) "
        "SELECT %s, %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM head) RETURNING id) "
        f"SELECT (SELECT size FROM head), EXISTS (SELECT 1 FROM {PENDING}), "
        f"EXISTS (SELECT 1 FROM {HEAD})",
        list(fields),
    )
    size, others_queued, present = cursor.fetchone()
    if size is not None:
        return int(size), bool(others_queued), False
    if present:
        return None  # another transaction holds the log: ours waits in the queue
    # No head row at all (after a test flush): create it, and with it the lock.
    created = _create_head(cursor)
    return (created, True, True) if created is not None else None


def _append(cursor: Any, vendor: str, size: int, batch: list[Fields]) -> list[AuditEntry]:
    """Number `batch` from `size` on and store entries, subtrees and the new size."""
    if len(batch) == 1:
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
            cursor.execute(sql, [new_size, *entry_params, *nodes])
        else:
            sql = f"WITH head AS ({update_head}) {insert_entries}"
            cursor.execute(sql, [new_size, *entry_params])
    else:
        cursor.execute(update_head, [new_size])
        cursor.execute(insert_entries, entry_params)
        if nodes:
            cursor.execute(insert_nodes, nodes)
    for e in entries:
        e._state.adding = False
    return entries


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
    transaction held the log (PostgreSQL under contention; see the module docstring).
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
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                locked = _lock_head_or_queue(cursor, fields)
                if locked is None:
                    return None
                size, queued, ours_queued = locked
                batch = _take_queued(cursor) if queued else []
            else:
                size, batch, ours_queued = _lock_head_wait(cursor, vendor), [], False
            if not ours_queued:
                batch.append(fields)
            appended = _append(cursor, vendor, size, batch) if batch else []
    except BaseException:
        # The head may have moved: this transaction (or the caller's savepoint) must not
        # commit. Django then refuses further queries in the block and rolls it back.
        transaction.set_rollback(True, using=connection.alias)
        raise
    ours = None
    for entry, numbered in zip(appended, batch, strict=True):
        entry._state.db = connection.alias
        if numbered == fields:
            ours = entry
    return ours


def number_queued() -> int:
    """Number every committed queued entry; returns how many. No-op on SQLite (none queue).

    Waits for the transaction holding the log. Runs in its own transaction, or a savepoint of
    the caller's (then the head stays locked until the caller commits).
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return 0
    numbered = 0
    with transaction.atomic(), connection.cursor() as cursor:
        size = _lock_head_wait(cursor, connection.vendor)
        while batch := _take_queued(cursor):
            _append(cursor, connection.vendor, size, batch)
            size += len(batch)
            numbered += len(batch)
    return numbered


def queued_count() -> int:
    """How many committed entries wait for their number."""
    return AuditPending.objects.count()
