"""Upload validation: by content, allow-listed types, safe names (ASVS V5; R60; TiHL 13 §)."""

from __future__ import annotations

import hashlib
import io
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st

from kokous.errors import DomainError
from meetings import uploads
from meetings.uploads import validate_upload
from tests.security import samples

MB = 1024 * 1024


def code_of(name, data, max_bytes=MB) -> str:
    with pytest.raises(DomainError) as info:
        validate_upload(name, data, max_bytes=max_bytes)
    return info.value.code


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("Liite 1.pdf", samples.pdf(), "application/pdf"),
        ("kartta.PNG", samples.png(), "image/png"),
        ("kuva.jpg", samples.jpeg(), "image/jpeg"),
        ("kuva.jpeg", samples.jpeg(), "image/jpeg"),
        ("selvitys.odt", samples.odt(), "application/vnd.oasis.opendocument.text"),
        ("selvitys.docx", samples.docx(),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("talous.xlsx", samples.xlsx(),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("muistio.txt", samples.text(), "text/plain; charset=utf-8"),
    ],
)
def test_allowed_types_are_accepted(name, data, content_type):
    result = validate_upload(name, data, max_bytes=MB)
    assert result.content_type == content_type
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.safe_name == name
    assert result.data == data


def test_type_is_decided_by_content_not_by_name():
    """No extension: the content decides and the right extension is added."""
    assert validate_upload("Pöytäkirja 12.3.2026", samples.pdf(), max_bytes=MB).safe_name == (
        "Pöytäkirja 12.3.2026.pdf"
    )
    assert validate_upload("kuva", samples.png(), max_bytes=MB).content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("kuva.pdf", samples.png()),  # PNG named PDF
        ("raportti.txt", samples.pdf()),  # PDF named text
        ("teksti.pdf", samples.text()),  # text named PDF
        ("sivu.html", b"<html><script>alert(1)</script></html>"),  # text, but .html
        ("kuva.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("kuva.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("liite.docx", samples.xlsx()),
        ("liite.pdf.exe", samples.pdf()),
        ("katkennut.pdf", samples.pdf()[:-8]),  # truncated: no %%EOF
        ("katkennut.png", samples.png()[:30]),
        ("huono.odt", samples.odt(stored_first=False)),  # mimetype must be stored
        ("rikki.docx", b"PK\x03\x04" + b"\x00" * 100),
    ],
)
def test_content_that_does_not_match_its_name_is_refused(name, data):
    assert code_of(name, data) == "upload.content_mismatch"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("ohjelma.exe", samples.exe()),
        ("ohjelma.pdf", samples.exe()),  # the extension does not make it a PDF
        ("binaari.txt", b"\x00\x01\x02binary\x00"),
        ("latin1.txt", "Päätös".encode("latin-1")),
        ("arkisto.zip", samples._zip([("a.txt", b"a")])),
        ("makro.docx", samples.docx(extra=[("word/vbaProject.bin", b"\xd0\xcf")])),
        ("makro.docm", samples.docx(types=samples.CONTENT_TYPES + b"macroEnabled.main+xml")),
        ("makro.odt", samples.odt(extra=[("Basic/Standard/Module1.xml", b"<m/>")])),
        ("taulukko.ods", samples.odt(b"application/vnd.oasis.opendocument.spreadsheet")),
        ("kuva.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
)
def test_types_outside_the_allow_list_are_refused(name, data):
    assert code_of(name, data) == "upload.type_not_allowed"


def test_client_content_type_is_ignored():
    upload = SimpleUploadedFile("liite.pdf", samples.exe(), content_type="application/pdf")
    assert code_of("liite.pdf", upload) == "upload.type_not_allowed"


def test_size_limit_for_bytes_and_files():
    data = samples.pdf() + b"0" * 2000
    assert code_of("a.pdf", data, max_bytes=1000) == "upload.too_large"
    assert code_of("a.pdf", io.BytesIO(data), max_bytes=1000) == "upload.too_large"
    assert code_of("a.pdf", SimpleUploadedFile("a.pdf", data), max_bytes=1000) == "upload.too_large"

    class LyingSize(io.BytesIO):
        size = 10  # a client-declared size is never trusted

    assert code_of("a.pdf", LyingSize(data), max_bytes=1000) == "upload.too_large"
    with pytest.raises(DomainError) as info:
        validate_upload("a.pdf", data, max_bytes=1000)
    assert info.value.status == 413
    ok = validate_upload("a.pdf", io.BytesIO(samples.pdf()), max_bytes=len(samples.pdf()))
    assert ok.size == len(samples.pdf())


