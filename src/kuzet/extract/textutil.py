"""Small parsing helpers shared by the extractors."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

_COUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([KkMmBbКкМм]?)")
_THOUSANDS = re.compile(r"(?<=\d)[\s\u00a0\u202f,](?=\d{3}\b)")
_MULT = {"": 1, "k": 1_000, "к": 1_000, "m": 1_000_000, "м": 1_000_000, "b": 1_000_000_000}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]{1,2000})\1\s*\)""", re.I)


def parse_count(text: str | None) -> int | None:
    """``"1.2K"`` -> 1200, ``"3.4M"`` -> 3400000, ``"12 345 subscribers"`` -> 12345; None if no number."""
    if not text:
        return None
    text = _THOUSANDS.sub("", text.strip())
    m = _COUNT.search(text)
    if not m:
        return None
    number, suffix = m.group(1), m.group(2).lower()
    try:
        value = float(number.replace(",", "."))
    except ValueError:
        return None
    return int(round(value * _MULT.get(suffix, 1)))


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime; None when missing or malformed."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def css_urls(style: str | None) -> list[str]:
    """URLs inside ``url(...)`` of an inline style (background images)."""
    if not style:
        return []
    return [m.group(2).strip() for m in _CSS_URL.finditer(style) if not m.group(2).strip().startswith("data:")]


def absolute(base: str, href: str | None) -> str | None:
    """An absolute http(s) URL without fragment, or None for other schemes and junk.

    ``tg://resolve?domain=NAME`` becomes ``https://t.me/NAME`` so that links from sites to
    channels are kept.
    """
    if not href:
        return None
    href = href.strip()
    if not href or len(href) > 4096:
        return None
    low = href.lower()
    if low.startswith("tg://resolve?"):
        m = re.search(r"domain=([A-Za-z0-9_]{3,64})", href)
        return f"https://t.me/{m.group(1)}" if m else None
    if low.startswith(("javascript:", "mailto:", "tel:", "data:", "#", "sms:", "about:")):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def dedupe(items: list[str], limit: int) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))[:limit]
