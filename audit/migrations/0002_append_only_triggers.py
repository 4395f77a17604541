"""The database itself refuses to change history (spec section 6; TiHL 15 §, R62, R78).

Entries, subtree nodes and checkpoints: UPDATE and DELETE are refused by row triggers, TRUNCATE
(PostgreSQL) by a statement trigger. The head row may only grow (appends update it) and may not
be deleted.

The one exception is Django's `flush` of a test database (`TransactionTestCase`, i.e.
pytest-django `transactional_db`): `DELETE FROM` every table on SQLite, one `TRUNCATE` on
PostgreSQL. `audit.guards.flush_allowed` marks that session and only the DELETE (SQLite) or
TRUNCATE (PostgreSQL) triggers honour the mark; UPDATE is refused always, and on PostgreSQL row
DELETE is refused always (flush never deletes rows there). `audit/management/commands/flush.py`
sets the mark only with `settings.AUDIT_ALLOW_FLUSH` (test settings), so a production
`manage.py flush` is refused. On SQLite the mark is an SQL function registered by `audit.guards`;
a connection without it (the `sqlite3` shell) fails with "no such function": closed, not open.

Beware on SQLite: Django alters a table by re-creating it, which drops its triggers. A later
migration that alters an audit table must run `create_triggers` again.

The SQL is written out here, not imported, so this migration keeps meaning what it meant.
"""

from django.db import migrations

MESSAGE = "audit log is append-only"
TABLES = ["audit_auditentry", "audit_auditnode", "audit_auditcheckpoint"]
HEAD = "audit_audithead"

SQLITE_REFUSE = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
SQLITE_FLUSHING = "kokous_audit_flushing() IS NOT 1"


def sqlite_create() -> list[str]:
    sql = []
    for table in TABLES:
        sql.append(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} {SQLITE_REFUSE}")
        sql.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN {SQLITE_FLUSHING} {SQLITE_REFUSE}"
        )
    sql.append(
        f"CREATE TRIGGER {HEAD}_only_grows BEFORE UPDATE ON {HEAD} "
        f"WHEN NEW.size < OLD.size OR NEW.id IS NOT OLD.id {SQLITE_REFUSE}"
    )
    sql.append(
        f"CREATE TRIGGER {HEAD}_no_delete BEFORE DELETE ON {HEAD} "
        f"WHEN {SQLITE_FLUSHING} {SQLITE_REFUSE}"
    )
    return sql


def sqlite_drop() -> list[str]:
    names = [f"{t}_no_update" for t in TABLES] + [f"{t}_no_delete" for t in TABLES]
    names += [f"{HEAD}_only_grows", f"{HEAD}_no_delete"]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


PG_FUNCTIONS = [
    f"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('kokous.audit_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$
""",
    f"""
CREATE OR REPLACE FUNCTION audit_head_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.size >= OLD.size AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: the head may only grow' USING ERRCODE = 'restrict_violation';
END;
$$
""",
]


def pg_create() -> list[str]:
    sql = list(PG_FUNCTIONS)
    for table in [*TABLES, HEAD]:
        events = "DELETE" if table == HEAD else "UPDATE OR DELETE"
        sql.append(
            f"CREATE TRIGGER {table}_append_only BEFORE {events} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        sql.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )
    sql.append(
        f"CREATE TRIGGER {HEAD}_only_grows BEFORE UPDATE ON {HEAD} "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_only_grows()"
    )
    return sql


def pg_drop() -> list[str]:
    sql = []
    for table in [*TABLES, HEAD]:
        sql.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        sql.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    sql.append(f"DROP TRIGGER IF EXISTS {HEAD}_only_grows ON {HEAD}")
    sql.append("DROP FUNCTION IF EXISTS audit_refuse_change()")
    sql.append("DROP FUNCTION IF EXISTS audit_head_only_grows()")
    return sql


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, pg_create())
    elif vendor == "sqlite":
        _run(schema_editor, sqlite_create())
    else:
        raise NotImplementedError(f"no append-only triggers for database vendor {vendor!r}")


def drop_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    _run(schema_editor, pg_drop() if vendor == "postgresql" else sqlite_drop())


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
