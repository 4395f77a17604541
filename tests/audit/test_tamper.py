"""Tampering with the stored log is caught offline (R62, R78; spec threat model).

Each test plays an attacker with database access: the triggers are dropped first (inside the
test's transaction, so the next test gets them back), history is edited, and the export is
checked with `audit_verify` / `python -m audit.verify`, which must fail and point at the first
bad entry. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, transaction

from audit import merkle, store
from audit.checkpoints import LogInconsistent, sign_checkpoint
from audit.log import record
from audit.verify import verify_bundle
from tests.audit import support


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path):
    return support.use_test_key(settings, tmp_path)


@pytest.fixture
def log_with_export(db, tmp_path):
    """20 entries and an honest export of them, kept by an auditor."""
    support.append(20, obj="meeting:1", action="meeting.event")
    honest = support.export(tmp_path / "honest")
    assert verify_bundle(honest).ok
    return honest


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def entry_bytes(seq: int) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT entry FROM audit_auditentry WHERE seq = %s", [seq])
        return bytes(cursor.fetchone()[0])


def verify_cli(bundle: Path, *old: Path) -> tuple[int, str]:
    """`python -m audit.verify` in a fresh interpreter: no Django, no database."""
    args = [sys.executable, "-m", "audit.verify", str(bundle)]
    for path in old:
        args += ["--old", str(path)]
    done = subprocess.run(
        args, capture_output=True, text=True, cwd=django_settings.BASE_DIR, timeout=60, check=False
    )
    return done.returncode, done.stdout + done.stderr


def verify_command(bundle: Path, *old: Path, capsys) -> tuple[int, str]:
    args = [str(bundle)]
    for path in old:
        args += ["--old", str(path)]
    try:
        call_command("audit_verify", *args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_r62_changed_entry_is_named(log_with_export, tmp_path, capsys):
    """R62: an entry whose content was changed is named; an earlier export pins it exactly."""
    support.drop_triggers()
    forged = entry_bytes(7).replace(b'"i":7', b'"i":8')
    execute("UPDATE audit_auditentry SET entry = %s WHERE seq = 7", [forged])
    bundle = support.export(tmp_path / "after")

    assert not verify_bundle(bundle).ok
    code, output = verify_cli(bundle, log_with_export)
    assert code == 1
    assert "entry 7:" in output and "differs from the earlier export" in output
    code, output = verify_command(bundle, log_with_export, capsys=capsys)
    assert code == 1 and "entry 7:" in output


def test_r62_unskilled_edit_is_named_without_references(log_with_export, tmp_path, capsys):
    """R62: an edit that breaks the canonical form is named from the bundle alone."""
    support.drop_triggers()
    forged = entry_bytes(4).replace(b'"i":4', b'"i": 4')
    execute("UPDATE audit_auditentry SET entry = %s WHERE seq = 4", [forged])
    result = verify_bundle(support.export(tmp_path / "after"))
    assert not result.ok and result.first_bad_entry == 4
    assert "canonical" in result.message


def test_r62_deleted_entry_is_named(log_with_export, tmp_path, capsys):
    """R62: a deleted entry shows as a gap at its number."""
    support.drop_triggers()
    execute("DELETE FROM audit_auditentry WHERE seq = 7")
    bundle = support.export(tmp_path / "after")
    code, output = verify_command(bundle, capsys=capsys)
    assert code == 1
    assert "FAILED: entry 7: seq is 8, expected 7" in output
    assert verify_cli(bundle)[0] == 1


def test_r62_reordered_entries_are_named(log_with_export, tmp_path):
    """R62: swapping two entries is caught at the first of them."""
    support.drop_triggers()
    seventh, eighth = entry_bytes(7), entry_bytes(8)
    execute("UPDATE audit_auditentry SET entry = %s WHERE seq = 7", [eighth])
    execute("UPDATE audit_auditentry SET entry = %s WHERE seq = 8", [seventh])
    result = verify_bundle(support.export(tmp_path / "after"))
    assert not result.ok
    assert result.first_bad_entry == 7
    assert result.message.startswith("entry 7: seq is 8, expected 7")


def test_r62_inserted_entry_is_named(log_with_export, tmp_path):
    """R62: an entry slipped in between (the later ones moved up) is caught where it sits."""
    support.drop_triggers()
    execute("UPDATE audit_auditentry SET seq = seq + 1000 WHERE seq >= 7")
    execute("UPDATE audit_auditentry SET seq = seq - 999 WHERE seq >= 1000")
    fake = merkle.canonical_json(
        {
            "action": "vote.cast",
            "actor": "user:1",
            "data": {"choice": "jaa"},
            "object": "vote:1",
            "seq": 7,
            "ts": "2026-01-15T17:00:00.000000Z",
        }
    )
    execute(
        "INSERT INTO audit_auditentry (seq, entry, leaf_hash, action, object, actor) "
        "VALUES (7, %s, %s, 'vote.cast', 'vote:1', 'user:1')",
        [fake, merkle.leaf_hash(fake)],
    )
    # The service's tree no longer covers the rows, so export what the last checkpoint signs.
    result = verify_bundle(support.export(tmp_path / "after", "--no-sign"))
    assert not result.ok
    assert result.bad_range == (7, 9) or result.first_bad_entry in (7, 8)
    assert "seq 7" in result.message or "entry 8" in result.message


def test_r78_truncated_and_resigned_log_fails_against_an_old_checkpoint(
    log_with_export, tmp_path, capsys
):
    """R78: cutting history off and re-signing with the same key is caught by an old checkpoint.

    The attacker deletes the tail, the later checkpoints and fixes the head, so the service
    signs the shorter log without complaint; the auditor's old checkpoint still says more.
    """
    old_checkpoint = log_with_export / "checkpoint"
    support.drop_triggers()
    execute("DELETE FROM audit_auditentry WHERE seq >= 10")
    execute("DELETE FROM audit_auditnode")
    execute("DELETE FROM audit_auditcheckpoint")
    execute("UPDATE audit_audithead SET size = 10")
    support.rewrite_tree()
    bundle = support.export(tmp_path / "after")
    assert verify_bundle(bundle).ok  # on its own, a valid (shorter) log

    code, output = verify_command(bundle, old_checkpoint, capsys=capsys)
    assert code == 1
    assert "FAILED: entry 10: missing: old checkpoint" in output
    result = verify_bundle(bundle, old_checkpoint)
    assert not result.ok and result.first_bad_entry == 10
    assert verify_cli(bundle, old_checkpoint)[0] == 1


def test_r78_rewritten_history_resigned_with_the_same_key_fails_with_old(
    log_with_export, tmp_path, capsys
):
    """R78: a consistent forgery (entries, hashes, tree, fresh checkpoint) fails with --old."""
    old_checkpoint = log_with_export / "checkpoint"
    support.drop_triggers()
    forged = entry_bytes(5).replace(b'"i":5', b'"i":55')
    execute("UPDATE audit_auditentry SET entry = %s WHERE seq = 5", [forged])
    execute("DELETE FROM audit_auditcheckpoint")
    support.rewrite_tree()
    bundle = support.export(tmp_path / "after")
    assert verify_bundle(bundle).ok  # self-consistent forgery

    code, output = verify_command(bundle, old_checkpoint, capsys=capsys)
    assert code == 1 and "history was rewritten" in output
    code, output = verify_cli(bundle, log_with_export)  # an earlier export names the entry
    assert code == 1 and "entry 5:" in output


def test_r62_service_refuses_to_sign_a_rewritten_history(log_with_export):
    """R62: while earlier checkpoints are stored, the service will not sign a forged tree."""
    support.drop_triggers()
    forged = entry_bytes(5).replace(b'"i":5', b'"i":55')
    execute("UPDATE audit_auditentry SET entry = %s WHERE seq = 5", [forged])
    support.rewrite_tree()
    with transaction.atomic():
        record(None, "meeting.event", "meeting:1")
    with pytest.raises(LogInconsistent, match="does not extend"):
        sign_checkpoint()


def test_r62_service_refuses_to_sign_a_truncated_log(log_with_export):
    """R62: a log shorter than a signed checkpoint is never signed again."""
    support.drop_triggers()
    size = store.current_size()
    execute("DELETE FROM audit_auditentry WHERE seq >= 10")
    execute("UPDATE audit_audithead SET size = 10")
    with pytest.raises(LogInconsistent, match=f"checkpoint {size - 1}|checkpoint {size}"):
        sign_checkpoint()


def test_r62_auditor_download_reports_a_rewritten_history(log_with_export, client, settings):
    """R62: the auditor's download says the service will not sign the forged log (409)."""
    from django.urls import reverse

    from tests import factories

    auditor = factories.StaffRoleFactory(
        role="auditor", municipality__audit_origin=settings.AUDIT_LOG_ORIGIN
    ).person.user
    client.force_login(auditor)
    support.drop_triggers()
    forged = entry_bytes(5).replace(b'"i":5', b'"i":55')
    execute("UPDATE audit_auditentry SET entry = %s WHERE seq = 5", [forged])
    support.rewrite_tree()
    response = client.get(reverse("audit:download"))
    assert response.status_code == 409
    assert b"does not extend" in response.content
