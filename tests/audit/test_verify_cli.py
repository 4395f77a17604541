"""The offline verifier `python -m audit.verify`: an auditor's check of an export bundle.

R62 (integrity and authenticity, TiHL 15 §), R64 (*lokitiedot*, TiHL 17 §) and R78 (the event
log as evidence for appeals) need a check that trusts neither the server nor its database.
These tests tamper with a copy of the spec's vector bundle the ways the threat model lists
(edit, delete, reorder, insert, truncate, rewrite and re-sign) and require a non-zero exit with
a message naming the first bad entry wherever the evidence allows, and saying honestly what it
cannot tell otherwise. No Django, no database: the CLI runs in a subprocess.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from audit import merkle
from audit import verify as verifier

PROJECT = Path(__file__).resolve().parents[2]
VECTORS = PROJECT.parent / "shared" / "spec" / "audit-vectors"
ORIGIN = "kokous.example/audit"
#: The spec's test-vector key (spec section 7): public, for tests only.
TEST_KEY = merkle.private_key_from_seed(hashlib.sha256(b"kokous audit test vector key").digest())
OTHER_KEY = merkle.private_key_from_seed(hashlib.sha256(b"an attacker's key").digest())


def run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audit.verify", *map(str, args)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def fails(*args: object) -> str:
    """Run the CLI, require exit code 1, return what it printed."""
    proc = run(*args)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert proc.stderr.startswith("FAILED: ")
    return proc.stderr


def passes(*args: object) -> str:
    proc = run(*args)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert proc.stdout.startswith("OK: ") and proc.stdout.count("\n") == 1
    return proc.stdout


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A writable copy of the vector bundle (13 entries, checkpoint, key, checkpoint.old)."""
    directory = tmp_path / "export"
    directory.mkdir()
    for name in ("entries.jsonl", "checkpoint", "checkpoint.old", "key.vkey"):
        shutil.copyfile(VECTORS / name, directory / name)
    return directory


