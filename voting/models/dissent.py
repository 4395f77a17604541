"""Dissenting opinions (*eriävä mielipide*, KL 106 §, R46, R47)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaItem, Person


class DissentGround(models.TextChoices):
    """Why the person may register dissent (KL 106.1 §)."""

    COUNTER_PROPOSAL = "counter_proposal", _("teki vastaehdotuksen")
    VOTED_AGAINST = "voted_against", _("äänesti päätöstä vastaan")
    PRESENTER = "presenter", _("esittelijä, päätös poikkeaa ehdotuksesta")


class Dissent(models.Model):
    """A dissent registered right after the decision; written reasons may follow (R46).

    Reasons may be attached until the minutes are checked. A dissent is never deleted: it
    frees the person from liability for the decision (R47).
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="dissents")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    ground = models.CharField(max_length=20, choices=DissentGround.choices)
    registered_at = models.DateTimeField()
    reasons = models.TextField(_("kirjalliset perustelut"), blank=True)
    reasons_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("eriävä mielipide")
        verbose_name_plural = _("eriävät mielipiteet")
        ordering = ["item", "registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "person"], name="dissent_once_per_item")
        ]
