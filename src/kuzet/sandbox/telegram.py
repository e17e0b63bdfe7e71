"""Public Telegram channel web previews (``t.me/s/NAME``) rendered in Telegram's own markup.

Channel content lives in ``telegram/<name>.json``; this module turns it into the HTML that
t.me serves: the ``tgme_channel_info`` header, one ``tgme_widget_message_wrap`` per post
(``data-post="name/ID"``, text, photo wraps, link previews, "Forwarded from", views, ``<time
datetime>``), newest page first, older pages through ``?before=ID`` with ``<link rel="prev">``
and the ``tme_messages_more`` loader, as the real site does. Links to channels and posts stay on
``https://t.me/...`` like in a real page; only pagination is relative, so it lands on the
sandbox host.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

HOST = "t.me.test"
PAGE_SIZE = 8
CHANNELS_DIR = Path(str(resources.files("kuzet.sandbox"))) / "telegram"
FILES_DIR = CHANNELS_DIR / "files"

_URL_RE = re.compile(r"https?://[^\s<>\"']+")
_MENTION_RE = re.compile(r"(?<![\w/.@])@([A-Za-z][A-Za-z0-9_]{3,31})")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*", re.S)
_HASHTAG_RE = re.compile(r"(?<![\w&#])#([0-9A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі_]+)")


@dataclass(frozen=True)
class Post:
    id: int
    date: str
    views: str
    text: str
    photo: str | None = None
    link_preview: dict[str, str] | None = None
    forwarded_from: dict[str, str] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Channel:
    name: str
    title: str
    description: str
    letter: str
    bgcolor: int
    counters: list[tuple[str, str]]
    posts: list[Post]

    @property
    def subscribers(self) -> str:
        return next((v for k, v in self.counters if k == "subscribers"), "0")

    def page(self, before: int | None) -> list[Post]:
        """The PAGE_SIZE newest posts with an id below ``before`` (all posts when None), oldest first."""
        eligible = [p for p in self.posts if before is None or p.id < before]
        return eligible[-PAGE_SIZE:]

    def pages(self) -> list[list[Post]]:
        """Every page in the order a reader scrolls back: newest first."""
        out: list[list[Post]] = []
        before: int | None = None
        while True:
            page = self.page(before)
            if not page:
                return out
            out.append(page)
            before = page[0].id


def _post_from(d: dict[str, Any]) -> Post:
    return Post(
        id=int(d["id"]),
        date=str(d["date"]),
        views=str(d.get("views", "")),
        text=str(d["text"]),
        photo=d.get("photo"),
        link_preview=d.get("link_preview"),
        forwarded_from=d.get("forwarded_from"),
        meta={k: d[k] for k in ("label", "hard_negative", "lang", "indicators", "expected_route", "note") if k in d},
    )


@lru_cache(maxsize=1)
def channels() -> dict[str, Channel]:
    out: dict[str, Channel] = {}
    for path in sorted(CHANNELS_DIR.glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        posts = sorted((_post_from(p) for p in d["posts"]), key=lambda p: p.id)
        out[d["name"].lower()] = Channel(
            name=d["name"],
            title=d["title"],
            description=d["description"],
            letter=d.get("letter", d["title"][:1]),
            bgcolor=int(d.get("bgcolor", 1)),
            counters=[(k, str(v)) for k, v in d.get("counters", {"subscribers": "0"}).items()],
            posts=posts,
        )
    return out


def _link(url: str, label: str) -> str:
    href = html.escape(url, quote=True)
    return (
        f'<a href="{href}" target="_blank" rel="noopener" '
        f"onclick=\"return confirm('Open this link?\\n\\n'+this.href);\">{label}</a>"
    )


def render_text(text: str) -> str:
    """Post text to Telegram's message HTML: links, @mentions, #hashtags, **bold**, <br/>."""
    out: list[str] = []
    pos = 0
    for m in _URL_RE.finditer(text):
        out.append(_render_plain(text[pos : m.start()]))
        url = m.group(0).rstrip(".,;:!?)")
        out.append(_link(url, html.escape(url)))
        out.append(_render_plain(m.group(0)[len(url) :]))
        pos = m.end()
    out.append(_render_plain(text[pos:]))
    return "".join(out).replace("\n", "<br/>")


