"""Indicator extraction: each kind with valid, corrupted and look-alike inputs."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time

import mmh3
import pytest

from kuzet.detect.indicators import (
    HTML_KINDS,
    TEXT_KINDS,
    extract_html_indicators,
    extract_indicators,
    favicon_hashes,
)
from kuzet.records import Indicator, to_jsonable


def kinds(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ind in extract_indicators(text):
        out.setdefault(ind.kind, []).append(ind.value)
    return out


def values(text: str, kind: str) -> list[str]:
    return [i.value for i in extract_indicators(text) if i.kind == kind]


def one(text: str, kind: str) -> Indicator:
    found = [i for i in extract_indicators(text) if i.kind == kind]
    assert len(found) == 1, found
    return found[0]


def change_char(s: str, index: int) -> str:
    """Replace one character by another of the same class (digit, upper, lower)."""
    c = s[index]
    if c.isdigit():
        repl = "2" if c != "2" else "3"
    elif c.isupper():
        repl = "B" if c != "B" else "C"
    else:
        repl = "b" if c != "b" else "c"
    return s[:index] + repl + s[index + 1 :]


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit (computed independently of the code under test)."""
    for d in "0123456789":
        digits = [int(x) for x in prefix + d]
        odd = digits[-1::-2]
        even = [sum(divmod(2 * x, 10)) for x in digits[-2::-2]]
        if (sum(odd) + sum(even)) % 10 == 0:
            return prefix + d
    raise AssertionError


# --- spans and general contract -----------------------------------------------------------------

MIXED = (
    "Казино Вулкан! Пиши @vulkan_support, канал https://t.me/vulkan_kz. Звони 8 (701) 123-45-67. "
    "Карта 4111 1111 1111 1111, IBAN KZ86125KZT5004100100, USDT TRC20 TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t. "
    "Сайт https://m.vulkan-kz.com/reg?utm_source=tg, зеркало vulkan777.kz. Бонус 50 000 ₸, 1.5% в день. "
    "Промокод VULKAN777, почта pay@vulkan-kz.com"
)


def test_spans_point_at_the_text_they_came_from() -> None:
    found = extract_indicators(MIXED)
    assert {i.kind for i in found} >= {
        "telegram",
        "phone",
        "card",
        "iban",
        "tron",
        "url",
        "domain",
        "amount",
        "return_rate",
        "promo_code",
        "email",
    }
    for ind in found:
        assert ind.span is not None
        piece = MIXED[ind.span.start : ind.span.end]
        assert piece.strip() == piece and piece, ind
    spans = {i.kind: MIXED[i.span.start : i.span.end] for i in found if i.span}
    assert spans["phone"] == "8 (701) 123-45-67"
    assert spans["card"] == "4111 1111 1111 1111"
    assert spans["tron"] == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert spans["amount"] == "50 000 ₸"
    assert [i.span.start for i in found if i.span] == sorted(i.span.start for i in found if i.span)
    assert {i.kind for i in found} <= TEXT_KINDS


def test_empty_and_plain_text() -> None:
    assert extract_indicators("") == []
    assert extract_indicators("Обычный текст про погоду в Алматы, без контактов и денег.") == []


def test_deduplicated_by_kind_and_value_first_span_kept() -> None:
    text = "Звони +7 701 123 45 67 или 8 (701) 123-45-67, ещё раз 87011234567"
    phones = [i for i in extract_indicators(text) if i.kind == "phone"]
    assert len(phones) == 1
    assert phones[0].span is not None and phones[0].span.start == text.index("+7")


# --- crypto ------------------------------------------------------------------------------------

BTC_VALID = [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "p2pkh"),
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "p2sh"),
    ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "p2wpkh"),
    ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", "p2wsh"),
    ("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", "p2tr"),
]


@pytest.mark.parametrize(("address", "kind"), BTC_VALID)
def test_btc_valid(address: str, kind: str) -> None:
    ind = one(f"Оплата BTC: {address} спасибо", "btc")
    assert ind.value == address.lower() if address.startswith("bc1") else address
    assert ind.detail["type"] == kind


@pytest.mark.parametrize(("address", "kind"), BTC_VALID)
def test_btc_one_changed_character_is_rejected(address: str, kind: str) -> None:
    for index in (5, len(address) - 3):
        assert values(f"BTC {change_char(address, index)}", "btc") == []


