"""Reads of the minutes: the secretary's, checker's and chair's pages, the public list and
page, and whether a decision is final (R50–R53)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kokous.errors import DomainError
from meetings import rules
from meetings.models import AgendaItem, Meeting
from minutes import builder
from minutes.models import Minutes, Redaction
from minutes.publication import PublicRendering, publication_schedule
from minutes.services.errors import minutes_error

FINAL_STATUSES = (Minutes.Status.CHECKED, Minutes.Status.SIGNED, Minutes.Status.PUBLISHED)


def decision_status(item: AgendaItem) -> str:
    """``"final"`` once the minutes containing the decision are checked, else ``"not_final"``
    (*päätös syntyy vasta tarkastuksen jälkeen*, R50)."""
    status = Minutes.objects.filter(meeting_id=item.meeting_id).values_list(
        "status", flat=True
    ).first()
    return "final" if status in FINAL_STATUSES else "not_final"


def _meeting(user: Any, meeting_id: Any) -> Meeting:
    meeting = Meeting.objects.select_related("body__municipality", "chair", "secretary").filter(
        pk=meeting_id
    ).first() if str(meeting_id).isdigit() else None
    if meeting is None or not rules.can_view_meeting(user, meeting):
        raise minutes_error("minutes.not_found")
    return meeting


def minutes_page(user: Any, meeting_id: Any) -> dict[str, Any]:
    """The minutes page of a meeting for its secretary, checkers and chair."""
    from minutes.services.workflow import document_of

    meeting = _meeting(user, meeting_id)
    minutes = Minutes.objects.filter(meeting=meeting).select_related("render_job").first()
    person = rules.person_of(user)
    checkers = list(minutes.checkers.select_related("person")) if minutes else []
    document = None
    if minutes is not None and minutes.document_json:
        try:
            document = document_of(minutes)
        except DomainError:
            document = None
    items = builder.minuted_items(meeting)
    numbers = builder.section_numbers(items)
    narratives = dict(minutes.narratives.values_list("item_id", "text")) if minutes else {}
    candidates = [
        p for p in meeting.participants.select_related("person").filter(
            role__in=("member", "substitute"))
    ]
    return {
        "meeting": meeting,
        "minutes": minutes,
        "document": document,
        "items": [
            {"item": i, "number": numbers[i.pk], "narrative": narratives.get(i.pk, ""),
             "redactions": list(Redaction.objects.filter(item=i))}
            for i in items
        ],
        "checkers": checkers,
        "checker_candidates": candidates,
        "is_secretary": rules.can_manage_meeting(user, meeting),
        "is_chair": rules.is_chair(user, meeting),
        "my_checker": next((c for c in checkers if person and c.person_id == person.pk), None),
        "is_attester": bool(person) and meeting.secretary_id == person.pk,
        "job": minutes.render_job if minutes else None,
    }


def schedule_for(minutes: Minutes) -> Any:
    """Notification date and appeal deadlines (KL 140.3 §, R53, ``meetings.deadlines``)."""
    if not minutes.published_on:
        return None
    from minutes.services.workflow import _main_kind, document_of

    kinds = sorted({s.appeal_kind.value for s in document_of(minutes).sections})
    return publication_schedule(minutes.published_on, _main_kind(kinds))


def public_body(municipality_slug: str, body_slug: str) -> Any:
    from meetings.models import Body

    return Body.objects.select_related("municipality").filter(
        municipality__slug=municipality_slug, slug=body_slug
    ).first()


def published_minutes(municipality_slug: str, body_slug: str) -> list[Minutes]:
    return list(
        Minutes.objects.filter(
            status=Minutes.Status.PUBLISHED,
            meeting__body__municipality__slug=municipality_slug,
            meeting__body__slug=body_slug,
        ).select_related("meeting__body__municipality").order_by(
            "-meeting__year", "-meeting__number"
        )
    )


def public_minutes(municipality_slug: str, body_slug: str, meeting_id: int) -> Minutes:
    minutes = Minutes.objects.filter(
        status=Minutes.Status.PUBLISHED,
        meeting__body__municipality__slug=municipality_slug,
        meeting__body__slug=body_slug, meeting_id=meeting_id,
    ).select_related("meeting__body__municipality").first()
    if minutes is None:
        raise minutes_error("minutes.not_found")
    return minutes


def public_page_context(minutes: Minutes, moment: dt.datetime | None = None) -> dict[str, Any]:
    """The public version as of now; refreshes the public copy first when an appeal period
    has ended (the check on read, R52)."""
    from minutes.services.workflow import public_document, refresh_public_copy

    moment = moment or timezone.now()
    if refresh_public_copy(minutes.pk, moment=moment):
        minutes.refresh_from_db()
    document, rendering, removed = public_document(minutes, moment)
    return {
        "minutes": minutes,
        "meeting": minutes.meeting,
        "document": document,
        "withdrawn": rendering == PublicRendering.WITHDRAWN,
        "personal_data_removed": rendering == PublicRendering.PERSONAL_DATA_REMOVED,
        "removed_sections": sorted(removed),
        "schedule": schedule_for(minutes),
    }


def redaction_proposals(
    user: Any, meeting_id: Any, private_names: list[str]
) -> list[dict[str, Any]]:
    """Proposed redactions (henkilötunnukset and the private persons the secretary listed,
    R68) per § and field of the built minutes; the secretary confirms each one."""
    from minutes.render import propose_redactions
    from minutes.services.workflow import document_of

    meeting = _meeting(user, meeting_id)
    if not rules.can_manage_meeting(user, meeting):
        raise minutes_error("minutes.forbidden")
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is None:
        raise minutes_error("minutes.not_built")
    document = document_of(minutes)
    items = builder.minuted_items(meeting)
    item_of = {n: pk for pk, n in builder.section_numbers(items).items()}
    out = []
    for section in document.sections:
        for field in section.REDACTABLE:
            text = getattr(section, field)
            spans = propose_redactions(text, private_names, html=field.endswith("_html"))
            out.extend(
                {"number": section.number, "item_id": item_of[section.number], "field": field,
                 "start": sp.start, "end": sp.end, "kind": sp.kind.value, "text": sp.text}
                for sp in spans
            )
    return out