def _render_plain(text: str) -> str:
    s = html.escape(text, quote=False)
    s = _BOLD_RE.sub(r"<b>\1</b>", s)
    s = _MENTION_RE.sub(lambda m: f'<a href="https://t.me/{m.group(1)}" target="_blank">@{m.group(1)}</a>', s)
    return _HASHTAG_RE.sub(lambda m: f'<a href="?q=%23{m.group(1)}">#{m.group(1)}</a>', s)


_TAIL_SVG = (
    '<i class="tgme_widget_message_bubble_tail"><svg class="bubble_icon" width="9px" height="20px" '
    'viewBox="0 0 9 20"><g fill="none"><path class="background" fill="#ffffff" d="M8,1 L9,1 L9,20 '
    'L8,20 L8,18 C7.807,15.161 7.124,12.233 5.950,9.218 C5.046,6.893 3.504,4.733 1.325,2.738 Z"></path>'
    '<path class="border_1x" fill="#d7e3ec" d="M9,1 L2,1 L9,20 Z"></path><path class="border_2x" '
    'd="M9,1 L2,1 L9,20 Z"></path><path class="border_3x" d="M9,1 L2,1 L9,20 Z"></path></g></svg></i>'
)


@lru_cache(maxsize=64)
def photo_ratio(name: str) -> float:
    """Height/width of a PNG in ``files/`` (from its IHDR), for the wrap's padding as t.me sets it."""
    head = (FILES_DIR / name).read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return 0.625
    return int.from_bytes(head[20:24], "big") / int.from_bytes(head[16:20], "big")


def _views_short(views: str) -> str:
    return html.escape(views)


def render_post(ch: Channel, p: Post, origin: str) -> str:
    name = ch.name
    esc_title = html.escape(ch.title)
    parts = [
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">',
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{name}/{p.id}">',
        f'\n  <div class="tgme_widget_message_user"><a href="https://t.me/{name}">'
        f'<i class="tgme_widget_message_user_photo bgcolor{ch.bgcolor}" data-content="{html.escape(ch.letter)}">'
        "</i></a></div>",
        '\n  <div class="tgme_widget_message_bubble">\n    ' + _TAIL_SVG,
        f'\n    <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
        f'href="https://t.me/{name}"><span dir="auto">{esc_title}</span></a></div>',
    ]
    if p.forwarded_from:
        f = p.forwarded_from
        parts.append(
            '\n    <div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;'
            f'<a class="tgme_widget_message_forwarded_from_name" href="{html.escape(f["url"], quote=True)}">'
            f'<span dir="auto">{html.escape(f["name"])}</span></a></div>'
        )
    if p.photo:
        parts.append(
            f'\n    <a class="tgme_widget_message_photo_wrap {p.id}" href="https://t.me/{name}/{p.id}" '
            f"style=\"width:640px;background-image:url('{origin}/file/{html.escape(p.photo, quote=True)}')\">"
            f'<div class="tgme_widget_message_photo" style="padding-top:{photo_ratio(p.photo) * 100:.4f}%"></div></a>'
        )
    parts.append(f'\n<div class="tgme_widget_message_text js-message_text" dir="auto">{render_text(p.text)}</div>')
    if p.link_preview:
        lp = p.link_preview
        parts.append(f'\n<a class="tgme_widget_message_link_preview" href="{html.escape(lp["url"], quote=True)}">')
        if lp.get("image"):
            parts.append(
                f'\n  <i class="link_preview_image" style="background-image:url(\'{origin}/file/'
                f"{html.escape(lp['image'], quote=True)}');padding-top:52.5%\"></i>"
            )
        for key in ("site_name", "title", "description"):
            if lp.get(key):
                extra = " accent_color" if key == "site_name" else ""
                parts.append(f'\n  <div class="link_preview_{key}{extra}" dir="auto">{html.escape(lp[key])}</div>')
        parts.append("\n</a>")
    hhmm = p.date[11:16]
    parts.append(
        '\n<div class="tgme_widget_message_footer compact js-message_footer">\n  '
        '<div class="tgme_widget_message_info short js-message_info">\n    '
        f'<span class="tgme_widget_message_views">{_views_short(p.views)}</span><span class="copyonly"> views</span>'
        f'<span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{name}/{p.id}">'
        f'<time datetime="{html.escape(p.date, quote=True)}" class="time">{hhmm}</time></a></span>\n  </div>\n</div>'
        "\n  </div>\n</div></div>"
    )
    return "".join(parts)


