"""Agenda items (*asia, pykälä*), the presenter's proposal versions and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.models.meeting import Meeting
from meetings.models.organisation import Body, Person


class ItemMethod(models.TextChoices):
    """Per-item decision method (KL 98.1 §, R1, R16, R28)."""

    MEETING = "meeting", _("käsitellään kokouksessa")
    E_PROCEDURE = "e_procedure", _("sähköinen päätöksentekomenettely")


class Publicity(models.TextChoices):
    """Publicity class of an item or attachment (JulkL 24 §, KL 29.2 §, R27, R28)."""

    PUBLIC = "public", _("julkinen")
    PARTLY_CONFIDENTIAL = "partly_confidential", _("osittain salassa pidettävä")
    CONFIDENTIAL = "confidential", _("salassa pidettävä")


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("odottaa käsittelyä")
    IN_DISCUSSION = "in_discussion", _("käsittelyssä")
    DISCUSSION_CLOSED = "discussion_closed", _("keskustelu päättynyt")
    VOTING = "voting", _("äänestys")
    DECIDED = "decided", _("päätetty")
    TABLED = "tabled", _("pantu pöydälle")
    RETURNED = "returned", _("palautettu valmisteluun")
    WITHDRAWN = "withdrawn", _("poistettu esityslistalta")
    E_PROCEDURE_OPEN = "e_open", _("sähköinen menettely käynnissä")
    TRANSFERRED = "transferred", _("siirretty kokoukseen")


class AgendaItem(models.Model):
    """One matter on a meeting's agenda; § numbers run continuously per body and year."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="items")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    section_number = models.PositiveIntegerField(_("pykälä"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("järjestys"), default=0)
    title = models.CharField(_("otsikko"), max_length=300)
    diary_number = models.CharField(_("diaarinumero"), max_length=60, blank=True)
    presenter = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("esittelijä"),
    )
    preparer = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("valmistelija"),
    )
    description = models.TextField(_("selostus"), blank=True, help_text=_("Sanitoitu HTML."))
    public_description = models.TextField(
        _("julkinen selostus"), blank=True,
        help_text=_("Yleisversio ilman salassa pidettäviä tietoja ja tarpeettomia henkilötietoja."),
    )
    method = models.CharField(
        _("päätöksentekotapa"), max_length=16, choices=ItemMethod.choices,
        default=ItemMethod.MEETING,
    )
    publicity = models.CharField(
        _("julkisuus"), max_length=24, choices=Publicity.choices, default=Publicity.PUBLIC
    )
    confidentiality_basis = models.CharField(
        _("salassapitoperuste"), max_length=200, blank=True, help_text=_("Esim. JulkL 24.1 § 25 k")
    )
    is_closed_handling = models.BooleanField(
        _("käsitellään suljettuna"), default=False,
        help_text=_("Yleisö ei voi seurata tämän asian käsittelyä (KL 101 §)."),
    )
    status = models.CharField(
        _("tila"), max_length=24, choices=ItemStatus.choices, default=ItemStatus.PENDING
    )
    e_deadline = models.DateTimeField(_("sähköisen käsittelyn määräaika"), null=True, blank=True)
    base_proposal = models.ForeignKey(
        "meetings.ProposalVersion", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("pohjaehdotus"),
    )
    decision_text = models.TextField(_("päätös"), blank=True)
    appeal_kind = models.CharField(_("muutoksenhaku"), max_length=24, blank=True)
    transferred_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="transferred_to"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    added_as_amendment = models.BooleanField(default=False)
    transfer_reason = models.CharField(
        _("siirron syy"), max_length=24, blank=True,
        help_text=_("demand = jäsen vaati kokouskäsittelyä, missing = kanta puuttui (R18)."),
    )
    created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("asia")
        verbose_name_plural = _("asiat")
        ordering = ["meeting", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "section_number"],
                condition=Q(section_number__isnull=False),
                name="item_section_unique_per_body_year",
            ),
            models.CheckConstraint(
                condition=~Q(method="e_procedure") | Q(e_deadline__isnull=False),
                name="item_e_procedure_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        prefix = f"§ {self.section_number} " if self.section_number else ""
        return f"{prefix}{self.title}"

    @property
    def is_confidential(self) -> bool:
        return self.publicity == Publicity.CONFIDENTIAL

    @property
    def current_proposal(self) -> ProposalVersion | None:
        return self.proposal_versions.order_by("-version").first()


class ProposalVersion(models.Model):
    """A version of the presenter's proposal (*esittelijän ehdotus*, R31, R32).

    The version active when discussion closes becomes the base proposal (*pohjaehdotus*).
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="proposal_versions")
    version = models.PositiveSmallIntegerField()
    text = models.TextField(_("ehdotus"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["item", "version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="proposal_version_unique")
        ]


class Attachment(models.Model):
    """A document of an item with its own publicity class (R27, R28).

    Confidential files are stored encrypted outside MEDIA_ROOT and served only through an
    authorised, audited view (TiHL 14 §, 17 §, R61, R64).
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="attachments")
    title = models.CharField(_("nimi"), max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    publicity = models.CharField(
        _("julkisuus"), max_length=24, choices=Publicity.choices, default=Publicity.PUBLIC
    )
    confidentiality_basis = models.CharField(_("salassapitoperuste"), max_length=200, blank=True)
    storage_name = models.CharField(max_length=100, unique=True)
    encrypted = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "pk"]

    def __str__(self) -> str:
        return self.title


class AgendaAmendment(models.Model):
    """A recorded change to an agenda after the notice was sent (R25, never a silent edit)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="amendments")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    kind = models.CharField(max_length=32)
    description = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("Tyhjä, kun muutoksen teki järjestelmä (esim. siirto, R18)."),
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
