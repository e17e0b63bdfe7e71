"""The substring gates in front of detection's regular expressions never change what matches."""

from __future__ import annotations

import random
import re

import pytest

from kuzet.detect.lexicon import Lexicon
from kuzet.detect.regex_gate import GatedPattern, passes, required_substrings


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
