"""Allow-list entries, files and matching (made-up resources)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.errors import RegistryError
from kuzet.link.allowlist import AllowEntry, AllowList, allow_entry, parse_allowlist
from kuzet.link.registry import RegistryRowError


def test_a_bare_domain_covers_its_subdomains_but_not_look_alikes() -> None:
    al = AllowList(
        [
            allow_entry("Tulpar-Bet.test", "licensed_operator", "licence No. 17 of the Ministry of Tourism and Sports"),
            allow_entry("https://news.test/finance/", "media"),
            allow_entry("https://t.me/s/SapaBankOfficial", "bank"),
        ]
    )
    hit = al.match("https://www.tulpar-bet.test/live?x=1")
    assert hit is not None and hit.category == "licensed_operator"
    assert "licence No. 17" in hit.describe()
    assert al.match("https://m.tulpar-bet.test/") is not None
    assert al.match("https://tulpar-bet.test.evil.test/") is None
    assert al.match("https://tulpar-bet-mirror.test/") is None
    assert al.match("https://news.test/finance/pyramids-closed") is not None
    assert al.match("https://news.test/casino-ads") is None
    assert al.match("https://t.me/sapabankofficial/12") is not None
    assert al.match("t.me/other_channel") is None


@pytest.mark.parametrize(
    ("resource", "category", "message"),
    [("", "bank", "empty"), ("casino.test", "friends", "category"), ("10.0.0.1", "bank", "IP address")],
)
def test_bad_entries_are_refused(resource: str, category: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        allow_entry(resource, category)


def test_files_csv_and_plain_with_bad_rows(tmp_path: Path) -> None:
    csv_file = tmp_path / "allow.csv"
    csv_file.write_text(
        "resource,category,reason\n"
        "sapa-bank.test,bank,licensed bank\n"
        '"https://news.test/economy/",media,"news, economy"\n'
        "not a domain at all,bank,\n"
        "x.test,spaceship,\n" + "y" * 5000 + ".test,bank,too long\n" + "z.test,official,after the long line\n",
        encoding="utf-8",
    )
    items = list(parse_allowlist(csv_file))
    good = [i for i in items if isinstance(i, AllowEntry)]
    bad = [i for i in items if isinstance(i, RegistryRowError)]
    assert [(g.resource, g.category, g.source_line) for g in good] == [
        ("*.sapa-bank.test", "bank", 2),
        ("https://news.test/economy/", "media", 3),
        ("*.z.test", "official", 7),
    ]
    assert [b.line for b in bad] == [4, 5, 6]
    assert "category" in bad[1].reason and "longer" in bad[2].reason

    plain = tmp_path / "allow.txt"
    plain.write_bytes(
        b"# licensed bookmakers\ntulpar-bet.test licensed_operator licence 17\n\xff\xfe.test\nmektep.test\n"
    )
    items = list(parse_allowlist(plain))
    assert isinstance(items[0], AllowEntry) and items[0].reason == "licence 17" and items[0].source_line == 2
    assert isinstance(items[1], RegistryRowError) and items[1].line == 3
    assert isinstance(items[2], AllowEntry) and items[2].category == "other"
