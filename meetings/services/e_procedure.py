"""The electronic decision-making procedure (*sähköinen päätöksentekomenettely*, KL 100 §).

* Only for bodies whose administrative rule allows it, never for the council, never for an item
  handled in public (R2, R15).
* The notice lists each item with its deadline (R16) — see `services.notice`.
* Each member answers *accept the proposal* or *demand handling in a meeting* (R19), may change
  the answer until the deadline, and every version is kept (R22). A disqualified member records
  that (R20: counts as expressed, not as acceptance).
* One demand transfers the item at once; at the deadline any missing position transfers it
  (R18). The item is decided only when every member has answered **and** the deadline has
  passed (R17). "Every member" is the full membership; a personal substitute answers only if
  the body's rule allows it (R20).
* Deadlines take effect without anyone visiting: `manage.py apply_e_procedure_deadlines` for a
  scheduler, and `apply_due_e_procedure_deadlines` on every read of these items (selectors).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max

from meetings import deadlines, files, lifecycle, rules
from meetings.errors import meeting_error
from meetings.models import (
    AgendaItem,
    Attachment,
    DecisionMethod,
    EPosition,
    EProcedureAnswer,
    ItemMethod,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Membership,
    MembershipRole,
    ProposalVersion,
)
from meetings.services._common import (
    checkpoint_on_commit,
    iso,
    item_obj,
    lock_item,
    now,
    push,
    record,
    require,
)

TRANSFER_DEMAND = "demand"
TRANSFER_MISSING = "missing"


# --- validation used when items are added and when the notice is sent --------------------------


def check_e_procedure_allowed(
    meeting: Meeting, *, is_closed_handling: bool, deadline: dt.datetime | None, at: dt.datetime
) -> None:
    """Raise unless an item of `meeting` may be decided in the § 100 procedure (R2, R15, R16)."""
    body = meeting.body
    if body.is_council:
        raise meeting_error("eproc.council")
    if not body.allows(DecisionMethod.E_PROCEDURE, on=deadlines.local_date(meeting.starts_at)):
        raise meeting_error("eproc.not_allowed")
    if meeting.is_public and not is_closed_handling:
        raise meeting_error("eproc.public_item")
    if deadline is None:
        raise meeting_error("eproc.deadline_required")
    if not deadlines.e_procedure_deadline_ok(deadline, at):
        raise meeting_error("eproc.deadline_past")
    if deadline > meeting.starts_at:
        raise meeting_error("eproc.deadline_after_meeting")


# --- the state of one item --------------------------------------------------------------------


@dataclass
class SeatPosition:
    """The current position for one member seat (R17, R22)."""

    seat: Membership
    answer: EProcedureAnswer | None  # latest answer for the seat, any proposal version
    valid: bool  # the latest answer concerns the current proposal version (R23)
    history: list[EProcedureAnswer] = field(default_factory=list)

    @property
    def position(self) -> str:
        return self.answer.position if self.answer is not None and self.valid else ""


@dataclass
class EProcedureState:
    item: AgendaItem
    seats: list[SeatPosition]
    proposal: ProposalVersion | None

    @property
    def demanded(self) -> list[SeatPosition]:
        return [s for s in self.seats if s.position == EPosition.DEMAND_MEETING]

    @property
    def missing(self) -> list[SeatPosition]:
        return [s for s in self.seats if not s.position]

    @property
    def accepted(self) -> list[SeatPosition]:
        return [s for s in self.seats if s.position == EPosition.ACCEPT]

    @property
    def disqualified(self) -> list[SeatPosition]:
        return [s for s in self.seats if s.position == EPosition.DISQUALIFIED]

    @property
    def everyone_answered(self) -> bool:
        return bool(self.seats) and not self.missing

    def decidable_at(self, moment: dt.datetime) -> bool:
        """KL 100.2 §: handled when every member has answered *and* the deadline has passed."""
        return (
            self.everyone_answered
            and not self.demanded
            and self.item.e_deadline is not None
            and moment >= self.item.e_deadline
            and self.proposal is not None
        )


def member_seats(item: AgendaItem) -> list[Membership]:
    """The full membership on the deadline's date (R17: all members, not a quorum)."""
    on = deadlines.local_date(item.e_deadline) if item.e_deadline else None
    return list(
        Membership.objects.current(on)
        .filter(body_id=item.body_id, role=MembershipRole.MEMBER)
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "pk")
    )


