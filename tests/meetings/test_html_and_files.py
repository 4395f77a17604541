"""Rich text sanitising (meetings/html.py) and attachment storage (meetings/files.py).

R27/R65 (descriptions are rendered as HTML to members and the public), R61/R62 (files outside
the web root, random names, never overwritten).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetings import files
from meetings.html import sanitize_html


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Hei <b>kaikki</b></p>", "<p>Hei <b>kaikki</b></p>"),
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        ('<p onclick="evil()">x</p>', "<p>x</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        ('<img src="https://tracker.example/p.gif">', ""),
        ("<style>p{}</style><iframe src=x></iframe>ok", "ok"),
        (None, ""),
        ("   ", ""),
    ],
)
def test_sanitize_html(dirty, clean):
    assert sanitize_html(dirty) == clean


@settings(max_examples=200)
@given(st.text())
def test_sanitized_html_never_contains_active_content(text):
    out = sanitize_html(text).lower()
    assert "<script" not in out and "<style" not in out and "<iframe" not in out
    assert "javascript:" not in out.replace(" ", "") or "href" not in out
    assert sanitize_html(sanitize_html(text)) == sanitize_html(text)  # idempotent


def test_store_and_read_attachment_bytes(settings, tmp_path):
    settings.PROTECTED_FILES_ROOT = tmp_path / "protected"
    a = files.store_attachment_bytes(b"first")
    b = files.store_attachment_bytes(b"second")
    assert a != b and len(a) == 64

    class Att:
        storage_name = a

    assert files.read_attachment_bytes(Att) == b"first"
    path = tmp_path / "protected" / a[:2] / a
    assert path.exists() and (os.stat(path).st_mode & 0o777) == 0o600
    files.discard_stored_bytes(a)
    assert not path.exists()
    with pytest.raises(ValueError):
        Att.storage_name = "../../etc/passwd"
        files.read_attachment_bytes(Att)
