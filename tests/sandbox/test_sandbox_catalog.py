from __future__ import annotations

from collections import Counter

from selectolax.lexbor import LexborHTMLParser

from kuzet.records import LABELS, Route
from kuzet.sandbox import catalog
from kuzet.sandbox.tools import make_answer_key
from kuzet.sandbox.tools.make_answer_key import page_file

FIELDS = {"url_path", "kind", "label", "hard_negative", "lang", "network", "indicators", "in_registry",
          "text_only_in_image", "expected_route", "resource_key"}  # fmt: skip


def items() -> list[dict]:
    return catalog.answer_key()["items"]


def test_committed_key_matches_its_builder() -> None:
    # Regenerate with `python -m kuzet.sandbox.tools.make_answer_key` after changing content.
    assert make_answer_key.build() == catalog.answer_key()


def test_every_item_has_the_documented_fields() -> None:
    routes = {r.value for r in Route}
    for item in items():
        assert set(item) >= FIELDS, item["url_path"]
        assert item["kind"] in {"page", "telegram_post", "feed_item"}
        assert item["label"] in LABELS
        assert item["lang"] in {"ru", "kk", "en", "mixed"}
        assert item["expected_route"] in routes
        if item["kind"] == "telegram_post":
            assert item["post_id"] and item["resource_key"] == f"t.me/{item['channel']}"
        for ind in item["indicators"]:
            assert ind["kind"] in catalog.answer_key()["indicator_kinds"]
            assert ind["where"] in {"text", "image", "qr"}


def test_routes_follow_the_documented_rule() -> None:
    registry_networks = {i["network"] for i in items() if i["in_registry"]}
    assert registry_networks == {"vulkan-royal"}
    for item in items():
        route = item["expected_route"]
        if item["label"] == "benign":
            assert route == "none", item["url_path"]
            continue
        assert route != "none", item["url_path"]
        if item["kind"] == "page" and (item["in_registry"] or item["network"] in registry_networks):
            assert route == "blocking", item["url_path"]
        if item["label"] == "pyramid":
            assert route == "criminal", item["url_path"]
    routes = Counter(i["expected_route"] for i in items())
    assert routes["blocking"] and routes["criminal"] and routes["administrative"] and routes["none"]


def test_coverage_of_kinds_languages_and_hard_negatives() -> None:
    pages = [i for i in items() if i["kind"] == "page"]
    assert len(pages) >= 40
    langs = Counter(p["lang"] for p in pages)
    assert langs["ru"] and langs["kk"] >= 5 and langs["en"] >= 4
    labels = Counter(p["label"] for p in pages)
    assert all(labels[label] for label in LABELS)
    hard = [p for p in pages if p["hard_negative"]]
    assert len(hard) >= 10 and all(p["label"] == "benign" for p in hard)
    # A Kazakh mirror, an unlisted mirror, and Kazakh-language violations exist.
    vr = [p for p in pages if p["network"] == "vulkan-royal"]
    assert any(p["lang"] == "kk" for p in vr)
    assert any(not p["in_registry"] and p["path"] == "/" for p in vr)
    assert any(p["lang"] == "kk" and p["label"] == "pyramid" for p in pages)
    feed = [i for i in items() if i["kind"] == "feed_item"]
    assert Counter(i["label"] for i in feed) == Counter({"benign": 5, "pyramid": 1})


def test_image_only_page_has_no_violation_text() -> None:
    only = [i for i in items() if i["text_only_in_image"]]
    assert len(only) == 1
    page = only[0]
    assert page["label"] == "gambling"
    assert {ind["where"] for ind in page["indicators"]} == {"image", "qr"}
    html = page_file(page["host"], page["path"]).read_text(encoding="utf-8")
    text = (LexborHTMLParser(html).body.text() or "").lower()  # type: ignore[union-attr]
    for word in ("казино", "бонус", "vulkan", "промокод", "зеркало", "fs", "usdt", "ставк"):
        assert word not in text and word not in html.lower()


def test_shared_vocabulary_between_violations_and_hard_negatives() -> None:
    def text_of(item: dict) -> str:
        return page_file(item["host"], item["path"]).read_text(encoding="utf-8").lower()

    hard = " ".join(text_of(p) for p in items() if p["kind"] == "page" and p["hard_negative"])
    for word in ("казино", "пирамид", "ставк", "депозит", "доход", "в день", "зеркал", "usdt"):
        assert word in hard, word


def test_seeds_cover_sites_channels_and_feed() -> None:
    seeds = catalog.seeds()
    hosts = {s.host for s in seeds if s.kind == "website"}
    page_hosts = {i["host"] for i in items() if i["kind"] == "page"}
    assert hosts == page_hosts
    tg = {s.path for s in seeds if s.kind == "telegram"}
    assert tg == {f"/s/{c}" for c in {i["channel"] for i in items() if i["kind"] == "telegram_post"}}
    assert [s.path for s in seeds if s.kind == "feed"] == ["/rss.xml"]
