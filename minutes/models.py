"""Models of the minutes app: background rendering jobs of the pöytäkirja.

The minutes themselves (checking, signing, publication) get their models with the records; a
:class:`RenderJob` only carries a snapshot of a :class:`minutes.document.MinutesDocument` to a
worker (``manage.py minutes_run_jobs``) and the rendered PDF back, encrypted at rest like every
other protected file (``meetings.encryption``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RenderJob(models.Model):
    """A queued rendering of minutes, a public version or a pöytäkirjanote to PDF/A."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("jonossa")
        RUNNING = "running", _("käynnissä")
        DONE = "done", _("valmis")
        FAILED = "failed", _("epäonnistui")

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("pöytäkirja")
        PUBLIC = "public", _("pöytäkirjan yleisversio")
        PERSONAL_DATA_REMOVED = "personal_data_removed", _("yleisversio ilman henkilötietoja")
        EXCERPT = "excerpt", _("pöytäkirjanote")

    kind = models.CharField(_("laji"), max_length=24, choices=Kind.choices)
    status = models.CharField(
        _("tila"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("edistyminen (%)"), default=0)
    document_json = models.TextField(help_text="MinutesDocument.to_json() snapshot")
    section_number = models.PositiveIntegerField(null=True, blank=True)
    lang = models.CharField(max_length=8, default="fi")
    sign = models.BooleanField(_("sinetöidään"), default=False)
    result_storage_name = models.CharField(max_length=80, blank=True)
    result_sha256 = models.CharField(max_length=64, blank=True)
    result_size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pöytäkirjan muodostus")
        verbose_name_plural = _("pöytäkirjojen muodostukset")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="minutes_job_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="render_job_progress_max"),
            models.CheckConstraint(
                condition=~Q(kind="excerpt") | Q(section_number__isnull=False),
                name="render_job_excerpt_has_section",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


# ---------------------------------------------------------------------------------------------
# The minutes of a meeting: narrative, checking, signing, publication (R48–R55, R67)


class AppealKindChoice(models.TextChoices):
    """Muutoksenhakutapa (KL 134–136 §, R54, R55); values equal ``minutes.document.AppealKind``."""

    OIKAISUVAATIMUS = "oikaisuvaatimus", _("oikaisuvaatimus")
    KUNNALLISVALITUS = "kunnallisvalitus", _("kunnallisvalitus")
    NONE = "none", _("muutoksenhakukielto")


class ItemType(models.TextChoices):
    """Asian laji muutoksenhaun kannalta: päätös vai pelkkä valmistelu/täytäntöönpano (KL 136 §)."""

    DECISION = "decision", _("päätös")
    PREPARATION = "preparation", _("valmistelu tai täytäntöönpano")


class AppealTemplate(models.Model):
    """Oikaisuvaatimusohje, valitusosoitus tai muutoksenhakukielto, editable by the municipality.

    ``municipality`` empty = the national default seeded by a data migration; a municipality's
    own template of the same scope wins. ``body_kind`` / ``item_type`` empty = any.
    """

    municipality = models.ForeignKey(
        "meetings.Municipality", on_delete=models.PROTECT, null=True, blank=True,
        related_name="appeal_templates",
    )
    kind = models.CharField(_("laji"), max_length=20, choices=AppealKindChoice.choices)
    body_kind = models.CharField(_("toimielimen laji"), max_length=16, blank=True)
    item_type = models.CharField(
        _("asian laji"), max_length=16, choices=ItemType.choices, blank=True
    )
    title = models.CharField(_("otsikko"), max_length=200)
    text = models.TextField(_("ohjeen teksti"))
    provision = models.CharField(_("säännös"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("muutoksenhakuohje")
        verbose_name_plural = _("muutoksenhakuohjeet")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind", "body_kind", "item_type"],
                name="appeal_template_scope_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Minutes(models.Model):
    """Pöytäkirja of one meeting: draft → ready → checked → signed → published (R48–R53)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("luonnos")
        READY = "ready", _("valmis tarkastettavaksi")
        CHECKED = "checked", _("tarkastettu")
        SIGNED = "signed", _("allekirjoitettu")
        PUBLISHED = "published", _("julkaistu")

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="minutes"
    )
    status = models.CharField(
        _("tila"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    document_json = models.TextField(blank=True, help_text="MinutesDocument.to_json() snapshot")
    document_sha256 = models.CharField(max_length=64, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    narrative = models.TextField(
        _("yleiset merkinnät"), blank=True, help_text=_("Pöytäkirjanpitäjän vapaa teksti.")
    )
    checked_on = models.DateField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    checkpoint_size = models.BigIntegerField(null=True, blank=True)
    pdf_storage_name = models.CharField(max_length=80, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    public_pdf_storage_name = models.CharField(max_length=80, blank=True)
    public_pdf_state = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)
    personal_data_removed_at = models.DateTimeField(null=True, blank=True)
    render_job = models.ForeignKey(
        RenderJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("pöytäkirja")
        verbose_name_plural = _("pöytäkirjat")

    def __str__(self) -> str:
        return f"{self.meeting} ({self.get_status_display()})"


class MinutesNarrative(models.Model):
    """The secretary's free text for one § (the only editable part of the minutes, R49)."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="narratives")
    item = models.ForeignKey("meetings.AgendaItem", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("käsittelyn kuvaus"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["minutes", "item"], name="minutes_narrative_once"),
        ]


class MinutesChecker(models.Model):
    """Pöytäkirjantarkastaja chosen at the meeting; approves electronically or comments (R50)."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="checkers")
    person = models.ForeignKey("meetings.Person", on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    assigned_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_sha256 = models.CharField(max_length=64, blank=True)
    comment = models.TextField(_("huomautus"), blank=True)
    commented_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "person"], name="minutes_checker_once"),
        ]


class Redaction(models.Model):
    """A span of one § field left out of the public version (R52, R67, R68)."""

    class Kind(models.TextChoices):
        HETU = "hetu", _("henkilötunnus")
        NAME = "name", _("yksityishenkilön nimi")
        MANUAL = "manual", _("muu")

    class Scope(models.TextChoices):
        PUBLIC = "public", _("ei julkaista")
        AFTER_APPEAL = "after_appeal", _("poistetaan muutoksenhakuajan päätyttyä")

    item = models.ForeignKey("meetings.AgendaItem", on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=40)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MANUAL)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.PUBLIC)
    text_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "field", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="redaction_span"),
            models.UniqueConstraint(
                fields=["item", "field", "start", "end"], name="redaction_once"
            ),
        ]
