"""Public Telegram channel web preview (``t.me/s/NAME``): channel info and one record per post.

Recognised by markup (``tgme_widget_message`` elements carrying ``data-post="NAME/ID"``), not by
host, so a saved copy served from a local sandbox parses the same. Post URLs are always the
canonical ``https://t.me/NAME/ID`` from ``data-post``, whatever host served the page.

Every field is optional: a post without views, date or text still yields a post (missing
values are None/empty), and a malformed ``data-post`` skips only that element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from kuzet.extract.bounds import safe_html
from kuzet.extract.textutil import absolute, css_urls, dedupe, parse_count, parse_datetime
from kuzet.extract.visible import visible_lines
from kuzet.records import Document
from kuzet.urls import resource_key, telegram_channel

_DATA_POST = re.compile(r"^([A-Za-z][A-Za-z0-9_]{3,31})/(\d{1,12})$")
MAX_POSTS = 200
MAX_LINKS = 100
MAX_IMAGES = 50
MEDIA_SELECTORS = (
    ".tgme_widget_message_photo_wrap",
    ".tgme_widget_message_video_player",
    ".tgme_widget_message_video",
    ".tgme_widget_message_roundvideo_player",
    ".tgme_widget_message_document",
    ".tgme_widget_message_voice",
    ".tgme_widget_message_sticker",
    ".tgme_widget_message_grouped_wrap",
)


def is_telegram_preview(html: str) -> bool:
    """True for t.me/s/NAME markup (cheap string test on the raw HTML)."""
    return "tgme_widget_message" in html and "data-post=" in html


@dataclass(slots=True)
class TelegramPost:
    channel: str
    post_id: str
    url: str
    text: str = ""
    published_at: datetime | None = None
    views: int | None = None
    forwarded_from: str | None = None
    forwarded_from_url: str | None = None
    author: str | None = None
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    has_media: bool = False
    link_preview: dict[str, str] = field(default_factory=dict)
    edited: bool = False


@dataclass(slots=True)
class TelegramPage:
    channel: str | None
    title: str = ""
    description: str = ""
    subscribers: int | None = None
    posts: list[TelegramPost] = field(default_factory=list)
    # The ID to pass as ?before= for older posts, from the "load more" / rel=prev link.
    next_before: int | None = None


def _text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return "\n".join(visible_lines(node))


def _first(node: LexborNode, selector: str) -> LexborNode | None:
    return node.css_first(selector)


def _channel_info(tree: LexborHTMLParser, base_url: str) -> tuple[str | None, str, str, int | None]:
    title = _text(tree.css_first(".tgme_channel_info_header_title")) or _text(tree.css_first(".tgme_header_title"))
    if not title:
        og = tree.css_first('meta[property="og:title"]')
        title = (og.attributes.get("content") or "").strip() if og else ""
    description = _text(tree.css_first(".tgme_channel_info_description"))
    subscribers = None
    for counter in tree.css(".tgme_channel_info_counter"):
        kind = _text(counter.css_first(".counter_type")).lower()
        if kind.startswith(("subscriber", "member", "подписчик", "участник")):
            subscribers = parse_count(_text(counter.css_first(".counter_value")))
            break
    if subscribers is None:
        header = tree.css_first(".tgme_header_counter")
        if header is not None:
            subscribers = parse_count(_text(header))
    name = None
    username = tree.css_first(".tgme_channel_info_header_username a")
    if username is not None:
        name = telegram_channel(absolute("https://t.me/", username.attributes.get("href")) or "")
    if name is None:
        name = telegram_channel(base_url)
    return name, title, description, subscribers


def _next_before(tree: LexborHTMLParser) -> int | None:
    prev = tree.css_first('link[rel="prev"]')
    if prev is not None:
        href = prev.attributes.get("href") or ""
        values = parse_qs(urlsplit(href).query).get("before")
        if values and values[0].isdigit():
            return int(values[0])
    for more in tree.css("a.tme_messages_more"):
        before = more.attributes.get("data-before")
        if before and before.isdigit():
            return int(before)
    return None


def _post(node: LexborNode, base_url: str) -> TelegramPost | None:
    m = _DATA_POST.match((node.attributes.get("data-post") or "").strip())
    if not m:
        return None
    channel, post_id = m.group(1), m.group(2)
    post = TelegramPost(channel=channel, post_id=post_id, url=f"https://t.me/{channel}/{post_id}")

    text_node = _first(node, ".js-message_text") or _first(node, ".tgme_widget_message_text")
    post.text = _text(text_node)
    links: list[str] = []
    if text_node is not None:
        for a in text_node.css("a[href]"):
            links.append(absolute(base_url, a.attributes.get("href")) or "")

    preview = _first(node, ".tgme_widget_message_link_preview")
    images: list[str] = []
    extra_text: list[str] = []
    if preview is not None:
        href = absolute(base_url, preview.attributes.get("href"))
        info = {"url": href or ""}
        for key, sel in (
            ("site_name", ".link_preview_site_name"),
            ("title", ".link_preview_title"),
            ("description", ".link_preview_description"),
        ):
            value = _text(_first(preview, sel))
            if value:
                info[key] = value
                if key != "site_name":
                    extra_text.append(value)
        post.link_preview = {k: v for k, v in info.items() if v}
        if href:
            links.append(href)
        for img in preview.css(".link_preview_image, .link_preview_right_image"):
            images.extend(css_urls(img.attributes.get("style")))

    # Documents, polls and service notes carry text of their own.
    for sel in (
        ".tgme_widget_message_document_title",
        ".tgme_widget_message_poll_question",
        ".tgme_widget_message_poll_option_text",
    ):
        for n in node.css(sel):
            value = _text(n)
            if value:
                extra_text.append(value)
    if extra_text:
        post.text = "\n\n".join([post.text, *extra_text]) if post.text else "\n\n".join(extra_text)

    for sel in (
        ".tgme_widget_message_photo_wrap",
        ".tgme_widget_message_video_thumb",
        ".tgme_widget_message_roundvideo_thumb",
        ".tgme_widget_message_document_thumb",
    ):
        for n in node.css(sel):
            images.extend(css_urls(n.attributes.get("style")))
    for video in node.css("video[src]"):
        links.append(absolute(base_url, video.attributes.get("src")) or "")
    post.images = dedupe([absolute(base_url, u) or "" for u in images], MAX_IMAGES)
    post.links = dedupe(links, MAX_LINKS)
    post.has_media = any(node.css_first(sel) is not None for sel in MEDIA_SELECTORS)

    views = _first(node, ".tgme_widget_message_views")
    post.views = parse_count(_text(views)) if views is not None else None
    time_node = _first(node, ".tgme_widget_message_date time") or _first(node, "time[datetime]")
    if time_node is not None:
        post.published_at = parse_datetime(time_node.attributes.get("datetime"))
    fwd = _first(node, ".tgme_widget_message_forwarded_from_name")
    if fwd is not None:
        post.forwarded_from = _text(fwd) or None
        post.forwarded_from_url = absolute(base_url, fwd.attributes.get("href"))
    author = _first(node, ".tgme_widget_message_from_author")
    post.author = _text(author) or None
    meta = _first(node, ".tgme_widget_message_meta")
    post.edited = meta is not None and "edited" in _text(meta).lower()
    return post


def parse_telegram_preview(html: str, base_url: str) -> TelegramPage:
    """Parse a channel web preview page; ``base_url`` resolves relative links (``/s/NAME?before=``)."""
    tree = LexborHTMLParser(safe_html(html))
    name, title, description, subscribers = _channel_info(tree, base_url)
    page = TelegramPage(
        channel=name, title=title, description=description, subscribers=subscribers, next_before=_next_before(tree)
    )
    seen: set[str] = set()
    for node in tree.css(".tgme_widget_message[data-post]"):
        post = _post(node, base_url)
        if post is None or post.url in seen:
            continue
        seen.add(post.url)
        page.posts.append(post)
        if len(page.posts) >= MAX_POSTS:
            break
    if page.channel is None and page.posts:
        page.channel = page.posts[0].channel.lower()
    return page


def telegram_documents(page: TelegramPage, *, snapshot_sha256: str | None = None) -> list[Document]:
    """One Document per post; channel facts ride along in each post's meta."""
    docs = []
    for post in page.posts:
        meta: dict[str, Any] = {
            "channel": post.channel,
            "channel_title": page.title,
            "subscribers": page.subscribers,
            "views": post.views,
            "forwarded_from": post.forwarded_from,
            "forwarded_from_url": post.forwarded_from_url,
            "has_media": post.has_media,
            "next_before": page.next_before,
        }
        if post.author:
            meta["author"] = post.author
        if post.link_preview:
            meta["link_preview"] = post.link_preview
        if post.edited:
            meta["edited"] = True
        docs.append(
            Document(
                url=post.url,
                kind="telegram_post",
                text=post.text,
                title=page.title,
                resource_key=resource_key(f"https://t.me/{post.channel}"),
                resource_kind="channel",
                post_id=post.post_id,
                published_at=post.published_at,
                links=post.links,
                images=post.images,
                meta=meta,
                snapshot_sha256=snapshot_sha256,
            )
        )
    return docs