@pytest.fixture
def old_export(tmp_path: Path) -> Path:
    """The export an auditor kept when the log had 7 entries."""
    directory = tmp_path / "export-at-7"
    directory.mkdir()
    lines = (VECTORS / "entries.jsonl").read_bytes().split(b"\n")[:7]
    (directory / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    shutil.copyfile(VECTORS / "checkpoint.old", directory / "checkpoint")
    shutil.copyfile(VECTORS / "key.vkey", directory / "key.vkey")
    return directory


def read_lines(bundle: Path) -> list[bytes]:
    return (bundle / "entries.jsonl").read_bytes().split(b"\n")[:-1]


def write_lines(bundle: Path, lines: list[bytes]) -> None:
    (bundle / "entries.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))


def edited(line: bytes, **changes: object) -> bytes:
    entry = json.loads(line)
    entry.update(changes)
    return merkle.canonical_json(entry)


def resign(bundle: Path, lines: list[bytes], key: object = TEST_KEY) -> None:
    """What someone holding the signing key does after rewriting the database."""
    root = merkle.root_from_entries(lines)
    note = merkle.sign_checkpoint(ORIGIN, len(lines), root, ORIGIN, key)  # type: ignore[arg-type]
    (bundle / "checkpoint").write_text(note, encoding="utf-8")


# --- the genuine bundle ---------------------------------------------------------------------


def test_r62_vector_bundle_verifies(bundle: Path) -> None:
    """R62: the spec's bundle passes, alone, against its older checkpoint, and strictly."""
    out = passes(bundle)
    assert "13 entries" in out and "8XEfJO32K3ln8AJB79N3Y2MaXpYLQXKSxLXwQIh/rqo=" in out
    assert "size 7" in passes(bundle, "--old", bundle / "checkpoint.old")
    assert "strict" in passes(bundle, "--old", bundle / "checkpoint.old", "--strict")
    assert "size 7" in passes(
        bundle, "--old", VECTORS / "checkpoint.old", "--key", VECTORS / "key.vkey"
    )


def test_r62_earlier_export_as_reference_verifies(bundle: Path, old_export: Path) -> None:
    """R62: an earlier export directory can stand in for its checkpoint."""
    passes(old_export)
    assert "size 7" in passes(bundle, "--old", old_export)


def test_verifier_needs_neither_django_nor_third_party_code_beyond_cryptography() -> None:
    """The auditor's tool imports only the standard library, cryptography and audit.merkle,
    and importing it (with the `audit` package) loads no Django."""
    allowed = set(sys.stdlib_module_names) | {"cryptography", "audit"}
    for module in ("audit/verify.py", "audit/merkle.py"):
        tree = ast.parse((PROJECT / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert {name.split(".")[0] for name in names} <= allowed, (module, names)
    code = "import sys, audit.verify; print(sorted(m for m in sys.modules if 'django' in m))"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]", proc.stdout


# --- tampering: each fails and names the first bad entry when that can be known --------------


def test_r78_changed_entry_that_breaks_canonical_form_is_named(bundle: Path) -> None:
    """R78: an edited line that is no longer canonical JSON is named."""
    lines = read_lines(bundle)
    lines[5] = lines[5].replace(b'"actor":"user:3"', b'"actor": "user:3"')
    write_lines(bundle, lines)
    err = fails(bundle)
    assert err.startswith("FAILED: entry 5: not in canonical JSON form")


def test_r78_changed_seq_is_named(bundle: Path) -> None:
    """R78: an entry whose seq no longer matches its position is named."""
    lines = read_lines(bundle)
    lines[8] = edited(lines[8], seq=80)
    write_lines(bundle, lines)
    assert fails(bundle).startswith("FAILED: entry 8: seq is 80, expected 8")


def test_r62_well_formed_edit_is_caught_and_reported_honestly(bundle: Path) -> None:
    """R62: a well-formed edit changes only the root; without an older checkpoint the verifier
    says which entries it cannot tell apart instead of guessing."""
    lines = read_lines(bundle)
    lines[5] = edited(lines[5], actor="user:9")
    write_lines(bundle, lines)
    err = fails(bundle)
    assert err.startswith("FAILED: entries 0..12: the 13 entries do not hash to the root")
    assert "root hashes cannot say which" in err
    result = verifier.verify_bundle(bundle)
    assert (result.first_bad_entry, result.bad_range) == (None, (0, 13))


def test_r62_older_checkpoint_narrows_a_well_formed_edit(bundle: Path) -> None:
    """R62: the checkpoint of size 7 shows the edit is among entries 0..6 (or 7..12)."""
    lines = read_lines(bundle)
    write_lines(bundle, lines[:5] + [edited(lines[5], actor="user:9")] + lines[6:])
    assert fails(bundle, "--old", bundle / "checkpoint.old").startswith(
        "FAILED: entries 0..6: the first 7 entries do not match old checkpoint"
    )
    write_lines(bundle, lines[:9] + [edited(lines[9], data={"note": "muutettu"})] + lines[10:])
    err = fails(bundle, "--old", bundle / "checkpoint.old")
    assert err.startswith("FAILED: entries 7..12: the 13 entries do not hash to the root")
    result = verifier.verify_bundle(bundle, bundle / "checkpoint.old")
    assert result.bad_range == (7, 13)


def test_r62_earlier_export_names_the_exact_entry(bundle: Path, old_export: Path) -> None:
    """R62: with the export kept at size 7, the changed entry itself is named."""
    lines = read_lines(bundle)
    lines[5] = edited(lines[5], actor="user:9")
    write_lines(bundle, lines)
    err = fails(bundle, "--old", old_export)
    assert err.startswith("FAILED: entry 5: differs from the earlier export")
    assert verifier.verify_bundle(bundle, old_export).first_bad_entry == 5


def test_r78_deleted_entry_is_named(bundle: Path) -> None:
    """R78: deleting a line leaves a gap in seq at exactly that position."""
    lines = read_lines(bundle)
    write_lines(bundle, lines[:5] + lines[6:])
    err = fails(bundle)
    assert err.startswith("FAILED: entry 5: seq is 6, expected 5 (an entry before it is missing")
    assert "the checkpoint signs 13 entries, the bundle has 12" in err


def test_r78_reordered_entries_are_named(bundle: Path) -> None:
    """R78: swapping two lines is caught at the first swapped one."""
    lines = read_lines(bundle)
    lines[3], lines[4] = lines[4], lines[3]
    write_lines(bundle, lines)
    assert fails(bundle, "--old", bundle / "checkpoint.old").startswith(
        "FAILED: entry 3: seq is 4, expected 3"
    )


def test_r78_inserted_entry_is_caught(bundle: Path) -> None:
    """R78: an inserted vote with a duplicate seq: one of the two lines is the forgery."""
    lines = read_lines(bundle)
    forged = edited(lines[8], seq=5)
    write_lines(bundle, lines[:5] + [forged] + lines[5:])
    err = fails(bundle)
    assert err.startswith("FAILED: entries 5..6: entries 5 and 6 both have seq 5")
    assert "the bundle has 14 entries, the checkpoint signs 13" in err


def test_r78_inserted_and_renumbered_entry_is_caught(bundle: Path, old_export: Path) -> None:
    """R78: a careful forger renumbers; the count and the roots still give it away, and an
    earlier export names the inserted entry."""
    lines = read_lines(bundle)
    forged = [edited(line, seq=i) for i, line in enumerate(lines[:5] + [lines[8]] + lines[5:])]
    write_lines(bundle, forged)
    err = fails(bundle)
    assert err.startswith("FAILED: entries 0..12: the first 13 entries do not hash")
    assert "the bundle has 14 entries, the checkpoint signs 13" in err
    assert fails(bundle, "--old", bundle / "checkpoint.old").startswith("FAILED: entries 0..6: ")
    assert fails(bundle, "--old", old_export).startswith(
        "FAILED: entry 5: differs from the earlier"
    )


def test_r78_unsigned_extra_entry_is_named(bundle: Path) -> None:
    """R78: a line beyond the signed size is not covered by the signature."""
    lines = read_lines(bundle)
    write_lines(bundle, [*lines, edited(lines[12], seq=13)])
    assert fails(bundle).startswith("FAILED: entry 13: not covered by the checkpoint")


def test_r62_truncated_log_without_new_signature(bundle: Path) -> None:
    """R62: entries cut off the end no longer match the signed size."""
    write_lines(bundle, read_lines(bundle)[:10])
    err = fails(bundle)
    assert err.startswith(
        "FAILED: entries 0..10: the checkpoint signs 13 entries, the bundle has 10"
    )
    assert fails(bundle, "--old", bundle / "checkpoint.old").startswith("FAILED: entries 7..10: ")


def test_r62_truncated_log_resigned_with_the_same_key(bundle: Path, tmp_path: Path) -> None:
    """R62: with the key in hand the truncated log verifies on its own (no verifier can know
    what it never saw), but any earlier checkpoint of a larger size exposes it."""
    earlier = tmp_path / "checkpoint-at-13"
    shutil.copyfile(bundle / "checkpoint", earlier)
    lines = read_lines(bundle)[:10]
    write_lines(bundle, lines)
    resign(bundle, lines)
    passes(bundle)
    passes(bundle, "--old", bundle / "checkpoint.old")
    err = fails(bundle, "--old", earlier)
    assert err.startswith("FAILED: entry 10: missing: old checkpoint")
    assert "signed 13 entries, the checkpoint only 10" in err
    assert verifier.verify_bundle(bundle, earlier).first_bad_entry == 10


def test_r62_rewritten_history_resigned_with_the_same_key(bundle: Path, old_export: Path) -> None:
    """R62: history rewritten and re-signed verifies alone, but not against the checkpoint an
    auditor kept: the key signed two histories that disagree about entries 0..6."""
    lines = read_lines(bundle)
    lines[3] = edited(lines[3], actor="user:2")
    write_lines(bundle, lines)
    resign(bundle, lines)
    passes(bundle)
    err = fails(bundle, "--old", bundle / "checkpoint.old")
    assert err.startswith("FAILED: entries 0..6: history was rewritten")
    assert fails(bundle, "--old", old_export).startswith(
        "FAILED: entry 3: differs from the earlier export"
    )


def test_r62_forged_signature_and_swapped_key(bundle: Path) -> None:
    """R62: an altered checkpoint fails; a forger's own key fails against a pinned key or any
    checkpoint signed earlier by the real one."""
    original = (bundle / "checkpoint").read_text(encoding="utf-8")
    (bundle / "checkpoint").write_text(original.replace("\n13\n", "\n14\n"), encoding="utf-8")
    assert "does not verify" in fails(bundle)

    lines = read_lines(bundle)
    lines[0] = edited(lines[0], actor="user:666")
    write_lines(bundle, lines)
    resign(bundle, lines, key=OTHER_KEY)
    assert "key hash" in fails(bundle)  # the bundle's key.vkey is still the real one
    (bundle / "key.vkey").write_text(
        merkle.verifier_key_line(ORIGIN, OTHER_KEY.public_key()) + "\n", encoding="utf-8"
    )
    passes(bundle)  # self-consistent forgery: only an outside reference can catch it
    assert "key hash" in fails(bundle, "--key", VECTORS / "key.vkey")
    assert fails(bundle, "--old", VECTORS / "checkpoint.old").startswith("FAILED: old checkpoint")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda ls: ls[:4] + [ls[4].replace(b"17:04:00", b"17:04:61")] + ls[5:], "entry 4: ts "),
        (lambda ls: ls[:4] + [ls[4].replace(b"2026-01-15", b"2026-02-30")] + ls[5:], "entry 4: ts"),
        (lambda ls: ls[:4] + [ls[4].replace(b".000000Z", b"Z")] + ls[5:], "entry 4: ts"),
        (lambda ls: ls[:5] + [b""] + ls[5:], "entry 5: empty line"),
        (lambda ls: ls[:2] + [ls[2] + b" "] + ls[3:], "entry 2: not in canonical JSON form"),
        (lambda ls: ls[:2] + [ls[2][:-1]] + ls[3:], "entry 2: not valid JSON"),
        (lambda ls: ls[:2] + [ls[2].replace(b'"seq":2', b'"seq":2.0')] + ls[3:], "entry 2: seq"),
        (lambda ls: ls[:2] + [ls[2].replace("Ä".encode(), b"\\u00c4")] + ls[3:], "entry 2: not in"),
        (
            lambda ls: ls[:2] + [ls[2].replace(b'"actor":"user:3",', b"")] + ls[3:],
            "entry 2: missing",
        ),
    ],
)
def test_r78_malformed_entries_are_named(bundle: Path, mutate: object, expected: str) -> None:
    """R78: entries must be canonical JSON with the spec's fields and timestamp format."""
    write_lines(bundle, mutate(read_lines(bundle)))  # type: ignore[operator]
    assert fails(bundle).startswith(f"FAILED: {expected}")


