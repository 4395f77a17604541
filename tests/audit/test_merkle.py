"""The pure audit-log mathematics (`audit.merkle`): RFC 9162 trees and proofs, signed checkpoints.

R62 (integrity and authenticity of records, TiHL 15 §), R64 (the *lokitiedot* of TiHL 17 §) and
R78 (the event log as evidence) rest on this module matching the published formats byte for
byte, so every test vector of ../shared/spec/audit-vectors is reproduced here, and the proof
algorithms are checked by property tests. No Django, no database.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "audit-vectors"
#: The spec's test-vector key (spec section 7): public, for tests only.
TEST_SEED = hashlib.sha256(b"kokous audit test vector key").digest()
ORIGIN = "kokous.example/audit"


def vector_text(name: str) -> str:
    return (VECTORS / name).read_text(encoding="utf-8")


def vector_entries() -> list[bytes]:
    data = (VECTORS / "entries.jsonl").read_bytes()
    assert data.endswith(b"\n")
    return data.split(b"\n")[:-1]


@pytest.fixture(scope="module")
def proofs() -> dict:
    return json.loads(vector_text("proofs.json"))


@pytest.fixture(scope="module")
def leaves() -> list[bytes]:
    return [merkle.leaf_hash(e) for e in vector_entries()]


def test_vectors_are_present() -> None:
    """The vectors are part of the shared spec; a missing directory must fail, not skip."""
    for name in ("entries.jsonl", "checkpoint", "checkpoint.old", "key.vkey", "proofs.json"):
        assert (VECTORS / name).is_file(), name


# --- test vectors, byte for byte --------------------------------------------------------------


def test_r62_every_vector_root(proofs: dict, leaves: list[bytes]) -> None:
    """R62: the root at every size 1..13 equals the vector, by every way we compute roots."""
    assert len(proofs["roots"]) == 13
    store = merkle.subtree_hashes(leaves)
    builder = merkle.TreeBuilder()
    for size in range(1, 14):
        expected = merkle.b64decode(proofs["roots"][str(size)])
        builder.append(leaves[size - 1])
        assert merkle.root_from_leaf_hashes(leaves[:size]) == expected
        assert merkle.root_from_entries(vector_entries()[:size]) == expected
        assert builder.root() == expected
        assert merkle.root_from_source(size, store) == expected
        assert merkle.root_from_source(size, lambda level, index: store[(level, index)]) == expected


def test_r62_inclusion_vectors(proofs: dict, leaves: list[bytes]) -> None:
    """R62: the inclusion proofs for leaves 0, 5 and 12 at size 13, exactly, in JSON too."""
    root = merkle.b64decode(proofs["roots"]["13"])
    store = merkle.subtree_hashes(leaves)
    assert [p["index"] for p in proofs["inclusion"]] == [0, 5, 12]
    for vector in proofs["inclusion"]:
        index, size = vector["index"], vector["tree_size"]
        in_memory = merkle.inclusion_proof(index, size, leaves)
        from_store = merkle.inclusion_proof_from_source(index, size, store)
        assert in_memory == from_store
        assert merkle.inclusion_proof_json(index, size, leaves[index], in_memory) == vector
        assert merkle.verify_inclusion(index, size, leaves[index], in_memory, root)
        parsed = merkle.parse_inclusion_proof_json(vector)
        assert parsed == (index, size, leaves[index], in_memory)


def test_r62_consistency_vector(proofs: dict, leaves: list[bytes]) -> None:
    """R62: the consistency proof 7 -> 13, exactly, and it verifies."""
    (vector,) = proofs["consistency"]
    proof = merkle.consistency_proof(7, 13, leaves)
    assert proof == merkle.consistency_proof_from_source(7, 13, merkle.subtree_hashes(leaves))
    assert merkle.consistency_proof_json(7, 13, proof) == vector
    assert merkle.parse_consistency_proof_json(vector) == (7, 13, proof)
    old, new = (merkle.b64decode(proofs["roots"][s]) for s in ("7", "13"))
    assert merkle.verify_consistency(7, 13, old, new, proof)


def test_r62_verifier_key_line_is_the_vector() -> None:
    """R62: the published key line of the test key is `key.vkey` (without its newline)."""
    key = merkle.private_key_from_seed(TEST_SEED)
    assert merkle.verifier_key_line(ORIGIN, key.public_key()) + "\n" == vector_text("key.vkey")
    parsed = merkle.parse_verifier_key(vector_text("key.vkey"))
    assert parsed.name == ORIGIN
    assert parsed.key_hash.hex() == "f8c9d688"
    assert merkle.public_key_bytes(parsed.public_key) == merkle.public_key_bytes(key.public_key())


@pytest.mark.parametrize(("name", "size"), [("checkpoint", 13), ("checkpoint.old", 7)])
def test_r62_signed_checkpoints_are_reproduced(name: str, size: int, proofs: dict) -> None:
    """R62: Ed25519 is deterministic, so signing the same body gives the identical file."""
    key = merkle.private_key_from_seed(TEST_SEED)
    root = merkle.b64decode(proofs["roots"][str(size)])
    body = merkle.checkpoint_body(ORIGIN, size, root)
    assert body == f"{ORIGIN}\n{size}\n{proofs['roots'][str(size)]}\n".encode()
    note = merkle.sign_note(body, ORIGIN, key)
    assert note.encode("utf-8") == (VECTORS / name).read_bytes()
    assert merkle.sign_checkpoint(ORIGIN, size, root, ORIGIN, key) == note


@pytest.mark.parametrize(("name", "size"), [("checkpoint", 13), ("checkpoint.old", 7)])
def test_r62_vector_checkpoints_verify(name: str, size: int, proofs: dict) -> None:
    """R62: both vector checkpoints verify with `key.vkey` and yield their size and root."""
    origin, got_size, root = merkle.verify_note(vector_text(name), vector_text("key.vkey"))
    assert (origin, got_size) == (ORIGIN, size)
    assert root == merkle.b64decode(proofs["roots"][str(size)])
    # bytes in, the parsed key, and a required origin all work the same
    key = merkle.parse_verifier_key(vector_text("key.vkey"))
    assert merkle.verify_note((VECTORS / name).read_bytes(), key, origin=ORIGIN).size == size


def test_vector_entries_are_canonical() -> None:
    """R78: every vector entry re-serialises to its own bytes."""
    for entry in vector_entries():
        assert merkle.canonical_json(json.loads(entry)) == entry


# --- checkpoints and notes: rejections ---------------------------------------------------------


def test_r62_altered_checkpoint_is_rejected() -> None:
    """R62: changing the signed size (or root) breaks the signature."""
    note = vector_text("checkpoint")
    vkey = vector_text("key.vkey")
    with pytest.raises(merkle.CheckpointError, match="does not verify"):
        merkle.verify_note(note.replace("\n13\n", "\n12\n"), vkey)
    with pytest.raises(merkle.CheckpointError, match="does not verify"):
        merkle.verify_note(note.replace("8XEf", "8XEg"), vkey)


def test_r62_checkpoint_signed_by_another_key_of_the_same_name_is_rejected() -> None:
    """R62: a key with the same name but different bytes has a different key hash."""
    other = merkle.private_key_from_seed(hashlib.sha256(b"attacker").digest())
    root = merkle.b64decode(vector_text("checkpoint").split("\n")[2])
    forged = merkle.sign_checkpoint(ORIGIN, 13, root, ORIGIN, other)
    with pytest.raises(merkle.CheckpointError, match="key hash"):
        merkle.verify_note(forged, vector_text("key.vkey"))


def test_r62_checkpoint_without_our_signature_is_rejected() -> None:
    """R62: a note signed only under another name has no signature we can accept."""
    key = merkle.private_key_from_seed(TEST_SEED)
    root = merkle.b64decode(vector_text("checkpoint").split("\n")[2])
    note = merkle.sign_checkpoint(ORIGIN, 13, root, "someone.else/key", key)
    with pytest.raises(merkle.CheckpointError, match="no signature by"):
        merkle.verify_note(note, vector_text("key.vkey"))


def test_cosigned_note_is_accepted_and_flipped_signature_is_not() -> None:
    """A witness cosignature is ignored; a broken signature under our key is an error."""
    note = vector_text("checkpoint")
    witness = merkle.private_key_from_seed(hashlib.sha256(b"witness").digest())
    body = note[: note.index("\n\n") + 1]
    cosig = merkle.sign_note(body, "witness.example", witness).split("\n\n", 1)[1]
    assert merkle.verify_note(note + cosig, vector_text("key.vkey")).size == 13
    sig_line = note.rstrip("\n").rsplit("\n", 1)[1]
    blob = bytearray(merkle.b64decode(sig_line.rsplit(" ", 1)[1]))
    blob[10] ^= 1
    broken = note.replace(sig_line.rsplit(" ", 1)[1], merkle.b64encode(bytes(blob)))
    with pytest.raises(merkle.CheckpointError, match="does not verify"):
        merkle.verify_note(broken, vector_text("key.vkey"))


def test_origin_is_enforced_when_asked() -> None:
    with pytest.raises(merkle.CheckpointError, match="not 'other/log'"):
        merkle.verify_note(vector_text("checkpoint"), vector_text("key.vkey"), origin="other/log")


@pytest.mark.parametrize(
    "body",
    [
        "kokous.example/audit\n13\n",  # two lines
        "kokous.example/audit\n13\n8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo=\nextra\n",
        "kokous.example/audit\n013\n8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo=\n",
        "kokous.example/audit\n-1\n8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo=\n",
        "kokous.example/audit\n13\n8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo\n",  # no padding
        "kokous.example/audit\n13\nAAAA\n",  # not 32 bytes
        "kokous example\n13\n8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo=\n",
        "kokous+example\n13\n8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo=\n",
        "kokous.example/audit\n13\n8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo=",  # no newline
    ],
)
def test_malformed_checkpoint_bodies_are_refused(body: str) -> None:
    with pytest.raises(merkle.CheckpointError):
        merkle.parse_checkpoint_body(body)


@pytest.mark.parametrize("origin", ["", "with space", "with+plus", "tab\there"])
def test_origin_must_have_no_spaces_and_no_plus(origin: str) -> None:
    with pytest.raises(merkle.CheckpointError):
        merkle.checkpoint_body(origin, 1, bytes(32))


@pytest.mark.parametrize(
    "line",
    [
        "kokous.example/audit+f8c9d689+Ae6dUOA4BAGUB5ex50JT6YPEhaIz60KeKVz4kc9EtAEL",  # hash
        "other/name+f8c9d688+Ae6dUOA4BAGUB5ex50JT6YPEhaIz60KeKVz4kc9EtAEL",  # name
        "kokous.example/audit+f8c9d688+Au6dUOA4BAGUB5ex50JT6YPEhaIz60KeKVz4kc9EtAEL",  # alg
        "kokous.example/audit+f8c9d688",
        "kokous.example/audit+F8C9D688+Ae6dUOA4BAGUB5ex50JT6YPEhaIz60KeKVz4kc9EtAEL",
    ],
)
def test_bad_verifier_keys_are_refused(line: str) -> None:
    with pytest.raises(merkle.CheckpointError):
        merkle.parse_verifier_key(line)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    name=st.from_regex(r"[a-z0-9./-]{1,40}", fullmatch=True),
)
def test_keys_round_trip(seed: bytes, name: str) -> None:
    """Key lines parse back for any key (base64 may contain '+', the separator)."""
    key = merkle.private_key_from_seed(seed)
    parsed = merkle.parse_verifier_key(merkle.verifier_key_line(name, key.public_key()))
    assert parsed.name == name
    assert merkle.public_key_bytes(parsed.public_key) == merkle.public_key_bytes(key.public_key())
    signer_name, signer = merkle.parse_signer_key(merkle.signer_key_line(name, key))
    assert signer_name == name
    assert signer.sign(b"x") == key.sign(b"x")
    note = merkle.sign_checkpoint(name, 3, bytes(32), name, key)
    assert merkle.verify_note(note, merkle.verifier_key_line(name, key.public_key())) == (
        name,
        3,
        bytes(32),
    )


# --- canonical JSON ------------------------------------------------------------------------


def test_r78_canonical_json_form() -> None:
    """R78: sorted keys at every level, no whitespace, raw UTF-8, escaped control characters."""
    entry = {"ts": "t", "data": {"ö": 1, "b": [1, {"z": None, "a": True}]}, "seq": 0, "x": "a\nb"}
    assert merkle.canonical_json(entry) == (
        '{"data":{"b":[1,{"a":true,"z":null}],"ö":1},"seq":0,"ts":"t","x":"a\\nb"}'.encode()
    )
    assert b"\n" not in merkle.canonical_json({"note": "rivi\nrivi\r\u2028"})


@pytest.mark.parametrize("value", [1.5, {"a": [0.0]}, {"a": {"b": float("nan")}}, [1e3]])
def test_r78_canonical_json_refuses_floats(value: object) -> None:
    with pytest.raises(ValueError, match="integers only"):
        merkle.canonical_json(value)


def test_canonical_json_refuses_non_string_keys() -> None:
    with pytest.raises(ValueError, match="keys must be strings"):
        merkle.canonical_json({1: "a"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_is_a_fixed_point(value: object) -> None:
    """Parsing and re-serialising canonical bytes gives the same bytes (what verifiers do)."""
    try:
        data = merkle.canonical_json(value)
    except UnicodeEncodeError:  # lone surrogates are not UTF-8: refused, fine
        return
    assert merkle.canonical_json(json.loads(data)) == data
    assert b"\n" not in data


# --- tree hashing basics -------------------------------------------------------------------


def test_hash_definitions() -> None:
    """RFC 9162 2.1.1: domain-separated leaves and nodes, the empty root."""
    assert hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    assert merkle.root_from_leaf_hashes([]) == merkle.EMPTY_ROOT
    assert merkle.TreeBuilder().root() == merkle.EMPTY_ROOT
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    a, b = bytes(32), bytes([1]) * 32
    assert merkle.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert merkle.root_from_leaf_hashes([a]) == a


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 MTH, the recursive definition, as an independent reference."""
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def make_leaves(size: int, salt: int = 0) -> list[bytes]:
    return [hashlib.sha256(f"{salt}:{i}".encode()).digest() for i in range(size)]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 300))