def test_btc_bech32_upper_case_accepted_mixed_case_and_v0_as_bech32m_rejected() -> None:
    assert values("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "btc") == ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"]
    assert values("bC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "btc") == []
    # BIP-350 test vector: a witness v0 program with a bech32m checksum is invalid.
    assert values("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "btc") == []


def test_btc_not_inside_longer_tokens() -> None:
    assert values("x1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "btc") == []
    assert values("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa9", "btc") == []


EIP55 = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55)
def test_eth_eip55_checksum(address: str) -> None:
    ind = one(f"ETH/BSC: {address}", "eth")
    assert ind.valid and ind.value == address.lower() and ind.detail["checksum"] == "valid"
    # Flip the case of one letter: the EIP-55 check must fail.
    i = next(k for k, c in enumerate(address[2:], 2) if c.isalpha())
    broken = address[:i] + address[i].swapcase() + address[i + 1 :]
    bad = one(f"ETH {broken}", "eth")
    assert not bad.valid and bad.detail["checksum"] == "invalid"


def test_eth_single_case_has_no_checksum_and_is_accepted() -> None:
    ind = one("send to 0x" + "52908400098527886e0f7030069857d2e4169ee7", "eth")
    assert ind.valid and ind.detail["checksum"] == "none"
    assert values("0x52908400098527886E0F7030069857D2E4169EE7", "eth") == ["0x52908400098527886e0f7030069857d2e4169ee7"]


def test_eth_wrong_length_and_hashes_rejected() -> None:
    assert values("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", "eth") == []  # 39 hex
    assert values("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00", "eth") == []  # 42 hex
    assert values("tx 0x" + "ab" * 32, "eth") == []  # a transaction hash, not an address


def test_valid_spelling_wins_over_invalid_one() -> None:
    good = EIP55[0]
    broken = good[:2] + good[2].swapcase() + good[3:]
    ind = one(f"{broken} и {good}", "eth")
    assert ind.valid


TRON = ["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"]


@pytest.mark.parametrize("address", TRON)
def test_tron_usdt_trc20(address: str) -> None:
    ind = one(f"USDT (TRC20): {address}", "tron")
    assert ind.value == address
    assert values(f"USDT {change_char(address, 10)}", "tron") == []


def test_tron_rejects_base58check_with_wrong_prefix() -> None:
    # A valid Bitcoin base58check payload written with a leading T would not decode to 0x41.
    assert values("T" + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN", "tron") == []


def ton_friendly(raw_hash: bytes, *, bounceable: bool = True, workchain: int = 0, urlsafe: bool = True) -> str:
    tag = 0x11 if bounceable else 0x51
    body = bytes([tag, workchain & 0xFF]) + raw_hash
    crc = binascii.crc_hqx(body, 0).to_bytes(2, "big")  # CRC16-XMODEM, an independent implementation
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return enc(body + crc).decode()


def test_ton_all_forms_link_to_one_raw_value() -> None:
    h = hashlib.sha256(b"wallet").digest()
    raw = "0:" + h.hex()
    bounce = ton_friendly(h)
    non_bounce = ton_friendly(h, bounceable=False)
    assert bounce.startswith("EQ") and non_bounce.startswith("UQ")
    for text in (bounce, non_bounce, raw, raw.upper().replace("0X", "0x")):
        assert values(f"TON: {text}", "ton") == [raw], text
    assert one(f"TON {non_bounce}", "ton").detail["bounceable"] is False
    assert values(f"TON {change_char(bounce, 20)}", "ton") == []


def test_ton_known_address() -> None:
    ind = one("Донат: EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N", "ton")
    assert ind.value == "0:83dfd552e63729b472fcbcc8c45ebcc6691702558b68ec7527e1ba403a0f31a8"


def test_ton_masterchain() -> None:
    h = hashlib.sha256(b"master").digest()
    assert values(ton_friendly(h, workchain=-1), "ton") == ["-1:" + h.hex()]


# --- bank cards ----------------------------------------------------------------------------------

CARDS = [
    ("4111 1111 1111 1111", "visa"),
    ("4012-8888-8888-1881", "visa"),
    ("5555555555554444", "mastercard"),
    ("2223 0000 4840 0011", "mastercard"),
    ("3782 822463 10005", "amex"),
    ("6200 0000 0000 0005", "unionpay"),
    ("3530 1113 3330 0000", "jcb"),
    ("6011 1111 1111 1117", "discover"),
]


@pytest.mark.parametrize(("written", "brand"), CARDS)
def test_cards_valid(written: str, brand: str) -> None:
    ind = one(f"Переводите на карту {written} (Kaspi)", "card")
    digits = written.replace(" ", "").replace("-", "")
    assert ind.value == digits
    assert ind.detail["brand"] == brand
    assert ind.display == "•••• •••• •••• " + digits[-4:]


def test_mir_card() -> None:
    mir = luhn_complete("220012345678901")
    grouped = " ".join(mir[i : i + 4] for i in range(0, 16, 4))
    assert one(f"МИР {grouped}", "card").detail["brand"] == "mir"


@pytest.mark.parametrize(("written", "brand"), CARDS)
def test_cards_one_digit_changed_rejected(written: str, brand: str) -> None:
    index = next(i for i, c in enumerate(written) if c.isdigit() and i > 6)
    assert values(f"карта {change_char(written, index)}", "card") == []


def test_cards_unknown_issuer_rejected_even_with_valid_luhn() -> None:
    assert values(luhn_complete("100000000000000"), "card") == []
    assert values(luhn_complete("999999999999999"), "card") == []


def test_cards_not_cut_out_of_longer_numbers() -> None:
    inner = "4111111111111111"
    assert values(f"заказ 9{inner}", "card") == []
    assert values(f"заказ {inner}7", "card") == []
    assert values(f"ID {inner}{inner}", "card") == []
    assert values(f"сумма {inner}.50", "card") == []
    assert values(f"v1.{inner}", "card") == []


def test_cards_written_next_to_other_numbers_in_groups() -> None:
    assert values("12 4111 1111 1111 1111", "card") == ["4111111111111111"]
    assert values("4111 1111 1111 1111 5555 5555 5555 4444", "card") == [
        "4111111111111111",
        "5555555555554444",
    ]


def test_card_full_number_never_in_display_or_detail() -> None:
    text = "Карты: 4111 1111 1111 1111, 5555-5555-5555-4444, 378282246310005"
    cards = [i for i in extract_indicators(text) if i.kind == "card"]
    assert len(cards) == 3
    for card in cards:
        shown = json.dumps({"display": card.display, "detail": to_jsonable(card.detail)}, ensure_ascii=False)
        digits_shown = "".join(c for c in shown if c.isdigit())
        assert card.value not in digits_shown
        assert card.value[:6] not in shown  # not even the BIN
        assert card.display.endswith(card.value[-4:])


def test_cards_need_ascii_digits() -> None:
    assert values("карта ٤١١١١١١١١١١١١١١١", "card") == []
    assert values("карта ４１１１１１１１１１１１１１１１", "card") == []


def test_phone_numbers_are_not_cards() -> None:
    assert "card" not in kinds("+7 701 123 45 67 8 (701) 123-45-67 8-800-555-35-35")


# --- IBAN ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "KZ86125KZT5004100100",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "CH9300762011623852957",
    ],
)
def test_iban_valid_compact_and_grouped(iban: str) -> None:
    grouped = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    for written in (iban, grouped):
        ind = one(f"Реквизиты: IBAN {written}, БИК ...", "iban")
        assert ind.value == iban
        assert ind.detail["country"] == iban[:2]
    assert values(f"IBAN {change_char(iban, 9)}", "iban") == []


def test_iban_kz_bank_code_and_length() -> None:
    ind = one("ИИК KZ86 125K ZT50 0410 0100 в АО «Банк»", "iban")
    assert ind.detail["bank_code"] == "125"
    assert values("KZ86125KZT50041001001", "iban") == []  # one character too long
    assert values("KZ86125KZT500410010", "iban") == []  # one too short


def test_iban_digits_never_come_back_as_card_or_phone() -> None:
    found = kinds("IBAN DE89 3704 0044 0532 0130 00 и KZ86125KZT5004100100")
    assert set(found) == {"iban"}


# --- phones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "e164", "region"),
    [
        ("8 (701) 123-45-67", "+77011234567", "KZ"),
        ("+7 747 1234567", "+77471234567", "KZ"),
        ("87011234567", "+77011234567", "KZ"),
        ("+7 (727) 250-00-00", "+77272500000", "KZ"),
        ("8 (999) 123-45-67", "+79991234567", "RU"),
        ("+7 912 345-67-89", "+79123456789", "RU"),
        ("+996 555 123 456", "+996555123456", "KG"),
        ("0555 123 456", "+996555123456", "KG"),
        ("+998 90 123 45 67", "+998901234567", "UZ"),
    ],
)
def test_phones(written: str, e164: str, region: str) -> None:
    ind = one(f"Звоните: {written}, с 9 до 18", "phone")
    assert ind.value == e164
    assert ind.detail["region"] == region


