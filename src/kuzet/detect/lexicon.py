"""Phrase lexicons kept as data files an analyst can extend, and matching them on normalised text.

Files live in ``lexicons/`` and are named ``CATEGORY.LANG.txt`` (category: gambling, pyramid,
illegal_finance, benign_context, call_to_action; lang: ru, kk, en). One entry a line::

    # comment
    онлайн казино | 2.5          phrase | weight (default 1.0)
    фриспин*                      a trailing * matches any word starting with the prefix
    бонус ~ депозит | 2           ~ allows up to three words in between
    re: \\d+ ?% в (день|сутки) | 3   a regular expression over the normalised, lower-cased text
    re[percent_per_day]: ... | 3   the same, with the name signals show instead of the pattern

Words are matched on forms, not spellings: each word of an entry is reduced the way its file's
language is (Russian lemma, Kazakh stem, English stem) and each word of the text is reduced all
those ways, so "казино", "казиношки"... need one entry, and "ставкаларды" matches "ставка" in a
Kazakh file. Regular expressions may name groups ``amount``, ``percent``, ``period``,
``currency``; what they capture goes into the match detail.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from itertools import accumulate
from pathlib import Path

from kuzet.detect.morph import entry_key, word_keys
from kuzet.detect.regex_gate import (
    ALNUM_RUNS,
    Requirement,
    Scan,
    passes,
    required_substrings,
    scan_finditer,
    scan_pattern,
)
from kuzet.errors import DetectError

CATEGORIES = ("gambling", "pyramid", "illegal_finance", "benign_context", "call_to_action")
LANGS = ("ru", "kk", "en")
_TOKEN_RE = re.compile(r"[^\W_]+")
_NAMED_RE = re.compile(r"re\[([\w-]+)\]:")
_MAX_GAP = 3
_PREFIX_INDEX_LEN = 3


@dataclass(frozen=True, slots=True)
class EntryWord:
    key: str
    prefix: bool
    gap_before: int  # how many text words may stand between this and the previous word


@dataclass(frozen=True, slots=True)
class Entry:
    category: str
    lang: str
    name: str
    weight: float
    words: tuple[EntryWord, ...] = ()
    regex: re.Pattern[str] | None = None
    # Substrings the text must contain for the regex to have a chance (see regex_gate).
    gate: tuple[Requirement, ...] = ()
    # The same regex made quick to scan for (see regex_gate.scan_pattern); None: plain search.
    scan: Scan | None = None
    # Keys of the whole (non-prefix) words after the first: all must occur in the text.
    rest_keys: frozenset[str] = frozenset()


@dataclass(slots=True)
class Match:
    """One lexicon hit; ``start``/``end`` index the normalised text."""

    category: str
    name: str
    weight: float
    start: int
    end: int
    kind: str  # "phrase" or "pattern"
    lang: str
    detail: dict[str, str] = field(default_factory=dict)


# Per token: one-word entries as (category, name, weight, lang), and longer entries.
_Cands = tuple[tuple[tuple[str, str, float, str], ...], tuple[Entry, ...]]
_NO_CANDS: _Cands = ((), ())


def _parse_line(line: str, category: str, lang: str, where: str) -> Entry | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    weight = 1.0
    body = line
    if " | " in line:
        body, _, tail = line.rpartition(" | ")
        try:
            weight = float(tail.strip())
        except ValueError as exc:
            raise DetectError(f"{where}: weight is not a number: {tail!r}") from exc
    body = body.strip()
    named = _NAMED_RE.match(body)
    if body.startswith("re:") or named:
        pattern = body[named.end() :].strip() if named else body[3:].strip()
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise DetectError(f"{where}: bad regular expression: {exc}") from exc
        name = f"{category}:{named.group(1)}" if named else pattern
        return Entry(
            category, lang, name, weight, regex=regex, gate=tuple(required_substrings(regex)), scan=scan_pattern(regex)
        )
    words: list[EntryWord] = []
    gap = 0
    for raw in body.casefold().split():
        if raw == "~":
            gap = _MAX_GAP
            continue
        prefix = raw.endswith("*")
        for part in _TOKEN_RE.findall(raw.rstrip("*")):
            key = part if prefix else entry_key(part, lang)
            if prefix and len(key) < (_PREFIX_INDEX_LEN if not words else 2):
                raise DetectError(f"{where}: prefix {raw!r} is shorter than {_PREFIX_INDEX_LEN} letters")
            words.append(EntryWord(key, prefix, gap))
            gap = 0
    if not words:
        return None
    rest = frozenset(w.key for w in words[1:] if not w.prefix)
    return Entry(category, lang, body, weight, words=tuple(words), rest_keys=rest)


class Lexicon:
    """All entries of all categories, indexed for matching token by token."""

    def __init__(self, entries: list[Entry]) -> None:
        # Spellings of one lemma ("задержан", "задержаны") collapse into one entry: keep the heaviest.
        unique: dict[tuple[object, ...], Entry] = {}
        for e in entries:
            ident: tuple[object, ...] = (e.category, e.regex.pattern) if e.regex is not None else (e.category, e.words)
            if ident not in unique or unique[ident].weight < e.weight:
                unique[ident] = e
        entries = list(unique.values())
        self.entries = entries
        self._cache: dict[str, _Cands] = {}
        self._by_key: dict[str, list[Entry]] = defaultdict(list)
        self._by_prefix: dict[str, list[Entry]] = defaultdict(list)
        self._regexes: list[Entry] = []
        for e in entries:
            if e.regex is not None:
                self._regexes.append(e)
            elif e.words[0].prefix:
                self._by_prefix[e.words[0].key[:_PREFIX_INDEX_LEN]].append(e)
            else:
                self._by_key[e.words[0].key].append(e)

    @classmethod
    def load(cls, directory: Path | None = None) -> Lexicon:
        """Load every ``CATEGORY.LANG.txt`` from ``directory`` (default: the packaged lexicons)."""
        entries: list[Entry] = []
        if directory is None:
            base = resources.files("kuzet.detect").joinpath("lexicons")
            files = [(p.name, p.read_text(encoding="utf-8")) for p in base.iterdir() if p.name.endswith(".txt")]
        else:
            files = [(p.name, p.read_text(encoding="utf-8")) for p in Path(directory).glob("*.txt")]
        for name, text in sorted(files):
            parts = name.split(".")
            if len(parts) != 3 or parts[0] not in CATEGORIES or parts[1] not in LANGS:
                continue
            category, lang = parts[0], parts[1]
            for lineno, line in enumerate(text.splitlines(), 1):
                entry = _parse_line(line, category, lang, f"{name}:{lineno}")
                if entry is not None:
                    entries.append(entry)
        return cls(entries)

    def _candidates(self, token: str) -> _Cands:
        """Entries whose first word fits ``token``; cached, since most tokens repeat and fit none.

        One-word entries come ready to become matches, one per name: the same word in two
        language files is one finding, credited to the first file in candidate order.
        """
        found = self._cache.get(token)
        if found is None:
            cands: list[Entry] = []
            for k in word_keys(token):
                cands.extend(self._by_key.get(k, ()))
            cands.extend(
                e for e in self._by_prefix.get(token[:_PREFIX_INDEX_LEN], ()) if token.startswith(e.words[0].key)
            )
            singles: dict[str, tuple[str, str, float, str]] = {}
            multis: list[Entry] = []
            for e in dict.fromkeys(cands):
                if len(e.words) == 1:
                    singles.setdefault(e.name, (e.category, e.name, e.weight, e.lang))
                else:
                    multis.append(e)
            found = (tuple(singles.values()), tuple(multis)) if cands else _NO_CANDS
            if len(self._cache) > 300_000:
                self._cache.clear()
            self._cache[token] = found
        return found

    def match(self, text: str) -> list[Match]:
        """Every entry found in ``text`` (normalised, lower-case); one match per entry and place."""
        # One regex pass gives tokens and the separators between them (split with a group), so
        # token positions are sums of lengths, taken only when some token starts an entry.
        parts = ALNUM_RUNS.split(text)
        words = parts[1::2]
        found: list[Match] = []
        cache = self._cache
        ends: list[int] | None = None
        keys: list[tuple[str, ...] | None] = []
        present: set[str] | None = None
        seen: set[tuple[str, int]] = set()
        # Per distinct token: its longer entries whose other words all occur in the text.
        possible: dict[str, list[Entry]] = {}
        for i, token in enumerate(words):
            cands = cache.get(token)
            if cands is None:
                cands = self._candidates(token)
            if cands is _NO_CANDS:
                continue
            if ends is None:
                ends = list(accumulate(map(len, parts)))  # ends[2i + 1] is the end of word i
                keys = [None] * len(words)
            singles, multis = cands
            start = ends[2 * i]
            for category, name, weight, lang in singles:
                found.append(Match(category, name, weight, start, ends[2 * i + 1], "phrase", lang))
            if not multis:
                continue
            fitting = possible.get(token)
            if fitting is None:
                if present is None:
                    # Every key of every word, once per text: most phrase candidates fail
                    # on a word the text does not contain at all, found here in one set test.
                    present = set().union(*map(word_keys, set(words)))
                fitting = possible[token] = [e for e in multis if e.rest_keys <= present]
            for entry in fitting:
                second = entry.words[1]
                if not second.gap_before and not second.prefix:
                    # Most phrases fail on the very next word: tested here, without a call.
                    if i + 1 >= len(words):
                        continue
                    kj = keys[i + 1]
                    if kj is None:
                        kj = keys[i + 1] = word_keys(words[i + 1])
                    if second.key not in kj:
                        continue
                    last = i + 1 if len(entry.words) == 2 else self._match_rest(entry, keys, words, i)
                else:
                    last = self._match_rest(entry, keys, words, i)
                if last is None or (entry.name, i) in seen:
                    continue
                seen.add((entry.name, i))
                found.append(
                    Match(entry.category, entry.name, entry.weight, start, ends[2 * last + 1], "phrase", entry.lang)
                )
        for entry in self._regexes:
            assert entry.regex is not None
            if not passes(entry.gate, text):
                continue
            for m in scan_finditer(entry.regex, entry.scan, text):
                detail = {k: v for k, v in m.groupdict().items() if v}
                found.append(
                    Match(entry.category, entry.name, entry.weight, m.start(), m.end(), "pattern", entry.lang, detail)
                )
                if len(found) > 2000:
                    break
        found.sort(key=lambda x: (x.start, -x.end))
        return found

    @staticmethod
    def _match_rest(entry: Entry, keys: list[tuple[str, ...] | None], words: list[str], i: int) -> int | None:
        """Index of the last word when the entry's words after the first follow word ``i``, else None."""
        pos = i
        for word in entry.words[1:]:
            for j in range(pos + 1, min(pos + 2 + word.gap_before, len(words))):
                token = words[j]
                if word.prefix:
                    ok = token.startswith(word.key)
                else:
                    kj = keys[j]
                    if kj is None:
                        kj = keys[j] = word_keys(token)
                    ok = word.key in kj
                if ok:
                    pos = j
                    break
            else:
                return None
        return pos