def test_streaming_root_equals_recursive_definition(size: int) -> None:
    """The stack fold is the RFC 9162 MTH for every size (and resumes from stored subtrees)."""
    leaves = make_leaves(size)
    assert merkle.root_from_leaf_hashes(leaves) == mth(leaves)
    store = merkle.subtree_hashes(leaves)
    half = size // 2
    resumed = merkle.TreeBuilder.from_source(half, store)
    assert [key for key, _ in resumed.frontier_subtrees()] == merkle.root_plan(half)
    resumed.extend(leaves[half:])
    assert resumed.size == size
    assert resumed.root() == mth(leaves)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300))
def test_new_subtrees_are_what_the_builder_creates(size: int) -> None:
    """Appending leaf n with O(log n) reads of stored subtrees yields exactly the new ones."""
    leaves = make_leaves(size)
    builder, store = merkle.TreeBuilder(), {}
    for index, leaf in enumerate(leaves):
        reads: list[tuple[int, int]] = []

        def fetch(level: int, i: int, reads: list[tuple[int, int]] = reads) -> bytes:
            reads.append((level, i))
            return store[(level, i)]

        created = merkle.new_subtrees(index, leaf, fetch)
        assert created == builder.append(leaf)
        assert len(reads) <= (index + 1).bit_length()
        for (level, i), h in created:
            start, end = merkle.subtree_range(level, i)
            assert h == mth(leaves[start:end])
        store.update(created)
    assert store == merkle.subtree_hashes(leaves)


