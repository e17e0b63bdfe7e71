"""Streaming reader for registries of prohibited resources.

Three shapes are read, detected from the first line:

* the public registry dump: ``Updated: <timestamp>`` first, then semicolon-separated
  ``ip;domain;url;org;decision_number;decision_date`` in cp1251, several IPs or URLs joined by
  `` | ``; quoting in real dumps is unreliable, so a row is split on ``;`` by position rather than
  by a CSV dialect;
* a UTF-8 CSV with a header naming at least ``domain`` and ``url`` (the registry's own columns,
  optionally with provenance columns such as ``category_note``);
* our own CSV: ``resource,kind,authority,decision_number,decision_date,legal_basis,category``.

Rows are read one physical line at a time (bounded length) so that a registry of millions of
rows never sits in memory, and a bad row becomes a :class:`RegistryRowError` instead of aborting
the file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Literal, cast

from charset_normalizer import from_bytes

from kuzet.errors import RegistryError
from kuzet.link.registry_match import normalise_resource
from kuzet.records import LABELS, RegistryEntry

Kind = Literal["url", "domain", "subdomains", "channel", "account", "ip"]
KINDS: frozenset[str] = frozenset({"url", "domain", "subdomains", "channel", "account", "ip"})

# A line longer than this is not a registry row (real rows are well under 64 KiB even with
# hundreds of IPs); it is reported and skipped without reading it whole into memory.
MAX_LINE_BYTES = 1 << 20
SAMPLE_BYTES = 1 << 16
EXCERPT_CHARS = 160

Format = Literal["dump", "registry_csv", "own_csv"]

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y.%m.%d", "%d/%m/%Y", "%Y/%m/%d")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SPLIT_MULTI = re.compile(r"\s*\|\s*")
_HOST_RE = re.compile(r"^(\*\.)?[^\s/:@]+\.[^\s/:@]+$|^[^\s/:@.]+$")
_TG_RE = re.compile(
    r"^(?:https?://)?(?:t\.me|telegram\.me|telegram\.dog)/(?:s/)?@?([A-Za-z][A-Za-z0-9_]{3,31})/?$", re.I
)


@dataclass(slots=True, frozen=True)
class RegistryRowError:
    """A row that could not be turned into entries; the import goes on without it."""

    line: int
    reason: str
    raw: str


def entry_key(entry: RegistryEntry) -> str:
    """A stable identity for an entry, so that importing the same registry twice is idempotent.

    The resource is normalised (case, ``www.``, trailing slash) so that cosmetic differences
    between two dumps of the same decision do not create a second entry.
    """
    parts = (
        entry.kind,
        normalise_resource(entry.resource, entry.kind),
        entry.authority.strip(),
        entry.decision_number.strip(),
        entry.decision_date.strip(),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def parse_registry(path: Path) -> Iterator[RegistryEntry | RegistryRowError]:
    """Stream entries (and row errors) from a registry file of any supported shape.

    Raises :class:`RegistryError` only when the file as a whole cannot be read: missing, empty,
    undecodable, or of an unknown shape.
    """
    path = Path(path)
    try:
        fh = path.open("rb")
    except OSError as e:
        raise RegistryError(f"cannot open registry file: {e.strerror}", path=path) from e
    with fh:
        sample = fh.read(SAMPLE_BYTES)
        if not sample.strip():
            raise RegistryError("registry file is empty", path=path)
        encoding, bom = _detect_encoding(sample, path)
        first = _decode_line(sample.split(b"\n", 1)[0], encoding).lstrip("\ufeff").strip()
        fmt = _detect_format(first, path)
        fh.seek(bom)
        yield from _parse_stream(fh, fmt, encoding, path)


def _detect_encoding(sample: bytes, path: Path) -> tuple[str, int]:
    """The encoding of the file and the length of its byte-order mark."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RegistryError("UTF-16 registry files are not supported; save as UTF-8 or cp1251", path=path)
    if b"\x00" in sample:
        raise RegistryError("registry file looks binary (NUL bytes in the first 64 KiB)", path=path)
    # The sample may end inside a multi-byte character: decode incrementally without finishing.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8", 0
    except UnicodeDecodeError:
        pass
    if sample.lstrip().lower().startswith(b"updated:"):
        return "cp1251", 0  # the public dump's own encoding
    best = from_bytes(sample, cp_isolation=["cp1251", "koi8_r", "cp866", "mac_cyrillic", "latin_1"]).best()
    if best is None or best.encoding is None:
        raise RegistryError("cannot detect the registry file's text encoding (not UTF-8, not cp1251)", path=path)
    return best.encoding, 0


def _decode_line(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="strict").rstrip("\r\n")


