"""Sanitising rich text of agenda items (*selostus*) — the one place HTML from users is cleaned.

Descriptions are written in a rich-text field by secretaries and preparers and rendered with
`|safe` in pages and PDFs, so everything stored goes through `sanitize_html` first: no script,
no style, no event handlers, no images or embeds (a remote image in a confidential item would leak
that it was opened), links only to http(s)/mailto and never opening a new window.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup",
        "ul", "ol", "li", "blockquote", "h3", "h4", "h5",
        "table", "thead", "tbody", "tr", "th", "td", "caption",
        "a", "abbr",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitize_html(value: str | None) -> str:
    """Clean user-written HTML to the allowed subset; `None` and blanks become ``""``."""
    if not value or not value.strip():
        return ""
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
