"""Word forms to match lexicon entries on: Russian lemmas, Kazakh stems, English stems, transliteration.

Russian uses pymorphy3 (dictionary lemmas, cached: text repeats words a lot). Kazakh has no
dictionary here, so a suffix stripper removes plural, case, possessive and a few derivational
endings; agglutinative forms such as "ставкаларды" or "пирамидасына" reduce to the stem a
lexicon lists. English gets a light plural/-ing stripper. Latin spellings of Russian words
("kazino", "stavki") are transliterated to Cyrillic and lemmatised like Russian.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_MORPH: Any = None
_MORPH_LOCK = threading.Lock()


def _analyzer() -> Any:
    global _MORPH
    if _MORPH is None:
        with _MORPH_LOCK:
            if _MORPH is None:
                import pymorphy3

                _MORPH = pymorphy3.MorphAnalyzer()
    return _MORPH


@lru_cache(maxsize=200_000)
def ru_lemma(word: str) -> str:
    """Dictionary lemma of a Russian word (the word itself when unknown or not Cyrillic)."""
    if len(word) < 3 or len(word) > 40:
        return word
    parses = _analyzer().parse(word)
    if not parses:
        return word
    return str(parses[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=20_000)
def is_known_ru(word: str) -> bool:
    """Whether pymorphy3's dictionary holds ``word`` (guesses for unknown words do not count)."""
    return bool(word) and bool(_analyzer().word_is_known(word))


# Longest first, so "ларының" goes before "ның". Plural, possessive, case and common verbal
# endings; stripping stops at a stem of four letters.
_KK_SUFFIXES = sorted(
    set(
        [
            "лар",
            "лер",
            "дар",
            "дер",
            "тар",
            "тер",
            "ымыз",
            "іміз",
            "мыз",
            "міз",
            "ыңыз",
            "іңіз",
            "ңыз",
            "ңіз",
            "ым",
            "ім",
            "м",
            "ың",
            "ің",
            "ң",
            "сы",
            "сі",
            "ы",
            "і",
            "ның",
            "нің",
            "дың",
            "дің",
            "тың",
            "тің",
            "ға",
            "ге",
            "қа",
            "ке",
            "на",
            "не",
            "а",
            "е",
            "ды",
            "ді",
            "ты",
            "ті",
            "н",
            "ны",
            "ні",
            "да",
            "де",
            "та",
            "те",
            "нда",
            "нде",
            "дан",
            "ден",
            "тан",
            "тен",
            "нан",
            "нен",
            "мен",
            "бен",
            "пен",
            "ғы",
            "гі",
            "қы",
            "кі",
            "шы",
            "ші",
            "лық",
            "лік",
            "дық",
            "дік",
            "тық",
            "тік",
            "сыз",
            "сіз",
            "у",
            "ғыз",
            "гіз",
            "қыз",
            "кіз",
            "тыр",
            "тір",
            "ған",
            "ген",
            "қан",
            "кен",
            "ады",
            "еді",
            "йды",
            "йді",
        ]
    ),
    key=len,
    reverse=True,
)
_KK_MIN_STEM = 4


_KK_BY_LEN = {n: frozenset(x for x in _KK_SUFFIXES if len(x) == n) for n in range(1, 5)}


@lru_cache(maxsize=100_000)
def kk_stem(word: str) -> str:
    """Strip Kazakh inflectional suffixes until none applies or the stem would be too short."""
    stem = word
    for _ in range(5):
        for n in (4, 3, 2, 1):
            if len(stem) - n >= _KK_MIN_STEM and stem[-n:] in _KK_BY_LEN[n]:
                stem = stem[:-n]
                break
        else:
            break
    return stem


@lru_cache(maxsize=100_000)
def en_stem(word: str) -> str:
    """Light English stemmer: plurals, -ing, -ed (enough for lexicon lookup)."""
    if len(word) >= 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) >= 6 and word.endswith("ing"):
        return word[:-3]
    if len(word) >= 5 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) >= 5 and word.endswith(("ses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_LAT_TO_CYR_MULTI = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("ju", "ю"), ("ja", "я"),
)  # fmt: skip
_LAT_TO_CYR = dict(zip("abvgdezijklmnoprstufhcyx", "абвгдезийклмнопрстуфхцых", strict=True))
_LAT_TO_CYR.update({"w": "в", "q": "к"})
_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}  # fmt: skip


@lru_cache(maxsize=100_000)
def to_cyrillic(word: str) -> str:
    """Transliterate a Latin spelling of a Russian word: "kazino" -> "казино"."""
    out: list[str] = []
    i = 0
    while i < len(word):
        for lat, cyr in _LAT_TO_CYR_MULTI:
            if word.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            out.append(_LAT_TO_CYR.get(word[i], word[i]))
            i += 1
    return "".join(out)


def to_latin(word: str) -> str:
    """Transliterate Cyrillic (Russian and Kazakh letters) to Latin: "казино" -> "kazino"."""
    return "".join(_CYR_TO_LAT.get(ch, ch) for ch in word)


def is_cyrillic_word(word: str) -> bool:
    return bool(word) and "\u0400" <= word[0] <= "\u04ff"


@lru_cache(maxsize=200_000)
def word_keys(word: str) -> tuple[str, ...]:
    """Every form a lexicon entry may be keyed by, for one lower-cased token.

    In a fixed order (not a set's): the order decides which of two equal entries (the same word
    in the Russian and the Kazakh file) a match is credited to, and that must not change between
    runs with Python's per-process string hashing.
    """
    keys = [word]
    if is_cyrillic_word(word):
        keys.append(ru_lemma(word))
        keys.append(kk_stem(word))
    elif word.isascii() and word.isalpha():
        keys.append(en_stem(word))
        if len(word) >= 4:
            keys.append(ru_lemma(to_cyrillic(word)))
    return tuple(dict.fromkeys(keys))


def entry_key(word: str, lang: str) -> str:
    """The key a lexicon word is stored under, by the language of its file."""
    if lang == "ru":
        return ru_lemma(word) if is_cyrillic_word(word) else en_stem(word)
    if lang == "kk":
        return kk_stem(word) if is_cyrillic_word(word) else en_stem(word)
    return en_stem(word) if word.isascii() else ru_lemma(word)
