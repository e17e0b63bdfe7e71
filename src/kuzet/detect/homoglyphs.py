"""Look-alike letter tables: exotic letters to a Latin skeleton, and Latin <-> Cyrillic.

The Latin skeleton comes from Unicode TR39 confusables (the data file shipped with
``confusable-homoglyphs``) plus small capitals and Greek, which spam uses inside Cyrillic words
and which NFKC leaves alone. Folding towards Cyrillic or towards Latin is decided per word by the
caller; these tables only say what a letter looks like. Tables are case-aware because case
decides the look-alike: ``B`` looks like ``В`` while ``b`` looks like ``ь``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

# Small capitals look like upper-case letters, so they map to the upper-case skeleton.
_SMALL_CAPS = {
    "ᴀ": "A", "ʙ": "B", "ᴄ": "C", "ᴅ": "D", "ᴇ": "E", "ꜰ": "F", "ɢ": "G", "ʜ": "H", "ɪ": "I",
    "ᴊ": "J", "ᴋ": "K", "ʟ": "L", "ᴍ": "M", "ɴ": "N", "ᴏ": "O", "ᴘ": "P", "ʀ": "R", "ꜱ": "S",
    "ᴛ": "T", "ᴜ": "U", "ᴠ": "V", "ᴡ": "W", "ʏ": "Y", "ᴢ": "Z",
}  # fmt: skip

_GREEK = {
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "σ": "o", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "μ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip

# Latin (skeleton) letter -> the Cyrillic letter a reader takes it for inside a Cyrillic word.
LATIN_TO_CYRILLIC = {
    "A": "А", "a": "а", "B": "В", "b": "ь", "C": "С", "c": "с", "E": "Е", "e": "е", "H": "Н",
    "h": "н", "K": "К", "k": "к", "M": "М", "m": "м", "O": "О", "o": "о", "P": "Р", "p": "р",
    "T": "Т", "t": "т", "X": "Х", "x": "х", "Y": "У", "y": "у", "u": "и", "n": "п", "r": "г",
    "I": "І", "i": "і", "N": "И", "W": "Ш", "w": "ш",
}  # fmt: skip

# Cyrillic letter -> Latin look-alike, for Cyrillic letters planted inside Latin words.
CYRILLIC_TO_LATIN = {
    "А": "A", "а": "a", "В": "B", "Е": "E", "е": "e", "К": "K", "к": "k", "М": "M", "м": "m",
    "Н": "H", "О": "O", "о": "o", "Р": "P", "р": "p", "С": "C", "с": "c", "Т": "T", "т": "t",
    "У": "Y", "у": "y", "Х": "X", "х": "x", "Ѕ": "S", "ѕ": "s", "І": "I", "і": "i", "Ј": "J",
    "ј": "j", "ԛ": "q", "ԝ": "w", "Ԝ": "W", "ь": "b", "п": "n", "г": "r",
}  # fmt: skip


@cache
def latin_skeleton() -> dict[str, str]:
    """Map of non-Latin, non-Cyrillic letters to the ASCII letter they imitate (TR39 + extras)."""
    table: dict[str, str] = {}
    try:
        data_file = resources.files("confusable_homoglyphs").joinpath("confusables.json")
        data: dict[str, list[dict[str, str]]] = json.loads(data_file.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError, ValueError):
        data = {}
    for target, entries in data.items():
        if len(target) != 1 or not ("a" <= target.lower() <= "z"):
            continue
        for entry in entries:
            ch = entry.get("c", "")
            if len(ch) != 1 or ch.isascii() or is_cyrillic(ch) or not ch.isalpha():
                continue
            table.setdefault(ch, target)
    table.update(_GREEK)
    table.update(_SMALL_CAPS)
    return table


def is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff" or "\u0500" <= ch <= "\u052f"


def is_latin(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")
