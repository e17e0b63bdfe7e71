"""Build ``answer_key.json``: the truth about every sandbox page, Telegram post and feed item.

    .venv/bin/python -m kuzet.sandbox.tools.make_answer_key

Pages are described in ``PAGES`` below; posts carry their labels in ``telegram/*.json``; feed
items are listed in ``FEED_ITEMS``. The builder checks, before writing, that every planted
indicator really occurs in the file it is listed for (images and QR codes excepted), so the
key cannot drift from the content silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from kuzet.sandbox import telegram

SANDBOX = Path(__file__).resolve().parent.parent
SITES = SANDBOX / "sites"
KEY_PATH = SANDBOX / "answer_key.json"

REGISTRY = [
    {
        "resource": "vulkan-royal.test",
        "kind": "domain",
        "authority": "Министерство культуры и информации Республики Казахстан",
        "decision_number": "МКИ-17-4/2026-4821",
        "decision_date": "2026-10-14",
        "legal_basis": (
            "статья 41-1 Закона Республики Казахстан «О связи»; пункт 5 статьи 5 Закона Республики "
            "Казахстан «Об игорном бизнесе» (организация азартных игр в сети Интернет запрещена)"
        ),
        "category": "gambling",
    }
]

ROUTE_RULE = [
    "Routes follow one rule, applied to what each item's own text shows (chrome included):",
    "1. benign -> 'none'.",
    "2. 'blocking': the resource is in the registry of prohibited resources, or it belongs to the "
    "same network (shared wallet / card / Telegram bot / analytics IDs / promo code) as a "
    "registry-listed resource: mirrors are proposed for blocking as the listed site's copies.",
    "3. 'criminal': pyramids and HYIPs (taking money for promised fixed returns, paid referral "
    "levels); an unlicensed gambling operator taking stakes or deposits itself (card or wallet on "
    "the page) outside any registry network; sale of 'fixed matches'; recruitment of drops, "
    "buying or renting bank cards and accounts, nominee accounts, unlicensed cash-out.",
    "4. 'administrative': advertising only, with no money taken by the advertiser: affiliate "
    "reviews and casino promo posts, betting-tips posts with promo codes, the unlicensed "
    "lender's advert.",
    "Pages whose main content is neutral (a casino's contacts or rules page) carry the label "
    "their whole text supports; 'main_content_label' says what the main block alone shows.",
]

INDICATOR_KINDS = {
    "tron": "USDT TRC20 / TRON base58check address (0x41 prefix)",
    "btc": "Bitcoin address: base58check P2PKH or bech32",
    "eth": "Ethereum address with EIP-55 checksum",
    "card": "bank card number, digits only (Luhn-valid)",
    "iban": "KZ IBAN, compact (mod-97 valid)",
    "phone": "phone number in E.164",
    "whatsapp": "wa.me number in E.164",
    "telegram": "Telegram username, lower case, without @",
    "email": "e-mail address",
    "ga": "Google Analytics 4 measurement ID",
    "gtm": "Google Tag Manager container ID",
    "ym": "Yandex Metrika counter number",
    "promo_code": "casino or bookmaker promo code",
    "url": "URL (for QR codes)",
}

VR = "vulkan-royal"
VR_ANALYTICS = [("ga", "G-VR7K2M9QXL"), ("gtm", "GTM-W4KZ7RP"), ("ym", "94817263")]
VR_PAY = [("card", "4400437244625697"), ("tron", "TATtZkaFysNie6RJiwb3frfDdYPtrtGxRF")]
VR_TG = [("telegram", "vulkan_royal_bot"), ("telegram", "vulkan_royal_official")]
GS_COMMON = [("ym", "97351842"), ("telegram", "goldstep_support"), ("telegram", "goldstep_invest")]
GS_WALLETS = [
    ("tron", "TBBDK77bPTQ8Gw53HYwNRS3vNyY5BYaFVx"),
    ("btc", "bc1qvm60aqz3c5hnpf6knjkxe52d4mtzcgzytllzl4"),
    ("eth", "0xEd4EB790a4E9aEB97796CA965741Fb48904eDe4B"),
]
DALA = [("ga", "G-DN3X7P4QWE"), ("phone", "+77273551240"), ("iban", "KZ479659LMM31YTLRPCN"),
        ("email", "reklama@dala-news.test")]  # fmt: skip


def page(
    host: str,
    path: str,
    label: str,
    lang: str,
    route: str,
    indicators: list[tuple[str, str]] | None = None,
    *,
    hard_negative: bool = False,
    network: str | None = None,
    in_registry: bool = False,
    image_indicators: list[tuple[str, str, str]] | None = None,
    text_only_in_image: bool = False,
    main_content_label: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    inds = [{"kind": k, "value": v, "where": "text"} for k, v in indicators or []]
    inds += [{"kind": k, "value": v, "where": w} for k, v, w in image_indicators or []]
    return {
        "url_path": host + path,
        "host": host,
        "path": path,
        "kind": "page",
        "label": label,
        "hard_negative": hard_negative,
        "lang": lang,
        "network": network,
        "resource_key": host,
        "indicators": inds,
        "in_registry": in_registry,
        "text_only_in_image": text_only_in_image,
        "expected_route": route,
        "main_content_label": main_content_label or label,
        "note": note,
    }


PAGES: list[dict[str, Any]] = [
    # --- the Vulkan Royal network: the listed site and its mirrors -------------------------
    page(
        "vulkan-royal.test",
        "/",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, *VR_PAY, *VR_TG, ("promo_code", "VULKAN777")],
        network=VR,
        in_registry=True,
        note="the registry-listed casino; bonus banner image too",
    ),
    page(
        "vulkan-royal.test",
        "/bonus.html",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, VR_TG[1], ("promo_code", "VULKAN777")],
        network=VR,
        in_registry=True,
    ),
    page(
        "vulkan-royal.test",
        "/payments.html",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, *VR_PAY, *VR_TG, ("whatsapp", "+77015550731")],
        network=VR,
        in_registry=True,
    ),
    page(
        "vulkan-royal.test",
        "/rules.html",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, VR_TG[1]],
        network=VR,
        in_registry=True,
        note="terms of an online casino: stakes, deposits, mirrors",
    ),
    page(
        "vulkan-royal.test",
        "/contacts.html",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, *VR_TG, ("telegram", "vr_partners"), ("email", "support@vulkan-royal.test")],
        network=VR,
        in_registry=True,
        main_content_label="benign",
        note="main block is support contacts only; the menu and footer name slots, live casino, 18+",
    ),
    page(
        "vulkan-royal7.test",
        "/",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, *VR_PAY, *VR_TG, ("promo_code", "VULKAN777")],
        network=VR,
        note="mirror NOT in the registry: same card, wallet, bot and analytics IDs as vulkan-royal.test",
    ),
    page(
        "vulkan-royal7.test",
        "/vhod.html",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, *VR_TG, ("promo_code", "VULKAN777")],
        network=VR,
        note="mirror login page",
    ),
    page(
        "vulkan-royal-zerkalo12.test",
        "/",
        "gambling",
        "ru",
        "blocking",
        [*VR_ANALYTICS, *VR_PAY, *VR_TG, ("promo_code", "VULKAN777")],
        network=VR,
        note="mirror NOT in the registry; card written with dashes",
    ),
    page(
        "vulkan-royal-kz.test",
        "/",
        "gambling",
        "kk",
        "blocking",
        [*VR_ANALYTICS, *VR_PAY, *VR_TG, ("promo_code", "VULKAN777")],
        network=VR,
        note="Kazakh-language mirror NOT in the registry",
    ),
    page(
        "aktsiya-bonus.test",
        "/",
        "gambling",
        "ru",
        "blocking",
        [],
        network=VR,
        image_indicators=[
            ("promo_code", "VULKAN777", "image"),
            ("url", "http://vulkan-royal-zerkalo12.test/?promo=VULKAN777", "qr"),
        ],
        text_only_in_image=True,
        note="HTML text is neutral; the casino offer is only in banner.png (OCR) and qr.png (QR)",
    ),
    # --- other gambling ----------------------------------------------------------------------
    page(
        "lucky-steppe.test",
        "/",
        "gambling",
        "en",
        "criminal",
        [("ga", "G-LS4TQ8WZ2N"), ("promo_code", "STEPPE150"), ("telegram", "luckysteppe_help")],
        network="lucky-steppe",
        note="unlicensed operator taking deposits, not in the registry",
    ),
    page(
        "lucky-steppe.test",
        "/payments.html",
        "gambling",
        "en",
        "criminal",
        [
            ("ga", "G-LS4TQ8WZ2N"),
            ("promo_code", "STEPPE150"),
            ("telegram", "luckysteppe_help"),
            ("tron", "TRjJfe9XL2kG38CKbTpoHXuEBagTANvgRu"),
            ("btc", "15sgSUXEkCmHa2EjEA4aKWBNLM9SBLj1ij"),
            ("eth", "0xbE9E44724d9c52A46db89123070AeeC521237457"),
            ("card", "4003035731433806"),
        ],
        network="lucky-steppe",
    ),
    page(
        "top-casino-kz.test",
        "/",
        "gambling",
        "ru",
        "administrative",
        [
            ("ga", "G-TC9K1RZ5XB"),
            ("promo_code", "VULKAN777"),
            ("promo_code", "STEPPE150"),
            ("telegram", "topcasino_kz_ads"),
        ],
        note="affiliate rating: advertising only, links to mirrors with ref codes",
    ),
    # --- pyramids ----------------------------------------------------------------------------
    page(
        "goldstep-invest.test",
        "/",
        "pyramid",
        "ru",
        "criminal",
        [*GS_COMMON, *GS_WALLETS, ("whatsapp", "+77475550192")],
        network="goldstep",
    ),
    page(
        "goldstep-invest.test",
        "/plans.html",
        "pyramid",
        "ru",
        "criminal",
        [*GS_COMMON, GS_WALLETS[0], ("whatsapp", "+77475550192")],
        network="goldstep",
    ),
    page(
        "goldstep-invest.test",
        "/partners.html",
        "pyramid",
        "ru",
        "criminal",
        [*GS_COMMON, ("whatsapp", "+77475550192")],
        network="goldstep",
        note="referral levels 7-3-1",
    ),
    page("goldstep-invest.test", "/en/", "pyramid", "en", "criminal", [*GS_COMMON, *GS_WALLETS], network="goldstep"),
    page(
        "goldstep-invest.test",
        "/en/plans.html",
        "pyramid",
        "en",
        "criminal",
        [*GS_COMMON, GS_WALLETS[0]],
        network="goldstep",
    ),
    page(
        "p2p-svyazki.test",
        "/",
        "pyramid",
        "ru",
        "criminal",
        [
            ("ga", "G-P2Q7ZK3MVD"),
            ("tron", "TQ95v2PHmUhxf78NM4L2r6tK4mo7XKU6Ah"),
            ("telegram", "arb_mentor_kz"),
            ("whatsapp", "+77015553412"),
        ],
        note="crypto 'arbitrage'/'связки' recruitment with 35%/month trust management",
    ),
    page(
        "baqyt-qory.test",
        "/",
        "pyramid",
        "kk",
        "criminal",
        [
            ("ga", "G-BQ5N8R2TYH"),
            ("card", "4400436679620926"),
            ("iban", "KZ206018W520536H6R7S"),
            ("tron", "TPBzVez7QAKqDDk2N1YkQoEGzFu5kF74E7"),
            ("phone", "+77015554719"),
            ("telegram", "baqyt_qory_admin"),
        ],
        network="baqyt-qory",
        note="Kazakh 'mutual help fund' pyramid, 2% a day, referral 10-5-2",
    ),
    page(
        "baqyt-qory.test",
        "/josparlar.html",
        "pyramid",
        "kk",
        "criminal",
        [("ga", "G-BQ5N8R2TYH"), ("card", "4400436679620926"), ("telegram", "baqyt_qory_admin")],
        network="baqyt-qory",
    ),
    # --- other illegal finance ---------------------------------------------------------------
    page(
        "drop-rabota.test",
        "/",
        "illegal_finance",
        "ru",
        "criminal",
        [("telegram", "drop_work_kz"), ("phone", "+77475552361")],
        network="drop-work",
        note="buying bank cards, 'оформим на тебя', renting Kaspi accounts",
    ),
    page(
        "drop-rabota.test",
        "/kk.html",
        "illegal_finance",
        "kk",
        "criminal",
        [("telegram", "drop_work_kz"), ("phone", "+77475552361")],
        network="drop-work",
    ),
    page(
        "tez-zaim.test",
        "/",
        "illegal_finance",
        "ru",
        "administrative",
        [
            ("ym", "96204417"),
            ("whatsapp", "+77475558804"),
            ("phone", "+77475558804"),
            ("iban", "KZ18722FRBW9ESS2CRHX"),
            ("card", "5169496927069803"),
        ],
        note="unlicensed private lender: 'займ без проверок', no licence, 1%/day",
    ),
    # --- hard negatives ------------------------------------------------------------------------
    page(
        "tulpar-bet.test",
        "/",
        "benign",
        "ru",
        "none",
        [("phone", "+77172554040")],
        hard_negative=True,
        note="licensed bookmaker: licence number, 21+, Unified Accounting Centre, no crypto",
    ),
    page(
        "tulpar-bet.test",
        "/responsible.html",
        "benign",
        "kk",
        "none",
        hard_negative=True,
        note="licensed bookmaker's responsible-gaming page in Kazakh",
    ),
    page(
        "sapa-bank.test",
        "/",
        "benign",
        "ru",
        "none",
        hard_negative=True,
        note="bank deposits up to 15% a year, deposit insurance",
    ),
    page("sapa-bank.test", "/kk/deposits.html", "benign", "kk", "none", hard_negative=True),
    page(
        "dala-news.test",
        "/",
        "benign",
        "mixed",
        "none",
        DALA,
        hard_negative=True,
        note="news front page with pyramid and casino headlines",
    ),
    page(
        "dala-news.test",
        "/news/finpiramida-likvidirovana.html",
        "benign",
        "ru",
        "none",
        DALA,
        hard_negative=True,
        note="news: a pyramid shut down (quotes its 1.5% a day and 7% referral)",
    ),
    page(
        "dala-news.test",
        "/news/reklama-kazino-zapret.html",
        "benign",
        "ru",
        "none",
        DALA,
        hard_negative=True,
        note="news: gambling advertising ban, quotes 'рабочее зеркало на сегодня'",
    ),
    page("dala-news.test", "/news/remont-dorog.html", "benign", "ru", "none", [*DALA, ("phone", "+77273001515")]),
    page(
        "dala-news.test",
        "/kk/qarzhy-piramidasy.html",
        "benign",
        "kk",
        "none",
        DALA,
        hard_negative=True,
        note="Kazakh news: 'қаржы пирамидасы' crackdown",
    ),
    page("dala-news.test", "/en/casino-ads-crackdown.html", "benign", "en", "none", DALA, hard_negative=True),
    page(
        "coinpulse.test",
        "/",
        "benign",
        "en",
        "none",
        [("ga", "G-CP8M2W6YRT")],
        hard_negative=True,
        note="crypto news mentioning USDT TRC20 and fixed daily yields as scams",
    ),
    page("coinpulse.test", "/ru/bitcoin-rost.html", "benign", "ru", "none", hard_negative=True),
    page(
        "fingramota.test",
        "/",
        "benign",
        "ru",
        "none",
        hard_negative=True,
        note="financial literacy: lists pyramid, casino and drop signs verbatim",
    ),
    page("fingramota.test", "/kk.html", "benign", "kk", "none", hard_negative=True),
    page(
        "kofe-alatau.test",
        "/",
        "benign",
        "ru",
        "none",
        [("phone", "+77273274518"), ("whatsapp", "+77015557630")],
        hard_negative=True,
        note="cafe: 'ставка на хорошую компанию', board-game nights",
    ),
    page("kofe-alatau.test", "/menu.html", "benign", "kk", "none", [("phone", "+77273274518")]),
    page(
        "mektep-17.test",
        "/",
        "benign",
        "kk",
        "none",
        [("phone", "+77212412217"), ("email", "mektep17@edu.test")],
        hard_negative=True,
        note="school news mentions a financial-literacy week about pyramids and casinos",
    ),
    page("dastarkhan-recipes.test", "/", "benign", "ru", "none", [("email", "aliya@dastarkhan.test")]),
    page(
        "dastarkhan-recipes.test",
        "/beshbarmak.html",
        "benign",
        "ru",
        "none",
        hard_negative=True,
        note="recipe: 'делаю ставку на свежую баранину', 'доход от блога'",
    ),
    page("steppe-travel.test", "/", "benign", "en", "none"),
    page(
        "steppe-travel.test",
        "/kapchagay.html",
        "benign",
        "en",
        "none",
        hard_negative=True,
        note="travel blog: legal casino zone in Kapchagay, 'placed a bet'",
    ),
]

FEED_URL = "dala-news.test/rss.xml"
FEED_ITEMS: list[dict[str, Any]] = [
    {"guid": "dala-news-20261127-001", "label": "benign", "hard_negative": True, "lang": "ru"},
    {"guid": "dala-news-20261126-promo", "label": "pyramid", "hard_negative": False, "lang": "ru",
     "expected_route": "criminal", "network": "goldstep",
     "indicators": [{"kind": "tron", "value": "TBBDK77bPTQ8Gw53HYwNRS3vNyY5BYaFVx", "where": "text"}],
     "note": "paid 'partner material' promoting the GoldStep pyramid inside a news feed"},
    {"guid": "dala-news-20261126-002", "label": "benign", "hard_negative": True, "lang": "ru"},
    {"guid": "dala-news-20261125-003", "label": "benign", "hard_negative": False, "lang": "ru"},
    {"guid": "dala-news-20261124-004", "label": "benign", "hard_negative": True, "lang": "kk"},
    {"guid": "dala-news-20261123-005", "label": "benign", "hard_negative": True, "lang": "en"},
]  # fmt: skip

CHANNEL_NETWORKS = {"goldstep_invest": "goldstep", "drop_work_kz": "drop-work"}

HOSTILE = [
    {"path": "/redirect-loop", "expect": "302 to /redirect-loop-b and back: a redirect loop"},
    {"path": "/redirect-chain/5", "expect": "5 redirects, then 200"},
    {"path": "/endless", "expect": "200, chunked body that never ends (cut at the body limit)"},
    {"path": "/cp1251-lying", "expect": "body in cp1251, header says charset=utf-8; Russian casino text"},
    {"path": "/koi8r", "expect": "body in koi8-r, no charset anywhere; Russian city news"},
    {"path": "/slow", "expect": "one byte every 0.5 s (total-time limit must fire)"},
    {"path": "/stall", "expect": "no response bytes for up to 120 s (read timeout must fire)"},
    {"path": "/gzip-bomb", "expect": "Content-Encoding gzip, ~1 MiB on the wire, 1 GiB decompressed"},
    {"path": "/error-500", "expect": "500"},
    {"path": "/missing", "expect": "404"},
    {"path": "/binary.html", "expect": "binary bytes labelled text/html"},
    {"path": "/redirect-metadata", "expect": "302 to http://169.254.169.254/... (must be refused)"},
    {"path": "/private/secret.html", "expect": "200, but robots.txt disallows /private/"},
    {"path": "/rate-limited", "expect": "429 with Retry-After: 1, then 200 on the next request (alternates)"},
    {"path": "/script-only", "expect": "casino text written only by JavaScript"},
]


def _post_entries() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ch in telegram.channels().values():
        page_of: dict[int, str] = {}
        before: int | None = None
        for posts in ch.pages():
            for p in posts:
                page_of[p.id] = f"{telegram.HOST}/s/{ch.name}" + (f"?before={before}" if before else "")
            before = posts[0].id
        for p in ch.posts:
            m = p.meta
            out.append({
                "url_path": f"{telegram.HOST}/{ch.name}/{p.id}",
                "page_path": page_of[p.id],
                "kind": "telegram_post",
                "channel": ch.name,
                "post_id": f"{ch.name}/{p.id}",
                "label": m["label"],
                "hard_negative": bool(m.get("hard_negative", False)),
                "lang": m["lang"],
                "network": CHANNEL_NETWORKS.get(ch.name),
                "resource_key": f"t.me/{ch.name}",
                "indicators": [dict(i, where="text") for i in m.get("indicators", [])],
                "in_registry": False,
                "text_only_in_image": False,
                "expected_route": m.get("expected_route", "none" if m["label"] == "benign" else "criminal"),
                "note": m.get("note", ""),
            })  # fmt: skip
    return out


def _feed_entries() -> list[dict[str, Any]]:
    out = []
    for item in FEED_ITEMS:
        out.append({
            "url_path": f"{FEED_URL}#{item['guid']}",
            "kind": "feed_item",
            "guid": item["guid"],
            "label": item["label"],
            "hard_negative": item["hard_negative"],
            "lang": item["lang"],
            "network": item.get("network"),
            "resource_key": "dala-news.test",
            "indicators": item.get("indicators", []),
            "in_registry": False,
            "text_only_in_image": False,
            "expected_route": item.get("expected_route", "none"),
            "note": item.get("note", ""),
        })  # fmt: skip
    return out


def page_file(host: str, path: str) -> Path:
    f = SITES / host / path.lstrip("/")
    return f / "index.html" if path.endswith("/") else f


def indicator_present(kind: str, value: str, text: str) -> bool:
    """Whether an indicator's value occurs in ``text`` in some usual written form."""
    digits = re.sub(r"\D", "", text)
    if kind == "card":
        return value in digits
    if kind in {"phone", "whatsapp"}:
        return value[-10:] in digits
    if kind == "iban":
        return value in re.sub(r"\s", "", text).upper()
    return value.lower() in text.lower()


