"""Elections (*vaalit*, KL 105 §, R45) with closed ballots whose secrecy is structural (R12).

* Majority election: most votes win (105.1 §); proportional election when at least
  `procedure.proportional_demand_threshold(present, to_elect)` deciding members demand it
  (105.2 §); both by `voting.procedure`. Personal substitutes are nominated as pairs and a pair
  is one candidate (105.3 §). Ties are drawn by lot (105.4 §).
* The lot is reproducible and fixed in advance: a 32-byte seed is drawn when the election opens
  and its SHA-256 written to the audit log (`election.seed_committed`) before any ballot is
  cast; the seed itself is revealed only when the election closes (`election.drawn`), so anyone
  can recompute the draw with `procedure.lot_order`.
* Secrecy (KL 105.5 §, R12, audit spec "Secret ballots"): casting writes one
  `ElectionParticipation` (who) and one `ElectionBallot` (what) in one transaction, with no
  link, no time and no sequence on the ballot; the audit entry is `election.participated` with
  no choice; pushes carry only the number of participants; nothing is logged. Ballot contents
  enter the audit log only when the election closes, sorted, in one `election.ballots` entry,
  and the ballot rows are then rewritten in content order (see docs/voting-notes.md).
* Closed ballots are offered only in electronic and hybrid meetings, where this holds; in a
  meeting held in person a closed ballot is a paper ballot outside the system.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from meetings import rules
from meetings.models import (
    AgendaItem,
    ConnectionState,
    ItemStatus,
    Meeting,
    Participant,
    Person,
)
from voting import procedure
from voting.errors import from_procedure, voting_error
from voting.models import (
    Candidate,
    CandidateList,
    ChairChoice,
    ChairChoiceKind,
    Election,
    ElectionBallot,
    ElectionDemand,
    ElectionDemandKind,
    ElectionKind,
    ElectionParticipation,
    ElectionStatus,
    ElectoralAlliance,
    VoteAttentionReason,
)
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
)

ELECTION_ITEM_STATUSES = (ItemStatus.IN_DISCUSSION, ItemStatus.DISCUSSION_CLOSED)
BLANK_VALUES = (None, "", "blank", "tyhja", "tyhjä")


def closed_ballot_available(meeting: Meeting) -> bool:
    """Closed ballots in the system only where their secrecy is secured (KL 105.5 §, R12)."""
    return meeting.is_remote_capable


def election_obj(election: Election | int) -> str:
    return f"election:{election if isinstance(election, int) else election.pk}"


def _lock_election(meeting_id: Any, election_id: Any, *, user: Any) -> Election:
    mid, eid = as_int(meeting_id), as_int(election_id)
    election = None
    if mid and eid:
        election = (
            Election.objects.select_for_update(of=("self",))
            .select_related("meeting", "meeting__body", "item", "item__meeting")
            .filter(pk=eid, meeting_id=mid)
            .first()
        )
    if election is None:
        raise voting_error("election.not_found")
    require_visible(user, election.meeting, "election.not_found")
    return election


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes", "kyllä"}
    return bool(value)


# --- create -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateElectionCheck:
    item: AgendaItem
    title: str
    seats: int
    kind: str
    closed_ballot: bool
    personal_substitutes: bool


def check_create_election(
    user: Any, meeting_id: Any, item_id: Any, *, title: Any, seats: Any,
    kind: Any = ElectionKind.MAJORITY, closed_ballot: Any = False,
    personal_substitutes: Any = False,
) -> CreateElectionCheck:
    kind = str(kind or ElectionKind.MAJORITY)
    if kind not in ElectionKind.values:
        raise voting_error("election.bad_kind")
    number = as_int(seats)
    if number is None:
        raise voting_error("election.bad_seats")
    clean_title = str(title or "").strip()[:300] if isinstance(title, str) else ""
    if not clean_title:
        raise voting_error("election.title_required")
    closed = _bool(closed_ballot) or kind == ElectionKind.PROPORTIONAL
    item = lock_item(meeting_id, item_id, user=user)
    require_chair(user, item.meeting)
    require_in_session(item.meeting)
    if item.status not in ELECTION_ITEM_STATUSES:
        raise voting_error("handling.discussion_not_open")
    if closed and not closed_ballot_available(item.meeting):
        raise voting_error("election.closed_ballot_unavailable")
    return CreateElectionCheck(
        item, clean_title, number, kind, closed, _bool(personal_substitutes)
    )


@transaction.atomic
def do_create_election(check: CreateElectionCheck, *, actor: Any) -> Election:
    election = Election.objects.create(
        meeting_id=check.item.meeting_id, item=check.item, title=check.title,
        kind=check.kind, seats=check.seats, closed_ballot=check.closed_ballot,
        personal_substitutes=check.personal_substitutes, created_at=now(), created_by=actor,
    )
    record(
        actor, "election.created", election_obj(election),
        {"item": check.item.pk, "kind": election.kind, "seats": election.seats,
         "closed_ballot": election.closed_ballot,
         "personal_substitutes": election.personal_substitutes,
         "title_sha256": sha256_hex(election.title)},
    )
    push(check.item.meeting_id, {"type": "election.created", "item": check.item.pk,
                                 "election": election.pk})
    return election


def create_election(
    user: Any, meeting_id: Any, item_id: Any, *, title: Any, seats: Any,
    kind: Any = ElectionKind.MAJORITY, closed_ballot: Any = False,
    personal_substitutes: Any = False,
) -> Election:
    """The chair starts an election in an item (R45); nominations follow."""
    with transaction.atomic():
        check = check_create_election(
            user, meeting_id, item_id, title=title, seats=seats, kind=kind,
            closed_ballot=closed_ballot, personal_substitutes=personal_substitutes,
        )
        return do_create_election(check, actor=user)


# --- nominations --------------------------------------------------------------------------------


def _nominator(user: Any, election: Election) -> Participant | None:
    """The chair or a deciding member nominates; returns the nominator's participant row."""
    if rules.is_chair(user, election.meeting):
        person = rules.person_of(user)
        return Participant.objects.filter(meeting=election.meeting, person=person).first()
    return deciding_participant(election.item, user)


