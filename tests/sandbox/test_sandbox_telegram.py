from __future__ import annotations

import re
import unicodedata

from selectolax.lexbor import LexborHTMLParser

from kuzet.sandbox import catalog, telegram

CHANNELS = ["kapper_express_kz", "goldstep_invest", "drop_work_kz", "dala_news_kz"]


def parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def posts_on(tree: LexborHTMLParser) -> list[str]:
    return [n.attributes["data-post"] or "" for n in tree.css("div.tgme_widget_message[data-post]")]


def walk_channel(web, name: str) -> list[list[str]]:
    """Follow ``<link rel="prev">`` from the newest page to the oldest, as a crawler would."""
    pages: list[list[str]] = []
    path: str | None = f"/s/{name}"
    while path is not None:
        r = web.get("t.me.test", path)
        assert r.status_code == 200, path
        tree = parse(r.text)
        pages.append(posts_on(tree))
        prev = tree.css_first('link[rel="prev"]')
        path = prev.attributes["href"] if prev is not None else None
        assert len(pages) < 10
    return pages


def test_channels_present() -> None:
    assert sorted(telegram.channels()) == sorted(CHANNELS)
    for ch in telegram.channels().values():
        assert 8 <= len(ch.posts) <= 20


def test_pagination_reaches_every_post_once(web) -> None:
    key_posts = [i for i in catalog.answer_key()["items"] if i["kind"] == "telegram_post"]
    for name in CHANNELS:
        pages = walk_channel(web, name)
        assert len(pages) >= 2
        assert all(0 < len(p) <= telegram.PAGE_SIZE for p in pages)
        seen = [pid for page in pages for pid in page]
        assert len(seen) == len(set(seen))
        expected = {i["post_id"] for i in key_posts if i["channel"] == name}
        assert set(seen) == expected
        # Newer pages come first; within a page posts run oldest to newest, as on t.me.
        ids = [[int(p.split("/")[1]) for p in page] for page in pages]
        for page in ids:
            assert page == sorted(page)
        for newer, older in zip(ids, ids[1:], strict=False):
            assert max(older) < min(newer)


def test_page_paths_in_answer_key_match_server(web) -> None:
    for item in catalog.answer_key()["items"]:
        if item["kind"] != "telegram_post":
            continue
        path = item["page_path"][len("t.me.test") :]
        assert item["post_id"] in posts_on(parse(web.get("t.me.test", path).text))


def test_markup_matches_telegram_web_preview(web) -> None:
    tree = parse(web.get("t.me.test", "/s/kapper_express_kz").text)
    info = tree.css_first("div.tgme_channel_info")
    assert info is not None
    assert info.css_first(".tgme_channel_info_header_title").text(strip=True) == "Каппер Ерік | Экспресс дня"
    assert info.css_first(".tgme_channel_info_header_username a").attributes["href"] == "https://t.me/kapper_express_kz"
    counters = {
        c.css_first(".counter_type").text(): c.css_first(".counter_value").text()
        for c in info.css(".tgme_channel_info_counter")
    }
    assert counters["subscribers"] == "18.4K"
    assert tree.css_first(".tgme_channel_info_description") is not None
    wraps = tree.css("div.tgme_widget_message_wrap")
    assert len(wraps) == len(posts_on(tree))
    for w in wraps:
        msg = w.css_first("div.tgme_widget_message")
        assert msg is not None and re.fullmatch(r"kapper_express_kz/\d+", msg.attributes["data-post"] or "")
        assert w.css_first(".tgme_widget_message_text") is not None
        assert w.css_first(".tgme_widget_message_views") is not None
        t = w.css_first("a.tgme_widget_message_date time")
        assert t is not None and re.fullmatch(r"2026-11-\d\dT\d\d:\d\d:00\+00:00", t.attributes["datetime"] or "")
    more = tree.css_first("a.tme_messages_more.js-messages_more")
    assert more is not None and more.attributes["data-before"] == "1205"
    assert tree.css_first('link[rel="prev"]').attributes["href"] == "/s/kapper_express_kz?before=1205"


