"""Storage of attachment files outside the web root (TiHL 14–15 §, R61, R62, R64).

Files live under ``settings.PROTECTED_FILES_ROOT`` with a random storage name and are served only
through an authorised view. Writing and reading are these two functions only, so encryption at
rest for confidential files can be added here without touching callers:

* :func:`store_attachment_bytes` — write bytes, return the storage name;
* :func:`read_attachment_bytes` — read the bytes of an `Attachment`.

Also here: the upload size limit. Uploads are validated by `meetings.uploads.validate_upload`
(type by content, allow-list, safe names) before they reach `store_attachment_bytes`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings

#: Largest accepted attachment (bytes); override with settings.KOKOUS_ATTACHMENT_MAX_BYTES.
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

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
    """Write `data` under a new random name and return that name (never overwrites)."""
    storage_name = secrets.token_hex(32)
    path = _path(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return storage_name


def read_attachment_bytes(attachment: Any) -> bytes:
    """The stored bytes of `attachment` (an `Attachment`); the caller has checked access."""
    return _path(attachment.storage_name).read_bytes()


def discard_stored_bytes(storage_name: str) -> None:
    """Remove a file whose database row was never committed (upload rolled back)."""
    _path(storage_name).unlink(missing_ok=True)
