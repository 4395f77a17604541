"""Storage of attachment files outside the web root (TiHL 13–15 §, R9, R61, R62, R64).

Files live under ``settings.PROTECTED_FILES_ROOT`` with a random storage name and are served only
through an authorised view. Writing and reading are these two functions only:

* :func:`store_attachment_bytes` — encrypt and write bytes, return the storage name;
* :func:`read_attachment_bytes` — read, decrypt and verify the bytes of an `Attachment`.

Every attachment, public ones included, is stored as an AES-256-GCM blob of
`meetings.encryption` bound to its storage name (`storage_ad`): one rule is simpler to review
than a per-publicity one, publicity can change after upload, and `rotate_file_key` then covers
every file. Files written before encryption was wired (plaintext, no blob magic) are still read
when their row says ``encrypted=False``; a row marked encrypted never accepts plaintext.
`read_attachment_bytes` also compares the plaintext's SHA-256 with `Attachment.sha256`, which
binds the file to its database row (a blob swapped for another row's does not pass).

Also here: the upload size limit. Uploads are validated by `meetings.uploads.validate_upload`
(type by content, allow-list, safe names) before they reach `store_attachment_bytes`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings

from meetings import encryption

#: Largest accepted attachment (bytes); override with settings.KOKOUS_ATTACHMENT_MAX_BYTES.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


class StoredFileError(encryption.DecryptionError):
    """A stored file does not belong to its row: not decryptable, plaintext where a blob is
    required, or a digest that differs from `Attachment.sha256`. Log it; never show details."""


def max_bytes() -> int:
    return int(getattr(settings, "KOKOUS_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _root() -> Path:
    root = Path(settings.PROTECTED_FILES_ROOT)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def _path(storage_name: str) -> Path:
    # Storage names are ours (hex); refuse anything that could climb out of the root.
    if not storage_name or not all(c in "0123456789abcdef" for c in storage_name):
        raise ValueError("invalid storage name")
    return _root() / storage_name[:2] / storage_name


def store_attachment_bytes(data: bytes) -> str:
    """Encrypt `data` and write it under a new random name; return that name (never overwrites).

    The blob's associated data is the storage name, so the file only decrypts under this name.
    """
    storage_name = secrets.token_hex(32)
    blob = encryption.encrypt_for_storage(bytes(data), storage_name)
    path = _path(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return storage_name


def read_attachment_bytes(attachment: Any) -> bytes:
    """The plaintext of `attachment` (an `Attachment`); the caller has checked access.

    Raises `StoredFileError` when the file does not authenticate or does not match the row.
    """
    storage_name = attachment.storage_name
    raw = _path(storage_name).read_bytes()
    if encryption.is_encrypted_blob(raw):
        data = encryption.decrypt_from_storage(raw, storage_name)
    elif getattr(attachment, "encrypted", False):
        # Replacing a blob by plaintext must not be a way to feed a member other content.
        raise StoredFileError(f"attachment file {storage_name} is not an encrypted blob")
    else:
        data = raw  # legacy file stored before encryption at rest (encrypted=False rows only)
    expected = getattr(attachment, "sha256", "") or ""
    if expected and not hmac.compare_digest(sha256_hex(data), expected):
        raise StoredFileError(f"attachment file {storage_name} does not match its row's SHA-256")
    return data


def discard_stored_bytes(storage_name: str) -> None:
    """Remove a file whose database row was never committed (upload rolled back)."""
    _path(storage_name).unlink(missing_ok=True)
