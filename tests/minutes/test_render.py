"""HTML of the pöytäkirja, its public versions and the pöytäkirjanote (R49, R52, R55, R67)."""

from __future__ import annotations

import html as html_module
import re

import pytest

from minutes.document import DocumentVariant, Publicity
from minutes.render import (
    REDACTED,
    excerpt_html,
    public_version,
    render_html,
)
from minutes.samples import CONFIDENTIAL_MARKER, PRIVATE_HETU, PRIVATE_NAME
from tests.minutes.facts import FACTS

CONFIDENTIAL_HEADING = "Yksityistieavustus, hakijan taloudellinen tilanne"
PARTLY_SECRET = "Liikesalaisuus-hinnasto 4482"


def visible_text(html: str) -> str:
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def original_html(sample):
    return render_html(sample)


@pytest.mark.parametrize("fact", FACTS)
def test_minutes_html_states_every_fact(original_html, fact):
    """R49: organisational, handling and legality data of the minutes."""
    assert fact in visible_text(original_html)


def test_original_contains_the_confidential_matter(original_html):
    text = visible_text(original_html)
    assert CONFIDENTIAL_MARKER in text and PRIVATE_HETU in text and PARTLY_SECRET in text


def test_html_has_language_title_and_dates(original_html):
    assert original_html.startswith("<!DOCTYPE html>")
    assert '<html lang="fi">' in original_html
    assert "<title>Tekninen lautakunta – pöytäkirja 5/2026</title>" in original_html
    assert '<meta name="dcterms.created" content="2026-03-18T12:00:00+02:00">' in original_html
    assert 'name="robots"' not in original_html


def test_public_version_withholds_confidential_matter(public_html):
    """R52: a wholly confidential matter shows only the mention and its basis."""
    text = visible_text(public_html)
    assert CONFIDENTIAL_MARKER not in text
    assert CONFIDENTIAL_HEADING not in text
    assert "50 § Salassa pidettävän asian käsittely Salassapitoperuste: JulkL 24.1 § 23 k" in text
    assert '<meta name="robots" content="noindex">' in public_html


def test_public_version_uses_public_description_of_partly_confidential(public_html):
    text = visible_text(public_html)
    assert PARTLY_SECRET not in text
    assert "Yksikköhinnat ovat liikesalaisuuksia (JulkL 24.1 § 20 k)." in text


def test_public_version_redacts_marked_spans(public_html, public_doc):
    """R52, R68: the henkilötunnus goes; the name needed for tiedonsaanti stays for now."""
    text = visible_text(public_html)
    assert PRIVATE_HETU not in text
    assert f"(hetu {REDACTED})" in text
    assert PRIVATE_NAME in text
    assert public_doc.variant is DocumentVariant.PUBLIC
    assert all(not s.redactions for s in public_doc.sections)


def test_public_json_has_no_confidential_text(public_doc):
    data = public_doc.to_json()
    for secret in (CONFIDENTIAL_MARKER, CONFIDENTIAL_HEADING, PARTLY_SECRET, PRIVATE_HETU):
        assert secret not in data
    withheld = public_doc.section(50)
    assert withheld.withheld and withheld.publicity is Publicity.CONFIDENTIAL
    assert withheld.audit_leaf_indexes == () and withheld.appeal is None


def test_personal_data_removed_version(removed_doc):
    """R52, R67: after the appeal period also the tiedonsaanti names are removed."""
    text = visible_text(render_html(removed_doc))
    assert PRIVATE_NAME not in text and PRIVATE_HETU not in text
    assert CONFIDENTIAL_MARKER not in text
    assert "Henkilötiedot on poistettu yleisestä tietoverkosta" in text
    assert text.count("Henkilötiedot on poistettu muutoksenhakuajan päätyttyä") == 6
    assert "Lautakunta hyväksyi maankäyttösopimuksen [poistettu] kanssa." in text
    assert removed_doc.variant is DocumentVariant.PERSONAL_DATA_REMOVED


def test_partial_removal_by_section(sample):
    doc = public_version(sample, remove_personal_data={48})
    assert doc.variant is DocumentVariant.PUBLIC
    assert doc.section(48).personal_data_removed and not doc.section(47).personal_data_removed
    assert PRIVATE_NAME not in doc.section(48).description_html


def test_public_version_only_from_original(public_doc):
    with pytest.raises(ValueError, match="original"):
        public_version(public_doc)


def test_redaction_of_a_proposal_text(sample):
    from dataclasses import replace

    from minutes.document import Redaction

    section = sample.section(47)
    start = section.proposals[1].text.index("keskustan")
    marked = replace(section, redactions=(Redaction("proposals.1.text", start, start + 9),))
    doc = public_version(sample.replace(sections=(marked,)))
    assert doc.section(47).proposals[1].text.startswith("Saneeraus toteutetaan vuonna 2026 vain "
                                                        f"{REDACTED} alueella")
    bad = replace(section, redactions=(Redaction("proposals.9.text", 0, 1),))
    with pytest.raises(ValueError, match="no proposals.9.text"):
        public_version(sample.replace(sections=(bad,)))


def test_excerpt_has_one_section_with_appeal_instruction(sample):
    """R55: a pöytäkirjanote carries the section and its oikaisuvaatimusohje."""
    text = visible_text(excerpt_html(sample, 47, certified_by="Helena Hiltunen"))
    assert "Pöytäkirjanote" in text
    assert "47 § Katuvalaistuksen saneeraus vuonna 2026" in text
    assert "Oikaisuvaatimusohje" in text
    assert "Pöytäkirjanotteen oikeaksi todistaa Helena Hiltunen" in text
    assert "48 §" not in text and "Maankäyttösopimus" not in text
    with pytest.raises(KeyError):
        excerpt_html(sample, 999)


def test_other_language_uses_translation_catalogue(sample):
    """Text goes through gettext: rendering in another language never breaks the document."""
    assert "47 §" in visible_text(render_html(sample, lang="sv"))


def test_description_html_is_sanitised_again(sample):
    """The document is plain data: active content in a selostus never reaches the output."""
    from dataclasses import replace

    hostile = replace(
        sample.section(45),
        description_html='<p onclick="x()">Teksti<script>alert(1)</script></p>'
                         '<img src="http://example.invalid/pixel.png"><style>p{}</style>',
    )
    html = render_html(sample.replace(sections=(hostile,)))
    assert "<p>Teksti</p>" in html
    for bad in ("<script", "onclick", "<img", "<style", "alert(1)"):
        assert bad not in html