def _detect_format(first: str, path: Path) -> Format:
    low = first.lower()
    if low.startswith("updated:"):
        return "dump"
    header = {c.strip().strip('"').lower() for c in re.split(r"[,;\t]", low)}
    if {"resource", "kind"} <= header or ("resource" in header and "decision_number" in header):
        return "own_csv"
    if {"domain", "url"} <= header:
        return "registry_csv"
    raise RegistryError(
        f"unknown registry format: first line {first[:80]!r} is neither 'Updated: ...' nor a header "
        "with domain,url or resource,kind columns",
        path=path,
        line=1,
    )


def _lines(fh: BinaryIO, encoding: str) -> Iterator[tuple[int, str | None, bytes, str]]:
    """(line number, decoded text or None, raw bytes or an excerpt, reason when text is None)."""
    lineno = 0
    while True:
        raw = fh.readline(MAX_LINE_BYTES)
        if not raw:
            return
        lineno += 1
        if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
            # Drain the rest of the over-long line in bounded pieces.
            while True:
                more = fh.readline(MAX_LINE_BYTES)
                if not more or more.endswith(b"\n"):
                    break
            yield lineno, None, raw[:EXCERPT_CHARS], f"line longer than {MAX_LINE_BYTES} bytes"
            continue
        try:
            text = _decode_line(raw, encoding)
        except UnicodeDecodeError:
            yield lineno, None, raw[:EXCERPT_CHARS], f"undecodable as {encoding}"
            continue
        yield lineno, text, raw, ""


def _parse_stream(fh: BinaryIO, fmt: Format, encoding: str, path: Path) -> Iterator[RegistryEntry | RegistryRowError]:
    lines = _lines(fh, encoding)
    header: list[str] = []
    delimiter = ","
    for lineno, text, raw, reason in lines:
        if text is None:
            yield RegistryRowError(lineno, reason, raw[:EXCERPT_CHARS].decode(encoding, "replace"))
            continue
        if lineno == 1:
            if fmt != "dump":
                delimiter = max((",", ";", "\t"), key=text.count)
                header = [
                    c.strip().strip('"').lstrip("\ufeff").lower() for c in next(csv.reader([text], delimiter=delimiter))
                ]
            continue
        if not text.strip():
            continue
        try:
            if fmt == "dump":
                yield from _dump_row(text, lineno)
            else:
                cells = _csv_cells(text, delimiter)
                if len(cells) > len(header) and fmt == "registry_csv":
                    raise _RowProblem(f"{len(cells)} cells for {len(header)} columns")
                row = dict(zip(header, cells, strict=False))
                if fmt == "registry_csv":
                    yield from _registry_row(row, lineno)
                else:
                    yield _own_row(row, lineno)
        except _RowProblem as e:
            yield RegistryRowError(lineno, str(e), text[:EXCERPT_CHARS])


class _RowProblem(ValueError):
    pass


def _csv_cells(text: str, delimiter: str) -> list[str]:
    try:
        return [c.strip() for c in next(csv.reader([text], delimiter=delimiter, strict=True))]
    except (csv.Error, StopIteration) as e:
        raise _RowProblem(f"malformed CSV: {e}") from e


def _unquote(cell: str) -> str:
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] == '"':
        cell = cell[1:-1].replace('""', '"')
    return cell.strip()


def _dump_row(text: str, lineno: int) -> Iterator[RegistryEntry]:
    cells = text.split(";")
    if len(cells) < 6:
        raise _RowProblem(f"expected 6 semicolon-separated fields, got {len(cells)}")
    # A URL may itself contain ';' (and its quoting may be broken): the first two and the last
    # three fields are fixed, whatever is between them is the URL column.
    ips, domain = _unquote(cells[0]), _unquote(cells[1])
    org, number, when = (_unquote(c) for c in cells[-3:])
    url = _unquote(";".join(cells[2:-3]))
    yield from _entries_from_registry_columns(ips, domain, url, org, number, when, "", lineno)


def _registry_row(row: dict[str, str], lineno: int) -> Iterator[RegistryEntry]:
    note = row.get("category") or row.get("category_note") or ""
    first_word = re.split(r"[\s(,;]", note.strip(), maxsplit=1)[0].lower() if note.strip() else ""
    category = first_word if first_word in LABELS else note.strip()[:100]
    yield from _entries_from_registry_columns(
        row.get("ip", ""),
        row.get("domain", ""),
        row.get("url", ""),
        row.get("org", "") or row.get("authority", ""),
        row.get("decision_number", ""),
        row.get("decision_date", ""),
        category,
        lineno,
    )


