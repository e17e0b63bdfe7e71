"""Text normalisation against obfuscation, keeping a map back to the original text.

Each step is a function ``(text, offsets) -> (text, offsets, count)``: ``offsets[i]`` is the
index in the ORIGINAL text of output character ``i``, so that a phrase found in the normalised
text can be quoted from the original (a notification must quote what the page said, not our
rewrite of it). Steps only replace characters one for one or delete them, except Unicode
normalisation and case folding, which may expand one character into several.

``normalize`` runs them in an order where each step helps the next: NFKC, invisible characters,
letters split by separators, look-alike letters (case-aware, before case folding), case folding,
digit and symbol substitutions, repeated letters. The counts of each step are kept in
``NormalizedText.obfuscation`` because obfuscation is itself a signal.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kuzet.detect.homoglyphs import (
    CYRILLIC_TO_LATIN,
    LATIN_TO_CYRILLIC,
    is_cyrillic,
    is_latin,
    latin_skeleton,
)
from kuzet.detect.morph import is_known_ru
from kuzet.detect.regex_gate import GatedPattern

Step = tuple[str, Sequence[int], int]

# Zero-width and other invisible characters: ZW(N)J, ZWSP, word joiner, BOM, soft hyphen,
# bidi marks and isolates, Mongolian vowel separator, Hangul fillers, variation selectors, tags.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
_LETTER = r"[^\W\d_]"
# Four or more single letters separated by the same separator: "к а з и н о", "к.а.з.и.н.о",
# "к-а-з-и-н-о", "к🎰а🎰з🎰и🎰н🎰о". Three would also join "и т.д.". A one-letter word next to a
# spaced-out word is kept apart when its case differs ("в К А З И Н О"), else absorbed.
_SEP = r"(?:[ \t.\-_*·•|/+~]{1,2}|[\u2600-\u27bf\U0001f300-\U0001faff]\ufe0f?)"
_SPLIT_RE = re.compile(rf"(?<!{_LETTER})({_LETTER})({_SEP})(?:{_LETTER}\2){{2,}}{_LETTER}(?!{_LETTER})")
# Three letters joined by a hyphen-like mark ("1W-I-N", "д*е*п") are a split word too; spaces
# and dots are left alone there ("и т.д.").
_SPLIT3_RE = re.compile(
    rf"(?<!{_LETTER})({_LETTER})([\-*_·•|~]|[\u2600-\u27bf\U0001f300-\U0001faff]\ufe0f?){_LETTER}\2{_LETTER}(?!{_LETTER})"
)
# Cheap necessary conditions for the two patterns above (each match of a pattern contains a
# match of its gate), checked first because most texts have no split word: the patterns begin
# with a lookbehind, so the regex engine tries them at every position, while the gates begin with
# a separator and are only tried where one stands. \ufe0f is in the class because an emoji
# separator may carry it.
_SEPC = "[ \t.\\-_*·•|/+~\u2600-\u27bf\U0001f300-\U0001faff\ufe0f]"
_SPLIT_GATE_RE = re.compile(rf"{_SEPC}{_LETTER}{_SEPC}{{1,3}}{_LETTER}{_SEPC}")
_SPLIT3_GATE_RE = re.compile(
    rf"[\-*_·•|~\u2600-\u27bf\U0001f300-\U0001faff]\ufe0f?{_LETTER}[\-*_·•|~\u2600-\u27bf\U0001f300-\U0001faff]"
)
_WORD_RE = re.compile(rf"{_LETTER}+")
_LETTER_RE = re.compile(_LETTER)
_NOT_CYRILLIC_RE = re.compile(r"[^\u0400-\u052f]")
# A Cyrillic letter touching a non-Cyrillic letter: the only place folding can matter, apart
# from words written wholly in exotic look-alikes (checked separately).
_SCRIPT_BOUNDARY_RE = re.compile(r"[\u0400-\u052f][^\W\d_\u0400-\u052f]|[^\W\d_\u0400-\u052f][\u0400-\u052f]")
# The same boundary looked for fast: a Cyrillic letter next to anything but ASCII non-letters
# and Cyrillic (plain ranges, which the engine scans in C); each hit is then checked with the
# exact pattern above, since most hits are punctuation ("казино»").
# Characters outside ASCII, Cyrillic, punctuation, currency signs, arrows, box drawing and
# emoji: the only ones that can be in the look-alike table (a test keeps that true). A class
# of the table's thousand letters themselves is slower to scan than the text is long.
_RARE_CHAR_RE = re.compile(
    "[^\x00-\x7f\u0400-\u052f\u2000-\u206f\u20a0-\u20cf\u2190-\u21ff\u2500-\u27bf\U0001f300-\U0001faff]"
)
_CYR_OTHER_RE = re.compile(r"[\u0400-\u052f][^\x00-\x40\x5b-\x60\x7b-\x7f\u0400-\u052f]")
_OTHER_CYR_RE = re.compile(r"[^\x00-\x40\x5b-\x60\x7b-\x7f\u0400-\u052f][\u0400-\u052f]")
# Digits and symbols standing for letters: inside a word (letters on both sides), or one
# trailing 0 after four letters ("казин0"). Leading digits are left alone: "1xbet", "5ти".
# Runs of digits and symbols standing for letters, where a letter stands before them (the class
# is wider than isalpha, which is checked after); through GatedPattern's quick scan, since most
# digits follow no letter.
_LEET_AFTER_LETTER = GatedPattern(r"(?<=[^\W\d_])[013456@$]+")
_REPEAT_RE = re.compile(rf"({_LETTER})\1{{2,}}")
# Any character three times: scanned about ten times faster than _REPEAT_RE, which only runs
# when one of these is a letter.
_TRIPLE_RE = re.compile(r"(.)\1\1", re.DOTALL)

_LEET_CYRILLIC = {"0": "о", "3": "з", "4": "ч", "6": "б", "@": "а", "$": "с"}
_LEET_LATIN = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "@": "a", "$": "s"}


@dataclass(slots=True)
class NormalizedText:
    """Normalised text with ``offsets[i]`` = index in ``original`` of ``text[i]``."""

    text: str
    offsets: Sequence[int]  # a range while no step has moved a character
    original: str
    obfuscation: dict[str, int] = field(default_factory=dict)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of the normalised text to a half-open span of the original."""
        if not self.offsets or start >= end:
            pos = self.offsets[start] if 0 <= start < len(self.offsets) else len(self.original)
            return pos, pos
        start = max(0, min(start, len(self.offsets) - 1))
        end = max(start + 1, min(end, len(self.offsets)))
        return self.offsets[start], self.offsets[end - 1] + 1

    @property
    def obfuscation_score(self) -> int:
        """Number of obfuscating edits (case folding and Unicode forms are not obfuscation)."""
        return sum(v for k, v in self.obfuscation.items() if k not in {"nfkc", "mixed_script_words"})


