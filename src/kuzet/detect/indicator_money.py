"""Money talk: amounts with a currency, promised return rates with a period, promo codes.

Written for Russian, Kazakh and English as they appear in adverts: ``50 000 ₸``, ``1,5 млн
тенге``, ``$100``, ``500 USDT``, ``1.5% в день``, ``күніне 2%``, ``10% daily``, ``промокод
VULKAN777``. A group of three digits after a space, dot or comma is read as thousands
(``1.500 ₸`` is one and a half thousand), anything else after a dot or comma as a fraction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kuzet.detect.regex_gate import GatedPattern

# A number starts only where no digit group precedes it, so "1 000 000 ..." is one match
# attempt, not one per group (quadratic on hostile input).
_NUM_START = r"(?=\d)(?<![\w.,])(?<!\d[ \u00a0\u202f])"
_NUM = r"(?P<num>\d{1,3}(?:[ \u00a0\u202f.,]\d{3})++(?:[.,]\d{1,2})?(?!\d)|\d{1,15}(?:[.,]\d{1,4})?)"
_MULT = (
    r"(?:\s?(?P<mult>млрд|миллиард\w*|млн|миллион\w*|тыс\.?|тысяч\w*|мың|mln|million|"
    r"bn|billion|[kкKК](?![\w])))?"
)
_CUR_WORDS = (
    r"(?P<cur>₸|тг\.?|тенге|теңге|KZT|₽|руб\.?(?:л\w*)?|RUB|\$|USD|долл\w*|dollars?|USDT|"
    r"€|EUR|евро|euros?)"
)
_CUR_BEFORE = r"(?P<cur>₸|₽|\$|€|USD|KZT|USDT|EUR|RUB)"

# GatedPattern: the same matches, found through a pattern the regex engine can skip through.
_AMOUNT_AFTER = GatedPattern(_NUM_START + _NUM + _MULT + r"\s?" + _CUR_WORDS + r"(?![^\W\d_])", re.I)
_AMOUNT_BEFORE = GatedPattern(
    r"(?=[₸₽$€UKER])(?<![\w])" + _CUR_BEFORE + r"\s?" + _NUM + _MULT + r"(?![\w.,]\d|[^\W\d_])"
)

_CURRENCY = {
    "₸": "KZT",
    "тг": "KZT",
    "тенге": "KZT",
    "теңге": "KZT",
    "kzt": "KZT",
    "₽": "RUB",
    "руб": "RUB",
    "rub": "RUB",
    "$": "USD",
    "usd": "USD",
    "долл": "USD",
    "dollar": "USD",
    "usdt": "USDT",
    "€": "EUR",
    "eur": "EUR",
    "евро": "EUR",
    "euro": "EUR",
}
_MULTIPLIER = {
    "млрд": 1e9,
    "миллиард": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "млн": 1e6,
    "миллион": 1e6,
    "mln": 1e6,
    "million": 1e6,
    "тыс": 1e3,
    "тысяч": 1e3,
    "мың": 1e3,
    "k": 1e3,
    "к": 1e3,
}


@dataclass(slots=True)
class MoneyMatch:
    kind: str  # "amount", "return_rate", "promo_code"
    value: str
    display: str
    start: int
    end: int
    detail: dict[str, Any] = field(default_factory=dict)


def parse_number(raw: str) -> float:
    """``50 000`` -> 50000, ``1.500`` -> 1500, ``1,5`` -> 1.5, ``1 500,50`` -> 1500.5."""
    s = raw.replace("\u00a0", " ").replace("\u202f", " ")
    # The last separator is a decimal point unless exactly three digits follow it.
    m = re.search(r"[.,](\d+)$", s)
    if m and len(m.group(1)) != 3:
        whole, frac = s[: m.start()], m.group(1)
    else:
        whole, frac = s, ""
    digits = re.sub(r"[ .,]", "", whole)
    return float(f"{digits}.{frac}" if frac else digits)


def _lookup(table: dict[str, Any], word: str) -> Any:
    w = word.lower().rstrip(".")
    if w in table:
        return table[w]
    for key, val in table.items():
        if len(key) > 2 and w.startswith(key):
            return val
    return None


# One cheap pass that says whether any currency is named at all; most texts name none.
_CURRENCY_GATE = GatedPattern(r"[₸₽$€]|тг|тенге|теңге|kzt|руб|rub|usd|долл|dollar|eur|евро", re.I)


def find_amounts(text: str) -> Iterator[MoneyMatch]:
    if not _CURRENCY_GATE.possible(text):  # substring tests on the lower-cased text
        return
    for pattern in (_AMOUNT_AFTER, _AMOUNT_BEFORE):
        for m in pattern.finditer(text):
            currency = _lookup(_CURRENCY, m.group("cur"))
            if currency is None:
                continue
            amount = parse_number(m.group("num"))
            if m.group("mult"):
                amount *= _lookup(_MULTIPLIER, m.group("mult")) or 1.0
            value = f"{amount:.2f}".rstrip("0").rstrip(".") + f" {currency}"
            yield MoneyMatch(
                "amount", value, m.group().strip(), m.start(), m.end(), {"amount": amount, "currency": currency}
            )


# --- return rates ------------------------------------------------------------------------------

_PCT = r"(?P<pct>\d{1,4}(?:[.,]\d{1,3})?)\s?(?:%|процент\w*|пайыз\w*|percent)"
_PERIODS_AFTER = (
    r"(?:(?P<day>ежедневно|в\s+сутки|за\s+сутки|в\s+день|за\s+день|в\s+д\.|каждый\s+день|/\s?день|/\s?сут\w*|"
    r"daily|(?:per|a|each|every)\s+day|/\s?day|күніне|күн\s+сайын|күндік|тәулігіне)"
    r"|(?P<week>еженедельно|в\s+неделю|за\s+неделю|/\s?нед\w*|weekly|(?:per|a|each|every)\s+week|/\s?week|"
    r"аптасына|апта\s+сайын|апталық)"
    r"|(?P<month>ежемесячно|в\s+месяц|за\s+месяц|в\s+мес\.?|/\s?мес\w*|monthly|(?:per|a|each|every)\s+month|"
    r"/\s?(?:month|mo)|айына|ай\s+сайын|айлық)"
    r"|(?P<year>годовых|в\s+год|за\s+год|ежегодно|/\s?год|annually|yearly|per\s+annum|p\.a\.|"
    r"(?:per|a|each|every)\s+year|/\s?(?:year|yr)|APY|APR|жылына|жылдық)"
    r"|(?P<hour>в\s+час|за\s+час|hourly|(?:per|an|each|every)\s+hour|сағатына|сағат\s+сайын))"
)
_PERIODS_BEFORE = (
    r"(?:(?P<day>ежедневно|каждый\s+день|daily|күніне|күн\s+сайын|тәулігіне)"
    r"|(?P<week>еженедельно|weekly|аптасына|апта\s+сайын)"
    r"|(?P<month>ежемесячно|monthly|айына|ай\s+сайын)"
    r"|(?P<year>ежегодно|annually|yearly|жылына)"
    r"|(?P<hour>hourly|сағатына))"
)
_RATE_AFTER = GatedPattern(r"(?=\d)(?<![\w.,])" + _PCT + r"\s*(?:[-–—]\s*)?" + _PERIODS_AFTER + r"(?![^\W\d_])", re.I)
_RATE_BEFORE = GatedPattern(r"(?<![\w])" + _PERIODS_BEFORE + r"\s*(?:до|up\s+to|от|from|дейін|:)?\s*" + _PCT, re.I)
_PERIOD_NAMES = ("day", "week", "month", "year", "hour")
_PERCENT_WORD = GatedPattern(r"процент|пайыз|percent", re.I)


def find_return_rates(text: str) -> Iterator[MoneyMatch]:
    if "%" not in text and not _PERCENT_WORD.possible(text):
        return
    for pattern in (_RATE_AFTER, _RATE_BEFORE):
        for m in pattern.finditer(text):
            period = next(p for p in _PERIOD_NAMES if m.group(p))
            percent = float(m.group("pct").replace(",", "."))
            value = f"{percent:g}%/{period}"
            yield MoneyMatch(
                "return_rate", value, m.group(), m.start(), m.end(), {"percent": percent, "period": period}
            )


# --- promo codes ---------------------------------------------------------------------------------

_PROMO = re.compile(
    r"(?:промо[\s-]?код\w*|бонус[\s-]?код\w*|promo[\s-]?codes?|promocodes?|bonus[\s-]?codes?|"
    r"coupon(?:\s+code)?|купон\w*|реферальн\w+\s+код\w*|referral\s+code)"
    # Kazakh and Russian put a verb between the word and the code: "промокодты енгізіңіз: X".
    r"(?:\s+(?:енгізіңіз|енгізу|қолданыңыз|введите|вводите|используйте|use|enter|apply))?"
    r"\s*(?:[:：=—–-]\s*)?[«\"“'„(]?(?P<code>[A-Za-z0-9А-ЯЁа-яё][A-Za-z0-9А-ЯЁа-яё_-]{2,31})",
    re.I,
)
_PROMO_STOP = {
    "http",
    "https",
    "www",
    "code",
    "codes",
    "promo",
    "bonus",
    "below",
    "above",
    "here",
    "link",
    "the",
    "and",
    "for",
    "from",
    "inside",
    "only",
    "now",
}


_PROMO_GATE = GatedPattern(r"код|code|купон|coupon", re.I)


def find_promo_codes(text: str) -> Iterator[MoneyMatch]:
    if not _PROMO_GATE.possible(text):
        return
    for m in _PROMO.finditer(text):
        code = m.group("code").rstrip("-_")
        has_digit = any(c.isdigit() for c in code)
        # An ordinary lower-case word after "промокод" ("промокод на бонус") is prose, not a code.
        if (code.islower() and not has_digit) or code.lower() in _PROMO_STOP or len(code) < 3:
            continue
        if not has_digit and not code.isascii():
            continue  # a Cyrillic word in capitals ("ПРОМОКОД НАХОДИТСЯ В КАНАЛЕ") is shouting, not a code
        yield MoneyMatch("promo_code", code.upper(), code, m.start("code"), m.start("code") + len(code))
