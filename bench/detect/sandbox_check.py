"""Classify every sandbox page, Telegram post and feed item and compare with the answer key.

    .venv/bin/python bench/detect/sandbox_check.py

Page text is the HTML body text (title apart); items whose text is only in an image are
reported separately (they need OCR, which the pipeline supplies as ``image_text``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree

from selectolax.lexbor import LexborHTMLParser

from kuzet.detect import Detector

SANDBOX = Path(__file__).resolve().parents[2] / "src" / "kuzet" / "sandbox"


def page_text(host: str, path: str) -> tuple[str, str, str]:
    rel = path.lstrip("/") or "index.html"
    if rel.endswith("/"):
        rel += "index.html"
    html = (SANDBOX / "sites" / host / rel).read_text(encoding="utf-8", errors="replace")
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript"):
        node.decompose()
    title = tree.css_first("title")
    body = tree.body
    return (body.text(separator="\n") if body else ""), (title.text() if title else ""), html


def feed_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    for rss in (SANDBOX / "sites").glob("*/rss.xml"):
        root = ElementTree.parse(rss).getroot()  # noqa: S314 - our own committed fixture
        for item in root.iter("item"):
            guid = (item.findtext("guid") or "").strip()
            text = " ".join(filter(None, (item.findtext("title"), item.findtext("description"))))
            out[guid] = LexborHTMLParser(f"<p>{text}</p>").text()
    return out


def main() -> int:
    key = json.loads((SANDBOX / "answer_key.json").read_text(encoding="utf-8"))
    det = Detector.default()
    posts = {}
    for f in (SANDBOX / "telegram").glob("*.json"):
        channel = json.loads(f.read_text(encoding="utf-8"))
        for p in channel["posts"]:
            posts[f"{f.stem}/{p['id']}"] = p.get("text", "")
    feeds = feed_texts()
    wrong, image_only, n = [], [], 0
    for item in key["items"]:
        if item["kind"] == "page":
            text, title, html = page_text(item["host"], item["path"])
            v = det.detect(text, title=title, html=html)
        elif item["kind"] == "telegram_post":
            v = det.detect(posts.get(item["post_id"], ""))
        else:
            v = det.detect(feeds.get(item["guid"], ""))
        n += 1
        if v.label != item["label"]:
            row = (item["url_path"], item["label"], v.label, v.score)
            (image_only if item.get("text_only_in_image") else wrong).append(row)
    print(json.dumps({"items": n, "wrong": len(wrong), "image_only_wrong": len(image_only)}))
    for row in wrong:
        print("WRONG", *row)
    for row in image_only:
        print("NEEDS OCR", *row)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
