"""The approved voting order of an item and the decision the chair states (R40, R43, R44, R46)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaItem
from voting.models.proposals import Proposal


class VotingMethod(models.TextChoices):
    """Voting method (*äänestystapa*) the chair proposes and the minutes record (R40, R44)."""

    ELECTRONIC = "electronic", _("sähköinen äänestys")
    ROLL_CALL = "roll_call", _("nimenhuutoäänestys")


class VotingOrder(models.Model):
    """The voting method and order (*äänestystapa ja -järjestys*) of one item (KL 104.1 §, R40).

    `proposed_plan` is what `procedure.propose_voting_order` suggested; `plan` the order the
    chair put to the body (changed or not, always checked with `procedure.validate_plan`);
    `approved_at` when the body approved it. Plans are JSON lists of steps
    ``{"step": 1, "jaa": <proposal id> | {"winner_of": k}, "ei": …, "procedural": bool}``.
    """

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="voting_order")
    method = models.CharField(
        _("äänestystapa"), max_length=16, choices=VotingMethod.choices,
        default=VotingMethod.ELECTRONIC,
    )
    proposed_plan = models.JSONField(_("ehdotettu äänestysjärjestys"), default=list)
    plan = models.JSONField(_("äänestysjärjestys"), default=list)
    changed_by_chair = models.BooleanField(_("puheenjohtaja muutti järjestystä"), default=False)
    proposed_at = models.DateTimeField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("hyväksytty"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("äänestysjärjestys")
        verbose_name_plural = _("äänestysjärjestykset")

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class Decision(models.Model):
    """The decision the chair states (*päätöksen toteaminen*, KL 104.1 §, R40, R76).

    `by_vote` is false when nothing seconded differed from the base proposal. The dissent window
    (R46) opens when the decision is stated and the chair closes it (`dissent_closed_at`).
    """

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="decision")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    by_vote = models.BooleanField(_("äänestyksen tuloksena"))
    by_demand = models.BooleanField(
        _("vähemmistön vaatimuksesta"), default=False,
        help_text=_("Pöydällepano vaadittu riittävällä kannatuksella ilman äänestystä (R33)."),
    )
    stated_at = models.DateTimeField(_("todettu"))
    stated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    dissent_closed_at = models.DateTimeField(_("eriävien mielipiteiden ilmoittaminen päättyi"),
                                             null=True, blank=True)

    class Meta:
        verbose_name = _("päätös")
        verbose_name_plural = _("päätökset")

    @property
    def dissent_open(self) -> bool:
        return self.dissent_closed_at is None