def test_missing_final_newline_is_named(bundle: Path) -> None:
    (bundle / "entries.jsonl").write_bytes((bundle / "entries.jsonl").read_bytes()[:-1])
    assert fails(bundle).startswith("FAILED: entry 12: does not end in a newline")


def test_unusable_inputs_fail_clearly(bundle: Path, tmp_path: Path) -> None:
    other_origin = tmp_path / "other"
    root = merkle.root_from_entries(read_lines(bundle)[:7])
    other_origin.write_text(
        merkle.sign_checkpoint("other.example/audit", 7, root, ORIGIN, TEST_KEY), encoding="utf-8"
    )
    assert "is for log 'other.example/audit'" in fails(bundle, "--old", other_origin)
    assert "cannot read" in fails(bundle, "--old", tmp_path / "nowhere")
    (bundle / "entries.jsonl").unlink()
    assert "cannot read entries" in fails(bundle)
    assert run(bundle, "--no-such-option").returncode == 2


def test_fast_mode_accepts_a_valid_entry_shape_it_does_not_expect(bundle: Path) -> None:
    """A canonical entry with an extra key sorting before `action` fails the fast byte check
    but passes the strict one, so it is accepted (the fast check only ever defers)."""
    lines = read_lines(bundle)
    lines[4] = edited(lines[4], aa=1)
    assert lines[4].startswith(b'{"aa":1,"action":')
    write_lines(bundle, lines)
    resign(bundle, lines)
    passes(bundle)
    passes(bundle, "--strict")