@pytest.mark.parametrize(
    "text",
    [
        "Дата 12.05.2024, время 18:30",
        "2024-05-12",
        "Заказ №12345",
        "Выигрыш 1 000 000 тг",
        "Карта 4111 1111 1111 1111",
        "ИИК KZ86125KZT5004100100",
        "USDT TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "ETH 0x52908400098527886e0f7030069857d2e4169ee7",
        "https://example.com/item/87011234567",
        "версия 1.2.3.4",
        "награда (5000-10000 монет)",
        "тираж 123456789 экземпляров",
    ],
)
def test_no_phones_out_of_other_things(text: str) -> None:
    assert values(text, "phone") == []


def test_phones_written_side_by_side() -> None:
    found = values("8 701 123 45 67 8 702 765 43 21 +7 747 1234567", "phone")
    assert found == ["+77011234567", "+77027654321", "+77471234567"]


# --- messengers, e-mail, URLs ---------------------------------------------------------------------


def test_telegram_handles_links_bots_invites() -> None:
    text = (
        "Пиши @Vulkan_Support, бот @VulkanPayBot, канал https://t.me/s/vulkan_kz/123, "
        "реф t.me/casino_kz_bot?start=ref77, чат t.me/+AbCdEf123456 и t.me/joinchat/AbCdEf123456"
    )
    found = extract_indicators(text)
    by_kind: dict[str, list[Indicator]] = {}
    for ind in found:
        by_kind.setdefault(ind.kind, []).append(ind)
    assert [i.value for i in by_kind["telegram"]] == ["@vulkan_support", "@vulkan_kz"]
    assert [i.value for i in by_kind["telegram_bot"]] == ["@vulkanpaybot", "@casino_kz_bot"]
    assert by_kind["telegram_bot"][1].detail == {"start": "ref77"}
    assert [i.value for i in by_kind["telegram_invite"]] == ["t.me/+AbCdEf123456"]


