"""Nähtävänäpito dates and the public rendering over time (R52, R53, R67)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from meetings.deadlines import HELSINKI
from minutes.document import AppealKind
from minutes.publication import (
    PublicRendering,
    current_rendering,
    document_rendering_at,
    publication_schedule,
    rendering_on,
    section_appeal_kinds,
    sections_past_removal,
)


def test_schedule_around_midsummer():
    """R53: published Fri 29.5.2026 → notified 5.6. → 14 days end on juhannusaatto 19.6.,
    rolled over the Midsummer weekend to Monday 22.6.2026."""
    schedule = publication_schedule(date(2026, 5, 29), AppealKind.OIKAISUVAATIMUS)
    assert schedule.notified_on == date(2026, 6, 5)
    assert schedule.oikaisuvaatimus_deadline == date(2026, 6, 22)
    assert schedule.appeal_deadline == date(2026, 6, 22)
    assert schedule.personal_data_removal_date == date(2026, 6, 22)
    assert schedule.kunnallisvalitus_deadline == date(2026, 7, 6)


def test_notification_on_midsummer_eve_is_not_rolled():
    """The deemed notification date is fixed by law (KL 140.3 §), never moved."""
    schedule = publication_schedule(date(2026, 6, 12), "oikaisuvaatimus")
    assert schedule.notified_on == date(2026, 6, 19)  # juhannusaatto
    assert schedule.oikaisuvaatimus_deadline == date(2026, 7, 3)


def test_schedule_around_christmas():
    """Published Wed 3.12.2025 → notified 10.12. → 14 days end on jouluaatto 24.12.; 25.–28.12.
    are holidays and a weekend, so the period ends on Monday 29.12.2025."""
    schedule = publication_schedule(date(2025, 12, 3), AppealKind.OIKAISUVAATIMUS)
    assert schedule.oikaisuvaatimus_deadline == date(2025, 12, 29)
    assert schedule.kunnallisvalitus_deadline == date(2026, 1, 9)
    council = publication_schedule(date(2025, 12, 3), AppealKind.KUNNALLISVALITUS)
    assert council.personal_data_removal_date == date(2026, 1, 9)
    no_appeal = publication_schedule(date(2025, 12, 3), AppealKind.NONE)
    assert no_appeal.personal_data_removal_date == date(2025, 12, 29)


def test_without_rollover_the_naive_day_counts():
    schedule = publication_schedule(date(2025, 12, 3), "oikaisuvaatimus", rollover=False)
    assert schedule.oikaisuvaatimus_deadline == date(2025, 12, 24)


def test_rendering_switches_the_day_after_the_period():
    """R52: personal data stay online through the last day of the appeal period."""
    published = date(2026, 5, 29)
    assert rendering_on(None, "oikaisuvaatimus", date(2026, 6, 1)) is PublicRendering.NOT_PUBLISHED
    assert rendering_on(published, "oikaisuvaatimus", date(2026, 5, 28)) \
        is PublicRendering.NOT_PUBLISHED
    assert rendering_on(published, "oikaisuvaatimus", published) is PublicRendering.PUBLIC
    assert rendering_on(published, "oikaisuvaatimus", date(2026, 6, 22)) is PublicRendering.PUBLIC
    assert rendering_on(published, "oikaisuvaatimus", date(2026, 6, 23)) \
        is PublicRendering.PERSONAL_DATA_REMOVED


def test_withdrawal_after_local_retention_period():
    """R67: the whole public copy may be withdrawn, never before the personal data may go."""
    schedule = publication_schedule(date(2026, 5, 29), "oikaisuvaatimus", withdraw_after_days=365)
    assert schedule.withdraw_on == date(2027, 5, 29)
    assert schedule.rendering_on(date(2027, 5, 28)) is PublicRendering.PERSONAL_DATA_REMOVED
    assert schedule.rendering_on(date(2027, 5, 29)) is PublicRendering.WITHDRAWN
    early = publication_schedule(date(2026, 5, 29), "oikaisuvaatimus", withdraw_after_days=3)
    assert early.withdraw_on == date(2026, 6, 23)
    with pytest.raises(ValueError):
        publication_schedule(date(2026, 5, 29), "oikaisuvaatimus", withdraw_after_days=-1)
    with pytest.raises(ValueError):
        publication_schedule(date(2026, 5, 29), "valitus")


def test_sections_with_longer_periods_keep_their_data_longer(sample):
    kinds = section_appeal_kinds(sample)
    assert kinds[45] is AppealKind.NONE and kinds[47] is AppealKind.OIKAISUVAATIMUS
    kinds[48] = AppealKind.KUNNALLISVALITUS
    published = date(2026, 3, 19)  # notified 26.3. → 9.4.2026 (14 d); 30 d: Sat 25.4. → Mon 27.4.
    assert sections_past_removal(published, kinds, date(2026, 4, 9)) == frozenset()
    past = sections_past_removal(published, kinds, date(2026, 4, 10))
    assert 47 in past and 48 not in past
    assert 48 in sections_past_removal(published, kinds, date(2026, 4, 28))


def _helsinki(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)


def test_current_rendering_switches_after_appeal_period(sample):
    """R52, R67 with the clock: the public version until the end of the last day of the
    appeal period, the personal-data-removed version from Helsinki midnight on."""
    published = sample.publication.published_on  # 19.3.2026 → notified 26.3. → 9.4.2026
    removal = publication_schedule(published, "oikaisuvaatimus").personal_data_removal_date
    assert removal == date(2026, 4, 9)
    with time_machine.travel(_helsinki(date(2026, 3, 18), 12), tick=False):
        assert current_rendering(sample, published) == (PublicRendering.NOT_PUBLISHED,
                                                        frozenset())
    with time_machine.travel(_helsinki(removal, 23, 59), tick=False):
        assert current_rendering(sample, published) == (PublicRendering.PUBLIC, frozenset())
    with time_machine.travel(_helsinki(date(2026, 4, 10), 0, 0), tick=False):
        rendering, sections = current_rendering(sample, published)
    assert rendering is PublicRendering.PERSONAL_DATA_REMOVED
    assert sections == {s.number for s in sample.sections}


def test_rendering_at_uses_the_helsinki_calendar(sample):
    """21.05 UTC on 9.4. is already 00.05 on 10.4. in Helsinki (UTC+3 in summer time)."""
    published = date(2026, 3, 19)
    late_evening = _helsinki(date(2026, 4, 9), 21, 30)
    assert document_rendering_at(sample, published, late_evening)[0] is PublicRendering.PUBLIC
    after_midnight = datetime(2026, 4, 9, 21, 5, tzinfo=UTC)  # 00.05 on 10.4. in Helsinki
    assert document_rendering_at(sample, published, after_midnight)[0] \
        is PublicRendering.PERSONAL_DATA_REMOVED
    assert document_rendering_at(sample, published, after_midnight,
                                 withdraw_after_days=20)[0] is PublicRendering.WITHDRAWN
    assert document_rendering_at(sample, None, after_midnight)[0] is PublicRendering.NOT_PUBLISHED