@dataclass(frozen=True)
class AddListCheck:
    election: Election
    name: str


def require_chair_or_secretary(user: Any, meeting: Meeting) -> None:
    """Lists and alliances are recorded by the chair or the secretary (R45, R77)."""
    if not (rules.is_chair(user, meeting) or rules.can_manage_meeting(user, meeting)):
        raise voting_error("election.staff_only")


def _clean_name(value: Any) -> str:
    return " ".join(str(value).split())[:200] if isinstance(value, str) else ""


def check_add_candidate_list(
    user: Any, meeting_id: Any, election_id: Any, name: Any
) -> AddListCheck:
    election = _lock_election(meeting_id, election_id, user=user)
    require_chair_or_secretary(user, election.meeting)
    if election.status != ElectionStatus.NOMINATING:
        raise voting_error("election.not_nominating")
    clean = _clean_name(name)
    if not clean:
        raise voting_error("request.bad_parameter", field="name")
    if election.lists.filter(name__iexact=clean).exists():
        raise voting_error("election.duplicate_list")
    return AddListCheck(election, clean)


@transaction.atomic
def do_add_candidate_list(check: AddListCheck, *, actor: Any) -> CandidateList:
    last = check.election.lists.aggregate(n=Max("number"))["n"] or 0
    cl = CandidateList.objects.create(election=check.election, number=last + 1, name=check.name)
    record(actor, "election.list_added", election_obj(check.election),
           {"list": cl.pk, "number": cl.number, "name_sha256": sha256_hex(cl.name)})
    push(check.election.meeting_id, {"type": "election.changed", "election": check.election.pk})
    return cl


def add_candidate_list(user: Any, meeting_id: Any, election_id: Any, name: Any) -> CandidateList:
    """The chair or the secretary records a candidate list (*ehdokaslista*) before the election
    opens (R45); a majority election may still become proportional on demand."""
    with transaction.atomic():
        return do_add_candidate_list(
            check_add_candidate_list(user, meeting_id, election_id, name), actor=user
        )


@dataclass(frozen=True)
class AddAllianceCheck:
    election: Election
    name: str
    lists: list[CandidateList]


def _list_ids(value: Any) -> list[int]:
    raw = value if isinstance(value, list | tuple) else str(value or "").replace(",", " ").split()
    ids = [as_int(v) for v in raw]
    if any(i is None for i in ids):
        raise voting_error("request.bad_parameter", field="lists")
    return sorted({i for i in ids if i is not None})