def render_channel(ch: Channel, before: int | None, origin: str) -> str:
    """The ``/s/NAME[?before=ID]`` page for one channel (posts oldest to newest, like t.me)."""
    posts = ch.page(before)
    name = ch.name
    title = html.escape(ch.title)
    desc_attr = html.escape(ch.description, quote=True)
    head_links = []
    more = ""
    if posts and posts[0].id > ch.posts[0].id:
        first = posts[0].id
        head_links.append(f'<link rel="prev" href="/s/{name}?before={first}">')
        more = (
            '<div class="tgme_widget_message_centered js-messages_more_wrap">'
            f'<a href="/s/{name}?before={first}" class="tme_messages_more js-messages_more" '
            f'data-before="{first}"></a></div>'
        )
    if posts and posts[-1].id < ch.posts[-1].id:
        head_links.append(f'<link rel="next" href="/s/{name}?after={posts[-1].id}">')
    if before is not None:
        head_links.append(f'<link rel="canonical" href="/s/{name}?before={before}">')
    counters = "".join(
        f'<div class="tgme_channel_info_counter"><span class="counter_value">{html.escape(v)}</span> '
        f'<span class="counter_type">{html.escape(k)}</span></div>'
        for k, v in ch.counters
    )
    description = render_text(ch.description)
    body = "".join(render_post(ch, p, origin) for p in posts)
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{title} – Telegram</title>
    <meta name="viewport"
     content="width=device-width, initial-scale=1.0, minimum-scale=1.0, maximum-scale=1.0, user-scalable=no" />
    <meta name="format-detection" content="telephone=no" />
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Telegram">
<meta property="og:description" content="{desc_attr}">
<meta property="al:android:url" content="tg://resolve?domain={name}">
<meta name="twitter:card" content="summary">
<meta name="twitter:description" content="{desc_attr}">
    {chr(10).join(head_links)}
    <link href="/css/tgme.css" rel="stylesheet" media="screen">
    <script>TBaseUrl='/';</script>
  </head>
  <body class="widget_frame_base tgme_webpreview emoji_image thin_box_shadow tme_mode no_transitions">
    <header class="tgme_header search_collapsed">
  <div class="tgme_container">
    <div class="tgme_header_search">
      <form class="tgme_header_search_form" action="/s/{name}">
        <input class="tgme_header_search_form_input js-header_search" placeholder="Search" name="q"
         autocomplete="off" value="" />
      </form>
    </div>
    <div class="tgme_header_right_column">
      <section class="tgme_right_column">
        <div class="tgme_channel_info">
          <div class="tgme_channel_info_header">
            <i class="tgme_page_photo_image bgcolor{ch.bgcolor}" data-content="{html.escape(ch.letter)}"></i>
            <div class="tgme_channel_info_header_title_wrap">
              <div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>
            </div>
            <div class="tgme_channel_info_header_username"><a href="https://t.me/{name}">@{name}</a></div>
          </div>
          <div class="tgme_channel_info_counters">{counters}</div>
          <div class="tgme_channel_info_description">{description}</div>
        </div>
      </section>
    </div>
    <div class="tgme_header_info">
      <a class="tgme_header_link" href="https://t.me/{name}">
        <div class="tgme_header_title_wrap">
          <div class="tgme_header_title"><span dir="auto">{title}</span></div>
        </div>
        <div class="tgme_header_counter">{html.escape(ch.subscribers)} subscribers</div>
      </a>
    </div>
  </div>
</header>
<main class="tgme_main" data-url="/{name}">
  <div class="tgme_container">
    <section class="tgme_channel_history js-message_history">
      {more}{body}
    </section>
  </div>
</main>
  </body>
