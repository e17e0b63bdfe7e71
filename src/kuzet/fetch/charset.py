"""Choose the text encoding of a body: BOM, then declared charsets checked against the bytes, then detection.

Declarations lie often on the sites kuzet watches (cp1251 bytes served as utf-8 by a
misconfigured template, koi8-r pages without any charset), so a declaration is used only when
the bytes agree with it:

* a declared UTF-8 must decode strictly;
* a body that decodes strictly as UTF-8 and has multi-byte sequences is UTF-8 whatever the
  declaration says (Cyrillic cp1251/koi8-r text is practically never valid UTF-8);
* single-byte Cyrillic declarations decode anything, so cp1251 and koi8-r are checked against
  each other with a letter-frequency test (see ``_cyrillic_fix``);
* otherwise charset-normalizer guesses from a bounded sample.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.I)
_CYRILLIC_SINGLE_BYTE = ("cp1251", "koi8-r")
DETECT_SAMPLE = 256 * 1024
_FREQUENT = frozenset("оеаинтсрвл")
_HIGH_RUN = re.compile(rb"[\x80-\xff]{2,}")


def normalise(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    # WHATWG maps these labels to windows-1252; Python's latin-1 would reject nothing either way.
    if name in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
        name = "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str) -> str | None:
    m = _HEADER_CHARSET.search(content_type or "")
    return normalise(m.group(1)) if m else None


def markup_charset(body: bytes) -> str | None:
    """The charset declared inside the document (<meta> or the XML declaration), first 4 KB."""
    head = body[:4096]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return normalise(m.group(1).decode("ascii", "replace")) if m else None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _frequent_share(text: str) -> tuple[int, float]:
    """(Cyrillic letters, share of them among the most frequent Russian letters), case-insensitive."""
    letters = [c for c in text.lower() if "\u0430" <= c <= "\u044f" or c == "\u0451"]
    if not letters:
        return 0, 0.0
    return len(letters), sum(1 for c in letters if c in _FREQUENT) / len(letters)


def _cyrillic_fix(body: bytes, codec: str) -> str:
    """Between cp1251 and koi8-r, keep the one whose letters look like Russian.

    Both decode any byte, and reading one as the other permutes the alphabet, so the share of
    the ten most frequent Russian letters (about 60% of letters in real text) tells them apart,
    all-caps text included.
    """
    sample = body[:DETECT_SAMPLE]
    n, share = _frequent_share(sample.decode(codec, "replace"))
    if n < 20:
        return codec
    other = _CYRILLIC_SINGLE_BYTE[1] if codec == _CYRILLIC_SINGLE_BYTE[0] else _CYRILLIC_SINGLE_BYTE[0]
    _, other_share = _frequent_share(sample.decode(other, "replace"))
    return _kazakh_fix(sample, other if other_share > share + 0.15 else codec)


def _kazakh_fix(sample: bytes, codec: str) -> str:
    """cp1251 -> kz1048 when the bytes of ә, ң, қ (kz1048) occur: in cp1251 they are ј, ѕ, ќ,
    letters of Serbian and Macedonian only, while they are among the commonest in Kazakh."""
    if codec != "cp1251":
        return codec
    hits = sample.count(b"\xbc") + sample.count(b"\xbe") + sample.count(b"\x9d") + sample.count(b"\xaa")
    return "kz1048" if hits >= 3 else codec


def _single_byte_cyrillic(sample: bytes) -> str | None:
    """cp1251 or koi8-r when the bytes look like Russian words in one of them, else None.

    Cyrillic words are runs of high bytes, while accented Latin letters stand alone between
    ASCII ones; only when most high bytes sit in runs are the two codecs scored.
    """
    high = sum(1 for b in sample if b >= 0x80)
    if high < 20:
        return None
    in_runs = sum(len(r) for r in _HIGH_RUN.findall(sample))
    if in_runs < 0.7 * high:
        return None
    scores = {codec: _frequent_share(sample.decode(codec, "replace"))[1] for codec in _CYRILLIC_SINGLE_BYTE}
    best = max(scores, key=lambda c: scores[c])
    return _kazakh_fix(sample, best) if scores[best] >= 0.35 else None


def detect(body: bytes) -> str:
    """Guess the encoding from the bytes alone."""
    sample = body[:DETECT_SAMPLE]
    if _strict(sample, "ascii") is not None:
        return "utf-8"
    # charset-normalizer misreads short Russian koi8-r text (as Shift-JIS, say); Russian in the
    # two common single-byte codecs is recognised first.
    cyrillic = _single_byte_cyrillic(sample)
    if cyrillic is not None:
        return cyrillic
    best = from_bytes(sample).best()
    guess = normalise(best.encoding) if best is not None else None
    if guess is None:
        return "utf-8"
    if guess in _CYRILLIC_SINGLE_BYTE or guess in ("mac-cyrillic", "cp866", "iso8859-5"):
        # charset-normalizer sometimes picks a rarer Cyrillic page; the case test settles
        # between the two that matter here.
        if guess not in _CYRILLIC_SINGLE_BYTE:
            guess = "cp1251"
        guess = _cyrillic_fix(body, guess)
    return guess


def choose_encoding(body: bytes, content_type: str = "") -> str:
    """The codec (Python name) to decode ``body`` with."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    if not body:
        return header_charset(content_type) or "utf-8"
    # A body cut mid-character (a truncated snapshot) must still count as valid UTF-8.
    utf8 = _strict(body, "utf-8") or _strict(body[:-3] if len(body) > 3 else body, "utf-8")
    utf8_multibyte = utf8 is not None and not body.isascii()
    for declared in (header_charset(content_type), markup_charset(body)):
        if declared is None:
            continue
        if declared == "utf-8":
            if utf8 is not None:
                return "utf-8"
            continue  # the declaration lies; try the next one, then detection
        if utf8_multibyte:
            return "utf-8"
        if declared in ("utf-16-le", "utf-16-be", "utf-16", "utf-32"):
            # Without a BOM a UTF-16 declaration on an ASCII-compatible body is a mistake.
            continue
        if declared in _CYRILLIC_SINGLE_BYTE:
            return _cyrillic_fix(body, declared)
        if _strict(body[:DETECT_SAMPLE], declared) is not None:
            return declared
    if utf8 is not None:
        return "utf-8"
    return detect(body)