def e_procedure_state(item: AgendaItem) -> EProcedureState:
    proposal = item.current_proposal
    if proposal is not None and proposal.withdrawn:
        proposal = None
    answers: dict[int, list[EProcedureAnswer]] = {}
    for a in item.e_answers.select_related("person").order_by("seat_id", "seq"):
        answers.setdefault(a.seat_id, []).append(a)
    seats = []
    for seat in member_seats(item):
        history = answers.get(seat.pk, [])
        latest = history[-1] if history else None
        valid = latest is not None and (
            latest.proposal_version_id == (proposal.pk if proposal else None)
        )
        seats.append(SeatPosition(seat, latest, valid, history))
    return EProcedureState(item, seats, proposal)


# --- answering --------------------------------------------------------------------------------


@dataclass
class AnswerCheck:
    item: AgendaItem
    seat: Membership
    person: Any
    position: str
    comment: str
    proposal: ProposalVersion | None


def check_answer_e_procedure(
    user: Any, item_id: int, position: str, comment: str = ""
) -> AnswerCheck:
    item = lock_item(item_id)
    meeting = item.meeting
    require(rules.can_view_meeting(user, meeting), user, meeting)
    if position not in EPosition.values:
        raise meeting_error("eproc.bad_position")
    at = now()
    if (
        item.method != ItemMethod.E_PROCEDURE
        or item.status != ItemStatus.E_PROCEDURE_OPEN
        or item.e_deadline is None
        or at >= item.e_deadline
    ):
        raise meeting_error("eproc.closed")
    person = rules.person_of(user)
    if person is None:
        raise meeting_error("eproc.not_member")
    seats = {s.pk: s for s in member_seats(item)}
    own = [s for s in seats.values() if s.person_id == person.pk]
    if own:
        seat = own[0]
    else:
        principal_ids = Membership.objects.current().filter(
            body_id=item.body_id, person=person, role=MembershipRole.SUBSTITUTE,
            substitute_for__in=list(seats),
        ).values_list("substitute_for_id", flat=True)
        principal_ids = list(principal_ids)
        if not principal_ids:
            raise meeting_error("eproc.not_member")
        if not item.body.e_procedure_substitute_may_answer:
            raise meeting_error("eproc.substitute_not_allowed")
        seat = seats[principal_ids[0]]
        # A substitute answers for a prevented member only (R20): not once the member answered.
        if item.e_answers.filter(seat=seat, person_id=seat.person_id).exists():
            raise meeting_error("eproc.member_answered")
    proposal = item.current_proposal
    if proposal is not None and proposal.withdrawn:
        proposal = None
    return AnswerCheck(item, seat, person, position, (comment or "").strip()[:4000], proposal)


def do_answer_e_procedure(check: AnswerCheck, *, actor: Any) -> EProcedureAnswer:
    item = check.item
    last = item.e_answers.filter(seat=check.seat).aggregate(n=Max("seq"))["n"] or 0
    answer = EProcedureAnswer.objects.create(
        item=item, seat=check.seat, person=check.person, user=actor, position=check.position,
        comment=check.comment, proposal_version=check.proposal, seq=last + 1,
        answered_at=now(),
    )
    record(
        actor, "eproc.answered", item_obj(item),
        {
            "answer_id": answer.pk,
            "seat_id": check.seat.pk,
            "person_id": check.person.pk,
            "position": check.position,
            "seq": answer.seq,
            "proposal_version": check.proposal.version if check.proposal else 0,
            "comment_sha256": files.sha256_hex(check.comment.encode()) if check.comment else "",
        },
    )
    push(item.meeting_id, {"type": "eproc.answered", "item": item.pk, "position": check.position})
    if check.position == EPosition.DEMAND_MEETING:
        # R18: one demand moves the matter to a meeting at once.
        do_transfer_item(item, TRANSFER_DEMAND, actor=actor)
    return answer


