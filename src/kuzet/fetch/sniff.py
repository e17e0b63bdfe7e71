"""Is a response text kuzet can analyse? Media types from headers, checked against the bytes.

Policy: only text is fetched. Non-text media types (images, archives, PDFs, executables) raise
UnsupportedContent before the body is read. A body declared as text but starting with a binary
signature or containing NUL bytes (without a UTF-16 BOM) is also refused: hostile sites serve
executables and archives as text/html to get them "opened". A missing or generic
(application/octet-stream) type is decided by sniffing the first bytes.
"""

from __future__ import annotations

import codecs

TEXT_TYPES = {
    "application/xhtml+xml",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "application/ld+json",
    "application/javascript",
}
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/unknown", "unknown/unknown"}

# Leading bytes of formats that are never pages.
MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"BZh",
    b"\xfd7zXZ",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"\x00\x00\x01\x00",
    b"RIFF",
    b"\xca\xfe\xba\xbe",
    b"\xd0\xcf\x11\xe0",
    b"wOFF",
    b"wOF2",
    b"\x00asm",
)
SNIFF_BYTES = 1024
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta", b"<div", b"<script")


def media_type(content_type: str | None) -> str:
    """``"Text/HTML; charset=utf-8"`` -> ``"text/html"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_text_type(mtype: str) -> bool:
    return mtype.startswith("text/") or mtype in TEXT_TYPES or mtype.endswith(("+xml", "+json"))


def looks_binary(head: bytes) -> bool:
    """True when the first bytes are a known binary signature or contain NUL bytes."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if head.startswith(MAGIC):
        return True
    return b"\x00" in head[:SNIFF_BYTES]


def sniff_text_type(head: bytes) -> str | None:
    """A media type for a generic or missing Content-Type, from the first bytes; None for binary."""
    if looks_binary(head):
        return None
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<?xml"):
        if b"<rss" in head.lower() or b"<feed" in head.lower() or b"<rdf:rdf" in head.lower():
            return "application/rss+xml" if b"<feed" not in head.lower() else "application/atom+xml"
        return "application/xml"
    if start.startswith(_HTML_STARTS):
        return "text/html"
    if start.startswith((b"<rss", b"<rdf:rdf")):
        return "application/rss+xml"
    if start.startswith(b"<feed"):
        return "application/atom+xml"
    try:
        head[:SNIFF_BYTES].decode("utf-8")
    except UnicodeDecodeError as e:
        # A cut multi-byte character at the end of the sample is fine.
        if e.start < min(len(head), SNIFF_BYTES) - 4:
            # Not UTF-8; single-byte text is still text if it is mostly printable.
            printable = sum(1 for b in head[:SNIFF_BYTES] if b >= 0x20 or b in (9, 10, 13))
            return "text/plain" if printable >= 0.95 * len(head[:SNIFF_BYTES]) else None
    return "text/plain"