def test_zip_bomb_is_refused_without_inflating_it():
    bomb = samples.zip_bomb()
    assert len(bomb) < MB
    assert code_of("pommi.docx", bomb) == "upload.too_large"


def test_empty_file_is_refused():
    assert code_of("tyhja.txt", b"") == "upload.empty"


TRAVERSAL_NAMES = [
    "../etc/passwd",
    "../../secret.pdf",
    "..\\..\\windows\\win.ini",
    "a/../../b.pdf",
    "liitteet/../../b.pdf",
    "/etc/passwd",
    "/var/lib/kokous/files/x.pdf",
    "\\\\server\\share\\x.pdf",
    "\\x.pdf",
    "C:\\Users\\x\\liite.pdf",
    "c:liite.pdf",
    "D:/liite.pdf",
    "liite\x00.pdf.exe",
    "liite.pdf\x00",
    "liite\n.pdf",
    "liite\t.pdf",
    "liite\r\nContent-Type: text/html.pdf",
    "liite\x1b[31m.pdf",
    "\u202efdp.exe",  # right-to-left override: shows as "exe.pdf"
    "liite\u200b.pdf",  # zero-width space
    "\uff0e\uff0e\uff0fsecret.pdf",  # fullwidth "../", folded by NFKC
    "..",
    ".",
    "...",
    "",
    "   ",
    "CON.pdf",
    "nul",
    "com1.txt",
    "a" * 5000 + ".pdf",
    b"\xff\xfe.pdf",
]


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_path_traversal_and_bad_names_are_refused(name):
    assert code_of(name, samples.pdf()) == "upload.bad_name"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("liitteet/2026/Liite 1.pdf", "Liite 1.pdf"),
        ("C-asema\\liite.pdf", "liite.pdf"),
        ("./liite.pdf", "liite.pdf"),
        (".piilotettu.pdf", "piilotettu.pdf"),
        ("raportti: v2?.pdf", "raportti_ v2_.pdf"),
        ('"lainaus"<>|*.pdf', "_lainaus_____.pdf"),
        ("liite.pdf. . ", "liite.pdf"),
        ("  väli   lyönnit\u00a0\u3000.pdf", "väli lyönnit.pdf"),
        (unicodedata.normalize("NFD", "Pöytäkirja.pdf"), "Pöytäkirja.pdf"),
    ],
)
def test_names_are_normalised(name, safe):
    result = validate_upload(name, samples.pdf(), max_bytes=MB).safe_name
    assert result == safe
    assert unicodedata.is_normalized("NFC", result)


def test_long_names_are_capped_keeping_the_extension():
    result = validate_upload("ä" * 400 + ".pdf", samples.pdf(), max_bytes=MB).safe_name
    assert result.endswith(".pdf")
    assert len(result) <= uploads.MAX_NAME_CHARS
    assert len(result.encode()) <= uploads.MAX_NAME_BYTES


def test_error_messages_are_finnish_and_codes_stable():
    with pytest.raises(DomainError) as info:
        validate_upload("../x.pdf", samples.pdf(), max_bytes=MB)
    assert info.value.as_dict()["code"] == "upload.bad_name"
    assert "Tiedostonimi" in info.value.message
    assert set(uploads.CODES) >= {
        "upload.too_large", "upload.type_not_allowed", "upload.content_mismatch",
        "upload.bad_name",
    }


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_name_is_refused_or_made_safe(name):
    """Property: whatever the browser sends, the result is one plain, short, NFC file name."""
    try:
        safe = uploads.safe_filename(name)
    except DomainError as exc:
        assert exc.code == "upload.bad_name"
        return
    assert safe and "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith((".", " ")) and not safe.endswith((".", " "))
    assert ".." not in safe.split("/")
    assert unicodedata.is_normalized("NFC", safe)
    assert all(unicodedata.category(c) not in uploads.REFUSED_CATEGORIES for c in safe)
    assert not any(c in safe for c in '<>:"|?*')
    assert len(safe) <= uploads.MAX_NAME_CHARS


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_content_never_crashes_the_validator(data):
    try:
        result = validate_upload("tiedosto", data, max_bytes=MB)
    except DomainError as exc:
        assert exc.code.startswith("upload.")
        return
    assert result.content_type in {t.content_type for t in uploads.ALLOWED_TYPES}
