"""The minutes from the records (*pöytäkirja rekistereistä*, R48, R49, R21).

:func:`build_document` turns a meeting's structured records — attendance intervals, the quorum
roll call, items with their base proposals and disqualifications, the voting app's proposals,
seconding, votes with names, elections, decisions and dissents, the audit log — into a
:class:`minutes.document.MinutesDocument`. Nothing here is typed by the secretary except the
narrative text (:class:`minutes.models.MinutesNarrative`, ``Minutes.narrative``), which is
escaped and appended; votes, attendance and decisions cannot be edited in the minutes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.html import escape, linebreaks

from audit.models import AuditEntry
from meetings.models import (
    AgendaItem,
    ItemStatus,
    Meeting,
    Participant,
    PresenceInterval,
    RollCall,
)
from minutes import appeals
from minutes.document import (
    AttendanceMode,
    AttendanceRole,
    AttendanceRow,
    CheckingNote,
    Disqualification,
    Dissent,
    DissentKind,
    Election,
    ElectionCandidate,
    ElectionMethod,
    MeetingInfo,
    MeetingMethod,
    MinutesDocument,
    PresenceChange,
    PresenceChangeKind,
    Proposal,
    PublicationNote,
    Publicity,
    Redaction,
    RedactionKind,
    RedactionScope,
    Section,
    SigningNote,
    Vote,
    VoteMethod,
)

#: Items that appear in the minutes as a § (handled in the meeting or in the § 100 procedure).
MINUTED_STATUSES = (ItemStatus.DECIDED, ItemStatus.TABLED, ItemStatus.RETURNED)
#: Audit actions too numerous or too personal for the per-§ leaf list (each ballot).
_NOT_LEAVES = ("vote.cast", "election.participated", "vote.ballot_changed")
#: Slack for "present from the start": an arrival this close to the opening is not a change.
_GRACE = dt.timedelta(minutes=1)


def minuted_items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        meeting.items.filter(status__in=MINUTED_STATUSES)
        .select_related("body__municipality", "presenter", "preparer", "base_proposal")
        .order_by("section_number", "order", "pk")
    )


def section_numbers(items: list[AgendaItem]) -> dict[int, int]:
    """§ numbers: the recorded one, or (an item without one) the next free number."""
    used = {i.section_number for i in items if i.section_number}
    numbers, nxt = {}, max(used, default=0) + 1
    for item in items:
        if item.section_number:
            numbers[item.pk] = item.section_number
        else:
            numbers[item.pk] = nxt
            nxt += 1
    return numbers


def _person_label(person: Any) -> str:
    if person is None:
        return ""
    return f"{person.full_name}, {person.title}" if person.title else person.full_name


def _section_at(
    moment: dt.datetime, items: list[AgendaItem], numbers: dict[int, int]
) -> int | None:
    for item in items:
        if item.opened_at and item.opened_at <= moment and (
            item.closed_at is None or moment <= item.closed_at
        ):
            return numbers[item.pk]
    return None


def attendance_rows(
    meeting: Meeting, items: list[AgendaItem], numbers: dict[int, int]
) -> tuple[AttendanceRow, ...]:
    """Läsnä / poissa with arrivals and departures during a § (R11, R49, R73)."""
    intervals: dict[int, list[PresenceInterval]] = {}
    for iv in PresenceInterval.objects.filter(participant__meeting=meeting).order_by("started_at"):
        intervals.setdefault(iv.participant_id, []).append(iv)
    opened = meeting.opened_at or meeting.starts_at
    closed = meeting.closed_at
    rows = []
    participants = (
        Participant.objects.filter(meeting=meeting)
        .select_related("person", "membership", "acting_for__person")
        .order_by("role", "person__last_name", "person__first_name", "pk")
    )
    for p in participants:
        ivs = intervals.get(p.pk, [])
        changes: list[PresenceChange] = []
        for iv in ivs:
            if iv.started_at > opened + _GRACE:
                changes.append(PresenceChange(
                    PresenceChangeKind.ARRIVED, iv.started_at,
                    _section_at(iv.started_at, items, numbers),
                ))
            if iv.ended_at is not None and iv.end_reason != "meeting_closed" and (
                closed is None or iv.ended_at <= closed
            ):
                changes.append(PresenceChange(
                    PresenceChangeKind.LEFT, iv.ended_at,
                    _section_at(iv.ended_at, items, numbers),
                ))
        function = ""
        if meeting.chair_id == p.person_id:
            function = "puheenjohtaja"
        elif p.membership_id and p.membership.position == "vice_chair":
            function = "varapuheenjohtaja"
        elif p.role not in ("member", "substitute"):
            function = p.person.title
        rows.append(AttendanceRow(
            name=p.person.full_name,
            role=AttendanceRole(p.role),
            function=function,
            acting_for=p.acting_for.person.full_name if p.acting_for_id else "",
            mode=AttendanceMode(p.mode or "in_room"),
            absent=not ivs,
            absence_note=(p.get_absence_display() if p.absence else p.absence_note) if not ivs
            else "",
            changes=tuple(changes),
        ))
    return tuple(rows)


def quorum_text(meeting: Meeting) -> str:
    call = RollCall.objects.filter(meeting=meeting, kind="opening").order_by("at", "pk").first()
    if call is None:
        call = RollCall.objects.filter(meeting=meeting).order_by("at", "pk").first()
    if call is None:
        return ""
    verdict = "päätösvaltainen" if call.quorate else "ei päätösvaltainen"
    return (
        f"Nimenhuudossa läsnä {call.present_count} jäsentä; päätösvaltaisuuteen vaaditaan "
        f"{call.required} (KL 103 §). Kokous oli {verdict}."
    )


# --- voting records -----------------------------------------------------------------------------


def _proposal_key(row: dict[str, Any]) -> str:
    return "pohjaehdotus" if row["is_base"] else str(row["label"])


def _voting_parts(item: AgendaItem) -> dict[str, Any]:
    """Proposals, votes, elections and dissents of an item from the voting records."""
    from voting import selectors as voting_selectors
    from voting.models import Decision, VotingOrder
    from voting.models import Dissent as DissentRow
    from voting.models import Election as ElectionRow
    from voting.models import Proposal as ProposalRow
    from voting.models import Vote as VoteRow

    proposals = list(
        ProposalRow.objects.filter(item=item).select_related("proposer__person")
        .prefetch_related("secondings__participant__person").order_by("number")
    )
    rows = [voting_selectors.proposal_row(p) for p in proposals]
    _voted, fallen = voting_selectors.fallen_proposals(proposals)
    fallen_ids = {f["id"] for f in fallen}
    key_of = {r["id"]: _proposal_key(r) for r in rows}
    doc_proposals = tuple(
        Proposal(
            key=key_of[r["id"]], text=r["text"], proposer=r["proposer"],
            seconders=tuple(s["name"] for s in r["seconders"]), is_base=r["is_base"],
            fell=r["id"] in fallen_ids, withdrawn=r["withdrawn"],
        )
        for r in rows
    )
    by_id = {p.pk: p for p in proposals}

    def means(pid: int) -> str:
        p = by_id.get(pid)
        if p is None:
            return ""
        who = p.proposer.person.last_name if p.proposer_id else ""
        return f"{key_of[pid]} ({who})" if who else key_of[pid]

    order = VotingOrder.objects.filter(item=item).first()
    method = VoteMethod(order.method) if order and order.method in VoteMethod._value2member_map_ \
        else VoteMethod.ELECTRONIC
    votes = []
    for v in VoteRow.objects.filter(item=item, status="closed").order_by("step", "attempt"):
        row = voting_selectors.vote_row(v)
        names = row["names"]
        winner = key_of.get(v.winner_proposal_id, "")
        result = f"{winner} voitti äänin {v.jaa_count}–{v.ei_count}"
        if v.tyhja_count:
            result += f" ({v.tyhja_count} tyhjää)"
        if v.tie_broken_by_chair:
            result += "; äänet menivät tasan ja ratkaisi puheenjohtajan ääni"
        votes.append(Vote(
            order=v.step, method=method,
            question=f"{key_of[v.jaa_proposal_id]} vastaan {key_of[v.ei_proposal_id]}",
            jaa_means=means(v.jaa_proposal_id), ei_means=means(v.ei_proposal_id),
            jaa=v.jaa_count, ei=v.ei_count, blank=v.tyhja_count, absent=v.absent_count,
            jaa_names=tuple(n["name"] for n in names["jaa"]),
            ei_names=tuple(n["name"] for n in names["ei"]),
            blank_names=tuple(n["name"] for n in names["tyhja"]),
            absent_names=tuple(n["name"] for n in names["absent"]),
            result=result + ".", winner=winner,
        ))
    elections = []
    election_ids = []
    for e in ElectionRow.objects.filter(item=item, status="closed").order_by("pk"):
        election_ids.append(e.pk)
        candidates = {c.pk: c for c in e.candidates.select_related("candidate_list")}
        result = e.result or {}
        elected = set(result.get("elected", []))
        doc_candidates = []
        for r in result.get("ranking", []):
            c = candidates.get(r["candidate"])
            if c is None:
                continue
            doc_candidates.append(ElectionCandidate(
                name=str(c), votes=r.get("votes"), comparison=r.get("comparison_display", ""),
                elected=c.pk in elected,
                list_name=c.candidate_list.name if c.candidate_list_id else "",
            ))
        names = [str(candidates[c]) for c in result.get("elected", []) if c in candidates]
        text = "Valituiksi tulivat: " + ", ".join(names) + "." if names else ""
        if result.get("draws"):
            text += " Äänten mennessä tasan arpa ratkaisi (KL 105.4 §)."
        elections.append(Election(
            title=e.title,
            method=ElectionMethod.PROPORTIONAL if e.kind == "proportional"
            else ElectionMethod.MAJORITY,
            seats=e.seats,
            vote_method=VoteMethod.SECRET_BALLOT if e.closed_ballot else VoteMethod.OPEN_BALLOT,
            candidates=tuple(doc_candidates), result=text.strip(),
        ))
    dissents = tuple(
        Dissent(
            name=d.person.full_name,
            kind=DissentKind.REASONED if d.reasons else DissentKind.UNREASONED,
            text=d.reasons,
        )
        for d in DissentRow.objects.filter(item=item).select_related("person")
        .order_by("registered_at", "pk")
    )
    decision = Decision.objects.filter(item=item).first()
    return {
        "proposals": doc_proposals,
        "votes": tuple(votes),
        "elections": tuple(elections),
        "dissents": dissents,
        "vote_ids": list(VoteRow.objects.filter(item=item).values_list("pk", flat=True)),
        "election_ids": election_ids,
        "decision": decision,
    }


def leaf_indexes(item: AgendaItem, vote_ids: list[int], election_ids: list[int]) -> tuple[int, ...]:
    """Audit-log leaf indexes (``AuditEntry.seq``) of the § 's decision events (R62, R78)."""
    objects = [f"item:{item.pk}"] + [f"vote:{v}" for v in vote_ids] + [
        f"election:{e}" for e in election_ids
    ]
    return tuple(
        AuditEntry.objects.filter(object__in=objects).exclude(action__in=_NOT_LEAVES)
        .order_by("seq").values_list("seq", flat=True)
    )


