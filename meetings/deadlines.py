"""Määräajat (time limits) of municipal decision-making — a pure domain module, no Django import.

Covers (see ../shared/spec/legal-requirements.md):

* R53 — tiedoksisaanti and appeal periods: members of the municipality are deemed notified
  seven days after the minutes are on display in the public network (KL 140.3 §); the
  oikaisuvaatimus must be made within 14 days and the kunnallisvalitus within 30 days of the
  notification (KL 138 §).
* R52, R67 — personal data in published minutes are removed when the appeal period ends
  (KL 140.1 §).
* R56 — enforceability is tracked against the same appeal deadlines.
* R24 — the council meeting notice (kokouskutsu) is sent at least four days before the meeting
  (KL 94.3 §).
* R16 — the deadline of an item in the electronic decision-making procedure (KL 100 §) is stated
  in the notice, so it must lie after the notice is sent.

Counting rule of määräaikalaki 150/1930 (act on the computation of statutory time limits):

* 2 § — a period given in days does not count the day it starts from (the tiedoksisaanti day):
  a 14-day period starting on day ``D`` ends on ``D + 14``.
* 5 § — *"Jos määräpäivä tai määräajan viimeinen päivä on pyhäpäivä, itsenäisyyspäivä,
  vapunpäivä, joulu- tai juhannusaatto tai arkilauantai, saa toimenpiteen toimittaa
  ensimmäisenä arkipäivänä sen jälkeen."* A period whose last day is a Sunday, a church holiday,
  Independence Day, May Day, Christmas Eve, Midsummer Eve or a Saturday ends on the next working
  day. The spec tags this roll-over [UNVERIFIED] (it is not restated in the Local Government
  Act, although municipal appeal instructions quote it), so every function takes a
  ``rollover`` flag, default on.

Times: datetimes must be timezone-aware (``ValueError`` otherwise) and results are UTC-aware;
calendar days are those of Europe/Helsinki, where the municipal offices are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "HELSINKI",
    "KUNNALLISVALITUS_DAYS",
    "NOTIFICATION_DELAY_DAYS",
    "OIKAISUVAATIMUS_DAYS",
    "SUPPORTED_FROM_YEAR",
    "AppealDates",
    "AppealKind",
    "add_days_with_rollover",
    "appeal_dates",
    "e_procedure_deadline_ok",
    "easter_sunday",
    "finnish_public_holidays",
    "is_working_day",
    "local_date",
    "next_working_day_on_or_after",
    "notice_deadline",
    "notice_sent_in_time",
    "personal_data_removal_date",
]

HELSINKI = ZoneInfo("Europe/Helsinki")

#: KL 140.3 §: deemed notified seven days after the minutes are online (R53).
NOTIFICATION_DELAY_DAYS = 7
#: KL 138 §: oikaisuvaatimus within 14 days of the tiedoksisaanti (R53).
OIKAISUVAATIMUS_DAYS = 14
#: KL 138 §: kunnallisvalitus within 30 days of the tiedoksisaanti (R53).
KUNNALLISVALITUS_DAYS = 30

#: The current holiday calendar (loppiainen on 6.1 and helatorstai on a Thursday again, after
#: their 1973–1990 move to Saturdays) is used from this year on; earlier years are refused rather
#: than answered with the wrong calendar.
SUPPORTED_FROM_YEAR = 1992


def easter_sunday(year: int) -> date:
    """Pääsiäispäivä (Easter Sunday), Gregorian calendar — the anonymous Gregorian algorithm
    (Meeus/Jones/Butcher), integer arithmetic only."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day0 = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day0 + 1)


def _saturday_between(year: int, month: int, first_day: int) -> date:
    """The Saturday in the seven days starting at ``year-month-first_day``."""
    start = date(year, month, first_day)
    return start + timedelta(days=(5 - start.weekday()) % 7)


@lru_cache(maxsize=256)
def _holidays(year: int) -> Mapping[date, str]:
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, got {type(year).__name__}")
    if year < SUPPORTED_FROM_YEAR:
        raise ValueError(f"holidays are computed from {SUPPORTED_FROM_YEAR} on, not for {year}")
    easter = easter_sunday(year)
    midsummer_day = _saturday_between(year, 6, 20)  # juhannuspäivä: Saturday 20–26 June
    days: list[tuple[date, str]] = [
        (date(year, 1, 1), "uudenvuodenpäivä"),
        (date(year, 1, 6), "loppiainen"),
        (easter - timedelta(days=2), "pitkäperjantai"),
        (easter, "pääsiäispäivä"),
        (easter + timedelta(days=1), "2. pääsiäispäivä"),
        (date(year, 5, 1), "vapunpäivä"),
        (easter + timedelta(days=39), "helatorstai"),
        (easter + timedelta(days=49), "helluntaipäivä"),
        (midsummer_day - timedelta(days=1), "juhannusaatto"),
        (midsummer_day, "juhannuspäivä"),
        (_saturday_between(year, 10, 31), "pyhäinpäivä"),  # Saturday 31 Oct – 6 Nov
        (date(year, 12, 6), "itsenäisyyspäivä"),
        (date(year, 12, 24), "jouluaatto"),
        (date(year, 12, 25), "joulupäivä"),
        (date(year, 12, 26), "tapaninpäivä"),
    ]
    result: dict[date, str] = {}
    for day, name in days:
        # Helatorstai falls on vapunpäivä when Easter is on 23 March (2008, 2160).
        result[day] = f"{result[day]}, {name}" if day in result else name
    return MappingProxyType(dict(sorted(result.items())))


