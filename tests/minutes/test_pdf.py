"""The pöytäkirja as PDF/A-3b: content, associated decisions JSON, archival properties,
reproducibility (R48, R49, R51, R70)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pikepdf
import pytest

from minutes.render import DECISIONS_FILENAME, render_excerpt_pdf, render_minutes_pdf
from minutes.samples import CONFIDENTIAL_MARKER, PRIVATE_HETU, PRIVATE_NAME
from tests.minutes.conftest import pdf_text, run_on_file
from tests.minutes.facts import FACTS


@pytest.fixture(scope="module")
def text(minutes_pdf):
    return pdf_text(minutes_pdf)


def open_pdf(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def page_count(data: bytes) -> int:
    with open_pdf(data) as pdf:
        return len(pdf.pages)


def attached(data: bytes) -> dict[str, bytes]:
    with open_pdf(data) as pdf:
        return {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}


@pytest.mark.parametrize("fact", FACTS)
def test_pdf_text_states_every_fact(text, fact):
    """R49: every fact of the sample meeting can be found in the PDF's text."""
    assert fact in text


def test_every_page_has_header_and_page_number(minutes_pdf, text):
    pages = page_count(minutes_pdf)
    assert pages > 5
    assert text.count("Esimerkkilän kunta · Tekninen lautakunta · Pöytäkirja 5/2026 · 16.3.2026") \
        == pages
    for number in range(1, pages + 1):
        assert f"sivu {number} / {pages}" in text


def test_table_of_contents_points_at_pages(text):
    match = re.search(r"47 § Katuvalaistuksen saneeraus vuonna 2026 [. ]+(\d+)", text)
    assert match and int(match.group(1)) >= 3


def test_attached_json_equals_document_json(sample, minutes_pdf):
    """The machine-readable decisions (votes with names) are the document's JSON."""
    files = attached(minutes_pdf)
    assert list(files) == [DECISIONS_FILENAME]
    assert files[DECISIONS_FILENAME] == sample.to_json().encode("utf-8")


def test_pdfa_identification_and_output_intent(minutes_pdf, sample):
    """PDF/A-3b: XMP part 3 / conformance B, sRGB OutputIntent, file ID, metadata in sync."""
    assert minutes_pdf.startswith(b"%PDF-1.7\n")
    with open_pdf(minutes_pdf) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == sample.title
        assert meta["xmp:CreateDate"] == meta["xmp:ModifyDate"] == "2026-03-18T10:00:00+00:00"
        assert str(pdf.docinfo["/CreationDate"]) == "D:20260318100000+00'00"
        assert str(pdf.docinfo["/Title"]) == sample.title
        assert str(pdf.Root.Lang) == "fi"
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1
        assert intents[0].S == "/GTS_PDFA1"
        profile = intents[0].DestOutputProfile
        assert profile.N == 3 and b"sRGB" in profile.read_bytes()
        assert len(pdf.trailer.ID) == 2
        assert not pdf.is_encrypted


def test_decisions_json_is_an_associated_file(minutes_pdf):
    """PDF/A-3: the embedded file is listed in /AF with AFRelationship /Data and a MIME type."""
    with open_pdf(minutes_pdf) as pdf:
        associated = list(pdf.Root.AF)
        assert len(associated) == 1
        spec = associated[0]
        assert spec.Type == "/Filespec"
        assert spec.AFRelationship == "/Data"
        assert str(spec.UF) == DECISIONS_FILENAME
        stream = spec.EF.F
        assert stream.Subtype == "/application/json"
        assert str(stream.Params.ModDate) == "D:20260318100000Z"
        names = pdf.Root.Names.EmbeddedFiles.Names
        assert names[1].objgen == spec.objgen


def _fonts(pdf: pikepdf.Pdf):
    seen = set()

    def walk(resources):
        if resources is None:
            return
        for font in (resources.get("/Font") or {}).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield font
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form":
                yield from walk(xobject.get("/Resources"))

    for page in pdf.pages:
        yield from walk(page.obj.get("/Resources"))
        for annot in page.obj.get("/Annots") or []:
            appearance = annot.get("/AP")
            if appearance is not None:
                yield from walk(appearance.N.get("/Resources"))


def assert_all_fonts_embedded(data: bytes, tmp_dir) -> None:
    with open_pdf(data) as pdf:
        fonts = list(_fonts(pdf))
        assert fonts
        for font in fonts:
            descriptor = (
                font.DescendantFonts[0].FontDescriptor if font.Subtype == "/Type0"
                else font.FontDescriptor
            )
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
            assert "DejaVu-Sans" in str(font.BaseFont)
    listing = run_on_file(["pdffonts"], data, tmp_dir).stdout.decode().splitlines()[2:]
    assert listing and all(line.split()[-5] == "yes" for line in listing), listing


