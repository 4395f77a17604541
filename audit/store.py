"""Reads of the stored Merkle tree: size, roots and proofs in O(log n) queries.

The mathematics is `audit.merkle`'s; this module only answers its `(level, index) -> hash`
lookups from the database, in one query per root or proof: level 0 from `AuditEntry.leaf_hash`,
higher levels from `AuditNode`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from audit import merkle
from audit.models import AuditEntry, AuditHead, AuditNode

ENTRY = AuditEntry._meta.db_table
NODE = AuditNode._meta.db_table


class LogCorrupted(RuntimeError):
    """A subtree hash the log must have is missing: rows were deleted behind the triggers."""


def current_size() -> int:
    """The number of entries visible to this transaction (committed, or our own)."""
    size = AuditHead.objects.filter(pk=1).values_list("size", flat=True).first()
    return int(size or 0)


def fetch_subtrees(keys: Iterable[merkle.Subtree]) -> dict[merkle.Subtree, bytes]:
    """Hashes of the complete subtrees `keys` in one query; `LogCorrupted` if any is missing.

    Level 0 comes from `AuditEntry.leaf_hash`, higher levels from `AuditNode`.
    """
    wanted = set(keys)
    if not wanted:
        return {}
    leaves = [index for level, index in wanted if level == 0]
    nodes = [key for key in wanted if key[0] > 0]
    parts, params = [], []
    if leaves:
        marks = ", ".join(["%s"] * len(leaves))
        parts.append(f"SELECT 0, seq, leaf_hash FROM {ENTRY} WHERE seq IN ({marks})")  # noqa: S608
        params += leaves
    if nodes:
        match = " OR ".join(['(level = %s AND "index" = %s)'] * len(nodes))
        parts.append(f'SELECT level, "index", hash FROM {NODE} WHERE {match}')  # noqa: S608
        params += [n for key in nodes for n in key]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = {(level, index): bytes(h) for level, index, h in cursor.fetchall()}
    missing = wanted - found.keys()
    if missing:
        raise LogCorrupted(f"audit log subtrees missing: {sorted(missing)[:5]}")
    return found


def root(size: int) -> bytes:
    """The RFC 9162 root of the first `size` entries, from `size.bit_count()` stored hashes."""
    plan = merkle.root_plan(size)
    return merkle.root_from_source(size, fetch_subtrees(plan))


def inclusion_proof(index: int, size: int) -> tuple[bytes, list[bytes]]:
    """`(leaf hash, audit path)` for entry `index` in the tree of `size`."""
    plan = merkle.inclusion_plan(index, size)
    found = fetch_subtrees(merkle.plan_keys(plan) | {(0, index)})
    return found[(0, index)], merkle.resolve_plan(plan, found)


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 consistency proof from `old_size` to `new_size`."""
    plan = merkle.consistency_plan(old_size, new_size)
    return merkle.resolve_plan(plan, fetch_subtrees(merkle.plan_keys(plan)))
