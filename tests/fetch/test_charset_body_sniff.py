from __future__ import annotations

import codecs
import gzip
import zlib

import pytest

from kuzet.fetch.body import STEP, BodyDecoder, UnknownEncoding
from kuzet.fetch.charset import choose_encoding, markup_charset
from kuzet.fetch.sniff import looks_binary, media_type, sniff_text_type

RU = "Казино Вулкан: получите бонус 500% на первый депозит! Играйте в слоты онлайн и выводите выигрыш."
KK = "Қазақстан Республикасы Ұлттық банкі қаржы пирамидалары туралы ескертеді. Заңсыз ойын бизнесі."


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        (RU.encode("utf-8"), "text/html; charset=utf-8", "utf-8"),
        (RU.encode("cp1251"), "text/html; charset=utf-8", "cp1251"),  # lying header
        (RU.encode("koi8-r"), "text/html", "koi8-r"),  # no charset at all
        (RU.upper().encode("koi8-r"), "text/html; charset=windows-1251", "koi8-r"),  # wrong single-byte label
        (RU.upper().encode("cp1251"), "text/html; charset=windows-1251", "cp1251"),  # all caps stays cp1251
        (RU.encode("utf-8"), "text/html; charset=windows-1251", "utf-8"),  # valid UTF-8 wins
        (KK.encode("kz1048"), "text/html", "kz1048"),
        (KK.encode("utf-8"), "text/html", "utf-8"),
        (codecs.BOM_UTF16_LE + RU.encode("utf-16-le"), "text/html; charset=utf-8", "utf-16-le"),
        (b"<html>plain ascii</html>", "text/html", "utf-8"),
        (b"", "text/html; charset=koi8-r", "koi8-r"),
    ],
)
def test_choose_encoding(body: bytes, ctype: str, expected: str) -> None:
    assert choose_encoding(body, ctype) == expected


def test_meta_and_xml_declarations() -> None:
    assert markup_charset(b'<html><head><meta charset="windows-1251">') == "cp1251"
    assert markup_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">') == "koi8-r"
    assert markup_charset(b'<?xml version="1.0" encoding="windows-1251"?><rss>') == "cp1251"
    body = b'<html><head><meta charset="windows-1251"></head><body>' + RU.encode("cp1251")
    assert choose_encoding(body, "text/html") == "cp1251"
    # A truncated body cut inside a UTF-8 character is still UTF-8.
    assert choose_encoding(RU.encode("utf-8")[:-1], "text/html; charset=utf-8") == "utf-8"


def test_gzip_decoder_bounded_steps() -> None:
    data = b" " * (5 * 1024 * 1024)
    dec = BodyDecoder("gzip")
    out = list(dec.feed(gzip.compress(data)))
    assert b"".join(out) == data
    assert max(len(o) for o in out) <= STEP


def test_deflate_zlib_and_raw_and_chain() -> None:
    data = ("слоты " * 1000).encode()
    assert b"".join(BodyDecoder("deflate").feed(zlib.compress(data))) == data
    co = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert b"".join(BodyDecoder("deflate").feed(co.compress(data) + co.flush())) == data
    assert b"".join(BodyDecoder("gzip, gzip").feed(gzip.compress(gzip.compress(data)))) == data
    assert BodyDecoder("identity").identity
    with pytest.raises(UnknownEncoding):
        BodyDecoder("br")


def test_sniffing() -> None:
    assert media_type("Text/HTML; charset=UTF-8") == "text/html"
    assert looks_binary(b"\x89PNG\r\n\x1a\n....")
    assert looks_binary(b"%PDF-1.7 ...")
    assert looks_binary(b"abc\x00def")
    assert not looks_binary(codecs.BOM_UTF16_LE + "abc".encode("utf-16-le"))
    assert sniff_text_type(b"  <!DOCTYPE html><html>") == "text/html"
    assert sniff_text_type(b'<?xml version="1.0"?><rss version="2.0">') == "application/rss+xml"
    assert sniff_text_type(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">') == "application/atom+xml"
    assert sniff_text_type(RU.encode("cp1251")) == "text/plain"
    assert sniff_text_type(b"PK\x03\x04\x14\x00") is None
