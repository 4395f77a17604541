"""Open votes: opening, casting, closing, the chair's choices and connection drops.

KL 104 §: each vote is a proposition where *jaa* and *ei* stand for two named proposals (R40);
members answer jaa, ei or tyhjä (R42); the vote is open and every ballot names its voter (R41,
R44); most votes among jaa and ei win, a tie goes to the side the chair voted for (R41) and a
tie the chair's vote does not break is surfaced to the chair (`vote.tie_needs_chair`). A change
of an eligible voter's connection during the vote stops it from closing until the chair chooses
to continue, pause or restart (R72 [UNVERIFIED rule set]).

Ballot writes are idempotent (DESIGN "Realtime": a phone may resend): the same option again
returns the same ballot and receipt; the unique constraint on (vote, person) makes concurrent
resends count once.

Locking (docs/performance-live.md). Casting takes the vote in *share* mode, so ballots of
different members run side by side and their commits can share a disk flush; closing, pausing,
restarting and flagging take it exclusively. A close therefore waits for the ballots already in
flight and counts them, and a ballot that comes after the close waits for it and then sees the
vote closed. On PostgreSQL that lock is a transaction-scoped advisory lock (shared /
exclusive), which queues fairly, so a stream of ballots cannot keep a waiting close out (row
share locks would let every new ballot pass the waiting close). Every writer of a vote's row
takes the exclusive advisory lock before its ``FOR UPDATE``; a ballot takes only the shared
advisory lock and reads the row after it (a ``FOR SHARE`` on top made every one of dozens of
concurrent ballots rewrite the row's multixact).
One ballot per member is the database's unique constraint; a member's own concurrent requests
meet on it (and on the ballot's row lock when a ballot is changed). On SQLite the writer lock
serialises every transaction anyway.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max

from kokous.rows import Columns
from meetings.models import (
    AgendaItem,
    Body,
    ConnectionState,
    ItemStatus,
    Meeting,
    Participant,
)
from voting import procedure
from voting.errors import from_procedure, voting_error
from voting.models import (
    Ballot,
    BallotOption,
    BallotRevision,
    ChairChoice,
    ChairChoiceKind,
    Decision,
    Vote,
    VoteAttentionReason,
    VoteStatus,
    VotingOrder,
)
from voting.models.votes import ACTIVE_VOTE_STATUSES
from voting.services._common import (
    as_int,
    check_chair_choice_rule,
    checkpoint_on_commit,
    deciding_participant,
    deciding_person_ids,
    lock_item,
    now,
    parse_chair_choice,
    push,
    record,
    require_chair,
    require_in_session,
    require_quorum,
    require_visible,
    sha256_hex,
    transition_item,
    visible_voter_row,
)
from voting.services.order import stored_plan

OPTION_ALIASES = {"tyhjä": BallotOption.TYHJA, "jaa": BallotOption.JAA, "ei": BallotOption.EI}


def normalise_option(option: Any) -> str:
    """``jaa`` / ``ei`` / ``tyhja`` (``tyhjä`` accepted); anything else is `vote.unknown_option`."""
    if not isinstance(option, str):
        raise voting_error("vote.unknown_option")
    text = option.strip().lower()
    if text in OPTION_ALIASES:
        return str(OPTION_ALIASES[text])
    if text in BallotOption.values:
        return text
    raise voting_error("vote.unknown_option")


def ballot_receipt(vote_id: int, person_id: int, option: str, salt: str) -> str:
    """The receipt a member can recompute: SHA-256 of the newline-joined fields (hex).

    ``sha256("kokous-ballot-v1\\n<vote id>\\n<person id>\\n<option>\\n<salt>")``
    """
    return sha256_hex(f"kokous-ballot-v1\n{vote_id}\n{person_id}\n{option}\n{salt}")


def _lock_vote(meeting_id: Any, vote_id: Any, *, user: Any) -> Vote:
    """The vote of this meeting, locked exclusively (see the module doc); a vote of another
    meeting, or of a meeting the user may not see, is `vote.not_found`. Ballots take the vote
    in share mode instead (`_share_lock_vote`, `check_cast_ballot`)."""
    mid, vid = as_int(meeting_id), as_int(vote_id)
    vote = None
    if mid and vid:
        _advisory_lock_votes([vid])
        # order_by(): one row by primary key; the model's ordering (item → meeting → …) would
        # only make the SQL slower to compile.
        vote = _one(
            Vote.objects.filter(pk=vid, meeting_id=mid).order_by()
            .select_for_update(of=("self",))
            .select_related("meeting", "meeting__body", "item", "item__meeting", "order")
        )
    if vote is None:
        raise voting_error("vote.not_found")
    require_visible(user, vote.meeting, "vote.not_found")
    return vote


def _one(qs: Any) -> Any:
    """The first row of an unordered query, or None (`first()` would add an ORDER BY)."""
    rows = list(qs[:1])
    return rows[0] if rows else None


#: The first key of the votes' advisory locks (PostgreSQL's two-key form: this, the vote id).
VOTE_LOCK_SPACE = 0x6B76


class _BallotRows:
    """The vote, its meeting, the body and the item: one joined SELECT (`kokous.rows`)."""

    vote = Columns(Vote, "v")
    meeting = Columns(Meeting, "m")
    body = Columns(Body, "b")
    item = Columns(AgendaItem, "i")
    _sql: dict[str, str] = {}

    @classmethod
    def sql(cls, connection: Any) -> str:
        found = cls._sql.get(connection.vendor)
        if found is None:
            parts = (cls.vote, cls.meeting, cls.body, cls.item)
            found = cls._sql[connection.vendor] = (
                f"SELECT {', '.join(p.sql(connection) for p in parts)} "  # noqa: S608
                f"FROM {Vote._meta.db_table} v "
                f"JOIN {Meeting._meta.db_table} m ON m.id = v.meeting_id "
                f"JOIN {Body._meta.db_table} b ON b.id = m.body_id "
                f"JOIN {AgendaItem._meta.db_table} i ON i.id = v.item_id "
                "WHERE v.id = %s AND v.meeting_id = %s"
            )
        return found

    @classmethod
    def load(cls, connection: Any, row: Any) -> Vote:
        at = 0
        loaded = []
        for part in (cls.vote, cls.meeting, cls.body, cls.item):
            loaded.append(part.load(connection, row, at))
            at += len(part)
        vote, meeting, body, item = loaded
        meeting.body = body
        vote.meeting = meeting
        vote.item = item
        if item.meeting_id == meeting.pk:
            item.meeting = meeting  # the same row: no second lookup of the meeting
        return vote


def _share_lock_vote(meeting_id: int, vote_id: int) -> Vote | None:
    """The vote with its meeting, body and item, locked for a ballot (see the module doc).

    PostgreSQL: the shared advisory lock only. Every writer of a vote's row takes the exclusive
    advisory lock first (`_advisory_lock_votes`), so the shared one already keeps the status
    read here valid until commit; a ``FOR SHARE`` row lock on top added nothing but work: with
    dozens of ballots holding it at once, every new holder rewrote the row's multixact of all
    the others. SQLite has no row locks: its transactions already hold the database's writer
    lock (`transaction_mode=IMMEDIATE`). The row is read by one hand-written join
    (`_BallotRows`): compiling the same `select_related` query for every ballot cost more CPU
    than the rest of the ballot's queries together.
    """
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two statements, so the lock is surely held before the row is read.
            cursor.execute(
                "SELECT pg_advisory_xact_lock_shared(%s::int4, %s::int4)",
                [VOTE_LOCK_SPACE, vote_id],
            )
        cursor.execute(_BallotRows.sql(connection), [vote_id, meeting_id])
        row = cursor.fetchone()
    return _BallotRows.load(connection, row) if row is not None else None


def _advisory_lock_votes(vote_ids: list[int]) -> None:
    """The exclusive advisory locks of these votes, in id order (PostgreSQL; see the module doc).

    Taken before the rows' ``FOR UPDATE`` by everything that changes a vote's status or flags.
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or not vote_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::int4, v) FROM unnest(%s::int4[]) AS v ORDER BY v",
            [VOTE_LOCK_SPACE, sorted(vote_ids)],
        )


