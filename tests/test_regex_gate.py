"""The substring gates in front of detection's regular expressions never change what matches."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Any

import pytest

from kuzet.detect.lexicon import Lexicon
from kuzet.detect.regex_gate import GatedPattern, passes, required_substrings, scan_finditer, scan_pattern


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\b\d+\s?(?:fs|фс)\b", [("fs", "фс")]),
        (r"(?<![\d+])21\s?\+", [("21",), ("+",)]),
        (r"\bx\s?\d+", [("x",)]),
        (r"(?:https?://|www\.)\S+", [("http", "www.")]),
        (r"(?:a|b\w*)c", [("c",), ("a", "b")]),
    ],
)
def test_required_substrings(pattern: str, expected: list[tuple[str, ...]]) -> None:
    assert sorted(required_substrings(pattern)) == sorted(expected)


@pytest.mark.parametrize(
    "pattern",
    [r"\d+", r"(?:ab)?c?", r"(?:foo|\d+)bar?", r"(?i)casino", r"a*", r"(a)\1", r"[^abc]x?", r"(?=abc)\w+"],
)
def test_patterns_without_a_fixed_string_get_no_or_weak_conditions(pattern: str) -> None:
    reqs = required_substrings(pattern)
    # Whatever is derived must hold for every string the pattern matches.
    for text in ["123", "c", "ab", "foo1bar", "CASINO", "", "aaa", "aa", "dx", "abc"]:
        if re.search(pattern, text):
            assert passes(reqs, text), (pattern, text, reqs)


def test_unparsable_pattern_has_no_gate() -> None:
    assert required_substrings("(unclosed") == []


def test_lexicon_patterns_find_the_same_with_and_without_gates() -> None:
    """Random texts built from the patterns' own literals and digits: gated and plain scans agree."""
    lexicon = Lexicon.load()
    rng = random.Random(7)
    pieces = ["%", "в день", "за", "x2", "21+", "ст.", "статья 217", "ук", "депозит", "от", "10", "3,5", " ", "$"]
    pieces += [s for e in lexicon.entries if e.regex is not None for req in e.gate for s in req]
    checked = 0
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for entry in lexicon.entries:
            if entry.regex is None:
                continue
            plain = [m.span() for m in entry.regex.finditer(text)]
            gated = [m.span() for m in GatedPattern(entry.regex).finditer(text)] if passes(entry.gate, text) else []
            assert plain == gated, (entry.name, text)
            checked += bool(plain)
    assert checked > 100  # the texts did exercise the patterns


def _spans(matches: Iterable[re.Match[str]]) -> list[tuple[tuple[int, int], dict[str, str | Any]]]:
    return [(m.span(), m.groupdict()) for m in matches]


def test_scan_finditer_finds_exactly_what_finditer_finds() -> None:
    """The quick scan (assertions dropped and re-checked, X+ as X X*, run starts only) gives the
    same matches, groups and order as the plain search, on every lexicon pattern and on
    patterns built to stress it, over random text dense in digits, separators and words."""
    from kuzet.detect.lexicon import Lexicon

    patterns = [e.regex for e in Lexicon.load().entries if e.regex is not None]
    patterns += [
        re.compile(p)
        for p in (
            r"\b\d+%",
            r"(?<!\d)\d{1,3}\s?%",
            r"(?P<n>\d+)(?:[.,]\d+)?\s?(?:%|руб)",
            r"a+b",
            r"a+?b",
            r"(a+)\1",  # a backreference: no run-start shortcut
            r"\bx\d{2,4}\b",
            r"(?=\d)\d+x",
            r"^\d+",
            r"\d+$",
            r"(?:ab|a)+c",
            r"(?<![\w.,])(?:\d{1,3}(?:[ .]\d{3})+|\d{1,5})\s?%",
            r"(?=\d)(?<!\d )\d+\s?руб",
            r"(?!x)\w+",
            r"(?<=в )\d+",
            r"(?<!\d)(?:\+?[78]\s?\d{3}|\+\d{5})(?!\d)",
            r"(?:a|b)?c\d",
            r"(x)?y+b",
            r"(?:https?://|www\.)\S+|\b[a-z0-9-]{2,}\.(?:com|ru)\b",
            r"(?<=\d)\s?(?:руб\.?|р)(?!\w)",
        )
    ]
    from kuzet.detect import features, indicator_contacts, indicator_money

    for module in (indicator_money, indicator_contacts, features):
        for value in vars(module).values():
            if isinstance(value, re.Pattern):
                patterns.append(value)
            elif isinstance(value, GatedPattern):
                patterns.append(value.regex)
    alphabet = list("0123456789 %.,abxyс руб\n+7-@")
    alphabet += ["в день", "% в сутки", "депозит", "ст.", "x10 к", "www.", ".com"]
    rng = random.Random(11)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(1500)]
    for regex in patterns:
        scan = scan_pattern(regex)
        for text in texts:
            assert _spans(scan_finditer(regex, scan, text)) == _spans(regex.finditer(text)), (regex.pattern, text)


