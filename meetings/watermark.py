"""Stamping a confidential PDF with its viewer's name for inline viewing (R9, R61, R64).

Every page of the served copy gets an overlay: "Salassa pidettävä / Sekretessbelagd" (both
national languages, not translated: it is a marking, JulkL 25 §), the viewer's name and the time
of viewing. A leaked screenshot or printout then names its source. The overlay is a real PDF page
rendered by WeasyPrint (HTML/CSS, embedded DejaVu font, extractable text) and laid over each page
with pikepdf as a form XObject; nothing here writes PDF syntax by hand.

It is a deterrent, not a control: whoever holds the file can remove the overlay. The untrusted
document's scripts and automatic actions are removed from the served copy (it is shown in the
browser's own viewer, inline). Pages rotated by /Rotate get the stamp in unrotated page space.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf
from django.utils.html import escape
from weasyprint import HTML

#: The marking on every stamped page (both national languages, KL 29 §, kielilaki).
MARKING = "Salassa pidettävä / Sekretessbelagd"
#: Catalog and page keys that run something when the document is opened or a page is shown.
_ACTIVE_CATALOG_KEYS = ("/OpenAction", "/AA")
_ACTIVE_PAGE_KEYS = ("/AA",)

_CSS = """
@page { size: %(w).2fpt %(h).2fpt; margin: 0; }
html, body { margin: 0; padding: 0; }
body { font-family: "DejaVu Sans", sans-serif; color: #b00020; width: %(w).2fpt;
       height: %(h).2fpt; position: relative; overflow: hidden; }
.band { position: absolute; left: 0; right: 0; text-align: center; font-size: %(small).1fpt;
        line-height: 1.25; opacity: 0.85; }
.top { top: 4pt; } .bottom { bottom: 4pt; }
.diag { position: absolute; left: 0; right: 0; top: 45%%; text-align: center;
        font-size: %(big).1fpt; font-weight: bold; opacity: 0.16;
        transform: rotate(%(angle).1fdeg); white-space: nowrap; }
"""


class WatermarkError(Exception):
    """The PDF cannot be opened or stamped (encrypted, damaged, no pages)."""


def _overlay(width: float, height: float, lines: Sequence[str]) -> pikepdf.Pdf:
    """One page of `width` × `height` points carrying the stamp (WeasyPrint)."""
    text = "<br>".join(escape(line) for line in lines)
    short = min(width, height)
    css = _CSS % {
        "w": width, "h": height, "small": max(6.0, min(9.0, short / 60)),
        # the diagonal marking (~36 characters of bold DejaVu) must fit across the page
        "big": max(12.0, min(short / 14, max(width, height) / 30)),
        "angle": -30.0 if height >= width else -15.0,
    }
    html = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{css}</style></head><body>"
        f"<div class='band top'>{text}</div><div class='diag'>{escape(MARKING)}</div>"
        f"<div class='band bottom'>{text}</div></body></html>"
    )
    return pikepdf.open(io.BytesIO(HTML(string=html).write_pdf()))


def _strip_active_content(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root
    for key in _ACTIVE_CATALOG_KEYS:
        if key in root:
            del root[key]
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        del names["/JavaScript"]
    for page in pdf.pages:
        for key in _ACTIVE_PAGE_KEYS:
            if key in page.obj:
                del page.obj[key]


def stamp_pdf(data: bytes, lines: Sequence[str]) -> bytes:
    """`data` with `lines` (and the marking) stamped on every page; raises WatermarkError."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError) as exc:
        raise WatermarkError(f"cannot open the PDF: {exc.__class__.__name__}") from None
    overlays: dict[tuple[float, float], pikepdf.Pdf] = {}
    try:
        if len(pdf.pages) == 0:
            raise WatermarkError("the PDF has no pages")
        _strip_active_content(pdf)
        for page in pdf.pages:
            box = page.mediabox
            x0, y0, x1, y1 = (float(v) for v in box)
            size = (round(abs(x1 - x0), 1), round(abs(y1 - y0), 1))
            if min(size) < 1:
                raise WatermarkError("a page has no area")
            if size not in overlays:
                overlays[size] = _overlay(*size, lines)
            page.add_overlay(overlays[size].pages[0], pikepdf.Rectangle(x0, y0, x1, y1))
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    except (pikepdf.PdfError, ValueError, KeyError, TypeError) as exc:
        raise WatermarkError(f"cannot stamp the PDF: {exc.__class__.__name__}") from None
    finally:
        for overlay in overlays.values():
            overlay.close()
        pdf.close()
