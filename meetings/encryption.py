"""Encryption at rest of stored files (TiHL 13–15 §, GDPR 32.1 a; R9, R60–R62).

Attachments are stored outside the database and outside MEDIA_ROOT, under
`settings.PROTECTED_FILES_ROOT`. Each file is an AES-256-GCM blob (`cryptography`'s AESGCM; no
hand-written cryptography) whose keys live in a key ring outside the database and the repository,
so a database dump or a copy of the file store alone reveals nothing.

Blob format, version 1 (all lengths in bytes)::

    MAGIC            4   b"\\x89KKF"  (high byte: never mistaken for text)
    version          1   0x01
    key id length    1   n, 1..64
    key id           n   ASCII [A-Za-z0-9._-]
    nonce           12   random (os.urandom) per blob
    ciphertext+tag   *   AESGCM output: ciphertext || 16-byte tag

The header (magic … key id) is authenticated: the AEAD associated data is
``header || associated_data``. The caller's associated data binds the blob to where it belongs
(for attachments `storage_ad(storage_name)`), so a blob copied or renamed onto another storage
name no longer decrypts, and neither does a blob with a changed key id or any flipped byte.

Key ring (JSON)::

    {"format": "kokous-file-keys/1",
     "keys": [{"id": "k20261123T133000Z-1a2b3c", "created": "2026-11-23T13:30:00Z",
               "key": "<base64 of 32 random bytes>"}, ...]}

The **last** key encrypts; any listed key decrypts. It is read from the environment variable
`KOKOUS_FILE_KEYS` (the JSON itself, for secret managers) when set, otherwise from the file
`settings.KOKOUS_FILE_KEYS_FILE` (default `<VAR_DIR>/file_keys.json`), which must not be
readable by group or others (mode 0600). `manage.py file_keygen` creates or extends the ring;
`manage.py rotate_file_key` adds a key and re-encrypts every stored blob (see
docs/key-rotation.md). The file is re-read when it changes, so a rotation needs no restart.

Random 96-bit nonces are safe for well under 2**32 blobs per key; rotate long before that.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"\x89KKF"
VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
RING_FORMAT = "kokous-file-keys/1"
KEY_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ENV_KEYS = "KOKOUS_FILE_KEYS"
ENV_KEYS_FILE = "KOKOUS_FILE_KEYS_FILE"
ATTACHMENT_AD_PREFIX = b"kokous-file\x00"
TEMP_PREFIX = ".kokous-tmp-"


class EncryptionError(Exception):
    """Base class of this module's errors."""


class DecryptionError(EncryptionError):
    """A blob is not ours, uses an unknown key, or fails authentication (tampered or misplaced).

    Never show the details to end users; log them and answer with a generic error.
    """


class KeyRingError(ImproperlyConfigured):
    """The key ring is missing, unreadable, readable by others, or malformed."""


@dataclass(frozen=True)
class FileKey:
    id: str
    key: bytes = field(repr=False)
    created: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "created": self.created,
            "key": base64.b64encode(self.key).decode("ascii"),
        }


@dataclass(frozen=True)
class KeyRing:
    """An ordered set of keys; the last one is the newest and encrypts."""

    keys: tuple[FileKey, ...]
    source: str = ""

    def __post_init__(self) -> None:
        ids = [k.id for k in self.keys]
        if len(ids) != len(set(ids)):
            raise KeyRingError(f"duplicate key id in the file key ring {self.source}")

    @property
    def newest(self) -> FileKey:
        if not self.keys:
            raise KeyRingError(
                f"the file key ring {self.source or ''} is empty: run `manage.py file_keygen`"
            )
        return self.keys[-1]

    def get(self, key_id: str) -> FileKey | None:
        for key in self.keys:
            if key.id == key_id:
                return key
        return None

    def with_key(self, key: FileKey) -> KeyRing:
        return KeyRing((*self.keys, key), self.source)

    def to_json(self) -> str:
        body = {"format": RING_FORMAT, "keys": [k.as_json() for k in self.keys]}
        return json.dumps(body, indent=2) + "\n"


