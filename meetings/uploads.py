"""Validating uploaded files before they are stored (ASVS V5 file handling; TiHL 13 §, R60).

`validate_upload(name, data_or_file, max_bytes=...)` is the one gate every upload passes:

- the **type is decided by the content** (magic bytes and container structure), never by the
  extension or the content type the browser sent; only an allow-list is accepted: PDF, PNG, JPEG,
  ODT, DOCX, XLSX and UTF-8 plain text. Office files are ZIP containers: the expected member
  (`mimetype` of ODT, `word/document.xml`, `xl/workbook.xml`) must be present, macro parts are
  refused, and the declared uncompressed size is capped (ZIP bombs);
- the **extension must agree** with the content (`report.pdf` holding a PNG is refused); a name
  without an extension gets the right one;
- the **name is made safe**: NFC-normalised, control and bidirectional-formatting characters,
  path components with `..`, absolute and UNC paths and Windows drive letters are refused,
  other path components are dropped, Windows-reserved characters and device names are handled,
  and the length is capped. The stored file name is a random storage name anyway
  (`meetings/files.py`); `safe_name` is only shown and used in Content-Disposition.

Errors are `DomainError`s with stable codes (`upload.too_large` answers 413, the rest 400).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from kokous.errors import DomainError


class UploadTooLarge(DomainError):
    status = 413


CODES: dict[str, tuple[type[DomainError], Any]] = {
    "upload.too_large": (UploadTooLarge, _("Tiedosto on liian suuri (enintään %(limit)s).")),
    "upload.type_not_allowed": (
        DomainError,
        _("Tiedostotyyppi ei ole sallittu. Sallitut tyypit: PDF, PNG, JPEG, ODT, DOCX, XLSX ja "
          "UTF-8-tekstitiedosto. Makroja sisältäviä asiakirjoja ei hyväksytä."),
    ),
    "upload.content_mismatch": (
        DomainError, _("Tiedoston sisältö ei vastaa sen nimeä tai tiedostotyyppiä."),
    ),
    "upload.bad_name": (
        DomainError,
        _("Tiedostonimi ei kelpaa: siinä ei saa olla hakemistopolkua, ohjausmerkkejä eikä "
          "varattuja nimiä."),
    ),
    "upload.empty": (DomainError, _("Tiedosto on tyhjä.")),
}


def upload_error(code: str, **params: Any) -> DomainError:
    cls, message = CODES[code]
    return cls(code, message, **params)


@dataclass(frozen=True)
class FileType:
    key: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "application/pdf", (".pdf",))
PNG = FileType("png", "image/png", (".png",))
JPEG = FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"))
ODT = FileType("odt", "application/vnd.oasis.opendocument.text", (".odt",))
DOCX = FileType(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileType(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
)
TEXT = FileType("text", "text/plain; charset=utf-8", (".txt",))
ALLOWED_TYPES = (PDF, PNG, JPEG, ODT, DOCX, XLSX, TEXT)

MAX_NAME_INPUT = 1024  # longer input is refused outright
MAX_NAME_CHARS = 150  # Attachment.filename is 200; leave room
MAX_NAME_BYTES = 255  # common file-system limit, UTF-8
ZIP_MAX_MEMBERS = 5000
ZIP_MAX_UNCOMPRESSED = 256 * 1024 * 1024
ZIP_MAX_RATIO = 200
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{prefix}{i}" for prefix in ("COM", "LPT") for i in range(10)
}
WINDOWS_BAD_CHARS = re.compile(r'[<>:"|?*]')
DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
EXTENSION = re.compile(r"^\.[a-z][a-z0-9]{0,7}$")
# Unicode categories never allowed in a name: controls, format (bidi overrides, zero-width),
# surrogates, private use, unassigned, line and paragraph separators.
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# C0/C1 controls other than tab, line feed, form feed and carriage return: a binary file.
FORBIDDEN_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ValidatedUpload:
    safe_name: str
    content_type: str
    size: int
    sha256: str
    data: bytes = field(repr=False, compare=False, default=b"")

    @property
    def extension(self) -> str:
        return self.safe_name.rsplit(".", 1)[-1].lower() if "." in self.safe_name else ""


def validate_upload(name: Any, data_or_file: Any, *, max_bytes: int) -> ValidatedUpload:
    """Check an upload; return its safe name, content type (from the content), size and SHA-256.

    `data_or_file` is bytes or a file object (a Django `UploadedFile` or anything with `read`);
    at most `max_bytes + 1` bytes are read. Raises `DomainError` with an `upload.*` code.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    cleaned = safe_filename(name)
    data = _read_capped(data_or_file, max_bytes)
    if not data:
        raise upload_error("upload.empty")
    kind = sniff(data)
    if kind is None:
        raise upload_error("upload.type_not_allowed")
    safe = _with_extension(cleaned, kind)
    return ValidatedUpload(
        safe_name=safe,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


# --- reading --------------------------------------------------------------------------------------


def _human(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.0f} MiB"
    if limit >= 1024:
        return f"{limit / 1024:.0f} KiB"
    return f"{limit} B"


def _read_capped(data_or_file: Any, max_bytes: int) -> bytes:
    too_large = upload_error("upload.too_large", limit=_human(max_bytes))
    if isinstance(data_or_file, bytes | bytearray | memoryview):
        if len(data_or_file) > max_bytes:
            raise too_large
        return bytes(data_or_file)
    declared = getattr(data_or_file, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise too_large
    if hasattr(data_or_file, "seek"):
        with contextlib.suppress(OSError, ValueError):
            data_or_file.seek(0)
    buffer = io.BytesIO()
    while True:
        chunk = data_or_file.read(min(READ_CHUNK, max_bytes + 1 - buffer.tell()))
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("open upload files in binary mode")
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            raise too_large
    return buffer.getvalue()


# --- names ----------------------------------------------------------------------------------------


def _refuse_name() -> DomainError:
    return upload_error("upload.bad_name")


def _check_traversal(name: str) -> None:
    if name.startswith(("/", "\\")) or DRIVE_LETTER.match(name):
        raise _refuse_name()  # absolute, UNC (\\server\share) or drive-relative path
    if any(part.strip() == ".." for part in re.split(r"[/\\]", name)):
        raise _refuse_name()


def safe_filename(name: Any) -> str:
    """The display/download name for an uploaded file, or `upload.bad_name`.

    The result keeps only the last path component, has no control or formatting characters, no
    Windows-reserved characters (replaced by `_`) and is at most MAX_NAME_CHARS characters.
    """
    if isinstance(name, bytes):
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse_name() from None
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_INPUT:
        raise _refuse_name()
    name = unicodedata.normalize("NFC", name)
    if any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in name):
        raise _refuse_name()
    # Check the compatibility-folded form too: a later NFKC step (some file systems and archive
    # tools) must not turn fullwidth dots and slashes into a traversal.
    for form in (name, unicodedata.normalize("NFKC", name)):
        _check_traversal(form)
    base = re.split(r"[/\\]", name)[-1]
    base = WINDOWS_BAD_CHARS.sub("_", base)
    base = re.sub(r"\s+", " ", base).strip().lstrip(".").strip().rstrip(". ")
    if not base:
        raise _refuse_name()
    stem = base.split(".", 1)[0].strip().upper()
    if not stem or stem in WINDOWS_RESERVED:
        raise _refuse_name()
    return _cap_length(base)


def _split_extension(name: str) -> tuple[str, str]:
    if "." in name:
        stem, ext = name.rsplit(".", 1)
        if stem and EXTENSION.match("." + ext.lower()):
            return stem, "." + ext
    return name, ""


def _cap_length(name: str) -> str:
    stem, ext = _split_extension(name)
    while stem and (
        len(stem) + len(ext) > MAX_NAME_CHARS or len((stem + ext).encode("utf-8")) > MAX_NAME_BYTES
    ):
        stem = stem[:-1]
    stem = stem.rstrip(". ")
    if not stem:
        raise _refuse_name()
    return stem + ext


def _with_extension(name: str, kind: FileType) -> str:
    stem, ext = _split_extension(name)
    if not ext:
        return _cap_length(name + kind.extensions[0])
    if ext.lower() not in kind.extensions:
        raise upload_error("upload.content_mismatch")
    return name


# --- content --------------------------------------------------------------------------------------


def sniff(data: bytes) -> FileType | None:
    """The allowed type `data` is, by content; None if it is none of them.

    Raises `upload.content_mismatch` for a file that starts like an allowed type but is not a
    well-formed one (truncated PDF or PNG, an Office container without its main part).
    """
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise upload_error("upload.content_mismatch")
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(data) < 45 or data[12:16] != b"IHDR" or b"IEND" not in data[-12:]:
            raise upload_error("upload.content_mismatch")
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if _is_text(data):
        return TEXT
    return None


def _sniff_zip(data: bytes) -> FileType | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise upload_error("upload.content_mismatch") from None
    if len(infos) > ZIP_MAX_MEMBERS:
        raise upload_error("upload.type_not_allowed")
    total = sum(info.file_size for info in infos)
    if total > ZIP_MAX_UNCOMPRESSED or total > ZIP_MAX_RATIO * max(len(data), 1):
        raise upload_error("upload.too_large", limit=_human(ZIP_MAX_UNCOMPRESSED))
    names = [info.filename for info in infos]
    if any(info.flag_bits & 0x1 for info in infos):
        raise upload_error("upload.type_not_allowed")  # encrypted members cannot be inspected
    if any(n.startswith("/") or ".." in n.split("/") or "\\" in n for n in names):
        raise upload_error("upload.content_mismatch")
    lower = [n.lower() for n in names]

    def member(name: str, limit: int) -> bytes:
        info = archive.getinfo(name)
        if info.file_size > limit:
            raise upload_error("upload.content_mismatch")
        try:
            return archive.read(info)
        except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError, OSError):
            raise upload_error("upload.content_mismatch") from None

    # ODF: the first member is "mimetype", stored uncompressed (ODF 1.2 part 3, 3.3).
    if names and names[0] == "mimetype":
        first = infos[0]
        mimetype = member("mimetype", 200).strip()
        if mimetype != ODT.content_type.encode("ascii"):
            return None  # ODS, ODP, … are not on the allow-list
        if first.compress_type != zipfile.ZIP_STORED or "content.xml" not in names:
            raise upload_error("upload.content_mismatch")
        if any(n.startswith(("basic/", "scripts/")) for n in lower):
            raise upload_error("upload.type_not_allowed")  # StarBasic or script macros
        return ODT
    if "[Content_Types].xml" in names:
        content_types = member("[Content_Types].xml", 1024 * 1024)
        if b"macroenabled" in content_types.lower() or any(
            n.endswith(("vbaproject.bin", "vbadata.xml")) for n in lower
        ):
            raise upload_error("upload.type_not_allowed")
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        return None  # PPTX and other OOXML kinds are not on the allow-list
    return None


def _is_text(data: bytes) -> bool:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return FORBIDDEN_TEXT_CONTROLS.search(text) is None
