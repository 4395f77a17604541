"""Open votes (*äänestys*), named ballots and the chair's choices during a vote (R41–R44, R72).

Matter votes are open by law (KL 104.2 §): a ballot names its voter, and the minutes list the
voters by option (R44). Secret elections live in `voting.models.elections` and never here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaItem, Meeting, Participant, Person
from voting.models.handling import VotingOrder
from voting.models.proposals import Proposal


class VoteStatus(models.TextChoices):
    OPEN = "open", _("käynnissä")
    PAUSED = "paused", _("keskeytetty")
    CLOSED = "closed", _("päättynyt")
    VOIDED = "voided", _("mitätöity ja uusittu")


ACTIVE_VOTE_STATUSES = (VoteStatus.OPEN, VoteStatus.PAUSED)


class VoteAttentionReason(models.TextChoices):
    """Why a vote waits for the chair's choice and cannot close on its own (R41, R72)."""

    NONE = "", _("—")
    CONNECTION = "connection", _("äänioikeutetun yhteys muuttui äänestyksen aikana")
    TIE = "tie", _("äänet tasan eikä puheenjohtajan ääni ratkaise")


class BallotOption(models.TextChoices):
    """Options of an open vote; the values are those of `voting.procedure.VoteOption` (R42)."""

    JAA = "jaa", _("jaa")
    EI = "ei", _("ei")
    TYHJA = "tyhja", _("tyhjä")


class Vote(models.Model):
    """One vote of a voting order: *jaa* stands for one proposal, *ei* for the other (R40).

    `eligible` is the list of person ids entitled to vote, taken from
    `meetings.presence.deciding_participants` when the vote opens; a member who was not
    deciding then is absent from this vote, and one who is not deciding now cannot cast (R72).
    A restarted vote is `voided` (its ballots stay, uncounted) and a new attempt opens.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="votes")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="votes")
    order = models.ForeignKey(VotingOrder, on_delete=models.PROTECT, related_name="votes")
    step = models.PositiveSmallIntegerField(_("äänestys nro"))
    attempt = models.PositiveSmallIntegerField(_("kerta"), default=1)
    procedural = models.BooleanField(default=False)
    jaa_proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    ei_proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("tila"), max_length=8, choices=VoteStatus.choices, default=VoteStatus.OPEN
    )
    eligible = models.JSONField(_("äänioikeutetut"), default=list)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    needs_chair_decision = models.BooleanField(default=False)
    attention_reason = models.CharField(
        max_length=16, choices=VoteAttentionReason.choices, blank=True, default=""
    )
    # Result (R41, R44), filled when the vote closes.
    jaa_count = models.PositiveSmallIntegerField(null=True, blank=True)
    ei_count = models.PositiveSmallIntegerField(null=True, blank=True)
    tyhja_count = models.PositiveSmallIntegerField(null=True, blank=True)
    absent_count = models.PositiveSmallIntegerField(null=True, blank=True)
    winner = models.CharField(max_length=4, blank=True, default="")
    tie = models.BooleanField(default=False)
    tie_broken_by_chair = models.BooleanField(default=False)
    winner_proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("äänestys")
        verbose_name_plural = _("äänestykset")
        ordering = ["item", "step", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "step", "attempt"], name="vote_step_attempt_once"
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status__in=["open", "paused"]),
                name="vote_one_active_per_item",
            ),
            models.CheckConstraint(
                condition=~Q(jaa_proposal=models.F("ei_proposal")), name="vote_two_sides"
            ),
            models.CheckConstraint(
                condition=Q(winner__in=["", "jaa", "ei"]), name="vote_winner_option"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} – äänestys {self.step}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_VOTE_STATUSES


class Ballot(models.Model):
    """A member's current ballot in an open vote; one per member per vote (DB-enforced).

    `receipt` = SHA-256 over ``kokous-ballot-v1``, the vote id, the person id, the option and a
    random per-ballot `salt`, newline-separated (see `voting.services.votes.ballot_receipt`). The
    member can recompute it and find it in the `vote.cast` audit entry. A changed ballot keeps
    its earlier versions in `BallotRevision` (R44, R47: who voted how must stay provable).
    """

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="ballots")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    option = models.CharField(max_length=8, choices=BallotOption.choices)
    salt = models.CharField(max_length=32)
    receipt = models.CharField(max_length=64)
    cast_at = models.DateTimeField()
    revision = models.PositiveSmallIntegerField(default=1)

    class Meta:
        verbose_name = _("ääni")
        verbose_name_plural = _("äänet")
        ordering = ["vote", "person__last_name", "person__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "person"], name="ballot_one_per_member"),
            models.CheckConstraint(
                condition=Q(option__in=["jaa", "ei", "tyhja"]), name="ballot_option_known"
            ),
        ]


class BallotRevision(models.Model):
    """An earlier version of a changed ballot (Body.ballot_changeable), kept for the record."""

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveSmallIntegerField()
    option = models.CharField(max_length=8, choices=BallotOption.choices)
    receipt = models.CharField(max_length=64)
    cast_at = models.DateTimeField()
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ["ballot", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "revision"], name="ballot_revision_once")
        ]


class ChairChoiceKind(models.TextChoices):
    """The chair's choice when a vote cannot close on its own (R72)."""

    CONTINUE = "continue", _("jatka äänestystä")
    PAUSE = "pause", _("keskeytä äänestys")
    RESTART = "restart", _("uusi äänestys")


class ChairChoice(models.Model):
    """A recorded choice of the chair during a vote (R72 [UNVERIFIED rule set], R76, R78)."""

    vote = models.ForeignKey(
        Vote, on_delete=models.PROTECT, null=True, blank=True, related_name="chair_choices"
    )
    # The same choice for an election (R72): exactly one of `vote` and `election` is set.
    election = models.ForeignKey(
        "voting.Election", on_delete=models.PROTECT, null=True, blank=True,
        related_name="chair_choices",
    )
    choice = models.CharField(max_length=8, choices=ChairChoiceKind.choices)
    reason = models.CharField(max_length=16, choices=VoteAttentionReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    restarted_as = models.ForeignKey(
        Vote, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["vote", "election", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(vote__isnull=False) & Q(election__isnull=True))
                | (Q(vote__isnull=True) & Q(election__isnull=False)),
                name="chair_choice_vote_xor_election",
            )
        ]