@pytest.mark.parametrize(
    "text",
    [
        "support@vulkan.com",
        "@abc",  # too short
        "@media screen and (max-width: 600px)",
        "t.me/share/url?url=https://x.kz",
        "name@gmail.com",
        "@name_",  # usernames cannot end with "_"
    ],
)
def test_not_telegram(text: str) -> None:
    found = kinds(text)
    assert not {"telegram", "telegram_bot", "telegram_invite"} & set(found)


def test_whatsapp() -> None:
    found = kinds("WhatsApp: wa.me/77011234567 или https://api.whatsapp.com/send?phone=996555123456&text=hi")
    assert found["whatsapp"] == ["+77011234567", "+996555123456"]
    assert "phone" not in found
    assert values("wa.me/12345", "whatsapp") == []


def test_emails() -> None:
    assert values("Пишите: Support@Vulkan-KZ.com.", "email") == ["support@vulkan-kz.com"]
    assert values("логотип logo@2x.png", "email") == []
    assert "domain" not in kinds("pay@vulkan-kz.com")


def test_urls_and_domains() -> None:
    found = kinds("Сайт: https://M.Vulkan-KZ.com/reg?utm_source=tg&b=2 (официальный).")
    assert found["url"] == ["https://m.vulkan-kz.com/reg?b=2"]
    assert found["domain"] == ["vulkan-kz.com"]
    assert kinds("зеркало vulkan777.kz и казино.рф")["domain"] == ["vulkan777.kz", "казино.рф"]
    assert kinds("панель http://203.0.113.7:8080/admin")["ip"] == ["203.0.113.7"]


@pytest.mark.parametrize(
    "text",
    ["файл report.txt", "запусти setup.py", "README.md", "т.е. так", "цена 1.5 тыс", "archive.zip", "конец.Начало"],
)
def test_not_domains(text: str) -> None:
    assert not {"domain", "url"} & set(kinds(text))