def _entries_from_registry_columns(
    ips: str, domain: str, urls: str, org: str, number: str, when: str, category: str, lineno: int
) -> Iterator[RegistryEntry]:
    decided = _iso_date(when)
    made: list[RegistryEntry] = []

    def entry(resource: str, kind: Kind) -> RegistryEntry:
        return RegistryEntry(
            resource=resource,
            kind=kind,
            authority=org,
            decision_number=number,
            decision_date=decided,
            category=category,
            source_line=lineno,
        )

    url_list = [u for u in _SPLIT_MULTI.split(urls.strip()) if u]
    for url in url_list:
        if not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", url, re.I):
            raise _RowProblem(f"not a URL: {url[:80]!r}")
        made.append(entry(url, _url_kind(url)))
    domain = domain.strip().lower().rstrip(".")
    if domain and not url_list:
        if not _HOST_RE.match(domain):
            raise _RowProblem(f"not a domain: {domain[:80]!r}")
        made.append(entry(domain, "subdomains" if domain.startswith("*.") else "domain"))
    for ip in (i for i in _SPLIT_MULTI.split(ips.strip()) if i):
        made.append(entry(_checked_ip(ip), "ip"))
    if not made:
        raise _RowProblem("no IP, domain or URL in the row")
    yield from made


def _own_row(row: dict[str, str], lineno: int) -> RegistryEntry:
    resource = row.get("resource", "").strip()
    if not resource:
        raise _RowProblem("empty resource")
    kind = row.get("kind", "").strip().lower() or _infer_kind(resource)
    if kind not in KINDS:
        raise _RowProblem(f"unknown kind {kind!r} (expected one of {', '.join(sorted(KINDS))})")
    if kind == "ip":
        resource = _checked_ip(resource)
    elif kind == "channel":
        m = _TG_RE.match(resource)
        if not m:
            raise _RowProblem(f"not a Telegram channel: {resource[:80]!r}")
        resource = f"t.me/{m.group(1).lower()}"
    elif kind in ("domain", "subdomains"):
        resource = resource.lower().rstrip(".")
        if kind == "subdomains" and not resource.startswith("*."):
            resource = "*." + resource
        if not _HOST_RE.match(resource):
            raise _RowProblem(f"not a domain: {resource[:80]!r}")
    return RegistryEntry(
        resource=resource,
        kind=cast(Kind, kind),
        authority=row.get("authority", "").strip(),
        decision_number=row.get("decision_number", "").strip(),
        decision_date=_iso_date(row.get("decision_date", "")),
        legal_basis=row.get("legal_basis", "").strip(),
        category=row.get("category", "").strip(),
        source_line=lineno,
    )


def _infer_kind(resource: str) -> Kind:
    if _TG_RE.match(resource):
        return "channel"
    try:
        ipaddress.ip_network(resource, strict=False)
        return "ip"
    except ValueError:
        pass
    if resource.startswith("*."):
        return "subdomains"
    if "://" in resource or "/" in resource:
        return "url"
    return "domain"


def _url_kind(url: str) -> Kind:
    return "channel" if _TG_RE.match(url) else "url"


@lru_cache(maxsize=65536)  # the same CDN and hosting addresses recur across many rows
def _checked_ip(text: str) -> str:
    """An address or a network (``10.0.0.0/8``) in canonical text form."""
    text = text.strip()
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=False))
        return str(ipaddress.ip_address(text))
    except ValueError as e:
        raise _RowProblem(f"not an IP address: {text[:60]!r}") from e


@lru_cache(maxsize=8192)  # a few thousand distinct decision dates cover a whole registry
def _iso_date(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    head = text.split("T")[0].split(" ")[0]
    if _ISO_DAY.fullmatch(head):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(head).isoformat()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(head, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return date.fromisoformat(head).isoformat()
    except ValueError as e:
        raise _RowProblem(f"unreadable decision date {text[:40]!r}") from e


def manual_entry(
    resource: str,
    kind: str | None,
    authority: str,
    decision_number: str,
    decision_date: str,
    legal_basis: str = "",
    category: str = "",
) -> RegistryEntry:
    """One entry typed in by an analyst, checked like a row of our CSV; a decision is required."""
    missing = [
        name
        for name, value in (("authority", authority), ("decision number", decision_number), ("date", decision_date))
        if not value.strip()
    ]
    if missing:
        raise RegistryError(f"a manual entry needs the decision's {', '.join(missing)}")
    entry = own_entry(resource, kind, authority, decision_number, decision_date, legal_basis, category)
    if not entry.decision_date:
        raise RegistryError(f"not a date: {decision_date!r}")
    return entry


def own_entry(resource: str, kind: str | None = None, *fields: str) -> RegistryEntry:
    """A resource checked and normalised as in our CSV (kind inferred when None); ``fields``
    are authority, decision number, date, legal basis and category, all optional."""
    names = ("authority", "decision_number", "decision_date", "legal_basis", "category")
    row = {"resource": resource, "kind": kind or "", **dict(zip(names, fields, strict=False))}
    try:
        return _own_row(row, 0)
    except _RowProblem as e:
        raise RegistryError(f"bad resource: {e}") from e