def finnish_public_holidays(year: int) -> dict[date, str]:
    """The days other than ordinary Saturdays and Sundays on which a määräaika does not end
    (määräaikalaki 150/1930 5 §), with their Finnish names.

    These are the church holidays (pyhäpäivät: uudenvuodenpäivä, loppiainen, pitkäperjantai,
    pääsiäispäivä, 2. pääsiäispäivä, helatorstai = Easter + 39, helluntaipäivä = Easter + 49,
    juhannuspäivä = Saturday 20–26 June, pyhäinpäivä = Saturday 31 Oct – 6 Nov, joulupäivä,
    tapaninpäivä), itsenäisyyspäivä (6.12) and vapunpäivä (1.5), plus juhannusaatto (Friday
    19–25 June) and jouluaatto (24.12): the eves are not official holidays, but 5 § names them,
    and offices are closed. If two coincide the names are joined with ", ".

    Raises ``ValueError`` for years before :data:`SUPPORTED_FROM_YEAR`.
    """
    return dict(_holidays(year))


def is_working_day(d: date) -> bool:
    """Arkipäivä in the sense of määräaikalaki 5 §: Monday–Friday and not a day of
    :func:`finnish_public_holidays` (so neither a Saturday nor an eve)."""
    _require_date("d", d)
    return d.weekday() < 5 and d not in _holidays(d.year)


def next_working_day_on_or_after(d: date) -> date:
    """``d`` itself if it is a working day, else the first working day after it (5 §)."""
    _require_date("d", d)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_days_with_rollover(start: date, days: int, rollover: bool = True) -> date:
    """Last day of a määräaika of ``days`` days counted from ``start``.

    The start day itself is not counted (määräaikalaki 2 §), so the naive last day is
    ``start + days``; with ``rollover`` (5 §, default on [UNVERIFIED → configurable]) a last day
    that is not a working day moves to the next working day.
    """
    _require_date("start", start)
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    end = start + timedelta(days=days)
    return next_working_day_on_or_after(end) if rollover else end


class AppealKind(StrEnum):
    """The appeal route of a decision (KL 134–136 §, R54, R55)."""

    OIKAISUVAATIMUS = "oikaisuvaatimus"  # claim for rectification to the body itself, 134 §
    KUNNALLISVALITUS = "kunnallisvalitus"  # municipal appeal to the administrative court, 135 §
    NONE = "none"  # no appeal (136 §: preparation or enforcement only)


def _appeal_kind(kind: str) -> AppealKind:
    try:
        return AppealKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in AppealKind)
        raise ValueError(f"unknown appeal kind {kind!r}; expected one of: {allowed}") from None


@dataclass(frozen=True, slots=True)
class AppealDates:
    """Dates derived from the publication of the minutes in the public network (R53).

    * ``notified_on`` — tiedoksisaanti of the members of the municipality: ``published_on + 7``
      (KL 140.3 §). A deemed date fixed by law, not the last day of a period, so it is never
      rolled over.
    * ``oikaisuvaatimus_deadline`` — last day for an oikaisuvaatimus: ``notified_on + 14``,
      rolled over (KL 138 §, määräaikalaki 2 § and 5 §).
    * ``kunnallisvalitus_deadline`` — last day for a kunnallisvalitus: ``notified_on + 30``,
      rolled over.

    An appeal may be lodged until the end of the deadline day; a decision is final (R56) and the
    personal data of the minutes are removed from the network (R52) once that day has ended.
    """

    published_on: date
    notified_on: date
    oikaisuvaatimus_deadline: date
    kunnallisvalitus_deadline: date

    def deadline_for(self, appeal_kind: str) -> date:
        """The last day of the appeal period of ``appeal_kind``; for ``"none"`` (no appeal)
        the oikaisuvaatimus period is used, the shortest period the law knows (R52, R67)."""
        if _appeal_kind(appeal_kind) is AppealKind.KUNNALLISVALITUS:
            return self.kunnallisvalitus_deadline
        return self.oikaisuvaatimus_deadline


