"""Pure audit-log mathematics: RFC 9162 Merkle trees and C2SP signed-note checkpoints.

The audit log (*tarkastusloki*; the *lokitiedot* of TiHL 17 §, R64; evidence for appeals, R78;
integrity, R62) must be checkable offline by tools we did not write, so this module implements
published formats byte for byte (../shared/spec/audit-log.md) and nothing of our own:

* entries are canonical JSON (`canonical_json`), hashed as RFC 9162 leaves;
* the tree head is the RFC 9162 Merkle Tree Hash (MTH); proofs are RFC 9162 2.1.3 / 2.1.4;
* a checkpoint is the C2SP tlog-checkpoint body in a C2SP signed note, signed with Ed25519.

No Django import: the offline verifier (`python -m audit.verify`) and the database layer share it.
Only `hashlib` and `cryptography` do cryptography; nothing here is hand-written crypto.

Storage model for O(log n) appends and proofs
---------------------------------------------
A *complete subtree* `(level, index)` is the perfect tree over leaves
`[index * 2**level, (index + 1) * 2**level)`. Such a hash never changes once its last leaf
exists, so the database may store it forever. Every node of the RFC 9162 tree of size `n` covers
a range `[a, b)` that is either a complete subtree or lies on the right edge (`b == n`) with `a`
a multiple of the largest power of two `<= b - a`; its MTH is then the right fold of
`node_hash` over the complete subtrees of the binary decomposition of `b - a` (largest first), as
the MTH recursion unrolls exactly so. An inclusion or consistency proof contains at most one
right-edge node (once the path turns into a left child it stays inside a complete subtree), so a
root costs at most `log2(n) + 1` subtree reads and a proof at most about `2 * log2(n)`.
The `*_plan` functions list those `(level, index)` keys so a caller can fetch them in one query;
the `*_from_source` functions take any `(level, index) -> hash` lookup (callable or mapping).
The list-based `inclusion_proof` / `consistency_proof` transcribe the RFC recursion literally and
serve as the reference the tests compare the lookup-based versions with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "CheckpointError",
    "ConsistencyProof",
    "InclusionProof",
    "Subtree",
    "SubtreeSource",
    "TreeBuilder",
    "VerifierKey",
    "b64decode",
    "b64encode",
    "canonical_json",
    "checkpoint_body",
    "consistency_plan",
    "consistency_proof",
    "consistency_proof_from_source",
    "consistency_proof_json",
    "fold_subtree_hashes",
    "inclusion_plan",
    "inclusion_proof",
    "inclusion_proof_from_source",
    "inclusion_proof_json",
    "key_hash",
    "leaf_hash",
    "new_subtrees",
    "node_hash",
    "open_note",
    "parse_checkpoint_body",
    "parse_consistency_proof_json",
    "parse_inclusion_proof_json",
    "parse_signer_key",
    "parse_verifier_key",
    "plan_keys",
    "prefix_roots",
    "private_key_from_seed",
    "public_key_bytes",
    "range_subtrees",
    "resolve_plan",
    "root_from_entries",
    "root_from_leaf_hashes",
    "root_from_source",
    "root_plan",
    "sign_checkpoint",
    "sign_note",
    "signer_key_line",
    "subtree_hashes",
    "subtree_range",
    "verifier_key_line",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
]

HASH_SIZE = 32
#: RFC 9162 2.1.1: the hash of an empty list is the hash of the empty string.
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256

#: `(level, index)`: the complete subtree over leaves `[index << level, (index + 1) << level)`.
Subtree = tuple[int, int]
#: Where stored complete-subtree hashes come from: `fetch(level, index)` or `{(level, index): h}`.
SubtreeSource = Callable[[int, int], bytes] | Mapping[tuple[int, int], bytes]


# --------------------------------------------------------------------------------------------
# Entries and hashing
# --------------------------------------------------------------------------------------------


def _reject_floats(obj: object) -> None:
    if isinstance(obj, float):
        raise ValueError("audit entries allow integers only, not floats (put fractions in strings)")
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise ValueError(f"audit entry keys must be strings, not {type(key).__name__}")
            _reject_floats(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _reject_floats(value)


def canonical_json(obj: object) -> bytes:
    """The entry bytes (spec section 1): sorted keys, no whitespace, raw UTF-8, integers only.

    Floats are refused because their text form is not stable across implementations; a
    verifier re-serialising an entry must get the identical bytes.
    """
    _reject_floats(obj)
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def leaf_hash(entry_bytes: bytes) -> bytes:
    """RFC 9162 leaf hash, `SHA-256(0x00 || entry)`; the prefix keeps leaves and nodes apart."""
    return _sha256(b"\x00" + entry_bytes).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash, `SHA-256(0x01 || left || right)`."""
    return _sha256(b"\x01" + left + right).digest()