def check_add_electoral_alliance(
    user: Any, meeting_id: Any, election_id: Any, name: Any, list_ids: Any
) -> AddAllianceCheck:
    election = _lock_election(meeting_id, election_id, user=user)
    require_chair_or_secretary(user, election.meeting)
    if election.status != ElectionStatus.NOMINATING:
        raise voting_error("election.not_nominating")
    clean = _clean_name(name)
    if not clean:
        raise voting_error("request.bad_parameter", field="name")
    if election.alliances.filter(name__iexact=clean).exists():
        raise voting_error("election.duplicate_alliance")
    ids = _list_ids(list_ids)
    lists = list(CandidateList.objects.select_for_update().filter(election=election, pk__in=ids))
    if len(ids) < 2 or len(lists) != len(ids):
        raise voting_error("election.alliance_needs_lists")
    if any(cl.alliance_id is not None for cl in lists):
        raise voting_error("election.list_in_alliance")
    return AddAllianceCheck(election, clean, lists)


@transaction.atomic
def do_add_electoral_alliance(check: AddAllianceCheck, *, actor: Any) -> ElectoralAlliance:
    election = check.election
    last = election.alliances.aggregate(n=Max("number"))["n"] or 0
    alliance = ElectoralAlliance.objects.create(
        election=election, number=last + 1, name=check.name
    )
    CandidateList.objects.filter(pk__in=[cl.pk for cl in check.lists]).update(alliance=alliance)
    record(actor, "election.alliance_added", election_obj(election),
           {"alliance": alliance.pk, "number": alliance.number,
            "lists": [cl.pk for cl in check.lists], "name_sha256": sha256_hex(alliance.name)})
    push(election.meeting_id, {"type": "election.changed", "election": election.pk})
    return alliance


def add_electoral_alliance(
    user: Any, meeting_id: Any, election_id: Any, name: Any, list_ids: Any
) -> ElectoralAlliance:
    """The chair or the secretary records an electoral alliance (*vaaliliitto*) of two or more
    candidate lists before the election opens; its lists share one comparison-number series
    (vaalilaki 89 §, R45)."""
    with transaction.atomic():
        return do_add_electoral_alliance(
            check_add_electoral_alliance(user, meeting_id, election_id, name, list_ids),
            actor=user,
        )


@dataclass(frozen=True)
class NominateCheck:
    election: Election
    nominator: Participant | None
    name: str
    person: Person | None
    substitute_name: str
    substitute_person: Person | None
    candidate_list: CandidateList | None


def _person(election: Election, person_id: Any) -> Person | None:
    if person_id in (None, ""):
        return None
    pid = as_int(person_id)
    person = Person.objects.filter(
        pk=pid, municipality_id=election.meeting.body.municipality_id
    ).first() if pid else None
    if person is None:
        raise voting_error("request.bad_parameter", field="person")
    return person


def check_nominate_candidate(
    user: Any, meeting_id: Any, election_id: Any, *, name: Any = "", person_id: Any = None,
    substitute_name: Any = "", substitute_person_id: Any = None, list_id: Any = None,
) -> NominateCheck:
    election = _lock_election(meeting_id, election_id, user=user)
    require_in_session(election.meeting)
    if election.status != ElectionStatus.NOMINATING:
        raise voting_error("election.not_nominating")
    nominator = _nominator(user, election)
    person = _person(election, person_id)
    substitute = _person(election, substitute_person_id)
    clean = str(name or "").strip()[:200] if isinstance(name, str) else ""
    clean = clean or (person.full_name if person else "")
    if not clean:
        raise voting_error("election.candidate_required")
    sub_name = str(substitute_name or "").strip()[:200] if isinstance(substitute_name, str) else ""
    sub_name = sub_name or (substitute.full_name if substitute else "")
    if election.personal_substitutes and not sub_name:
        raise voting_error("election.substitute_required")
    candidate_list = None
    if list_id not in (None, ""):
        lid = as_int(list_id)
        candidate_list = election.lists.filter(pk=lid).first() if lid else None
        if candidate_list is None:
            raise voting_error("election.list_not_found")
    return NominateCheck(election, nominator, clean, person, sub_name, substitute, candidate_list)


