"""Building the agenda (*esityslista*): items, proposal versions, attachments, amendments.

Before the notice the agenda is edited freely; after it every change is an `AgendaAmendment`
(who, when, what) and the recipients are notified again (R16, R25, R26: never a silent edit);
after the meeting has closed it is locked (`meetings.lifecycle.agenda_edit_mode`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max

from meetings import files, lifecycle, rules
from meetings.errors import meeting_error
from meetings.html import sanitize_html
from meetings.models import (
    AgendaAmendment,
    AgendaItem,
    Attachment,
    Body,
    ItemMethod,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Person,
    ProposalVersion,
    Publicity,
)
from meetings.services._common import (
    iso,
    item_obj,
    lock_item,
    lock_meeting,
    meeting_obj,
    now,
    push,
    record,
    require,
)
from meetings.uploads import validate_upload

ITEM_FIELDS = (
    "title", "diary_number", "presenter_id", "preparer_id", "description", "public_description",
    "method", "publicity", "confidentiality_basis", "is_closed_handling", "e_deadline",
    "section_number", "order",
)


# --- helpers ----------------------------------------------------------------------------------


def next_section_number(body: Body, year: int) -> int:
    """Next § of the body and year (continuous numbering, *pykälänumerointi*)."""
    last = AgendaItem.objects.filter(body=body, year=year).aggregate(n=Max("section_number"))["n"]
    return (last or 0) + 1


def next_order(meeting: Meeting) -> int:
    last = meeting.items.aggregate(n=Max("order"))["n"]
    return 0 if last is None else last + 1


def _edit_mode(meeting: Meeting, amendment_reason: str) -> lifecycle.AgendaEdit:
    mode = lifecycle.agenda_edit_mode(meeting.status)
    if mode is lifecycle.AgendaEdit.LOCKED:
        raise meeting_error("agenda.locked")
    if mode is lifecycle.AgendaEdit.AMENDMENT and not (amendment_reason or "").strip():
        raise meeting_error("agenda.amendment_required")
    return mode


def _person(person_id: Any, meeting: Meeting) -> Person | None:
    if person_id in (None, ""):
        return None
    person = Person.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if person is None or person.municipality_id != meeting.body.municipality_id:
        raise meeting_error("agenda.foreign_person")
    return person


def _publicity(publicity: str, basis: str) -> tuple[str, str]:
    if publicity not in Publicity.values:
        raise meeting_error("agenda.confidentiality_basis_required")
    basis = (basis or "").strip()[:200]
    if publicity != Publicity.PUBLIC and not basis:
        raise meeting_error("agenda.confidentiality_basis_required")
    return publicity, basis if publicity != Publicity.PUBLIC else ""


def _public_title_data(item_title: str, publicity: str) -> dict[str, str]:
    """The title in audit data only for public items; otherwise its digest (audit spec §1)."""
    if publicity == Publicity.PUBLIC:
        return {"title": item_title}
    return {"title_sha256": files.sha256_hex(item_title.encode())}


def do_record_amendment(
    meeting: Meeting, item: AgendaItem | None, kind: str, description: str, *, actor: Any
) -> AgendaAmendment:
    """Record a change after the notice and queue the re-notification (R25)."""
    amendment = AgendaAmendment.objects.create(
        meeting=meeting, item=item, kind=kind, description=description[:2000],
        actor=actor if getattr(actor, "is_authenticated", False) else None, at=now(),
    )
    record(
        actor, "agenda.amended", meeting_obj(meeting),
        {"amendment_id": amendment.pk, "kind": kind, "item_id": item.pk if item else 0},
    )
    from meetings.services.notice import do_queue_amendment_notice

    do_queue_amendment_notice(meeting, amendment)
    return amendment


# --- items ------------------------------------------------------------------------------------


@dataclass
class ItemFieldsCheck:
    meeting: Meeting
    fields: dict[str, Any]
    proposal_text: str = ""
    amendment_reason: str = ""
    mode: lifecycle.AgendaEdit = lifecycle.AgendaEdit.FREE
    item: AgendaItem | None = None
    changed: list[str] = field(default_factory=list)


def _validate_item_fields(meeting: Meeting, raw: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    title = (raw.get("title") or "").strip()
    if not title:
        raise meeting_error("agenda.title_required")
    publicity, basis = _publicity(
        raw.get("publicity") or Publicity.PUBLIC, raw.get("confidentiality_basis", "")
    )
    method = raw.get("method") or ItemMethod.MEETING
    if method not in ItemMethod.values:
        raise meeting_error("eproc.not_allowed")
    is_closed = bool(raw.get("is_closed_handling"))
    e_deadline = raw.get("e_deadline") if method == ItemMethod.E_PROCEDURE else None
    if method == ItemMethod.E_PROCEDURE:
        from meetings.services.e_procedure import check_e_procedure_allowed

        check_e_procedure_allowed(meeting, is_closed_handling=is_closed, deadline=e_deadline, at=at)
    return {
        "title": title[:300],
        "diary_number": (raw.get("diary_number") or "").strip()[:60],
        "presenter": _person(raw.get("presenter_id"), meeting),
        "preparer": _person(raw.get("preparer_id"), meeting),
        "description": sanitize_html(raw.get("description")),
        "public_description": sanitize_html(raw.get("public_description")),
        "method": method,
        "publicity": publicity,
        "confidentiality_basis": basis,
        "is_closed_handling": is_closed,
        "e_deadline": e_deadline,
    }


def _check_section_number(body: Body, year: int, number: Any, exclude_pk: int | None) -> int | None:
    if number in (None, ""):
        return None
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise meeting_error("agenda.duplicate_section_number", number=number, year=year) from None
    if number < 1:
        raise meeting_error("agenda.duplicate_section_number", number=number, year=year)
    clash = AgendaItem.objects.filter(body=body, year=year, section_number=number)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise meeting_error("agenda.duplicate_section_number", number=number, year=year)
    return number


def check_add_item(
    user: Any, meeting_id: int, *, amendment_reason: str = "", proposal_text: str = "", **raw: Any
) -> ItemFieldsCheck:
    meeting = lock_meeting(meeting_id)
    require(rules.can_manage_agenda(user, meeting), user, meeting)
    mode = _edit_mode(meeting, amendment_reason)
    # Lock the body: § numbers are allocated per body and year (serialises concurrent adds).
    Body.objects.select_for_update(of=("self",)).filter(pk=meeting.body_id).first()
    fields = _validate_item_fields(meeting, raw, now())
    fields["section_number"] = _check_section_number(
        meeting.body, meeting.year, raw.get("section_number"), None
    )
    return ItemFieldsCheck(
        meeting=meeting, fields=fields, proposal_text=(proposal_text or "").strip(),
        amendment_reason=(amendment_reason or "").strip(), mode=mode,
    )


def do_add_item(check: ItemFieldsCheck, *, actor: Any) -> AgendaItem:
    meeting = check.meeting
    fields = dict(check.fields)
    if fields["section_number"] is None:
        fields["section_number"] = next_section_number(meeting.body, meeting.year)
    convened = meeting.status != MeetingStatus.DRAFT
    status = ItemStatus.PENDING
    if convened and fields["method"] == ItemMethod.E_PROCEDURE:
        status = ItemStatus.E_PROCEDURE_OPEN  # the amendment notice carries its deadline (R16)
    item = AgendaItem.objects.create(
        meeting=meeting, body=meeting.body, year=meeting.year, order=next_order(meeting),
        status=status, added_as_amendment=convened, created_at=now(), **fields,
    )
    version = None
    if check.proposal_text:
        version = ProposalVersion.objects.create(
            item=item, version=1, text=check.proposal_text,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now(),
        )
    record(
        actor, "agenda.item_added", item_obj(item),
        {
            "meeting_id": meeting.pk, "section_number": item.section_number,
            "method": item.method, "publicity": item.publicity,
            "e_deadline": iso(item.e_deadline),
            "proposal_version": version.version if version else 0,
            "as_amendment": 1 if convened else 0,
            **_public_title_data(item.title, item.publicity),
        },
    )
    if check.mode is lifecycle.AgendaEdit.AMENDMENT:
        do_record_amendment(meeting, item, "item_added", check.amendment_reason, actor=actor)
    push(meeting, {"type": "agenda.changed", "meeting": meeting.pk, "item": item.pk})
    return item


def add_item(user: Any, meeting_id: int, **fields: Any) -> AgendaItem:
    """Add an item; after the notice only with `amendment_reason` (recorded, re-notified)."""
    with transaction.atomic():
        return do_add_item(check_add_item(user, meeting_id, **fields), actor=user)


def check_update_item(
    user: Any, item_id: int, *, amendment_reason: str = "", **raw: Any
) -> ItemFieldsCheck:
    item = lock_item(item_id)
    meeting = lock_meeting(item.meeting_id)
    require(rules.can_manage_agenda(user, meeting), user, meeting)
    mode = _edit_mode(meeting, amendment_reason)
    if item.status not in (ItemStatus.PENDING, ItemStatus.E_PROCEDURE_OPEN):
        raise meeting_error("agenda.item_not_editable")
    current = {
        "title": item.title, "diary_number": item.diary_number,
        "presenter_id": item.presenter_id, "preparer_id": item.preparer_id,
        "description": item.description, "public_description": item.public_description,
        "method": item.method, "publicity": item.publicity,
        "confidentiality_basis": item.confidentiality_basis,
        "is_closed_handling": item.is_closed_handling, "e_deadline": item.e_deadline,
    }
    merged = {**current, **{k: v for k, v in raw.items() if k in ITEM_FIELDS}}
    if item.status == ItemStatus.E_PROCEDURE_OPEN and (
        merged["method"] != item.method or merged["e_deadline"] != item.e_deadline
        or bool(merged["is_closed_handling"]) != item.is_closed_handling
    ):
        # The procedure is running: withdraw the item instead (R16, R23).
        raise meeting_error("agenda.item_not_editable")
    fields = _validate_item_fields(meeting, merged, now())
    number = raw.get("section_number", item.section_number)
    fields["section_number"] = _check_section_number(meeting.body, item.year, number, item.pk)
    if fields["section_number"] is None:
        fields["section_number"] = item.section_number
    if "order" in raw and raw["order"] not in (None, ""):
        fields["order"] = int(raw["order"])
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    return ItemFieldsCheck(
        meeting=meeting, fields=fields, amendment_reason=(amendment_reason or "").strip(),
        mode=mode, item=item, changed=changed,
    )


def do_update_item(check: ItemFieldsCheck, *, actor: Any) -> AgendaItem:
    item = check.item
    assert item is not None
    if not check.changed:
        return item
    for name in check.changed:
        setattr(item, name, check.fields[name])
    if (
        "method" in check.changed and item.method == ItemMethod.E_PROCEDURE
        and check.meeting.status != MeetingStatus.DRAFT
    ):
        item.status = ItemStatus.E_PROCEDURE_OPEN
    item.save()
    record(
        actor, "agenda.item_updated", item_obj(item),
        {"meeting_id": item.meeting_id, "fields": sorted(check.changed)},
    )
    if check.mode is lifecycle.AgendaEdit.AMENDMENT:
        do_record_amendment(
            check.meeting, item, "item_changed",
            f"{check.amendment_reason} ({', '.join(sorted(check.changed))})", actor=actor,
        )
    push(item.meeting_id, {"type": "agenda.changed", "meeting": item.meeting_id, "item": item.pk})
    return item


def update_item(user: Any, item_id: int, **fields: Any) -> AgendaItem:
    with transaction.atomic():
        return do_update_item(check_update_item(user, item_id, **fields), actor=user)


# --- proposal versions (R31, R32) -------------------------------------------------------------


@dataclass
class ProposalCheck:
    item: AgendaItem
    text: str
    withdrawn: bool
    amendment_reason: str
    mode: lifecycle.AgendaEdit


def check_add_proposal_version(
    user: Any, item_id: int, text: str, *, withdrawn: bool = False, amendment_reason: str = ""
) -> ProposalCheck:
    item = lock_item(item_id)
    meeting = lock_meeting(item.meeting_id)
    require(rules.can_edit_proposal(user, item), user, meeting)
    in_session = item.status == ItemStatus.IN_DISCUSSION
    # In the meeting the presenter amends orally and the version is recorded (R32); before it
    # a change after the notice is an amendment with a reason.
    mode = lifecycle.agenda_edit_mode(meeting.status)
    if mode is lifecycle.AgendaEdit.LOCKED:
        raise meeting_error("agenda.locked")
    if item.status not in (
        ItemStatus.PENDING, ItemStatus.IN_DISCUSSION, ItemStatus.E_PROCEDURE_OPEN
    ):
        raise meeting_error("agenda.item_not_editable")
    if not in_session:
        _edit_mode(meeting, amendment_reason)
    text = (text or "").strip()
    if not text and not withdrawn:
        raise meeting_error("agenda.proposal_required")
    return ProposalCheck(item, text, withdrawn, (amendment_reason or "").strip(), mode)


def do_add_proposal_version(check: ProposalCheck, *, actor: Any) -> ProposalVersion:
    item = check.item
    last = item.proposal_versions.aggregate(n=Max("version"))["n"] or 0
    version = ProposalVersion.objects.create(
        item=item, version=last + 1, text=check.text, withdrawn=check.withdrawn,
        created_by=actor if getattr(actor, "is_authenticated", False) else None, created_at=now(),
    )
    record(
        actor, "agenda.proposal_versioned", item_obj(item),
        {
            "version": version.version, "withdrawn": 1 if check.withdrawn else 0,
            "text_sha256": files.sha256_hex(check.text.encode()),
        },
    )
    if check.mode is lifecycle.AgendaEdit.AMENDMENT and item.status != ItemStatus.IN_DISCUSSION:
        # R23: in the § 100 procedure a changed proposal needs every member's position again.
        do_record_amendment(
            item.meeting, item, "proposal_withdrawn" if check.withdrawn else "proposal_changed",
            check.amendment_reason or "", actor=actor,
        )
    push(item.meeting_id, {"type": "item.proposal", "item": item.pk, "version": version.version})
    return version


def add_proposal_version(user: Any, item_id: int, text: str, **kw: Any) -> ProposalVersion:
    """A new version of the presenter's proposal; the one active when discussion closes is the
    base proposal (*pohjaehdotus*, R31, R32)."""
    with transaction.atomic():
        return do_add_proposal_version(
            check_add_proposal_version(user, item_id, text, **kw), actor=user
        )


# --- attachments ------------------------------------------------------------------------------


@dataclass
class AttachmentCheck:
    item: AgendaItem
    title: str
    filename: str
    content_type: str
    data: bytes
    publicity: str
    basis: str
    amendment_reason: str
    mode: lifecycle.AgendaEdit


def check_add_attachment(
    user: Any, item_id: int, *, title: str, filename: str, data: Any,
    publicity: str = Publicity.PUBLIC, confidentiality_basis: str = "", amendment_reason: str = "",
) -> AttachmentCheck:
    item = lock_item(item_id)
    meeting = lock_meeting(item.meeting_id)
    require(rules.can_edit_proposal(user, item), user, meeting)
    mode = _edit_mode(meeting, amendment_reason)
    if item.status not in (ItemStatus.PENDING, ItemStatus.E_PROCEDURE_OPEN):
        raise meeting_error("agenda.item_not_editable")
    # The one gate for uploads: type by content, allow-list, safe name, size (meetings.uploads).
    upload = validate_upload(filename, data, max_bytes=files.max_bytes())
    publicity, basis = _publicity(publicity, confidentiality_basis)
    return AttachmentCheck(
        item=item, title=(title or upload.safe_name).strip()[:200],
        filename=upload.safe_name[:200], content_type=upload.content_type, data=upload.data,
        publicity=publicity, basis=basis,
        amendment_reason=(amendment_reason or "").strip(), mode=mode,
    )


def do_add_attachment(check: AttachmentCheck, *, actor: Any, storage_name: str) -> Attachment:
    item = check.item
    attachment = Attachment.objects.create(
        item=item, title=check.title, filename=check.filename, content_type=check.content_type,
        size=len(check.data), sha256=files.sha256_hex(check.data), publicity=check.publicity,
        confidentiality_basis=check.basis, storage_name=storage_name, encrypted=True,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        uploaded_at=now(),
    )
    record(
        actor, "agenda.attachment_added", f"attachment:{attachment.pk}",
        {
            "item_id": item.pk, "sha256": attachment.sha256, "size": attachment.size,
            "publicity": attachment.publicity, "content_type": attachment.content_type,
        },
    )
    if check.mode is lifecycle.AgendaEdit.AMENDMENT:
        do_record_amendment(
            item.meeting, item, "attachment_added", check.amendment_reason, actor=actor
        )
    push(item.meeting_id, {"type": "agenda.changed", "meeting": item.meeting_id, "item": item.pk})
    return attachment


def add_attachment(user: Any, item_id: int, **kw: Any) -> Attachment:
    """Upload an attachment with its publicity class (R27, R28). The file is written first and
    removed again if the transaction does not commit."""
    storage_name = None
    try:
        with transaction.atomic():
            check = check_add_attachment(user, item_id, **kw)
            storage_name = files.store_attachment_bytes(check.data)
            return do_add_attachment(check, actor=user, storage_name=storage_name)
    except BaseException:
        if storage_name is not None:
            files.discard_stored_bytes(storage_name)
        raise


# --- withdrawing an item ----------------------------------------------------------------------


@dataclass
class WithdrawCheck:
    item: AgendaItem
    reason: str
    mode: lifecycle.AgendaEdit


def check_withdraw_item(user: Any, item_id: int, reason: str = "") -> WithdrawCheck:
    item = lock_item(item_id)
    meeting = lock_meeting(item.meeting_id)
    require(
        rules.can_manage_agenda(user, meeting) or rules.is_chair(user, meeting), user, meeting
    )
    mode = _edit_mode(meeting, reason)
    try:
        lifecycle.next_item_state(item.status, lifecycle.ItemEvent.WITHDRAW)
    except lifecycle.IllegalTransition:
        raise meeting_error(
            "agenda.item_illegal_transition", state=item.status, event="withdraw"
        ) from None
    return WithdrawCheck(item, (reason or "").strip(), mode)


def do_withdraw_item(check: WithdrawCheck, *, actor: Any) -> AgendaItem:
    item = check.item
    previous = item.status
    item.status = ItemStatus.WITHDRAWN
    if item.opened_at and not item.closed_at:
        item.closed_at = now()
    item.save(update_fields=["status", "closed_at"])
    if item.meeting.current_item_id == item.pk:
        Meeting.objects.filter(pk=item.meeting_id).update(current_item=None)
    record(actor, "agenda.item_withdrawn", item_obj(item), {"from_status": previous})
    if check.mode is lifecycle.AgendaEdit.AMENDMENT:
        do_record_amendment(item.meeting, item, "item_withdrawn", check.reason, actor=actor)
    push(item.meeting_id, {"type": "agenda.changed", "meeting": item.meeting_id, "item": item.pk})
    return item


def withdraw_item(user: Any, item_id: int, reason: str = "") -> AgendaItem:
    """Take an item off the agenda (R32: a withdrawn proposal is not decided)."""
    with transaction.atomic():
        return do_withdraw_item(check_withdraw_item(user, item_id, reason), actor=user)
