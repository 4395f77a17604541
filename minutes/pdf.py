"""Minutes HTML → PDF/A-3b with WeasyPrint (R48, R51, R70: an archivable pöytäkirja).

* **PDF/A-3b** (``pdf_variant="pdf/a-3b"``): XMP identification part 3 / conformance B, an sRGB
  OutputIntent, a file identifier, every font embedded (subset) — the fonts are the DejaVu Sans
  files shipped in ``minutes/fonts/`` (licence there), so the bytes do not depend on which
  system fonts a machine has.
* **Associated files**: each attachment is an embedded file listed in the catalogue's ``/AF``
  with its ``/AFRelationship`` (``Data`` for the machine-readable decisions JSON, ``Source``
  for a source document), as PDF/A-3 requires.
* **Reproducible**: creation and modification dates come from the records (``created``), the
  attachments carry the same dates, and the file identifier is a digest of the content, so the
  same input gives the same bytes.
* **No network, no stray files**: the URL fetcher serves only the shipped font files and the
  attachments given here; anything else the HTML refers to (images, ``<link rel=attachment>``)
  is refused, so sanitised-but-hostile HTML in a selostus cannot make the renderer fetch a URL
  or embed a local file.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pydyf
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = [
    "FONT_DIR",
    "FONT_FILES",
    "PdfAttachment",
    "Relationship",
    "render_pdf",
]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
#: The shipped faces of the one family the minutes use (DejaVu Sans 2.37).
FONT_FILES = {
    ("normal", "normal"): FONT_DIR / "DejaVuSans.ttf",
    ("bold", "normal"): FONT_DIR / "DejaVuSans-Bold.ttf",
    ("normal", "italic"): FONT_DIR / "DejaVuSans-Oblique.ttf",
    ("bold", "italic"): FONT_DIR / "DejaVuSans-BoldOblique.ttf",
}
FONT_FAMILY = "Kokous DejaVu Sans"

#: PDF 2.0 / PDF/A-3 AFRelationship values.
Relationship = Literal["Data", "Source", "Alternative", "Supplement", "Unspecified"]
_RELATIONSHIPS = frozenset({"Data", "Source", "Alternative", "Supplement", "Unspecified"})
_ATTACHMENT_SCHEME = "kokous-attachment"

logger = logging.getLogger(__name__)
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class PdfAttachment:
    """An associated file: ``(filename, data, description, mime, relationship)``."""

    filename: str
    data: bytes
    description: str
    mime: str
    relationship: Relationship = "Data"

    def __post_init__(self) -> None:
        if self.relationship not in _RELATIONSHIPS:
            raise ValueError(f"unknown AFRelationship {self.relationship!r}")
        if "/" not in self.mime:
            raise ValueError(f"not a MIME type: {self.mime!r}")


def font_face_css() -> str:
    """``@font-face`` rules for the shipped DejaVu Sans files (file URLs)."""
    rules = []
    for (weight, style), path in FONT_FILES.items():
        rules.append(
            f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{path.as_uri()}"); '
            f"font-weight: {weight}; font-style: {style}; }}"
        )
    return "\n".join(rules)


class _MinutesFetcher(URLFetcher):
    """Serves the shipped fonts and in-memory attachments; refuses every other URL."""

    def __init__(self, attachments: Sequence[PdfAttachment] = ()) -> None:
        super().__init__(allowed_protocols=("file", _ATTACHMENT_SCHEME))
        self._fonts = {path.as_uri(): path for path in FONT_FILES.values()}
        self._attachments = {
            f"{_ATTACHMENT_SCHEME}:{index}": attachment
            for index, attachment in enumerate(attachments)
        }

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url in self._fonts:
            return URLFetcherResponse(
                url, self._fonts[url].read_bytes(), {"Content-Type": "font/ttf"}
            )
        if url in self._attachments:
            attachment = self._attachments[url]
            return URLFetcherResponse(url, attachment.data, {"Content-Type": attachment.mime})
        # WeasyPrint logs this and leaves the resource out (an image, a stray attachment).
        raise ValueError(f"minutes rendering fetches no external resources: {url[:80]}")


def _w3c(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("created must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


_PROGRESS_STEPS = {"Step 1": 5, "Step 2": 10, "Step 3": 15, "Step 4": 20, "Step 6": 80,
                   "Step 7": 90}
_PAGE_RE = re.compile(r"Step 5 - Creating layout - Page (\d+)")


def _progress_of(message: str) -> int | None:
    """Percent for one WeasyPrint progress message. Layout (step 5) is most of the work but
    its page count is unknown in advance, so page *n* maps to ``25 + 50·n/(n+20)``: monotonic,
    approaching 75 % before the PDF is written."""
    if page := _PAGE_RE.match(message):
        pages = int(page.group(1))
        return 25 + (50 * pages) // (pages + 20)
    for prefix, percent in _PROGRESS_STEPS.items():
        if message.startswith(prefix):
            return percent
    return None


class _ProgressHandler(logging.Handler):
    """Turns WeasyPrint's progress log into percentages for one rendering thread."""

    def __init__(self, callback: ProgressCallback) -> None:
        super().__init__(level=logging.INFO)
        self._callback = callback
        self._thread = threading.get_ident()
        self._last = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self._thread:
            return
        percent = _progress_of(record.getMessage())
        if percent is not None and percent > self._last:  # re-layout passes never go back
            self._last = percent
            self._callback(percent)