def vote_audit_base(vote: Vote) -> dict[str, Any]:
    return {"item": vote.item_id, "step": vote.step, "attempt": vote.attempt}


# --- open a vote --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenVoteCheck:
    item: AgendaItem
    order: VotingOrder
    planned: procedure.PlannedVote
    jaa: int
    ei: int
    eligible: list[int]
    attempt: int


def closed_votes_by_step(order: VotingOrder) -> dict[int, Vote]:
    return {v.step: v for v in order.votes.filter(status=VoteStatus.CLOSED)}


def handling_ended_by(order: VotingOrder, plan: procedure.VotingPlan) -> Vote | None:
    """The closed procedural vote whose motion won, ending the handling (R33), if any."""
    closed = closed_votes_by_step(order)
    for s in plan.steps:
        vote = closed.get(s.step)
        if s.procedural and vote is not None and vote.winner_proposal_id != plan.base_id:
            return vote
    return None


def resolve_side(side: procedure.Side, closed: dict[int, Vote]) -> int:
    if isinstance(side, procedure.WinnerOf):
        return closed[side.step].winner_proposal_id
    return side


def check_open_vote(user: Any, meeting_id: Any, item_id: Any, step: Any = None) -> OpenVoteCheck:
    item = lock_item(meeting_id, item_id, user=user)
    require_chair(user, item.meeting)
    require_in_session(item.meeting)
    order = VotingOrder.objects.filter(item=item).first()
    if order is None:
        raise voting_error("order.not_proposed")
    if not order.is_approved:
        raise voting_error("order.not_approved")
    if Decision.objects.filter(item=item).exists():
        raise voting_error("decision.already_stated")
    if item.status not in (ItemStatus.DISCUSSION_CLOSED, ItemStatus.VOTING):
        raise voting_error("handling.discussion_not_closed")
    if Vote.objects.filter(item=item, status__in=ACTIVE_VOTE_STATUSES).exists():
        raise voting_error("vote.already_open")
    plan = stored_plan(order)
    if handling_ended_by(order, plan) is not None:
        raise voting_error("vote.handling_ended")
    closed = closed_votes_by_step(order)
    pending = [s.step for s in plan.steps if s.step not in closed]
    if step in (None, ""):
        if not pending:
            raise voting_error("vote.step_done")
        number = pending[0]
    else:
        number = as_int(step)
        if number is None or number > len(plan.steps):
            raise voting_error("vote.bad_step", step=str(step))
        if number in closed:
            raise voting_error("vote.step_done")
        if number != pending[0]:
            raise voting_error("vote.step_not_ready")
    planned = plan.steps[number - 1]
    require_quorum(item)  # R35: no vote without quorum
    attempt = (order.votes.filter(step=number).aggregate(n=Max("attempt"))["n"] or 0) + 1
    return OpenVoteCheck(
        item=item,
        order=order,
        planned=planned,
        jaa=resolve_side(planned.jaa, closed),
        ei=resolve_side(planned.ei, closed),
        eligible=deciding_person_ids(item),
        attempt=attempt,
    )


