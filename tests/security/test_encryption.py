"""Encryption at rest of stored files (R9, R61, R62; TiHL 14–15 §; GDPR 32.1 a; ASVS V11, V14).

Real AES-256-GCM through `cryptography`, real files on disk, real management commands.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from meetings import encryption
from meetings.encryption import DecryptionError, KeyRingError

SECRET = b"SALAINEN-LIITE: sosiaalihuollon asiakkaan tiedot 123456-789A " * 50


@pytest.fixture
def ring_file(tmp_path, settings):
    """A fresh key ring file (mode 0600) and an empty protected file root, both in tmp."""
    path = tmp_path / "keys" / "file_keys.json"
    settings.KOKOUS_FILE_KEYS_FILE = path
    settings.KOKOUS_FILE_KEYS = ""
    settings.PROTECTED_FILES_ROOT = tmp_path / "files"
    call_command("file_keygen", "--if-missing", stdout=io.StringIO())
    return path


def store(storage_name: str, data: bytes, root: Path) -> Path:
    """What `meetings/files.py` does: shard directory, file named by the storage name."""
    path = root / storage_name[:2] / storage_name
    encryption.write_blob(path, encryption.encrypt_for_storage(data, storage_name))
    return path


def test_round_trip_and_blob_format(ring_file):
    ring = encryption.load_keyring()
    blob = encryption.encrypt(SECRET, associated_data=b"attachment:1")
    assert blob.startswith(encryption.MAGIC + bytes([encryption.VERSION]))
    head = encryption.parse_header(blob)
    assert head.key_id == ring.newest.id and len(head.nonce) == 12
    assert len(blob) == len(head.header) + 12 + len(SECRET) + 16
    assert encryption.decrypt(blob, associated_data=b"attachment:1") == SECRET
    # A fresh random nonce every time: the same file never gives the same blob.
    again = encryption.encrypt(SECRET, associated_data=b"attachment:1")
    assert again != blob and encryption.parse_header(again).nonce != head.nonce


def test_plaintext_is_never_on_disk(ring_file, tmp_path):
    """R9/R61: the stored file holds no recognisable part of the document."""
    root = tmp_path / "files"
    path = store("ab" + "0" * 62, SECRET, root)
    raw = path.read_bytes()
    assert SECRET[:16] not in raw and b"SALAINEN" not in raw and b"123456-789A" not in raw
    assert path.stat().st_mode & 0o777 == 0o600
    # No temporary file was left behind.
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert encryption.decrypt_from_storage(raw, path.name) == SECRET


def test_key_ring_file_is_private_and_outside_the_repository(ring_file):
    assert ring_file.stat().st_mode & 0o777 == 0o600
    ring = json.loads(ring_file.read_text())
    assert ring["format"] == encryption.RING_FORMAT and len(ring["keys"]) == 1
    os.chmod(ring_file, 0o644)
    encryption._load_file.cache_clear()
    with pytest.raises(KeyRingError, match="readable or writable by others"):
        encryption.load_keyring()


def test_default_ring_path_is_under_var_not_the_database(settings):
    del settings.KOKOUS_FILE_KEYS_FILE
    assert encryption.keyring_path() == Path(settings.VAR_DIR) / "file_keys.json"


def test_missing_ring_is_a_clear_configuration_error(tmp_path, settings):
    settings.KOKOUS_FILE_KEYS_FILE = tmp_path / "nothing.json"
    settings.KOKOUS_FILE_KEYS = ""
    settings.KOKOUS_FILE_KEYS_AUTOCREATE = False  # production: never invent a key silently
    with pytest.raises(KeyRingError, match="file_keygen"):
        encryption.encrypt(b"x", associated_data=b"a")
    assert not (tmp_path / "nothing.json").exists()


def test_autocreate_makes_a_private_ring_once(tmp_path, settings):
    """Development and tests (KOKOUS_FILE_KEYS_AUTOCREATE): a ring appears on first use, 0600."""
    path = tmp_path / "auto" / "ring.json"
    settings.KOKOUS_FILE_KEYS_FILE = path
    settings.KOKOUS_FILE_KEYS = ""
    settings.KOKOUS_FILE_KEYS_AUTOCREATE = True
    blob = encryption.encrypt(b"x", associated_data=b"a")
    assert path.stat().st_mode & 0o777 == 0o600
    assert encryption.decrypt(blob, associated_data=b"a") == b"x"
    first = path.read_text()
    encryption.encrypt(b"y", associated_data=b"a")
    assert path.read_text() == first


def test_ring_from_environment_json(tmp_path, settings):
    key = encryption.new_key()
    settings.KOKOUS_FILE_KEYS = encryption.KeyRing((key,)).to_json()
    settings.KOKOUS_FILE_KEYS_FILE = tmp_path / "ignored.json"
    blob = encryption.encrypt(b"data", associated_data=b"a")
    assert encryption.parse_header(blob).key_id == key.id
    assert not (tmp_path / "ignored.json").exists()


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        '{"format": "other/9", "keys": []}',
        '{"keys": [{"id": "k1", "key": "c2hvcnQ="}]}',
        '{"keys": [{"id": "bad id!", "key": "' + "A" * 43 + '="}]}',
        '{"keys": [{"id": "k1", "key": "' + "A" * 43 + '="}, {"id": "k1", "key": "'
        + "B" * 43 + '="}]}',
    ],
)
def test_malformed_rings_are_refused(bad):
    with pytest.raises(KeyRingError):
        encryption.parse_keyring(bad, "test")


def test_unknown_key_id_fails(ring_file):
    blob = encryption.encrypt(SECRET, associated_data=b"a")
    other = encryption.KeyRing((encryption.new_key(),))
    with pytest.raises(DecryptionError, match="not in the key ring"):
        encryption.decrypt(blob, associated_data=b"a", keyring=other)


def test_key_id_rewritten_to_another_listed_key_fails(ring_file):
    """The header is authenticated: pointing a blob at another key in the ring does not work."""
    first = encryption.load_keyring().newest
    call_command("file_keygen", stdout=io.StringIO())
    ring = encryption.load_keyring()
    second = ring.newest
    assert first.id != second.id and len(first.id) == len(second.id)
    blob = encryption.encrypt(SECRET, associated_data=b"a", keyring=ring)
    forged = blob.replace(second.id.encode(), first.id.encode(), 1)
    with pytest.raises(DecryptionError, match="authentication"):
        encryption.decrypt(forged, associated_data=b"a", keyring=ring)


def test_every_single_flipped_byte_is_detected(ring_file):
    ring = encryption.load_keyring()
    blob = encryption.encrypt(b"short confidential text", associated_data=b"a", keyring=ring)
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            encryption.decrypt(bytes(tampered), associated_data=b"a", keyring=ring)


@pytest.mark.parametrize("cut", [0, 3, 6, 20, -1])
def test_truncated_or_foreign_blobs_fail(ring_file, cut):
    blob = encryption.encrypt(SECRET, associated_data=b"a")
    with pytest.raises(DecryptionError):
        encryption.decrypt(blob[:cut], associated_data=b"a")
    with pytest.raises(DecryptionError, match="not an encrypted"):
        encryption.decrypt(SECRET, associated_data=b"a")


def test_swapped_associated_data_fails(ring_file):
    blob = encryption.encrypt_for_storage(SECRET, "aa11")
    with pytest.raises(DecryptionError, match="authentication"):
        encryption.decrypt_from_storage(blob, "bb22")


def test_swapping_files_on_disk_is_detected(ring_file, tmp_path):
    """Someone with file-system access copies a confidential blob over a public one."""
    root = tmp_path / "files"
    secret_path = store("aa" + "1" * 62, SECRET, root)
    public_path = store("bb" + "2" * 62, b"public agenda", root)
    shutil.copyfile(secret_path, public_path)
    with pytest.raises(DecryptionError):
        encryption.decrypt_from_storage(public_path.read_bytes(), public_path.name)


def test_associated_data_is_required_and_storage_names_are_plain(ring_file):
    with pytest.raises(ValueError):
        encryption.encrypt(b"x", associated_data=b"")
    for bad in ["", "..", "a/b", "../x", "a\\b", "a\x00b"]:
        with pytest.raises(ValueError):
            encryption.storage_ad(bad)


def test_newest_key_encrypts_any_key_decrypts(ring_file):
    old_blob = encryption.encrypt(SECRET, associated_data=b"a")
    old_id = encryption.parse_header(old_blob).key_id
    call_command("file_keygen", stdout=io.StringIO())
    ring = encryption.load_keyring()  # re-read after the file changed, no restart
    assert len(ring.keys) == 2 and ring.newest.id != old_id
    new_blob = encryption.encrypt(SECRET, associated_data=b"a")
    assert encryption.parse_header(new_blob).key_id == ring.newest.id
    assert encryption.decrypt(old_blob, associated_data=b"a") == SECRET


def test_rotation_reencrypts_and_old_blobs_stay_readable(ring_file, tmp_path, capsys):
    root = tmp_path / "files"
    names = [f"{i:02x}" + f"{i:x}" * 62 for i in range(1, 5)]
    paths = [store(name, SECRET + name.encode(), root) for name in names]
    (root / "README.txt").write_bytes(b"not a blob")  # left alone
    backup = paths[0].read_bytes()  # e.g. yesterday's backup, old key
    old_id = encryption.load_keyring().newest.id

    call_command("rotate_file_key")

    ring = encryption.load_keyring()
    assert len(ring.keys) == 2 and ring.newest.id != old_id
    for name, path in zip(names, paths, strict=True):
        blob = path.read_bytes()
        assert encryption.parse_header(blob).key_id == ring.newest.id
        assert encryption.decrypt_from_storage(blob, name) == SECRET + name.encode()
        assert path.stat().st_mode & 0o777 == 0o600
        assert b"SALAINEN" not in blob
    assert (root / "README.txt").read_bytes() == b"not a blob"
    # The old key stays in the ring, so a restored backup is still readable.
    assert encryption.decrypt_from_storage(backup, names[0]) == SECRET + names[0].encode()
    out = capsys.readouterr().out
    assert "scanned 4" in out and "re-encrypted 4" in out

    # Running again (e.g. after a crash) re-encrypts nothing more.
    call_command("rotate_file_key", "--no-new-key")
    assert "re-encrypted 0, already current 4" in capsys.readouterr().out


def test_rotation_reports_a_bad_file_and_still_rotates_the_others(ring_file, tmp_path, capsys):
    root = tmp_path / "files"
    good = store("cc" + "3" * 62, b"good", root)
    bad = store("dd" + "4" * 62, b"bad", root)
    raw = bytearray(bad.read_bytes())
    raw[-1] ^= 0xFF
    bad.write_bytes(bytes(raw))
    with pytest.raises(CommandError, match="1 file"):
        call_command("rotate_file_key")
    assert "FAILED" in capsys.readouterr().err
    ring = encryption.load_keyring()
    assert encryption.parse_header(good.read_bytes()).key_id == ring.newest.id
    assert bytes(raw) == bad.read_bytes()  # an unreadable file is never overwritten


def test_rotation_dry_run_changes_nothing(ring_file, tmp_path, capsys):
    path = store("ee" + "5" * 62, b"x", tmp_path / "files")
    before = path.read_bytes()
    call_command("rotate_file_key", "--dry-run")
    assert path.read_bytes() == before
    assert len(encryption.load_keyring().keys) == 1
    assert "would re-encrypt 0" in capsys.readouterr().out  # only one key: already current


def blobs_from_elsewhere():
    """A `--source` callable: the blobs some other storage layout knows about."""
    from django.conf import settings

    root = Path(settings.PROTECTED_FILES_ROOT) / "elsewhere"
    return [encryption.StoredBlob(p, b"custom:" + p.name.encode()) for p in root.iterdir()]


def test_rotation_with_a_custom_source(ring_file, tmp_path):
    folder = tmp_path / "files" / "elsewhere"
    path = folder / "doc1"
    encryption.write_blob(path, encryption.encrypt(b"payload", associated_data=b"custom:doc1"))
    call_command("rotate_file_key", "--source", f"{__name__}.blobs_from_elsewhere",
                 stdout=io.StringIO())
    ring = encryption.load_keyring()
    blob = path.read_bytes()
    assert encryption.parse_header(blob).key_id == ring.newest.id
    assert encryption.decrypt(blob, associated_data=b"custom:doc1") == b"payload"


def test_rotate_refuses_to_add_a_key_to_an_environment_ring(settings, tmp_path):
    settings.KOKOUS_FILE_KEYS = encryption.KeyRing((encryption.new_key(),)).to_json()
    settings.PROTECTED_FILES_ROOT = tmp_path / "files"
    with pytest.raises(CommandError, match="KOKOUS_FILE_KEYS"):
        call_command("rotate_file_key")
    call_command("rotate_file_key", "--no-new-key", stdout=io.StringIO())


def test_file_keygen_modes(tmp_path, settings, capsys):
    path = tmp_path / "ring.json"
    settings.KOKOUS_FILE_KEYS_FILE = path
    settings.KOKOUS_FILE_KEYS = ""
    call_command("file_keygen", "--if-missing")
    first = path.read_text()
    call_command("file_keygen", "--if-missing")
    assert path.read_text() == first  # unchanged
    call_command("file_keygen")
    assert len(json.loads(path.read_text())["keys"]) == 2
    assert path.stat().st_mode & 0o777 == 0o600
    capsys.readouterr()
    call_command("file_keygen", "--print")
    printed = encryption.parse_keyring(capsys.readouterr().out)
    assert len(printed.keys) == 1
    assert len(json.loads(path.read_text())["keys"]) == 2  # --print writes nothing
    settings.KOKOUS_FILE_KEYS = printed.to_json()
    with pytest.raises(CommandError, match="KOKOUS_FILE_KEYS"):
        call_command("file_keygen")


def test_key_material_is_not_in_reprs(ring_file):
    ring = encryption.load_keyring()
    assert ring.newest.key.hex() not in repr(ring)
