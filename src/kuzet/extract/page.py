"""An HTML page -> one Document: main text plus the visible blocks a main-text extractor drops.

Text composition (the part detection recall depends on):

1. trafilatura's main text (``favor_recall=True``, no comments) comes first: on article pages
   it is clean prose in reading order.
2. Then every visible block (menus, buttons, banners' alt text, bonus boxes, footers with
   licence claims and payment methods) whose text is not already inside the main text, in page
   order. Casino landing pages are mostly such blocks; trafilatura returns little or nothing
   for them, or only their SEO article.
   The meta description leads these blocks (when not already in the main text).
3. The whole is capped at ``MAX_TEXT_CHARS``.

``meta`` stays small: description, canonical, html_lang, nofollow/noindex, main_chars (length of
the trafilatura part, so a consumer can tell article prose from page furniture), up to 50
image alt texts keyed by image URL, and refresh_url (a meta-refresh target, also first in links).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import trafilatura
from selectolax.lexbor import LexborHTMLParser

from kuzet.extract.bounds import safe_html
from kuzet.extract.textutil import absolute, css_urls, dedupe
from kuzet.extract.visible import normalise_lines, visible_lines
from kuzet.records import Document
from kuzet.urls import resource_key

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 100_000
MAX_LINKS = 500
MAX_IMAGES = 200
MAX_ALTS = 50
SUBSTRING_MIN = 40
TRAFILATURA_MAX_CHARS = 500_000
_LANG = re.compile(r"^[A-Za-z]{2,3}")
_SPACE = re.compile(r"\s+")
_REFRESH = re.compile(r"url\s*=\s*(\S+)", re.I)


def _norm(s: str) -> str:
    return _SPACE.sub(" ", s).strip().lower()


def main_text(html: str, url: str) -> str:
    """trafilatura's main text, or "" when it finds none or fails on hostile markup."""
    try:
        # trafilatura costs up to ~4 s per MB on flat markup; the text budget is 100 KB, so the
        # first 500 K characters are plenty.
        text = trafilatura.extract(html[:TRAFILATURA_MAX_CHARS], url=url, include_comments=False, favor_recall=True)
    except Exception as e:  # noqa: BLE001 - lxml/trafilatura failures on hostile HTML are data
        log.debug("trafilatura failed on %s: %s", url, e)
        return ""
    return text or ""


def combine(main: str, blocks: list[str], limit: int = MAX_TEXT_CHARS) -> str:
    """Main text, then the visible blocks not already contained in it, within ``limit`` chars."""
    main_lines = normalise_lines(main)
    main_keys = {_norm(line) for line in main_lines}
    haystack = "\n".join(main_keys)
    seen = set()
    extra: list[str] = []
    for block in blocks:
        key = _norm(block)
        if not key or key in seen or key in main_keys:
            continue
        # A short block ("Слоты", "Бонус") found inside a sentence is still a separate menu item:
        # only longer blocks are dropped as substrings of the main text.
        if len(key) >= SUBSTRING_MIN and key in haystack:
            continue
        seen.add(key)
        extra.append(block)
    parts = main_lines + ([""] if main_lines and extra else []) + extra
    out: list[str] = []
    size = 0
    for line in parts:
        if size + len(line) + 1 > limit:
            remaining = limit - size
            if remaining > 20:
                out.append(line[:remaining])
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def _meta_content(tree: LexborHTMLParser, *selectors: str) -> str:
    for sel in selectors:
        node = tree.css_first(sel)
        if node is not None:
            value = (node.attributes.get("content") or "").strip()
            if value:
                return _SPACE.sub(" ", value)[:2000]
    return ""


def _base(tree: LexborHTMLParser, url: str) -> str:
    node = tree.css_first("base[href]")
    if node is not None:
        href = absolute(url, node.attributes.get("href"))
        if href:
            return href
    return url


