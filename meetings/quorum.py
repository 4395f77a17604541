"""Päätösvaltaisuus (quorum) of municipal bodies — a pure domain module, no Django import.

Legal basis (see ../shared/spec/legal-requirements.md):

* R34 — KL 410/2015 103 §: *"Valtuusto on päätösvaltainen, kun vähintään kaksi kolmasosaa
  valtuutetuista on läsnä."* Other bodies: *"kun enemmän kuin puolet jäsenistä on läsnä."*
  Substitutes acting for members count; extra attendees (presenter, secretary, officials,
  the mayor, the council chair in the board, experts, the public) never count.
* R11 — KL 103.3 §: members who take part electronically are present. This module does not
  know how a person takes part: the caller marks verified remote members ``present``.
* R35 — quorum is the chair's finding, per agenda item and continuously; the finding carries
  the roster analysis so that it can be logged with a roster snapshot.
* R37 — HL 27 §: a disqualified (esteellinen) person must leave while the item is handled, so
  he or she never counts for that item.

``seats`` is the number of seats of the body: for the council the number of councillors decided
under KL 16 § (not the number currently in office), for other bodies the number of members.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BodyKind",
    "NotCounted",
    "NotCountedReason",
    "QuorumFinding",
    "RosterEntry",
    "evaluate_quorum",
    "is_quorate",
    "required_present",
]


class BodyKind(StrEnum):
    """Kind of municipal body; only the council has a different quorum rule (R34)."""

    COUNCIL = "council"  # valtuusto: at least two thirds
    BOARD = "board"  # kunnanhallitus / kaupunginhallitus
    COMMITTEE = "committee"  # lautakunta
    SECTION = "section"  # jaosto
    OTHER = "other"  # any other toimielin: more than half


def _body_kind(kind: str) -> BodyKind:
    try:
        return BodyKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in BodyKind)
        raise ValueError(f"unknown body kind {kind!r}; expected one of: {allowed}") from None


def _check_count(name: str, value: int, minimum: int) -> None:
    # bool is an int subclass; True seats is always a caller bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def required_present(kind: str, seats: int) -> int:
    """Least number of present members for päätösvaltaisuus (KL 103 §, R34).

    * council (valtuusto): *vähintään kaksi kolmasosaa* — the least integer ``n`` with
      ``n >= 2 * seats / 3``, i.e. ``ceil(2 * seats / 3)``, computed as ``(2 * seats + 2) // 3``
      so that no float rounding can move the threshold;
    * every other body: *enemmän kuin puolet* — the least integer ``n`` with
      ``n > seats / 2``, i.e. ``seats // 2 + 1``.

    Examples: council 27 → 18, council 43 → 29, board 9 → 5, board 10 → 6.

    Raises ``ValueError`` for an unknown kind or ``seats < 1``; ``TypeError`` if seats is not an
    int.
    """
    body = _body_kind(kind)
    _check_count("seats", seats, 1)
    if body is BodyKind.COUNCIL:
        return (2 * seats + 2) // 3
    return seats // 2 + 1


def is_quorate(kind: str, seats: int, present_count: int) -> bool:
    """Whether ``present_count`` counted members make the body päätösvaltainen (R34).

    ``present_count`` is the number of *seats* filled by present, acting, non-disqualified
    members or substitutes (see :func:`evaluate_quorum`), so it cannot exceed ``seats``; a larger
    value means the caller counted extra attendees or a seat twice and raises ``ValueError``.
    """
    required = required_present(kind, seats)
    _check_count("present_count", present_count, 0)
    if present_count > seats:
        raise ValueError(
            f"present_count {present_count} exceeds the {seats} seats of the body: "
            "extra attendees or a doubly counted seat?"
        )
    return present_count >= required


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One person in the room (physically or electronically) for one agenda item.

    * ``seat_id`` — the member seat the person fills for this item: a member fills his or her
      own seat, a substitute (varajäsen / varavaltuutettu) acting for a member fills that
      member's seat (R30). ``None`` for a person who fills no seat (presenter, secretary,
      official, attendee with speaking right, R29); such a person must not be ``acting``.
    * ``present`` — present in the meeting, electronic participation included (KL 103.3 §, R11).
    * ``disqualified`` — esteellinen in this item; must leave (HL 27 §, R37).
    * ``acting`` — takes part in the decision as a member (member, or substitute called in).
    """

    person_id: Hashable
    seat_id: Hashable | None
    present: bool
    disqualified: bool
    acting: bool

    def __post_init__(self) -> None:
        if self.acting and self.seat_id is None:
            raise ValueError(f"person {self.person_id!r} is acting but fills no seat")


