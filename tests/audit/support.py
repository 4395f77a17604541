"""Helpers for the audit tests (not fixtures, so test modules import them plainly)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction

from audit import merkle
from audit.log import record
from audit.models import AuditEntry

#: The spec's test-vector seed (spec section 7): public, for tests only.
TEST_SEED = hashlib.sha256(b"kokous audit test vector key").digest()


def use_test_key(settings: Any, directory: Path) -> Path:
    """Point the signing key setting at a fresh key file holding the test seed."""
    path = directory / "audit_signing.key"
    path.write_bytes(TEST_SEED)
    path.chmod(0o600)
    settings.AUDIT_SIGNING_KEY_FILE = path
    return path


def append(count: int, obj: str = "thing:1", action: str = "test.appended") -> list[AuditEntry]:
    """`count` entries, each in its own transaction like separate requests."""
    rows = []
    for i in range(count):
        with transaction.atomic():
            rows.append(record(None, action, obj, {"i": i}))
    return rows


def stored_entries() -> list[bytes]:
    return [bytes(e) for e in AuditEntry.objects.order_by("seq").values_list("entry", flat=True)]


def export(directory: Path, *args: str) -> Path:
    call_command("audit_export", str(directory), *args, verbosity=0)
    return directory


def audit_triggers() -> list[tuple[str, str]]:
    """(trigger, table) of every trigger on the audit tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname LIKE 'audit\\_%%'"
            )
        else:
            cursor.execute(
                "SELECT name, tbl_name FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name LIKE 'audit\\_%' ESCAPE '\\'"
            )
        return list(cursor.fetchall())


def drop_triggers() -> None:
    """What an attacker with database access does first (inside the test's transaction)."""
    triggers = audit_triggers()
    assert triggers, "no audit triggers found to drop"
    with connection.cursor() as cursor:
        for name, table in triggers:
            if connection.vendor == "postgresql":
                cursor.execute(f'DROP TRIGGER "{name}" ON "{table}"')
            else:
                cursor.execute(f'DROP TRIGGER "{name}"')


def rewrite_tree() -> None:
    """Recompute leaf hashes and every stored subtree from the (altered) entries, as a careful
    attacker would so that the service's own nodes agree with the forged history."""
    entries = stored_entries()
    leaves = [merkle.leaf_hash(e) for e in entries]
    with connection.cursor() as cursor:
        for seq, leaf in enumerate(leaves):
            cursor.execute("UPDATE audit_auditentry SET leaf_hash = %s WHERE seq = %s", [leaf, seq])
        cursor.execute("DELETE FROM audit_auditnode")
        for (level, index), h in merkle.subtree_hashes(leaves).items():
            if level > 0:
                cursor.execute(
                    'INSERT INTO audit_auditnode (level, "index", hash) VALUES (%s, %s, %s)',
                    [level, index, h],
                )