@transaction.atomic
def do_nominate_candidate(check: NominateCheck, *, actor: Any) -> Candidate:
    election = check.election
    last = election.candidates.aggregate(n=Max("number"))["n"] or 0
    candidate = Candidate.objects.create(
        election=election, number=last + 1, candidate_list=check.candidate_list,
        person=check.person, name=check.name, substitute_person=check.substitute_person,
        substitute_name=check.substitute_name, nominated_by=check.nominator,
        nominated_at=now(),
    )
    record(
        actor, "election.nominated", election_obj(election),
        {"candidate": candidate.pk, "number": candidate.number,
         "person": candidate.person_id, "substitute_person": candidate.substitute_person_id,
         "list": candidate.candidate_list_id,
         "nominated_by": check.nominator.person_id if check.nominator else None,
         "name_sha256": sha256_hex(str(candidate))},
    )
    push(election.meeting_id, {"type": "election.changed", "election": election.pk})
    return candidate


def nominate_candidate(
    user: Any, meeting_id: Any, election_id: Any, *, name: Any = "", person_id: Any = None,
    substitute_name: Any = "", substitute_person_id: Any = None, list_id: Any = None,
) -> Candidate:
    """A deciding member (or the chair) nominates a candidate or a member–substitute pair."""
    with transaction.atomic():
        check = check_nominate_candidate(
            user, meeting_id, election_id, name=name, person_id=person_id,
            substitute_name=substitute_name, substitute_person_id=substitute_person_id,
            list_id=list_id,
        )
        return do_nominate_candidate(check, actor=user)


# --- demands: proportional election, closed ballots ---------------------------------------------


@dataclass(frozen=True)
class DemandCheck:
    election: Election
    participant: Participant
    kind: str
    existing: ElectionDemand | None
    threshold: int


def check_demand(user: Any, meeting_id: Any, election_id: Any, kind: Any) -> DemandCheck:
    kind = str(kind or "")
    if kind not in ElectionDemandKind.values:
        raise voting_error("election.bad_demand")
    election = _lock_election(meeting_id, election_id, user=user)
    require_in_session(election.meeting)
    if election.status != ElectionStatus.NOMINATING:
        raise voting_error("election.not_nominating")
    participant = deciding_participant(election.item, user)
    if kind == ElectionDemandKind.PROPORTIONAL and election.kind != ElectionKind.MAJORITY:
        raise voting_error("election.demand_not_applicable")
    if kind == ElectionDemandKind.CLOSED_BALLOT and election.closed_ballot:
        raise voting_error("election.demand_not_applicable")
    if not closed_ballot_available(election.meeting):
        raise voting_error("election.closed_ballot_unavailable")
    existing = ElectionDemand.objects.filter(
        election=election, kind=kind, participant=participant
    ).first()
    if kind == ElectionDemandKind.PROPORTIONAL:
        try:
            threshold = procedure.proportional_demand_threshold(
                max(len(deciding_person_ids(election.item)), 1), election.seats
            )
        except procedure.ProcedureError as exc:
            raise from_procedure(exc) from exc
    else:
        threshold = 1  # "vaadittaessa": one member's demand (KL 105.4 §)
    return DemandCheck(election, participant, kind, existing, threshold)


@transaction.atomic
def do_demand(check: DemandCheck, *, actor: Any) -> Election:
    election = check.election
    if check.existing is not None:
        return election  # idempotent
    ElectionDemand.objects.create(
        election=election, kind=check.kind, participant=check.participant, at=now()
    )
    demands = ElectionDemand.objects.filter(election=election, kind=check.kind).count()
    switched = demands >= check.threshold
    if switched:
        if check.kind == ElectionDemandKind.PROPORTIONAL:
            election.kind = ElectionKind.PROPORTIONAL
        election.closed_ballot = True
        election.save(update_fields=["kind", "closed_ballot"])
    record(
        actor, "election.demanded", election_obj(election),
        {"kind": check.kind, "person": check.participant.person_id, "demands": demands,
         "threshold": check.threshold, "switched": switched},
    )
    push(election.meeting_id, {"type": "election.changed", "election": election.pk})
    return election


