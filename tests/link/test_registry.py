"""Registry import (dump, registry CSV, our CSV) and matching; rows are made up."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.errors import RegistryError
from kuzet.link.registry import RegistryMatcher, RegistryRowError, entry_key, parse_registry
from kuzet.records import RegistryEntry

SHARED_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "registry_sample.csv"

DUMP_LINES = [
    "Updated: 2026-11-01 10:00:00 +0000",
    "10.1.1.1 | 10.1.1.2;kazino-primer.test;http://kazino-primer.test/;суд;2-111/25;2025-03-04",
    "10.1.1.3;stavki-primer.test;;Министерство культуры и информации;МКИ-77;05.06.2025",
    '10.1.1.4;"piramida.test";"http://piramida.test/join?ref=1;x=2";суд;2-222/25;2025-07-08',
    "10.1.1.5;*.zerkalo.test;;суд;2-333/25;2025-09-10",
    "broken row without enough fields",
    "10.1.1.6;bad-date.test;;суд;2-444/25;когда-то",
    "999.1.1.1;bad-ip.test;;суд;2-555/25;2025-01-01",
    "192.0.2.0/24;;;суд;2-666/25;2025-01-02",
    "",
    "10.1.1.7;channel.test;https://t.me/BadChannel;суд;2-777/25;2025-02-03",
]


def write_dump(tmp_path: Path) -> Path:
    path = tmp_path / "dump.csv"
    path.write_bytes("\r\n".join(DUMP_LINES).encode("cp1251"))
    return path


def entries(path: Path) -> tuple[list[RegistryEntry], list[RegistryRowError]]:
    ok: list[RegistryEntry] = []
    bad: list[RegistryRowError] = []
    for item in parse_registry(path):
        (bad if isinstance(item, RegistryRowError) else ok).append(item)  # type: ignore[arg-type]
    return ok, bad


def test_cp1251_dump_is_parsed_row_by_row(tmp_path: Path) -> None:
    ok, bad = entries(write_dump(tmp_path))
    kinds = {(e.resource, e.kind) for e in ok}
    assert ("http://kazino-primer.test/", "url") in kinds
    assert ("10.1.1.2", "ip") in kinds
    assert ("stavki-primer.test", "domain") in kinds
    assert ("*.zerkalo.test", "subdomains") in kinds
    assert ("192.0.2.0/24", "ip") in kinds
    assert ("https://t.me/BadChannel", "channel") in kinds
    # The URL column kept its ';' and lost its quotes.
    assert ("http://piramida.test/join?ref=1;x=2", "url") in kinds
    stavki = next(e for e in ok if e.resource == "stavki-primer.test")
    assert stavki.authority == "Министерство культуры и информации"
    assert stavki.decision_date == "2025-06-05"
    assert stavki.source_line == 3
    assert sorted(e.line for e in bad) == [6, 7, 8]
    assert "date" in next(e for e in bad if e.line == 7).reason
    assert "IP" in next(e for e in bad if e.line == 8).reason


def test_undecodable_line_is_a_row_error_not_a_crash(tmp_path: Path) -> None:
    # UTF-8 is detected on the first 64 KiB; a bad line further on is reported, not fatal.
    path = tmp_path / "mixed.csv"
    body = "resource,kind,authority,decision_number,decision_date,legal_basis,category\n"
    good = "".join(f"ок{i}.test,domain,МКИ,{i},2025-01-01,,\n" for i in range(3000))
    path.write_bytes(body.encode() + good.encode() + b"\xff\xfe\xfa.test,domain,,2,,,\n" + b"ok2.test,,,3,,,\n")
    ok, bad = entries(path)
    assert len(ok) == 3001 and ok[-1].resource == "ok2.test"
    assert bad[0].line == 3002 and "undecodable" in bad[0].reason


def test_registry_csv_with_header_and_provenance(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text(
        "ip,domain,url,org,decision_number,decision_date,snapshot,source,category_note\n"
        "10.2.2.1 | 10.2.2.2,bet-primer.test,http://bet-primer.test/ | http://bet-primer.test/live,суд,"
        '2-1/26,2026-01-15,x,y,"gambling (court decision)"\n'
        "10.2.2.3,whole-domain.test,,суд,2-2/26,2026-01-16,x,y,pyramid\n"
        ",,,суд,2-3/26,2026-01-17,x,y,\n"
        '10.2.2.4,"unterminated,quote.test,,суд,2-4/26,2026-01-18,x,y,\n',
        encoding="utf-8",
    )
    ok, bad = entries(path)
    urls = [e.resource for e in ok if e.kind == "url"]
    assert urls == ["http://bet-primer.test/", "http://bet-primer.test/live"]
    assert {e.category for e in ok if e.source_line == 2} == {"gambling"}
    assert any(e.kind == "domain" and e.resource == "whole-domain.test" for e in ok)
    assert [e.line for e in bad] == [4, 5]


def test_own_csv_infers_kinds_and_rejects_unknown_kind(tmp_path: Path) -> None:
    path = tmp_path / "own.csv"
    path.write_text(
        "resource,kind,authority,decision_number,decision_date,legal_basis,category\n"
        "https://t.me/s/Piramida_Chan,,МКИ,15,2026-02-01,ст. 217 УК РК,pyramid\n"
        "*.mirror.test,,МКИ,16,,,gambling\n"
        "casino.test,domain,МКИ,17,,,gambling\n"
        "casino2.test,domian,МКИ,18,,,gambling\n",
        encoding="utf-8",
    )
    ok, bad = entries(path)
    assert [(e.resource, e.kind) for e in ok] == [
        ("t.me/piramida_chan", "channel"),
        ("*.mirror.test", "subdomains"),
        ("casino.test", "domain"),
    ]
    assert ok[0].legal_basis == "ст. 217 УК РК"
    assert bad[0].line == 5 and "domian" in bad[0].reason


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"hello,world\n1,2\n", "unknown registry format"),
        (b"\x00\x01\x02binary", "binary"),
    ],
)
def test_unreadable_files_raise_registry_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(RegistryError, match=message) as info:
        list(parse_registry(path))
    assert info.value.path == str(path)


def test_missing_file_raises_registry_error(tmp_path: Path) -> None:
    with pytest.raises(RegistryError):
        list(parse_registry(tmp_path / "absent.csv"))


def test_entry_key_is_stable_across_cosmetic_differences() -> None:
    a = RegistryEntry("http://www.casino.test/slots/", "url", "суд", "2-1/26", "2026-01-01", source_line=5)
    b = RegistryEntry("https://casino.test/slots", "url", "суд", "2-1/26", "2026-01-01", source_line=99)
    c = RegistryEntry("https://casino.test/slots", "url", "суд", "2-2/26", "2026-01-01")
    assert entry_key(a) == entry_key(b) != entry_key(c)
    assert len(entry_key(a)) == 64


def test_matching_rules(tmp_path: Path) -> None:
    ok, _ = entries(write_dump(tmp_path))
    m = RegistryMatcher(ok)

    def hit(url: str) -> set[str]:
        return {e.decision_number for e in m.match(url)}

    assert hit("https://www.kazino-primer.test/any/page?x=1") == {"2-111/25"}
    assert hit("kazino-primer.test") == {"2-111/25"}
    assert hit("http://stavki-primer.test:80/") == {"МКИ-77"}
    assert hit("http://www.stavki-primer.test/a") == {"МКИ-77"}
    assert hit("http://m.stavki-primer.test/a") == set()  # a domain entry is not a subdomain mask
    assert hit("http://a.b.zerkalo.test/x") == {"2-333/25"}
    assert hit("http://zerkalo.test/") == {"2-333/25"}
    assert hit("http://notzerkalo.test/") == set()
    assert hit("https://t.me/s/badchannel/123") == {"2-777/25"}
    assert hit("t.me/BadChannel") == {"2-777/25"}
    assert hit("https://t.me/otherchannel/1") == set()
    # A query entry needs its parameters; more parameters are still the same page.
    assert hit("http://piramida.test/join?ref=1;x=2") == {"2-222/25"}
    assert hit("http://piramida.test/join?ref=1;x=2&page=3") == {"2-222/25"}
    assert hit("http://piramida.test/join") == set()
    assert m.match_ip("10.1.1.2")[0].decision_number == "2-111/25"
    assert m.match_ip("192.0.2.77")[0].decision_number == "2-666/25"
    assert m.match_ip("198.51.100.1") == [] and m.match_ip("not an ip") == []
    # IP entries never answer a URL lookup: shared hosting would make that a false match.
    assert m.match("http://10.1.1.2/") == []


def test_path_entries_cover_subpaths_on_segment_boundaries() -> None:
    m = RegistryMatcher(
        [
            RegistryEntry("http://slots.test/games/", "url", decision_number="1"),
            RegistryEntry("http://казино.test/игры", "url", decision_number="2"),
        ]
    )
    assert m.match("https://slots.test/games/roulette/1")
    assert m.match("https://slots.test/games")
    assert not m.match("https://slots.test/gamesx")
    assert not m.match("https://slots.test/")
    puny = "казино.test".encode("idna").decode()
    assert m.match(f"http://{puny}/%D0%B8%D0%B3%D1%80%D1%8B/1")  # IDN and percent-encoding


def test_matcher_handles_a_large_registry_quickly() -> None:
    import time

    rows = (RegistryEntry(f"http://site{i}.test/p/{i % 7}", "url", decision_number=str(i)) for i in range(50_000))
    m = RegistryMatcher(rows)
    start = time.perf_counter()
    for i in range(5_000):
        m.match(f"https://site{i * 9}.test/p/{(i * 9) % 7}/deeper/page")
    elapsed = time.perf_counter() - start
    assert len(m) == 50_000
    assert m.match("https://site12345.test/p/4/x")[0].decision_number == "12345"
    assert elapsed < 2.0  # ~0.2 s here; a linear scan would take minutes


@pytest.mark.skipif(not SHARED_SAMPLE.is_file(), reason="shared registry sample not present")
def test_shared_sample_betway_row_matches() -> None:
    ok, bad = entries(SHARED_SAMPLE)
    assert not bad
    hits = RegistryMatcher(ok).match("http://betway.com/any/page")
    assert [(e.decision_number, e.decision_date) for e in hits] == [("2-946/13", "2013-06-10")]


def test_cp1251_csv_without_dump_header_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes(
        "ip,domain,url,org,decision_number,decision_date\n"
        "10.0.0.1,казино.test,,Министерство культуры и информации,№ 15-р,2025-01-02\n"
        "10.0.0.2,ставки.test,http://ставки.test/линия,Суд города Алматы,2-77/25,2025-02-03\n".encode("cp1251")
    )
    ok, bad = entries(path)
    assert not bad
    assert ok[0].resource == "казино.test" and ok[0].authority == "Министерство культуры и информации"
    m = RegistryMatcher(ok)
    assert m.match("https://ставки.test/линия/футбол")[0].decision_number == "2-77/25"
    assert m.match("http://" + "казино.test".encode("idna").decode() + "/")[0].decision_number == "№ 15-р"
