"""Offline verifier for an audit-log export (*tarkastusloki*; TiHL 15 §, 17 §; R62, R64, R78).

    python -m audit.verify DIR [--old CHECKPOINT_OR_EXPORT_DIR ...] [--strict] [--key KEY.vkey]

DIR holds `entries.jsonl`, `checkpoint` and `key.vkey` (../shared/spec/audit-log.md section 5).
Needs neither Django nor a database: only the standard library, `cryptography` and
`audit.merkle`, so an auditor can run it on a copy of the export on any machine.

What is checked
---------------
1. The checkpoint's Ed25519 signature against the verifier key. Size and root come only from
   the signed checkpoint, never from the entries.
2. Every line of `entries.jsonl` ends in a newline, and there are exactly `size` of them.
3. Each line is a well-formed entry whose `seq` equals its line index (see "fast and strict").
4. The RFC 9162 root of the lines equals the signed root.
5. With `--old` (repeatable): each older checkpoint verifies with the same key, is for the same
   log, is not larger than the new one, and the first `old size` lines hash to its root: the log
   only grew. `--old` may also name an earlier export directory; it is first checked against its
   own checkpoint and then compared line by line, which names the exact first changed entry.

`key.vkey` inside the bundle is only as trustworthy as the bundle: pass `--key` with the key the
municipality published, or keep old checkpoints (a swapped key fails them).

Naming the first bad entry, honestly
------------------------------------
Root hashes say *that* something differs, not *where*. The verifier therefore reports:

* the first line that is malformed, not canonical, or out of sequence (`entry 5: ...`): these
  are certain, and an unskilled edit (deleting, reordering, inserting a line) shows up here;
* for edits that keep every line well-formed (content changed and `seq` renumbered), a range
  from the signed roots: each trusted root of size `m` that matches says entries `0..m-1` are as
  signed, each that does not says the first bad entry is before `m`. With the newest checkpoint
  only, that range is the whole log and the message says so; every older checkpoint narrows it;
  an older export pins it to one entry.

Fast and strict
---------------
Verifying a million-entry export must cost about what SHA-256 costs (spec section 6; the
benchmark `bench/bench_audit_verify.py` requires at most twice a bare hashlib loop), and
`json.loads` plus `json.dumps` per line alone costs several times the hashing. So by default
the per-line format checks run as a few bulk byte operations over the whole file (counting,
translating, comparing, all in C), and only these are checked for every line:

* it is valid UTF-8, starts with `{"action":"`, and ends with
  `,"seq":<its index, decimal, no leading zero>,"ts":"YYYY-MM-DDTHH:MM:SS.ffffffZ"}` with month
  01-12, day 01-31, hour 00-23, minute 00-59 and second 00-60.

That is sound for what it claims: for a line that is a valid JSON object, those bytes can only be
the first member `action` (a string) and the last two top-level members `seq` and `ts`, since a
quote inside a string is always escaped and keys in canonical form are sorted. It does not
parse the JSON, so it does not prove the line is valid or canonical JSON or that `actor`,
`data` and `object` are present. That does not weaken integrity: the root authenticates the
exact bytes, whatever they are; what it leaves unchecked is whether the server wrote
well-formed entries. `--strict` checks that too (parse, re-serialise, compare bytes, field
types, calendar dates) at several times the cost. Whenever anything fails, the verifier runs the
strict checks anyway to find the first bad entry, and a line the fast check rejects is accepted
if it passes the strict check (e.g. a future extra top-level key sorting before `action`).
"""

from __future__ import annotations

import argparse
import codecs
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from audit.merkle import (
    Checkpoint,
    CheckpointError,
    VerifierKey,
    b64encode,
    canonical_json,
    parse_verifier_key,
    prefix_roots,
    root_from_entries,
    verify_note,
)

__all__ = [
    "REQUIRED_FIELDS",
    "EntryProblem",
    "VerifyResult",
    "check_entry",
    "main",
    "verify_bundle",
]

REQUIRED_FIELDS = ("action", "actor", "data", "object", "seq", "ts")
ENTRIES, CHECKPOINT, KEY = "entries.jsonl", "checkpoint", "key.vkey"