def demand(user: Any, meeting_id: Any, election_id: Any, kind: Any) -> Election:
    """A deciding member demands a proportional election or closed ballots (KL 105.2, 105.4 §).

    A proportional election follows once `procedure.proportional_demand_threshold(present,
    to_elect)` members have demanded it (present = deciding now); one demand suffices for
    closed ballots in a majority election.
    """
    with transaction.atomic():
        return do_demand(check_demand(user, meeting_id, election_id, kind), actor=user)


# --- open ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenElectionCheck:
    election: Election
    eligible: list[int]


def check_open_election(user: Any, meeting_id: Any, election_id: Any) -> OpenElectionCheck:
    election = _lock_election(meeting_id, election_id, user=user)
    require_chair(user, election.meeting)
    require_in_session(election.meeting)
    if election.status != ElectionStatus.NOMINATING:
        raise voting_error("election.not_nominating")
    if not election.candidates.exists():
        raise voting_error("election.no_candidates")
    if election.closed_ballot and not closed_ballot_available(election.meeting):
        raise voting_error("election.closed_ballot_unavailable")
    require_quorum(election.item)
    return OpenElectionCheck(election, deciding_person_ids(election.item))


@transaction.atomic
def do_open_election(check: OpenElectionCheck, *, actor: Any) -> Election:
    election = check.election
    seed = secrets.token_bytes(32)
    election.seed_hex = seed.hex()
    election.seed_commitment = hashlib.sha256(seed).hexdigest()
    election.status = ElectionStatus.OPEN
    election.eligible = check.eligible
    election.present_at_open = len(check.eligible)
    election.opened_at = now()
    election.save()
    record(
        actor, "election.opened", election_obj(election),
        {"item": election.item_id, "kind": election.kind, "seats": election.seats,
         "closed_ballot": election.closed_ballot, "eligible": check.eligible,
         "candidates": list(election.candidates.order_by("number").values_list("pk", flat=True))},
    )
    # The lot's seed is committed before any ballot exists; revealed only at close (R45).
    record(actor, "election.seed_committed", election_obj(election),
           {"seed_sha256": election.seed_commitment})
    push(election.meeting_id, {"type": "election.opened", "election": election.pk})
    return election


def open_election(user: Any, meeting_id: Any, election_id: Any) -> Election:
    """The chair opens the ballot; needs quorum (R35); commits the lot's seed (R45)."""
    with transaction.atomic():
        return do_open_election(check_open_election(user, meeting_id, election_id), actor=user)


# --- cast a closed ballot -----------------------------------------------------------------------


@dataclass(frozen=True)
class CastElectionBallotCheck:
    election: Election
    person_id: int
    candidate: Candidate | None


@dataclass(frozen=True)
class Participation:
    """What a voter gets back: that he or she took part. Never the choice (R12)."""

    election_id: int
    participated: bool = True


def _candidate(election: Election, value: Any) -> Candidate | None:
    if isinstance(value, str) and value.strip().lower() in BLANK_VALUES:
        return None
    if value is None:
        return None
    cid = as_int(value)
    candidate = election.candidates.filter(pk=cid).first() if cid else None
    if candidate is None:
        raise voting_error("election.unknown_candidate")
    return candidate


def check_cast_election_ballot(
    user: Any, meeting_id: Any, election_id: Any, candidate: Any
) -> CastElectionBallotCheck:
    election = _lock_election(meeting_id, election_id, user=user)
    chosen = _candidate(election, candidate)
    if election.status == ElectionStatus.PAUSED:
        raise voting_error("election.paused")
    if election.status != ElectionStatus.OPEN:
        raise voting_error("election.not_open")
    require_in_session(election.meeting)
    participant = deciding_participant(election.item, user)
    if participant.person_id not in election.eligible:
        raise voting_error("election.not_eligible")
    if ElectionParticipation.objects.filter(
        election=election, person_id=participant.person_id
    ).exists():
        raise voting_error("election.already_voted")
    return CastElectionBallotCheck(election, participant.person_id, chosen)


@transaction.atomic
def do_cast_election_ballot(check: CastElectionBallotCheck, *, actor: Any) -> Participation:
    election = check.election
    # Two rows, one transaction, no link between them (R12).
    ElectionParticipation.objects.create(election=election, person_id=check.person_id)
    ElectionBallot.objects.create(election=election, candidate=check.candidate)
    record(actor, "election.participated", election_obj(election), {})
    participated = ElectionParticipation.objects.filter(election=election).count()
    push(election.meeting_id, {"type": "election.progress", "election": election.pk,
                               "participated": participated})
    return Participation(election.pk)


