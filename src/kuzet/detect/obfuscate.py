"""Obfuscation generator: the disguises spammers use, to test that detection survives them.

Each transform takes a ``random.Random`` so that an evaluation is repeatable. ``obfuscate``
applies a random mix to a share of the words, the way real spam does: a few look-alike letters,
a zero-width character here, a spaced-out keyword there.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

# Cyrillic letter -> Latin / Greek / small-capital look-alikes.
_HOMOGLYPHS: dict[str, str] = {
    "а": "aα", "е": "e", "о": "oοᴏ", "р": "pρᴘ", "с": "cᴄ", "х": "xχ", "у": "y", "к": "kκᴋ",
    "м": "ᴍ", "т": "ᴛτ", "н": "ʜ", "в": "ʙ", "и": "u", "п": "n",
    "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і",
}  # fmt: skip
_LEET: dict[str, str] = {"о": "0", "з": "3", "а": "@", "o": "0", "a": "4", "e": "3", "i": "1", "s": "$"}
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad")
_WORD_RE = re.compile(r"[^\W\d_]{3,}")

Transform = Callable[[str, random.Random], str]


def homoglyphs(word: str, rng: random.Random) -> str:
    """Swap some letters for look-alikes from another script."""
    out = []
    for ch in word:
        low = ch.lower()
        if low in _HOMOGLYPHS and rng.random() < 0.5:
            sub = rng.choice(_HOMOGLYPHS[low])
            out.append(sub.upper() if ch.isupper() and sub.upper() != sub else sub)
        else:
            out.append(ch)
    return "".join(out)


def zero_width(word: str, rng: random.Random) -> str:
    """Insert invisible characters between letters."""
    chars = list(word)
    for _ in range(max(1, len(chars) // 3)):
        chars.insert(rng.randrange(1, len(chars)), rng.choice(_ZERO_WIDTH))
    return "".join(chars)


def spacing(word: str, rng: random.Random) -> str:
    """Split the letters with spaces, dots, dashes or an emoji."""
    sep = rng.choice([" ", ".", "-", "🎰", "*"])
    return sep.join(word)


def leet(word: str, rng: random.Random) -> str:
    """Replace letters by digits and symbols (inside the word, as spammers do)."""
    chars = list(word)
    for i in range(1, len(chars) - 1):
        if chars[i].lower() in _LEET and rng.random() < 0.6:
            chars[i] = _LEET[chars[i].lower()]
    return "".join(chars)


def repeats(word: str, rng: random.Random) -> str:
    """Stretch one letter: "казиииино"."""
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] * rng.randint(2, 4) + word[i + 1 :]


TRANSFORMS: dict[str, Transform] = {
    "homoglyphs": homoglyphs,
    "zero_width": zero_width,
    "spacing": spacing,
    "leet": leet,
    "repeats": repeats,
}


def obfuscate(text: str, *, seed: int = 0, rate: float = 0.3, kinds: tuple[str, ...] = tuple(TRANSFORMS)) -> str:
    """Disguise about ``rate`` of the words (three letters or more) with randomly chosen transforms."""
    rng = random.Random(seed)
    transforms = [TRANSFORMS[k] for k in kinds]

    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        if rng.random() >= rate:
            return word
        return rng.choice(transforms)(word, rng)

    return _WORD_RE.sub(repl, text)
