"""What the learned model sees: a "model view" of the text plus dense evidence features.

The training chats were anonymised (``[USERNAME]``, ``[LINK]``, ``[PHONE]``, ``[CURRENCY]``)
while live pages carry real handles, links and numbers. ``model_view`` puts the same
placeholders into live text so that the character n-grams learnt on one carry over to the
other, instead of the model learning "a placeholder means spam".

Dense features summarise lexicon matches per category, obfuscation counts and indicator kinds;
they let the model weigh analyst-curated evidence against n-grams learnt from a small corpus.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from kuzet.detect.lexicon import Match
from kuzet.detect.normalize import NormalizedText
from kuzet.detect.regex_gate import GatedPattern
from kuzet.records import Indicator

_URL_RE = GatedPattern(
    r"(?:https?://|www\.)\S+|\b[a-z0-9-]{2,}\.(?:com|ru|kz|net|org|io|me|bet|casino|xyz|top|site|online|pro|club|info|biz|app|cc)\b(?:/\S*)?"
)
_TME_RE = GatedPattern(r"\bt\.me/\S+")
_HANDLE_RE = GatedPattern(r"(?<![\w@])@[a-z0-9_]{4,32}\b")
_PHONE_RE = GatedPattern(r"(?<!\d)(?:\+?[78][\s(-]{0,2}\d{3}[\s)-]{0,2}\d{3}[\s-]?\d{2}[\s-]?\d{2}|\+\d{10,13})(?!\d)")
_CURRENCY_RE = GatedPattern(r"(?<=\d)\s?(?:₽|₸|руб\.?|рублей|рубля|тенге|тг\.?)(?!\w)")


def model_view(text: str) -> str:
    """Normalised text with links, handles, phones and currency words as the training placeholders."""
    text = _TME_RE.sub(" [link] ", text)
    text = _URL_RE.sub(" [link] ", text)
    text = _HANDLE_RE.sub(" [username] ", text)
    text = _PHONE_RE.sub(" [phone] ", text)
    return _CURRENCY_RE.sub(" [currency]", text)


LEXICON_CATEGORIES = ("gambling", "pyramid", "illegal_finance", "benign_context", "call_to_action")
INDICATOR_GROUPS = ("crypto", "card", "iban", "phone", "messenger", "promo", "other")
_OBFUSCATION_KEYS = ("homoglyph", "mixed_script_words", "invisible", "split", "leet", "repeat")

DENSE_FEATURES: tuple[str, ...] = (
    *(f"lex_{c}_sum" for c in LEXICON_CATEGORIES),
    *(f"lex_{c}_n" for c in LEXICON_CATEGORIES),
    *(f"lex_{c}_max" for c in LEXICON_CATEGORIES),
    *(f"obf_{k}" for k in _OBFUSCATION_KEYS),
    *(f"ind_{g}" for g in INDICATOR_GROUPS),
    "len_log",
)
INDICATOR_FEATURES = frozenset(f"ind_{g}" for g in INDICATOR_GROUPS)
OBFUSCATION_FEATURES = frozenset(f"obf_{k}" for k in _OBFUSCATION_KEYS)
# Evidence that strengthens a violation but must not make one by itself: identifiers (a bank
# page lists phones too) and disguised spelling (a news text can be obfuscated as well).
AMPLIFIER_FEATURES = INDICATOR_FEATURES | OBFUSCATION_FEATURES


@lru_cache(maxsize=256)
def indicator_group(kind: str) -> str:
    """Coarse group of an indicator kind, robust to how the extractor names its kinds."""
    k = kind.lower()
    if any(s in k for s in ("wallet", "btc", "eth", "trc", "tron", "usdt", "ton", "crypto", "bitcoin", "ltc")):
        return "crypto"
    if "iban" in k:
        return "iban"
    if "card" in k:
        return "card"
    if "phone" in k:
        return "phone"
    if any(s in k for s in ("telegram", "whatsapp", "handle", "tg", "viber")):
        return "messenger"
    if "promo" in k:
        return "promo"
    return "other"


def entry_weights(matches: Sequence[Match]) -> dict[tuple[str, str], float]:
    """The weight of each lexicon entry found, ``(category, name)`` -> weight, counted once
    however often the entry occurs (never below 0)."""
    best: dict[tuple[str, str], float] = {}
    for m in matches:
        key = (m.category, m.name)
        old = best.get(key)
        if old is None:
            best[key] = m.weight if m.weight > 0.0 else 0.0
        elif m.weight > old:
            best[key] = m.weight
    return best


def category_scores(matches: Sequence[Match], weights: dict[tuple[str, str], float] | None = None) -> dict[str, float]:
    """Sum of weights per lexicon category, each entry counted once (``weights``: the
    ``entry_weights`` of ``matches``, when already known)."""
    best = entry_weights(matches) if weights is None else weights
    out = dict.fromkeys(LEXICON_CATEGORIES, 0.0)
    for (cat, _), w in best.items():
        out[cat] = out.get(cat, 0.0) + w
    return out


def dense_features(
    norm: NormalizedText,
    matches: Sequence[Match],
    indicators: Sequence[Indicator],
    weights: dict[tuple[str, str], float] | None = None,
) -> list[float]:
    """The dense feature vector, in ``DENSE_FEATURES`` order."""
    best = entry_weights(matches) if weights is None else weights
    sums = dict.fromkeys(LEXICON_CATEGORIES, 0.0)
    counts = dict.fromkeys(LEXICON_CATEGORIES, 0)
    maxes = dict.fromkeys(LEXICON_CATEGORIES, 0.0)
    for (cat, _), w in best.items():
        if cat in sums:
            sums[cat] += w
            counts[cat] += 1
            if w > maxes[cat]:
                maxes[cat] = w
    groups = dict.fromkeys(INDICATOR_GROUPS, 0)
    for ind in indicators:
        if ind.valid:
            groups[indicator_group(ind.kind)] += 1
    vec: list[float] = []
    vec.extend(math.log1p(sums[c]) for c in LEXICON_CATEGORIES)
    vec.extend(math.log1p(counts[c]) for c in LEXICON_CATEGORIES)
    vec.extend(maxes[c] / 3.0 for c in LEXICON_CATEGORIES)
    vec.extend(math.log1p(norm.obfuscation.get(k, 0)) for k in _OBFUSCATION_KEYS)
    vec.extend(math.log1p(groups[g]) for g in INDICATOR_GROUPS)
    vec.append(math.log1p(len(norm.text)) / 8.0)
    return vec