def _images(tree: LexborHTMLParser, base: str) -> tuple[list[str], dict[str, str]]:
    urls: list[str] = []
    alts: dict[str, str] = {}
    for img in tree.css("img"):
        a = img.attributes
        candidates = [a.get("src"), a.get("data-src"), a.get("data-lazy-src"), a.get("data-original")]
        srcset = a.get("srcset") or a.get("data-srcset")
        if srcset:
            candidates.append(srcset.strip().split(",")[0].strip().split(" ")[0])
        alt = _SPACE.sub(" ", a.get("alt") or a.get("title") or "").strip()
        for c in candidates:
            u = absolute(base, c)
            if u:
                urls.append(u)
                if alt and len(alts) < MAX_ALTS and u not in alts:
                    alts[u] = alt[:200]
                break
    for source in tree.css("picture source[srcset]"):
        first = (source.attributes.get("srcset") or "").strip().split(",")[0].strip().split(" ")[0]
        urls.append(absolute(base, first) or "")
    for node in tree.css("[style*='url(']"):
        for u in css_urls(node.attributes.get("style")):
            urls.append(absolute(base, u) or "")
    for sel in ('meta[property="og:image"]', 'meta[name="twitter:image"]'):
        meta_node = tree.css_first(sel)
        if meta_node is not None:
            urls.append(absolute(base, meta_node.attributes.get("content")) or "")
    return dedupe(urls, MAX_IMAGES), alts


def _refresh_url(tree: LexborHTMLParser, base: str) -> str | None:
    """The target of ``<meta http-equiv="refresh" content="0; url=...">`` (mirror hops use it)."""
    for node in tree.css("meta[http-equiv]"):
        if (node.attributes.get("http-equiv") or "").lower() != "refresh":
            continue
        m = _REFRESH.search(node.attributes.get("content") or "")
        if m:
            return absolute(base, m.group(1).strip().strip("'\""))
    return None


def _links(tree: LexborHTMLParser, base: str) -> list[str]:
    out = []
    for a in tree.css("a[href], area[href]"):
        out.append(absolute(base, a.attributes.get("href")) or "")
        if len(out) > MAX_LINKS * 4:
            break
    return dedupe(out, MAX_LINKS)


def page_document(html: str, url: str, *, snapshot_sha256: str | None = None) -> Document:
    """Extract one ``page`` Document from (already decoded) HTML served at ``url``."""
    html = safe_html(html)
    tree = LexborHTMLParser(html)
    base = _base(tree, url)

    title_node = tree.css_first("title")
    title = _SPACE.sub(" ", title_node.text() if title_node is not None else "").strip()
    if not title:
        title = _meta_content(tree, 'meta[property="og:title"]')
    description = _meta_content(tree, 'meta[name="description"]', 'meta[property="og:description"]')
    html_node = tree.css_first("html")
    html_lang = (html_node.attributes.get("lang") or "").strip() if html_node is not None else ""
    m = _LANG.match(html_lang)
    lang = m.group(0).lower() if m else None
    robots = _meta_content(tree, 'meta[name="robots"]').lower()
    canonical_node = tree.css_first('link[rel="canonical"]')
    canonical = absolute(base, canonical_node.attributes.get("href")) if canonical_node is not None else None

    links = _links(tree, base)
    refresh = _refresh_url(tree, base)
    if refresh and refresh not in links:
        links.insert(0, refresh)
    images, alts = _images(tree, base)
    root = tree.body or tree.root
    blocks = visible_lines(root) if root is not None else []
    main = main_text(html, url)
    # The description is what search results show for the page; it often names the offer.
    if description:
        blocks = [description, *blocks]
    text = combine(main, blocks)

    meta: dict[str, Any] = {
        "description": description,
        "canonical": canonical,
        "html_lang": html_lang or None,
        "nofollow": "nofollow" in robots or "none" in robots,
        "noindex": "noindex" in robots or "none" in robots,
        "main_chars": len(main),
    }
    if alts:
        meta["image_alts"] = alts
    if refresh:
        meta["refresh_url"] = refresh
    return Document(
        url=url,
        kind="page",
        text=text,
        title=title[:1000],
        lang=lang,
        resource_key=resource_key(url),
        resource_kind="site",
        links=links,
        images=images,
        meta=meta,
        snapshot_sha256=snapshot_sha256,
    )