def _create_vote(
    item: AgendaItem, order: VotingOrder, planned: procedure.PlannedVote, jaa: int, ei: int,
    eligible: list[int], attempt: int, actor: Any,
) -> Vote:
    vote = Vote.objects.create(
        meeting_id=item.meeting_id,
        item=item,
        order=order,
        step=planned.step,
        attempt=attempt,
        procedural=planned.procedural,
        jaa_proposal_id=jaa,
        ei_proposal_id=ei,
        eligible=eligible,
        opened_at=now(),
        opened_by=actor,
    )
    record(
        actor, "vote.opened", f"vote:{vote.pk}",
        {**vote_audit_base(vote), "jaa": jaa, "ei": ei, "procedural": planned.procedural,
         "method": order.method, "eligible": eligible},
    )
    push(item.meeting_id, {"type": "vote.opened", "item": item.pk, "vote": vote.pk,
                           "step": vote.step})
    return vote


@transaction.atomic
def do_open_vote(check: OpenVoteCheck, *, actor: Any) -> Vote:
    if check.item.status == ItemStatus.DISCUSSION_CLOSED:
        transition_item(check.item, "start_vote", actor=actor)
    return _create_vote(
        check.item, check.order, check.planned, check.jaa, check.ei, check.eligible,
        check.attempt, actor,
    )


