"""Scope and trap limits, new-domain scoring, config values."""

from __future__ import annotations

import json

import pytest

from kuzet.errors import ConfigError
from kuzet.sources.connectors import parse_interval
from kuzet.sources.newdomains import NameScorer, edit_distance, parse_domain_lines
from kuzet.sources.politeness import retry_after_seconds
from kuzet.sources.scope import Scope


def test_scope_limits_host_prefix_depth_and_traps() -> None:
    sc = Scope(host="site.kz", prefix="/news/", max_depth=2)
    assert sc.reject_reason("https://site.kz/news/a.html", 1) is None
    assert sc.reject_reason("https://other.kz/news/a.html", 1) == "off_host"
    assert sc.reject_reason("https://m.site.kz/news/a.html", 1) == "off_host"
    assert Scope(host="site.kz", include_subdomains=True).reject_reason("https://m.site.kz/x", 1) is None
    assert sc.reject_reason("https://site.kz/about", 1) == "off_prefix"
    assert sc.reject_reason("https://site.kz/news/a.html", 3) == "too_deep"
    assert sc.reject_reason("https://site.kz/news/file.PDF", 1) == "binary_link"
    assert sc.reject_reason("mailto:x@site.kz", 1) == "not_http"
    assert sc.reject_reason("https://site.kz/news/" + "a" * 2000, 1) == "url_too_long"
    assert sc.reject_reason("https://site.kz/news/x/y/x/y/x", 1) == "repeated_segments"
    assert sc.reject_reason("https://site.kz/news/" + "/".join(f"s{i}" for i in range(20)), 1) == "too_many_segments"
    assert sc.reject_reason("https://site.kz/news/?" + "&".join(f"k{i}=1" for i in range(9)), 1) == "too_many_params"
    assert Scope.from_dict({**sc.as_dict(), "unknown": 1}) == sc


@pytest.mark.parametrize(
    "name",
    ["vulkan-royal7.top", "azino777-official.com", "brand-mirror17.top", "super-casino.kz", "hyip-profit.biz"],
)
def test_suspicious_names_score_high(name: str) -> None:
    assert NameScorer().score(name).score >= 0.5, NameScorer().score(name)


@pytest.mark.parametrize("name", ["kofe-alatau.kz", "mektep17.edu.kz", "gov.kz", "weather-almaty.kz"])
def test_ordinary_names_score_low(name: str) -> None:
    assert NameScorer().score(name).score < 0.5, NameScorer().score(name)


def test_lookalikes_of_licensed_brands() -> None:
    scorer = NameScorer(brands=["tulparbet.kz", "kaspi"])
    s = scorer.score("tulpar-bct.com")
    assert any(r.startswith("lookalike:tulparbet") for r in s.reasons)
    assert any(r.startswith("lookalike") for r in scorer.score("kaspl.kz").reasons)
    assert not any(r.startswith("lookalike") for r in scorer.score("tulparbet.kz").reasons)  # the brand itself
    assert edit_distance("kaspi", "kaspl") == 1
    assert edit_distance("abc", "xyzxyz") == 3  # capped


def test_domain_lines_plain_and_certstream() -> None:
    lines = [
        "# newly registered 2026-11-29",
        "vulkan-royal7.top",
        "not a domain",
        json.dumps({"data": {"leaf_cert": {"all_domains": ["*.azino777.bet", "www.azino777.bet"]}}}),
        json.dumps({"domain": "kofe.kz"}),
        "{broken json",
        "",
    ]
    got = list(parse_domain_lines(lines))
    assert got == ["vulkan-royal7.top", "azino777.bet", "www.azino777.bet", "kofe.kz"]
    picked = [d.domain for d in NameScorer().suspicious(got)]
    assert picked == ["vulkan-royal7.top", "azino777.bet"]  # one entry per registrable domain


def test_intervals_and_retry_after() -> None:
    assert parse_interval("30m", 1) == 1800
    assert parse_interval("1d", 1) == 86400
    assert parse_interval(None, 5) == 5
    assert parse_interval(90, 5) == 90
    with pytest.raises(ConfigError):
        parse_interval("soon", 5)
    assert retry_after_seconds("3", 1) == 3
    assert retry_after_seconds(None, 1.5) == 1.5
    assert retry_after_seconds("garbage", 2) == 2
    assert 0 <= retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 9) == 0  # a date in the past: now
