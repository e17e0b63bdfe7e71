"""Which requests the capture sends to the Python address guard: everything except requests to
the origin of a page the guard already passed, matched by an exact prefix."""

from __future__ import annotations

import re

import pytest

from kuzet.evidence.capture import _origin_prefix, _routed_pattern


@pytest.mark.parametrize(
    ("url", "prefix"),
    [
        ("http://Casino.TEST:8080/a?b", "http://casino.test:8080/"),
        ("http://casino.test:80/", "http://casino.test/"),
        ("https://casino.test:443/x", "https://casino.test/"),
        ("https://casino.test:8443", "https://casino.test:8443/"),
        ("http://[::1]:9000/", "http://[::1]:9000/"),
        ("http://казино.test/", None),  # Chromium writes it in punycode: leave it to the guard
        ("http://[::ffff:127.0.0.1]/", None),
        ("ftp://casino.test/", None),
        ("http://casino.test:99999/", None),
    ],
)
def test_origin_prefix(url: str, prefix: str | None) -> None:
    assert _origin_prefix(url) == prefix


def test_pattern_exempts_only_the_exact_origin() -> None:
    assert _routed_pattern([]) == "**/*"
    pattern = _routed_pattern(["http://casino.test:8080/", "http://casino.test:8080/other"])
    assert isinstance(pattern, re.Pattern)
    routed = [
        "http://casino.test:80801/",
        "http://casino.test:8080@evil.test/",
        "http://casino.test.evil.test:8080/",
        "https://casino.test:8080/",
        "http://10.0.0.1/",
        "http://xcasino.test:8080/",
    ]
    for url in routed:
        assert pattern.search(url), url
    assert not pattern.search("http://casino.test:8080/style.css")
    assert not pattern.search("http://casino.test:8080/")
