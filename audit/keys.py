"""The checkpoint signing key (*allekirjoitusavain*), kept outside the database (spec, section 3).

Someone who can write to the database must not be able to sign a rewritten history, so the
Ed25519 private key lives in the file `settings.AUDIT_SIGNING_KEY_FILE`, readable only by the
service (or behind an HSM in a later version). Accepted file contents: a PKCS#8 PEM key (what
`manage.py audit_keygen` writes), a raw 32-byte seed, or a Go `note` signer key line
(`PRIVATE+KEY+<name>+<hash>+<base64>`). The key name is the log's origin,
`settings.AUDIT_LOG_ORIGIN`.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from audit import merkle


class SigningKeyError(ImproperlyConfigured):
    """The signing key file is missing, unreadable or not an Ed25519 key."""


def origin() -> str:
    """The log's origin, also the C2SP key name (no spaces, no '+')."""
    return str(settings.AUDIT_LOG_ORIGIN)


def key_path() -> Path:
    return Path(settings.AUDIT_SIGNING_KEY_FILE)


def parse_private_key(raw: bytes, name: str) -> Ed25519PrivateKey:
    """Decode a key file's bytes; see the module docstring for the accepted forms."""
    if len(raw) == 32:
        return merkle.private_key_from_seed(raw)
    text = raw.strip()
    if text.startswith(b"PRIVATE+KEY+"):
        key_name, key = merkle.parse_signer_key(text)
        if key_name != name:
            raise SigningKeyError(f"signer key is named {key_name!r}, the log origin is {name!r}")
        return key
    if text.startswith(b"-----BEGIN"):
        key = load_pem_private_key(text, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("the audit signing key must be an Ed25519 key")
        return key
    raise SigningKeyError("the audit signing key is neither PEM, a 32-byte seed nor a note key")


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int, name: str) -> Ed25519PrivateKey:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the audit signing key {path}: {exc}") from exc
    try:
        return parse_private_key(raw, name)
    except (ValueError, merkle.CheckpointError) as exc:
        raise SigningKeyError(f"invalid audit signing key {path}: {exc}") from exc


def signing_key() -> Ed25519PrivateKey:
    """The private key, re-read when the file changes (rotation needs no restart)."""
    path = key_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise SigningKeyError(
            f"no audit signing key at {path}: run `manage.py audit_keygen` "
            "(or set AUDIT_SIGNING_KEY_FILE)"
        ) from None
    return _load(str(path), stat.st_mtime_ns, stat.st_size, origin())


def verifier_key() -> str:
    """The published verifier key line (no newline)."""
    return merkle.verifier_key_line(origin(), signing_key().public_key())


def write_new_key(path: Path, *, force: bool = False) -> Ed25519PrivateKey:
    """Write a fresh key as PKCS#8 PEM with mode 0600; refuse to replace one unless `force`.

    Without `force` the file is created with O_EXCL, so two processes never write two keys.
    With `force` the new key is written beside it and renamed over it, never half-written.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    if not force:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")  # mode 0600
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return key
