"""Määräajat — meetings/deadlines.py. Pure domain tests: no Django, no database.

R53 (tiedoksisaanti + appeal periods with määräaikalaki roll-over), R52/R67 (personal-data
removal at the end of the appeal period), R56 (final after the appeal period), R24 (notice
period), R16 (e-procedure deadline after the notice).

Weekday reminders for the hand-computed cases: 1.1.2026 is a Thursday, 1.1.2027 a Friday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetings.deadlines import (
    HELSINKI,
    SUPPORTED_FROM_YEAR,
    AppealKind,
    add_days_with_rollover,
    appeal_dates,
    e_procedure_deadline_ok,
    easter_sunday,
    finnish_public_holidays,
    is_working_day,
    local_date,
    next_working_day_on_or_after,
    notice_deadline,
    notice_sent_in_time,
    personal_data_removal_date,
)

D = date.fromisoformat

supported_dates = st.dates(min_value=date(SUPPORTED_FROM_YEAR, 1, 1), max_value=date(9998, 1, 1))
period_days = st.integers(min_value=0, max_value=400)


# --- holidays -----------------------------------------------------------------------------------

KNOWN_HOLIDAYS = {
    # year: (pitkäperjantai, pääsiäispäivä, 2. pääsiäispäivä, helatorstai, helluntaipäivä,
    #        juhannusaatto, juhannuspäivä, pyhäinpäivä)
    2024: ("2024-03-29", "2024-03-31", "2024-04-01", "2024-05-09", "2024-05-19",
           "2024-06-21", "2024-06-22", "2024-11-02"),
    2025: ("2025-04-18", "2025-04-20", "2025-04-21", "2025-05-29", "2025-06-08",
           "2025-06-20", "2025-06-21", "2025-11-01"),
    2026: ("2026-04-03", "2026-04-05", "2026-04-06", "2026-05-14", "2026-05-24",
           "2026-06-19", "2026-06-20", "2026-10-31"),
    2027: ("2027-03-26", "2027-03-28", "2027-03-29", "2027-05-06", "2027-05-16",
           "2027-06-25", "2027-06-26", "2027-11-06"),
}  # fmt: skip
MOVABLE_NAMES = (
    "pitkäperjantai",
    "pääsiäispäivä",
    "2. pääsiäispäivä",
    "helatorstai",
    "helluntaipäivä",
    "juhannusaatto",
    "juhannuspäivä",
    "pyhäinpäivä",
)
FIXED = {
    (1, 1): "uudenvuodenpäivä",
    (1, 6): "loppiainen",
    (5, 1): "vapunpäivä",
    (12, 6): "itsenäisyyspäivä",
    (12, 24): "jouluaatto",
    (12, 25): "joulupäivä",
    (12, 26): "tapaninpäivä",
}


@pytest.mark.parametrize("year", sorted(KNOWN_HOLIDAYS))
def test_known_holidays_2024_2027_r53(year: int) -> None:
    """R53: the määräaikalaki 5 § days of 2024–2027, with their Finnish names, and nothing
    else (no laskiainen, no Saturdays listed as such)."""
    expected = {D(day): name for day, name in zip(KNOWN_HOLIDAYS[year], MOVABLE_NAMES, strict=True)}
    expected |= {date(year, m, d): name for (m, d), name in FIXED.items()}
    assert finnish_public_holidays(year) == expected


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, "2000-04-23"),
        (2008, "2008-03-23"),  # early: helatorstai falls on vapunpäivä
        (2011, "2011-04-24"),
        (2019, "2019-04-21"),
        (2024, "2024-03-31"),
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2038, "2038-04-25"),  # latest possible date
        (2285, "2285-03-22"),  # earliest possible date
    ],
)
def test_easter_sunday_known_dates(year: int, easter: str) -> None:
    assert easter_sunday(year) == D(easter)


@given(year=st.integers(min_value=1583, max_value=9999))
def test_easter_is_a_sunday_between_22_march_and_25_april(year: int) -> None:
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert date(year, 3, 22) <= easter <= date(year, 4, 25)


def test_helatorstai_on_vapunpaiva_2008_is_one_day_with_both_names_r53() -> None:
    """R53: in 2008 Easter was on 23 March, so Ascension Day (Easter + 39) was 1 May."""
    holidays = finnish_public_holidays(2008)
    assert holidays[D("2008-05-01")] == "vapunpäivä, helatorstai"
    assert len(holidays) == 14


@given(year=st.integers(min_value=SUPPORTED_FROM_YEAR, max_value=9999))
def test_holiday_rules_hold_every_year_r53(year: int) -> None:
    """R53: the fixed weekday rules of the movable days hold for every supported year."""
    by_name = {}
    for day, names in finnish_public_holidays(year).items():
        assert day.year == year
        for name in names.split(", "):
            by_name[name] = day
    assert len(by_name) == 15
    easter = easter_sunday(year)
    assert by_name["pitkäperjantai"] == easter - timedelta(days=2)
    assert by_name["helatorstai"] == easter + timedelta(days=39)
    assert by_name["helatorstai"].weekday() == 3
    assert by_name["helluntaipäivä"] == easter + timedelta(days=49)
    assert by_name["helluntaipäivä"].weekday() == 6
    assert by_name["juhannusaatto"].weekday() == 4
    assert date(year, 6, 19) <= by_name["juhannusaatto"] <= date(year, 6, 25)
    assert by_name["juhannuspäivä"].weekday() == 5
    assert date(year, 6, 20) <= by_name["juhannuspäivä"] <= date(year, 6, 26)
    assert by_name["pyhäinpäivä"].weekday() == 5
    assert date(year, 10, 31) <= by_name["pyhäinpäivä"] <= date(year, 11, 6)


def test_returned_holidays_are_a_copy() -> None:
    finnish_public_holidays(2026).clear()
    assert len(finnish_public_holidays(2026)) == 15


def test_years_before_the_current_calendar_are_refused() -> None:
    with pytest.raises(ValueError, match="from 1992"):
        finnish_public_holidays(1991)
    with pytest.raises(ValueError, match="from 1992"):
        is_working_day(D("1985-05-16"))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-06-18", True),  # Thursday before Midsummer
        ("2026-06-19", False),  # juhannusaatto (Friday)
        ("2026-06-22", True),  # Monday after Midsummer
        ("2026-12-23", True),  # Wednesday
        ("2026-12-24", False),  # jouluaatto (Thursday)
        ("2026-05-14", False),  # helatorstai
        ("2026-05-15", True),  # Friday after Ascension
        ("2026-03-14", False),  # ordinary Saturday (arkilauantai)
        ("2026-03-15", False),  # Sunday
        ("2026-03-16", True),  # Monday
        ("2025-12-31", True),  # New Year's Eve is an ordinary working day
    ],
)
def test_is_working_day_r53(day: str, working: bool) -> None:
    """R53: arkipäivä per määräaikalaki 5 §."""
    assert is_working_day(D(day)) is working


def test_dates_only_no_datetimes() -> None:
    """A datetime is a date subclass; its time part must not leak into day arithmetic."""
    with pytest.raises(TypeError, match="local_date"):
        is_working_day(datetime(2026, 6, 19, 12, tzinfo=UTC))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a date"):
        appeal_dates("2026-06-19")  # type: ignore[arg-type]


# --- appeal periods (hand-computed) -------------------------------------------------------------

# Each case: published_on, notified_on, oikaisuvaatimus deadline, kunnallisvalitus deadline.
# notified = published + 7 (KL 140.3 §); oikaisuvaatimus = notified + 14 and kunnallisvalitus =
# notified + 30 (KL 138 §; määräaikalaki 2 §: the notification day is not counted), then rolled
# to the next working day (määräaikalaki 5 §).
APPEAL_CASES = [
    pytest.param(
        # Midsummer 2026: Fri 29.5. + 7 = Fri 5.6.; 5.6. + 14 = Fri 19.6. juhannusaatto →
        # Sat 20.6. juhannuspäivä → Sun 21.6. → Mon 22.6.; 5.6. + 30 = Sun 5.7. → Mon 6.7.
        "2026-05-29", "2026-06-05", "2026-06-22", "2026-07-06",
        id="midsummer-2026",
    ),
    pytest.param(
        # Christmas 2026: Thu 3.12. + 7 = Thu 10.12.; + 14 = Thu 24.12. jouluaatto → Fri 25.12.
        # joulupäivä → Sat 26.12. tapaninpäivä → Sun 27.12. → Mon 28.12.;
        # 10.12. + 30 = Sat 9.1.2027 → Sun 10.1. → Mon 11.1.2027.
        "2026-12-03", "2026-12-10", "2026-12-28", "2027-01-11",
        id="christmas-2026",
    ),
    pytest.param(
        # Christmas 2025, the longest roll-over (5 days): Wed 3.12. + 7 = Wed 10.12.; + 14 =
        # Wed 24.12. jouluaatto → Thu 25.12. → Fri 26.12. → Sat 27.12. → Sun 28.12. → Mon 29.12.;
        # 10.12. + 30 = Fri 9.1.2026, a working day.
        "2025-12-03", "2025-12-10", "2025-12-29", "2026-01-09",
        id="christmas-2025",
    ),
    pytest.param(
        # Easter 2026: Fri 13.3. + 7 = Fri 20.3.; + 14 = Fri 3.4. pitkäperjantai → Sat 4.4. →
        # Sun 5.4. pääsiäispäivä → Mon 6.4. 2. pääsiäispäivä → Tue 7.4.;
        # 20.3. + 30 = Sun 19.4. → Mon 20.4.
        "2026-03-13", "2026-03-20", "2026-04-07", "2026-04-20",
        id="easter-2026",
    ),
    pytest.param(
        # New Year 2026: Thu 11.12.2025 + 7 = Thu 18.12.; + 14 = Thu 1.1.2026 uudenvuodenpäivä
        # → Fri 2.1.2026; 18.12. + 30 = Sat 17.1.2026 → Sun 18.1. → Mon 19.1.
        "2025-12-11", "2025-12-18", "2026-01-02", "2026-01-19",
        id="new-year-2026",
    ),
    pytest.param(
        # Weekend: Thu 5.3.2026 + 7 = Thu 12.3.; + 14 = Thu 26.3., a working day, unchanged;
        # 12.3. + 30 = Sat 11.4. → Sun 12.4. → Mon 13.4.
        "2026-03-05", "2026-03-12", "2026-03-26", "2026-04-13",
        id="weekend-kunnallisvalitus",
    ),
    pytest.param(
        # Published on a Saturday: Sat 7.3.2026 + 7 = Sat 14.3. — the deemed notification day
        # stays on the Saturday (not rolled); + 14 = Sat 28.3. → Sun 29.3. → Mon 30.3.;
        # 14.3. + 30 = Mon 13.4., a working day.
        "2026-03-07", "2026-03-14", "2026-03-30", "2026-04-13",
        id="weekend-notification-not-rolled",
    ),
    pytest.param(
        # May Day 2026: Fri 10.4. + 7 = Fri 17.4.; + 14 = Fri 1.5. vapunpäivä → Sat 2.5. →
        # Sun 3.5. → Mon 4.5.; 17.4. + 30 = Sun 17.5. → Mon 18.5.
        "2026-04-10", "2026-04-17", "2026-05-04", "2026-05-18",
        id="vappu-2026",
    ),
    pytest.param(
        # Ascension 2026: Thu 23.4. + 7 = Thu 30.4.; + 14 = Thu 14.5. helatorstai → Fri 15.5.;
        # 30.4. + 30 = Sat 30.5. → Sun 31.5. → Mon 1.6.
        "2026-04-23", "2026-04-30", "2026-05-15", "2026-06-01",
        id="ascension-2026",
    ),
    pytest.param(
        # Independence Day 2027: Mon 15.11. + 7 = Mon 22.11.; + 14 = Mon 6.12. itsenäisyyspäivä
        # → Tue 7.12.; 22.11. + 30 = Wed 22.12., a working day.
        "2027-11-15", "2027-11-22", "2027-12-07", "2027-12-22",
        id="independence-day-2027",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("published", "notified", "oikaisu", "valitus"), APPEAL_CASES)
def test_appeal_dates_hand_computed_r53(
    published: str, notified: str, oikaisu: str, valitus: str
) -> None:
    """R53: tiedoksisaanti and oikaisuvaatimus / kunnallisvalitus deadlines with roll-over."""
    dates = appeal_dates(D(published))
    assert dates.published_on == D(published)
    assert dates.notified_on == D(notified)
    assert dates.oikaisuvaatimus_deadline == D(oikaisu)
    assert dates.kunnallisvalitus_deadline == D(valitus)


def test_appeal_dates_without_rollover_r53() -> None:
    """R53 [UNVERIFIED roll-over → configurable]: with the flag off the naive days stand, even
    on juhannusaatto (Midsummer case above) and on a Sunday."""
    dates = appeal_dates(D("2026-05-29"), rollover=False)
    assert dates.notified_on == D("2026-06-05")
    assert dates.oikaisuvaatimus_deadline == D("2026-06-19")
    assert dates.kunnallisvalitus_deadline == D("2026-07-05")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("oikaisuvaatimus", "2026-06-22"),
        ("kunnallisvalitus", "2026-07-06"),
        ("none", "2026-06-22"),  # no appeal: the oikaisuvaatimus period is the default
        (AppealKind.KUNNALLISVALITUS, "2026-07-06"),
    ],
)
def test_personal_data_removal_date_r52_r67(kind: str, expected: str) -> None:
    """R52, R67: personal data leave the network when the applicable appeal period ends
    (Midsummer 2026 case: published Fri 29.5.2026)."""
    assert personal_data_removal_date(D("2026-05-29"), kind) == D(expected)
    assert appeal_dates(D("2026-05-29")).deadline_for(kind) == D(expected)


def test_personal_data_removal_date_without_rollover_r52() -> None:
    assert personal_data_removal_date(D("2026-05-29"), "oikaisuvaatimus", rollover=False) == D(
        "2026-06-19"
    )


def test_unknown_appeal_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown appeal kind 'valitus'"):
        personal_data_removal_date(D("2026-05-29"), "valitus")


@given(published=supported_dates, rollover=st.booleans())
def test_appeal_date_properties_r53_r56(published: date, rollover: bool) -> None:
    """R53, R56: the notification day is always published + 7 (never rolled); deadlines are
    working days (with roll-over), never before the naive day, and kunnallisvalitus ends after
    oikaisuvaatimus."""
    dates = appeal_dates(published, rollover=rollover)
    assert dates.notified_on == published + timedelta(days=7)
    naive_oikaisu = dates.notified_on + timedelta(days=14)
    naive_valitus = dates.notified_on + timedelta(days=30)
    if rollover:
        assert is_working_day(dates.oikaisuvaatimus_deadline)
        assert is_working_day(dates.kunnallisvalitus_deadline)
        assert 0 <= (dates.oikaisuvaatimus_deadline - naive_oikaisu).days < 6
        assert 0 <= (dates.kunnallisvalitus_deadline - naive_valitus).days < 6
    else:
        assert dates.oikaisuvaatimus_deadline == naive_oikaisu
        assert dates.kunnallisvalitus_deadline == naive_valitus
    assert dates.oikaisuvaatimus_deadline < dates.kunnallisvalitus_deadline


# --- roll-over properties -----------------------------------------------------------------------


@given(start=supported_dates, days=period_days)
def test_rollover_result_properties_r53(start: date, days: int) -> None:
    """R53 (määräaikalaki 5 §): the end is a working day, never before the naive day, at most
    five days after it, and every day skipped on the way is not a working day."""
    naive = start + timedelta(days=days)
    end = add_days_with_rollover(start, days)
    assert is_working_day(end)
    assert end >= naive
    assert (end - naive).days < 6
    skipped = [naive + timedelta(days=i) for i in range((end - naive).days)]
    assert not any(is_working_day(day) for day in skipped)
    assert add_days_with_rollover(start, days, rollover=False) == naive


@given(day=supported_dates)
def test_rollover_is_idempotent_on_working_days_r53(day: date) -> None:
    """R53: a working day is its own roll-over; rolling twice equals rolling once."""
    rolled = next_working_day_on_or_after(day)
    assert next_working_day_on_or_after(rolled) == rolled
    assert add_days_with_rollover(rolled, 0) == rolled
    if is_working_day(day):
        assert rolled == day


def test_longest_rollover_is_five_days_exhaustively_r53() -> None:
    """R53: over every day 1992–2199 the roll-over is at most 5 days; it is reached when
    jouluaatto is a Wednesday (24.12.2025 → Mon 29.12.2025)."""
    longest = 0
    day = date(SUPPORTED_FROM_YEAR, 1, 1)
    while day.year < 2200:
        longest = max(longest, (next_working_day_on_or_after(day) - day).days)
        day += timedelta(days=1)
    assert longest == 5
    assert next_working_day_on_or_after(D("2025-12-24")) == D("2025-12-29")


@pytest.mark.parametrize("days", [-1, -14])
def test_negative_period_is_rejected(days: int) -> None:
    with pytest.raises(ValueError, match="days must be >= 0"):
        add_days_with_rollover(D("2026-03-16"), days)


# --- notice period (R24) ------------------------------------------------------------------------


def test_notice_deadline_default_counts_whole_days_between_r24() -> None:
    """R24: meeting Mon 16.3.2026 18:00 (EET, UTC+2). Default: four whole days (12th–15th) lie
    between sending and meeting, so the last sending day is Wed 11.3., until 23:59:59.999999
    Helsinki = 21:59:59.999999 UTC."""
    meeting = datetime(2026, 3, 16, 18, 0, tzinfo=HELSINKI)
    deadline = notice_deadline(meeting)
    assert deadline == datetime(2026, 3, 11, 21, 59, 59, 999_999, tzinfo=UTC)
    assert deadline.utcoffset() == timedelta(0)
    assert local_date(deadline) == D("2026-03-11")
    assert notice_sent_in_time(meeting, datetime(2026, 3, 11, 23, 59, tzinfo=HELSINKI))
    assert not notice_sent_in_time(meeting, datetime(2026, 3, 12, 0, 0, tzinfo=HELSINKI))


def test_notice_deadline_counting_the_sending_day_r24() -> None:
    """R24 [UNVERIFIED counting → configurable]: if the sending day is one of the four days,
    a Monday 16.3.2026 meeting can be convened on Thu 12.3. (12th, 13th, 14th, 15th)."""
    meeting = datetime(2026, 3, 16, 18, 0, tzinfo=HELSINKI)
    deadline = notice_deadline(meeting, count_sending_day=True)
    assert local_date(deadline) == D("2026-03-12")
    assert notice_sent_in_time(
        meeting, datetime(2026, 3, 12, 16, 0, tzinfo=HELSINKI), count_sending_day=True
    )


def test_notice_deadline_uses_the_helsinki_meeting_day_r24() -> None:
    """R24: a meeting at 00:30 Helsinki on Mon 16.3.2026 is 22:30 UTC on Sunday; the Helsinki
    day (Monday) is the meeting day."""
    meeting_utc = datetime(2026, 3, 15, 22, 30, tzinfo=UTC)
    assert local_date(meeting_utc) == D("2026-03-16")
    assert local_date(notice_deadline(meeting_utc)) == D("2026-03-11")


def test_notice_deadline_across_daylight_saving_change_r24() -> None:
    """R24: meeting Fri 3.4.2026; last sending day Sun 29.3.2026, the day summer time starts,
    so the day ends at 23:59:59.999999 EEST = 20:59:59.999999 UTC."""
    meeting = datetime(2026, 4, 3, 9, 0, tzinfo=HELSINKI)
    assert notice_deadline(meeting) == datetime(2026, 3, 29, 20, 59, 59, 999_999, tzinfo=UTC)


def test_notice_days_is_configurable_r24_r26() -> None:
    """R24, R26: a body whose hallintosääntö sets a 7-day notice: meeting Mon 16.3.2026 →
    seven whole days (9th–15th) in between → send by Sun 8.3.2026 (no roll-over backwards)."""
    meeting = datetime(2026, 3, 16, 18, 0, tzinfo=HELSINKI)
    assert local_date(notice_deadline(meeting, notice_days=7)) == D("2026-03-08")


@given(
    meeting=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, HELSINKI]),
        allow_imaginary=False,
    ),
    notice_days=st.integers(min_value=1, max_value=30),
)
def test_notice_deadline_properties_r24(meeting: datetime, notice_days: int) -> None:
    """R24: the deadline is UTC-aware, is the last instant of a Helsinki day, lies
    notice_days + 1 (default) or notice_days (sending day counted) days before the Helsinki
    meeting day, and the comparison is inclusive."""
    strict = notice_deadline(meeting, notice_days)
    lenient = notice_deadline(meeting, notice_days, count_sending_day=True)
    assert strict.tzinfo is UTC
    assert (local_date(meeting) - local_date(strict)).days == notice_days + 1
    assert local_date(lenient) - local_date(strict) == timedelta(days=1)
    assert local_date(strict + timedelta(microseconds=1)) == local_date(strict) + timedelta(days=1)
    assert notice_sent_in_time(meeting, strict, notice_days)
    assert not notice_sent_in_time(meeting, strict + timedelta(microseconds=1), notice_days)


def test_notice_deadline_rejects_naive_and_bad_days() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        notice_deadline(datetime(2026, 3, 16, 18, 0))
    with pytest.raises(ValueError, match="notice_days must be >= 1"):
        notice_deadline(datetime(2026, 3, 16, 18, 0, tzinfo=HELSINKI), notice_days=0)


# --- electronic decision-making procedure (R16) -------------------------------------------------


def test_e_procedure_deadline_must_be_after_notice_r16() -> None:
    """R16: the KL 100 § deadline stated in the notice must lie after the notice is sent;
    equal or earlier is invalid; instants in different zones compare as instants."""
    sent = datetime(2026, 3, 11, 15, 0, tzinfo=HELSINKI)  # 13:00 UTC
    assert e_procedure_deadline_ok(datetime(2026, 3, 16, 12, 0, tzinfo=HELSINKI), sent)
    assert not e_procedure_deadline_ok(sent, sent)
    assert not e_procedure_deadline_ok(datetime(2026, 3, 11, 13, 0, tzinfo=UTC), sent)
    assert e_procedure_deadline_ok(datetime(2026, 3, 11, 13, 0, 1, tzinfo=UTC), sent)


def test_e_procedure_deadline_rejects_naive_datetimes_r16() -> None:
    with pytest.raises(ValueError, match="deadline must be timezone-aware"):
        e_procedure_deadline_ok(datetime(2026, 3, 16, 12), datetime(2026, 3, 11, tzinfo=UTC))
    with pytest.raises(ValueError, match="notice_sent_at must be timezone-aware"):
        e_procedure_deadline_ok(datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 3, 11, 15))
