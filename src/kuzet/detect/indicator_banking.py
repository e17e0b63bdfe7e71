"""Bank cards (Luhn + issuer ranges) and IBANs (mod-97 + country length) in free text.

Card numbers are looked for in runs of digit groups separated by single spaces or dashes. A run
is taken whole when it has 13-19 digits; a longer run (a card written next to other numbers) is
searched only along group boundaries, and only for the usual ``4-4-4-4[-3]`` and ``4-6-5``
layouts, so that a card is never cut out of the middle of a longer number. Phone numbers start
with ``+`` or have 10-12 digits and never pass; IBANs are found first and masked by the caller.

A card's ``display`` keeps only the last four digits: nothing shown to a person carries the full
number. ``value`` keeps the digits because mirrors are linked on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Runs start only where no digit group precedes them and the repetition never backtracks
# (possessive ``*+``), so a megabyte of "1 1 1 ..." costs one linear pass, not a quadratic one.
# ASCII digits only: Luhn and the issuer table are defined on them (``\d`` also matches ٤ and ４).
_CARD_RUN = re.compile(r"(?=[0-9])(?<![\w+])(?<!\d[.,])(?<!\d[ \u00a0-])[0-9]+(?:[ \u00a0-][0-9]+)*+(?!\w)(?![.,]\d)")

MAX_RUN_GROUPS = 12

# (first digits low, high, how many leading digits, brand, allowed lengths). Narrow ranges first:
# Mir 2200-2204 sits just below Mastercard's 2221-2720.
_ISSUERS: tuple[tuple[int, int, int, str, frozenset[int]], ...] = (
    (2200, 2204, 4, "mir", frozenset(range(16, 20))),
    (2221, 2720, 4, "mastercard", frozenset({16})),
    (51, 55, 2, "mastercard", frozenset({16})),
    (4, 4, 1, "visa", frozenset({13, 16, 19})),
    (34, 34, 2, "amex", frozenset({15})),
    (37, 37, 2, "amex", frozenset({15})),
    (3528, 3589, 4, "jcb", frozenset(range(16, 20))),
    (300, 305, 3, "diners", frozenset(range(14, 20))),
    (36, 36, 2, "diners", frozenset(range(14, 20))),
    (38, 39, 2, "diners", frozenset(range(16, 20))),
    (6011, 6011, 4, "discover", frozenset(range(16, 20))),
    (644, 649, 3, "discover", frozenset(range(16, 20))),
    (65, 65, 2, "discover", frozenset(range(16, 20))),
    (62, 62, 2, "unionpay", frozenset(range(16, 20))),
    (8600, 8600, 4, "uzcard", frozenset({16})),
    (9860, 9860, 4, "humo", frozenset({16})),
    (50, 50, 2, "maestro", frozenset(range(13, 20))),
    (56, 58, 2, "maestro", frozenset(range(13, 20))),
    (63, 63, 2, "maestro", frozenset(range(13, 20))),
    (67, 69, 2, "maestro", frozenset(range(13, 20))),
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The card scheme whose issuer range and length fit ``digits``, else None."""
    n = len(digits)
    for low, high, width, brand, lengths in _ISSUERS:
        if low <= int(digits[:width]) <= high and n in lengths:
            return brand
    return None


def mask_card(digits: str) -> str:
    return "•••• •••• •••• " + digits[-4:]


@dataclass(slots=True)
class BankMatch:
    kind: str  # "card" or "iban"
    value: str
    display: str
    start: int
    end: int
    detail: dict[str, Any] = field(default_factory=dict)


def _card_from(groups: list[tuple[str, int, int]]) -> BankMatch | None:
    digits = "".join(g for g, _, _ in groups)
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return None
    brand = card_brand(digits)
    if brand is None:
        return None
    return BankMatch(
        "card", digits, mask_card(digits), groups[0][1], groups[-1][2], {"brand": brand, "last4": digits[-4:]}
    )


def _card_layout(lengths: list[int]) -> bool:
    if lengths == [4, 6, 5] or lengths == [4, 6, 4]:
        return True  # Amex and Diners print 4-6-5 / 4-6-4
    return len(lengths) >= 2 and all(n == 4 for n in lengths[:-1]) and lengths[-1] in (3, 4)


def find_cards(text: str) -> Iterator[BankMatch]:
    for m in _CARD_RUN.finditer(text):
        run = m.group()
        if len(run) < 13:
            continue
        if run.count(" ") + run.count("-") + run.count("\u00a0") >= MAX_RUN_GROUPS:
            continue
        groups = [(g.group(), m.start() + g.start(), m.start() + g.end()) for g in re.finditer(r"[0-9]+", run)]
        whole = _card_from(groups)
        if whole:
            yield whole
            continue
        if not 3 <= len(groups) <= MAX_RUN_GROUPS:
            # One long digit run or two groups: nothing to cut along. A table of numbers: no card
            # is written that way, and walking it would cost time on hostile pages.
            continue
        i = 0
        while i < len(groups):
            for j in range(i + 2, min(i + 6, len(groups) + 1)):
                window = groups[i:j]
                if _card_layout([len(g) for g, _, _ in window]):
                    card = _card_from(window)
                    if card:
                        yield card
                        i = j - 1
                        break
            i += 1


# IBAN lengths by country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BI": 27,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DJ": 27,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FK": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "LY": 25,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MN": 20,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NI": 28,
    "NL": 18,
    "NO": 15,
    "OM": 23,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "RU": 33,
    "SA": 24,
    "SC": 31,
    "SD": 18,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "SO": 23,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
    "YE": 30,
}
_IBAN_START = re.compile(r"(?=[A-Z])(?<![A-Za-z0-9])([A-Z]{2})([0-9]{2}) ?[A-Z0-9]")


def iban_valid(iban: str) -> bool:
    """Country length and ISO 7064 mod-97 check of a compact upper-case IBAN."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum() or not iban.isascii():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def find_ibans(text: str) -> Iterator[BankMatch]:
    for m in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(m.group(1))
        if length is None:
            continue
        # Walk the characters, allowing single spaces between groups, until the country's length.
        chars: list[str] = []
        pos = m.start()
        end = min(len(text), m.start() + length * 2)
        while pos < end and len(chars) < length:
            c = text[pos]
            if c.isascii() and c.isalnum() and (c.isdigit() or c.isupper()):
                chars.append(c)
            elif not (c == " " and chars and pos + 1 < len(text) and text[pos + 1] != " "):
                break
            pos += 1
        if len(chars) != length or (pos < len(text) and text[pos].isalnum()):
            continue
        iban = "".join(chars)
        if not iban_valid(iban):
            continue
        detail: dict[str, Any] = {"country": iban[:2]}
        if iban[:2] == "KZ":
            if not iban[4:7].isdigit():
                continue  # Kazakh IBANs start their BBAN with a three-digit bank code
            detail["bank_code"] = iban[4:7]
        display = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        yield BankMatch("iban", iban, display, m.start(), pos, detail)
