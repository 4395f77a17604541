"""Export bundles for auditors (spec section 5): `entries.jsonl`, `checkpoint`, `key.vkey`.

An export is itself a disclosure of log data (TiHL 17 §, R64), so it is recorded as
`audit.exported`. Order matters: the checkpoint is signed first, so the bundle covers every
entry committed before the export; the `audit.exported` entry follows it and is covered by the
next checkpoint. Entries are read in chunks by `seq`, exactly as stored.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from audit.checkpoints import sign_checkpoint
from audit.log import record
from audit.models import AuditCheckpoint, AuditEntry

ENTRIES, CHECKPOINT, KEY = "entries.jsonl", "checkpoint", "key.vkey"
CHUNK = 10_000


def entry_chunks(start: int, end: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """Lines of entries `start..end-1` (each the stored bytes + newline), `chunk` rows a time.

    Keyset pagination by `seq`, so memory stays bounded and a missing row simply yields fewer
    lines (the verifier then names it).
    """
    position = start
    while position < end:
        rows = list(
            AuditEntry.objects.filter(seq__gte=position, seq__lt=end)
            .order_by("seq")
            .values_list("seq", "entry")[:chunk]
        )
        if not rows:
            return
        yield b"".join(bytes(entry) + b"\n" for _, entry in rows)
        position = rows[-1][0] + 1


def checkpoint_for_export(actor: Any, via: str) -> AuditCheckpoint:
    """Sign a checkpoint of everything committed, then record the export; returns the checkpoint."""
    checkpoint = sign_checkpoint()
    with transaction.atomic():
        record(
            actor,
            "audit.exported",
            f"checkpoint:{checkpoint.size}",
            {"size": checkpoint.size, "via": via},
        )
    return checkpoint


def write_directory(directory: Path, checkpoint: AuditCheckpoint) -> int:
    """Write the bundle into `directory`; each file appears whole (written, then renamed)."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = 0

    def write(name: str, chunks: Iterator[bytes]) -> None:
        tmp = directory / f".{name}.partial"
        with open(tmp, "wb") as handle:
            for part in chunks:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / name)

    def counted() -> Iterator[bytes]:
        nonlocal lines
        for part in entry_chunks(0, checkpoint.size):
            lines += part.count(b"\n")
            yield part

    write(ENTRIES, counted())
    write(CHECKPOINT, iter([checkpoint.note.encode("utf-8")]))
    write(KEY, iter([checkpoint.key.encode("utf-8") + b"\n"]))
    return lines


def write_zip(target: IO[bytes], checkpoint: AuditCheckpoint, folder: str) -> None:
    """The same bundle as a deflated zip with the three files under `folder/`."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(f"{folder}/{ENTRIES}", "w", force_zip64=True) as handle:
            for part in entry_chunks(0, checkpoint.size):
                handle.write(part)
        archive.writestr(f"{folder}/{CHECKPOINT}", checkpoint.note.encode("utf-8"))
        archive.writestr(f"{folder}/{KEY}", checkpoint.key.encode("utf-8") + b"\n")