def open_vote(user: Any, meeting_id: Any, item_id: Any, step: Any = None) -> Vote:
    """The chair opens the next vote of the approved order (R40); needs quorum (R35).

    The eligible voters are those deciding at this moment (`meetings.presence`).
    """
    with transaction.atomic():
        return do_open_vote(check_open_vote(user, meeting_id, item_id, step), actor=user)


# --- cast a ballot ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastBallotCheck:
    vote: Vote
    participant: Participant
    option: str


@dataclass(frozen=True)
class CastBallotResult:
    """What the member gets back: the ballot and its receipt; `created`/`changed` for the UI."""

    ballot: Ballot
    created: bool
    changed: bool = False
    receipt: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "receipt", self.ballot.receipt)


def check_cast_ballot(user: Any, meeting_id: Any, vote_id: Any, option: Any) -> CastBallotCheck:
    """Validate a ballot and take the vote row in share mode (see the module doc).

    Whether the member already voted is settled by `do_cast_ballot` on the unique constraint:
    a first ballot, the common case, then costs one INSERT and no lookup.
    """
    option = normalise_option(option)
    mid, vid = as_int(meeting_id), as_int(vote_id)
    vote = _share_lock_vote(mid, vid) if mid and vid else None
    if vote is None:
        raise voting_error("vote.not_found")
    row = visible_voter_row(user, vote.meeting, "vote.not_found")  # before any state check
    if vote.status in (VoteStatus.CLOSED, VoteStatus.VOIDED):
        raise voting_error("vote.closed")
    if vote.status == VoteStatus.PAUSED:
        raise voting_error("vote.paused")
    require_in_session(vote.meeting)  # a suspended meeting freezes voting (R10)
    participant = deciding_participant(vote.item, user, row)
    if participant.person_id not in vote.eligible:
        raise voting_error("vote.not_eligible")
    return CastBallotCheck(vote, participant, option)


def _record_cast(actor: Any, vote: Vote, ballot: Ballot, previous: str = "") -> None:
    # A named vote is public (KL 104.2 §, audit spec 1): the member and the choice are logged.
    data = {**vote_audit_base(vote), "person": ballot.person_id, "choice": ballot.option,
            "receipt": ballot.receipt, "revision": ballot.revision}
    if previous:
        data["previous"] = previous
    record(actor, "vote.cast", f"vote:{vote.pk}", data)
    # Only the kind travels: the coalesced push reads the count once per window
    # (meetings.live.snapshots), so no COUNT(*) per ballot here.
    push(vote.meeting_id, {"type": "vote.progress", "vote": vote.pk})


_BALLOT_TABLE = Ballot._meta.db_table
_BALLOT_COLUMNS = ("vote_id", "person_id", "participant_id", "option", "salt", "receipt",
                   "cast_at", "revision")


def _insert_ballot(ballot: Ballot) -> bool:
    """INSERT the member's first ballot unless one exists; whether it was inserted.

    ``ON CONFLICT DO NOTHING`` on the (vote, person) constraint: a concurrent request of the
    same member waits for the other insert and then inserts nothing. One round trip, and no
    savepoint as catching an IntegrityError would need (the ORM has no "insert or nothing"
    that returns the new id).
    """
    connection = transaction.get_connection()
    fields = [Ballot._meta.get_field(c.removesuffix("_id")) for c in _BALLOT_COLUMNS]
    values = [f.get_db_prep_save(getattr(ballot, f.attname), connection) for f in fields]
    columns = ", ".join(connection.ops.quote_name(c) for c in _BALLOT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_BALLOT_TABLE} ({columns}) VALUES ({placeholders}) "  # noqa: S608
            "ON CONFLICT (vote_id, person_id) DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return False
    ballot.pk = row[0]
    ballot._state.adding = False
    ballot._state.db = connection.alias
    return True