def test_urls_in_markdown_and_parentheses() -> None:
    text = "[читать](https://news.example.kz/a-b)**жирный** и (см. https://x.example.com/p) и https://ru.wikipedia.org/wiki/A_(b)"
    assert values(text, "url") == [
        "https://news.example.kz/a-b",
        "https://x.example.com/p",
        "https://ru.wikipedia.org/wiki/A_(b)",
    ]


def test_cyrillic_word_glued_to_domain() -> None:
    ind = one("Подробностиvulkan-win.com Привет", "domain")
    assert ind.value == "vulkan-win.com" and ind.display == "vulkan-win.com"


def test_telegram_links_are_not_urls_or_domains() -> None:
    found = kinds("https://t.me/vulkan_kz и t.me/vulkan_kz")
    assert set(found) == {"telegram"}


# --- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("Бонус 50 000 ₸ на депозит", 50000, "KZT"),
        ("выигрыш 1,5 млн тенге", 1_500_000, "KZT"),
        ("100 000 теңге ұтыс", 100_000, "KZT"),
        ("всего 10 000 тг.", 10_000, "KZT"),
        ("депозит от $100", 100, "USD"),
        ("deposit 250 USD now", 250, "USD"),
        ("вывод от 500 USDT", 500, "USDT"),
        ("2 000 руб. за регистрацию", 2000, "RUB"),
        ("бонус €20", 20, "EUR"),
        ("jackpot 5 million KZT", 5_000_000, "KZT"),
        ("1.500 тг", 1500, "KZT"),
        ("2.5 тыс ₽", 2500, "RUB"),
        ("50 мың теңге", 50_000, "KZT"),
    ],
)
def test_amounts(text: str, amount: float, currency: str) -> None:
    ind = one(text, "amount")
    assert ind.detail == {"amount": pytest.approx(amount), "currency": currency}


@pytest.mark.parametrize("text", ["50 000 человек", "в 2024 году", "тг канал", "USDT кошелёк"])
def test_not_amounts(text: str) -> None:
    assert values(text, "amount") == []


@pytest.mark.parametrize(
    ("text", "percent", "period"),
    [
        ("доход 1.5% в день", 1.5, "day"),
        ("1,2% ежедневно", 1.2, "day"),
        ("30% в месяц гарантированно", 30, "month"),
        ("10% daily profit", 10, "day"),
        ("earn 3% per week", 3, "week"),
        ("күніне 2% табыс", 2, "day"),
        ("айына 15% пайда", 15, "month"),
        ("120% годовых", 120, "year"),
        ("5%/день", 5, "day"),
        ("0.5% в час", 0.5, "hour"),
        ("5 процентов в месяц", 5, "month"),
        ("күніне 3 пайыз", 3, "day"),
    ],
)
def test_return_rates(text: str, percent: float, period: str) -> None:
    ind = one(text, "return_rate")
    assert ind.detail == {"percent": pytest.approx(percent), "period": period}


@pytest.mark.parametrize("text", ["скидка 20% на всё", "НДС 12%", "100% бонус на депозит", "5% годовщина"])
def test_not_return_rates(text: str) -> None:
    assert values(text, "return_rate") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Промокод VULKAN777 даёт бонус", "VULKAN777"),
        ("promo code: XYZ", "XYZ"),
        ("промо-код «BONUS2024»", "BONUS2024"),
        ("бонус-код: kz500", "KZ500"),
        ("Промокодты енгізіңіз: QAZAQ1", "QAZAQ1"),
        ("введи промокод WIN-100", "WIN-100"),
        ("промокод БОНУС100", "БОНУС100"),
    ],
)
def test_promo_codes(text: str, code: str) -> None:
    assert values(text, "promo_code") == [code]


@pytest.mark.parametrize(
    "text", ["промокод на бонус", "promo code below", "используйте промокод.", "ПРОМОКОД НАХОДИТСЯ В КАНАЛЕ"]
)
def test_not_promo_codes(text: str) -> None:
    assert values(text, "promo_code") == []


