"""Elections (*vaalit*, KL 105 §, R45) and closed ballots (*suljetut liput*, KL 105.4–5 §, R12).

Ballot secrecy is structural: who took part (`ElectionParticipation`) and what was voted
(`ElectionBallot`) are two tables with no column that links them. A ballot has a random UUID
key (no sequence), no timestamp and no voter; both rows are written in one transaction, and when
the election closes the ballot rows are rewritten in content order so that even the physical
row order no longer follows casting order. See docs/voting-notes.md for the residual risk.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.models import AgendaItem, Meeting, Participant, Person
from voting.models.votes import VoteAttentionReason


class ElectionKind(models.TextChoices):
    MAJORITY = "majority", _("enemmistövaali")
    PROPORTIONAL = "proportional", _("suhteellinen vaali")


class ElectionStatus(models.TextChoices):
    NOMINATING = "nominating", _("ehdokasasettelu")
    OPEN = "open", _("vaali käynnissä")
    PAUSED = "paused", _("vaali keskeytetty")
    CLOSED = "closed", _("vaali päättynyt")


class Election(models.Model):
    """One election of an item: majority or proportional, open or closed ballot (R45, R12).

    The lot (*arpa*) is drawn from `seed_hex`, whose SHA-256 (`seed_commitment`) is written to
    the audit log when the election opens — before any ballot is cast — and which is revealed in
    the log only when the election closes, so the draw is reproducible and was fixed in advance.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="elections")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="elections")
    title = models.CharField(_("vaali"), max_length=300)
    kind = models.CharField(
        _("vaalitapa"), max_length=16, choices=ElectionKind.choices, default=ElectionKind.MAJORITY
    )
    seats = models.PositiveSmallIntegerField(_("valittavien määrä"))
    closed_ballot = models.BooleanField(_("suljetuin lipuin"), default=True)
    personal_substitutes = models.BooleanField(
        _("henkilökohtaiset varajäsenet pareittain"), default=False
    )
    status = models.CharField(
        _("tila"), max_length=12, choices=ElectionStatus.choices, default=ElectionStatus.NOMINATING
    )
    eligible = models.JSONField(_("äänioikeutetut"), default=list)
    present_at_open = models.PositiveSmallIntegerField(null=True, blank=True)
    seed_commitment = models.CharField(max_length=64, blank=True)
    seed_hex = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ballot_count = models.PositiveSmallIntegerField(null=True, blank=True)
    blank_count = models.PositiveSmallIntegerField(null=True, blank=True)
    result = models.JSONField(_("tulos"), default=dict, blank=True)
    # R72: a connection change of an eligible voter (or of the chair or the secretary) stops the
    # election from closing until the chair chooses continue, pause or restart (`ChairChoice`).
    needs_chair_decision = models.BooleanField(default=False)
    attention_reason = models.CharField(
        max_length=16, choices=VoteAttentionReason.choices, blank=True, default=""
    )
    attempt = models.PositiveSmallIntegerField(_("kerta"), default=1)

    class Meta:
        verbose_name = _("vaali")
        verbose_name_plural = _("vaalit")
        ordering = ["item", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="election_seats_positive"),
            models.CheckConstraint(
                condition=~Q(kind="proportional") | Q(closed_ballot=True),
                name="election_proportional_is_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ElectoralAlliance(models.Model):
    """An electoral alliance (*vaaliliitto*) of candidate lists in a proportional election (R45).

    The lists of an alliance are one group for the ranking and the comparison numbers
    (vaalilaki 89 §): candidates are ranked by personal votes across the alliance and the first
    gets the alliance's total. Registered by the chair or the secretary before the election
    opens; an alliance joins at least two lists and a list belongs to one alliance at most.
    """

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="alliances")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(_("vaaliliitto"), max_length=200)

    class Meta:
        verbose_name = _("vaaliliitto")
        verbose_name_plural = _("vaaliliitot")
        ordering = ["election", "number"]
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="alliance_number")
        ]

    def __str__(self) -> str:
        return self.name


class CandidateList(models.Model):
    """A candidate list (*ehdokaslista*) of a proportional election, maybe in an alliance."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="lists")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(_("lista"), max_length=200)
    alliance = models.ForeignKey(
        ElectoralAlliance, on_delete=models.PROTECT, null=True, blank=True,
        related_name="lists", verbose_name=_("vaaliliitto"),
    )

    class Meta:
        ordering = ["election", "number"]
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="candidate_list_number")
        ]

    def __str__(self) -> str:
        return self.name


class Candidate(models.Model):
    """A nominated candidate, or a (member, personal substitute) pair nominated together (R45).

    Candidates need not be members of the body: `person` is set when the candidate is a known
    person, and `name` is what the ballot shows either way.
    """

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="candidates")
    number = models.PositiveSmallIntegerField(_("ehdokasnumero"))
    candidate_list = models.ForeignKey(
        CandidateList, on_delete=models.PROTECT, null=True, blank=True, related_name="candidates"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("ehdokas"), max_length=200)
    substitute_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    substitute_name = models.CharField(_("henkilökohtainen varajäsen"), max_length=200, blank=True)
    nominated_by = models.ForeignKey(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nominated_at = models.DateTimeField()

    class Meta:
        ordering = ["election", "number"]
        constraints = [
            models.UniqueConstraint(fields=["election", "number"], name="candidate_number")
        ]

    def __str__(self) -> str:
        if self.substitute_name:
            return f"{self.name} / {self.substitute_name}"
        return self.name


class ElectionDemandKind(models.TextChoices):
    PROPORTIONAL = "proportional", _("suhteellisen vaalin vaatimus")
    CLOSED_BALLOT = "closed_ballot", _("suljetun lippuäänestyksen vaatimus")


class ElectionDemand(models.Model):
    """A member's demand for a proportional election or closed ballots (KL 105.2, 105.4 §)."""

    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="demands")
    kind = models.CharField(max_length=16, choices=ElectionDemandKind.choices)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["election", "kind", "participant"], name="election_demand_once"
            )
        ]


class ElectionParticipation(models.Model):
    """That a member cast a ballot in an election — and nothing about the ballot (R12).

    No timestamp here either: the `election.participated` audit entry carries the time of
    participation, and ballots carry no time at all.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="participations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "person"], name="election_votes_once")
        ]


class ElectionBallot(models.Model):
    """One closed ballot: the candidate chosen, or blank (`candidate` empty). Nothing else (R12).

    Random UUID key, no timestamp, no voter, no sequence; read in content order only.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="ballots")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["election", "candidate_id", "id"]
