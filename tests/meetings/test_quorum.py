"""Päätösvaltaisuus (quorum) — meetings/quorum.py. Pure domain tests: no Django, no database.

R34 (KL 103 § thresholds), R35 (per-item finding), R11 (electronic participants are present),
R37 (disqualified persons leave), R29/R30 (extra attendees never count, substitutes do).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetings.quorum import (
    BodyKind,
    NotCountedReason,
    RosterEntry,
    evaluate_quorum,
    is_quorate,
    required_present,
)

NON_COUNCIL = [BodyKind.BOARD, BodyKind.COMMITTEE, BodyKind.SECTION, BodyKind.OTHER]

kinds = st.sampled_from(list(BodyKind))
seat_counts = st.integers(min_value=1, max_value=10_000)


# --- thresholds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "seats", "required"),
    [
        ("council", 27, 18),  # 2/3 × 27 = 18 exactly
        ("council", 43, 29),  # 2/3 × 43 = 28.67 → 29
        ("board", 9, 5),  # 9/2 = 4.5 → more than that is 5
        ("board", 10, 6),  # 10/2 = 5 → more than half is 6
        ("board", 11, 6),  # 11/2 = 5.5 → 6
        ("committee", 9, 5),
    ],
)
def test_required_present_examples_r34(kind: str, seats: int, required: int) -> None:
    """R34: the worked examples of KL 103 § thresholds."""
    assert required_present(kind, seats) == required


@pytest.mark.parametrize(
    ("seats", "required"),
    [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (51, 34), (59, 40), (79, 53), (85, 57)],
)
def test_council_two_thirds_small_and_real_sizes_r34(seats: int, required: int) -> None:
    """R34: council sizes, including real councillor numbers of KL 16 § (51, 59, 79, 85)."""
    assert required_present("council", seats) == required


@pytest.mark.parametrize("kind", NON_COUNCIL)
def test_all_non_council_bodies_use_more_than_half_r34(kind: BodyKind) -> None:
    """R34: board, committee, section and other bodies share the "more than half" rule."""
    assert [required_present(kind, n) for n in range(1, 8)] == [1, 2, 2, 3, 3, 4, 4]


def test_kind_accepts_plain_strings_and_enum_members() -> None:
    assert required_present("section", 7) == required_present(BodyKind.SECTION, 7) == 4


@pytest.mark.parametrize("seats", [0, -1])
def test_seats_must_be_positive(seats: int) -> None:
    with pytest.raises(ValueError, match="seats"):
        required_present("board", seats)


@pytest.mark.parametrize("seats", [True, 9.0, "9"])
def test_seats_must_be_an_int(seats: object) -> None:
    with pytest.raises(TypeError, match="seats"):
        required_present("board", seats)  # type: ignore[arg-type]


def test_unknown_body_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown body kind 'valtuusto'"):
        required_present("valtuusto", 27)


@given(seats=seat_counts)
def test_council_threshold_is_least_integer_at_least_two_thirds_r34(seats: int) -> None:
    """R34: council quorum is the least integer n with n >= 2/3 × seats (exact Fractions)."""
    required = required_present("council", seats)
    two_thirds = Fraction(2 * seats, 3)
    assert required >= two_thirds
    assert required - 1 < two_thirds
    assert 1 <= required <= seats


@given(kind=st.sampled_from(NON_COUNCIL), seats=seat_counts)
def test_other_threshold_is_least_integer_more_than_half_r34(kind: BodyKind, seats: int) -> None:
    """R34: other bodies need the least integer n with n > 1/2 × seats."""
    required = required_present(kind, seats)
    half = Fraction(seats, 2)
    assert required > half
    assert required - 1 <= half
    assert 1 <= required <= seats


@given(kind=kinds, seats=seat_counts, data=st.data())
def test_is_quorate_is_threshold_and_monotone_r34(
    kind: BodyKind, seats: int, data: st.DataObject
) -> None:
    """R34: quorate exactly from the threshold on; one more present member never breaks it."""
    present = data.draw(st.integers(min_value=0, max_value=seats - 1))
    assert is_quorate(kind, seats, present) == (present >= required_present(kind, seats))
    if is_quorate(kind, seats, present):
        assert is_quorate(kind, seats, present + 1)
    assert is_quorate(kind, seats, seats)
    assert not is_quorate(kind, seats, 0)


def test_present_count_above_seats_is_a_caller_error_r34() -> None:
    """R34: extra attendees never count, so more "present" than seats is a bug, not quorum."""
    with pytest.raises(ValueError, match="exceeds the 9 seats"):
        is_quorate("board", 9, 10)
    with pytest.raises(ValueError, match="present_count"):
        is_quorate("board", 9, -1)


# --- roster evaluation --------------------------------------------------------------------------


def member(person: str, seat: str | None = None, **flags: bool) -> RosterEntry:
    """An acting, present, not disqualified member in his or her own seat unless told."""
    values = {"present": True, "disqualified": False, "acting": True} | flags
    return RosterEntry(person_id=person, seat_id=seat or person, **values)


def test_board_of_nine_with_five_present_is_quorate_r34_r11() -> None:
    """R34, R11: five of nine present (remote members included by the caller) is quorate."""
    roster = [member(f"m{i}") for i in range(5)] + [
        member(f"m{i}", present=False) for i in range(5, 9)
    ]
    finding = evaluate_quorum("board", 9, roster)
    assert (finding.required, finding.present_count, finding.quorate) == (5, 5, True)
    assert finding.counted_seat_ids == ("m0", "m1", "m2", "m3", "m4")
    assert finding.counted_person_ids == finding.counted_seat_ids
    assert [(n.person_id, n.reason) for n in finding.not_counted] == [
        (f"m{i}", NotCountedReason.ABSENT) for i in range(5, 9)
    ]
    assert not finding.has_conflicts


def test_substitute_acting_for_absent_member_counts_r30_r34() -> None:
    """R30, R34: a personal substitute acting for an absent member fills the member's seat."""
    roster = [
        member("m1"),
        member("m2"),
        member("m3", present=False),
        member("v3", seat="m3"),  # varajäsen of m3, called in
    ]
    finding = evaluate_quorum("committee", 5, roster)
    assert finding.present_count == 3
    assert finding.quorate
    assert finding.counted_seat_ids == ("m1", "m2", "m3")
    assert finding.counted_person_ids == ("m1", "m2", "v3")


