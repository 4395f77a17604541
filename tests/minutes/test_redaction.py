"""Redaction proposals and their application (R52, R67, R68: minimal personal data online)."""

from __future__ import annotations

import pytest

from minutes.document import RedactionKind
from minutes.render import REDACTED, apply_redactions, hetu_is_valid, propose_redactions


@pytest.mark.parametrize(
    "code",
    [
        "131052-308T",  # the well-known example
        "010101A123N",  # 2000s
        "290200A902D",  # 29.2.2000 existed (leap year), temporary number 900–999
        "010101Y123N",  # the 2023 additional century signs for the 1900s
        "150680-123 4".replace(" ", ""),
        "131052-308t",  # lower-case check character
    ],
)
def test_valid_hetu(code):
    """R68: henkilötunnus with date and checksum validation."""
    assert hetu_is_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "131052-308U",  # wrong check character
        "010101A123M",  # wrong check character
        "290201A123K",  # 29.2.2001 does not exist
        "320152-308T",  # day 32
        "131052-001X",  # individual numbers start at 002
        "131052G308T",  # G is not a century sign
        "131052-308",  # too short
    ],
)
def test_invalid_hetu(code):
    assert not hetu_is_valid(code)


def test_proposes_only_valid_hetu_with_offsets():
    text = "Hakija 131052-308T, virheellinen 131052-308U, tilinumero 1310523087."
    spans = propose_redactions(text)
    assert [(s.kind, s.text) for s in spans] == [(RedactionKind.HETU, "131052-308T")]
    assert text[spans[0].start:spans[0].end] == "131052-308T"


def test_hetu_inside_a_longer_token_is_not_a_hetu():
    assert propose_redactions("viite X131052-308T ja 131052-308TX") == []


def test_names_as_written_inflected_and_reversed():
    """Known private names: exact, surname first, and -nen names in their -s- stem."""
    text = (
        "Erkki Esimerkki haki lupaa. Päätös annetaan Erkki Esimerkille. "
        "Esimerkki, Erkki on maanomistaja. Naapuri Maija Virtanen ja Maija Virtaselle "
        "lähetetään kirje. Maijan Virtanen-yhtiö ei ole henkilö. Pekka Virtanen ei ole listalla."
    )
    spans = propose_redactions(text, ["Erkki Esimerkki", "Maija Virtanen"])
    found = [s.text for s in spans]
    assert found == [
        "Erkki Esimerkki", "Erkki Esimerkille", "Esimerkki, Erkki", "Maija Virtanen",
        "Maija Virtaselle",
    ]
    assert all(s.kind is RedactionKind.NAME for s in spans)
    assert propose_redactions(text, ["Erkki Esimerkki"]) == propose_redactions(
        text, ["Erkki Esimerkki", "Erkki Esimerkki"]
    )


def test_names_are_case_insensitive_whole_words():
    text = "ERKKI ESIMERKKI; Erkkiläinen Esimerkki; Erkki Esimerkkiäläisyydet; Erkki"
    spans = propose_redactions(text, ["Erkki Esimerkki"])
    assert [s.text for s in spans] == ["ERKKI ESIMERKKI"]


def test_single_token_and_consonant_final_names():
    spans = propose_redactions("Päätös Bergille ja Smith:lle, ei Bergman.", ["Berg", "Smith"])
    assert [s.text for s in spans] == ["Bergille", "Smith:lle"]


def test_html_matches_skip_tags():
    html = '<p title="Erkki Esimerkki">Hakija <b>Erkki Esimerkki</b>, 131052-308T.</p>'
    spans = propose_redactions(html, ["Erkki Esimerkki"], html=True)
    assert [s.text for s in spans] == ["Erkki Esimerkki", "131052-308T"]
    assert spans[0].start == html.index("<b>") + 3
    redacted = apply_redactions(html, [(s.start, s.end) for s in spans], html=True)
    assert redacted == f'<p title="Erkki Esimerkki">Hakija <b>{REDACTED}</b>, {REDACTED}.</p>'


def test_apply_merges_overlapping_and_touching_spans():
    assert apply_redactions("abcdefgh", [(1, 3), (2, 5), (5, 6)]) == f"a{REDACTED}gh"
    assert apply_redactions("abc", []) == "abc"


def test_apply_refuses_spans_breaking_markup():
    html = "<p>Matti &amp; Maija</p>"
    with pytest.raises(ValueError, match="markup"):
        apply_redactions(html, [(0, 5)], html=True)
    with pytest.raises(ValueError, match="inside an HTML tag"):
        apply_redactions(html, [(1, 2)], html=True)
    with pytest.raises(ValueError, match="character reference"):
        apply_redactions(html, [(10, 12)], html=True)
    with pytest.raises(ValueError, match="outside"):
        apply_redactions("abc", [(2, 9)])
    assert apply_redactions(html, [(9, 14)], html=True) == f"<p>Matti {REDACTED} Maija</p>"