# The wrapper's transaction is the unit: no savepoint of its own (a refusal here fails the whole
# ballot anyway), which spares two round trips per ballot.
@transaction.atomic(savepoint=False)
def do_cast_ballot(check: CastBallotCheck, *, actor: Any) -> CastBallotResult:
    vote, option, participant = check.vote, check.option, check.participant
    moment = now()
    salt = secrets.token_hex(16)
    person_id = participant.person_id
    receipt = ballot_receipt(vote.pk, person_id, option, salt)
    ballot = Ballot(vote=vote, person_id=person_id, participant=participant, option=option,
                    salt=salt, receipt=receipt, cast_at=moment)
    if _insert_ballot(ballot):
        _record_cast(actor, vote, ballot)
        return CastBallotResult(ballot, created=True)
    # The member has a ballot: a resend, or a change. The row lock orders the member's own
    # concurrent changes (revision numbers); other members are not affected.
    existing = (
        Ballot.objects.select_for_update(of=("self",))
        .order_by()  # the model's ordering would join the person table
        .get(vote=vote, person_id=person_id)
    )
    if existing.option == option:
        return CastBallotResult(existing, created=False)  # a resend: same ballot, same receipt
    if not vote.meeting.body.ballot_changeable:
        raise voting_error("vote.ballot_final")
    BallotRevision.objects.create(
        ballot=existing, revision=existing.revision, option=existing.option,
        receipt=existing.receipt, cast_at=existing.cast_at, replaced_at=moment,
    )
    previous = existing.option
    existing.option, existing.salt, existing.receipt = option, salt, receipt
    existing.cast_at = moment
    existing.revision += 1
    existing.participant = participant
    existing.save(update_fields=["option", "salt", "receipt", "cast_at", "revision", "participant"])
    _record_cast(actor, vote, existing, previous)
    return CastBallotResult(existing, created=False, changed=True)


def cast_ballot(user: Any, meeting_id: Any, vote_id: Any, option: Any) -> CastBallotResult:
    """A deciding, eligible member votes jaa / ei / tyhjä (R41, R42); idempotent on resend.

    With `Body.ballot_changeable` a different option replaces the ballot until the vote closes
    (the earlier one is kept in `BallotRevision`); otherwise it is `vote.ballot_final`.
    """
    with transaction.atomic():
        return do_cast_ballot(check_cast_ballot(user, meeting_id, vote_id, option), actor=user)


# --- flags for the chair ------------------------------------------------------------------------


def _flag(vote: Vote, reason: str, *, actor: Any, data: dict[str, Any]) -> None:
    vote.needs_chair_decision = True
    vote.attention_reason = reason
    vote.save(update_fields=["needs_chair_decision", "attention_reason", "status"])
    record(
        actor, "vote.needs_chair_decision", f"vote:{vote.pk}",
        {**vote_audit_base(vote), "reason": reason, **data},
    )
    push(vote.meeting_id, {"type": "vote.needs_chair_decision", "vote": vote.pk,
                           "reason": reason, "status": vote.status})


