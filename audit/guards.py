"""The one sanctioned way past the append-only triggers: Django's `flush` of a test database.

Migration 0002 makes the database refuse UPDATE, DELETE and TRUNCATE on the audit tables. Django's
`TransactionTestCase` (pytest-django `transactional_db`, live-server and channels tests) empties
every table after each test with the `flush` command: `DELETE FROM` on SQLite, `TRUNCATE` on
PostgreSQL. The triggers let exactly that through when the flush runs with the flag set here:

* PostgreSQL: the session setting `kokous.audit_flush = 'on'`; only the statement-level TRUNCATE
  trigger reads it, so row UPDATE and DELETE stay refused even then;
* SQLite: the SQL function `kokous_audit_flushing()`, registered on every connection, returns 1;
  a connection without it (the `sqlite3` shell) gets an error, so the guard fails closed.

`audit/management/commands/flush.py` sets the flag only when `settings.AUDIT_ALLOW_FLUSH` is true
(test settings); in production `manage.py flush` is refused by the triggers, as it should be.
This is a guard against mistakes, not against someone who can drop triggers: that attacker is
caught by the signed checkpoints (spec, threat model).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.signals import connection_created

SQLITE_FLAG_FUNCTION = "kokous_audit_flushing"
PG_FLAG_SETTING = "kokous.audit_flush"
_FLAG_ATTRIBUTE = "_kokous_audit_flushing"


def _register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    wrapper = weakref.ref(connection)

    def flushing() -> int:
        current = wrapper()
        return 1 if current is not None and getattr(current, _FLAG_ATTRIBUTE, False) else 0

    connection.connection.create_function(SQLITE_FLAG_FUNCTION, 0, flushing)


def install() -> None:
    """Register the SQLite flag function on every new connection (idempotent)."""
    connection_created.connect(_register_sqlite_function, dispatch_uid="audit.guards.sqlite")


@contextmanager
def flush_allowed(connection: Any) -> Iterator[None]:
    """Let the audit tables be emptied on `connection` for the duration (Django's flush only)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [PG_FLAG_SETTING])
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, '', false)", [PG_FLAG_SETTING])
            except Exception:
                # Never leave a session that may empty the log: drop it instead.
                connection.close()
                raise
    else:
        setattr(connection, _FLAG_ATTRIBUTE, True)
        try:
            yield
        finally:
            setattr(connection, _FLAG_ATTRIBUTE, False)