def _check_hash(value: object, what: str = "hash") -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes")
    return value


# --------------------------------------------------------------------------------------------
# Streaming tree head (compact range / right-edge frontier)
# --------------------------------------------------------------------------------------------


class TreeBuilder:
    """Streaming RFC 9162 tree head: the frontier of complete subtrees plus a size.

    The frontier is the list of complete-subtree hashes of the binary decomposition of `size`,
    largest (leftmost) first, i.e. the hashes of `root_plan(size)`. Appending folds equal-sized
    neighbours together like a binary counter, so the work per leaf is amortised one
    `node_hash`, and the root is the right fold of the frontier. A database layer can persist
    what `append` returns and rebuild a builder with `from_source`.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self, size: int = 0, frontier: Iterable[bytes] = ()) -> None:
        stack = [_check_hash(h, "frontier hash") for h in frontier]
        if size < 0 or len(stack) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} frontier hashes")
        self._size = size
        self._stack = stack

    @classmethod
    def from_source(cls, size: int, source: SubtreeSource) -> TreeBuilder:
        """Resume from stored complete subtrees with `size.bit_count()` lookups."""
        get = _getter(source)
        return cls(size, [get(level, index) for level, index in root_plan(size)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def frontier(self) -> tuple[bytes, ...]:
        return tuple(self._stack)

    def frontier_subtrees(self) -> list[tuple[Subtree, bytes]]:
        """The frontier with each hash's `(level, index)` key."""
        return list(zip(root_plan(self._size), self._stack, strict=True))

    def copy(self) -> TreeBuilder:
        return TreeBuilder(self._size, self._stack)

    def append(self, leaf: bytes) -> list[tuple[Subtree, bytes]]:
        """Add one leaf hash; return every complete subtree it completes, leaf first."""
        h = _check_hash(leaf, "leaf hash")
        n = self._size
        created: list[tuple[Subtree, bytes]] = [((0, n), h)]
        level, j = 0, n
        while j & 1:
            h = node_hash(self._stack.pop(), h)
            level += 1
            j >>= 1
            created.append(((level, n >> level), h))
        self._stack.append(h)
        self._size = n + 1
        return created

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add many leaf hashes; the hot loop, so lengths are not checked (`append` checks)."""
        stack = self._stack
        pop, push, sha = stack.pop, stack.append, _sha256
        n = self._size
        try:
            for h in leaf_hashes:
                j = n
                while j & 1:
                    h = sha(b"\x01" + pop() + h).digest()
                    j >>= 1
                push(h)
                n += 1
        finally:
            self._size = n

    def extend_entries(self, entries: Iterable[bytes]) -> None:
        """Hash and add many entries; same loop as `extend` with the leaf hash inlined."""
        stack = self._stack
        pop, push, sha = stack.pop, stack.append, _sha256
        n = self._size
        try:
            for entry in entries:
                h = sha(b"\x00" + entry).digest()
                j = n
                while j & 1:
                    h = sha(b"\x01" + pop() + h).digest()
                    j >>= 1
                push(h)
                n += 1
        finally:
            self._size = n

    def root(self) -> bytes:
        """MTH of everything appended so far (`EMPTY_ROOT` for none)."""
        return fold_subtree_hashes(self._stack)


def fold_subtree_hashes(hashes: Sequence[bytes]) -> bytes:
    """Right fold `node_hash(h0, node_hash(h1, ...))`: the MTH of a binary decomposition."""
    if not hashes:
        return EMPTY_ROOT
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = _sha256(b"\x01" + h + r).digest()
    return r


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """RFC 9162 MTH of a list of leaf hashes, in one streaming pass and O(log n) memory."""
    builder = TreeBuilder()
    builder.extend(hashes)
    return builder.root()


def root_from_entries(entries: Iterable[bytes]) -> bytes:
    """RFC 9162 MTH of entry byte strings."""
    builder = TreeBuilder()
    builder.extend_entries(entries)
    return builder.root()


# --------------------------------------------------------------------------------------------
# Complete aligned subtrees: plans and lookups
# --------------------------------------------------------------------------------------------


def _getter(source: SubtreeSource) -> Callable[[int, int], bytes]:
    if isinstance(source, Mapping):
        mapping = source
        return lambda level, index: mapping[(level, index)]
    return source


def _split(size: int) -> int:
    """RFC 9162 `k`: the largest power of two smaller than `size` (`size >= 2`)."""
    return 1 << ((size - 1).bit_length() - 1)


def subtree_range(level: int, index: int) -> tuple[int, int]:
    """Leaf range `[start, end)` covered by complete subtree `(level, index)`."""
    return index << level, (index + 1) << level


def range_subtrees(start: int, end: int) -> list[Subtree]:
    """Complete subtrees, largest first, whose right fold is the MTH of leaves `[start, end)`.

    Requires `start` to be a multiple of the largest power of two `<= end - start`, which holds
    for every node of an RFC 9162 tree (see the module docstring).
    """
    length = end - start
    if start < 0 or length <= 0:
        raise ValueError(f"empty or negative range [{start}, {end})")
    if start % (1 << (length.bit_length() - 1)):
        raise ValueError(f"[{start}, {end}) is not a node of any RFC 9162 tree")
    out: list[Subtree] = []
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def root_plan(size: int) -> list[Subtree]:
    """Subtrees whose right fold is the root of the tree of `size` (empty for size 0)."""
    if size < 0:
        raise ValueError("negative tree size")
    return range_subtrees(0, size) if size else []


def new_subtrees(index: int, leaf: bytes, source: SubtreeSource) -> list[tuple[Subtree, bytes]]:
    """The complete subtrees created by appending leaf `index`, for the database to store.

    Reads only the left siblings `(level, i)` on the way up (at most log2(index + 1) lookups)
    from already stored subtrees. Returns `[((0, index), leaf), ((1, index >> 1), ...), ...]`.
    """
    if index < 0:
        raise ValueError("negative leaf index")
    get = _getter(source)
    h = _check_hash(leaf, "leaf hash")
    created: list[tuple[Subtree, bytes]] = [((0, index), h)]
    level, j = 0, index
    while j & 1:
        h = node_hash(get(level, j - 1), h)
        level += 1
        j >>= 1
        created.append(((level, j), h))
    return created


def inclusion_plan(index: int, size: int) -> list[list[Subtree]]:
    """For each hash of the inclusion proof (bottom-up), the subtrees to fold into it."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    siblings: list[list[Subtree]] = []  # collected top-down, the RFC lists them bottom-up
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            siblings.append(range_subtrees(mid, end))
            end = mid
        else:
            siblings.append(range_subtrees(start, mid))
            start = mid
    siblings.reverse()
    return siblings