def test_range_subtrees_refuses_ranges_that_are_not_tree_nodes() -> None:
    assert merkle.range_subtrees(8, 13) == [(2, 2), (0, 12)]
    with pytest.raises(ValueError):
        merkle.range_subtrees(2, 8)  # 6 leaves from 2: not aligned to 4
    with pytest.raises(ValueError):
        merkle.range_subtrees(3, 3)


# --- proofs: property tests ---------------------------------------------------------------


def counting(store: dict[merkle.Subtree, bytes]) -> tuple[list[merkle.Subtree], object]:
    reads: list[merkle.Subtree] = []

    def fetch(level: int, index: int) -> bytes:
        reads.append((level, index))
        return store[(level, index)]

    return reads, fetch


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300))
def test_r62_every_inclusion_proof_verifies(size: int) -> None:
    """R62: for every leaf of a tree of any size, the proof verifies with O(log n) reads."""
    leaves = make_leaves(size)
    root = mth(leaves)
    store = merkle.subtree_hashes(leaves)
    for index in range(size):
        reads, fetch = counting(store)
        proof = merkle.inclusion_proof_from_source(index, size, fetch)
        assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
        assert len(reads) <= 2 * size.bit_length()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300))
def test_r62_every_consistency_proof_verifies(size: int) -> None:
    """R62: every older size is proven a prefix of the newer tree, with O(log n) reads."""
    leaves = make_leaves(size)
    store = merkle.subtree_hashes(leaves)
    new_root = mth(leaves)
    for old in range(0, size + 1):
        reads, fetch = counting(store)
        proof = merkle.consistency_proof_from_source(old, size, fetch)
        assert merkle.verify_consistency(old, size, mth(leaves[:old]), new_root, proof)
        assert len(reads) <= 2 * size.bit_length() + 1


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_r62_lookup_proofs_equal_reference_proofs(data: st.DataObject) -> None:
    """The O(log n) lookup version equals the literal RFC recursion (and the plans agree)."""
    size = data.draw(st.integers(1, 300))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    leaves = make_leaves(size, salt=size)
    store = merkle.subtree_hashes(leaves)
    reference = merkle.inclusion_proof(index, size, leaves)
    assert merkle.inclusion_proof_from_source(index, size, store) == reference
    keys = merkle.plan_keys(merkle.inclusion_plan(index, size))
    subset = {k: store[k] for k in keys}
    assert merkle.resolve_plan(merkle.inclusion_plan(index, size), subset) == reference
    reference = merkle.consistency_proof(old, size, leaves)
    assert merkle.consistency_proof_from_source(old, size, store) == reference
    # a longer list with a smaller tree size uses only the first `size` leaves
    extra = leaves + make_leaves(3, salt=-1)
    assert merkle.inclusion_proof(index, size, extra) == merkle.inclusion_proof(index, size, leaves)


