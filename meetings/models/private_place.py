"""Attestations of a private place before a closed item (R9, R75; KL 98.2 §).

Hallintosääntö: *"Suljettuun sähköiseen kokoukseen voi osallistua vain sellaisessa paikassa,
jossa salassa pidettävät tiedot ja kokouksessa käytävät keskustelut eivät ole ulkopuolisen
kuultavissa tai nähtävissä."* A remote participant confirms this for each closed item
(*yksityisen paikan vakuutus*); a dropped connection ends the confirmation (R72, R13), so a
participant who returns confirms again.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.models.agenda import AgendaItem
from meetings.models.attendance import Participant


class PrivatePlaceConfirmation(models.Model):
    """A remote participant's attestation for one item; `revoked_at` set when it lapsed."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="private_place_confirmations"
    )
    item = models.ForeignKey(
        AgendaItem, on_delete=models.PROTECT, related_name="private_place_confirmations"
    )
    confirmed_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("yksityisen paikan vakuutus")
        verbose_name_plural = _("yksityisen paikan vakuutukset")
        ordering = ["item", "confirmed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "item"], condition=Q(revoked_at__isnull=True),
                name="private_place_one_valid_per_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} @ {self.item_id}"