def cast_election_ballot(
    user: Any, meeting_id: Any, election_id: Any, candidate: Any
) -> Participation:
    """A deciding, eligible member casts a closed ballot (a candidate, or blank); once only."""
    with transaction.atomic():
        return do_cast_election_ballot(
            check_cast_election_ballot(user, meeting_id, election_id, candidate), actor=user
        )


# --- close and count ----------------------------------------------------------------------------


def _group_key(candidate: Candidate) -> str:
    if candidate.candidate_list_id is not None:
        return f"list:{candidate.candidate_list_id}"
    return f"candidate:{candidate.pk}"  # a single candidate is a list of one (vaalilaki 89 §)


def _value(value: int | Fraction) -> str:
    return str(value)


def _draws_json(draws: tuple[procedure.Draw, ...]) -> list[dict[str, Any]]:
    return [
        {"context": d.context, "value": _value(d.value), "tied": list(d.tied),
         "order": list(d.order), "decisive": d.decisive}
        for d in draws
    ]


def tally(election: Election) -> tuple[dict[int, int], int]:
    """Votes per candidate (every candidate, zeros included) and blank ballots, by aggregation."""
    votes = {pk: 0 for pk in election.candidates.values_list("pk", flat=True)}
    blank = 0
    for row in (
        ElectionBallot.objects.filter(election=election)
        .values("candidate_id").annotate(n=Count("id")).order_by("candidate_id")
    ):
        if row["candidate_id"] is None:
            blank = row["n"]
        else:
            votes[row["candidate_id"]] = row["n"]
    return votes, blank


def compute_result(election: Election, votes: dict[int, int], seed: bytes) -> dict[str, Any]:
    """The election result by `voting.procedure`, as JSON (exact fractions as strings)."""
    candidates = list(election.candidates.all())
    if election.kind == ElectionKind.PROPORTIONAL:
        lists: dict[str, dict[int, int]] = {}
        for c in candidates:
            lists.setdefault(_group_key(c), {})[c.pk] = votes.get(c.pk, 0)
        alliances: dict[str, list[str]] = {}
        for cl in election.lists.filter(alliance__isnull=False).order_by("number"):
            if f"list:{cl.pk}" in lists:  # a list without candidates has no votes to pool
                alliances.setdefault(f"alliance:{cl.alliance_id}", []).append(f"list:{cl.pk}")
        p = procedure.proportional_election(lists, election.seats, seed, alliances=alliances)
        result = {
            "kind": election.kind,
            "elected": list(p.elected),
            "not_elected": list(p.not_elected),
            "ranking": [
                {"candidate": e.candidate, "list": e.list_id, "group": e.group,
                 "position": e.position,
                 "votes": e.personal_votes, "comparison": _value(e.comparison),
                 "comparison_display": procedure.format_comparison_number(e.comparison)}
                for e in p.ranking
            ],
            "totals": {str(k): v for k, v in sorted(p.totals.items())},
            "draws": _draws_json(p.ties_drawn),
            "unfilled": p.unfilled_seats,
        }
    else:
        m = procedure.majority_election(votes, election.seats, seed)
        result = {
            "kind": election.kind,
            "elected": list(m.elected),
            "not_elected": list(m.not_elected),
            "ranking": [{"candidate": c, "votes": n} for c, n in m.ranking],
            "draws": _draws_json(m.ties_drawn),
            "unfilled": m.unfilled_seats,
        }
    if election.personal_substitutes:
        pairs = {c.pk: (c.person_id, c.substitute_person_id) for c in candidates}
        result["elected_pairs"] = [
            list(pair) for pair in procedure.personal_substitute_pairs(result["elected"], pairs)
        ]
    return result


@dataclass(frozen=True)
class CloseElectionCheck:
    election: Election
    votes: dict[int, int]
    blank: int
    result: dict[str, Any]


