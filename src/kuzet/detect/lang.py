"""Offline language identification for Russian, Kazakh and English.

Kazakh is written in Cyrillic with nine letters Russian lacks (ә ғ қ ң ө ұ ү һ і); those letters
and a few very frequent function words separate it from Russian even in short posts. Latin
versus Cyrillic letter counts separate English. Text with substantial shares of two languages
is "mixed".
"""

from __future__ import annotations

from collections import Counter

from kuzet.detect.regex_gate import LETTER_RUNS

KAZAKH_LETTERS = frozenset("әғқңөұүһі")
_KK_STOPWORDS = frozenset(
    [
        "және",
        "мен",
        "бен",
        "пен",
        "бұл",
        "осы",
        "сол",
        "ол",
        "біз",
        "сіз",
        "олар",
        "үшін",
        "туралы",
        "бойынша",
        "арқылы",
        "емес",
        "деп",
        "еді",
        "болып",
        "болады",
        "бар",
        "жоқ",
        "қазір",
        "тек",
        "кейін",
        "сондай",
        "ақ",
        "қалай",
        "неге",
        "мұнда",
        "барлық",
        "әр",
        "бір",
        "екі",
        "жылы",
        "ретінде",
    ]
)
_RU_STOPWORDS = frozenset(
    [
        "и",
        "в",
        "во",
        "не",
        "что",
        "он",
        "на",
        "я",
        "с",
        "со",
        "как",
        "а",
        "то",
        "все",
        "она",
        "так",
        "его",
        "но",
        "да",
        "ты",
        "к",
        "у",
        "же",
        "вы",
        "за",
        "бы",
        "по",
        "только",
        "её",
        "мне",
        "было",
        "вот",
        "от",
        "меня",
        "ещё",
        "нет",
        "о",
        "из",
        "ему",
        "теперь",
        "когда",
        "уже",
        "для",
        "вам",
        "при",
        "это",
        "этот",
        "который",
        "также",
        "если",
        "или",
        "где",
        "есть",
        "чем",
        "был",
        "была",
        "были",
        "будет",
    ]
)
_EN_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "of",
        "to",
        "in",
        "is",
        "for",
        "on",
        "with",
        "that",
        "this",
        "you",
        "your",
        "are",
        "be",
        "it",
        "as",
        "at",
        "by",
        "from",
        "or",
        "an",
        "we",
        "our",
        "not",
        "have",
        "has",
        "will",
        "can",
        "all",
        "more",
    ]
)


def _is_cyrillic_start(word: str) -> bool:
    return "\u0400" <= word[0] <= "\u04ff"


def detect_language(text: str, *, sample: int = 4000) -> str:
    """Return "ru", "kk", "en" or "mixed" (also for text with no letters)."""
    words = LETTER_RUNS.findall(text[:sample].casefold())
    if not words:
        return "mixed"
    # Counted per distinct word (texts repeat words); stopwords by set intersection.
    counts = Counter(words)
    cyr_words = lat_words = kk_words = 0
    for w, n in counts.items():
        first = w[0]
        if "\u0400" <= first <= "\u04ff":
            cyr_words += n
            if not KAZAKH_LETTERS.isdisjoint(w):
                kk_words += n
        elif first.isascii():
            lat_words += n
    seen = counts.keys()
    kk_hits = sum(counts[w] for w in seen & _KK_STOPWORDS if _is_cyrillic_start(w))
    ru_hits = sum(counts[w] for w in (seen & _RU_STOPWORDS) - _KK_STOPWORDS if _is_cyrillic_start(w))
    en_hits = sum(counts[w] for w in seen & _EN_STOPWORDS if w[0].isascii() and not _is_cyrillic_start(w))
    total = cyr_words + lat_words
    if total == 0:
        return "mixed"
    if cyr_words >= lat_words:
        # Kazakh text: many words carry a Kazakh letter; Russian text with a Kazakh name has few.
        kk_share = (kk_words + 2 * kk_hits) / max(cyr_words, 1)
        ru_share = (2 * ru_hits) / max(cyr_words, 1)
        if kk_share >= 0.15 and kk_share > ru_share * 0.5:
            lang = "kk" if ru_share < 0.25 or kk_share > 0.3 else "mixed"
        else:
            lang = "ru"
        if lat_words / total >= 0.3 and en_hits >= 2:
            return "mixed"
        return lang
    if cyr_words / total >= 0.3:
        return "mixed"
    return "en"
