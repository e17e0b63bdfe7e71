"""Justification paragraphs drafted from a verdict's signals and indicators, in Russian or Kazakh.

Quotes come from crawled content: they are bounded, stripped of control characters and of bank
card numbers (only the last four digits survive), and always shown as quotations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kuzet.notify.wording import category_words
from kuzet.records import Indicator, Signal, Verdict

MAX_QUOTES = 8
MAX_QUOTE_CHARS = 200
MAX_INDICATORS = 12

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CARD_LIKE = re.compile(r"(?<!\d)(?:\d[ \-]?){12,18}\d(?!\d)")

# Only these kinds carry text taken from the content; "rule", "model" and "obfuscation" signals
# carry the detector's own English explanation, which must never appear as a quotation.
_QUOTE_KINDS = {"phrase", "pattern"}
_OBFUSCATION_WORDS: dict[str, tuple[str, str]] = {
    "homoglyph": (
        "замена букв сходными по начертанию символами других алфавитов",
        "әріптерді басқа әліпбилердің пішіні ұқсас таңбаларымен ауыстыру",
    ),
    "mixed_script_words": ("слова из букв разных алфавитов", "әртүрлі әліпби әріптерінен құралған сөздер"),
    "invisible": ("невидимые символы", "көрінбейтін таңбалар"),
    "split": ("разбивка слов на отдельные буквы", "сөздерді жеке әріптерге бөлу"),
    "leet": ("замена букв цифрами и знаками", "әріптерді сандармен және белгілермен ауыстыру"),
    "repeat": ("повтор букв", "әріптерді қайталау"),
}

_LEAD: dict[str, dict[str, str]] = {
    "gambling": {
        "ru": "На странице (в публикации) размещены призывы к участию в азартных играх и (или) пари",
        "kk": "Бетте (жарияланымда) құмар ойындарға және (немесе) бәс тігуге қатысуға шақырулар орналастырылған",
    },
    "pyramid": {
        "ru": "На странице (в публикации) размещены призывы к вложению денег с обещанием "
        "гарантированного или сверхвысокого дохода, характерные для финансовой "
        "(инвестиционной) пирамиды",
        "kk": "Бетте (жарияланымда) қаржы (инвестициялық) пирамидасына тән, кепілдендірілген немесе "
        "аса жоғары табыс уәде етілетін ақша салуға шақырулар орналастырылған",
    },
    "illegal_finance": {
        "ru": "На странице (в публикации) размещены предложения, связанные с незаконной финансовой деятельностью",
        "kk": "Бетте (жарияланымда) заңсыз қаржылық қызметке байланысты ұсыныстар орналастырылған",
    },
}
_TEXT: dict[str, dict[str, str]] = {
    "summary": {
        "ru": "По результатам анализа содержимое интернет-ресурса отнесено к категории «{cat}» "
        "(оценка достоверности автоматического анализа — {score}).",
        "kk": "Талдау нәтижесі бойынша интернет-ресурстың мазмұны «{cat}» санатына жатқызылды "
        "(автоматты талдау сенімділігінің бағасы — {score}).",
    },
    "benign": {
        "ru": "Признаков запрещённой деятельности в содержимом интернет-ресурса не выявлено.",
        "kk": "Интернет-ресурстың мазмұнында тыйым салынған қызмет белгілері анықталған жоқ.",
    },
    "other_lead": {
        "ru": "На странице (в публикации) размещены высказывания категории «{cat}»",
        "kk": "Бетте (жарияланымда) «{cat}» санатындағы мәтіндер орналастырылған",
    },
    "ocr": {
        "ru": "На изображениях, размещённых на странице, распознан текст: {quotes}.",
        "kk": "Беттегі суреттерден мынадай мәтін танылды: {quotes}.",
    },
    "qr": {"ru": "QR-код на странице содержит: {quotes}.", "kk": "Беттегі QR-кодта мыналар бар: {quotes}."},
    "obfuscation": {
        "ru": "Текст содержит приёмы маскировки, используемые для обхода фильтров: {items}.",
        "kk": "Мәтінде сүзгілерді айналып өту үшін қолданылатын бүркемелеу тәсілдері бар: {items}.",
    },
    "payment": {
        "ru": "Указаны реквизиты для внесения средств: {items}.",
        "kk": "Қаражат енгізуге арналған деректемелер көрсетілген: {items}.",
    },
    "contact": {"ru": "Указаны контакты для связи: {items}.", "kk": "Байланыс үшін деректер көрсетілген: {items}."},
    "other": {"ru": "Приведены также сведения: {items}.", "kk": "Сондай-ақ мынадай мәліметтер келтірілген: {items}."},
}
# (substring of an indicator kind, group, Russian word, Kazakh word); the first hit wins.
_INDICATOR_WORDS: tuple[tuple[str, str, str, str], ...] = (
    ("iban", "payment", "IBAN", "IBAN"),
    ("card", "payment", "банковская карта", "банк картасы"),
    ("bank_account", "payment", "банковский счёт", "банк шоты"),
    *(
        (c, "payment", "криптокошелёк", "криптоәмиян")
        for c in ("wallet", "crypto", "btc", "bitcoin", "usdt", "eth", "trc", "tron", "ton", "ltc")
    ),
    ("phone", "contact", "телефон", "телефон"),
    ("whatsapp", "contact", "WhatsApp", "WhatsApp"),
    ("telegram", "contact", "Telegram", "Telegram"),
    ("email", "contact", "эл. почта", "эл. пошта"),
    ("promo", "other", "промокод", "промокод"),
    ("return_rate", "other", "обещанная доходность", "уәде етілген кірістілік"),
    ("amount", "other", "сумма", "сома"),
    ("favicon", "other", "хеш значка сайта", "сайт белгішесінің хэші"),
    ("", "other", "идентификатор веб-аналитики", "веб-аналитика сәйкестендіргіші"),
)
_ANALYTICS = ("analytics", "gtm", "ga", "ym", "metrika", "pixel", "tag")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mask_cards(text: str) -> str:
    """Replace bank-card numbers (13-19 digits passing Luhn) by ``**** 1234``."""

    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return f"**** {digits[-4:]}" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else m.group(0)

    return _CARD_LIKE.sub(repl, text)


def clean_text(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """Crawled text made safe to quote: no control characters, one line, bounded, cards masked."""
    text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    text = mask_cards(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quotes(signals: Iterable[Signal]) -> str:
    seen: dict[str, None] = {}
    for s in sorted(signals, key=lambda s: -s.weight):
        q = clean_text(s.text)
        if q and q.casefold() not in {k.casefold() for k in seen}:
            seen[q] = None
        if len(seen) >= MAX_QUOTES:
            break
    return ", ".join(f"«{q}»" for q in seen)


def _score(score: float) -> str:
    return f"{score:.2f}".replace(".", ",")


def indicator_words(ind: Indicator, lang: str) -> tuple[str, str]:
    """(group, words) for one indicator, e.g. ("payment", "криптокошелёк USDT (TRC20) TXyz…")."""
    kind = ind.kind.lower()
    group, word = "other", ind.kind
    for needle, grp, ru, kk in _INDICATOR_WORDS:
        if needle and needle in kind:
            group, word = grp, (kk if lang == "kk" else ru)
            break
    else:
        if any(a in kind.split("_") or kind.startswith(a) for a in _ANALYTICS):
            word = _INDICATOR_WORDS[-1][3 if lang == "kk" else 2]
    display = clean_text(ind.display or "", 120)
    if "card" in kind:
        digits = re.sub(r"\D", "", display)
        if len(digits) > 4:  # never let a full card number through, whatever the detector gave
            display = f"**** {digits[-4:]}"
    detail = ind.detail or {}
    currency = str(detail.get("currency") or detail.get("coin") or detail.get("asset") or "").upper()
    network = str(detail.get("network") or detail.get("chain") or "").upper()
    if group == "payment" and not currency and word in ("криптокошелёк", "криптоәмиян") and kind.isalnum():
        currency = kind.upper()  # the detector names crypto indicators by coin: "btc", "eth", "tron"
    if group == "payment" and (currency or network):
        qual = f"{currency} ({network})" if currency and network and network != currency else currency or network
        word = f"{word} {clean_text(qual, 40)}"
    return group, f"{word} {display}".strip()


def _obfuscation_words(signals: Iterable[Signal], lang: str) -> list[str]:
    """Kinds of disguise named by obfuscation signals (in ``name`` joined by "+" or in ``detail``)."""
    kinds: list[str] = []
    for s in signals:
        if s.kind != "obfuscation":
            continue
        named = [k for k in s.name.split("+") if k] + [k for k, v in (s.detail or {}).items() if v]
        for k in named:
            if k in _OBFUSCATION_WORDS and k not in kinds:
                kinds.append(k)
    return [_OBFUSCATION_WORDS[k][1 if lang == "kk" else 0] for k in kinds]


def draft_justification(verdict: Verdict, lang: str = "ru") -> list[str]:
    """Paragraphs explaining a verdict, quoting the content that produced it."""
    lang = "kk" if lang == "kk" else "ru"
    if not verdict.is_violation:
        return [_TEXT["benign"][lang]]
    paragraphs = [_TEXT["summary"][lang].format(cat=category_words(verdict.label, lang), score=_score(verdict.score))]
    by_category: dict[str, list[Signal]] = {}
    for s in verdict.signals:
        if s.kind in _QUOTE_KINDS and s.text.strip():
            by_category.setdefault(s.category if s.category in _LEAD else verdict.label, []).append(s)
    # The verdict's own category first, then any other category the signals spoke of.
    for category in sorted(by_category, key=lambda c: (c != verdict.label, c)):
        lead = _LEAD.get(category, {}).get(lang) or _TEXT["other_lead"][lang].format(cat=category)
        paragraphs.append(f"{lead}: {_quotes(by_category[category])}.")
    for kind in ("ocr", "qr"):
        chosen = [s for s in verdict.signals if s.kind == kind and s.text.strip()]
        if chosen:
            paragraphs.append(_TEXT[kind][lang].format(quotes=_quotes(chosen)))
    tricks = _obfuscation_words(verdict.signals, lang)
    if tricks:
        paragraphs.append(_TEXT["obfuscation"][lang].format(items="; ".join(tricks)))
    groups: dict[str, list[str]] = {}
    for ind in verdict.indicators:
        if not ind.valid:
            continue
        group, words = indicator_words(ind, lang)
        if words not in groups.setdefault(group, []) and len(groups[group]) < MAX_INDICATORS:
            groups[group].append(words)
    for group in ("payment", "contact", "other"):
        if groups.get(group):
            paragraphs.append(_TEXT[group][lang].format(items="; ".join(groups[group])))
    return paragraphs