class NotCountedReason(StrEnum):
    """Why a roster entry does not count towards päätösvaltaisuus (R34, R37)."""

    NOT_ACTING = "not_acting"  # extra attendee, or substitute not called in: never counts
    DISQUALIFIED = "disqualified"  # esteellinen, has left for this item (HL 27 §)
    ABSENT = "absent"  # not present (incl. a dropped connection, R72)
    SEAT_CONFLICT = "seat_conflict"  # the seat was already counted for another person


@dataclass(frozen=True, slots=True)
class NotCounted:
    """A roster entry that was not counted, with the reason (for the R35 finding log)."""

    person_id: Hashable
    seat_id: Hashable | None
    reason: NotCountedReason


@dataclass(frozen=True, slots=True)
class QuorumFinding:
    """The quorum finding (päätösvaltaisuuden toteaminen) for one agenda item (R35).

    * ``counted_seat_ids`` — each seat at most once, in roster order of the person counted;
      ``present_count == len(counted_seat_ids)``. ``counted_person_ids[i]`` is the person
      counted for ``counted_seat_ids[i]`` (for the roster snapshot of the finding).
    * ``not_counted`` — every roster entry that did not count, with its reason.
    * ``conflicting_seat_ids`` — seats filled by more than one eligible person (typically a
      substitute called in although the member is present). The seat still counts once; the
      chair must resolve who acts before a vote (R30, R73).
    """

    kind: BodyKind
    seats: int
    required: int
    present_count: int
    quorate: bool
    counted_seat_ids: tuple[Hashable, ...]
    counted_person_ids: tuple[Hashable, ...]
    not_counted: tuple[NotCounted, ...]
    conflicting_seat_ids: tuple[Hashable, ...]

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicting_seat_ids)


def evaluate_quorum(kind: str, seats: int, roster: Iterable[RosterEntry]) -> QuorumFinding:
    """Evaluate päätösvaltaisuus for one agenda item from its roster (R34, R35, R11, R37).

    Rules, applied to each entry in order:

    1. a person who is not ``acting`` never counts (extra attendees, uncalled substitutes);
    2. a ``disqualified`` person does not count for this item (HL 27 §: has left, R37);
    3. a person not ``present`` does not count;
    4. each seat counts at most once: a later eligible entry for an already counted seat is
       reported as ``SEAT_CONFLICT`` and its seat in ``conflicting_seat_ids``.

    A person may appear only once in the roster, and the roster cannot fill more seats than the
    body has; both raise ``ValueError`` (they are caller bugs, never a legal state).
    """
    body = _body_kind(kind)
    required = required_present(body, seats)
    counted: dict[Hashable, Hashable] = {}  # seat_id -> person_id, insertion-ordered
    conflicts: dict[Hashable, None] = {}  # ordered set
    not_counted: list[NotCounted] = []
    seen_people: set[Hashable] = set()

    for entry in roster:
        if entry.person_id in seen_people:
            raise ValueError(f"person {entry.person_id!r} appears twice in the roster")
        seen_people.add(entry.person_id)

        reason: NotCountedReason | None = None
        if not entry.acting:
            reason = NotCountedReason.NOT_ACTING
        elif entry.disqualified:
            reason = NotCountedReason.DISQUALIFIED
        elif not entry.present:
            reason = NotCountedReason.ABSENT
        elif entry.seat_id in counted:
            reason = NotCountedReason.SEAT_CONFLICT
            conflicts[entry.seat_id] = None

        if reason is None:
            counted[entry.seat_id] = entry.person_id
        else:
            not_counted.append(NotCounted(entry.person_id, entry.seat_id, reason))

    present_count = len(counted)
    if present_count > seats:
        raise ValueError(
            f"the roster fills {present_count} distinct seats but the body has only {seats}"
        )
    return QuorumFinding(
        kind=body,
        seats=seats,
        required=required,
        present_count=present_count,
        quorate=present_count >= required,
        counted_seat_ids=tuple(counted),
        counted_person_ids=tuple(counted.values()),
        not_counted=tuple(not_counted),
        conflicting_seat_ids=tuple(conflicts),
    )