def flip(proof: list[bytes], which: int, byte: int, bit: int) -> list[bytes]:
    item = bytearray(proof[which])
    item[byte] ^= 1 << bit
    return proof[:which] + [bytes(item)] + proof[which + 1 :]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_r62_tampered_inclusion_proofs_fail(data: st.DataObject) -> None:
    """R62: flipping any bit of a proof, or claiming another index or size, fails."""
    size = data.draw(st.integers(2, 300))
    index = data.draw(st.integers(0, size - 1))
    leaves = make_leaves(size)
    root = mth(leaves)
    proof = merkle.inclusion_proof(index, size, leaves)
    assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
    which = data.draw(st.integers(0, len(proof) - 1))
    byte, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    assert not merkle.verify_inclusion(
        index, size, leaves[index], flip(proof, which, byte, bit), root
    )
    other_index = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    assert not merkle.verify_inclusion(other_index, size, leaves[index], proof, root)
    other_size = data.draw(st.integers(index + 1, 310).filter(lambda n: n != size))
    other_root = mth((leaves + make_leaves(10, salt=7))[:other_size])
    # Size and root always come together from one signed checkpoint. (Pairing the old root with
    # another size is not a meaningful check: e.g. index 0 has the same path shape in trees of
    # size 65 and 66, so RFC 9162 verification cannot tell those sizes apart for one root.)
    assert not merkle.verify_inclusion(index, other_size, leaves[index], proof, other_root)
    assert not merkle.verify_inclusion(index, size, leaves[index], proof[:-1], root)
    assert not merkle.verify_inclusion(index, size, leaves[index], [*proof, proof[0]], root)