def consistency_plan(old_size: int, new_size: int) -> list[list[Subtree]]:
    """For each hash of the consistency proof `old_size -> new_size`, the subtrees to fold.

    Follows RFC 9162 2.1.4.1 SUBPROOF iteratively; empty when `old_size` is 0 or `new_size`.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    items: list[list[Subtree]] = []  # top-down
    start, end, whole = 0, new_size, True
    while True:
        if old_size == end:
            if not whole:
                items.append(range_subtrees(start, end))
            break
        mid = start + _split(end - start)
        if old_size <= mid:
            items.append(range_subtrees(mid, end))
            end = mid
        else:
            items.append(range_subtrees(start, mid))
            start, whole = mid, False
    items.reverse()
    return items


def plan_keys(plan: Iterable[Iterable[Subtree]]) -> set[Subtree]:
    """Every `(level, index)` a plan needs, for one bulk query."""
    return {key for group in plan for key in group}


def resolve_plan(plan: Iterable[Sequence[Subtree]], source: SubtreeSource) -> list[bytes]:
    """Turn a plan into hashes by folding the looked-up subtrees of each group."""
    get = _getter(source)
    return [fold_subtree_hashes([get(level, index) for level, index in group]) for group in plan]


def root_from_source(size: int, source: SubtreeSource) -> bytes:
    """Root of the tree of `size` from stored subtrees (`size.bit_count()` lookups)."""
    get = _getter(source)
    return fold_subtree_hashes([get(level, index) for level, index in root_plan(size)])


def inclusion_proof_from_source(index: int, size: int, source: SubtreeSource) -> list[bytes]:
    """RFC 9162 inclusion proof from stored subtrees, O(log n) lookups."""
    return resolve_plan(inclusion_plan(index, size), source)


def consistency_proof_from_source(
    old_size: int, new_size: int, source: SubtreeSource
) -> list[bytes]:
    """RFC 9162 consistency proof from stored subtrees, O(log n) lookups."""
    return resolve_plan(consistency_plan(old_size, new_size), source)


def subtree_hashes(leaf_hashes: Iterable[bytes]) -> dict[Subtree, bytes]:
    """Every complete subtree of a list of leaves: what the database layer would have stored."""
    out: dict[Subtree, bytes] = {}
    builder = TreeBuilder()
    for h in leaf_hashes:
        out.update(builder.append(h))
    return out


# --------------------------------------------------------------------------------------------
# Proofs from a list of leaf hashes (reference: the RFC recursion, transcribed)
# --------------------------------------------------------------------------------------------


def _leaves(leaf_hashes: Sequence[bytes], size: int) -> Sequence[bytes]:
    if size < 0 or size > len(leaf_hashes):
        raise ValueError(f"tree size {size} but only {len(leaf_hashes)} leaves given")
    return leaf_hashes if size == len(leaf_hashes) else leaf_hashes[:size]


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(index, D[size]) over the first `size` of `leaf_hashes`."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")

    def path(m: int, d: Sequence[bytes]) -> list[bytes]:
        if len(d) == 1:
            return []
        k = _split(len(d))
        if m < k:
            return path(m, d[:k]) + [root_from_leaf_hashes(d[k:])]
        return path(m - k, d[k:]) + [root_from_leaf_hashes(d[:k])]

    return path(index, _leaves(leaf_hashes, size))


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(old_size, D[new_size]); empty for old size 0 or equal sizes."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")

    def subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
        if m == len(d):
            return [] if whole else [root_from_leaf_hashes(d)]
        k = _split(len(d))
        if m <= k:
            return subproof(m, d[:k], whole) + [root_from_leaf_hashes(d[k:])]
        return subproof(m - k, d[k:], False) + [root_from_leaf_hashes(d[:k])]

    leaves = _leaves(leaf_hashes, new_size)
    return [] if old_size == 0 else subproof(old_size, leaves, True)


# --------------------------------------------------------------------------------------------
# Proof verification (RFC 9162 2.1.3.2 and 2.1.4.2)
# --------------------------------------------------------------------------------------------


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does `proof` show leaf hash `leaf` at `index` in the tree `root`?"""
    if not (_is_count(index) and _is_count(size) and index < size):
        return False
    if not (_is_hash(leaf) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree `old_root` of `old_size` a prefix of `new_root`?

    Size 0 is a prefix of everything (empty proof, `old_root == EMPTY_ROOT`); equal sizes need
    an empty proof and equal roots.
    """
    if not (_is_count(old_size) and _is_count(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a proof node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


# --------------------------------------------------------------------------------------------
# Proof JSON (spec section 4)
# --------------------------------------------------------------------------------------------


def b64encode(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str | bytes) -> bytes:
    """Strict standard base64: no whitespace, padding required, canonical trailing bits."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64: {exc}") from None
    if base64.b64encode(data) != raw:
        raise ValueError("non-canonical base64")
    return data


