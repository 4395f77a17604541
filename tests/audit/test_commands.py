"""`audit_keygen`, `audit_export`, `audit_verify` (R62, R64, R78; spec sections 3 and 5)."""

from __future__ import annotations

import stat
import subprocess
import sys
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import keys, merkle, store
from audit.checkpoints import sign_checkpoint
from audit.models import AuditEntry
from audit.verify import verify_bundle
from tests.audit import support


def test_r62_keygen_writes_a_private_key_file(tmp_path, settings):
    """R62: the signing key lives outside the database, readable by the service only."""
    path = tmp_path / "keys" / "audit.key"
    out = StringIO()
    call_command("audit_keygen", "--path", str(path), stdout=out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings.AUDIT_SIGNING_KEY_FILE = path
    assert isinstance(keys.signing_key(), Ed25519PrivateKey)
    vkey = out.getvalue().splitlines()[-1]
    assert vkey == keys.verifier_key()
    assert merkle.parse_verifier_key(vkey).name == settings.AUDIT_LOG_ORIGIN


def test_r62_keygen_never_overwrites_silently(tmp_path, settings):
    """R62: replacing the key breaks auditors' trust chain, so it takes --force."""
    path = tmp_path / "audit.key"
    settings.AUDIT_SIGNING_KEY_FILE = path
    call_command("audit_keygen", stdout=StringIO())
    original = path.read_bytes()
    with pytest.raises(CommandError, match="refusing to overwrite"):
        call_command("audit_keygen", stdout=StringIO())
    call_command("audit_keygen", "--if-missing", stdout=StringIO())
    assert path.read_bytes() == original
    call_command("audit_keygen", "--force", stdout=StringIO())
    assert path.read_bytes() != original
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_r62_key_file_formats(tmp_path, settings):
    """R62: a raw seed, a PEM key and a Go note signer key give the same signing key."""
    seed_file = support.use_test_key(settings, tmp_path)
    from_seed = keys.verifier_key()
    private = merkle.private_key_from_seed(seed_file.read_bytes())
    note_file = tmp_path / "note.key"
    note_file.write_text(merkle.signer_key_line(keys.origin(), private) + "\n")
    settings.AUDIT_SIGNING_KEY_FILE = note_file
    assert keys.verifier_key() == from_seed
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    settings.AUDIT_SIGNING_KEY_FILE = bad
    with pytest.raises(keys.SigningKeyError):
        keys.signing_key()
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "absent.key"
    with pytest.raises(keys.SigningKeyError, match="audit_keygen"):
        keys.signing_key()


def test_r78_export_and_verify_round_trip(db, tmp_path, settings, capsys):
    """R78: an export verifies offline with `audit_verify` and `python -m audit.verify`."""
    support.use_test_key(settings, tmp_path)
    support.append(25)
    early = sign_checkpoint()
    early_file = tmp_path / "early.checkpoint"
    early_file.write_text(early.note)
    support.append(6)
    bundle = tmp_path / "bundle"
    call_command("audit_export", str(bundle))
    size = store.current_size() - 1  # the export recorded itself after signing
    assert f"exported {size} entries" in capsys.readouterr().out

    assert (bundle / "entries.jsonl").read_bytes() == b"".join(
        e + b"\n" for e in support.stored_entries()[:size]
    )
    assert (bundle / "key.vkey").read_text() == keys.verifier_key() + "\n"
    signed = merkle.verify_note((bundle / "checkpoint").read_bytes(), keys.verifier_key())
    assert signed.size == size
    exported = AuditEntry.objects.get(action="audit.exported")
    assert (exported.seq, exported.actor, exported.object) == (size, "system", f"checkpoint:{size}")

    call_command("audit_verify", str(bundle), "--old", str(early_file))
    assert capsys.readouterr().out.startswith(f"OK: {keys.origin()}: {size} entries")
    done = subprocess.run(
        [sys.executable, "-m", "audit.verify", str(bundle), "--old", str(early_file)],
        capture_output=True, text=True, cwd=django_settings.BASE_DIR, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert verify_bundle(bundle, early_file, strict=True).ok


def test_r78_export_keeps_older_bundles(db, tmp_path, settings):
    """R78: an old bundle is an auditor's reference, so export does not overwrite it."""
    support.use_test_key(settings, tmp_path)
    support.append(3)
    support.export(tmp_path / "bundle")
    with pytest.raises(CommandError, match="already holds"):
        support.export(tmp_path / "bundle")
    support.export(tmp_path / "bundle", "--force")
    assert verify_bundle(tmp_path / "bundle").ok


def test_r62_export_without_a_key_is_a_clear_error(db, tmp_path, settings):
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "absent.key"
    with pytest.raises(CommandError, match="audit_keygen"):
        support.export(tmp_path / "bundle")


def test_r62_verify_command_fails_with_status_1(db, tmp_path, settings, capsys):
    """R62: a broken bundle exits non-zero with the verifier's message."""
    support.use_test_key(settings, tmp_path)
    support.append(4)
    bundle = support.export(tmp_path / "bundle")
    lines = (bundle / "entries.jsonl").read_bytes().split(b"\n")
    (bundle / "entries.jsonl").write_bytes(b"\n".join(lines[:2] + lines[3:]))
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", str(bundle))
    assert exit_info.value.code == 1
    assert "FAILED: entry 2:" in capsys.readouterr().err