# --- hostile input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 100_000,
        "(" * 200_000,
        "1." * 100_000 + "x",
        "12 34 56 78 " * 20_000,
        "a." * 100_000,
        "@" * 200_000,
        "1 000 " * 40_000,
        "8" * 200_000,
        "x" * 200_000 + ".kz",
        "wa.me/" + "7" * 100_000,
        "промокод " * 20_000,
        "5% " * 60_000,
        "4111 1111 1111 1111 " * 10_000,
        "8 (701) 123-45-67, " * 10_000,
    ],
)
def test_pathological_inputs_stay_linear(text: str) -> None:
    # About 200 KB each; a quadratic pattern would take minutes here, linear ones well under 1 s.
    started = time.perf_counter()
    extract_indicators(text)
    assert time.perf_counter() - started < 5.0


# --- HTML ----------------------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><title>Вулкан — бонус 50 000 ₸</title>
<meta name="description" content="Пишите @vulkan_support">
<meta name="google-site-verification" content="Abc-DEF_123">
<meta name="yandex-verification" content="0123abcd">
<link rel="icon" type="image/png" href="/static/favicon-32.png">
<link rel="apple-touch-icon" href="https://cdn.vulkan-kz.com/apple.png">
<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123XYZ9"></script>
<script>
  gtag('config', 'UA-1234567-1'); gtag('config', 'AW-987654321');
  (function(w,d,s,l,i){w[l]=w[l]||[];})(window,document,'script','dataLayer','GTM-K7X9PQ2');
  ym(98765432, "init", {clickmap:true});
  fbq('init', '1234567890123456');
  var phoneInScript = "+7 701 000 00 00";
