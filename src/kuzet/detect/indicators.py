"""Indicator extraction: machine-checkable identifiers that tie content to an operator.

Public API:

- ``extract_indicators(text)``: every indicator in a text, validated, deduplicated by
  (kind, value), each with its span in ``text``.
- ``extract_html_indicators(html, base_url=None)``: the same over a page's visible text and links,
  plus analytics / tag-manager IDs, verification tokens and favicon links from the markup.
- ``favicon_hashes(raw)``: Shodan-style MurmurHash3 and SHA-256 of a favicon's bytes.

Kinds, and what ``value`` holds (the normalised form mirrors are linked on):

===================  ==========================================================================
btc                  legacy base58check address as written; bech32/bech32m lower-case
eth                  ``0x`` + 40 lower-case hex (Ethereum, BSC); ``valid=False`` when a
                     mixed-case spelling fails EIP-55
tron                 ``T...`` base58check address (USDT TRC20)
ton                  raw ``workchain:hex`` form, whichever way it was written
card                 the digits; ``display`` is masked to the last four
iban                 compact upper-case IBAN (mod-97 checked)
phone                E.164; ``detail["region"]`` from the number (KZ and RU share +7)
telegram             ``@name`` lower-case (handles and ``t.me/name`` links)
telegram_bot         ``@name...bot`` lower-case
telegram_invite      ``t.me/+HASH`` (case kept: invite hashes are case-sensitive)
whatsapp             E.164 of a ``wa.me`` / ``api.whatsapp.com`` number
whatsapp_invite      ``chat.whatsapp.com/CODE``
email                lower-case address
url                  canonical URL (``kuzet.urls.canonical_url``)
domain / ip          registrable domain of a URL or of a bare domain with a public suffix
promo_code           upper-case code
amount               ``"50000 KZT"``; ``detail`` has ``amount`` (float) and ``currency``
return_rate          ``"1.5%/day"``; ``detail`` has ``percent`` and ``period``
                     (hour, day, week, month, year)
ga / gtm / ym        Google Analytics / Ads, Tag Manager and Yandex Metrika IDs (HTML only)
fb_pixel / adsense   Facebook pixel and AdSense publisher IDs (HTML only)
*_verification       google / yandex / fb site-verification tokens (HTML only)
favicon_url          favicon link, absolute when ``base_url`` is given (HTML only)
===================  ==========================================================================
"""

from __future__ import annotations

from kuzet.detect.indicator_html import extract_html_indicators, favicon_hashes
from kuzet.detect.indicator_text import extract_indicators

TEXT_KINDS = frozenset(
    {
        "btc",
        "eth",
        "tron",
        "ton",
        "card",
        "iban",
        "phone",
        "telegram",
        "telegram_bot",
        "telegram_invite",
        "whatsapp",
        "whatsapp_invite",
        "email",
        "url",
        "domain",
        "ip",
        "promo_code",
        "amount",
        "return_rate",
    }
)
HTML_KINDS = TEXT_KINDS | {
    "ga",
    "gtm",
    "ym",
    "fb_pixel",
    "adsense",
    "google_verification",
    "yandex_verification",
    "fb_verification",
    "favicon_url",
}

__all__ = ["HTML_KINDS", "TEXT_KINDS", "extract_html_indicators", "extract_indicators", "favicon_hashes"]