def test_every_font_is_embedded(minutes_pdf, public_pdf, tmp_path):
    assert_all_fonts_embedded(minutes_pdf, tmp_path)
    assert_all_fonts_embedded(public_pdf, tmp_path)


def qpdf_check(data: bytes, tmp_dir) -> str:
    result = run_on_file(["qpdf", "--check"], data, tmp_dir)
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output
    assert "No syntax or stream encoding errors found" in output, output
    assert "WARNING" not in output, output
    return output


def test_qpdf_check_is_clean(minutes_pdf, public_pdf, tmp_path):
    qpdf_check(minutes_pdf, tmp_path)
    qpdf_check(public_pdf, tmp_path)


def test_identical_input_gives_identical_bytes(sample, minutes_pdf):
    """Reproducible output: dates from the records, content-derived file ID."""
    assert render_minutes_pdf(sample) == minutes_pdf
    later = sample.replace(created_at=datetime(2026, 3, 19, 9, 0, tzinfo=UTC))
    assert render_minutes_pdf(later) != minutes_pdf


def test_public_pdf_has_no_confidential_text(public_pdf):
    """R52: neither the page text nor the attached JSON of the public version leaks."""
    text = pdf_text(public_pdf)
    payload = attached(public_pdf)[DECISIONS_FILENAME].decode()
    for secret in (CONFIDENTIAL_MARKER, "Yksityistieavustus", "Liikesalaisuus-hinnasto 4482",
                   PRIVATE_HETU):
        assert secret not in text
        assert secret not in payload
    assert "50 § Salassa pidettävän asian käsittely" in text
    assert "Pöytäkirjan yleisversio 5/2026" in text
    assert PRIVATE_NAME in text


def test_personal_data_removed_pdf(removed_doc):
    pdf = render_minutes_pdf(removed_doc)
    text = pdf_text(pdf)
    assert PRIVATE_NAME not in text and PRIVATE_HETU not in text
    assert PRIVATE_NAME not in attached(pdf)[DECISIONS_FILENAME].decode()


def test_excerpt_pdf(sample, tmp_path):
    """Pöytäkirjanote: one section, PDF/A, its own JSON with just that section."""
    pdf = render_excerpt_pdf(sample, 49, certified_by="Helena Hiltunen")
    text = pdf_text(pdf)
    assert "Pöytäkirjanote" in text and "49 § Liikenneturvallisuustyöryhmän" in text
    assert "Mikko Mäkinen 5 valittu" in text
    assert "47 §" not in text
    with open_pdf(pdf) as opened:
        assert opened.open_metadata()["pdfaid:part"] == "3"
    payload = attached(pdf)[DECISIONS_FILENAME].decode()
    assert '"number":49' in payload and '"number":47' not in payload
    qpdf_check(pdf, tmp_path)


def test_renderer_fetches_nothing_but_its_fonts():
    """Hostile HTML cannot embed local files or fetch URLs (no <link rel=attachment>, no img)."""
    from minutes.pdf import render_pdf

    html = (
        '<html><head><link rel="attachment" href="file:///etc/passwd"></head><body>'
        '<p>teksti</p><img src="file:///etc/hostname"><img src="http://127.0.0.1:9/x.png">'
        '<a rel="attachment" href="file:///etc/passwd">liite</a></body></html>'
    )
    pdf = render_pdf(html, created=datetime(2026, 1, 1, tzinfo=UTC), title="t")
    with open_pdf(pdf) as opened:
        assert dict(opened.attachments) == {}
        for page in opened.pages:
            xobjects = page.obj.Resources.get("/XObject") or {}
            assert not any(x.get("/Subtype") == "/Image" for x in xobjects.values())
    assert b"root:" not in pdf


def test_attachment_tuple_and_relationship_checked():
    from minutes.pdf import PdfAttachment, render_pdf

    pdf = render_pdf(
        "<p>x</p>",
        attachments=[("lähde.xml", b"<a/>", "Lähde", "application/xml", "Source")],
        created=datetime(2026, 1, 1, tzinfo=UTC), title="t",
    )
    with open_pdf(pdf) as opened:
        spec = opened.Root.AF[0]
        assert spec.AFRelationship == "/Source" and str(spec.UF) == "lähde.xml"
        assert spec.EF.F.Subtype == "/application/xml"
    with pytest.raises(ValueError, match="AFRelationship"):
        PdfAttachment("a", b"", "", "text/plain", "Whatever")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        render_pdf("<p>x</p>", created=datetime(2026, 1, 1), title="t")
