"""The proposal registry of an item: base, counter, rejection, procedural (R31–R33, R40).

Every proposal keeps who made it and when, who seconded it and when, and whether it was
withdrawn: the minutes list proposals and seconding (R49) and liability depends on them (R47).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaItem, Participant, ProposalVersion


class ProposalKind(models.TextChoices):
    """Kind of proposal; the values are those of `voting.procedure.ProposalKind`."""

    BASE = "base", _("pohjaehdotus")
    COUNTER = "counter", _("vastaehdotus")
    REJECTION = "rejection", _("hylkäysehdotus")
    PROCEDURAL = "procedural", _("menettelyehdotus")


class ProceduralKind(models.TextChoices):
    """Procedural motions, decided before the matter itself (R33)."""

    NONE = "", _("—")
    TABLE = "table", _("pöydällepano")
    RETURN = "return", _("palautus valmisteluun")


class Proposal(models.Model):
    """One proposal (*ehdotus*) made in the handling of an item.

    The base proposal (*pohjaehdotus*, R31) is the item's `base_proposal` version, fixed when the
    discussion closes (R32); it has no proposer and needs no seconding. Members' proposals
    (*vastaehdotus*, *hylkäysehdotus*, *pöydällepano-* and *palautusehdotus*) fall unless another
    deciding member seconds them (KL 104.1 §, R40).
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="proposals")
    number = models.PositiveSmallIntegerField(_("numero"))
    kind = models.CharField(_("laji"), max_length=16, choices=ProposalKind.choices)
    procedural_kind = models.CharField(
        _("menettelyehdotuksen laji"), max_length=8, choices=ProceduralKind.choices,
        blank=True, default="",
    )
    text = models.TextField(_("ehdotus"))
    base_version = models.ForeignKey(
        ProposalVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("pohjaehdotuksen versio"),
    )
    proposer = models.ForeignKey(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals",
        verbose_name=_("ehdottaja"),
    )
    made_at = models.DateTimeField(_("tehty"))
    withdrawn_at = models.DateTimeField(_("peruttu"), null=True, blank=True)
    distance = models.PositiveSmallIntegerField(
        _("etäisyys pohjaehdotuksesta"), null=True, blank=True,
        help_text=_("Puheenjohtajan arvio äänestysjärjestystä varten (R43)."),
    )

    class Meta:
        verbose_name = _("ehdotus")
        verbose_name_plural = _("ehdotukset")
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="proposal_number_per_item"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(kind="base"), name="proposal_one_base_per_item"
            ),
            models.CheckConstraint(
                condition=Q(kind="base", proposer__isnull=True)
                | (~Q(kind="base") & Q(proposer__isnull=False)),
                name="proposal_base_has_no_proposer",
            ),
            models.CheckConstraint(
                condition=(Q(kind="procedural") & ~Q(procedural_kind=""))
                | (~Q(kind="procedural") & Q(procedural_kind="")),
                name="proposal_procedural_kind_iff_procedural",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def is_base(self) -> bool:
        return self.kind == ProposalKind.BASE

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class Seconding(models.Model):
    """A deciding member's support for a proposal (*kannatus*, KL 104.1 §, R40)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="secondings")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("kannatus")
        verbose_name_plural = _("kannatukset")
        ordering = ["proposal", "at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "participant"], name="seconding_once")
        ]


class TablingDemand(models.Model):
    """A councillor joins the demand to table an item handled for the first time (R33).

    In the council a first-time item is tabled without a vote when at least a quarter of the
    councillors present demand it (`procedure.tabling_demand_threshold`, the fraction is
    `Body.table_threshold_fraction`). The proposer of the motion to table is its first demander;
    others join here (joining also supports the motion, should it be voted).
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="demands")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("pöydällepanovaatimukseen yhtyminen")
        verbose_name_plural = _("pöydällepanovaatimukseen yhtymiset")
        ordering = ["proposal", "at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "participant"], name="tabling_demand_once")
        ]