def answer_e_procedure(
    user: Any, item_id: int, position: str, comment: str = ""
) -> EProcedureAnswer:
    """Record (or change) a member's position in the § 100 procedure (R17–R22)."""
    with transaction.atomic():
        return do_answer_e_procedure(
            check_answer_e_procedure(user, item_id, position, comment), actor=user
        )


# --- deciding and transferring ----------------------------------------------------------------


def _seat_ids(seats: list[SeatPosition]) -> list[int]:
    return [s.seat.pk for s in seats]


def do_decide_item(item: AgendaItem, state: EProcedureState, *, actor: Any) -> AgendaItem:
    lifecycle.next_item_state(item.status, lifecycle.ItemEvent.E_DECIDE)
    proposal = state.proposal
    assert proposal is not None
    item.status = ItemStatus.DECIDED
    item.base_proposal = proposal
    item.decision_text = proposal.text
    item.closed_at = item.e_deadline  # handled when the deadline passed (KL 100.2 §)
    item.save(update_fields=["status", "base_proposal", "decision_text", "closed_at"])
    record(
        actor, "eproc.decided", item_obj(item),
        {
            "deadline": iso(item.e_deadline),
            "proposal_version": proposal.version,
            "accepted_seat_ids": _seat_ids(state.accepted),
            "disqualified_seat_ids": _seat_ids(state.disqualified),
            "decision_sha256": files.sha256_hex(item.decision_text.encode()),
        },
    )
    checkpoint_on_commit()
    push(item.meeting_id, {"type": "eproc.decided", "item": item.pk})
    return item


def next_meeting_for(item: AgendaItem, at: dt.datetime) -> Meeting | None:
    """The body's next meeting that can still take the item: draft or convened, not begun."""
    return (
        Meeting.objects.select_for_update(of=("self",))
        .filter(
            body_id=item.body_id,
            status__in=[MeetingStatus.DRAFT, MeetingStatus.CONVENED],
            starts_at__gt=at,
        )
        .order_by("starts_at", "pk")
        .first()
    )


def do_transfer_item(item: AgendaItem, reason: str, *, actor: Any) -> AgendaItem:
    """R18: the item moves to the body's next meeting — a new item there with
    `transferred_from`, or, while no meeting exists, marked transferred and pending."""
    state = e_procedure_state(item)
    lifecycle.next_item_state(item.status, lifecycle.ItemEvent.TRANSFER)
    at = now()
    item.status = ItemStatus.TRANSFERRED
    item.transfer_reason = reason
    item.closed_at = at
    item.save(update_fields=["status", "transfer_reason", "closed_at"])
    target = next_meeting_for(item, at)
    new_item = do_copy_to_meeting(item, target, actor=actor) if target is not None else None
    record(
        actor, "eproc.transferred", item_obj(item),
        {
            "reason": reason,
            "demanded_seat_ids": _seat_ids(state.demanded),
            "missing_seat_ids": _seat_ids(state.missing),
            "target_meeting_id": target.pk if target else 0,
            "new_item_id": new_item.pk if new_item else 0,
        },
    )
    checkpoint_on_commit()
    push(item.meeting_id, {"type": "eproc.transferred", "item": item.pk, "reason": reason})
    return item