</html>
"""


def render_after(ch: Channel, after: int, origin: str) -> str:
    """``?after=ID``: the page of posts just newer than ``after``."""
    newer = [p for p in ch.posts if p.id > after][:PAGE_SIZE]
    before = newer[-1].id + 1 if newer else None
    return render_channel(ch, before, origin)


def find_post(ch: Channel, post_id: int) -> Post | None:
    return next((p for p in ch.posts if p.id == post_id), None)


def render_post_context(ch: Channel, post_id: int, origin: str) -> str:
    """``/s/NAME/ID``: the channel preview opened at one post, as t.me serves it for a post link's
    "context" (the post with the messages around it). Which neighbours t.me picks is not
    documented; here the post sits in the middle of one page."""
    ids = [p.id for p in ch.posts]
    i = next((k for k, pid in enumerate(ids) if pid >= post_id), len(ids) - 1)
    last = min(len(ids), max(i + PAGE_SIZE // 2, PAGE_SIZE))
    return render_channel(ch, ids[last - 1] + 1, origin)


_POST_PAGE_CSS = (
    "body{background:#d6e4c8}.tgme_page_wrap{min-height:100vh}"
    ".tgme_head_wrap{background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.15)}"
    ".tgme_head{max-width:720px;margin:0 auto;display:flex;justify-content:space-between;padding:12px 16px}"
    ".tgme_head_brand{font-weight:500;font-size:18px;color:#000}"
    ".tgme_head_right_btn{background:#2481cc;color:#fff;border-radius:16px;padding:4px 14px}"
    ".tgme_page_post{max-width:720px;margin:24px auto}"
    ".tgme_page_widget iframe{display:block;width:100%;border:none;overflow:hidden;min-width:320px}"
    ".tgme_page_widget_actions{display:flex;gap:12px;margin:12px 0}"
    ".tgme_action_button{background:#fff;border-radius:18px;padding:6px 16px;box-shadow:0 1px 2px rgba(0,0,0,.15)}"
)


def render_post_page(ch: Channel, p: Post, origin: str) -> str:
    """``/NAME/ID``: the post's own page. t.me serves a ``tgme_page tgme_page_post`` shell whose
    ``tgme_page_widget`` holds the post widget (``/NAME/ID?embed=1``) in an iframe that
    telegram-widget.js creates; telegram.org is not reachable here, so the iframe is written out
    as that script would create it, and a small inline script sizes it to its content."""
    name = ch.name
    title = html.escape(ch.title)
    desc = html.escape(p.text[:300], quote=True)
    image = (
        f'\n<meta property="og:image" content="{origin}/file/{html.escape(p.photo, quote=True)}">' if p.photo else ""
    )
    return f"""<!DOCTYPE html>
<html class="">
  <head>
    <meta charset="utf-8">
    <title>Telegram: View @{name}</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0, minimum-scale=1.0, maximum-scale=1.0" />
<meta property="og:title" content="{title}">{image}
<meta property="og:site_name" content="Telegram">
<meta property="og:description" content="{desc}">
<meta property="twitter:title" content="{title}">
<meta property="twitter:description" content="{desc}">
<meta property="al:android:url" content="tg://resolve?domain={name}&post={p.id}">
<meta name="robots" content="noindex, nofollow">
    <link href="/css/tgme.css" rel="stylesheet" media="screen">
    <style>{_POST_PAGE_CSS}</style>
  </head>
  <body class="no_transition">
    <div class="tgme_page_wrap">
      <div class="tgme_head_wrap">
        <div class="tgme_head">
          <a href="//telegram.org/" class="tgme_head_brand">Telegram</a>
          <a class="tgme_head_right_btn" href="//telegram.org/dl?tme=post">Download</a>
        </div>
      </div>
      <div class="tgme_body_wrap">
        <div class="tgme_page tgme_page_post">
          <div class="tgme_page_widget">
            <iframe id="telegram-post-{name}-{p.id}" src="/{name}/{p.id}?embed=1&amp;mode=tme" width="100%" height="400"
             frameborder="0" scrolling="no" data-telegram-post="{name}/{p.id}"></iframe>
          </div>
          <div class="tgme_page_widget_actions_wrap">
            <div class="tgme_page_widget_actions">
              <a class="tgme_action_button" href="tg://resolve?domain={name}&amp;post={p.id}">View in Telegram</a>
              <a class="tgme_action_button tgme_action_context_button" href="/s/{name}/{p.id}">Context</a>
            </div>
          </div>
        </div>
      </div>
    </div>
    <script>(function () {{
      var f = document.getElementById('telegram-post-{name}-{p.id}');
      function fit() {{
        try {{ f.style.height = f.contentDocument.documentElement.scrollHeight + 'px'; }} catch (e) {{}}
      }}
      f.addEventListener('load', fit);
      fit();
    }})();</script>
  </body>
</html>
"""


def render_post_widget(ch: Channel, p: Post, origin: str) -> str:
    """``/NAME/ID?embed=1``: the post widget alone, the document inside the post page's iframe."""
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{html.escape(ch.title)} – Telegram</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0, minimum-scale=1.0, maximum-scale=1.0" />
    <base target="_blank" />
    <link href="/css/tgme.css" rel="stylesheet" media="screen">
    <style>body{{background:transparent;padding:4px 8px}}</style>
  </head>
  <body class="widget_frame_base tgme_widget body_widget_post emoji_image nodark">
    {render_post(ch, p, origin)}
  </body>
</html>
"""
