"""Storage of the audit log (*tarkastusloki*; TiHL 15 §, 17 §, R62, R64, R78).

The tables are append-only: the database refuses UPDATE and DELETE on them (migration 0002), and
the format is the one of `../shared/spec/audit-log.md`, so what is stored here can be verified by
tools that do not trust this code. `AuditEntry.entry` keeps the exact leaf bytes: nothing ever
re-serialises an entry to hash or export it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import guards

guards.install()


class AuditEntry(models.Model):
    """One log entry (*lokitapahtuma*); `seq` is its RFC 9162 leaf index."""

    seq = models.BigIntegerField(_("järjestysnumero"), primary_key=True)
    entry = models.BinaryField(_("merkintä (kanoninen JSON)"))
    leaf_hash = models.BinaryField(_("lehden tiiviste"), max_length=32)
    # Copies of fields inside `entry`, extracted at write time so lookups need no JSON parsing.
    # They are conveniences for finding entries; only `entry` is evidence.
    action = models.CharField(_("toimenpide"), max_length=64, db_index=True)
    object = models.CharField(_("kohde"), max_length=128, db_index=True)
    actor = models.CharField(_("tekijä"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("tarkastuslokin merkintä")
        verbose_name_plural = _("tarkastuslokin merkinnät")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.object}"


class AuditNode(models.Model):
    """The hash of a complete aligned subtree `(level, index)`, level >= 1; immutable once stored.

    Level-0 hashes are the entries' `leaf_hash`. Keeping these lets appends, roots and proofs
    cost O(log n) reads instead of rehashing the log.
    """

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField(_("taso"))
    index = models.BigIntegerField(_("indeksi"))
    hash = models.BinaryField(_("tiiviste"), max_length=32)

    class Meta:
        verbose_name = _("tarkastuslokin puun solmu")
        verbose_name_plural = _("tarkastuslokin puun solmut")

    def __str__(self) -> str:
        return f"({self.level}, {self.index})"


class AuditPending(models.Model):
    """An entry recorded while another transaction held the log (PostgreSQL only).

    It is written in the recording transaction, so it commits or rolls back with the change;
    it gets its number right after that commit, from the drain of the queue that `audit.log`
    runs after every commit of a writer or lock holder (or from `sign_checkpoint`, which numbers
    everything queued first). Rows are deleted as they are numbered, so this table is not
    append-only; the drains vacuum it now and then (see `audit.log`).
    """

    id = models.BigAutoField(primary_key=True)
    ts = models.CharField(_("aika"), max_length=32)
    actor = models.CharField(_("tekijä"), max_length=64)
    action = models.CharField(_("toimenpide"), max_length=64)
    object = models.CharField(_("kohde"), max_length=128)
    data = models.TextField(_("tiedot (kanoninen JSON)"))

    class Meta:
        verbose_name = _("numeroimaton merkintä")
        verbose_name_plural = _("numeroimattomat merkinnät")

    def __str__(self) -> str:
        return f"{self.action} {self.object}"


class AuditHead(models.Model):
    """The single row holding the log size; locking it is what orders appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(_("koko"), default=0)

    class Meta:
        verbose_name = _("tarkastuslokin pää")
        verbose_name_plural = _("tarkastuslokin pää")

    def __str__(self) -> str:
        return str(self.size)


class AuditCheckpoint(models.Model):
    """A signed checkpoint (*allekirjoitettu tarkistuspiste*); kept forever, never changed."""

    size = models.BigIntegerField(_("koko"))
    root = models.BinaryField(_("juuritiiviste"), max_length=32)
    note = models.TextField(_("allekirjoitettu muistio"))
    key = models.CharField(_("vahvistusavain"), max_length=255)
    created_at = models.DateTimeField(_("luotu"), default=timezone.now)

    class Meta:
        verbose_name = _("tarkistuspiste")
        verbose_name_plural = _("tarkistuspisteet")
        constraints = [
            models.UniqueConstraint(fields=["key", "size"], name="audit_checkpoint_key_size"),
        ]

    def __str__(self) -> str:
        return f"{self.size}"
