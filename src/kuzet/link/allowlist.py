"""The allow-list: licensed operators and official sources whose findings are not routed.

A licensed bookmaker's site talks about bets and bonuses, a bank's about deposits and rates,
and news about pyramids: the detector may flag them, but the agency does not act on them.
Each entry names a resource, why it is allowed and a category (``licensed_operator``,
``bank``, ``media``, ``official``, ``other``); triage reads the match and proposes no route,
with the entry's reason as the justification shown to the analyst.

Entries match like registry entries (``kuzet.link.registry_match``), except that a bare domain
covers its subdomains too (``halykbank.kz`` allows ``online.halykbank.kz``): an operator's
licence covers its own hosts. ``https://site/path`` allows that path and below; ``t.me/NAME``
a channel.

Files for ``kuzet allowlist import``: UTF-8 CSV with a header naming ``resource`` and
optionally ``category``, ``reason``, ``kind``; or plain text, one resource a line, optionally
followed by a category and a reason (``#`` starts a comment).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from kuzet.errors import RegistryError
from kuzet.link.registry_match import RegistryMatcher
from kuzet.link.registry_parse import RegistryRowError, own_entry
from kuzet.records import ALLOW_CATEGORIES, RegistryEntry

CATEGORIES = ALLOW_CATEGORIES
MAX_LINE_CHARS = 4096
MAX_REASON_CHARS = 1000


@dataclass(frozen=True, slots=True)
class AllowEntry:
    resource: str  # normalised: "host", "*.host", URL or "t.me/name"
    kind: str  # subdomains | domain | url | channel
    category: str
    reason: str = ""
    source_line: int | None = None

    def describe(self) -> str:
        """What triage shows: "allow-list (bank): halykbank.kz — licensed by the ARDFM"."""
        text = f"allow-list ({self.category}): {self.resource}"
        return f"{text} — {self.reason}" if self.reason else text


def allow_entry(resource: str, category: str = "other", reason: str = "", kind: str | None = None) -> AllowEntry:
    """One checked entry; raises RegistryError naming what is wrong."""
    category = (category or "other").strip().lower()
    if category not in CATEGORIES:
        raise RegistryError(f"unknown allow-list category {category!r} (expected one of {', '.join(CATEGORIES)})")
    resource = resource.strip()
    if not resource:
        raise RegistryError("empty resource")
    if kind == "ip":
        raise RegistryError("an IP address cannot be allow-listed: shared hosting serves unrelated sites")
    entry = own_entry(resource, kind)
    if entry.kind == "ip":
        raise RegistryError("an IP address cannot be allow-listed: shared hosting serves unrelated sites")
    resolved_kind = "subdomains" if entry.kind == "domain" and kind is None else entry.kind
    value = entry.resource
    if resolved_kind in ("domain", "subdomains") and not _valid_host(value.removeprefix("*.")):
        raise RegistryError(f"not a domain name: {resource[:80]!r}")
    if resolved_kind == "subdomains" and not value.startswith("*."):
        value = "*." + value
    return AllowEntry(value, resolved_kind, category, reason.strip()[:MAX_REASON_CHARS])


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def _valid_host(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return len(labels) >= 2 and all(_HOST_LABEL.fullmatch(label) for label in labels)


class AllowList:
    """``match(url)``: the first entry covering ``url``, or None."""

    def __init__(self, entries: Iterable[AllowEntry]) -> None:
        self.entries = list(entries)
        self._as_registry = [
            RegistryEntry(resource=e.resource, kind=e.kind, decision_number=str(i))  # type: ignore[arg-type]
            for i, e in enumerate(self.entries)
        ]
        self._matcher = RegistryMatcher(self._as_registry)

    def match(self, url: str) -> AllowEntry | None:
        target = url if "://" in url or url.startswith("t.me/") else f"http://{url}"
        hits = self._matcher.match(target)
        return self.entries[int(hits[0].decision_number)] if hits else None


def parse_allowlist(path: Path) -> Iterator[AllowEntry | RegistryRowError]:
    """Entries and bad rows (with line numbers) of an allow-list file, streamed."""
    try:
        fh = Path(path).open(encoding="utf-8-sig", errors="replace", newline="")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        raise RegistryError(f"cannot read allow-list {path}: {e}") from e
    with fh:
        first = fh.readline(MAX_LINE_CHARS)
        header = [c.strip().lower() for c in next(csv.reader([first]), [])]
        if "resource" in header:
            yield from _csv_rows(fh, header)
        else:
            yield from _plain_rows(first, fh)


def _lines(first: str, fh: TextIO) -> Iterator[tuple[int, str, bool]]:
    """``(line number, line, too long)``; an over-long line is drained, not kept."""
    lineno = 0
    line = first
    while line:
        lineno += 1
        too_long = len(line) >= MAX_LINE_CHARS and not line.endswith("\n")
        while too_long and (rest := fh.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
            pass
        yield lineno, line, too_long
        line = fh.readline(MAX_LINE_CHARS)


def _csv_rows(fh: TextIO, header: list[str]) -> Iterator[AllowEntry | RegistryRowError]:
    lines = _lines(fh.readline(MAX_LINE_CHARS), fh)
    for lineno, line, too_long in lines:
        if not line.strip() and not too_long:
            continue
        cells = next(csv.reader([line]), [])
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        resource, category, reason = row.get("resource", ""), row.get("category", ""), row.get("reason", "")
        yield _entry_or_error(lineno + 1, line, too_long, resource, category, reason, row.get("kind") or None)


def _plain_rows(first: str, fh: TextIO) -> Iterator[AllowEntry | RegistryRowError]:
    for lineno, line, too_long in _lines(first, fh):
        text = line.split("#", 1)[0].strip()
        if not text and not too_long:
            continue
        parts = text.split(None, 2) or [""]
        category = parts[1] if len(parts) > 1 else "other"
        reason = parts[2] if len(parts) > 2 else ""
        yield _entry_or_error(lineno, line, too_long, parts[0], category, reason, None)


def _entry_or_error(
    lineno: int, line: str, too_long: bool, resource: str, category: str, reason: str, kind: str | None
) -> AllowEntry | RegistryRowError:
    if too_long:
        return RegistryRowError(lineno, f"line longer than {MAX_LINE_CHARS} characters", line[:160])
    try:
        entry = allow_entry(resource, category or "other", reason, kind)
    except RegistryError as e:
        return RegistryRowError(lineno, str(e), line.strip()[:160])
    return AllowEntry(entry.resource, entry.kind, entry.category, entry.reason, lineno)
