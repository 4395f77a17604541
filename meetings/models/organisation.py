"""The organisation: municipalities, their bodies, people, memberships and staff roles.

Access follows memberships and staff roles and ends with the term (TiHL 16 §, R63).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings import quorum


def today() -> dt.date:
    return timezone.localdate()


class Municipality(models.Model):
    """A municipality or joint municipal authority (*kunta*, *kuntayhtymä*)."""

    name_fi = models.CharField(_("nimi (suomeksi)"), max_length=120)
    name_sv = models.CharField(_("nimi (ruotsiksi)"), max_length=120, blank=True)
    slug = models.SlugField(unique=True)
    business_id = models.CharField(
        _("Y-tunnus"),
        max_length=9,
        unique=True,
        validators=[RegexValidator(r"^\d{7}-\d$", _("Y-tunnus muodossa 1234567-8."))],
    )
    audit_origin = models.CharField(
        _("tarkastuslokin nimi"),
        max_length=120,
        help_text=_("Allekirjoitettujen tarkistuspisteiden origin, esim. kunta.fi/audit."),
    )

    class Meta:
        verbose_name = _("kunta")
        verbose_name_plural = _("kunnat")
        ordering = ["name_fi"]

    def __str__(self) -> str:
        return self.name_fi


class BodyKind(models.TextChoices):
    """Kind of body (*toimielin*); decides the quorum rule (KL 103 §, R34)."""

    COUNCIL = "council", _("valtuusto")
    BOARD = "board", _("hallitus")
    COMMITTEE = "committee", _("lautakunta")
    SECTION = "section", _("jaosto")
    OTHER = "other", _("muu toimielin")


class DecisionMethod(models.TextChoices):
    """How a body may decide (KL 98.1 §, R1)."""

    IN_PERSON = "in_person", _("varsinainen kokous")
    ELECTRONIC = "electronic", _("sähköinen kokous")
    HYBRID = "hybrid", _("hybridikokous")
    E_PROCEDURE = "e_procedure", _("sähköinen päätöksentekomenettely")


class Body(models.Model):
    """A municipal body (*toimielin*): council, board, committee or section."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="bodies")
    name_fi = models.CharField(_("nimi"), max_length=160)
    name_sv = models.CharField(_("nimi (ruotsiksi)"), max_length=160, blank=True)
    slug = models.SlugField()
    kind = models.CharField(_("laji"), max_length=16, choices=BodyKind.choices)
    seats = models.PositiveSmallIntegerField(
        _("jäsenmäärä"), help_text=_("Valtuustossa valtuutettujen määrä (KL 16 §).")
    )
    # Local rules of the administrative rule (hallintosääntö, KL 90 §, R2) with common defaults.
    notice_days = models.PositiveSmallIntegerField(_("kokouskutsun määräaika (päivää)"), default=4)
    notice_counts_sending_day = models.BooleanField(
        _("lähetyspäivä lasketaan määräaikaan"), default=False
    )
    ballot_changeable = models.BooleanField(
        _("äänen voi muuttaa ennen äänestyksen sulkemista"), default=True
    )
    e_procedure_positions_visible = models.BooleanField(
        _("kannanotot näkyvät muille jäsenille (§ 100)"), default=False
    )
    e_procedure_substitute_may_answer = models.BooleanField(
        _("varajäsen voi vastata estyneen jäsenen puolesta (§ 100)"), default=False
    )
    video_required_for_presence = models.BooleanField(
        _("kameran oltava päällä läsnäolon todentamiseksi"), default=False
    )
    table_threshold_fraction = models.CharField(
        _("pöydällepanovaatimuksen osuus"),
        max_length=8,
        default="1/4",
        help_text=_("Valtuustossa vakiintunut käytäntö: neljännes (R33)."),
    )
    video_url = models.URLField(_("videokokouspalvelun osoite"), blank=True)

    class Meta:
        verbose_name = _("toimielin")
        verbose_name_plural = _("toimielimet")
        ordering = ["municipality", "name_fi"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="body_slug_unique"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="body_seats_positive"),
        ]

    def __str__(self) -> str:
        return self.name_fi

    @property
    def is_council(self) -> bool:
        return self.kind == BodyKind.COUNCIL

    @property
    def quorum_required(self) -> int:
        """Members that must be present (*päätösvaltaisuus*, KL 103 §, R34)."""
        return quorum.required_present(self.kind, self.seats)

    def allows(self, method: str, on: dt.date | None = None) -> bool:
        """Whether the administrative rule authorises `method` on a date (KL 90.1 § 2 h, R2).

        The council may never use the § 100 procedure (KL 100.1 §, R15).
        """
        if method == DecisionMethod.E_PROCEDURE and self.is_council:
            return False
        on = on or today()
        return (
            self.method_authorisations.filter(method=method, valid_from__lte=on)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
            .exists()
        )