def test_photos_previews_and_forwards(sandbox, web) -> None:
    newest = parse(web.get("t.me.test", "/s/kapper_express_kz").text)
    fwd = newest.css_first(".tgme_widget_message_forwarded_from a.tgme_widget_message_forwarded_from_name")
    assert fwd is not None and fwd.attributes["href"] == "https://t.me/luckysteppe_news/88"
    preview = newest.css_first("a.tgme_widget_message_link_preview")
    assert preview is not None
    assert preview.css_first(".link_preview_title").text().startswith("Vulkan Royal зеркало 12")
    older = parse(web.get("t.me.test", "/s/kapper_express_kz?before=1205").text)
    wrap = older.css_first("a.tgme_widget_message_photo_wrap")
    assert wrap is not None
    url = re.search(r"background-image:url\('([^']+)'\)", wrap.attributes["style"] or "").group(1)  # type: ignore[union-attr]
    assert url.startswith(f"http://t.me.test:{sandbox.port}/file/")
    img = web.get("t.me.test", url.split(str(sandbox.port), 1)[1])
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"


def test_obfuscated_posts_survive_rendering(web) -> None:
    html = web.get("t.me.test", "/s/kapper_express_kz").text
    tree = parse(html)
    msg = next(n for n in tree.css("div.tgme_widget_message") if n.attributes["data-post"] == "kapper_express_kz/1206")
    text = msg.css_first(".tgme_widget_message_text").text()
    assert "\u200b" in text
    word = next(w for w in text.split() if w.startswith("к") and "зин" in w)
    scripts = {unicodedata.name(c).split()[0] for c in word if c.isalpha()}
    assert scripts == {"CYRILLIC", "LATIN"}
    notes = [i for i in catalog.answer_key()["items"] if i["kind"] == "telegram_post" and "look-alike" in i["note"]]
    assert len({i["channel"] for i in notes}) >= 2


def test_mentions_and_links_are_linkified(sandbox, web) -> None:
    tree = parse(web.get("t.me.test", "/s/kapper_express_kz?before=1205").text)
    hrefs = {a.attributes.get("href") for a in tree.css(".tgme_widget_message_text a")}
    assert "https://t.me/kapper_vip_admin" in hrefs
    # Links to sandbox sites get the server's port, like links in static pages.
    assert f"http://vulkan-royal7.test:{sandbox.port}/?ref=kapper" in hrefs


def test_each_kind_of_post_and_hard_negatives() -> None:
    posts = [i for i in catalog.answer_key()["items"] if i["kind"] == "telegram_post"]
    by_channel: dict[str, set[str]] = {}
    for p in posts:
        by_channel.setdefault(p["channel"], set()).add(p["label"])
    assert "gambling" in by_channel["kapper_express_kz"]
    assert "pyramid" in by_channel["goldstep_invest"]
    assert "illegal_finance" in by_channel["drop_work_kz"]
    assert by_channel["dala_news_kz"] == {"benign"}
    assert any(p["hard_negative"] and "пирамид" in p["note"] + _text(p) for p in posts)


def _text(item: dict) -> str:
    ch = telegram.channels()[item["channel"]]
    return next(p.text for p in ch.posts if f"{ch.name}/{p.id}" == item["post_id"])


def test_unknown_channel_and_short_links(web) -> None:
    assert web.get("t.me.test", "/s/no_such_channel").status_code == 404
    r = web.get("t.me.test", "/goldstep_invest")
    assert r.status_code == 302 and r.headers["location"] == "/s/goldstep_invest"
    assert web.get("t.me.test", "/s/goldstep_invest?before=abc").status_code == 404
    after = parse(web.get("t.me.test", "/s/goldstep_invest?after=343").text)
    assert posts_on(after)[0] == "goldstep_invest/344"
