"""The title read from the serialized DOM behaves like document.title."""

from __future__ import annotations

from kuzet.evidence.pagecdp import title_from_html


def test_title_from_serialized_dom() -> None:
    page = "<!DOCTYPE html><html><head><title> Казино \n  &amp; бонус </title></head>"
    assert title_from_html(page) == "Казино & бонус"
    assert title_from_html('<html><head><TITLE lang="ru">a</TITLE><title>b</title></head></html>') == "a"
    assert title_from_html("<html><head></head><body>no title</body></html>") is None
    assert title_from_html("<title></title>") == ""