def check_close_election(user: Any, meeting_id: Any, election_id: Any) -> CloseElectionCheck:
    election = _lock_election(meeting_id, election_id, user=user)
    require_chair(user, election.meeting)
    require_in_session(election.meeting)
    if election.status == ElectionStatus.PAUSED:
        raise voting_error("election.paused")
    if election.status != ElectionStatus.OPEN:
        raise voting_error("election.not_open")
    if election.needs_chair_decision:  # R72: never closed past a connection change
        raise voting_error("election.needs_chair_decision")
    if not election.seed_hex:
        raise voting_error("election.bad_seed")
    votes, blank = tally(election)
    try:
        result = compute_result(election, votes, bytes.fromhex(election.seed_hex))
    except procedure.ProcedureError as exc:
        raise from_procedure(exc) from exc
    return CloseElectionCheck(election, votes, blank, result)


def _reseal_ballots(election: Election) -> list[int | None]:
    """Rewrite the ballot rows in content order with fresh random keys (R12).

    After this, neither physical row order (PostgreSQL ctid, SQLite rowid) nor the inserting
    transaction (PostgreSQL xmin) of a ballot follows the casting order or matches a
    participation row. Returns the contents, sorted (blank first).
    """
    contents = list(
        ElectionBallot.objects.filter(election=election)
        .order_by("candidate_id", "id")
        .values_list("candidate_id", flat=True)
    )
    contents.sort(key=lambda c: (c is not None, c or 0))
    ElectionBallot.objects.filter(election=election).delete()
    ElectionBallot.objects.bulk_create(
        [ElectionBallot(election=election, candidate_id=c) for c in contents]
    )
    return contents


@transaction.atomic
def do_close_election(check: CloseElectionCheck, *, actor: Any) -> Election:
    election, result = check.election, check.result
    contents = _reseal_ballots(election)
    election.status = ElectionStatus.CLOSED
    election.closed_at = now()
    election.ballot_count = len(contents)
    election.blank_count = check.blank
    election.result = result
    election.save()
    obj = election_obj(election)
    # All ballot contents in one entry, sorted, after the election closed (audit spec 1).
    record(actor, "election.ballots", obj,
           {"ballots": [c for c in contents if c is not None], "blank": check.blank,
            "total": len(contents)})
    record(actor, "election.drawn", obj,
           {"seed_hex": election.seed_hex, "seed_sha256": election.seed_commitment,
            "draws": result["draws"]})
    record(actor, "election.closed", obj,
           {"elected": result["elected"], "not_elected": result["not_elected"],
            "votes": {str(k): v for k, v in sorted(check.votes.items())},
            "blank": check.blank, "participants": election.participations.count(),
            "unfilled": result["unfilled"]})
    checkpoint_on_commit()
    push(election.meeting_id, {"type": "election.closed", "election": election.pk,
                               "elected": result["elected"]})
    return election


def close_election(user: Any, meeting_id: Any, election_id: Any) -> Election:
    """The chair closes the ballot; counting, lot and result by `voting.procedure` (R45)."""
    with transaction.atomic():
        return do_close_election(check_close_election(user, meeting_id, election_id), actor=user)


# --- connection changes and the chair's choice (R72), the same rule and record as for votes ----

ACTIVE_ELECTION_STATUSES = (ElectionStatus.OPEN, ElectionStatus.PAUSED)


def _election_audit_base(election: Election) -> dict[str, Any]:
    return {"item": election.item_id, "attempt": election.attempt}


def note_connection_change(participant: Participant) -> list[Election]:
    """Tell the elections that `participant.connection_state` just changed (R72).

    `procedure.connection_change_effect` — the rule votes use too: every open or paused
    election in which the participant is an eligible voter (or any, for the chair and the
    secretary) is marked `needs_chair_decision` (reason `connection`) and cannot close until
    the chair chooses continue, pause or restart (`chair_choice`); losing the chair's or the
    secretary's connection pauses it at once. Nothing about ballots is read or logged (R12).
    """
    with transaction.atomic():
        meeting = Meeting.objects.get(pk=participant.meeting_id)
        key_person = participant.person_id in (meeting.chair_id, meeting.secretary_id)
        lost = participant.connection_state in (
            ConnectionState.DISCONNECTED, ConnectionState.REJOINED
        )
        marked = []
        for election in Election.objects.select_for_update().filter(
            meeting_id=meeting.pk, status__in=ACTIVE_ELECTION_STATUSES
        ).order_by("pk"):
            effect = procedure.connection_change_effect(
                eligible=participant.person_id in election.eligible, key_person=key_person,
                lost=lost, running=election.status == ElectionStatus.OPEN,
            )
            if not effect.flag:
                continue
            if effect.pause:
                election.status = ElectionStatus.PAUSED
            election.needs_chair_decision = True
            election.attention_reason = VoteAttentionReason.CONNECTION
            election.save(update_fields=["status", "needs_chair_decision", "attention_reason"])
            record(
                None, "election.needs_chair_decision", election_obj(election),
                {**_election_audit_base(election), "reason": VoteAttentionReason.CONNECTION,
                 "person": participant.person_id,
                 "connection_state": participant.connection_state, "paused": effect.pause},
            )
            push(election.meeting_id, {"type": "election.needs_chair_decision",
                                       "election": election.pk, "status": election.status})
            marked.append(election)
        return marked