def appeal_dates(published_on: date, rollover: bool = True) -> AppealDates:
    """Tiedoksisaanti and appeal deadlines for minutes put online on ``published_on`` (R53).

    ``published_on`` is the Helsinki calendar date the minutes went on display in the public
    network (use :func:`local_date` for a timestamp). Example: published Wednesday 3.6.2026 →
    notified 10.6.2026 → oikaisuvaatimus by 24.6.2026, kunnallisvalitus by 10.7.2026.
    """
    _require_date("published_on", published_on)
    notified_on = published_on + timedelta(days=NOTIFICATION_DELAY_DAYS)
    return AppealDates(
        published_on=published_on,
        notified_on=notified_on,
        oikaisuvaatimus_deadline=add_days_with_rollover(
            notified_on, OIKAISUVAATIMUS_DAYS, rollover=rollover
        ),
        kunnallisvalitus_deadline=add_days_with_rollover(
            notified_on, KUNNALLISVALITUS_DAYS, rollover=rollover
        ),
    )


def personal_data_removal_date(published_on: date, appeal_kind: str, rollover: bool = True) -> date:
    """Day at whose end the personal data of published minutes are removed (KL 140.1 §:
    *"oikaisuvaatimus- tai valitusajan päättyessä"*, R52, R67): the last day of the appeal
    period that applies to the decision — kunnallisvalitus for ``"kunnallisvalitus"``,
    oikaisuvaatimus for ``"oikaisuvaatimus"`` and, as the default, for ``"none"``.

    Data stay online through this day and must be gone when the next day begins.
    """
    return appeal_dates(published_on, rollover=rollover).deadline_for(appeal_kind)


def local_date(moment: datetime) -> date:
    """The Europe/Helsinki calendar date of an aware datetime."""
    _require_aware("moment", moment)
    return moment.astimezone(HELSINKI).date()


def notice_deadline(
    meeting_start: datetime, notice_days: int = 4, count_sending_day: bool = False
) -> datetime:
    """Latest moment (UTC-aware) the kokouskutsu may be sent (KL 94.3 §, R24).

    The law says *"vähintään neljä päivää ennen kokousta"*. Days are Helsinki calendar days;
    the meeting day is never one of the ``notice_days``. Whether the sending day counts is a
    local reading [UNVERIFIED → configurable]:

    * ``count_sending_day=False`` (default, the strict reading): ``notice_days`` whole days lie
      between the sending day and the meeting day, so the last sending day is
      ``meeting_day - (notice_days + 1)``. Meeting on Monday 16.3.2026 → send by Wednesday
      11.3.2026 (12th–15th are the four days).
    * ``count_sending_day=True``: the sending day is one of the ``notice_days``, so the last
      sending day is ``meeting_day - notice_days`` (Monday 16.3.2026 → Thursday 12.3.2026). This
      is also the date the määräaikalaki 2 § reading gives (start day not counted, meeting day
      counted).

    The result is the last microsecond of the last sending day in Helsinki: a notice is in time
    iff ``sent_at <= notice_deadline(...)`` (see :func:`notice_sent_in_time`). No roll-over
    applies: the period is counted backwards from the meeting, and moving it would shorten it.
    """
    if isinstance(notice_days, bool) or not isinstance(notice_days, int):
        raise TypeError(f"notice_days must be an int, got {type(notice_days).__name__}")
    if notice_days < 1:
        raise ValueError(f"notice_days must be >= 1, got {notice_days}")
    meeting_day = local_date(meeting_start)
    last_day = meeting_day - timedelta(days=notice_days if count_sending_day else notice_days + 1)
    # 23:59:59.999999 is never skipped or repeated in Helsinki (DST changes at 03:00/04:00).
    return datetime.combine(last_day, time.max, tzinfo=HELSINKI).astimezone(UTC)


def notice_sent_in_time(
    meeting_start: datetime,
    sent_at: datetime,
    notice_days: int = 4,
    count_sending_day: bool = False,
) -> bool:
    """Whether a kokouskutsu sent at ``sent_at`` meets the notice period (R24)."""
    _require_aware("sent_at", sent_at)
    return sent_at <= notice_deadline(meeting_start, notice_days, count_sending_day)


def e_procedure_deadline_ok(deadline: datetime, notice_sent_at: datetime) -> bool:
    """Whether the deadline of an item in the sähköinen päätöksentekomenettely is valid (R16).

    KL 100.2 § requires the notice to state by when the item can be handled in the procedure,
    so the deadline must lie strictly after the moment the notice is sent.
    """
    _require_aware("deadline", deadline)
    _require_aware("notice_sent_at", notice_sent_at)
    return deadline > notice_sent_at


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC or Europe/Helsinki), got {value}")


def _require_date(name: str, value: date) -> None:
    # datetime is a subclass of date; its time part would silently leak into the arithmetic.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(
            f"{name} must be a date (use local_date() for a timestamp), got {type(value).__name__}"
        )