_progress_lock = threading.Lock()
_progress_users = 0
_progress_saved = (logging.NOTSET, True)


@contextmanager
def _progress(callback: ProgressCallback | None) -> Iterator[None]:
    """Listen to ``weasyprint.progress`` (INFO) while rendering; thread-safe."""
    global _progress_users, _progress_saved
    if callback is None:
        yield
        return
    progress_logger = logging.getLogger("weasyprint.progress")
    handler = _ProgressHandler(callback)
    with _progress_lock:
        if _progress_users == 0:
            _progress_saved = (progress_logger.level, progress_logger.propagate)
            if not progress_logger.isEnabledFor(logging.INFO):
                # INFO only for our handler: the per-page records stay out of the site's logs.
                progress_logger.setLevel(logging.INFO)
                progress_logger.propagate = False
        _progress_users += 1
        progress_logger.addHandler(handler)
    try:
        yield
    finally:
        with _progress_lock:
            progress_logger.removeHandler(handler)
            _progress_users -= 1
            if _progress_users == 0:
                progress_logger.setLevel(_progress_saved[0])
                progress_logger.propagate = _progress_saved[1]


def _dedupe_associated_files(_document: object, pdf: pydyf.PDF) -> None:
    """WeasyPrint 70 lists each associated file twice in the catalogue's ``/AF``; keep one."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique: list[object] = []
        for reference in associated:
            if reference not in unique:
                unique.append(reference)
        pdf.catalog["AF"] = pydyf.Array(unique)


def render_pdf(
    html: str,
    *,
    attachments: Sequence[PdfAttachment | tuple[str, bytes, str, str, str]] = (),
    created: datetime,
    title: str,
    lang: str = "fi",
    stylesheets: Sequence[str] = (),
    progress: ProgressCallback | None = None,
) -> bytes:
    """Render minutes HTML to PDF/A-3b bytes.

    ``attachments`` are associated files (``PdfAttachment`` or the tuple
    ``(filename, bytes, description, mime, relationship)``); ``created`` — aware, from the
    records — becomes the creation and modification date of the PDF, its XMP and the
    attachments; ``title`` and ``lang`` go to the document information, XMP and catalogue.
    ``stylesheets`` are CSS strings applied as author styles (the print stylesheet of
    :mod:`minutes.render`); the shipped fonts' ``@font-face`` rules are always added.
    ``progress`` receives 0–100 as WeasyPrint advances.
    """
    files = [a if isinstance(a, PdfAttachment) else PdfAttachment(*a) for a in attachments]
    created_w3c = _w3c(created)
    created_utc = created.astimezone(UTC).replace(tzinfo=None)
    fetcher = _MinutesFetcher(files)
    font_config = FontConfiguration()
    css = [
        CSS(string=font_face_css(), font_config=font_config, url_fetcher=fetcher),
        *(CSS(string=s, font_config=font_config, url_fetcher=fetcher) for s in stylesheets),
    ]
    options = {"pdf_variant": "pdf/a-3b", "stylesheets": css}
    with _progress(progress):
        document = HTML(string=html, url_fetcher=fetcher, base_url=FONT_DIR.as_uri() + "/").render(
            font_config=font_config, **options
        )
        metadata = document.metadata
        metadata.title = title
        metadata.lang = lang
        metadata.created = created_w3c
        metadata.modified = created_w3c
        metadata.generator = "Kokous"
        # Only the files given here are embedded: <link rel=attachment> in the HTML is ignored.
        metadata.attachments = []
        pdf_attachments = [
            Attachment(
                url=f"{_ATTACHMENT_SCHEME}:{index}",
                url_fetcher=fetcher,
                name=attachment.filename,
                description=attachment.description,
                created=created_utc,
                modified=created_utc,
                relationship=attachment.relationship,
            )
            for index, attachment in enumerate(files)
        ]
        pdf = document.write_pdf(
            attachments=pdf_attachments, finisher=_dedupe_associated_files, **options
        )
    if progress is not None:
        progress(100)
    return pdf
