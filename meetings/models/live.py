"""Tables of the live meeting room: the floor queue, open sockets, snapshots, idempotency keys.

State of the live room lives here, in the database, never only in a consumer: any worker can
serve any member and a restart loses nothing (DESIGN "Realtime").

* `FloorRequest` — a request for the floor (*puheenvuoropyyntö*) or a reply request
  (*vastauspuheenvuoro*), granted and ended by the chair (KL 102 §, R10);
* `LiveConnection` — one open WebSocket of a participant, so that closing one of two tabs is not
  a dropped connection, and a crashed worker's sockets can be swept (R72);
* `LiveState` — the meeting's change counter and the last rendered snapshots (member, chair and
  public, R8), so a cache miss never has to rebuild under a crowd of viewers;
* `ActionKey` — idempotency keys of room actions: a phone that lost the answer resends the same
  key and gets the same answer, never a second proposal;
* `SecretaryNote` — the secretary's notes for the minutes during the meeting (R77).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.models.agenda import AgendaItem
from meetings.models.attendance import Participant
from meetings.models.meeting import Meeting


class FloorKind(models.TextChoices):
    SPEECH = "speech", _("puheenvuoro")
    REPLY = "reply", _("vastauspuheenvuoro")


class FloorStatus(models.TextChoices):
    QUEUED = "queued", _("jonossa")
    SPEAKING = "speaking", _("puheenvuorossa")
    DONE = "done", _("päättynyt")
    WITHDRAWN = "withdrawn", _("peruttu")
    CANCELLED = "cancelled", _("poistettu jonosta")


OPEN_FLOOR_STATUSES = (FloorStatus.QUEUED, FloorStatus.SPEAKING)


class FloorRequest(models.Model):
    """A request for the floor in one item and what became of it (KL 102 §, R10, R78)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="floor_requests")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="floor_requests")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="floor_requests"
    )
    kind = models.CharField(_("laji"), max_length=8, choices=FloorKind.choices)
    status = models.CharField(
        _("tila"), max_length=10, choices=FloorStatus.choices, default=FloorStatus.QUEUED
    )
    reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("vastaus puheenvuoroon"),
    )
    requested_at = models.DateTimeField()
    granted_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    time_limit_seconds = models.PositiveIntegerField(
        _("puheaika (s)"), null=True, blank=True,
        help_text=_("Hallintosäännön tai puheenjohtajan asettama enimmäisaika (KL 90.1 § 3 f)."),
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("puheenvuoropyyntö")
        verbose_name_plural = _("puheenvuoropyynnöt")
        ordering = ["item", "requested_at", "pk"]
        constraints = [
            # Natural idempotency: a resent request finds the open one instead of queueing twice.
            models.UniqueConstraint(
                fields=["item", "participant", "kind"],
                condition=Q(status__in=["queued", "speaking"]),
                name="floor_one_open_request_per_kind",
            ),
            models.UniqueConstraint(
                fields=["meeting"], condition=Q(status="speaking"), name="floor_one_speaker",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "status"], name="floor_meeting_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.participant_id} ({self.status})"


class LiveConnection(models.Model):
    """One open WebSocket of a participant of a meeting (R72: drops are per participant)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="live_connections"
    )
    channel_name = models.CharField(max_length=200, unique=True)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    closed_at = models.DateTimeField(
        null=True, blank=True,
        help_text=_("Kun socket sulkeutui; rivi poistuu, kun katkos on käsitelty (R72)."),
    )

    class Meta:
        indexes = [models.Index(fields=["last_seen_at"], name="liveconn_last_seen")]


class LiveState(models.Model):
    """The meeting's live version counter and its last rendered snapshots (JSON text)."""

    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, primary_key=True, related_name="live_state"
    )
    version = models.BigIntegerField(default=0)
    public_version = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    member_snapshot = models.TextField(blank=True)
    chair_snapshot = models.TextField(blank=True)
    public_snapshot = models.TextField(blank=True)


class ActionKey(models.Model):
    """An idempotency key of one room action by one user, with the answer that was given."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    action = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    status = models.PositiveSmallIntegerField(default=0)
    response = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="actionkey_once_per_user")
        ]
        indexes = [models.Index(fields=["created_at"], name="actionkey_created")]


class SecretaryNote(models.Model):
    """A note the secretary writes during the meeting for the minutes (R77)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="secretary_notes")
    item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("muistiinpano"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["meeting", "created_at", "pk"]