class InclusionProof(NamedTuple):
    index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]


class ConsistencyProof(NamedTuple):
    old_size: int
    new_size: int
    hashes: list[bytes]


def inclusion_proof_json(
    index: int, tree_size: int, leaf: bytes, hashes: Sequence[bytes]
) -> dict[str, Any]:
    """`{"index", "tree_size", "leaf_hash", "hashes"}` with base64 hashes."""
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": b64encode(leaf),
        "hashes": [b64encode(h) for h in hashes],
    }


def consistency_proof_json(old_size: int, new_size: int, hashes: Sequence[bytes]) -> dict[str, Any]:
    """`{"from", "to", "hashes"}` with base64 hashes."""
    return {"from": old_size, "to": new_size, "hashes": [b64encode(h) for h in hashes]}


def _json_count(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if not _is_count(value):
        raise ValueError(f"proof field {key!r} must be a non-negative integer")
    return value


def _json_hashes(obj: Mapping[str, Any]) -> list[bytes]:
    values = obj.get("hashes")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("proof field 'hashes' must be a list of base64 strings")
    return [_check_hash(b64decode(v), "proof hash") for v in values]


def parse_inclusion_proof_json(obj: Mapping[str, Any]) -> InclusionProof:
    """Validate and decode an inclusion proof object; raises `ValueError`."""
    leaf = obj.get("leaf_hash")
    if not isinstance(leaf, str):
        raise ValueError("proof field 'leaf_hash' must be a base64 string")
    return InclusionProof(
        _json_count(obj, "index"),
        _json_count(obj, "tree_size"),
        _check_hash(b64decode(leaf), "leaf hash"),
        _json_hashes(obj),
    )


def parse_consistency_proof_json(obj: Mapping[str, Any]) -> ConsistencyProof:
    """Validate and decode a consistency proof object; raises `ValueError`."""
    return ConsistencyProof(_json_count(obj, "from"), _json_count(obj, "to"), _json_hashes(obj))


# --------------------------------------------------------------------------------------------
# Keys, signed notes and checkpoints (C2SP signed-note, tlog-checkpoint)
# --------------------------------------------------------------------------------------------


class CheckpointError(ValueError):
    """A checkpoint, signed note or key is malformed, or its signature does not verify."""


class Checkpoint(NamedTuple):
    origin: str
    size: int
    root: bytes


class VerifierKey(NamedTuple):
    name: str
    key_hash: bytes
    public_key: Ed25519PublicKey


_ALG_ED25519 = b"\x01"
_SIG_PREFIX = "\u2014 "  # EM DASH, space
_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _check_name(name: str, what: str = "key name") -> str:
    """C2SP names: non-empty, no whitespace, no '+', no control characters."""
    if (
        not isinstance(name, str)
        or not name
        or "+" in name
        or any(c.isspace() for c in name)
        or _CONTROL_RE.search(name)
    ):
        raise CheckpointError(f"invalid {what} {name!r}: must be non-empty, no spaces, no '+'")
    return name


def public_key_bytes(public_key: Ed25519PublicKey | bytes) -> bytes:
    """Raw 32-byte Ed25519 public key."""
    if isinstance(public_key, bytes):
        if len(public_key) != 32:
            raise CheckpointError("an Ed25519 public key is 32 bytes")
        return public_key
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """Ed25519 private key from its 32-byte seed (RFC 8032)."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def key_hash(name: str, public_key: Ed25519PublicKey | bytes) -> bytes:
    """First 4 bytes of `SHA-256(name || "\\n" || 0x01 || public key)`: tells signers apart."""
    raw = public_key_bytes(public_key)
    return _sha256(name.encode("utf-8") + b"\n" + _ALG_ED25519 + raw).digest()[:4]


def verifier_key_line(name: str, public_key: Ed25519PublicKey | bytes) -> str:
    """The published key, `<name>+<hash hex>+<base64(0x01 || key)>` (no newline)."""
    _check_name(name)
    raw = public_key_bytes(public_key)
    return f"{name}+{key_hash(name, raw).hex()}+{b64encode(_ALG_ED25519 + raw)}"


def parse_verifier_key(line: str | bytes) -> VerifierKey:
    """Parse a verifier key line; its key hash must match its name and public key."""
    text = line.decode("utf-8") if isinstance(line, bytes) else line
    parts = text.strip().split("+", 2)  # the base64 key may itself contain '+'
    if len(parts) != 3:
        raise CheckpointError("verifier key must be <name>+<8 hex digits>+<base64 key>")
    name, hash_hex, key_b64 = parts
    _check_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hash_hex):
        raise CheckpointError("verifier key hash must be 8 lower-case hex digits")
    try:
        blob = b64decode(key_b64)
    except ValueError as exc:
        raise CheckpointError(f"verifier key: {exc}") from None
    if len(blob) != 33 or blob[:1] != _ALG_ED25519:
        raise CheckpointError("verifier key is not an Ed25519 key (0x01 || 32 bytes)")
    if key_hash(name, blob[1:]) != bytes.fromhex(hash_hex):
        raise CheckpointError("verifier key hash does not match its name and public key")
    return VerifierKey(name, bytes.fromhex(hash_hex), Ed25519PublicKey.from_public_bytes(blob[1:]))


def signer_key_line(name: str, private_key: Ed25519PrivateKey) -> str:
    """Private key in the `golang.org/x/mod/sumdb/note` format: `PRIVATE+KEY+name+hash+b64`."""
    _check_name(name)
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    kh = key_hash(name, private_key.public_key()).hex()
    return f"PRIVATE+KEY+{name}+{kh}+{b64encode(_ALG_ED25519 + seed)}"


def parse_signer_key(line: str | bytes) -> tuple[str, Ed25519PrivateKey]:
    """Parse a `signer_key_line`; the key hash must match."""
    text = (line.decode("utf-8") if isinstance(line, bytes) else line).strip()
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise CheckpointError("signer key must be PRIVATE+KEY+<name>+<hash>+<base64 seed>")
    name, hash_hex, seed_b64 = parts[2:]
    _check_name(name)
    try:
        blob = b64decode(seed_b64)
    except ValueError as exc:
        raise CheckpointError(f"signer key: {exc}") from None
    if len(blob) != 33 or blob[:1] != _ALG_ED25519:
        raise CheckpointError("signer key is not an Ed25519 seed (0x01 || 32 bytes)")
    private_key = private_key_from_seed(blob[1:])
    if key_hash(name, private_key.public_key()).hex() != hash_hex:
        raise CheckpointError("signer key hash does not match its name and key")
    return name, private_key


def checkpoint_body(origin: str, size: int, root: bytes) -> bytes:
    """The three-line tlog-checkpoint body: origin, decimal size, base64 root."""
    _check_name(origin, "origin")
    if not _is_count(size):
        raise CheckpointError("checkpoint size must be a non-negative integer")
    _check_hash(root, "root hash")
    return f"{origin}\n{size}\n{b64encode(root)}\n".encode()


def parse_checkpoint_body(body: str | bytes) -> Checkpoint:
    """Parse exactly three lines (origin, size, root); anything else is refused."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise CheckpointError("checkpoint is not UTF-8") from None
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint body must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) != 3:
        raise CheckpointError(f"checkpoint body must have 3 lines, not {len(lines)}")
    origin, size_text, root_text = lines
    _check_name(origin, "origin")
    if not _SIZE_RE.fullmatch(size_text):
        raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number")
    try:
        root = b64decode(root_text)
    except ValueError as exc:
        raise CheckpointError(f"checkpoint root: {exc}") from None
    if len(root) != HASH_SIZE:
        raise CheckpointError("checkpoint root is not a 32-byte hash")
    return Checkpoint(origin, int(size_text), root)