def build() -> dict[str, Any]:
    problems = []
    for e in PAGES:
        text = page_file(e["host"], e["path"]).read_text(encoding="utf-8")
        for ind in e["indicators"]:
            if ind["where"] == "text" and not indicator_present(ind["kind"], ind["value"], text):
                problems.append(f"{e['url_path']}: {ind['kind']} {ind['value']} not in the page")
    feed = (SITES / FEED_URL).read_text(encoding="utf-8")
    for item in FEED_ITEMS:
        if item["guid"] not in feed:
            problems.append(f"feed item {item['guid']} missing")
    posts = _post_entries()
    for e in posts:
        ch = telegram.channels()[e["channel"]]
        text = next(p.text for p in ch.posts if f"{ch.name}/{p.id}" == e["post_id"])
        for ind in e["indicators"]:
            if not indicator_present(ind["kind"], ind["value"], text):
                problems.append(f"{e['post_id']}: {ind['kind']} {ind['value']} not in the post")
    if problems:
        raise SystemExit("answer key does not match the content:\n" + "\n".join(problems))
    return {
        "version": 1,
        "about": "Truth for the kuzet sandbox web. For tests and evaluation only; never served.",
        "route_rule": ROUTE_RULE,
        "labels": ["gambling", "pyramid", "illegal_finance", "benign"],
        "indicator_kinds": INDICATOR_KINDS,
        "registry": REGISTRY,
        "networks": {
            "vulkan-royal": "casino brand: registry-listed vulkan-royal.test and unlisted mirrors sharing "
            "card, TRON wallet, @vulkan_royal_bot, G-VR7K2M9QXL / GTM-W4KZ7RP / Metrika 94817263, VULKAN777",
            "lucky-steppe": "English-language crypto casino",
            "goldstep": "HYIP site, its Telegram channel and a paid feed item (shared TRON wallet)",
            "baqyt-qory": "Kazakh-language 'mutual help fund' pyramid",
            "drop-work": "card-buying recruitment site and its Telegram channel (@drop_work_kz)",
        },
        "items": [*PAGES, *posts, *_feed_entries()],
        "hostile": {"host": "hostile.test", "endpoints": HOSTILE},
    }


def main() -> None:
    key = build()
    KEY_PATH.write_text(json.dumps(key, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for item in key["items"]:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    print(f"wrote {KEY_PATH} ({counts})")


if __name__ == "__main__":
    main()