# --- key ring -------------------------------------------------------------------------------------


def parse_keyring(text: str | bytes, source: str = "") -> KeyRing:
    """Parse ring JSON: ``{"format": ..., "keys": [...]}`` or just the list of keys."""
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyRingError(f"the file key ring {source} is not valid JSON") from exc
    if isinstance(doc, dict):
        if doc.get("format", RING_FORMAT) != RING_FORMAT:
            raise KeyRingError(f"unknown file key ring format {doc.get('format')!r} in {source}")
        entries = doc.get("keys")
    else:
        entries = doc
    if not isinstance(entries, list):
        raise KeyRingError(f"the file key ring {source} has no list of keys")
    keys = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise KeyRingError(f"a key in the file key ring {source} is not an object")
        key_id = entry.get("id")
        if not isinstance(key_id, str) or not KEY_ID_RE.match(key_id):
            raise KeyRingError(f"bad key id {key_id!r} in the file key ring {source}")
        try:
            raw = base64.b64decode(str(entry.get("key", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise KeyRingError(f"key {key_id} in {source} is not base64") from exc
        if len(raw) != KEY_BYTES:
            raise KeyRingError(f"key {key_id} in {source} is not {KEY_BYTES} bytes (AES-256)")
        keys.append(FileKey(key_id, raw, str(entry.get("created", ""))))
    return KeyRing(tuple(keys), source)


def keyring_path() -> Path:
    configured = getattr(settings, "KOKOUS_FILE_KEYS_FILE", None) or os.environ.get(ENV_KEYS_FILE)
    if configured:
        return Path(configured)
    return Path(getattr(settings, "VAR_DIR", Path("var"))) / "file_keys.json"


def keyring_from_environment() -> str:
    """The ring JSON given in the environment / settings, or ``""`` when the file is used."""
    value = getattr(settings, "KOKOUS_FILE_KEYS", None)
    if value is None:
        value = os.environ.get(ENV_KEYS, "")
    return str(value or "").strip()


def _check_private(path: Path, stat: os.stat_result) -> None:
    if os.name == "posix" and stat.st_mode & 0o077:
        raise KeyRingError(
            f"the file key ring {path} is readable or writable by others "
            f"(mode {stat.st_mode & 0o777:o}); run `chmod 600 {path}`"
        )


@lru_cache(maxsize=8)
def _load_file(path: str, mtime_ns: int, size: int, ino: int) -> KeyRing:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyRingError(f"cannot read the file key ring {path}: {exc}") from exc
    return parse_keyring(text, path)


@lru_cache(maxsize=4)
def _load_env(text: str) -> KeyRing:
    return parse_keyring(text, f"${ENV_KEYS}")


def load_keyring() -> KeyRing:
    """The configured ring: `KOKOUS_FILE_KEYS` if set, else the ring file (re-read on change)."""
    env = keyring_from_environment()
    if env:
        return _load_env(env)
    path = keyring_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        if getattr(settings, "KOKOUS_FILE_KEYS_AUTOCREATE", False):
            ensure_keyring(path)
            stat = path.stat()
        else:
            raise KeyRingError(
                f"no file encryption key ring at {path}: run `manage.py file_keygen` "
                f"(or set {ENV_KEYS} / KOKOUS_FILE_KEYS_FILE)"
            ) from None
    _check_private(path, stat)
    return _load_file(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)


def new_key(now: dt.datetime | None = None) -> FileKey:
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    key_id = f"k{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    return FileKey(key_id, secrets.token_bytes(KEY_BYTES), now.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _write_private(path: Path, text: str) -> None:
    """Write `text` beside `path` with mode 0600, fsync, and rename over it (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _ring_lock(path: Path) -> Iterator[None]:
    """Serialise key-ring writers (two `file_keygen` runs never lose a key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        yield
    finally:
        os.close(fd)


def read_keyring_file(path: Path) -> KeyRing:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return KeyRing((), str(path))
    _check_private(path, stat)
    return parse_keyring(path.read_text(encoding="utf-8"), str(path))


def add_key_to_file(path: Path | None = None) -> tuple[KeyRing, FileKey]:
    """Append a fresh key to the ring file (creating it, mode 0600); it becomes the newest."""
    path = path or keyring_path()
    with _ring_lock(path):
        ring = read_keyring_file(path)
        key = new_key()
        ring = ring.with_key(key)
        _write_private(path, ring.to_json())
    _load_file.cache_clear()
    return ring, key


def ensure_keyring(path: Path | None = None) -> tuple[KeyRing, FileKey | None]:
    """Create the ring file with one key unless it already holds one; return (ring, new key)."""
    path = path or keyring_path()
    with _ring_lock(path):
        ring = read_keyring_file(path)
        if ring.keys:
            return ring, None
        key = new_key()
        ring = ring.with_key(key)
        _write_private(path, ring.to_json())
    _load_file.cache_clear()
    return ring, key


# --- blobs ----------------------------------------------------------------------------------------


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    return MAGIC + bytes([VERSION, len(raw)]) + raw


def _as_bytes(associated_data: bytes | str) -> bytes:
    if isinstance(associated_data, str):
        associated_data = associated_data.encode("utf-8")
    if not isinstance(associated_data, bytes | bytearray) or not associated_data:
        raise ValueError("associated_data must be non-empty: it binds the blob to its place")
    return bytes(associated_data)


def encrypt(
    plaintext: bytes, *, associated_data: bytes | str, keyring: KeyRing | None = None
) -> bytes:
    """AES-256-GCM-encrypt `plaintext` with the newest key into a version-1 blob."""
    ad = _as_bytes(associated_data)
    key = (keyring or load_keyring()).newest
    header = _header(key.id)
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(key.key).encrypt(nonce, bytes(plaintext), header + ad)


@dataclass(frozen=True)
class BlobHeader:
    version: int
    key_id: str
    header: bytes
    nonce: bytes
    body_offset: int


def parse_header(blob: bytes) -> BlobHeader:
    """Split a blob's header; raises DecryptionError if it is not a version-1 Kokous blob."""
    if len(blob) < len(MAGIC) + 2 or not blob.startswith(MAGIC):
        raise DecryptionError("not an encrypted Kokous blob")
    version, id_len = blob[len(MAGIC)], blob[len(MAGIC) + 1]
    if version != VERSION:
        raise DecryptionError(f"unsupported blob version {version}")
    start = len(MAGIC) + 2
    end = start + id_len
    if id_len == 0 or len(blob) < end + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("truncated encrypted blob")
    try:
        key_id = blob[start:end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("bad key id in encrypted blob") from None
    if not KEY_ID_RE.match(key_id):
        raise DecryptionError("bad key id in encrypted blob")
    return BlobHeader(version, key_id, bytes(blob[:end]), bytes(blob[end : end + NONCE_BYTES]),
                      end + NONCE_BYTES)


def is_encrypted_blob(data: bytes) -> bool:
    return bytes(data[: len(MAGIC)]) == MAGIC


def decrypt(blob: bytes, *, associated_data: bytes | str, keyring: KeyRing | None = None) -> bytes:
    """Decrypt a blob with whichever listed key wrote it; DecryptionError if anything is off."""
    ad = _as_bytes(associated_data)
    head = parse_header(blob)
    key = (keyring or load_keyring()).get(head.key_id)
    if key is None:
        raise DecryptionError(f"blob was encrypted with key {head.key_id!r}, not in the key ring")
    try:
        body = bytes(blob[head.body_offset :])
        return AESGCM(key.key).decrypt(head.nonce, body, head.header + ad)
    except InvalidTag:
        raise DecryptionError(
            "encrypted blob failed authentication (tampered, or associated data does not match)"
        ) from None


# --- attachments: the storage convention ----------------------------------------------------------


def clean_storage_name(storage_name: str) -> str:
    """A storage name is one file name (no directory part): the attachment's `storage_name`."""
    if (
        not isinstance(storage_name, str)
        or not storage_name
        or len(storage_name) > 255
        or storage_name in (".", "..")
        or any(ch in storage_name for ch in "/\\\x00")
    ):
        raise ValueError(f"bad storage name {storage_name!r}")
    return storage_name


def storage_ad(storage_name: str) -> bytes:
    """Associated data binding a blob to its storage name (the blob file's name)."""
    return ATTACHMENT_AD_PREFIX + clean_storage_name(storage_name).encode("utf-8")


def protected_root() -> Path:
    return Path(settings.PROTECTED_FILES_ROOT)


def encrypt_for_storage(data: bytes, storage_name: str) -> bytes:
    return encrypt(data, associated_data=storage_ad(storage_name))


def decrypt_from_storage(blob: bytes, storage_name: str) -> bytes:
    return decrypt(blob, associated_data=storage_ad(storage_name))


def write_blob(path: Path, blob: bytes) -> None:
    """Write atomically with mode 0600 (temp file in the same directory, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


# --- rotation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredBlob:
    """One encrypted file and the associated data it was written with."""

    path: Path
    associated_data: bytes


BlobSource = Callable[[], Iterable[StoredBlob]]


def iter_protected_blobs(root: Path | None = None) -> Iterator[StoredBlob]:
    """Every encrypted blob under `root` (default PROTECTED_FILES_ROOT), with its associated data.

    The associated data is `storage_ad(<file name>)`: the convention is that a blob is written
    to a file named by its storage name and encrypted with `storage_ad(storage_name)`; the
    directories above it (`meetings/files.py` shards by the first two characters) are layout
    only. Symbolic links, temporary files and files that are not Kokous blobs (no MAGIC) are
    skipped; nothing here reads models.
    """
    root = Path(root or protected_root())
    if not root.exists():
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(TEMP_PREFIX) or path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                if handle.read(len(MAGIC)) != MAGIC:
                    continue
            yield StoredBlob(path, storage_ad(name))


@dataclass
class RotationReport:
    scanned: int = 0
    reencrypted: int = 0
    current: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)


def reencrypt_blob(item: StoredBlob, keyring: KeyRing) -> bool:
    """Re-encrypt one blob with the newest key if it uses an older one; True if rewritten."""
    blob = item.path.read_bytes()
    head = parse_header(blob)
    if head.key_id == keyring.newest.id:
        return False
    plaintext = decrypt(blob, associated_data=item.associated_data, keyring=keyring)
    fresh = encrypt(plaintext, associated_data=item.associated_data, keyring=keyring)
    # Verify before replacing: a file is never swapped for something we cannot read back.
    if decrypt(fresh, associated_data=item.associated_data, keyring=keyring) != plaintext:
        raise EncryptionError("re-encrypted blob does not round-trip")  # pragma: no cover
    write_blob(item.path, fresh)
    return True


def reencrypt_all(
    blobs: Iterable[StoredBlob] | None = None,
    *,
    keyring: KeyRing | None = None,
    dry_run: bool = False,
) -> RotationReport:
    """Re-encrypt every blob of `blobs` (default `iter_protected_blobs()`) with the newest key.

    Each file is replaced atomically, so a crash leaves every file readable (old or new key) and a
    re-run finishes the job. One unreadable file is reported and does not stop the others.
    """
    keyring = keyring or load_keyring()
    report = RotationReport()
    for item in iter_protected_blobs() if blobs is None else blobs:
        report.scanned += 1
        try:
            if dry_run:
                head = parse_header(item.path.read_bytes()[:128])
                if head.key_id == keyring.newest.id:
                    report.current += 1
                else:
                    report.reencrypted += 1
                continue
            if reencrypt_blob(item, keyring):
                report.reencrypted += 1
            else:
                report.current += 1
        except (OSError, EncryptionError) as exc:
            report.failed.append((item.path, str(exc)))
    return report