# --- the strict per-entry check and the fast bulk check --------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            b'{"action":"a","actor":"system","data":{},"object":"x:1","seq":true,'
            b'"ts":"2026-01-01T00:00:00.000000Z"}',
            "seq is not",
        ),
        (
            b'{"action":"a","actor":"system","data":[],"object":"x:1","seq":0,'
            b'"ts":"2026-01-01T00:00:00.000000Z"}',
            "data is not",
        ),
        (
            b'{"action":"a","actor":"system","data":{"x":1.5},"object":"x:1","seq":0,'
            b'"ts":"2026-01-01T00:00:00.000000Z"}',
            "integers only",
        ),
        (
            b'{"action":"a","actor":"system","data":{},"object":"x:1","seq":0,"seq":0,'
            b'"ts":"2026-01-01T00:00:00.000000Z"}',
            "not in canonical",
        ),
        (
            b'{"action":"a","actor":"system","data":{},"object":"x:1","seq":0,'
            b'"ts":"2026-01-01T00:00:00.000000+00:00"}',
            "ts ",
        ),
        (
            b'{"action":"a","actor":"system","data":{},"object":"x:1","seq":0,'
            b'"ts":"2025-02-29T00:00:00.000000Z"}',
            "ts ",
        ),
        (b"\xff", "not valid UTF-8"),
        (b"[]", "not a JSON object"),
    ],
)
def test_check_entry_problems(line: bytes, problem: str) -> None:
    found = verifier.check_entry(line, 0)
    assert found is not None and problem in found.text


