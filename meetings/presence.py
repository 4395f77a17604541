"""Who is taking part in the handling of an item right now (R11, R29, R34–R37, R72, R73).

Voting, seconding, proposing and quorum all ask these functions, so the rule "only present,
acting, not disqualified, connected members decide" lives here only: as a query and, for the
ballot path, for one loaded row; `tests/meetings/test_presence_rules.py` keeps the two equal.

* :func:`deciding_participants` / :func:`is_deciding` — who decides in an item right now;
  :func:`participant_decides` — the same for one participant row already read;
* :func:`item_quorum` / :func:`meeting_quorum` — the quorum finding (KL 103 §, R34, R35) from
  the pure :func:`meetings.quorum.evaluate_quorum`;
* :func:`require_quorum` — the guard the voting code calls before opening a vote or stating a
  decision (raises ``meeting.no_quorum``);
* :func:`item_attendance` — attendance per item for the minutes, derived from the presence
  intervals overlapping the item's handling time (R49, R73).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from meetings import private_place, quorum
from meetings.models import (
    AgendaItem,
    AttendanceMode,
    ConnectionState,
    Disqualification,
    Meeting,
    Participant,
    ParticipantRole,
    PresenceInterval,
    PrivatePlaceConfirmation,
)

_LOST_CONNECTION = [ConnectionState.DISCONNECTED, ConnectionState.REJOINED]


def _acting_q(item: AgendaItem | None) -> Q:
    """Members, substitutes acting for the whole meeting, and (for `item`) item substitutes."""
    acting = Q(role=ParticipantRole.MEMBER) | Q(
        role=ParticipantRole.SUBSTITUTE, acting_for__isnull=False, item_scoped=False
    )
    if item is not None:
        acting |= Q(
            role=ParticipantRole.SUBSTITUTE,
            acting_for__isnull=False,
            item_scoped=True,
            pk__in=item.substitutions.values("substitute_id"),
        )
    return acting


def _disqualified_ids(item: AgendaItem) -> QuerySet[Disqualification]:
    return item.disqualifications.exclude(body_decision="rejected").values("participant_id")


def deciding_participants(item: AgendaItem) -> QuerySet[Participant]:
    """Members and acting substitutes present for `item` and not disqualified from it.

    A remote participant whose connection is lost is treated as having left (R72), and one who
    rejoined counts again only after the chair or secretary re-confirms them. A substitute
    called in for one item only (the member is disqualified, R30, R37) decides only in that item.
    In an item handled in a closed session a remote participant takes part only after attesting
    a private place for it (R9, R75, `meetings.private_place`).
    """
    return (
        Participant.objects.filter(meeting_id=item.meeting_id, is_present=True, removed=False)
        .filter(_acting_q(item))
        .exclude(connection_state__in=_LOST_CONNECTION)
        .exclude(pk__in=_disqualified_ids(item))
        .exclude(pk__in=private_place.unconfirmed_ids(item))
        .select_related("person")
    )


def is_deciding(item: AgendaItem, person_id: int) -> bool:
    return deciding_participants(item).filter(person_id=person_id).exists()


def participant_decides(item: AgendaItem, participant: Participant) -> bool:
    """Whether `participant` (a row of `item`'s meeting) is among `deciding_participants(item)`.

    The same rule for one loaded row, for the ballot path where 85 or 300 members ask at once
    (docs/performance-live.md): the row's own fields are read in Python, and the database is
    asked only what the row cannot tell — one query for a disqualification, and only for the
    rarer cases one for an item substitution or a private-place attestation.
    `tests/meetings/test_presence_rules.py` checks it against `deciding_participants` for every
    combination of the rule's inputs.
    """
    if participant.meeting_id != item.meeting_id:
        return False
    if not participant.is_present or participant.removed:
        return False
    if participant.connection_state in _LOST_CONNECTION:
        return False
    if participant.role == ParticipantRole.MEMBER:
        pass
    elif participant.role == ParticipantRole.SUBSTITUTE and participant.acting_for_id is not None:
        if participant.item_scoped and not item.substitutions.filter(
            substitute_id=participant.pk
        ).exists():
            return False
    else:
        return False
    if _disqualified_ids(item).filter(participant_id=participant.pk).exists():
        return False
    return not (
        participant.mode == AttendanceMode.REMOTE
        and private_place.requires_private_place(item)
        and not private_place.is_confirmed(participant, item)
    )


def _roster(meeting: Meeting, item: AgendaItem | None) -> list[quorum.RosterEntry]:
    disqualified: set[int] = set()
    scoped_here: set[int] = set()
    unconfirmed: set[int] = set()  # not taking part in a closed item (R75)
    if item is not None:
        disqualified = set(_disqualified_ids(item).values_list("participant_id", flat=True))
        scoped_here = set(item.substitutions.values_list("substitute_id", flat=True))
        unconfirmed = set(private_place.unconfirmed_ids(item).values_list("pk", flat=True))
    entries = []
    participants = Participant.objects.filter(meeting=meeting).filter(
        Q(role=ParticipantRole.MEMBER) | Q(role=ParticipantRole.SUBSTITUTE)
    )
    for p in participants.order_by("pk"):
        if p.role == ParticipantRole.MEMBER:
            seat, acting = p.membership_id, p.membership_id is not None
        else:
            seat = p.acting_for_id
            acting = seat is not None and (not p.item_scoped or p.pk in scoped_here)
        present = (
            p.is_present and not p.removed and p.connection_state not in _LOST_CONNECTION
            and p.pk not in unconfirmed
        )
        entries.append(
            quorum.RosterEntry(
                person_id=p.person_id,
                seat_id=seat,
                present=present,
                disqualified=p.pk in disqualified,
                acting=acting,
            )
        )
    return entries


def item_quorum(item: AgendaItem) -> quorum.QuorumFinding:
    """Päätösvaltaisuus for `item` right now (KL 103 §, R34, R35, R37)."""
    body = item.meeting.body
    return quorum.evaluate_quorum(body.kind, body.seats, _roster(item.meeting, item))


def meeting_quorum(meeting: Meeting) -> quorum.QuorumFinding:
    """Päätösvaltaisuus of the meeting as a whole (at opening and after a break, R35, R73)."""
    return quorum.evaluate_quorum(meeting.body.kind, meeting.body.seats, _roster(meeting, None))


def finding_as_data(finding: quorum.QuorumFinding) -> dict[str, object]:
    """The finding as audit data: integers and lists only (R35: roster snapshot)."""
    return {
        "required": finding.required,
        "present": finding.present_count,
        "quorate": 1 if finding.quorate else 0,
        "counted_person_ids": [int(p) for p in finding.counted_person_ids],  # type: ignore[arg-type]
        "conflicting_seat_ids": [int(s) for s in finding.conflicting_seat_ids],  # type: ignore[arg-type]
    }


def require_quorum(item: AgendaItem) -> quorum.QuorumFinding:
    """Raise ``meeting.no_quorum`` unless `item` is quorate now; return the finding (R35).

    The voting code calls this before opening a vote or stating a decision, inside its
    transaction, so that the refusal rolls everything back.
    """
    from meetings.errors import meeting_error

    finding = item_quorum(item)
    if not finding.quorate:
        raise meeting_error(
            "meeting.no_quorum", present=finding.present_count, required=finding.required
        )
    return finding


@dataclass(frozen=True)
class ItemAttendance:
    """One participant's attendance in one item, for the minutes (R37, R49, R73)."""

    participant_id: int
    person_id: int
    name: str
    role: str
    seat_id: int | None
    acting_for_person_id: int | None
    item_substitute: bool
    present: bool  # present at some moment of the handling and not disqualified
    whole_item: bool  # present for the whole handling
    arrived_during: tuple[dt.datetime, ...]
    left_during: tuple[dt.datetime, ...]
    disqualified: bool
    disqualification_ground: str
    #: A remote participant who never attested a private place for this closed item and so did
    #: not take part in it (R9, R75), though connected.
    private_place_unconfirmed: bool = False


def item_attendance(item: AgendaItem, *, until: dt.datetime | None = None) -> list[ItemAttendance]:
    """Attendance in `item`, derived by overlapping presence intervals with the item's
    handling time [opened_at, closed_at] (an open item is measured until `until` or now).

    An item never opened in a meeting (e.g. decided in the § 100 procedure) has no attendance.
    """
    if item.opened_at is None:
        return []
    start = item.opened_at
    end = item.closed_at or until or timezone.now()
    disq = {
        d.participant_id: d
        for d in item.disqualifications.exclude(body_decision="rejected")
    }
    scoped_here = set(item.substitutions.values_list("substitute_id", flat=True))
    # Closed item (R9, R75): a remote participant takes part only from an attestation on; one
    # who attested and later dropped took part until the drop (the interval ends there).
    needs_attestation = private_place.requires_private_place(item)
    attested = (
        set(PrivatePlaceConfirmation.objects.filter(item=item).values_list("participant_id",
                                                                            flat=True))
        if needs_attestation else set()
    )
    rows: list[ItemAttendance] = []
    participants = (
        Participant.objects.filter(meeting_id=item.meeting_id)
        .select_related("person", "acting_for")
        .order_by("role", "person__last_name", "pk")
    )
    intervals: dict[int, list[PresenceInterval]] = {}
    for iv in PresenceInterval.objects.filter(participant__meeting_id=item.meeting_id):
        intervals.setdefault(iv.participant_id, []).append(iv)
    for p in participants:
        if p.role == ParticipantRole.SUBSTITUTE and p.item_scoped and p.pk not in scoped_here:
            continue
        overlapping = [
            iv for iv in intervals.get(p.pk, [])
            if iv.started_at <= end and (iv.ended_at is None or iv.ended_at >= start)
        ]
        covered = any(
            iv.started_at <= start and (iv.ended_at is None or iv.ended_at >= end)
            for iv in overlapping
        )
        d = disq.get(p.pk)
        unconfirmed = (
            needs_attestation and p.mode == AttendanceMode.REMOTE and p.pk not in attested
        )
        rows.append(
            ItemAttendance(
                participant_id=p.pk,
                person_id=p.person_id,
                name=p.person.full_name,
                role=p.role,
                seat_id=p.seat_id,
                acting_for_person_id=p.acting_for.person_id if p.acting_for_id else None,
                item_substitute=p.pk in scoped_here,
                present=bool(overlapping) and d is None and not unconfirmed,
                whole_item=covered and d is None and not unconfirmed,
                arrived_during=tuple(
                    iv.started_at for iv in overlapping if start < iv.started_at <= end
                ),
                left_during=tuple(
                    iv.ended_at for iv in overlapping
                    if iv.ended_at is not None and start <= iv.ended_at < end
                ),
                disqualified=d is not None,
                disqualification_ground=d.ground if d is not None else "",
                private_place_unconfirmed=unconfirmed,
            )
        )
    return rows