@dataclass(frozen=True)
class ElectionChoiceCheck:
    election: Election
    choice: str
    note: str
    eligible: list[int] | None


def check_election_chair_choice(
    user: Any, meeting_id: Any, election_id: Any, choice: Any, note: Any = ""
) -> ElectionChoiceCheck:
    choice = parse_chair_choice(choice)
    election = _lock_election(meeting_id, election_id, user=user)
    require_chair(user, election.meeting)
    if election.status not in ACTIVE_ELECTION_STATUSES:
        raise voting_error("election.not_open")
    eligible = check_chair_choice_rule(
        choice, meeting=election.meeting, item=election.item,
        needs_decision=election.needs_chair_decision,
        paused=election.status == ElectionStatus.PAUSED, code_prefix="election",
    )
    return ElectionChoiceCheck(election, choice, str(note or "").strip()[:500], eligible)


@transaction.atomic
def do_election_chair_choice(check: ElectionChoiceCheck, *, actor: Any) -> Election:
    """Continue, pause or restart. A restart discards every participation and ballot of the
    attempt uncounted (they were never read), takes a fresh eligibility list and commits a
    fresh seed for the lot before any new ballot (R45, R72)."""
    election, choice = check.election, check.choice
    reason = election.attention_reason
    data: dict[str, Any] = {**_election_audit_base(election), "choice": choice, "reason": reason,
                            "note_sha256": sha256_hex(check.note) if check.note else ""}
    if choice == ChairChoiceKind.CONTINUE:
        election.status = ElectionStatus.OPEN
        election.needs_chair_decision = False
        election.attention_reason = VoteAttentionReason.NONE
    elif choice == ChairChoiceKind.PAUSE:
        election.status = ElectionStatus.PAUSED
    else:
        discarded = election.participations.count()
        ElectionBallot.objects.filter(election=election).delete()
        ElectionParticipation.objects.filter(election=election).delete()
        seed = secrets.token_bytes(32)
        election.seed_hex = seed.hex()
        election.seed_commitment = hashlib.sha256(seed).hexdigest()
        election.eligible = check.eligible or []
        election.present_at_open = len(election.eligible)
        election.attempt += 1
        election.opened_at = now()
        election.status = ElectionStatus.OPEN
        election.needs_chair_decision = False
        election.attention_reason = VoteAttentionReason.NONE
        data.update({"discarded": discarded, "eligible": election.eligible,
                     "new_attempt": election.attempt})
    election.save()
    ChairChoice.objects.create(
        election=election, choice=choice, reason=reason, note=check.note, at=now(), actor=actor
    )
    record(actor, "election.chair_choice", election_obj(election), data)
    if choice == ChairChoiceKind.RESTART:
        record(actor, "election.seed_committed", election_obj(election),
               {"seed_sha256": election.seed_commitment})
    push(election.meeting_id, {"type": "election.chair_choice", "election": election.pk,
                               "choice": choice, "status": election.status})
    return election


def election_chair_choice(
    user: Any, meeting_id: Any, election_id: Any, choice: Any, note: Any = ""
) -> Election:
    """The chair continues, pauses or restarts an election; recorded like a vote's (R72)."""
    with transaction.atomic():
        return do_election_chair_choice(
            check_election_chair_choice(user, meeting_id, election_id, choice, note), actor=user
        )


__all__ = [
    "Participation", "add_candidate_list", "add_electoral_alliance", "election_chair_choice",
    "note_connection_change", "cast_election_ballot", "close_election",
    "closed_ballot_available", "compute_result", "create_election", "demand",
    "nominate_candidate", "open_election", "tally",
]
