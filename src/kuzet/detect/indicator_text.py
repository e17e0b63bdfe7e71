"""Run every indicator finder over one text, mask what is taken, deduplicate by (kind, value).

Finders run from the most specific shape to the least, and each span taken is blanked out (same
length, so offsets hold) before the looser finders run: a card number or an IBAN never comes
back as a phone, a ``wa.me`` number never as a phone, an e-mail's domain never as a domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from kuzet.detect.crypto_addresses import find_crypto
from kuzet.detect.indicator_banking import find_cards, find_ibans
from kuzet.detect.indicator_contacts import (
    find_bare_domains,
    find_emails,
    find_phones,
    find_telegram,
    find_urls,
    find_whatsapp,
)
from kuzet.detect.indicator_money import find_amounts, find_promo_codes, find_return_rates
from kuzet.records import Indicator, Span

# Texts longer than this are read up to here: hostile pages can be arbitrarily long and the
# identifiers that matter sit in the first megabytes.
MAX_TEXT_CHARS = 1_000_000


class _Match(Protocol):
    kind: str
    value: str
    start: int
    end: int
    detail: dict[str, Any]


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    pieces: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if end <= pos:
            continue
        start = max(start, pos)
        pieces.append(text[pos:start])
        pieces.append(" " * (end - start))
        pos = end
    if not pieces:
        return text
    pieces.append(text[pos:])
    return "".join(pieces)


class _Collector:
    def __init__(self) -> None:
        self.found: dict[tuple[str, str], Indicator] = {}

    def add(self, matches: Iterable[_Match]) -> list[tuple[int, int]]:
        """Record matches; return their spans for masking."""
        spans: list[tuple[int, int]] = []
        for m in matches:
            spans.append((m.start, m.end))
            display = getattr(m, "display", None) or m.value
            valid = getattr(m, "valid", True)
            key = (m.kind, m.value)
            old = self.found.get(key)
            # Keep the first occurrence, unless only an invalid spelling was seen so far.
            if old is None or (not old.valid and valid):
                self.found[key] = Indicator(m.kind, m.value, display, Span(m.start, m.end), valid, m.detail)
        return spans


def extract_link_indicators(url: str) -> list[Indicator]:
    """Indicators of one link target (an ``href``): the URL and its domain, Telegram and
    WhatsApp links, and wallets in payment URIs (``bitcoin:...``, ``tron:...``)."""
    out = _Collector()
    taken = out.add(find_urls(url))
    taken += out.add(find_whatsapp(url))
    out.add(find_telegram(_mask(url, taken)))
    if url[:12].lower().startswith(("bitcoin:", "ethereum:", "tron:", "ton:", "tether:", "usdt:")):
        out.add(find_crypto(url))
    return list(out.found.values())


def extract_indicators(text: str) -> list[Indicator]:
    """Every indicator in ``text``, validated, one per (kind, value), ordered by position."""
    if not text:
        return []
    text = text[:MAX_TEXT_CHARS]
    out = _Collector()

    taken = out.add(find_urls(text))
    taken += out.add(find_whatsapp(text))
    after_urls = _mask(text, taken)
    taken += out.add(find_telegram(after_urls))
    taken += out.add(find_emails(after_urls))
    taken += out.add(find_crypto(_mask(text, taken)))
    taken += out.add(find_ibans(_mask(text, taken)))
    taken += out.add(find_cards(_mask(text, taken)))
    masked = _mask(text, taken)
    out.add(find_phones(masked))
    out.add(find_bare_domains(masked))

    out.add(find_amounts(text))
    out.add(find_return_rates(text))
    out.add(find_promo_codes(text))
    return sorted(out.found.values(), key=lambda i: (i.span.start if i.span else -1, i.kind))