def sign_note(body: str | bytes, name: str, private_key: Ed25519PrivateKey) -> str:
    """A signed note: body, blank line, `— <name> base64(key hash || Ed25519 signature)`."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if not text.endswith("\n") or _CONTROL_RE.search(text.replace("\n", "")):
        raise CheckpointError("note body must be non-empty text ending in a newline")
    _check_name(name)
    data = text.encode("utf-8")
    blob = key_hash(name, private_key.public_key()) + private_key.sign(data)
    return f"{text}\n{_SIG_PREFIX}{name} {b64encode(blob)}\n"


def sign_checkpoint(
    origin: str, size: int, root: bytes, name: str, private_key: Ed25519PrivateKey
) -> str:
    """`sign_note(checkpoint_body(...))`."""
    return sign_note(checkpoint_body(origin, size, root), name, private_key)


def open_note(note_text: str | bytes, vkey: str | bytes | VerifierKey) -> str:
    """Return the body of a signed note after checking the signature of `vkey`.

    Signatures by other keys are ignored (a note may be cosigned); a signature line with our
    name and key hash that does not verify is an error, as in Go's `note.Open`.
    """
    key = vkey if isinstance(vkey, VerifierKey) else parse_verifier_key(vkey)
    try:
        text = note_text.decode("utf-8") if isinstance(note_text, bytes) else note_text
    except UnicodeDecodeError:
        raise CheckpointError("signed note is not UTF-8") from None
    split = text.rfind("\n\n")
    if split < 0:
        raise CheckpointError("signed note has no blank line before its signatures")
    body, sig_text = text[: split + 1], text[split + 2 :]
    if not sig_text.endswith("\n"):
        raise CheckpointError("signed note must end with a newline")
    other_hashes: list[str] = []
    verified = False
    for line in sig_text[:-1].split("\n"):
        if not line.startswith(_SIG_PREFIX) or line.count(" ") != 2:
            raise CheckpointError(f"malformed signature line {line!r}")
        name, sig_b64 = line[len(_SIG_PREFIX) :].split(" ")
        try:
            blob = b64decode(sig_b64)
        except ValueError:
            raise CheckpointError(f"signature by {name!r} is not valid base64") from None
        if len(blob) < 5:
            raise CheckpointError(f"signature by {name!r} is too short")
        if name != key.name:
            continue
        if blob[:4] != key.key_hash:
            other_hashes.append(blob[:4].hex())
            continue
        if len(blob) != 68:
            raise CheckpointError(f"signature by {name!r} is not an Ed25519 signature")
        try:
            key.public_key.verify(blob[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise CheckpointError(
                f"signature by {name!r} (key {key.key_hash.hex()}) does not verify: "
                "the note was altered or signed by another key"
            ) from None
        verified = True
    if not verified:
        if other_hashes:
            raise CheckpointError(
                f"note is signed by {key.name!r} with key hash {', '.join(other_hashes)}, "
                f"not {key.key_hash.hex()}: a different key of the same name"
            )
        raise CheckpointError(f"note has no signature by {key.name!r}")
    return body


def verify_note(
    note_text: str | bytes, vkey_line: str | bytes | VerifierKey, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and return `(origin, size, root)`; `CheckpointError` if not.

    With `origin`, the checkpoint must also be for that log.
    """
    checkpoint = parse_checkpoint_body(open_note(note_text, vkey_line))
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


def prefix_roots(entries: Sequence[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """Roots of the prefixes of `entries` of the given sizes, in one hashing pass.

    Sizes larger than `len(entries)` are left out of the result; size 0 is always in it.
    """
    builder = TreeBuilder()
    roots: dict[int, bytes] = {0: EMPTY_ROOT}
    for size in sorted(set(sizes)):
        if size > len(entries):
            break
        if size > builder.size:
            builder.extend_entries(entries[builder.size : size])
        roots[size] = builder.root()
    return roots
