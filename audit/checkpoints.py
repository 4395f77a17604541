"""Signed checkpoints (*allekirjoitetut tarkistuspisteet*; spec section 3; R62, R78).

A checkpoint commits to the whole log at one size. One is signed at least when a meeting opens or
closes, a vote or an e-procedure matter closes and minutes are signed: the services that do those
call `checkpoint_on_commit()` inside their transaction, and the signature is made after commit,
over what is then committed. Checkpoints are kept forever.

Why a stored checkpoint always matches its size: the head row and the subtrees of an append
commit together, and a subtree never changes once stored, so any committed head size `N` comes
with every subtree of the tree of size `N`. Signing first numbers queued entries holding the head
lock (PostgreSQL; on SQLite the writer lock), reads `N`, then computes the root from those
subtrees, which nobody can change.

Before signing, the new tree is checked to extend the newest earlier checkpoint (a consistency
proof from the stored subtrees): if someone rewrote history behind the triggers, the service
refuses to sign it (`LogInconsistent`) instead of blessing it.
"""

from __future__ import annotations

from django.db import transaction

from audit import keys, merkle, store
from audit.log import number_queued
from audit.models import AuditCheckpoint


class LogInconsistent(RuntimeError):
    """The stored tree does not extend an earlier signed checkpoint: history was rewritten."""


def _check_extends(size: int, root: bytes) -> None:
    # Any key: the tree is the same whichever key signed it, so a key rotation is covered too.
    previous = AuditCheckpoint.objects.order_by("-size").first()
    if previous is None:
        return
    if previous.size > size:
        raise LogInconsistent(
            f"the audit log has {size} entries but checkpoint {previous.size} was signed"
        )
    proof = store.consistency_proof(previous.size, size)
    if not merkle.verify_consistency(previous.size, size, bytes(previous.root), root, proof):
        raise LogInconsistent(
            f"the audit log of size {size} does not extend the checkpoint of size "
            f"{previous.size}: stored history was changed"
        )


def sign_checkpoint() -> AuditCheckpoint:
    """Sign and store a checkpoint of the log as this transaction sees it; returns it.

    Signing the same size twice with the same key returns the stored one (Ed25519 is
    deterministic, so it would be the identical note anyway).
    """
    private_key = keys.signing_key()
    vkey = keys.verifier_key()
    origin = keys.origin()
    with transaction.atomic():
        # Number queued entries first; on PostgreSQL this also holds the head lock until the
        # checkpoint is stored, so the size read next is the log's current size.
        number_queued()
        size = store.current_size()
        existing = AuditCheckpoint.objects.filter(key=vkey, size=size).first()
        if existing is not None:
            return existing
        root = store.root(size)
        _check_extends(size, root)
        note = merkle.sign_checkpoint(origin, size, root, origin, private_key)
        AuditCheckpoint.objects.bulk_create(
            [AuditCheckpoint(size=size, root=root, note=note, key=vkey)], ignore_conflicts=True
        )
        return AuditCheckpoint.objects.get(key=vkey, size=size)


def latest_checkpoint() -> AuditCheckpoint:
    """The newest checkpoint signed with the current key; signs the first one if none exists."""
    newest = AuditCheckpoint.objects.filter(key=keys.verifier_key()).order_by("-size").first()
    return newest if newest is not None else sign_checkpoint()


def _sign_after_commit() -> None:
    # Registered with robust=True: Django logs a failure (an error with traceback) and the
    # committed change stands; the next checkpoint covers it.
    sign_checkpoint()


def checkpoint_on_commit() -> None:
    """Sign a checkpoint once the current transaction commits (at once in autocommit).

    Called by services at the moments the spec lists. Several calls in one transaction sign
    once. A failure to sign is logged and never undoes the committed change.
    """
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", [])
    if any(entry[1] is _sign_after_commit for entry in pending):
        return
    transaction.on_commit(_sign_after_commit, robust=True)
