"""Template filters of the minutes templates: Finnish dates and times in Europe/Helsinki,
labels of the document's enumerations, CSS string literals.

Dates are formatted here rather than with Django's ``date`` filter so that the output does not
depend on the active time zone or locale formats of the request: the same records must give
the same pöytäkirja (and the same PDF bytes) wherever they are rendered.
"""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from meetings.deadlines import HELSINKI
from meetings.html import sanitize_html
from minutes.labels import label_for

register = template.Library()


@register.filter
def fi_date(value: date | datetime | None) -> str:
    """``16.3.2026`` (a datetime is first taken to Helsinki time)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(HELSINKI).date()
    return f"{value.day}.{value.month}.{value.year}"


@register.filter
def fi_time(value: datetime | None) -> str:
    """``18.05`` in Helsinki time (the Finnish clock-time notation)."""
    if value is None:
        return ""
    local = value.astimezone(HELSINKI)
    return f"{local.hour}.{local.minute:02d}"


@register.filter
def fi_datetime(value: datetime | None) -> str:
    """``16.3.2026 klo 18.05``."""
    if value is None:
        return ""
    return f"{fi_date(value)} {_('klo')} {fi_time(value)}"


@register.filter
def label(value: object) -> str:
    """The translated Finnish label of an enumeration value of :mod:`minutes.document`."""
    return label_for(value)


@register.filter
def sanitized(value: str | None) -> SafeString:
    """Rich text (selostus) cleaned once more with the project's one sanitiser before it is
    marked safe: the document is plain data and may come from anywhere (a job snapshot)."""
    return mark_safe(sanitize_html(value))  # noqa: S308 - nh3 output is the allowed subset


@register.filter
def css_string(value: object) -> str:
    """A double-quoted CSS string literal (for ``content:`` in the print stylesheet)."""
    text = str(value)
    escaped = "".join(
        f"\\{ord(ch):x} " if ch in '"\\' or ord(ch) < 0x20 or ch == "\x7f" else ch for ch in text
    )
    return f'"{escaped}"'
