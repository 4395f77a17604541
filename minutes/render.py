"""Minutes document → HTML, and the public versions of the minutes (R49, R52, R67, R68).

* :func:`render_html` — the pöytäkirja as print HTML (``templates/minutes/minutes.html``);
  :func:`print_css` is its stylesheet (A4, running header with the body and meeting number,
  "sivu X / Y"). Text comes through gettext with Finnish source strings.
* :func:`excerpt_html` — a pöytäkirjanote of one section, with its appeal instruction and the
  certification line.
* :func:`public_version` — the yleisversio for the public network (KL 140 §): a wholly
  confidential matter shows only *"Salassa pidettävän asian käsittely"* and its basis; a partly
  confidential one its public description; spans the secretary marked are replaced by
  ``[poistettu]``. With ``remove_personal_data`` also the spans kept for tiedonsaanti during
  the appeal period go: the rendering used once the oikaisuvaatimus- or valitusaika has ended.
* :func:`propose_redactions` — finds henkilötunnukset (checksum validated) and known private
  persons' names in a text, as proposals for the secretary.
* :func:`render_minutes_pdf`, :func:`render_excerpt_pdf` — the whole pipeline to PDF/A-3b with
  the decisions JSON (``document.to_json()``) attached.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import NamedTuple

from django.template.loader import render_to_string
from django.utils import translation

from minutes.document import (
    DocumentVariant,
    MinutesDocument,
    Publicity,
    Redaction,
    RedactionKind,
    RedactionScope,
    Section,
)
from minutes.pdf import FONT_FAMILY, PdfAttachment, ProgressCallback, render_pdf

__all__ = [
    "DECISIONS_FILENAME",
    "REDACTED",
    "Span",
    "apply_redactions",
    "decisions_attachment",
    "excerpt_html",
    "hetu_is_valid",
    "personal_data_removed_version",
    "print_css",
    "propose_redactions",
    "public_version",
    "render_excerpt_pdf",
    "render_html",
    "render_minutes_pdf",
    "redaction_fields",
    "redactions_from_spans",
]

#: File name of the machine-readable decisions attached to every minutes PDF.
DECISIONS_FILENAME = "paatokset.json"

#: What a removed span reads as in every public version.
REDACTED = "[poistettu]"


class Span(NamedTuple):
    """A proposed redaction: ``text[start:end]`` is a henkilötunnus or a name."""

    start: int
    end: int
    kind: RedactionKind
    text: str


# ---------------------------------------------------------------------------------------------
# Henkilötunnus (personal identity code) and names

_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_CENTURY = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}
_HETU_RE = re.compile(
    r"(?<![0-9A-Za-z])(\d{2})(\d{2})(\d{2})([-+A-FYXWVU])(\d{3})([0-9A-Y])(?![0-9A-Za-z])",
    re.IGNORECASE,
)


def hetu_is_valid(code: str) -> bool:
    """Whether ``code`` is a well-formed henkilötunnus ``DDMMYYCZZZQ``: a real birth date, a
    century sign (``+`` 1800s, ``-YXWVU`` 1900s, ``A–F`` 2000s), an individual number 002–999
    and the check character ``"0123456789ABCDEFHJKLMNPRSTUVWXY"[DDMMYYZZZ mod 31]``."""
    match = _HETU_RE.fullmatch(code.strip())
    return match is not None and _hetu_match_valid(match)


def _hetu_match_valid(match: re.Match[str]) -> bool:
    day, month, year2, sign, individual, check = match.groups()
    try:
        date(_CENTURY[sign.upper()] + int(year2), int(month), int(day))
    except ValueError:
        return False
    if int(individual) < 2:
        return False
    return _HETU_CHECK[int(f"{day}{month}{year2}{individual}") % 31] == check.upper()


_WORD = r"[^\W\d_]"  # a letter (Unicode)


_VOWELS = "aeiouyäöå"
#: Case endings a consonant-final (usually foreign) name takes: Berg → Bergin, Bergille.
_CONSONANT_STEM_ENDINGS = (
    r"(?::?i?(?:n|a|ä|na|nä|ta|tä|ksi|lle|lla|llä|lta|ltä|ssa|ssä|sta|stä|in|hin))?"
)


def _inflected_surname(last: str) -> str:
    """The surname with room for a Finnish case ending (deterministic, no dictionary):
    *-nen* names also in their *-s-* stem (Virtanen → Virtaselle); a final vowel may change
    and a doubled k/p/t may weaken (Esimerkki → Esimerkille, Laine → Laineen); a name ending
    in a consonant may take an ending, with or without a colon (Berg → Bergille, Smith:lle)."""
    lower = last.lower()
    if lower.endswith("nen") and len(last) > 4:
        return re.escape(last[:-3]) + rf"(?:nen{_WORD}{{0,4}}|s{_WORD}{{1,5}})"
    if lower[-1] in _VOWELS and len(last) > 3:
        stem = last[:-1]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1].lower() in "kpt":
            stem_re = re.escape(stem[:-1]) + re.escape(stem[-1]) + "?"
        else:
            stem_re = re.escape(stem)
        return stem_re + rf"{_WORD}{{1,6}}"
    return re.escape(last) + _CONSONANT_STEM_ENDINGS


def _name_patterns(name: str) -> list[str]:
    """Regex alternatives for one known name: forenames as written and the surname possibly
    inflected (:func:`_inflected_surname`), or surname first (*"Virtanen Matti"*,
    *"Virtanen, Matti"*)."""
    parts = name.split()
    if not parts:
        return []
    tokens = [re.escape(t) for t in parts]
    if len(tokens) == 1:
        return [_inflected_surname(parts[0])]
    forward = r"\s+".join([*tokens[:-1], _inflected_surname(parts[-1])])
    reverse = tokens[-1] + r",?\s+" + r"\s+".join(tokens[:-1])
    return [forward, reverse]


def propose_redactions(
    text: str, private_names: Iterable[str] = (), *, html: bool = False
) -> list[Span]:
    """Spans in ``text`` a public version should leave out (R52, R68): valid henkilötunnukset
    (checksum checked; an invalid one is not proposed) and occurrences of the given private
    persons' names, case-insensitively, whole words only.

    Deterministic: sorted by position, overlapping finds merged (a hetu wins its kind). With
    ``html`` the text is HTML source and matches inside tags (attribute values, tag names) are
    ignored; offsets always refer to ``text`` as given. The secretary confirms the proposals;
    they become :class:`~minutes.document.Redaction` entries of the section.
    """
    haystack = _mask_tags(text) if html else text
    found: list[Span] = []
    for match in _HETU_RE.finditer(haystack):
        if _hetu_match_valid(match):
            found.append(Span(match.start(), match.end(), RedactionKind.HETU, match.group()))
    patterns = [p for name in sorted(set(private_names)) for p in _name_patterns(name.strip())]
    if patterns:
        names_re = re.compile(
            r"(?<!\w)(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + r")(?!\w)",
            re.IGNORECASE,
        )
        for match in names_re.finditer(haystack):
            found.append(Span(match.start(), match.end(), RedactionKind.NAME, match.group()))
    return _merge_spans(found, text)


def _merge_spans(spans: Iterable[Span], text: str) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            end = max(last.end, span.end)
            kind = RedactionKind.HETU if RedactionKind.HETU in (last.kind, span.kind) else last.kind
            merged[-1] = Span(last.start, end, kind, text[last.start:end])
        else:
            merged.append(span)
    return merged


_TAG_RE = re.compile(r"<[^>]*>?")


def _mask_tags(html: str) -> str:
    """``html`` with every tag replaced by spaces of the same length (offsets preserved)."""
    return _TAG_RE.sub(lambda m: " " * len(m.group()), html)


def apply_redactions(
    text: str, spans: Iterable[tuple[int, int]], *, html: bool = False
) -> str:
    """``text`` with each ``(start, end)`` span replaced by :data:`REDACTED`.

    Overlapping spans merge. Spans outside the text raise ``ValueError``, and in HTML a span
    must lie inside one text node (not across or within a tag, not inside a character
    reference), so redaction can never break the markup.
    """
    ordered = sorted((int(s), int(e)) for s, e in spans)
    pieces: list[str] = []
    position = 0
    redacted_any = False
    for start, end in ordered:
        if not 0 <= start < end <= len(text):
            raise ValueError(f"redaction {start}..{end} outside the text (length {len(text)})")
        if html:
            _check_html_span(text, start, end)
        if redacted_any and start <= position:  # overlaps or touches the previous span
            position = max(position, end)
            continue
        pieces.append(text[position:start])
        pieces.append(REDACTED)
        position = end
        redacted_any = True
    pieces.append(text[position:])
    return "".join(pieces)


_ENTITY_RE = re.compile(r"&#?\w+;")


def _check_html_span(text: str, start: int, end: int) -> None:
    if "<" in text[start:end] or ">" in text[start:end]:
        raise ValueError(f"redaction {start}..{end} crosses HTML markup")
    if text.rfind("<", 0, start) > text.rfind(">", 0, start):
        raise ValueError(f"redaction {start}..{end} is inside an HTML tag")
    for entity in _ENTITY_RE.finditer(text, max(0, start - 16), min(len(text), end + 16)):
        if entity.start() < start < entity.end() or entity.start() < end < entity.end():
            raise ValueError(f"redaction {start}..{end} splits a character reference")


# ---------------------------------------------------------------------------------------------
# Public versions (R52, R67)

_HTML_FIELDS = frozenset({"description_html", "public_description_html"})


def _redact_section(section: Section, scopes: Collection[RedactionScope]) -> Section:
    by_field: dict[str, list[tuple[int, int]]] = {}
    for redaction in section.redactions:
        if redaction.scope in scopes:
            by_field.setdefault(redaction.field, []).append((redaction.start, redaction.end))
    changes: dict[str, object] = {}
    proposals = list(section.proposals)
    dissents = list(section.dissents)
    for field_name, spans in by_field.items():
        parts = field_name.split(".")
        if len(parts) == 3:
            collection, index = parts[0], int(parts[1])
            items = proposals if collection == "proposals" else dissents
            if index >= len(items):
                raise ValueError(f"§ {section.number}: no {field_name}")
            items[index] = replace(items[index], text=apply_redactions(items[index].text, spans))
        else:
            changes[field_name] = apply_redactions(
                getattr(section, field_name), spans, html=field_name in _HTML_FIELDS
            )
    return replace(
        section, **changes, proposals=tuple(proposals), dissents=tuple(dissents), redactions=()
    )


def _public_section(section: Section, remove_personal_data: bool) -> Section:
    if section.publicity is Publicity.CONFIDENTIAL:
        return Section(
            number=section.number,
            heading="",
            publicity=Publicity.CONFIDENTIAL,
            confidentiality_basis=section.confidentiality_basis,
            withheld=True,
        )
    scopes = {RedactionScope.PUBLIC}
    if remove_personal_data:
        scopes.add(RedactionScope.AFTER_APPEAL)
    redacted = _redact_section(section, scopes)
    if section.publicity is Publicity.PARTLY_CONFIDENTIAL:
        redacted = replace(
            redacted, description_html=redacted.public_description_html, public_description_html=""
        )
    return replace(redacted, personal_data_removed=remove_personal_data)


def public_version(
    document: MinutesDocument, *, remove_personal_data: bool | Collection[int] = False
) -> MinutesDocument:
    """The yleisversio of the minutes for the public network (KL 140 §, R52, R67).

    ``remove_personal_data``: ``True`` for all sections, or the § numbers whose appeal period
    has ended (see :func:`minutes.publication.sections_past_removal`).
    """
    if document.variant is not DocumentVariant.ORIGINAL:
        raise ValueError("a public version is made from the original minutes")
    numbers = (
        {s.number for s in document.sections}
        if remove_personal_data is True
        else set(remove_personal_data or ())
    )
    sections = tuple(_public_section(s, s.number in numbers) for s in document.sections)
    all_removed = bool(document.sections) and all(s.number in numbers for s in document.sections)
    variant = (
        DocumentVariant.PERSONAL_DATA_REMOVED
        if remove_personal_data is True or all_removed
        else DocumentVariant.PUBLIC
    )
    return document.replace(sections=sections, variant=variant)


def personal_data_removed_version(document: MinutesDocument) -> MinutesDocument:
    """The public version after the appeal period: all personal data spans removed (R52)."""
    return public_version(document, remove_personal_data=True)


# ---------------------------------------------------------------------------------------------
# HTML


def _lang(document: MinutesDocument, lang: str | None) -> str:
    return lang or document.language or "fi"


def print_css(lang: str = "fi") -> str:
    """The print stylesheet (A4, running header, page numbers "sivu X / Y")."""
    with translation.override(lang):
        return render_to_string("minutes/print.css", {"font_family": FONT_FAMILY})


def render_html(document: MinutesDocument, *, lang: str | None = None) -> str:
    """The pöytäkirja as print HTML (any variant: original or a public version)."""
    language = _lang(document, lang)
    with translation.override(language):
        return render_to_string(
            "minutes/minutes.html",
            {"doc": document, "lang": language, "created_w3c": _w3c(document.created_at)},
        )


def excerpt_html(
    document: MinutesDocument,
    section_number: int,
    *,
    lang: str | None = None,
    certified_by: str = "",
    certified_on: date | None = None,
) -> str:
    """Pöytäkirjanote: the organisational header, one section with its appeal instruction and
    *"Pöytäkirjanotteen oikeaksi todistaa"* (R49, R55)."""
    language = _lang(document, lang)
    section = document.section(section_number)
    with translation.override(language):
        return render_to_string(
            "minutes/excerpt.html",
            {
                "doc": document,
                "section": section,
                "lang": language,
                "created_w3c": _w3c(document.created_at),
                "certified_by": certified_by,
                "certified_on": certified_on,
            },
        )


def decisions_attachment(document: MinutesDocument) -> PdfAttachment:
    """The decisions JSON (``document.to_json()``, votes with names) as an associated file."""
    return PdfAttachment(
        filename=DECISIONS_FILENAME,
        data=document.to_json().encode("utf-8"),
        description="Pöytäkirjan päätökset ja äänestykset koneluettavassa muodossa "
        "(kokous.minutes/1)",
        mime="application/json",
        relationship="Data",
    )


def render_minutes_pdf(
    document: MinutesDocument,
    *,
    lang: str | None = None,
    progress: ProgressCallback | None = None,
) -> bytes:
    """The pöytäkirja (any variant) as PDF/A-3b with its decisions JSON attached."""
    language = _lang(document, lang)
    return render_pdf(
        render_html(document, lang=language),
        attachments=[decisions_attachment(document)],
        created=document.created_at,
        title=document.title,
        lang=language,
        stylesheets=[print_css(language)],
        progress=progress,
    )


def render_excerpt_pdf(
    document: MinutesDocument,
    section_number: int,
    *,
    lang: str | None = None,
    certified_by: str = "",
    certified_on: date | None = None,
    progress: ProgressCallback | None = None,
) -> bytes:
    """A pöytäkirjanote of one section as PDF/A-3b; the attached JSON holds that section."""
    language = _lang(document, lang)
    one = document.replace(sections=(document.section(section_number),))
    title = f"{document.title}, {section_number} § (pöytäkirjanote)"
    return render_pdf(
        excerpt_html(
            document, section_number, lang=language, certified_by=certified_by,
            certified_on=certified_on,
        ),
        attachments=[decisions_attachment(one)],
        created=document.created_at,
        title=title,
        lang=language,
        stylesheets=[print_css(language)],
        progress=progress,
    )


def redaction_fields(section: Section) -> Sequence[str]:
    """Names of the section's text fields a :class:`Redaction` may point at."""
    return (
        *Section.REDACTABLE,
        *(f"proposals.{i}.text" for i in range(len(section.proposals))),
        *(f"dissents.{i}.text" for i in range(len(section.dissents))),
    )


def redactions_from_spans(
    field: str, spans: Iterable[Span], scope: RedactionScope = RedactionScope.PUBLIC
) -> tuple[Redaction, ...]:
    """Confirmed proposals of :func:`propose_redactions` as the section's redactions."""
    return tuple(Redaction(field, s.start, s.end, s.kind, scope) for s in spans)


def _w3c(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
