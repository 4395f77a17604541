"""Nähtävänäpito: dates and the choice of public rendering (R52, R53, R55, R67) — pure logic.

Once the checked pöytäkirja is put on display in the public network on ``published_on``:

* the members of the municipality are deemed notified 7 days later (tiedoksisaanti, KL 140.3 §);
* the oikaisuvaatimus period (14 days) or kunnallisvalitus period (30 days) runs from the
  notification, rolled over to the next working day (KL 138 §, määräaikalaki 150/1930);
* the personal data of the published minutes are removed when that period ends (KL 140.1 §):
  they stay online through the last day of the period and are gone from the next day
  (Helsinki calendar), when the public version is replaced by the personal-data-removed one;
* optionally the whole document is withdrawn after a locally set number of days (R67).

All date arithmetic is :mod:`meetings.deadlines`. The models and views of publication come with
the records; these functions are what they will call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from meetings import deadlines
from minutes.document import AppealKind, MinutesDocument

__all__ = [
    "PublicRendering",
    "PublicationSchedule",
    "current_rendering",
    "document_rendering_at",
    "publication_schedule",
    "rendering_on",
    "section_appeal_kinds",
    "sections_past_removal",
]


class PublicRendering(StrEnum):
    """Which version of the minutes the public network shows."""

    NOT_PUBLISHED = "not_published"  # not yet on display (unchecked minutes are not public, R51)
    PUBLIC = "public"  # yleisversio with the personal data needed for tiedonsaanti
    PERSONAL_DATA_REMOVED = "personal_data_removed"  # after the appeal period (KL 140.1 §)
    WITHDRAWN = "withdrawn"  # removed from the network after the local retention period (R67)


@dataclass(frozen=True, slots=True)
class PublicationSchedule:
    """The dates that follow from putting the minutes on display on ``published_on``."""

    published_on: date
    appeal_kind: AppealKind
    notified_on: date  # tiedoksisaanti of the members of the municipality
    oikaisuvaatimus_deadline: date
    kunnallisvalitus_deadline: date
    appeal_deadline: date  # the last day of the period that applies to ``appeal_kind``
    personal_data_removal_date: date  # last day the personal data stay online
    withdraw_on: date | None  # first day the document is no longer online, if limited

    def rendering_on(self, day: date) -> PublicRendering:
        """The public rendering on the Helsinki calendar day ``day``."""
        if day < self.published_on:
            return PublicRendering.NOT_PUBLISHED
        if self.withdraw_on is not None and day >= self.withdraw_on:
            return PublicRendering.WITHDRAWN
        if day > self.personal_data_removal_date:
            return PublicRendering.PERSONAL_DATA_REMOVED
        return PublicRendering.PUBLIC


def publication_schedule(
    published_on: date,
    appeal_kind: AppealKind | str,
    *,
    rollover: bool = True,
    withdraw_after_days: int | None = None,
) -> PublicationSchedule:
    """Dates for minutes (or one decision) put on display on ``published_on`` (R53).

    ``withdraw_after_days`` is the local retention period of the whole public copy (R67:
    Kuntaliitto's recommendation is removal at the latest after a year); ``None`` keeps it.
    Example: published Wednesday 17.6.2026 → notified 24.6.2026 → oikaisuvaatimus by
    Wednesday 8.7.2026; published 10.12.2025 → notified 17.12.2025 → the 14-day period ends on
    Wednesday 31.12.2025, the 30-day period on Friday 16.1.2026.
    """
    kind = AppealKind(appeal_kind)
    dates = deadlines.appeal_dates(published_on, rollover=rollover)
    removal = deadlines.personal_data_removal_date(published_on, kind.value, rollover=rollover)
    if withdraw_after_days is not None and withdraw_after_days < 0:
        raise ValueError("withdraw_after_days must be >= 0")
    withdraw_on = None
    if withdraw_after_days is not None:
        # Never before the personal data may legally come down and the appeal period is over.
        withdraw_on = max(
            published_on + timedelta(days=withdraw_after_days), removal + timedelta(days=1)
        )
    return PublicationSchedule(
        published_on=published_on,
        appeal_kind=kind,
        notified_on=dates.notified_on,
        oikaisuvaatimus_deadline=dates.oikaisuvaatimus_deadline,
        kunnallisvalitus_deadline=dates.kunnallisvalitus_deadline,
        appeal_deadline=dates.deadline_for(kind.value),
        personal_data_removal_date=removal,
        withdraw_on=withdraw_on,
    )


def rendering_on(
    published_on: date | None,
    appeal_kind: AppealKind | str,
    day: date,
    *,
    rollover: bool = True,
    withdraw_after_days: int | None = None,
) -> PublicRendering:
    """The public rendering of one decision's minutes on ``day`` (Helsinki date)."""
    if published_on is None:
        return PublicRendering.NOT_PUBLISHED
    return publication_schedule(
        published_on, appeal_kind, rollover=rollover, withdraw_after_days=withdraw_after_days
    ).rendering_on(day)


def section_appeal_kinds(document: MinutesDocument) -> dict[int, AppealKind]:
    """§ number → appeal route of each section of the minutes."""
    return {section.number: section.appeal_kind for section in document.sections}


def sections_past_removal(
    published_on: date, appeal_kinds: Mapping[int, AppealKind | str], day: date,
    *, rollover: bool = True,
) -> frozenset[int]:
    """The sections whose personal data must be gone on ``day``: their appeal period ended
    (a council's kunnallisvalitus sections keep theirs longer than oikaisuvaatimus ones)."""
    return frozenset(
        number
        for number, kind in appeal_kinds.items()
        if rendering_on(published_on, kind, day, rollover=rollover)
        is PublicRendering.PERSONAL_DATA_REMOVED
    )


def document_rendering_at(
    document: MinutesDocument,
    published_on: date | None,
    moment: datetime,
    *,
    rollover: bool = True,
    withdraw_after_days: int | None = None,
) -> tuple[PublicRendering, frozenset[int]]:
    """What the public network shows of ``document`` at the aware ``moment``.

    Returns the rendering and the § numbers whose personal data are removed: ``PUBLIC`` with
    an empty set during every appeal period, ``PUBLIC`` with some sections when the shorter
    periods have ended, ``PERSONAL_DATA_REMOVED`` with all sections when the last has ended,
    ``WITHDRAWN`` after the retention period. Render the first two with
    ``minutes.render.public_version(document, remove_personal_data=<the set>)``.
    """
    day = deadlines.local_date(moment)
    if published_on is None or day < published_on:
        return PublicRendering.NOT_PUBLISHED, frozenset()
    kinds = section_appeal_kinds(document)
    removed = sections_past_removal(published_on, kinds, day, rollover=rollover)
    if withdraw_after_days is not None:
        latest = _latest_removal(published_on, kinds.values(), rollover)
        withdraw_on = max(
            published_on + timedelta(days=withdraw_after_days), latest + timedelta(days=1)
        )
        if day >= withdraw_on:
            return PublicRendering.WITHDRAWN, removed
    if kinds and len(removed) == len(kinds):
        return PublicRendering.PERSONAL_DATA_REMOVED, removed
    return PublicRendering.PUBLIC, removed


def current_rendering(
    document: MinutesDocument,
    published_on: date | None,
    *,
    rollover: bool = True,
    withdraw_after_days: int | None = None,
) -> tuple[PublicRendering, frozenset[int]]:
    """:func:`document_rendering_at` now (the clock, read in UTC and taken to Helsinki)."""
    return document_rendering_at(
        document, published_on, datetime.now(tz=UTC), rollover=rollover,
        withdraw_after_days=withdraw_after_days,
    )


def _latest_removal(
    published_on: date, kinds: Iterable[AppealKind | str], rollover: bool
) -> date:
    return max(
        (
            deadlines.personal_data_removal_date(published_on, AppealKind(k).value, rollover)
            for k in kinds
        ),
        default=deadlines.personal_data_removal_date(
            published_on, AppealKind.NONE.value, rollover
        ),
    )