</script>
<noscript><img src="https://mc.yandex.ru/watch/11223344" alt=""></noscript>
<style>@media screen { .a { color: red } }</style>
</head><body>
<iframe src="https://www.googletagmanager.com/ns.html?id=GTM-NS12345"></iframe>
<p>Пишите <a href="https://t.me/vulkan_kz">в телеграм</a>, <a href="tel:+77011234567">звоните</a>,
<a href="mailto:Pay@Vulkan-KZ.com?subject=deposit">почта</a>, <a href="https://wa.me/77471234567">WhatsApp</a>,
<a href="/rules">правила</a>, <a href="https://vulkan-kz.com/bonus">бонус</a>,
<a href="https://partner-casino.com/?ref=1">партнёр</a>, <a href="javascript:void(0)">x</a>,
<a href="bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa?amount=0.1">BTC</a>, <a href="tg://resolve?domain=vulkan_pay_bot">бот</a>,
<a href="https://vulkan-kz.com/bonus">бонус ещё раз</a></p>
<p>USDT TRC20: TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t</p>
<img src="https://www.facebook.com/tr?id=9988776655443322&amp;ev=PageView">
</body></html>"""


def html_found(base_url: str | None = "https://vulkan-kz.com/") -> dict[tuple[str, str], Indicator]:
    return {(i.kind, i.value): i for i in extract_html_indicators(PAGE, base_url=base_url)}


def test_html_analytics_ids() -> None:
    found = html_found()
    for key in [
        ("ga", "G-ABC123XYZ9"),
        ("ga", "UA-1234567-1"),
        ("ga", "AW-987654321"),
        ("gtm", "GTM-K7X9PQ2"),
        ("gtm", "GTM-NS12345"),
        ("ym", "98765432"),
        ("ym", "11223344"),
        ("fb_pixel", "1234567890123456"),
        ("fb_pixel", "9988776655443322"),
        ("google_verification", "Abc-DEF_123"),
        ("yandex_verification", "0123abcd"),
    ]:
        assert key in found, key
    assert found[("ga", "UA-1234567-1")].detail["account"] == "UA-1234567"
    assert {kind for kind, _ in found} <= HTML_KINDS
    assert all(i.span is None for i in found.values())


def test_html_favicons_resolved_against_base() -> None:
    found = html_found()
    assert ("favicon_url", "https://vulkan-kz.com/static/favicon-32.png") in found
    assert ("favicon_url", "https://cdn.vulkan-kz.com/apple.png") in found
    assert ("favicon_url", "/static/favicon-32.png") in html_found(None)
    implicit = extract_html_indicators("<html><body>x</body></html>", base_url="https://a.kz/p/q")
    assert [(i.kind, i.value) for i in implicit] == [("favicon_url", "https://a.kz/favicon.ico")]


def test_html_links_and_visible_text() -> None:
    found = html_found()
    for key in [
        ("telegram", "@vulkan_kz"),
        ("telegram", "@vulkan_support"),
        ("phone", "+77011234567"),
        ("email", "pay@vulkan-kz.com"),
        ("whatsapp", "+77471234567"),
        ("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ("amount", "50000 KZT"),
        ("domain", "partner-casino.com"),
        ("url", "https://partner-casino.com/"),
        ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("telegram_bot", "@vulkan_pay_bot"),
    ]:
        assert key in found, key
    assert found[("phone", "+77011234567")].detail["source"] == "href"
    # The site's own links are not reported as URLs; scripts and styles are not visible text.
    assert ("url", "https://vulkan-kz.com/bonus") not in found
    assert ("phone", "+77010000000") not in found
    assert ("telegram", "@media") not in found
    # Without the page's address no link is reported as a URL (own and outbound look alike).
    assert not [k for k in html_found(None) if k[0] == "url"]


def test_html_garbage_and_empty() -> None:
    assert extract_html_indicators("") == []
    assert extract_html_indicators("<<<>>>\x00\xff<script>") == []
    assert extract_html_indicators("<p>" * 20_000 + "тел 8 (701) 123-45-67")
    broken = '<link rel="icon" href="http://[broken/x"><a href="https://[::1">x</a><a href="https://a.kz:99999/">y</a>'
    for base in ("https://b.kz/", "http://[broken", None):
        assert isinstance(extract_html_indicators(broken, base_url=base), list)


# --- favicon hashes ------------------------------------------------------------------------------------


def test_favicon_hash_is_shodan_style() -> None:
    raw = bytes(range(256)) * 4
    h = favicon_hashes(raw)
    b64 = base64.encodebytes(raw)
    assert b"\n" in b64  # Shodan hashes the base64 with its line breaks every 76 characters
    assert h["mmh3"] == mmh3.hash(b64)
    assert h["mmh3"] != mmh3.hash(base64.b64encode(raw))
    assert -(2**31) <= h["mmh3"] < 2**31
    assert h["sha256"] == hashlib.sha256(raw).hexdigest()
    assert h["size"] == len(raw)


def test_random_fragments_never_raise() -> None:
    """Seeded fuzzing with pieces of every indicator shape glued together at random."""
    import random

    frags = [
        "+7",
        "8 (",
        "701",
        ")",
        "-",
        " ",
        "4111",
        "KZ86",
        "125K",
        "ZT50",
        "@",
        "vulkan",
        "_bot",
        "t.me/",
        "+",
        "joinchat/",
        "https://",
        "http://[",
        "wa.me/",
        "7701",
        "₸",
        "тг",
        "млн",
        "%",
        "в день",
        "күніне",
        "промокод",
        "VIP",
        "0x",
        "5aAeb6",
        "bc1q",
        "TR7NH",
        "EQ",
        "0:",
        ".",
        ",",
        "\u200b",
        "\n",
        "<a href='",
        "'>",
        "</a>",
        "<script>",
        "ym(",
        "GTM-",
        "UA-1-1",
        "://",
        "[",
        "]",
        "(",
        "ё",
        "Ə",
        "١",
        "\x00",
        "\ud800",
    ]
    rng = random.Random(7)
    for _ in range(400):
        text = "".join(rng.choice(frags) for _ in range(rng.randint(1, 60)))
        for ind in extract_indicators(text):
            assert ind.span is not None and 0 <= ind.span.start < ind.span.end <= len(text)
        extract_html_indicators(text, base_url=rng.choice([None, "https://a.kz/"]))


def test_bare_domain_candidates_find_what_the_plain_pattern_finds() -> None:
    """Trying the domain pattern only at run starts that hold a dotted spot gives the matches
    of the plain scan, on random text made of domain-ish pieces."""
    import random

    from kuzet.detect import indicator_contacts as contacts

    rng = random.Random(4)
    pieces = list("ab.c-_@/:%+ 1ё") + ["site.com", "x.kz", "www.", "a..b", "-x.ru", "ы.рф", "_a.bc", "a.b.c.de"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        plain = [(m.span(), m.group()) for m in contacts._BARE_DOMAIN.finditer(text)]
        assert [(m.span(), m.group()) for m in contacts._bare_domain_matches(text)] == plain, text