_DISQ_NOTE = "ei osallistunut asian käsittelyyn eikä ollut läsnä sitä käsiteltäessä"


def _decision_text(item: AgendaItem) -> str:
    if item.status == ItemStatus.TABLED:
        return item.decision_text or "Asia pantiin pöydälle."
    if item.status == ItemStatus.RETURNED:
        return item.decision_text or "Asia palautettiin valmisteluun."
    return item.decision_text


def build_section(item: AgendaItem, number: int, narrative: str = "") -> Section:
    parts = _voting_parts(item)
    base = item.base_proposal or item.current_proposal
    description = item.description or ""
    if narrative.strip():
        description += linebreaks(escape(narrative.strip()))
    disqualifications = tuple(
        Disqualification(
            name=d.participant.person.full_name,
            ground=d.get_ground_display(),
            note="; ".join(x for x in (d.explanation, _DISQ_NOTE) if x),
        )
        for d in item.disqualifications.exclude(body_decision="rejected")
        .select_related("participant__person").order_by("declared_at", "pk")
    )
    redactions = tuple(
        Redaction(r.field, r.start, r.end, RedactionKind(r.kind), RedactionScope(r.scope))
        for r in _redactions(item)
    )
    publicity = Publicity(item.publicity)
    return Section(
        number=number,
        heading=item.title,
        diary_number=item.diary_number,
        presenter=_person_label(item.presenter),
        preparer=_person_label(item.preparer),
        description_html=description,
        base_proposal=base.text if base else "",
        disqualifications=disqualifications,
        proposals=parts["proposals"],
        votes=parts["votes"],
        elections=parts["elections"],
        decision_text=_decision_text(item),
        dissents=parts["dissents"],
        appeal=appeals.instruction_for(item),
        publicity=publicity,
        confidentiality_basis=item.confidentiality_basis if publicity != Publicity.PUBLIC
        else "",
        public_description_html=item.public_description
        if publicity == Publicity.PARTLY_CONFIDENTIAL else "",
        audit_leaf_indexes=leaf_indexes(item, parts["vote_ids"], parts["election_ids"]),
        redactions=redactions,
    )