def test_substitute_and_member_both_acting_count_once_and_conflict_r30_r34() -> None:
    """R30, R34: member present and substitute also acting for that seat — the seat counts once
    and the finding reports the conflict for the chair to resolve."""
    roster = [member("m1"), member("m2"), member("v2", seat="m2")]
    finding = evaluate_quorum("board", 5, roster)
    assert finding.present_count == 2
    assert not finding.quorate  # 5 seats need 3; the substitute does not make it quorate
    assert finding.counted_seat_ids == ("m1", "m2")
    assert finding.conflicting_seat_ids == ("m2",)
    assert finding.has_conflicts
    (extra,) = finding.not_counted
    assert (extra.person_id, extra.seat_id, extra.reason) == (
        "v2",
        "m2",
        NotCountedReason.SEAT_CONFLICT,
    )


def test_disqualified_member_leaves_and_substitute_may_fill_the_seat_r37_r35() -> None:
    """R37, R35: an esteellinen member does not count for the item; a substitute called in
    for that item fills the seat without a conflict."""
    without_substitute = [member("m1"), member("m2"), member("m3", disqualified=True)]
    finding = evaluate_quorum("section", 4, without_substitute)
    assert (finding.present_count, finding.quorate) == (2, False)
    assert finding.not_counted[0].reason is NotCountedReason.DISQUALIFIED

    with_substitute = [*without_substitute, member("v3", seat="m3")]
    finding = evaluate_quorum("section", 4, with_substitute)
    assert (finding.present_count, finding.quorate) == (3, True)
    assert finding.counted_person_ids == ("m1", "m2", "v3")
    assert not finding.has_conflicts


def test_extra_attendees_never_count_r29_r34() -> None:
    """R29, R34: presenter, secretary, mayor and uncalled substitutes do not count."""
    roster = [
        member("m1"),
        member("m2"),
        RosterEntry("presenter", None, present=True, disqualified=False, acting=False),
        RosterEntry("secretary", None, present=True, disqualified=False, acting=False),
        member("v3", seat="m3", acting=False),  # substitute present but not called in
    ]
    finding = evaluate_quorum("board", 5, roster)
    assert finding.present_count == 2
    assert not finding.quorate
    assert {n.person_id for n in finding.not_counted} == {"presenter", "secretary", "v3"}
    assert {n.reason for n in finding.not_counted} == {NotCountedReason.NOT_ACTING}