class MethodAuthorisation(models.Model):
    """A decision method the body's administrative rule allows, with effective dates (R1, R2)."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="method_authorisations")
    method = models.CharField(_("päätöksentekotapa"), max_length=16, choices=DecisionMethod.choices)
    valid_from = models.DateField(_("voimassa alkaen"))
    valid_until = models.DateField(_("voimassa asti"), null=True, blank=True)
    rule_reference = models.CharField(
        _("hallintosäännön kohta"), max_length=200, blank=True, help_text=_("Esim. HS 130 §")
    )

    class Meta:
        verbose_name = _("sallittu päätöksentekotapa")
        verbose_name_plural = _("sallitut päätöksentekotavat")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="method_authorisation_dates_ordered",
            ),
        ]


class Person(models.Model):
    """A trustee (*luottamushenkilö*) or official (*viranhaltija*) of a municipality."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="people")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    first_name = models.CharField(_("etunimi"), max_length=80)
    last_name = models.CharField(_("sukunimi"), max_length=80)
    title = models.CharField(_("tehtävänimike"), max_length=120, blank=True)
    group = models.CharField(_("valtuustoryhmä"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("henkilö")
        verbose_name_plural = _("henkilöt")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class MembershipRole(models.TextChoices):
    MEMBER = "member", _("jäsen")
    SUBSTITUTE = "substitute", _("henkilökohtainen varajäsen")


class MembershipPosition(models.TextChoices):
    NONE = "", _("—")
    CHAIR = "chair", _("puheenjohtaja")
    VICE_CHAIR = "vice_chair", _("varapuheenjohtaja")


class MembershipQuerySet(models.QuerySet):
    def current(self, on: dt.date | None = None) -> MembershipQuerySet:
        on = on or today()
        return self.filter(term_start__lte=on, term_end__gte=on)

    def members(self) -> MembershipQuerySet:
        return self.filter(role=MembershipRole.MEMBER)


class Membership(models.Model):
    """A seat in a body for a term: member or personal substitute (*varajäsen*, KL 31.3 §, R30).

    A council's substitutes (*varavaltuutetut*) are not personal: for them `substitute_for` is
    empty and the order of calling is `substitute_order`.
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("rooli"), max_length=16, choices=MembershipRole.choices)
    position = models.CharField(
        _("tehtävä"), max_length=16, choices=MembershipPosition.choices, blank=True, default=""
    )
    substitute_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_substitutes",
        verbose_name=_("varajäsen jäsenelle"),
    )
    substitute_order = models.PositiveSmallIntegerField(_("varajäsenten järjestys"), default=0)
    term_start = models.DateField(_("toimikausi alkaa"))
    term_end = models.DateField(_("toimikausi päättyy"))

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("jäsenyys")
        verbose_name_plural = _("jäsenyydet")
        ordering = ["body", "role", "person__last_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")), name="membership_term_ordered"
            ),
            models.CheckConstraint(
                condition=Q(role="member", substitute_for__isnull=True) | Q(role="substitute"),
                name="membership_member_has_no_principal",
            ),
            models.CheckConstraint(
                condition=Q(position="") | Q(role="member"),
                name="membership_only_members_chair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.body} ({self.get_role_display()})"

    def is_current(self, on: dt.date | None = None) -> bool:
        on = on or today()
        return self.term_start <= on <= self.term_end


class StaffRoleKind(models.TextChoices):
    SECRETARY = "secretary", _("pöytäkirjanpitäjä")
    PRESENTER = "presenter", _("esittelijä")
    AUDITOR = "auditor", _("tarkastaja")
    ADMINISTRATOR = "administrator", _("pääkäyttäjä")


class StaffRoleQuerySet(models.QuerySet):
    def current(self, on: dt.date | None = None) -> StaffRoleQuerySet:
        on = on or today()
        return self.filter(starts__lte=on).filter(Q(ends__isnull=True) | Q(ends__gte=on))


class StaffRole(models.Model):
    """An official's role for one body, or for the whole municipality when `body` is empty."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="staff_roles")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="staff_roles"
    )
    body = models.ForeignKey(
        Body, on_delete=models.PROTECT, null=True, blank=True, related_name="staff_roles"
    )
    role = models.CharField(_("rooli"), max_length=16, choices=StaffRoleKind.choices)
    starts = models.DateField(_("alkaa"))
    ends = models.DateField(_("päättyy"), null=True, blank=True)

    objects = StaffRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("viranhaltijarooli")
        verbose_name_plural = _("viranhaltijaroolit")

    def __str__(self) -> str:
        scope = self.body or self.municipality
        return f"{self.person} – {self.get_role_display()} ({scope})"
