"""Small, well-formed sample files of every allowed upload type, and some hostile ones."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

ODT_MIME = b"application/vnd.oasis.opendocument.text"


def pdf() -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _zip(members: list[tuple[str, bytes]], *, stored_first: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, (name, body) in enumerate(members):
            method = zipfile.ZIP_STORED if (i == 0 and stored_first) else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), body, compress_type=method)
    return buffer.getvalue()


def odt(mimetype: bytes = ODT_MIME, *, extra: list[tuple[str, bytes]] | None = None,
        stored_first: bool = True) -> bytes:
    return _zip(
        [("mimetype", mimetype), ("content.xml", b"<office:document-content/>"),
         ("META-INF/manifest.xml", b"<manifest/>"), *(extra or [])],
        stored_first=stored_first,
    )


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="x"><Default Extension="xml"/></Types>'


def docx(*, extra: list[tuple[str, bytes]] | None = None, types: bytes = CONTENT_TYPES) -> bytes:
    return _zip([("[Content_Types].xml", types), ("_rels/.rels", b"<r/>"),
                 ("word/document.xml", b"<w:document/>"), *(extra or [])])


def xlsx() -> bytes:
    return _zip([("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", b"<r/>"),
                 ("xl/workbook.xml", b"<workbook/>")])


def text() -> bytes:
    return "Päätösehdotus: hyväksytään.\r\nÅbo – Turku\n".encode()


def zip_bomb() -> bytes:
    return _zip([("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", b"0" * 50_000_000)],
                stored_first=False)


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