def note_connection_change(participant: Participant) -> list[Vote]:
    """Tell the voting app that `participant.connection_state` just changed (R72).

    Called by the live-room code after it saved the new state. Every open or paused vote of the
    meeting in which the participant is an eligible voter is marked `needs_chair_decision`: it
    cannot close until the chair chooses continue, pause or restart (`chair_choice`). When the
    chair or the secretary loses the connection, open votes are also paused. Returns the votes
    marked. Runs in its own transaction (or the caller's).
    """
    with transaction.atomic():
        meeting = Meeting.objects.get(pk=participant.meeting_id)
        key_person = participant.person_id in (meeting.chair_id, meeting.secretary_id)
        lost = participant.connection_state in (
            ConnectionState.DISCONNECTED, ConnectionState.REJOINED
        )
        marked = []
        active = Vote.objects.filter(meeting_id=meeting.pk, status__in=ACTIVE_VOTE_STATUSES)
        # Exclusive like a close: waits for the ballots in flight, ahead of later ones.
        _advisory_lock_votes(list(active.values_list("pk", flat=True)))
        for vote in active.select_for_update().order_by("pk"):
            # The same rule as for elections (services.elections.note_connection_change).
            effect = procedure.connection_change_effect(
                eligible=participant.person_id in vote.eligible, key_person=key_person,
                lost=lost, running=vote.status == VoteStatus.OPEN,
            )
            if not effect.flag:
                continue
            paused = effect.pause
            if paused:
                vote.status = VoteStatus.PAUSED
            _flag(
                vote, VoteAttentionReason.CONNECTION, actor=None,
                data={"person": participant.person_id,
                      "connection_state": participant.connection_state, "paused": paused},
            )
            marked.append(vote)
        return marked


# --- close a vote -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseVoteCheck:
    vote: Vote
    result: procedure.VoteResult


def count(vote: Vote) -> procedure.VoteResult:
    """`procedure.count_votes` over the vote's ballots and eligibility snapshot (R41, R42, R44)."""
    ballots = dict(Ballot.objects.filter(vote=vote).values_list("person_id", "option"))
    try:
        return procedure.count_votes(ballots, vote.eligible, vote.meeting.chair_id)
    except procedure.ProcedureError as exc:
        raise from_procedure(exc) from exc


def check_close_vote(user: Any, meeting_id: Any, vote_id: Any) -> CloseVoteCheck:
    vote = _lock_vote(meeting_id, vote_id, user=user)
    require_chair(user, vote.meeting)
    if vote.status in (VoteStatus.CLOSED, VoteStatus.VOIDED):
        raise voting_error("vote.closed")
    if vote.status == VoteStatus.PAUSED:
        raise voting_error("vote.paused")
    require_in_session(vote.meeting)
    if vote.needs_chair_decision:
        if vote.attention_reason == VoteAttentionReason.TIE:
            raise voting_error("vote.tie_needs_chair")
        raise voting_error("vote.needs_chair_decision")
    return CloseVoteCheck(vote, count(vote))


@transaction.atomic
def do_close_vote(check: CloseVoteCheck, *, actor: Any) -> Vote:
    vote, result = check.vote, check.result
    if result.needs_chair_decision:  # callers must handle the tie first (R41)
        raise voting_error("vote.tie_needs_chair")
    vote.status = VoteStatus.CLOSED
    vote.closed_at = now()
    vote.closed_by = actor
    vote.jaa_count, vote.ei_count = result.jaa, result.ei
    vote.tyhja_count, vote.absent_count = result.tyhja, result.absent
    vote.winner = str(result.winner)
    vote.tie, vote.tie_broken_by_chair = result.tie, result.tie_broken_by_chair
    vote.winner_proposal_id = (
        vote.jaa_proposal_id if result.winner == procedure.VoteOption.JAA else vote.ei_proposal_id
    )
    vote.save()
    record(
        actor, "vote.closed", f"vote:{vote.pk}",
        {**vote_audit_base(vote), "jaa": result.jaa, "ei": result.ei, "tyhja": result.tyhja,
         "absent": result.absent, "winner": vote.winner, "winner_proposal": vote.winner_proposal_id,
         "tie": result.tie, "tie_broken_by_chair": result.tie_broken_by_chair,
         "names": {key: list(ids) for key, ids in sorted(result.names.items())}},
    )
    checkpoint_on_commit()
    push(vote.meeting_id, {"type": "vote.closed", "item": vote.item_id, "vote": vote.pk,
                           "jaa": result.jaa, "ei": result.ei, "tyhja": result.tyhja,
                           "absent": result.absent, "winner": vote.winner})
    return vote