_TS = (
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)\.[0-9]{6}Z"
)
_TS_RE = re.compile(_TS)
_PREFIX = b'{"action":"'
# Per-line statement of the fast check; the bulk version in `_fast_lines_ok` must agree with it.
_FAST_LINE_RE = re.compile(
    rb'\{"action":"[^\n]*,"seq":(0|[1-9][0-9]*),"ts":"' + _TS.encode() + rb'"\}'
)
_DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_TS_SHAPE = b'"0000-00-00T00:00:00.000000Z"}'
# (offset inside `"YYYY-MM-DDTHH:MM:SS.ffffffZ"}`, allowed two-digit values)
_TS_FIELDS = (
    (6, bytes(range(1, 13))),
    (9, bytes(range(1, 32))),
    (12, bytes(range(24))),
    (15, bytes(range(60))),
    (18, bytes(range(61))),
)


class EntryProblem(NamedTuple):
    index: int
    text: str
    seq: int | None = None  # set when the entry is fine except that its `seq` is wrong


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify_bundle`; `message` is the one-line summary the CLI prints first."""

    ok: bool
    message: str
    problems: tuple[str, ...] = ()
    origin: str | None = None
    size: int | None = None
    root: bytes | None = None
    entries: int | None = None
    old_sizes: tuple[int, ...] = ()
    #: The first entry shown to be bad, when the evidence names one.
    first_bad_entry: int | None = None
    #: `[lo, hi)` holding the first bad entry, when the evidence only narrows it down.
    bad_range: tuple[int, int] | None = None
    strict: bool = False


# --------------------------------------------------------------------------------------------
# Per-entry checks
# --------------------------------------------------------------------------------------------


def _valid_timestamp(ts: str) -> bool:
    """RFC 3339 `date-time` in UTC with microseconds; the regex bounds the time fields."""
    if not _TS_RE.fullmatch(ts):
        return False
    try:
        date(int(ts[0:4]), int(ts[5:7]), int(ts[8:10]))  # day exists in that month and year
    except ValueError:
        return False
    return True


def check_entry(line: bytes, index: int) -> EntryProblem | None:
    """Strict check of one line (without its newline) as entry `index`; `None` if it is fine."""

    def bad(text: str, seq: int | None = None) -> EntryProblem:
        return EntryProblem(index, text, seq)

    if not line:
        return bad("empty line")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return bad(f"not valid UTF-8 (byte {exc.start})")
    try:
        obj = json.loads(text)
    except ValueError as exc:
        return bad(f"not valid JSON ({getattr(exc, 'msg', exc)} at byte {getattr(exc, 'pos', 0)})")
    if not isinstance(obj, dict):
        return bad("not a JSON object")
    missing = [field for field in REQUIRED_FIELDS if field not in obj]
    if missing:
        return bad(f"missing required field(s) {', '.join(missing)}")
    seq = obj["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return bad("seq is not a non-negative integer")
    for field in ("action", "actor", "object", "ts"):
        if not isinstance(obj[field], str):
            return bad(f"{field} is not a string")
    if not isinstance(obj["data"], dict):
        return bad("data is not a JSON object")
    if not _valid_timestamp(obj["ts"]):
        return bad(f"ts {obj['ts']!r} is not RFC 3339 UTC with microseconds and Z")
    try:
        canonical = canonical_json(obj)
    except ValueError as exc:
        return bad(f"not canonical JSON: {exc}")
    if canonical != line:
        at = next(
            (i for i, (a, b) in enumerate(zip(canonical, line, strict=False)) if a != b),
            min(len(canonical), len(line)),
        )
        return bad(
            "not in canonical JSON form (sorted keys, no whitespace, raw UTF-8, integers only; "
            f"first difference at byte {at})"
        )
    if seq != index:
        hint = (
            "an entry before it is missing or entries were reordered"
            if seq > index
            else "an entry was inserted before it or entries were reordered"
        )
        return bad(f"seq is {seq}, expected {index} ({hint})", seq)
    return None


def _fast_line_ok(line: bytes, index: int) -> bool:
    """The fast check for one line, as a regex: the specification `_fast_lines_ok` follows."""
    match = _FAST_LINE_RE.fullmatch(line)
    if match is None or int(match[1]) != index:
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _digit_column(lo: int, hi: int, power: int) -> bytes:
    """ASCII digit `(i // 10**power) % 10` for each `i` in `range(lo, hi)`, built by repetition."""
    block = 10**power
    period = b"".join(bytes([0x30 + digit]) * block for digit in range(10))
    start = lo % len(period)
    return (period * ((start + hi - lo) // len(period) + 1))[start : start + hi - lo]


def _fast_lines_ok(data: bytes, lines: Sequence[bytes]) -> bool:
    """`all(_fast_line_ok(line, i))` for `lines == data.split(b"\\n")[:-1]`, in bulk operations.

    Each step is one C-level pass over bytes, so the cost is a small fraction of hashing:
    * prefix: `data` starts with it and `"\\n" + prefix` occurs once per later line;
    * UTF-8: an incremental decoder over small chunks;
    * tail: the last `43 + d` bytes of the lines whose index has `d` digits are gathered into
      one fixed-width record string. Mapping digits to `0` and comparing with the expected
      shape checks every byte class at once; comparing each column of the `seq` digits
      (an extended slice) with the same column of the numbers `lo..hi-1` (`_digit_column`)
      checks the values; each two-digit time field is range-checked by reading the tens and units
      columns as big integers, computing `10 * tens + units` per byte lane (no lane exceeds
      99, so no carries), and deleting the allowed values with `bytes.translate`.
    """
    n = len(lines)
    if n == 0:
        return True
    if not data.startswith(_PREFIX) or data.count(b"\n" + _PREFIX) != n - 1:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    view, chunk = memoryview(data), 1 << 16  # small chunks: no 150 MB str, stays in cache
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(view[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    lo, digits = 0, 1
    while lo < n:
        hi = min(n, 10**digits)
        count, width = hi - lo, 43 + digits
        records = b"".join(map(itemgetter(slice(-width, None)), lines[lo:hi]))
        shape = b',"seq":' + b"0" * digits + b',"ts":' + _TS_SHAPE
        if records.translate(_DIGITS_TO_ZERO) != shape * count:
            return False
        for k in range(digits):
            if records[7 + k :: width] != _digit_column(lo, hi, digits - 1 - k):
                return False
        ts = 13 + digits  # offset of the opening quote of the timestamp in a record
        zero = int.from_bytes(b"0" * count, "big")
        for offset, allowed in _TS_FIELDS:
            tens = int.from_bytes(records[ts + offset :: width], "big") - zero
            units = int.from_bytes(records[ts + offset + 1 :: width], "big") - zero
            if (tens * 10 + units).to_bytes(count, "big").translate(None, allowed):
                return False
        lo, digits = hi, digits + 1
    return True


def _first_bad_entry(lines: Sequence[bytes], newline_missing: bool) -> EntryProblem | None:
    """The first line failing the strict check (or lacking its final newline)."""
    for index, line in enumerate(lines):
        problem = check_entry(line, index)
        if problem is not None:
            return problem
    if newline_missing:
        return EntryProblem(len(lines) - 1, "does not end in a newline (the file is cut short?)")
    return None


# --------------------------------------------------------------------------------------------
# The bundle
# --------------------------------------------------------------------------------------------


class _Old(NamedTuple):
    label: str
    checkpoint: Checkpoint
    lines: list[bytes] | None  # the entries, when an earlier export directory was given


class _Failure(Exception):
    pass


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _Failure(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _split_lines(data: bytes) -> tuple[list[bytes], bool]:
    """Lines without their newlines, and whether the last line lacks one."""
    lines = data.split(b"\n")
    last = lines.pop()
    if last:
        lines.append(last)
        return lines, True
    return lines, False


def _load_old(path: Path, key: VerifierKey, origin: str) -> _Old:
    label = str(path)
    export = path.is_dir()
    note_path = path / CHECKPOINT if export else path
    try:
        old = verify_note(_read(note_path, "old checkpoint"), key)
    except CheckpointError as exc:
        raise _Failure(f"old checkpoint {note_path}: {exc}") from None
    if old.origin != origin:
        raise _Failure(f"old checkpoint {note_path} is for log {old.origin!r}, not {origin!r}")
    if not export:
        return _Old(label, old, None)
    lines, newline_missing = _split_lines(_read(path / ENTRIES, "old export"))
    if newline_missing or len(lines) != old.size or root_from_entries(lines) != old.root:
        raise _Failure(
            f"old export {path} does not match its own checkpoint, so it cannot serve as a "
            "reference (verify it on its own first)"
        )
    return _Old(label, old, lines)


def _old_paths(old: str | Path | Sequence[str | Path] | None) -> list[Path]:
    if old is None:
        return []
    if isinstance(old, str | Path):
        return [Path(old)]
    return [Path(p) for p in old]


def verify_bundle(
    bundle_dir: str | Path,
    old_checkpoint_path: str | Path | Sequence[str | Path] | None = None,
    *,
    strict: bool = False,
    key_path: str | Path | None = None,
) -> VerifyResult:
    """Verify an export bundle; never raises for bad input, the result says what is wrong.

    `old_checkpoint_path` is one path or several: each an older signed checkpoint or an earlier
    export directory. `key_path` pins the verifier key instead of the bundle's `key.vkey`.
    """
    bundle = Path(bundle_dir)
    try:
        return _verify(bundle, _old_paths(old_checkpoint_path), strict, key_path)
    except _Failure as exc:
        return VerifyResult(ok=False, message=str(exc), problems=(str(exc),), strict=strict)


def _verify(
    bundle: Path, old_paths: list[Path], strict: bool, key_path: str | Path | None
) -> VerifyResult:
    key_file = Path(key_path) if key_path is not None else bundle / KEY
    try:
        key = parse_verifier_key(_read(key_file, "verifier key"))
    except (CheckpointError, UnicodeDecodeError) as exc:
        raise _Failure(f"verifier key {key_file}: {exc}") from None
    try:
        signed = verify_note(_read(bundle / CHECKPOINT, "checkpoint"), key)
    except CheckpointError as exc:
        raise _Failure(f"checkpoint {bundle / CHECKPOINT}: {exc}") from None
    olds = [_load_old(path, key, signed.origin) for path in old_paths]

    data = _read(bundle / ENTRIES, "entries")
    lines, newline_missing = _split_lines(data)
    count = len(lines)

    struct: EntryProblem | None = None
    checked = strict or newline_missing or not _fast_lines_ok(data, lines)
    if checked:  # strict mode, or the fast check flagged a line: the strict check decides
        struct = _first_bad_entry(lines, newline_missing)
    trusted = [(signed.size, signed.root)] + [(o.checkpoint.size, o.checkpoint.root) for o in olds]
    roots = prefix_roots(lines, [size for size, _ in trusted])
    signed_ok = count == signed.size and roots.get(signed.size) == signed.root
    olds_ok = all(roots.get(o.checkpoint.size) == o.checkpoint.root for o in olds)

    summary = VerifyResult(
        ok=False,
        message="",
        origin=signed.origin,
        size=signed.size,
        root=signed.root,
        entries=count,
        old_sizes=tuple(o.checkpoint.size for o in olds),
        strict=strict,
    )
    if struct is None and signed_ok and olds_ok:
        return replace(summary, ok=True, message=_ok_message(signed, key, olds, strict))
    if not checked:
        struct = _first_bad_entry(lines, newline_missing)
    return _diagnose(signed, olds, lines, roots, struct, summary)


def _ok_message(signed: Checkpoint, key: VerifierKey, olds: list[_Old], strict: bool) -> str:
    message = (
        f"OK: {signed.origin}: {signed.size} entries, root {b64encode(signed.root)}, "
        f"signed by {key.name}+{key.key_hash.hex()}"
    )
    if olds:
        sizes = ", ".join(str(o.checkpoint.size) for o in olds)
        message += f"; consistent with older checkpoint(s) of size {sizes}"
    return message + ("; strict entry checks" if strict else "; fast entry checks")


class _Range(NamedTuple):
    hi: int  # the first bad entry is before this index ...
    why: str
    lo: int = 0  # ... and not before this one
    from_roots: bool = True  # only root hashes say so: they cannot tell which entry


def _diagnose(
    signed: Checkpoint,
    olds: list[_Old],
    lines: list[bytes],
    roots: dict[int, bytes],
    struct: EntryProblem | None,
    summary: VerifyResult,
) -> VerifyResult:
    """Turn the evidence into a first bad entry (or range) and messages; see the docstring."""
    count = len(lines)
    known: list[tuple[int, str]] = []  # entries shown to be bad
    ranges: list[_Range] = []
    good: list[int] = [0]  # prefix sizes whose entries are known to be as signed
    notes: list[str] = []

    if struct is not None:
        i = struct.index
        if struct.seq is not None and struct.seq == i - 1:  # entry i - 1 passed: a duplicate
            why = f"entries {i - 1} and {i} both have seq {struct.seq}: one of them was inserted"
            ranges.append(_Range(i + 1, why, i - 1, from_roots=False))
        else:
            known.append((i, struct.text))

    for old in olds:
        size, label = old.checkpoint.size, old.label
        if size > signed.size:
            known.append(
                (
                    signed.size,
                    f"missing: old checkpoint {label} signed {size} entries, the checkpoint only "
                    f"{signed.size}; the log must only grow, so entries {signed.size}..{size - 1} "
                    "were removed (whether earlier entries changed cannot be checked against it)",
                )
            )
        elif size > count:
            ranges.append(
                _Range(
                    count + 1,
                    f"old checkpoint {label} signed {size} entries, the bundle has {count}",
                )
            )
        elif roots[size] == old.checkpoint.root:
            good.append(size)
        elif count == signed.size and roots[signed.size] == signed.root:
            why = (
                f"history was rewritten: the entries match the checkpoint, but the first {size} "
                f"do not match old checkpoint {label}, which the same key signed earlier"
            )
            ranges.append(_Range(size, why))
        else:
            ranges.append(
                _Range(size, f"the first {size} entries do not match old checkpoint {label}")
            )
        if old.lines is not None:
            differs = next(
                (i for i, (a, b) in enumerate(zip(old.lines, lines, strict=False)) if a != b),
                None,
            )
            if differs is not None:
                known.append((differs, f"differs from the earlier export {label}"))
            elif len(old.lines) > count:
                known.append((count, f"missing: it is in the earlier export {label}"))
            else:
                good.append(len(old.lines))

    if count == signed.size:
        if roots[signed.size] == signed.root:
            good.append(count)
        else:
            ranges.append(
                _Range(
                    count, f"the {count} entries do not hash to the root signed in the checkpoint"
                )
            )
    elif count < signed.size:
        ranges.append(
            _Range(count + 1, f"the checkpoint signs {signed.size} entries, the bundle has {count}")
        )
    elif roots[signed.size] == signed.root:
        known.append(
            (
                signed.size,
                f"not covered by the checkpoint: the bundle has {count} entries, the checkpoint "
                f"signs {signed.size}",
            )
        )
    else:
        ranges.append(
            _Range(signed.size, f"the first {signed.size} entries do not hash to the signed root")
        )
        notes.append(f"the bundle has {count} entries, the checkpoint signs {signed.size}")

    messages = [f"entry {index}: {why}" for index, why in sorted(known)]
    first_bad: int | None = min(known)[0] if known else None
    bad_range: tuple[int, int] | None = None
    if ranges:
        tightest = min(ranges)
        lo = max([tightest.lo] + [size for size in good if size < tightest.hi])
        if first_bad is None or tightest.hi <= first_bad:
            first_bad = None
            if tightest.hi - lo == 1:
                first_bad = lo
                messages.insert(0, f"entry {lo}: {tightest.why}")
            else:
                bad_range = (lo, tightest.hi)
                text = f"entries {lo}..{tightest.hi - 1}: {tightest.why}"
                if tightest.from_roots:
                    text += (
                        "; the first bad entry is among them, but they are all well-formed and "
                        "in sequence, so root hashes cannot say which (--old with an older "
                        "checkpoint narrows it down, an earlier export directory names it)"
                    )
                messages.insert(0, text)
            ranges.remove(tightest)
        messages.extend(r.why for r in sorted(ranges))
    messages.extend(notes)
    if not messages:  # defensive: _diagnose is only called when a check failed
        messages.append("the bundle does not verify")
    return replace(
        summary,
        message=messages[0],
        problems=tuple(messages),
        first_bad_entry=first_bad,
        bad_range=bad_range,
    )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m audit.verify",
        description="Verify a Kokous audit-log export offline (RFC 9162 + signed checkpoint).",
    )
    parser.add_argument(
        "bundle", metavar="DIR", help="export with entries.jsonl, checkpoint, key.vkey"
    )
    parser.add_argument(
        "--old",
        action="append",
        default=[],
        metavar="CHECKPOINT",
        help="an older signed checkpoint (or earlier export directory) to check consistency "
        "with; may be repeated",
    )
    parser.add_argument(
        "--strict", action="store_true", help="also parse and re-serialise every entry (slower)"
    )
    parser.add_argument(
        "--key", metavar="KEY.vkey", help="verifier key to use instead of DIR/key.vkey"
    )
    args = parser.parse_args(argv)
    result = verify_bundle(args.bundle, args.old, strict=args.strict, key_path=args.key)
    if result.ok:
        print(result.message)
        return 0
    print(f"FAILED: {result.message}", file=sys.stderr)
    for problem in result.problems[1:]:
        print(f"  also: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
