"""Indicators that only a page's markup carries: analytics and tag-manager IDs, site-verification
tokens, favicon links, plus everything the text finders see in the visible text and in links.

Mirror sites are redeployed from one template, so they keep the operator's Google Analytics,
Tag Manager, Yandex Metrika and Facebook pixel IDs and the same favicon long after the domain
and the wording change: these IDs link a network better than any text.

Spans of indicators found here are None: they were found in markup or in text rebuilt from it,
not at an offset of the HTML string. ``detail["source"]`` says where each one was found.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import mmh3
import phonenumbers
from selectolax.lexbor import LexborHTMLParser

from kuzet.detect.indicator_text import extract_indicators, extract_link_indicators
from kuzet.records import Indicator
from kuzet.urls import registrable_domain

MAX_HTML_CHARS = 5_000_000
MAX_LINKS = 5000

# (kind, pattern, product). The first group, when present, is the ID itself.
_ANALYTICS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("ga", re.compile(r"\b(UA-\d{4,10}-\d{1,4})\b"), "universal_analytics"),
    ("ga", re.compile(r"\b(G-[A-Z0-9]{6,12})\b"), "ga4"),
    ("ga", re.compile(r"\b(AW-\d{6,12})\b"), "google_ads"),
    ("gtm", re.compile(r"\b(GTM-[A-Z0-9]{4,10})\b"), "tag_manager"),
    ("adsense", re.compile(r"\b(ca-pub-\d{10,20})\b"), "adsense"),
    ("ym", re.compile(r"\bym\(\s*(\d{5,12})\s*,\s*['\"]init['\"]"), "metrika"),
    ("ym", re.compile(r"mc\.yandex\.(?:ru|com|kz|by)/watch/(\d{5,12})"), "metrika"),
    ("ym", re.compile(r"\byaCounter(\d{5,12})\b"), "metrika"),
    ("ym", re.compile(r"Ya\.Metrika2?\(\s*\{\s*id\s*:\s*(\d{5,12})"), "metrika"),
    ("fb_pixel", re.compile(r"\bfbq\(\s*['\"]init['\"]\s*,\s*['\"]?(\d{10,20})"), "facebook_pixel"),
    ("fb_pixel", re.compile(r"facebook\.com/tr/?\?(?:[^\"'\s>]{0,300}&(?:amp;)?)?id=(\d{10,20})"), "facebook_pixel"),
)
_VERIFICATION_META = {
    "google-site-verification": "google_verification",
    "yandex-verification": "yandex_verification",
    "facebook-domain-verification": "fb_verification",
}
# Attributes where trackers put their IDs (script and pixel URLs, iframes, lazy loaders).
_CODE_ATTRS = ("src", "href", "data-src", "data-href", "action")


class _Found:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Indicator] = {}

    def add(self, kind: str, value: str, display: str | None = None, **detail: Any) -> None:
        key = (kind, value)
        if key not in self.items:
            self.items[key] = Indicator(kind, value, display or value, None, True, detail)

    def merge(self, indicators: list[Indicator], source: str) -> None:
        for ind in indicators:
            key = (ind.kind, ind.value)
            if key not in self.items:
                self.items[key] = Indicator(
                    ind.kind, ind.value, ind.display, None, ind.valid, {**ind.detail, "source": source}
                )


def _scan_code(code: str, found: _Found, source: str) -> None:
    for kind, pattern, product in _ANALYTICS:
        for m in pattern.finditer(code):
            ident = m.group(1)
            detail: dict[str, Any] = {"product": product, "source": source}
            if product == "universal_analytics":
                detail["account"] = ident.rsplit("-", 1)[0]  # one account, many properties
            found.add(kind, ident, **detail)


def _tel(href: str) -> Indicator | None:
    raw = unquote(href.split(":", 1)[1]).split("?")[0].strip()
    try:
        number = phonenumbers.parse(raw, "KZ")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return Indicator(
        "phone",
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        None,
        True,
        {"region": phonenumbers.region_code_for_number(number)},
    )


def _links(tree: LexborHTMLParser, found: _Found, base_domain: str | None) -> None:
    seen: set[str] = set()
    for n, node in enumerate(tree.css("a[href], area[href]")):
        if n >= MAX_LINKS:
            break
        href = (node.attributes.get("href") or "").strip()[:2048]
        if href in seen:
            continue
        seen.add(href)
        scheme = href.split(":", 1)[0].lower() if ":" in href[:12] else ""
        if scheme == "tel":
            phone = _tel(href)
            if phone:
                found.merge([phone], "href")
        elif scheme == "mailto":
            address = unquote(href[7:]).split("?")[0]
            found.merge([ind for ind in extract_indicators(address) if ind.kind == "email"], "href")
        elif scheme in ("http", "https") or href.startswith("//"):
            url = "https:" + href if href.startswith("//") else href
            try:
                host = urlsplit(url).hostname or ""
            except ValueError:
                continue
            if base_domain and registrable_domain(host) == base_domain:
                continue  # the site's own pages: nothing that the page itself does not already say
            inds = extract_link_indicators(unquote(url))
            if not base_domain:
                # Without the page's address, own links cannot be told from outbound ones.
                inds = [ind for ind in inds if ind.kind != "url"]
            found.merge(inds, "href")
        elif scheme in ("tg", "bitcoin", "ethereum", "tron", "ton", "tether", "usdt"):
            found.merge(extract_link_indicators(href), "href")


def _favicons(tree: LexborHTMLParser, found: _Found, base_url: str | None) -> None:
    seen = False
    for node in tree.css("link[rel][href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        if not any("icon" in r for r in rel):
            continue
        href = (node.attributes.get("href") or "").strip()
        if not href or href.startswith("data:"):
            continue
        try:
            url = urljoin(base_url, href) if base_url else href
        except ValueError:  # e.g. "http://[broken" in hostile markup
            continue
        seen = True
        found.add("favicon_url", url, href, source="link", rel=" ".join(rel))
    if not seen and base_url:
        # Browsers fall back to /favicon.ico; so do the mirror-hunting tools.
        found.add("favicon_url", urljoin(base_url, "/favicon.ico"), "/favicon.ico", source="default")


def extract_html_indicators(html: str, *, base_url: str | None = None) -> list[Indicator]:
    """Analytics IDs, favicon links and all text indicators of one HTML page.

    ``base_url`` (the page's final URL) makes favicon links absolute and lets outbound links be
    told from the site's own.
    """
    if not html:
        return []
    tree = LexborHTMLParser(html[:MAX_HTML_CHARS])
    found = _Found()

    for node in tree.css("script, noscript"):
        _scan_code(node.text(deep=True) or "", found, "script")
    for attr in _CODE_ATTRS:
        for node in tree.css(f"[{attr}]"):
            value = node.attributes.get(attr) or ""
            if len(value) > 12:
                _scan_code(value, found, "attribute")
    for node in tree.css("meta[name][content]"):
        kind = _VERIFICATION_META.get((node.attributes.get("name") or "").lower())
        if kind:
            found.add(kind, (node.attributes.get("content") or "").strip(), source="meta")
    try:
        base_host = urlsplit(base_url).hostname if base_url else None
    except ValueError:
        base_url = base_host = None
    _favicons(tree, found, base_url)
    base_domain = registrable_domain(base_host) if base_host else None
    _links(tree, found, base_domain)

    # Visible text: title and description, then the body without scripts and styles.
    parts: list[str] = []
    title = tree.css_first("title")
    if title is not None:
        parts.append(title.text())
    for node in tree.css("meta[content]"):
        name = (node.attributes.get("name") or node.attributes.get("property") or "").lower()
        if name in ("description", "og:description", "og:title", "twitter:description"):
            parts.append(node.attributes.get("content") or "")
    tree.strip_tags(["script", "style", "noscript", "template", "svg"])
    body = tree.body if tree.body is not None else tree.root
    if body is not None:
        parts.append(body.text(separator="\n"))
    found.merge(extract_indicators("\n".join(parts)), "text")
    return list(found.items.values())


def favicon_hashes(raw: bytes) -> dict[str, Any]:
    """Shodan-style ``http.favicon.hash`` (MurmurHash3 of the base64 with its 76-column line
    breaks, signed 32-bit) and the SHA-256 of the bytes."""
    return {
        "mmh3": mmh3.hash(base64.encodebytes(raw)),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
    }
