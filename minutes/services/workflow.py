"""The minutes workflow: build, narrative, checkers, approval, signing, attestation,
publication and the removal of personal data (R48–R53, R55, R67).

Each state change is a ``check_*`` (validate, lock) / ``do_*`` (write rows, ``audit.record``)
pair with a public wrapper running both in one transaction. Status:
``draft → ready → checked → signed → published`` (the chair's signature is recorded while
``checked``; the secretary's attestation completes ``signed`` and seals the PDF).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

import audit
from audit import checkpoints
from meetings import deadlines, encryption, rules
from meetings.lifecycle import MeetingEvent
from meetings.models import AgendaItem, Meeting, MeetingStatus, Participant, Person
from meetings.services.meeting import do_transition_meeting
from minutes import builder
from minutes.document import MinutesDocument
from minutes.jobs import RESULT_DIR
from minutes.models import Minutes, MinutesChecker, MinutesNarrative, Redaction
from minutes.publication import PublicRendering, document_rendering_at, publication_schedule
from minutes.services.errors import minutes_error

#: Form fields the secretary may post: the general text and one narrative per item.
NARRATIVE_FIELD = "narrative"
ITEM_NARRATIVE_PREFIX = "item-"
#: Fields a form might carry that are never accepted (they come from the records, R49).
IGNORED_FIELDS = frozenset({"csrfmiddlewaretoken", "action"})

CLOSED_STATES = (MeetingStatus.CLOSED, MeetingStatus.MINUTES_CHECKED, MeetingStatus.PUBLISHED)


def _now() -> dt.datetime:
    return timezone.now()


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def minutes_obj(minutes: Minutes) -> str:
    return f"minutes:{minutes.pk}"


def _lock(meeting_id: Any) -> tuple[Meeting, Minutes]:
    try:
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related(
            "body__municipality"
        ).get(pk=int(meeting_id))
    except (Meeting.DoesNotExist, TypeError, ValueError):
        raise minutes_error("minutes.not_found") from None
    minutes, _created = Minutes.objects.get_or_create(meeting=meeting)
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
    return meeting, minutes


def _require(allowed: bool) -> None:
    if not allowed:
        raise minutes_error("minutes.forbidden")


def document_of(minutes: Minutes) -> MinutesDocument:
    if not minutes.document_json:
        raise minutes_error("minutes.not_built")
    return MinutesDocument.from_json(minutes.document_json)


def validate_document(document: MinutesDocument) -> None:
    """Every § has exactly one appeal instruction (KL 141 §, R55)."""
    for section in document.sections:
        if section.appeal is None:
            raise minutes_error("minutes.appeal_missing", number=section.number)


def _store_snapshot(minutes: Minutes, document: MinutesDocument) -> None:
    text = document.to_json()
    minutes.document_json = text
    minutes.document_sha256 = sha256_hex(text)
    minutes.built_at = _now()


# --- build --------------------------------------------------------------------------------------


@dataclass
class BuildCheck:
    meeting: Meeting
    minutes: Minutes


def check_build_minutes(user: Any, meeting_id: Any) -> BuildCheck:
    meeting, minutes = _lock(meeting_id)
    _require(rules.can_manage_meeting(user, meeting))
    if meeting.status not in CLOSED_STATES:
        raise minutes_error("minutes.meeting_not_closed")
    if minutes.status not in (Minutes.Status.DRAFT, Minutes.Status.READY):
        raise minutes_error("minutes.locked")
    return BuildCheck(meeting, minutes)


def do_build_minutes(check: BuildCheck, *, actor: Any) -> Minutes:
    minutes = check.minutes
    document = builder.build_document(check.meeting, minutes=minutes)
    validate_document(document)
    _store_snapshot(minutes, document)
    minutes.status = Minutes.Status.READY
    minutes.save()
    audit.record(actor, "minutes.built", minutes_obj(minutes), {
        "meeting_id": check.meeting.pk, "document_sha256": minutes.document_sha256,
        "sections": [s.number for s in document.sections],
    })
    return minutes


def build_minutes(user: Any, meeting_id: Any) -> Minutes:
    """(Re)build the minutes from the records; they become ready for checking (R49)."""
    with transaction.atomic():
        return do_build_minutes(check_build_minutes(user, meeting_id), actor=user)


# --- narrative ----------------------------------------------------------------------------------


@dataclass
class NarrativeCheck:
    meeting: Meeting
    minutes: Minutes
    general: str | None
    items: dict[int, str]


def check_save_narrative(user: Any, meeting_id: Any, data: dict[str, Any]) -> NarrativeCheck:
    """Only narrative fields are accepted; anything else (a vote, a name list, a decision)
    refuses the whole change with ``minutes.records_not_editable`` (R49)."""
    meeting, minutes = _lock(meeting_id)
    _require(rules.can_manage_meeting(user, meeting))
    if minutes.status not in (Minutes.Status.DRAFT, Minutes.Status.READY):
        raise minutes_error("minutes.locked")
    item_ids = set(meeting.items.values_list("pk", flat=True))
    general, items = None, {}
    for key, value in data.items():
        if key in IGNORED_FIELDS:
            continue
        if key == NARRATIVE_FIELD:
            general = str(value)[:20000]
            continue
        if key.startswith(ITEM_NARRATIVE_PREFIX):
            try:
                item_id = int(key[len(ITEM_NARRATIVE_PREFIX):])
            except ValueError:
                item_id = None
            if item_id in item_ids:
                items[item_id] = str(value)[:20000]
                continue
        raise minutes_error("minutes.records_not_editable")
    return NarrativeCheck(meeting, minutes, general, items)


def do_save_narrative(check: NarrativeCheck, *, actor: Any) -> Minutes:
    minutes = check.minutes
    changed: list[str] = []
    if check.general is not None and check.general != minutes.narrative:
        minutes.narrative = check.general
        minutes.save(update_fields=["narrative"])
        changed.append("meeting")
    for item_id, text in check.items.items():
        row, _ = MinutesNarrative.objects.get_or_create(minutes=minutes, item_id=item_id)
        if row.text != text:
            row.text = text
            row.save(update_fields=["text"])
            changed.append(f"item:{item_id}")
    if changed:
        if minutes.status == Minutes.Status.READY:
            minutes.status = Minutes.Status.DRAFT  # rebuild before checking
            minutes.save(update_fields=["status"])
        audit.record(actor, "minutes.narrative_edited", minutes_obj(minutes), {
            "changed": changed,
        })
    return minutes


def save_narrative(user: Any, meeting_id: Any, data: dict[str, Any]) -> Minutes:
    with transaction.atomic():
        return do_save_narrative(check_save_narrative(user, meeting_id, data), actor=user)


# --- checkers -----------------------------------------------------------------------------------


@dataclass
class AssignCheck:
    meeting: Meeting
    minutes: Minutes
    person: Person


def check_assign_checker(user: Any, meeting_id: Any, person_id: Any) -> AssignCheck:
    meeting, minutes = _lock(meeting_id)
    _require(rules.can_manage_meeting(user, meeting) or rules.is_chair(user, meeting))
    if minutes.status not in (Minutes.Status.DRAFT, Minutes.Status.READY):
        raise minutes_error("minutes.locked")
    participant = Participant.objects.filter(
        meeting=meeting, person_id=person_id, role__in=("member", "substitute")
    ).select_related("person").first() if str(person_id).isdigit() else None
    if participant is None:
        raise minutes_error("minutes.checker_not_participant")
    if minutes.checkers.filter(person=participant.person).exists():
        raise minutes_error("minutes.checker_not_participant")
    if minutes.checkers.count() >= 2:
        raise minutes_error("minutes.too_many_checkers")
    return AssignCheck(meeting, minutes, participant.person)


def do_assign_checker(check: AssignCheck, *, actor: Any) -> MinutesChecker:
    checker = MinutesChecker.objects.create(
        minutes=check.minutes, person=check.person, assigned_by=actor, assigned_at=_now()
    )
    audit.record(actor, "minutes.checker_assigned", minutes_obj(check.minutes), {
        "meeting_id": check.meeting.pk, "person_id": check.person.pk,
    })
    return checker


def assign_checker(user: Any, meeting_id: Any, person_id: Any) -> MinutesChecker:
    """The secretary or chair records a checker chosen at the meeting (R50)."""
    with transaction.atomic():
        return do_assign_checker(check_assign_checker(user, meeting_id, person_id), actor=user)


@dataclass
class CheckerCheck:
    meeting: Meeting
    minutes: Minutes
    checker: MinutesChecker
    text: str = ""


def _checker_check(user: Any, meeting_id: Any, *, recent_mfa: bool) -> CheckerCheck:
    meeting, minutes = _lock(meeting_id)
    person = rules.person_of(user)
    checker = minutes.checkers.filter(person=person).first() if person else None
    if checker is None:
        raise minutes_error("minutes.not_a_checker")
    if not recent_mfa:
        raise minutes_error("minutes.mfa_required")
    if minutes.status != Minutes.Status.READY:
        raise minutes_error("minutes.not_ready")
    return CheckerCheck(meeting, minutes, checker)


def check_approve_minutes(user: Any, meeting_id: Any, *, recent_mfa: bool) -> CheckerCheck:
    check = _checker_check(user, meeting_id, recent_mfa=recent_mfa)
    if check.checker.approved_at is not None:
        raise minutes_error("minutes.already_approved")
    return check


def do_approve_minutes(check: CheckerCheck, *, actor: Any) -> Minutes:
    minutes, checker, at = check.minutes, check.checker, _now()
    checker.approved_at = at
    checker.approved_sha256 = minutes.document_sha256
    checker.save(update_fields=["approved_at", "approved_sha256"])
    audit.record(actor, "minutes.approved", minutes_obj(minutes), {
        "meeting_id": check.meeting.pk, "person_id": checker.person_id,
        "document_sha256": minutes.document_sha256,
    })
    if not minutes.checkers.filter(approved_at__isnull=True).exists():
        minutes.status = Minutes.Status.CHECKED
        minutes.checked_on = deadlines.local_date(at)
        _store_snapshot(minutes, builder.build_document(check.meeting, minutes=minutes))
        minutes.save()
        if check.meeting.status == MeetingStatus.CLOSED:
            do_transition_meeting(check.meeting, MeetingEvent.CHECK_MINUTES, actor=actor, at=at)
    return minutes


def approve_minutes(user: Any, meeting_id: Any, *, recent_mfa: bool) -> Minutes:
    """A checker approves electronically after an MFA step-up; when every checker has
    approved the minutes are checked and the decisions final (R50, R51)."""
    with transaction.atomic():
        return do_approve_minutes(
            check_approve_minutes(user, meeting_id, recent_mfa=recent_mfa), actor=user
        )


def check_comment_minutes(
    user: Any, meeting_id: Any, text: Any, *, recent_mfa: bool
) -> CheckerCheck:
    check = _checker_check(user, meeting_id, recent_mfa=recent_mfa)
    check.text = str(text or "").strip()[:5000]
    if not check.text:
        raise minutes_error("minutes.records_not_editable")
    return check


def do_comment_minutes(check: CheckerCheck, *, actor: Any) -> MinutesChecker:
    checker = check.checker
    checker.comment, checker.commented_at = check.text, _now()
    checker.save(update_fields=["comment", "commented_at"])
    audit.record(actor, "minutes.commented", minutes_obj(check.minutes), {
        "meeting_id": check.meeting.pk, "person_id": checker.person_id,
        "comment_sha256": sha256_hex(check.text),
    })
    return checker


def comment_minutes(user: Any, meeting_id: Any, text: Any, *, recent_mfa: bool) -> Any:
    """A checker does not approve and tells the secretary why (R50)."""
    with transaction.atomic():
        return do_comment_minutes(
            check_comment_minutes(user, meeting_id, text, recent_mfa=recent_mfa), actor=user
        )


# --- signing, attestation -------------------------------------------------------------------


@dataclass
class SignCheck:
    meeting: Meeting
    minutes: Minutes


def check_sign_minutes(user: Any, meeting_id: Any) -> SignCheck:
    meeting, minutes = _lock(meeting_id)
    _require(rules.is_chair(user, meeting))
    if minutes.signed_at is not None:
        raise minutes_error("minutes.already_signed")
    if minutes.status != Minutes.Status.CHECKED:
        raise minutes_error("minutes.not_checked")
    return SignCheck(meeting, minutes)


def do_sign_minutes(check: SignCheck, *, actor: Any) -> Minutes:
    minutes, at = check.minutes, _now()
    checkpoint = checkpoints.latest_checkpoint()
    minutes.signed_at, minutes.signed_by = at, actor
    minutes.checkpoint_size = checkpoint.size
    _store_snapshot(minutes, builder.build_document(check.meeting, minutes=minutes))
    minutes.save()
    audit.record(actor, "minutes.signed", minutes_obj(minutes), {
        "meeting_id": check.meeting.pk, "document_sha256": minutes.document_sha256,
        "checkpoint_size": checkpoint.size,
    })
    checkpoints.checkpoint_on_commit()
    return minutes


def sign_minutes(user: Any, meeting_id: Any) -> Minutes:
    """The chair signs the checked minutes (R50, R51)."""
    with transaction.atomic():
        return do_sign_minutes(check_sign_minutes(user, meeting_id), actor=user)


def check_attest_minutes(user: Any, meeting_id: Any) -> SignCheck:
    meeting, minutes = _lock(meeting_id)
    person = rules.person_of(user)
    _require(person is not None and (
        meeting.secretary_id == person.pk
        or (meeting.secretary_id is None and rules.can_manage_meeting(user, meeting))
    ))
    if minutes.attested_at is not None:
        raise minutes_error("minutes.already_attested")
    if minutes.status not in (Minutes.Status.CHECKED,):
        raise minutes_error("minutes.not_checked")
    if minutes.signed_at is None:
        raise minutes_error("minutes.not_signed")
    return SignCheck(meeting, minutes)


def do_attest_minutes(check: SignCheck, *, actor: Any) -> Minutes:
    minutes = check.minutes
    minutes.attested_at, minutes.attested_by = _now(), actor
    document = document_of(minutes)
    pdf = seal(render_pdf(document), document)
    minutes.pdf_storage_name = store_pdf(pdf)
    minutes.pdf_sha256 = sha256_hex(pdf)
    minutes.status = Minutes.Status.SIGNED
    minutes.save()
    audit.record(actor, "minutes.attested", minutes_obj(minutes), {
        "meeting_id": check.meeting.pk, "document_sha256": minutes.document_sha256,
        "pdf_sha256": minutes.pdf_sha256,
    })
    checkpoints.checkpoint_on_commit()
    return minutes


def attest_minutes(user: Any, meeting_id: Any) -> Minutes:
    """The secretary attests the signed minutes; the PDF/A is sealed (PAdES, R50)."""
    with transaction.atomic():
        return do_attest_minutes(check_attest_minutes(user, meeting_id), actor=user)


# --- PDFs ---------------------------------------------------------------------------------------


def render_pdf(document: MinutesDocument) -> bytes:
    from minutes.render import render_minutes_pdf

    return render_minutes_pdf(document)


def seal(pdf: bytes, document: MinutesDocument) -> bytes:
    from minutes.signing import load_seal_signer, seal_settings, sign_pdf

    config = seal_settings()
    return sign_pdf(
        pdf, load_seal_signer(config), reason="Pöytäkirjan varmennus",
        location=document.meeting.municipality, timestamp_url=config.timestamp_url,
    )


def store_pdf(data: bytes) -> str:
    name = secrets.token_hex(32)
    blob = encryption.encrypt_for_storage(data, name)
    encryption.write_blob(encryption.protected_root() / RESULT_DIR / name, blob)
    return name


def load_pdf(storage_name: str) -> bytes:
    name = encryption.clean_storage_name(storage_name)
    blob = (encryption.protected_root() / RESULT_DIR / name).read_bytes()
    return encryption.decrypt_from_storage(blob, name)


# --- publication --------------------------------------------------------------------------------


def public_document(minutes: Minutes, moment: dt.datetime | None = None) -> tuple[
    MinutesDocument, PublicRendering, frozenset[int]
]:
    """The public version as of ``moment`` (KL 140 §, R52, R67)."""
    from minutes.render import public_version

    document = document_of(minutes)
    rendering, removed = document_rendering_at(document, minutes.published_on, moment or _now())
    return public_version(document, remove_personal_data=removed), rendering, removed


def _state_key(rendering: PublicRendering, removed: frozenset[int]) -> str:
    return f"{rendering.value}:{','.join(str(n) for n in sorted(removed))}"[:200]


@dataclass
class PublishCheck:
    meeting: Meeting
    minutes: Minutes


def check_publish_minutes(user: Any, meeting_id: Any) -> PublishCheck:
    meeting, minutes = _lock(meeting_id)
    _require(rules.can_manage_meeting(user, meeting))
    if minutes.status == Minutes.Status.PUBLISHED:
        raise minutes_error("minutes.already_published")
    if minutes.status in (Minutes.Status.DRAFT, Minutes.Status.READY):
        raise minutes_error("minutes.not_checked")
    if minutes.signed_at is None:
        raise minutes_error("minutes.not_signed")
    if minutes.attested_at is None:
        raise minutes_error("minutes.not_attested")
    return PublishCheck(meeting, minutes)


def do_publish_minutes(check: PublishCheck, *, actor: Any) -> Minutes:
    minutes, at = check.minutes, _now()
    minutes.published_at, minutes.published_on = at, deadlines.local_date(at)
    minutes.status = Minutes.Status.PUBLISHED
    _store_snapshot(minutes, builder.build_document(check.meeting, minutes=minutes))
    _refresh_public_pdf(minutes, at)
    minutes.save()
    if check.meeting.status == MeetingStatus.MINUTES_CHECKED:
        do_transition_meeting(check.meeting, MeetingEvent.PUBLISH, actor=actor, at=at)
    document = document_of(minutes)
    kinds = sorted({s.appeal_kind.value for s in document.sections})
    schedule = publication_schedule(minutes.published_on, _main_kind(kinds))
    audit.record(actor, "minutes.published", minutes_obj(minutes), {
        "meeting_id": check.meeting.pk, "published_on": minutes.published_on.isoformat(),
        "notified_on": schedule.notified_on.isoformat(),
        "document_sha256": minutes.document_sha256,
    })
    return minutes


def publish_minutes(user: Any, meeting_id: Any) -> Minutes:
    """Publish the signed minutes at their stable public URL (KL 140 §, R52, R53)."""
    with transaction.atomic():
        return do_publish_minutes(check_publish_minutes(user, meeting_id), actor=user)


def _main_kind(kinds: list[str]) -> str:
    for kind in ("kunnallisvalitus", "oikaisuvaatimus"):
        if kind in kinds:
            return kind
    return "none"


def _refresh_public_pdf(minutes: Minutes, moment: dt.datetime) -> None:
    public, rendering, removed = public_document(minutes, moment)
    minutes.public_pdf_storage_name = store_pdf(render_pdf(public))
    minutes.public_pdf_state = _state_key(rendering, removed)


def refresh_public_copy(minutes_id: int, *, moment: dt.datetime | None = None) -> bool:
    """Bring the public copy up to date: when an appeal period has ended since the last
    rendering, the personal data are removed from the public copy and the removal audited
    (KL 140.1 §, R52, R67). Returns whether anything changed. Run by
    ``manage.py publish_minutes_maintenance`` and on each public read."""
    moment = moment or _now()
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().get(pk=minutes_id)
        if minutes.status != Minutes.Status.PUBLISHED or not minutes.published_on:
            return False
        document = document_of(minutes)
        rendering, removed = document_rendering_at(document, minutes.published_on, moment)
        if _state_key(rendering, removed) == minutes.public_pdf_state:
            return False
        _refresh_public_pdf(minutes, moment)
        if rendering == PublicRendering.PERSONAL_DATA_REMOVED:
            minutes.personal_data_removed_at = moment
        minutes.save()
        audit.record(None, "minutes.personal_data_removed", minutes_obj(minutes), {
            "meeting_id": minutes.meeting_id, "sections": sorted(removed),
            "rendering": rendering.value,
        })
    return True


def due_for_maintenance() -> list[int]:
    return list(
        Minutes.objects.filter(status=Minutes.Status.PUBLISHED, personal_data_removed_at=None)
        .values_list("pk", flat=True)
    )


# --- redactions ---------------------------------------------------------------------------------


@dataclass
class RedactionCheck:
    meeting: Meeting
    minutes: Minutes
    item: AgendaItem
    field: str
    start: int
    end: int
    kind: str
    scope: str
    text: str


def check_add_redaction(
    user: Any, meeting_id: Any, item_id: Any, field: Any, start: Any, end: Any,
    kind: Any = "manual", scope: Any = "public",
) -> RedactionCheck:
    meeting, minutes = _lock(meeting_id)
    _require(rules.can_manage_meeting(user, meeting))
    if minutes.status == Minutes.Status.PUBLISHED:
        raise minutes_error("minutes.locked")
    item = meeting.items.filter(pk=item_id).first() if str(item_id).isdigit() else None
    try:
        start_i, end_i = int(start), int(end)
    except (TypeError, ValueError):
        raise minutes_error("minutes.bad_redaction") from None
    if item is None or kind not in Redaction.Kind.values or scope not in Redaction.Scope.values:
        raise minutes_error("minutes.bad_redaction")
    document = document_of(minutes)
    number = builder.section_numbers(builder.minuted_items(meeting)).get(item.pk)
    try:
        section = document.section(number)
        text = _field_text(section, str(field))
    except (KeyError, ValueError, IndexError):
        raise minutes_error("minutes.bad_redaction") from None
    if not 0 <= start_i < end_i <= len(text):
        raise minutes_error("minutes.bad_redaction")
    return RedactionCheck(meeting, minutes, item, str(field), start_i, end_i, str(kind),
                          str(scope), text[start_i:end_i])


def _field_text(section: Any, field: str) -> str:
    if field in section.REDACTABLE:
        return getattr(section, field)
    parts = field.split(".")
    if len(parts) == 3 and parts[0] in ("proposals", "dissents") and parts[2] == "text":
        return getattr(section, parts[0])[int(parts[1])].text
    raise ValueError(field)


def do_add_redaction(check: RedactionCheck, *, actor: Any) -> Redaction:
    row = Redaction.objects.create(
        item=check.item, field=check.field, start=check.start, end=check.end, kind=check.kind,
        scope=check.scope, text_sha256=sha256_hex(check.text), created_by=actor,
        created_at=_now(),
    )
    minutes = check.minutes
    if minutes.status in (Minutes.Status.DRAFT, Minutes.Status.READY):
        _store_snapshot(minutes, builder.build_document(check.meeting, minutes=minutes))
    else:
        document = document_of(minutes)
        _store_snapshot(minutes, _with_redactions(document, check.meeting))
    minutes.save()
    audit.record(actor, "minutes.redaction_added", minutes_obj(minutes), {
        "item_id": check.item.pk, "field": check.field, "start": check.start, "end": check.end,
        "kind": check.kind, "scope": check.scope, "text_sha256": row.text_sha256,
    })
    return row


def _with_redactions(document: MinutesDocument, meeting: Meeting) -> MinutesDocument:
    """A checked document's redactions refreshed (redactions never change the original text,
    only what the public version shows)."""
    import dataclasses

    from minutes.document import Redaction as DocRedaction
    from minutes.document import RedactionKind, RedactionScope

    items = builder.minuted_items(meeting)
    numbers = builder.section_numbers(items)
    by_number = {numbers[i.pk]: i for i in items}
    sections = []
    for section in document.sections:
        item = by_number.get(section.number)
        rows = Redaction.objects.filter(item=item).order_by("field", "start") if item else []
        sections.append(dataclasses.replace(section, redactions=tuple(
            DocRedaction(r.field, r.start, r.end, RedactionKind(r.kind), RedactionScope(r.scope))
            for r in rows
        )))
    return document.replace(sections=tuple(sections))


def add_redaction(
    user: Any, meeting_id: Any, item_id: Any, field: Any, start: Any, end: Any,
    kind: Any = "manual", scope: Any = "public",
) -> Redaction:
    """The secretary marks a span to leave out of the public version (R52, R67, R68)."""
    with transaction.atomic():
        return do_add_redaction(
            check_add_redaction(user, meeting_id, item_id, field, start, end, kind, scope),
            actor=user,
        )


# --- rendering in the background ---------------------------------------------------------------


def enqueue_render(user: Any, meeting_id: Any) -> Any:
    """Queue a draft rendering of large minutes for the secretary (``minutes.jobs``)."""
    from minutes import jobs

    with transaction.atomic():
        meeting, minutes = _lock(meeting_id)
        _require(rules.can_manage_meeting(user, meeting))
        job = jobs.enqueue_render(document_of(minutes), requested_by=user)
        minutes.render_job = job
        minutes.save(update_fields=["render_job"])
    return job