def test_scan_pattern_is_used_for_the_patterns_that_need_it() -> None:
    scan = scan_pattern(re.compile(r"(?P<percent>\d+(?:[.,]\d+)?)\s?%\s?в\s?день"))
    assert scan is not None and scan.run_start
    backref = scan_pattern(re.compile(r"(a+)\1"))
    assert backref is not None and not backref.run_start
    assert scan_pattern(re.compile(r"x*")) is None  # can match empty: the plain search


def test_gated_pattern_methods_equal_the_plain_pattern() -> None:
    rng = random.Random(3)
    alphabet = list("0123456789 %abc@t.me/x+7()-") + ["https://", "www.", ".com", "руб", "тенге", "@user_1"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(1500)]
    for source in (r"\bt\.me/\S+", r"(?<![\w@])@[a-z0-9_]{4,32}\b", r"(\d+)(%)?", r"(?P<n>\d+)\s?руб", r"\d+"):
        plain, gated = re.compile(source), GatedPattern(source)
        for text in texts:
            assert gated.findall(text) == plain.findall(text), (source, text)
            assert gated.sub(" [x] ", text) == plain.sub(" [x] ", text), (source, text)
            assert gated.sub(lambda m: m.group(0).upper(), text) == plain.sub(lambda m: m.group(0).upper(), text)
            found, expected = gated.search(text), plain.search(text)
            assert (found and found.span()) == (expected and expected.span()), (source, text)


def test_word_runs_use_ranges_only_where_they_agree_with_the_unicode_class() -> None:
    """Every character the fast path accepts is classified by the ranges as by the Unicode
    class; findall and split give the plain results on text of any script."""
    import sys

    from kuzet.detect import regex_gate as g

    for unicode_class in (r"[^\W\d_]", r"[^\W_]"):
        runs = g.WordRuns(unicode_class)
        exact = re.compile(unicode_class)
        for code in range(sys.maxunicode + 1):
            ch = chr(code)
            if not g._OUTSIDE_FAST.match(ch):
                assert bool(runs.fast.fullmatch(ch)) == bool(exact.fullmatch(ch)), hex(code)
    texts = ["Казино 1xBet бонус_200%", "Қазақша мәтін, ₸ 500", "café ﬁ Ⅻ ① ❶", "", "emoji 🎰 and — dash", "x²"]
    for text in texts:
        assert g.LETTER_RUNS.findall(text) == re.findall(r"[^\W\d_]+", text)
        assert g.ALNUM_RUNS.split(text) == re.split(r"([^\W_]+)", text)


def test_case_insensitive_gates_never_refuse_a_text_the_pattern_matches() -> None:
    """Conditions of a case-insensitive pattern are tested on the lower-cased text, except when
    the text holds a character the regex engine folds differently (ᲀ for в, ſ for s, İ)."""
    from kuzet.detect import indicator_money

    patterns = [v for v in vars(indicator_money).values() if isinstance(v, GatedPattern) and v.lower]
    patterns.append(GatedPattern(r"евро|sms|каждый\s+день", re.I))
    assert len(patterns) >= 5
    pieces = ["ЕЖЕДНЕВНО", "Daily", "ᲀ", "ſ", "İ", "%", "5", " ", "евро", "ЕᲀРО", "SMS", "ſmſ", "Каждый", "день", "КОД"]
    pieces += ["₸", "ТЕНГЕ", "Руб", "percent", "ПРОЦЕНТ", "за", "сутки", "1 000", "USD", "promo", "PROMO-КОД"]
    rng = random.Random(5)
    for _ in range(4000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        for gated in patterns:
            assert [m.span() for m in gated.finditer(text)] == [m.span() for m in gated.regex.finditer(text)], (
                gated.pattern,
                text,
            )
    # The exotic letters do match case-insensitively, so the gate must let such texts through.
    assert re.search("евро", "ЕᲀРО", re.I) and patterns[-1].possible("ЕᲀРО")


def test_str_lower_folds_like_the_regex_engine_outside_the_exotic_characters() -> None:
    import _sre
    import sys

    from kuzet.detect import regex_gate as g

    assert g._CASE_EXOTIC is not None
    odd = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if not g._CASE_EXOTIC.match(chr(code)) and chr(code).lower() != chr(_sre.unicode_tolower(code))
    ]
    assert odd == []