def test_check_entry_accepts_leap_second_and_vector_entries() -> None:
    line = merkle.canonical_json(
        {
            "action": "a",
            "actor": "system",
            "data": {},
            "object": "x:1",
            "seq": 3,
            "ts": "2016-12-31T23:59:60.000000Z",
        }
    )
    assert verifier.check_entry(line, 3) is None
    for index, line in enumerate((VECTORS / "entries.jsonl").read_bytes().split(b"\n")[:-1]):
        assert verifier.check_entry(line, index) is None


EDGES = [0, 1, 9, 10, 12, 13, 19, 20, 23, 24, 29, 30, 31, 32, 59, 60, 61, 99]
INTERESTING = [*b'0123456789:-.TZ",}{x', 0xFF, 0xC3, 0x00, 0x1F]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fast_bulk_check_agrees_with_its_per_line_rule(data: st.DataObject) -> None:
    """The bulk byte tricks of the fast check accept exactly the lines its one-line regex
    accepts, across seq digit boundaries, timestamp ranges and random corruption."""
    size = data.draw(st.integers(0, 130))
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    edge_rate = data.draw(st.sampled_from([0.0, 0.002, 0.05]))

    def field() -> str:  # valid, or with `edge_rate` a boundary value, in range or not
        return f"{rng.choice(EDGES) if rng.random() < edge_rate else rng.randint(1, 12):02d}"

    lines = []
    for seq in range(size):
        ts = (
            f"{rng.randint(0, 9999):04d}-{field()}-{field()}T{field()}:{field()}:{field()}."
            f"{rng.randint(0, 999999):06d}Z"
        )
        entry = {
            "action": "vote.cast",
            "actor": "user:1",
            "data": {"é": seq},
            "object": "vote:1",
            "seq": seq,
            "ts": ts,
        }
        lines.append(merkle.canonical_json(entry))
    for _ in range(data.draw(st.integers(0, 3))):
        if not lines:
            break
        i = data.draw(st.integers(0, len(lines) - 1))
        line = bytearray(lines[i])
        kind = data.draw(st.sampled_from(["tail", "anywhere", "insert", "drop", "seq"]))
        if kind == "drop":
            del lines[i]
            continue
        if kind == "seq":
            new = b'"seq":%d' % data.draw(st.integers(0, 200))
            lines[i] = re.sub(rb'"seq":[0-9]+', new, bytes(line), count=1)
            continue
        back = data.draw(st.integers(1, min(60, len(line))))
        pos = len(line) - back if kind == "tail" else data.draw(st.integers(0, len(line) - 1))
        byte = data.draw(st.sampled_from(INTERESTING))
        if kind == "insert":
            line.insert(pos, byte)
        else:
            line[pos] = byte
        lines[i] = bytes(line)
    blob = b"".join(line + b"\n" for line in lines)
    split = blob.split(b"\n")[:-1]
    expected = all(verifier._fast_line_ok(line, i) for i, line in enumerate(split))
    assert verifier._fast_lines_ok(blob, split) == expected
    event(f"accepted={expected}")
