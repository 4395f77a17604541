"""Participants of a meeting, their presence intervals and disqualifications (R11, R29–R38, R72)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.models.agenda import AgendaItem
from meetings.models.meeting import Meeting
from meetings.models.organisation import Membership, Person


class ParticipantRole(models.TextChoices):
    """Role in the meeting (R29). Only acting members and substitutes decide."""

    MEMBER = "member", _("jäsen")
    SUBSTITUTE = "substitute", _("varajäsen")
    SECRETARY = "secretary", _("pöytäkirjanpitäjä")
    PRESENTER = "presenter", _("esittelijä")
    ATTENDEE = "attendee", _("läsnäolo- ja puheoikeutettu")
    EXPERT = "expert", _("asiantuntija")


class AttendanceMode(models.TextChoices):
    IN_ROOM = "in_room", _("paikan päällä")
    REMOTE = "remote", _("etäyhteydellä")


class ConnectionState(models.TextChoices):
    """Connection of a remote participant (R72 [UNVERIFIED rule set, DERIVED states])."""

    CONNECTED = "connected", _("yhdistetty")
    DEGRADED = "degraded", _("heikentynyt (kuva katkennut)")
    DISCONNECTED = "disconnected", _("yhteys katkennut")
    REJOINED = "rejoined", _("palannut, vahvistettava")


class AbsenceStatus(models.TextChoices):
    NONE = "", _("—")
    NOTIFIED = "notified", _("ilmoittanut esteestä")


class Participant(models.Model):
    """A person's participation in one meeting, in the room or remotely (R7: one model)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(_("rooli"), max_length=16, choices=ParticipantRole.choices)
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acting_for = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("toimii jäsenen sijasta"),
    )
    mode = models.CharField(
        _("osallistumistapa"), max_length=16, choices=AttendanceMode.choices,
        default=AttendanceMode.IN_ROOM,
    )
    absence = models.CharField(max_length=16, choices=AbsenceStatus.choices, blank=True, default="")
    absence_note = models.CharField(max_length=300, blank=True)
    identity_confirmed_at = models.DateTimeField(null=True, blank=True)
    identity_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    connection_state = models.CharField(
        max_length=16, choices=ConnectionState.choices, blank=True, default=""
    )
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    is_present = models.BooleanField(default=False)
    removed = models.BooleanField(default=False)
    item_scoped = models.BooleanField(
        _("vain yksittäisissä asioissa"), default=False,
        help_text=_("Varajäsen toimii jäsenen sijasta vain ItemSubstitution-riveillä nimetyissä "
                    "asioissa (jäsen esteellinen, R30)."),
    )
    invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "role", "person__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="participant_once"),
            models.CheckConstraint(
                condition=~Q(role="substitute") | Q(acting_for__isnull=False)
                | Q(is_present=False),
                name="participant_present_substitute_acts_for_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.meeting}"

    @property
    def decides(self) -> bool:
        """Member or acting substitute: only they propose, second and vote (R29)."""
        return self.role == ParticipantRole.MEMBER or (
            self.role == ParticipantRole.SUBSTITUTE and self.acting_for_id is not None
        )

    @property
    def seat_id(self) -> int | None:
        """The member seat this participant fills (a substitute fills the principal's)."""
        if self.role == ParticipantRole.MEMBER:
            return self.membership_id
        return self.acting_for_id


class PresenceInterval(models.Model):
    """An interval during which a participant was present (arrival → departure).

    Per-item attendance is derived by overlapping these with the item's handling time and
    removing disqualifications; the minutes list arrivals and departures per item (R49, R73).
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="intervals")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    start_reason = models.CharField(max_length=32, default="arrived")
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"], condition=Q(ended_at__isnull=True),
                name="presence_one_open_interval",
            )
        ]


class DisqualificationGround(models.TextChoices):
    """HL 28.1 § grounds (R36, R39)."""

    PARTY = "1", _("asianosainen tai läheinen asianosainen (HL 28.1 § 1)")
    REPRESENTATIVE = "2", _("avustaja tai edustaja (HL 28.1 § 2)")
    BENEFIT = "3", _("erityinen hyöty tai vahinko (HL 28.1 § 3)")
    EMPLOYMENT = "4", _("palvelussuhde tai toimeksianto (HL 28.1 § 4)")
    ENTITY_BOARD = "5", _("yhteisön toimielimen jäsen (HL 28.1 § 5)")
    AGENCY_BOARD = "6", _("viraston toimielimen jäsen (HL 28.1 § 6)")
    OTHER = "7", _("muu syy vaarantaa puolueettomuuden (HL 28.1 § 7)")


class Disqualification(models.Model):
    """A declared disqualification (*esteellisyys*) for one item, and the body's decision (R38)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="disqualifications")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="disqualifications"
    )
    ground = models.CharField(max_length=2, choices=DisqualificationGround.choices)
    explanation = models.CharField(max_length=500, blank=True)
    declared_at = models.DateTimeField()
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body_decision = models.CharField(max_length=16, blank=True)  # "", "accepted", "rejected"
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "participant"], name="disqualification_once")
        ]

    @property
    def in_force(self) -> bool:
        return self.body_decision != "rejected"


class ItemSubstitution(models.Model):
    """A substitute acting for a member in one item only (*varajäsen yksittäisessä asiassa*, R30).

    Used when the member is disqualified in that item (HL 27 §, R37): the substitute's
    `Participant` has `acting_for` = the member's seat and `item_scoped=True`, and decides only in
    the items listed here.
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="substitutions")
    substitute = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="item_substitutions"
    )
    member = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="item_substitution_once"),
            models.UniqueConstraint(
                fields=["item", "substitute"], name="item_substitution_substitute_once"
            ),
        ]
