"""The notice and agenda (*kokouskutsu ja esityslista*) as data, HTML page and PDF.

Three versions of each item (R27, R65):

* ``member`` — the full member version, for people entitled to it (`rules.can_view_item`);
* ``notice`` — what may leave the application (email, PDF): public items in full, others by
  title and basis only with a pointer to the application (R9, R61, R65: confidential
  content only in-app, over an authenticated connection);
* ``public`` — published online (KL 29.2 §, R27): the public description (`public_description`,
  no confidential content, no unnecessary personal data); a confidential item shows only
  *"Salassa pidettävä asia"* and its legal basis; confidential attachments are never listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from meetings import rules
from meetings.models import AgendaItem, Attachment, ItemMethod, ItemStatus, Meeting, Publicity

MEMBER, NOTICE, PUBLIC = "member", "notice", "public"


@dataclass
class ItemView:
    """One item as a given reader may see it."""

    item: AgendaItem
    version: str
    title: str
    redacted: bool
    description_html: str
    proposal_text: str
    proposal_version: int | None
    attachments: list[Attachment] = field(default_factory=list)
    note: str = ""

    @property
    def pk(self) -> int:
        return self.item.pk

    @property
    def section_number(self) -> int | None:
        return self.item.section_number

    @property
    def is_e_procedure(self) -> bool:
        return self.item.method == ItemMethod.E_PROCEDURE

    @property
    def basis(self) -> str:
        return self.item.confidentiality_basis


def confidential_title() -> str:
    return _("Salassa pidettävä asia")


def item_view(item: AgendaItem, version: str) -> ItemView:
    """`item` in `version` (see module docstring). The caller decides who gets which."""
    attachments = list(item.attachments.all())
    proposal = item.current_proposal
    proposal_text = proposal.text if proposal and not proposal.withdrawn else ""
    proposal_no = proposal.version if proposal else None
    if version == MEMBER:
        return ItemView(
            item, version, item.title, False, item.description, proposal_text, proposal_no,
            attachments,
        )
    public_attachments = [
        a for a in attachments
        if a.publicity == Publicity.PUBLIC and item.publicity == Publicity.PUBLIC
    ]
    if item.publicity == Publicity.CONFIDENTIAL:
        return ItemView(
            item, version, confidential_title(), True, "", "", None, [],
            note=_("Asiakirjat ovat salassa pidettäviä."),
        )
    if version == NOTICE and item.publicity == Publicity.PUBLIC:
        return ItemView(
            item, version, item.title, False, item.description, proposal_text, proposal_no,
            public_attachments,
        )
    # Public version, or a partly confidential item outside the application.
    note = ""
    if item.publicity == Publicity.PARTLY_CONFIDENTIAL:
        note = _("Asiassa on salassa pidettäviä tietoja.")
    show_proposal = item.publicity == Publicity.PUBLIC
    return ItemView(
        item, version, item.title, item.publicity != Publicity.PUBLIC, item.public_description,
        proposal_text if show_proposal else "", proposal_no if show_proposal else None,
        public_attachments, note=note,
    )


def agenda_items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        meeting.items.exclude(status=ItemStatus.WITHDRAWN)
        .select_related("presenter", "preparer", "transferred_from", "meeting__body")
        .prefetch_related("attachments", "proposal_versions")
        .order_by("order", "section_number", "pk")
    )


def member_agenda(user: Any, meeting: Meeting) -> list[ItemView]:
    """Each item in the member version when the user is entitled to it, else public (R27, R37)."""
    return [
        item_view(item, MEMBER if rules.can_view_item(user, item) else PUBLIC)
        for item in agenda_items(meeting)
    ]


def version_agenda(meeting: Meeting, version: str) -> list[ItemView]:
    return [item_view(item, version) for item in agenda_items(meeting)]


def document_context(meeting: Meeting, items: list[ItemView], version: str) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "body": meeting.body,
        "municipality": meeting.body.municipality,
        "items": items,
        "version": version,
        "is_public_version": version == PUBLIC,
        "e_items": [i for i in items if i.is_e_procedure],
    }


def render_document_html(meeting: Meeting, items: list[ItemView], version: str) -> str:
    with translation.override(translation.get_language() or settings.LANGUAGE_CODE):
        return render_to_string(
            "meetings/agenda_document.html", document_context(meeting, items, version)
        )


def render_pdf(meeting: Meeting, version: str) -> bytes:
    """The notice and agenda as PDF in the ``notice`` or ``public`` version (never member)."""
    import weasyprint

    assert version in (NOTICE, PUBLIC), "confidential content is never rendered to PDF"
    html = render_document_html(meeting, version_agenda(meeting, version), version)
    css = weasyprint.CSS(string=render_to_string("meetings/agenda_print.css"))
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[css]
    )