def _rewrite(
    text: str,
    offsets: Sequence[int],
    regex: re.Pattern[str] | Iterable[re.Match[str]],
    fn: Callable[[re.Match[str]], tuple[str, list[int]]],
) -> Step:
    """Apply ``fn`` to every match (of ``regex``, or the matches given, in order); ``fn``
    returns the replacement and, for each of its characters, the index within the match whose
    offset it inherits."""
    parts: list[str] = []
    new_offsets: list[int] = []
    pos = 0
    changed = 0
    for m in regex.finditer(text) if isinstance(regex, re.Pattern) else regex:
        repl, keep = fn(m)
        if repl == m.group(0):
            continue
        s, e = m.span()
        parts.append(text[pos:s])
        new_offsets.extend(offsets[pos:s])
        parts.append(repl)
        new_offsets.extend(offsets[s + k] for k in keep)
        pos = e
        changed += 1
    if not changed:
        return text, offsets, 0
    parts.append(text[pos:])
    new_offsets.extend(offsets[pos:])
    return "".join(parts), new_offsets, changed


def unicode_forms(text: str, offsets: Sequence[int]) -> Step:
    """NFKC: full-width, mathematical and circled letters become plain letters."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text, offsets, 0
    # Characters are normalised one by one (offsets stay exact); only those that change matter.
    table = {ch: unicodedata.normalize("NFKC", ch) for ch in set(text) if not ch.isascii()}
    table = {ch: norm for ch, norm in table.items() if norm != ch}
    if not table:
        return text, offsets, 0
    pattern = re.compile("[" + "".join(re.escape(ch) for ch in table) + "]")
    return _rewrite(text, offsets, pattern, lambda m: (table[m.group(0)], [0] * len(table[m.group(0)])))


def strip_invisible(text: str, offsets: Sequence[int]) -> Step:
    """Delete zero-width and other invisible characters."""
    if text.isascii():
        return text, offsets, 0
    return _rewrite(text, offsets, _INVISIBLE_RE, lambda m: ("", []))


def join_split_letters(text: str, offsets: Sequence[int]) -> Step:
    """Join letters split by spaces, dots, dashes or emoji: "к а з и н о" -> "казино"."""

    def fn(m: re.Match[str]) -> tuple[str, list[int]]:
        s = m.group(0)
        keep = [i for i, ch in enumerate(s) if ch.isalpha()]
        if m.group(2).isspace():
            # "в К А З И Н О с": a lower-case one-letter word next to a spaced-out capitalised word stays apart.
            upper = sum(s[i].isupper() for i in keep) * 2 > len(keep)
            lo, hi = 0, len(keep)
            while upper and hi - lo > 4 and s[keep[lo]].islower():
                lo += 1
            while upper and hi - lo > 4 and s[keep[hi - 1]].islower():
                hi -= 1
            if (lo, hi) != (0, len(keep)):
                first, last = keep[lo], keep[hi - 1] + 1
                inner = keep[lo:hi]
                repl = s[:first] + "".join(s[i] for i in inner) + s[last:]
                return repl, list(range(first)) + inner + list(range(last, len(s)))
        return "".join(s[i] for i in keep), keep

    n = n3 = 0
    if _SPLIT_GATE_RE.search(text) is not None:
        text, offsets, n = _rewrite(text, offsets, _SPLIT_RE, fn)
    if _SPLIT3_GATE_RE.search(text) is not None:
        text, offsets, n3 = _rewrite(text, offsets, _SPLIT3_RE, fn)
    return text, offsets, n + n3


_CYRILLIC_RUN_RE = re.compile(r"[\u0400-\u052f]+")
_LATIN_RUN_RE = re.compile(r"[A-Za-z]+")


def _dominant_script(text: str) -> str:
    # Letters counted by runs: a list of words, not of every letter.
    cyr = sum(map(len, _CYRILLIC_RUN_RE.findall(text)))
    lat = sum(map(len, _LATIN_RUN_RE.findall(text)))
    return "cyrillic" if cyr >= lat else "latin"


@lru_cache(maxsize=100_000)
def fold_word(word: str, default_script: str = "cyrillic") -> str:
    """Fold look-alike letters of one word towards the script the word is written in.

    Letters without a look-alike in the other script (Cyrillic б, д, з, и...; Latin s, z, l, f...)
    decide; when none does, the majority of letters, then the document's main script.
    """
    skeleton = latin_skeleton()
    cyr = lat = decisive_cyr = decisive_lat = 0
    for ch in word:
        if is_cyrillic(ch):
            cyr += 1
            decisive_cyr += ch not in CYRILLIC_TO_LATIN
        else:
            base = skeleton.get(ch, ch)
            if is_latin(base):
                # Greek and small-capital look-alikes vote for no script: real Latin words are
                # written in Latin letters, so only those count towards the majority.
                lat += is_latin(ch)
                decisive_lat += base not in LATIN_TO_CYRILLIC
    if decisive_cyr != decisive_lat:
        to_cyrillic = decisive_cyr > decisive_lat
    elif cyr != lat:
        to_cyrillic = cyr > lat
    else:
        to_cyrillic = default_script == "cyrillic"
    if not cyr and not any(ch in skeleton for ch in word):
        return word
    if to_cyrillic:
        return "".join(ch if is_cyrillic(ch) else LATIN_TO_CYRILLIC.get(skeleton.get(ch, ch), ch) for ch in word)
    return "".join(CYRILLIC_TO_LATIN.get(ch, ch) if is_cyrillic(ch) else skeleton.get(ch, ch) for ch in word)


def fold_homoglyphs(text: str, offsets: Sequence[int]) -> tuple[str, Sequence[int], int, int]:
    """Fold Latin/Greek/small-capital look-alikes inside Cyrillic words and back.

    Returns the text, offsets, the number of letters changed and the number of mixed-script words.
    """
    if text.isascii():
        return text, offsets, 0, 0
    skeleton = latin_skeleton()
    # Only a word with a script boundary or a look-alike letter in it can change (a word
    # without Cyrillic changes only through look-alikes; one with Cyrillic and another script
    # has a boundary inside): find those places, then just the words around them.
    hits = [m.start() for m in _RARE_CHAR_RE.finditer(text) if m.group() in skeleton]
    hits += _boundary_positions(text)
    if not hits:
        return text, offsets, 0, 0
    default = _dominant_script(text)
    words = list(_WORD_RE.finditer(text))
    starts = [m.start() for m in words]
    chosen = sorted({i for p in hits if (i := bisect_right(starts, p) - 1) >= 0 and p < words[i].end()})
    chars: list[str] | None = None
    letters = mixed = 0
    for i in chosen:
        m = words[i]
        word = m.group(0)
        if word.isascii():
            continue
        if _NOT_CYRILLIC_RE.search(word) is None:
            continue  # pure Cyrillic
        if not any(is_cyrillic(ch) or is_latin(ch) or ch in skeleton for ch in word):
            continue  # another script altogether (Greek text, Arabic...)
        folded = fold_word(word, default)
        if folded == word:
            continue
        if any(is_cyrillic(ch) for ch in word) and any(not is_cyrillic(ch) for ch in word):
            mixed += 1
        if chars is None:
            chars = list(text)
        s = m.start()
        for k, (a, b) in enumerate(zip(word, folded, strict=True)):
            if a != b:
                chars[s + k] = b
                letters += 1
    if chars is None:
        return text, offsets, 0, 0
    return "".join(chars), offsets, letters, mixed


def _boundary_positions(text: str) -> list[int]:
    """Where ``_SCRIPT_BOUNDARY_RE`` matches, at least once in every word that has a boundary
    (found with the quick patterns, checked with the exact one)."""
    return [
        m.start()
        for fast in (_CYR_OTHER_RE, _OTHER_CYR_RE)
        for m in fast.finditer(text)
        if _SCRIPT_BOUNDARY_RE.match(text, m.start()) is not None
    ]


def case_fold(text: str, offsets: Sequence[int]) -> Step:
    """Unicode case folding; only expanding letters (ß, İ) need the per-character path."""
    folded = text.casefold()
    if len(folded) == len(text):
        return folded, offsets, 0
    out: list[str] = []
    new_offsets: list[int] = []
    for ch, off in zip(text, offsets, strict=True):
        f = ch.casefold()
        out.append(f)
        new_offsets.extend([off] * len(f))
    return "".join(out), new_offsets, 0


def replace_leet(text: str, offsets: Sequence[int]) -> Step:
    """Digits and symbols inside words stand for letters: "к0нтора" -> "контора", "c4sino"."""
    # Only a run right after a letter can be rewritten (both cases below need one there).
    runs = [m for m in _LEET_AFTER_LETTER.finditer(text) if text[m.start() - 1].isalpha()]
    if not runs:
        return text, offsets, 0

    def fn(m: re.Match[str]) -> tuple[str, list[int]]:
        s, e = m.span()
        before = text[s - 1] if s > 0 else ""
        after = text[e] if e < len(text) else ""
        inside = before.isalpha() and after.isalpha()
        # One trailing 0/@/$ after four letters: "казин0"; not "usdt20" or "100$".
        trailing = (
            e - s == 1
            and m.group(0) in "0@$"
            and not (after.isalnum() or (after != "" and after in "@$_"))
            and s >= 4
            and text[s - 4 : s].isalpha()
        )
        if not (inside or trailing):
            return m.group(0), []
        table = _LEET_CYRILLIC if is_cyrillic(before or after) else _LEET_LATIN
        repl = "".join(table.get(ch, ch) for ch in m.group(0))
        return repl, list(range(len(repl)))

    return _rewrite(text, offsets, runs, fn)


_WORD_AROUND_RE = re.compile(r"\w*")


def collapse_repeats(text: str, offsets: Sequence[int]) -> Step:
    """Three or more of the same letter become one ("кааазино" -> "казино"), or two where the
    word is a known Russian word only with the double letter ("пасссивный" -> "пассивный")."""
    if not any(_LETTER_RE.match(m.group(1)) for m in _TRIPLE_RE.finditer(text)):
        return text, offsets, 0

    def fn(m: re.Match[str]) -> tuple[str, list[int]]:
        ch = m.group(1)
        if "а" <= ch.lower() <= "я":
            start = m.start()
            while start > 0 and text[start - 1].isalpha():
                start -= 1
            end_m = _WORD_AROUND_RE.match(text, m.end())
            end = end_m.end() if end_m else m.end()
            one = (text[start : m.start()] + ch + text[m.end() : end]).lower()
            two = (text[start : m.start()] + ch + ch + text[m.end() : end]).lower()
            if not is_known_ru(one) and is_known_ru(two):
                return ch + ch, [0, 1]
        return ch, [0]

    return _rewrite(text, offsets, _REPEAT_RE, fn)


MAX_NORMALIZE_CHARS = 200_000


def normalize(text: str) -> NormalizedText:
    """Run every normalisation step; see the module docstring."""
    original = text
    if len(text) > MAX_NORMALIZE_CHARS:
        text = text[:MAX_NORMALIZE_CHARS]
    offsets: Sequence[int] = range(len(text))
    stats: dict[str, int] = {}
    text, offsets, stats["nfkc"] = unicode_forms(text, offsets)
    text, offsets, stats["invisible"] = strip_invisible(text, offsets)
    text, offsets, stats["split"] = join_split_letters(text, offsets)
    text, offsets, stats["homoglyph"], stats["mixed_script_words"] = fold_homoglyphs(text, offsets)
    text, offsets, _ = case_fold(text, offsets)
    text, offsets, stats["leet"] = replace_leet(text, offsets)
    text, offsets, stats["repeat"] = collapse_repeats(text, offsets)
    return NormalizedText(text=text, offsets=offsets, original=original, obfuscation=stats)