def close_vote(user: Any, meeting_id: Any, vote_id: Any) -> Vote:
    """The chair closes the vote; the result is counted by `procedure.count_votes` (R41, R44).

    A tie the chair's own vote does not break is never closed silently: the vote is marked for
    the chair (committed, audited, pushed) and `vote.tie_needs_chair` is raised. The chair then
    chooses (`chair_choice`): restart the vote, or continue after changing his or her own ballot
    where the body allows changing ballots.
    """
    with transaction.atomic():
        check = check_close_vote(user, meeting_id, vote_id)
        if not check.result.needs_chair_decision:
            return do_close_vote(check, actor=user)
        _flag(check.vote, VoteAttentionReason.TIE, actor=user,
              data={"jaa": check.result.jaa, "ei": check.result.ei,
                    "tyhja": check.result.tyhja})
    raise voting_error("vote.tie_needs_chair")


# --- the chair's choice: continue, pause, restart (R72) -----------------------------------------


@dataclass(frozen=True)
class ChairChoiceCheck:
    vote: Vote
    choice: str
    note: str
    eligible: list[int] | None


def check_chair_choice(
    user: Any, meeting_id: Any, vote_id: Any, choice: Any, note: Any = ""
) -> ChairChoiceCheck:
    choice = parse_chair_choice(choice)
    vote = _lock_vote(meeting_id, vote_id, user=user)
    require_chair(user, vote.meeting)
    if not vote.is_active:
        raise voting_error("vote.closed")
    eligible = check_chair_choice_rule(
        choice, meeting=vote.meeting, item=vote.item, needs_decision=vote.needs_chair_decision,
        paused=vote.status == VoteStatus.PAUSED, code_prefix="vote",
    )
    return ChairChoiceCheck(vote, choice, str(note or "").strip()[:500], eligible)


@transaction.atomic
def do_chair_choice(check: ChairChoiceCheck, *, actor: Any) -> Vote:
    """Apply the choice; returns the vote that is now active (the new one after a restart)."""
    vote, choice = check.vote, check.choice
    reason = vote.attention_reason
    restarted: Vote | None = None
    if choice == ChairChoiceKind.CONTINUE:
        vote.status = VoteStatus.OPEN
        vote.needs_chair_decision, vote.attention_reason = False, VoteAttentionReason.NONE
        vote.save(update_fields=["status", "needs_chair_decision", "attention_reason"])
    elif choice == ChairChoiceKind.PAUSE:
        vote.status = VoteStatus.PAUSED
        vote.save(update_fields=["status"])
    else:
        vote.status = VoteStatus.VOIDED
        vote.closed_at, vote.closed_by = now(), actor
        vote.needs_chair_decision = False
        vote.save(update_fields=["status", "closed_at", "closed_by", "needs_chair_decision"])
    data = {**vote_audit_base(vote), "choice": choice, "reason": reason,
            "note_sha256": sha256_hex(check.note) if check.note else ""}
    if choice == ChairChoiceKind.RESTART:
        restarted = _create_vote(
            vote.item, vote.order,
            procedure.PlannedVote(vote.step, vote.jaa_proposal_id, vote.ei_proposal_id,
                                  vote.procedural),
            vote.jaa_proposal_id, vote.ei_proposal_id, check.eligible or [], vote.attempt + 1,
            actor,
        )
        data["restarted_as"] = restarted.pk
    ChairChoice.objects.create(
        vote=vote, choice=choice, reason=reason, note=check.note, at=now(), actor=actor,
        restarted_as=restarted,
    )
    record(actor, "vote.chair_choice", f"vote:{vote.pk}", data)
    push(vote.meeting_id, {"type": "vote.chair_choice", "vote": vote.pk, "choice": choice,
                           "restarted_as": restarted.pk if restarted else None})
    return restarted or vote


def chair_choice(user: Any, meeting_id: Any, vote_id: Any, choice: Any, note: Any = "") -> Vote:
    """The chair continues, pauses or restarts a vote; the choice is recorded (R72, R76)."""
    with transaction.atomic():
        return do_chair_choice(
            check_chair_choice(user, meeting_id, vote_id, choice, note), actor=user
        )
