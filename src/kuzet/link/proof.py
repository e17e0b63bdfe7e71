"""Links put into words: "shares TRON wallet T... with vulkan-royal.test", in English for the
analyst's reasons, in Russian and Kazakh for the legal basis of a drafted document.

Only ``display`` forms are shown: a bank card appears masked to its last four digits.
"""

from __future__ import annotations

from kuzet.link.graph import Link
from kuzet.notify.justification import clean_text, indicator_words
from kuzet.records import Indicator

_EN: dict[str, str] = {
    "btc": "Bitcoin wallet",
    "eth": "Ethereum wallet",
    "tron": "TRON wallet",
    "ton": "TON wallet",
    "card": "bank card",
    "iban": "IBAN",
    "phone": "phone number",
    "whatsapp": "WhatsApp number",
    "whatsapp_invite": "WhatsApp group",
    "telegram": "Telegram account",
    "telegram_invite": "Telegram invite",
    "ga": "Google Analytics ID",
    "gtm": "Google Tag Manager ID",
    "ym": "Yandex Metrika counter",
    "fb_pixel": "Facebook pixel",
    "adsense": "AdSense publisher ID",
    "favicon_hash": "favicon",
    "promo_code": "promo code",
    "email": "e-mail address",
    "server_ip": "server address",
}
# Words for link kinds that are not indicators: (English, Russian, Kazakh).
_SPECIAL: dict[str, tuple[str, str, str]] = {
    "text_neardup": ("has near-duplicate text", "почти дословно совпадающий текст", "мәтіні іс жүзінде сәйкес келеді"),
    "image_neardup": ("shows a look-alike image", "сходное изображение", "ұқсас сурет"),
    "domain": ("links to {value}", "ссылка на {value}", "{value} сілтемесі"),
}
# A verb, not an adjective: «совпадает» agrees with a card, a wallet and a code alike.
_SHARED = {"ru": "совпадает", "kk": "ортақ"}
_LEAD = {"ru": "связь установлена", "kk": "байланыс анықталды"}


def link_en(lk: Link) -> str:
    if lk.kind in _SPECIAL:
        return _SPECIAL[lk.kind][0].format(value=clean_text(lk.display or lk.value, 120))
    return f"shares {_EN.get(lk.kind, lk.kind)} {clean_text(lk.display or lk.value, 120)}"


def link_words(lk: Link, lang: str) -> str:
    """A link in Russian or Kazakh: «общий криптокошелёк TRON T...», «ссылка на x.test»."""
    i = 2 if lang == "kk" else 1
    if lk.kind in _SPECIAL:
        return _SPECIAL[lk.kind][i].format(value=clean_text(lk.display or lk.value, 120))
    if lk.kind == "server_ip":
        return ("ортақ сервер мекенжайы " if lang == "kk" else "общий IP-адрес сервера ") + clean_text(lk.value, 60)
    _, words = indicator_words(Indicator(kind=lk.kind, value=lk.value, display=lk.display or lk.value), lang)
    return f"{_SHARED['kk' if lang == 'kk' else 'ru']} {words}"


def hops(start_key: str, chain: list[Link], keys: dict[int, str]) -> list[tuple[str, str, Link]]:
    """(from, to, link) for each step of ``chain``, which starts at ``start_key``'s resource."""
    out: list[tuple[str, str, Link]] = []
    here = start_key
    for lk in chain:
        a, b = keys.get(lk.a_id, "?"), keys.get(lk.b_id, "?")
        there = b if a == here else a
        out.append((here, there, lk))
        here = there
    return out


def chain_en(start_key: str, chain: list[Link], keys: dict[int, str]) -> str:
    """``chain`` as one English phrase: "shares X with a.test, which shares Y with b.test"."""
    parts = [
        f"{link_en(lk)} ({there})" if lk.kind in _SPECIAL else f"{link_en(lk)} with {there}"
        for _, there, lk in hops(start_key, chain, keys)
    ]
    return ", which ".join(parts)


def chain_words(start_key: str, chain: list[Link], keys: dict[int, str], lang: str) -> str:
    """``chain`` in Russian or Kazakh: «связь установлена: a — b (общий ...); b — c (...)»."""
    steps = [f"{here} — {there} ({link_words(lk, lang)})" for here, there, lk in hops(start_key, chain, keys)]
    return f"{_LEAD['kk' if lang == 'kk' else 'ru']}: " + "; ".join(steps)