def _redactions(item: AgendaItem) -> list[Any]:
    from minutes.models import Redaction as RedactionRow

    return list(RedactionRow.objects.filter(item=item).order_by("field", "start"))


def build_document(meeting: Meeting, *, minutes: Any = None) -> MinutesDocument:
    """The pöytäkirja of ``meeting`` from its records (R49). ``minutes`` (the
    :class:`minutes.models.Minutes` row, looked up when omitted) adds the narrative text and
    the checking, signing and publication notes and the audit checkpoint."""
    from minutes.models import Minutes, MinutesNarrative

    if minutes is None:
        minutes = Minutes.objects.filter(meeting=meeting).first()
    meeting = Meeting.objects.select_related("body__municipality", "chair", "secretary").get(
        pk=meeting.pk
    )
    items = minuted_items(meeting)
    numbers = section_numbers(items)
    narratives = {}
    if minutes is not None:
        narratives = dict(
            MinutesNarrative.objects.filter(minutes=minutes).values_list("item_id", "text")
        )
    sections = tuple(
        build_section(item, numbers[item.pk], narratives.get(item.pk, "")) for item in items
    )
    legality = meeting.legality_finding
    if minutes is not None and minutes.narrative.strip():
        legality = f"{legality}\n{minutes.narrative.strip()}".strip()
    info = MeetingInfo(
        municipality=meeting.body.municipality.name_fi,
        body=meeting.body.name_fi,
        number=meeting.number,
        year=meeting.year,
        starts_at=meeting.opened_at or meeting.starts_at,
        ends_at=meeting.closed_at,
        place=meeting.place,
        method=MeetingMethod(meeting.method),
        legality=legality,
        quorum=quorum_text(meeting),
    )
    checking, signing, publication = CheckingNote(), SigningNote(), PublicationNote()
    checkpoint = ""
    if minutes is not None:
        checkers = list(minutes.checkers.select_related("person").order_by("pk"))
        checking = CheckingNote(
            checkers=tuple(c.person.full_name for c in checkers),
            checked_on=minutes.checked_on,
            note="Pöytäkirja on tarkastettu sähköisesti." if minutes.checked_on else "",
        )
        signing = SigningNote(
            chair=meeting.chair.full_name if meeting.chair_id else "",
            secretary=meeting.secretary.full_name if meeting.secretary_id else "",
            signed_at=minutes.signed_at,
        )
        if minutes.published_on:
            publication = PublicationNote(
                published_on=minutes.published_on,
                text="Pöytäkirja on pidetty nähtävänä yleisessä tietoverkossa (KL 140 §).",
            )
        if minutes.checkpoint_size is not None:
            checkpoint = _checkpoint_text(minutes.checkpoint_size)
    created = (
        (minutes.signed_at if minutes is not None else None)
        or meeting.closed_at or meeting.opened_at or meeting.starts_at
    )
    return MinutesDocument(
        meeting=info,
        created_at=created,
        attendance=attendance_rows(meeting, items, numbers),
        sections=sections,
        checking=checking,
        signing=signing,
        publication=publication,
        checkpoint_text=checkpoint,
    )


def _checkpoint_text(size: int) -> str:
    from audit.models import AuditCheckpoint

    cp = AuditCheckpoint.objects.filter(size=size).order_by("-created_at").first()
    return cp.note if cp is not None else ""
