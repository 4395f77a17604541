"""Meetings (*kokous*) and their lifecycle.

The lifecycle is an explicit state machine (`meetings/lifecycle.py`); every transition is a row
here and an audit entry, written by one service function in one transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.models.organisation import Body, Person


class MeetingMethod(models.TextChoices):
    """Form of the meeting (KL 98–99 §, R1, R5–R7). The § 100 procedure is per item."""

    IN_PERSON = "in_person", _("varsinainen kokous")
    ELECTRONIC = "electronic", _("sähköinen kokous")
    HYBRID = "hybrid", _("hybridikokous")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("luonnos")
    CONVENED = "convened", _("kutsuttu koolle")
    IN_SESSION = "in_session", _("käynnissä")
    SUSPENDED = "suspended", _("keskeytetty")
    CLOSED = "closed", _("päättynyt")
    MINUTES_CHECKED = "minutes_checked", _("pöytäkirja tarkastettu")
    PUBLISHED = "published", _("pöytäkirja julkaistu")


class Meeting(models.Model):
    """One meeting of a body, numbered per body and year (*kokous n/vuosi*)."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="meetings")
    year = models.PositiveSmallIntegerField(_("vuosi"))
    number = models.PositiveSmallIntegerField(_("kokouksen numero"))
    starts_at = models.DateTimeField(_("alkamisaika"))
    place = models.CharField(_("paikka"), max_length=200, blank=True)
    method = models.CharField(
        _("kokousmuoto"), max_length=16, choices=MeetingMethod.choices,
        default=MeetingMethod.IN_PERSON,
    )
    video_url = models.URLField(_("videoyhteys"), blank=True)
    is_public = models.BooleanField(
        _("julkinen kokous"), default=False,
        help_text=_("Valtuuston kokoukset ovat julkisia (KL 101 §)."),
    )
    public_viewing = models.CharField(
        _("yleisön seurantapaikka tai -linkki"), max_length=300, blank=True
    )
    status = models.CharField(
        _("tila"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    chair = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("puheenjohtaja"),
    )
    secretary = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("pöytäkirjanpitäjä"),
    )
    convened_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    current_item = models.ForeignKey(
        "meetings.AgendaItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    legality_finding = models.TextField(_("laillisuus ja päätösvaltaisuus"), blank=True)
    late_notice_reason = models.TextField(
        _("kutsun myöhästymisen syy"), blank=True,
        help_text=_("Kirjataan, jos kutsu lähtee määräajan jälkeen (muut kuin valtuusto)."),
    )
    agenda_published_at = models.DateTimeField(
        _("esityslista julkaistu verkossa"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("kokous")
        verbose_name_plural = _("kokoukset")
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "number"], name="meeting_number_unique_per_body_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.body} {self.number}/{self.year}"

    @property
    def video_link(self) -> str:
        """The video URL if it is a web link; anything else (`javascript:` …) is never shown."""
        url = (self.video_url or "").strip()
        return url if url.lower().startswith(("https://", "http://")) else ""

    @property
    def is_remote_capable(self) -> bool:
        return self.method in {MeetingMethod.ELECTRONIC, MeetingMethod.HYBRID}


class MeetingTransition(models.Model):
    """Who moved a meeting from one state to another, when, and why (R10, R76, R78)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=MeetingStatus.choices)
    to_status = models.CharField(max_length=16, choices=MeetingStatus.choices)
    event = models.CharField(max_length=16, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class RollCall(models.Model):
    """A roll call (*nimenhuuto*): who was present and the quorum finding at that moment.

    Taken at opening, after a break and whenever the chair states attendance (R35, R73).
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="roll_calls")
    item = models.ForeignKey(
        "meetings.AgendaItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, default="opening")
    at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    present_participant_ids = models.JSONField(default=list)
    required = models.PositiveSmallIntegerField()
    present_count = models.PositiveSmallIntegerField()
    quorate = models.BooleanField()

    class Meta:
        ordering = ["at", "pk"]


class NoticeDelivery(models.Model):
    """One sent notice, amendment notice or invitation, per recipient (R24: log sending time)."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("kokouskutsu")
        AMENDMENT = "amendment", _("esityslistan muutos")
        SUBSTITUTE = "substitute", _("varajäsenen kutsu")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="deliveries")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, related_name="+")
    email = models.EmailField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    recipient_role = models.CharField(max_length=24)
    amendment = models.ForeignKey(
        "meetings.AgendaAmendment", on_delete=models.PROTECT, null=True, blank=True,
        related_name="deliveries",
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "pk"]