def test_council_of_27_needs_18_r34() -> None:
    """R34: 17 councillors and 1 varavaltuutettu acting → exactly the 18 needed."""
    roster = [member(f"c{i}") for i in range(17)] + [member("vv1", seat="c17")]
    assert evaluate_quorum("council", 27, roster).quorate
    assert not evaluate_quorum("council", 27, roster[:-1]).quorate


def test_acting_without_seat_is_rejected() -> None:
    with pytest.raises(ValueError, match="acting but fills no seat"):
        RosterEntry("x", None, present=True, disqualified=False, acting=True)


def test_person_twice_in_roster_is_rejected() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        evaluate_quorum("board", 5, [member("m1"), member("m1", seat="m2")])


def test_roster_filling_more_seats_than_the_body_has_is_rejected() -> None:
    with pytest.raises(ValueError, match="fills 3 distinct seats but the body has only 2"):
        evaluate_quorum("board", 2, [member("m1"), member("m2"), member("m3")])


def test_empty_roster_is_not_quorate() -> None:
    finding = evaluate_quorum("board", 9, [])
    assert (finding.present_count, finding.quorate, finding.not_counted) == (0, False, ())


@st.composite
def rosters(draw: st.DrawFn) -> tuple[BodyKind, int, list[RosterEntry]]:
    kind = draw(kinds)
    seats = draw(st.integers(min_value=1, max_value=15))
    size = draw(st.integers(min_value=0, max_value=3 * seats))
    entries = []
    for person in range(size):
        acting = draw(st.booleans())
        seat = draw(st.integers(min_value=0, max_value=seats - 1))
        entries.append(
            RosterEntry(
                person_id=person,
                seat_id=seat if acting else draw(st.none() | st.just(seat)),
                present=draw(st.booleans()),
                disqualified=draw(st.booleans()),
                acting=acting,
            )
        )
    return kind, seats, entries


def eligible(entry: RosterEntry) -> bool:
    return entry.acting and entry.present and not entry.disqualified


@given(rosters())
def test_roster_properties_r34_r35_r37(case: tuple[BodyKind, int, list[RosterEntry]]) -> None:
    """R34, R35, R37 on random rosters: a seat never counts twice; disqualified, absent and
    non-acting persons never count; every entry is either counted or listed with a reason;
    a conflict is reported exactly for seats filled by two or more eligible persons."""
    kind, seats, roster = case
    finding = evaluate_quorum(kind, seats, roster)

    assert len(set(finding.counted_seat_ids)) == len(finding.counted_seat_ids)
    assert finding.present_count == len(finding.counted_seat_ids) <= seats
    assert finding.counted_seat_ids == tuple(
        dict.fromkeys(e.seat_id for e in roster if eligible(e))
    )
    assert finding.quorate == is_quorate(kind, seats, finding.present_count)
    assert finding.required == required_present(kind, seats)

    by_person = {e.person_id: e for e in roster}
    for person in finding.counted_person_ids:
        assert eligible(by_person[person])
    for entry in finding.not_counted:
        source = by_person[entry.person_id]
        if not source.acting:
            assert entry.reason is NotCountedReason.NOT_ACTING
        elif source.disqualified:
            assert entry.reason is NotCountedReason.DISQUALIFIED
        elif not source.present:
            assert entry.reason is NotCountedReason.ABSENT
        else:
            assert entry.reason is NotCountedReason.SEAT_CONFLICT
    assert len(finding.counted_person_ids) + len(finding.not_counted) == len(roster)

    eligible_per_seat: dict[object, int] = {}
    for entry in filter(eligible, roster):
        eligible_per_seat[entry.seat_id] = eligible_per_seat.get(entry.seat_id, 0) + 1
    assert set(finding.conflicting_seat_ids) == {s for s, n in eligible_per_seat.items() if n > 1}


@given(rosters())
def test_removing_non_counting_entries_changes_nothing_r34_r37(
    case: tuple[BodyKind, int, list[RosterEntry]],
) -> None:
    """R34, R37: dropping every disqualified, absent or non-acting entry leaves the count as is;
    a seat's duplicate eligible entries add nothing either."""
    kind, seats, roster = case
    full = evaluate_quorum(kind, seats, roster)
    reduced = evaluate_quorum(kind, seats, [e for e in roster if eligible(e)])
    assert reduced.counted_seat_ids == full.counted_seat_ids
    assert reduced.quorate == full.quorate