def test_r62_a_size_3_proof_is_not_a_size_4_proof() -> None:
    """R62: a proof for a tree of size 3 does not verify as one for size 4."""
    leaves = make_leaves(4)
    root3, root4 = mth(leaves[:3]), mth(leaves)
    for index in range(3):
        proof3 = merkle.inclusion_proof(index, 3, leaves)
        assert merkle.verify_inclusion(index, 3, leaves[index], proof3, root3)
        assert not merkle.verify_inclusion(index, 4, leaves[index], proof3, root4)
        assert merkle.inclusion_proof(index, 4, leaves) != proof3
    assert not merkle.verify_consistency(
        1, 4, leaves[0], root4, merkle.consistency_proof(1, 3, leaves)
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_r62_tampered_consistency_proofs_fail(data: st.DataObject) -> None:
    """R62: flipping any bit, or claiming other sizes, breaks a consistency proof."""
    size = data.draw(st.integers(2, 300))
    old = data.draw(st.integers(1, size - 1))
    leaves = make_leaves(size)
    old_root, new_root = mth(leaves[:old]), mth(leaves)
    proof = merkle.consistency_proof(old, size, leaves)
    assert merkle.verify_consistency(old, size, old_root, new_root, proof)
    which = data.draw(st.integers(0, len(proof) - 1))
    byte, bit = data.draw(st.integers(0, 31)), data.draw(st.integers(0, 7))
    tampered = flip(proof, which, byte, bit)
    assert not merkle.verify_consistency(old, size, old_root, new_root, tampered)
    other_old = data.draw(st.integers(1, size - 1).filter(lambda m: m != old))
    assert not merkle.verify_consistency(other_old, size, mth(leaves[:other_old]), new_root, proof)
    other_new = data.draw(st.integers(old + 1, 310).filter(lambda n: n != size))
    longer = (leaves + make_leaves(10, salt=3))[:other_new]
    assert not merkle.verify_consistency(old, other_new, old_root, mth(longer), proof)
    assert not merkle.verify_consistency(old, size, old_root, new_root, proof[:-1])
    changed = leaves[:]
    changed[data.draw(st.integers(0, old - 1))] = bytes(32)
    assert not merkle.verify_consistency(old, size, mth(changed[:old]), new_root, proof)


def test_consistency_edge_cases() -> None:
    leaves = make_leaves(5)
    root = mth(leaves)
    assert merkle.consistency_proof(5, 5, leaves) == []
    assert merkle.consistency_proof(0, 5, leaves) == []
    assert merkle.verify_consistency(5, 5, root, root, [])
    assert not merkle.verify_consistency(5, 5, root, mth(leaves[:4]), [])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [])
    assert not merkle.verify_consistency(0, 5, root, root, [])
    assert not merkle.verify_consistency(3, 5, mth(leaves[:3]), root, [])
    assert not merkle.verify_consistency(6, 5, root, root, [])
    with pytest.raises(ValueError):
        merkle.consistency_proof(6, 5, leaves)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(5, 5, leaves)


def test_verifiers_reject_malformed_input() -> None:
    leaves = make_leaves(4)
    root = mth(leaves)
    proof = merkle.inclusion_proof(1, 4, leaves)
    assert not merkle.verify_inclusion(-1, 4, leaves[1], proof, root)
    assert not merkle.verify_inclusion(True, 4, leaves[1], proof, root)
    assert not merkle.verify_inclusion(1, 4, leaves[1][:31], proof, root)
    assert not merkle.verify_inclusion(1, 4, leaves[1], [p + b"\x00" for p in proof], root)


def test_proof_json_parsing_rejects_bad_shapes() -> None:
    good = {"index": 0, "tree_size": 1, "leaf_hash": merkle.b64encode(bytes(32)), "hashes": []}
    assert merkle.parse_inclusion_proof_json(good).tree_size == 1
    for bad in (
        {**good, "index": -1},
        {**good, "index": True},
        {**good, "leaf_hash": "AAAA"},
        {**good, "hashes": ["not base64!"]},
        {**good, "hashes": "x"},
    ):
        with pytest.raises(ValueError):
            merkle.parse_inclusion_proof_json(bad)
    with pytest.raises(ValueError):
        merkle.parse_consistency_proof_json({"from": 1, "hashes": []})
