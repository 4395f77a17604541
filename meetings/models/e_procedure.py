"""Positions in the electronic decision-making procedure (*sähköinen päätöksentekomenettely*).

Append-only: every answer is a new row; a member's current position is the latest row for the
seat (R22: individual, timestamped records; members may change their position until the
deadline and the history is kept).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.models.agenda import AgendaItem, ProposalVersion
from meetings.models.organisation import Membership, Person


class EPosition(models.TextChoices):
    """The only positions the procedure knows (R19): anything but acceptance transfers."""

    ACCEPT = "accept", _("hyväksyn esityksen")
    DEMAND_MEETING = "demand", _("vaadin asian käsittelyä kokouksessa")
    DISQUALIFIED = "disqualified", _("olen esteellinen")


class EProcedureAnswer(models.Model):
    """One answer of a member (or an allowed personal substitute) for one item (R17–R22)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="e_answers")
    seat = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+",
        help_text=_("Jäsenen paikka, jonka puolesta vastataan."),
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.CharField(_("kanta"), max_length=16, choices=EPosition.choices)
    comment = models.TextField(_("kommentti"), blank=True)
    proposal_version = models.ForeignKey(
        ProposalVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seq = models.PositiveIntegerField(help_text=_("Vastauksen järjestysnumero tälle paikalle."))
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["item", "seat", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["item", "seat", "seq"], name="e_answer_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_position_display()}"