def do_copy_to_meeting(item: AgendaItem, meeting: Meeting, *, actor: Any) -> AgendaItem:
    """A new item in `meeting` carrying the matter of `item` (R18); an amendment if the notice
    of `meeting` was already sent (R25)."""
    from meetings.services.agenda import do_record_amendment, next_order, next_section_number

    convened = meeting.status != MeetingStatus.DRAFT
    new = AgendaItem.objects.create(
        meeting=meeting, body=meeting.body, year=meeting.year,
        section_number=next_section_number(meeting.body, meeting.year),
        order=next_order(meeting), title=item.title, diary_number=item.diary_number,
        presenter=item.presenter, preparer=item.preparer, description=item.description,
        public_description=item.public_description, method=ItemMethod.MEETING,
        publicity=item.publicity, confidentiality_basis=item.confidentiality_basis,
        is_closed_handling=item.is_closed_handling, transferred_from=item,
        added_as_amendment=convened, created_at=now(),
    )
    proposal = item.current_proposal
    if proposal is not None and not proposal.withdrawn:
        ProposalVersion.objects.create(
            item=new, version=1, text=proposal.text, created_by=proposal.created_by,
            created_at=now(),
        )
    for a in item.attachments.all():
        Attachment.objects.create(
            item=new, title=a.title, filename=a.filename, content_type=a.content_type,
            size=a.size, sha256=a.sha256, publicity=a.publicity,
            confidentiality_basis=a.confidentiality_basis,
            storage_name=files.store_attachment_bytes(files.read_attachment_bytes(a)),
            encrypted=True, uploaded_by=a.uploaded_by, uploaded_at=a.uploaded_at,
        )
    record(
        actor, "agenda.item_added", item_obj(new),
        {
            "meeting_id": meeting.pk, "section_number": new.section_number, "method": new.method,
            "publicity": new.publicity, "e_deadline": "", "as_amendment": 1 if convened else 0,
            "proposal_version": 1 if proposal is not None and not proposal.withdrawn else 0,
            "transferred_from": item.pk,
        },
    )
    if convened:
        do_record_amendment(
            meeting, new, "item_transferred",
            f"Siirretty sähköisestä päätöksentekomenettelystä (asia {item.pk})", actor=actor,
        )
    return new


def do_attach_pending_transfers(meeting: Meeting, *, actor: Any) -> list[AgendaItem]:
    """Put items transferred while no meeting existed on a new meeting's agenda (R18)."""
    pending = AgendaItem.objects.select_for_update(of=("self",)).filter(
        body_id=meeting.body_id, status=ItemStatus.TRANSFERRED, transferred_to__isnull=True
    ).order_by("closed_at", "pk")
    return [do_copy_to_meeting(item, meeting, actor=actor) for item in pending]


# --- deadlines --------------------------------------------------------------------------------


def apply_due_e_procedure_deadlines(
    *, at: dt.datetime | None = None, meeting_id: int | None = None,
    item_ids: list[int] | None = None,
) -> list[int]:
    """Decide or transfer every open § 100 item whose deadline has passed (R17, R18).

    Each item in its own short transaction, as the system (actor None). Safe to run
    concurrently: the item row is locked and its state re-read. Returns the handled item ids.
    """
    at = at or now()
    due = AgendaItem.objects.filter(
        method=ItemMethod.E_PROCEDURE, status=ItemStatus.E_PROCEDURE_OPEN, e_deadline__lte=at
    )
    if meeting_id is not None:
        due = due.filter(meeting_id=meeting_id)
    if item_ids is not None:
        due = due.filter(pk__in=item_ids)
    handled = []
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            item = lock_item(pk)
            if item.status != ItemStatus.E_PROCEDURE_OPEN or item.e_deadline > at:
                continue
            state = e_procedure_state(item)
            if state.decidable_at(at):
                do_decide_item(item, state, actor=None)
            else:
                reason = TRANSFER_DEMAND if state.demanded else TRANSFER_MISSING
                do_transfer_item(item, reason, actor=None)
        handled.append(pk)
    return handled
