"""Every planted indicator must pass the checks a real validator applies; the checks live here,
written from the specifications, so that a bad fixture cannot pass by sharing a bug with kuzet."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import base58
import pytest

from kuzet.sandbox import catalog, telegram
from kuzet.sandbox.tools.make_answer_key import indicator_present, page_file


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0


def base58check_payload(addr: str) -> bytes:
    raw = base58.b58decode(addr)
    payload, check = raw[:-4], raw[-4:]
    assert hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == check, addr
    return payload


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_ok(addr: str) -> bool:
    hrp, _, data = addr.lower().rpartition("1")
    values = [BECH32.index(c) for c in data]
    chk = 1
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    for v in [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return hrp == "bc" and chk == 1 and values[0] == 0


# Keccak-256 (the pre-SHA-3 padding Ethereum uses), from the Keccak reference description.
_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]  # fmt: skip
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M = (1 << 64) - 1


def _rol(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _M if n else v


def keccak256(data: bytes) -> bytes:
    rate = 136
    msg = bytearray(data) + b"\x01"
    msg += b"\x00" * (-len(msg) % rate)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        for i in range(rate // 8):
            a[i % 5][i // 5] ^= int.from_bytes(msg[off + 8 * i : off + 8 * i + 8], "little")
        for rc in _RC:
            c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
            d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
            a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
            b = [[0] * 5 for _ in range(5)]
            for x in range(5):
                for y in range(5):
                    b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
            a = [[b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
            a[0][0] ^= rc
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def test_keccak_known_vector() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def eip55_ok(addr: str) -> bool:
    body = addr[2:]
    h = keccak256(body.lower().encode()).hex()
    return all(
        (c.upper() if int(h[i], 16) >= 8 else c.lower()) == c if c.isalpha() else True for i, c in enumerate(body)
    )


def iban_ok(iban: str) -> bool:
    if not re.fullmatch(r"KZ\d{2}\d{3}[0-9A-Z]{13}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def check(kind: str, value: str) -> None:
    if kind == "card":
        assert re.fullmatch(r"\d{16}", value) and luhn_ok(value), value
    elif kind == "tron":
        payload = base58check_payload(value)
        assert value.startswith("T") and payload[0] == 0x41 and len(payload) == 21, value
    elif kind == "btc":
        if value.startswith("bc1"):
            assert bech32_ok(value), value
        else:
            payload = base58check_payload(value)
            assert payload[0] == 0x00 and len(payload) == 21, value
    elif kind == "eth":
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", value) and eip55_ok(value), value
    elif kind == "iban":
        assert iban_ok(value), value
    elif kind in {"phone", "whatsapp"}:
        assert re.fullmatch(r"\+77\d{9}", value), value  # Kazakhstan: +7 7XX (mobile and city)
    elif kind == "telegram":
        assert re.fullmatch(r"[a-z][a-z0-9_]{4,31}", value), value
    elif kind == "ga":
        assert re.fullmatch(r"G-[A-Z0-9]{10}", value), value
    elif kind == "gtm":
        assert re.fullmatch(r"GTM-[A-Z0-9]{6,8}", value), value
    elif kind == "ym":
        assert re.fullmatch(r"\d{8}", value), value
    elif kind == "email":
        assert re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", value), value
    elif kind == "promo_code":
        assert re.fullmatch(r"[A-Z0-9]{4,16}", value), value
    elif kind == "url":
        assert value.startswith("http://") and ".test/" in value, value
    else:
        pytest.fail(f"unknown indicator kind {kind}")


def all_indicators() -> list[tuple[str, dict[str, Any]]]:
    return [(item["url_path"], ind) for item in catalog.answer_key()["items"] for ind in item["indicators"]]


def test_validators_reject_broken_values() -> None:
    assert not luhn_ok("4400437244625698")
    assert not iban_ok("KZ19722FRBW9ESS2CRHX")
    assert not bech32_ok("bc1qvm60aqz3c5hnpf6knjkxe52d4mtzcgzytllzl5")
    assert not eip55_ok("0xed4EB790a4E9aEB97796CA965741Fb48904eDe4B")
    with pytest.raises((AssertionError, ValueError)):
        base58check_payload("TATtZkaFysNie6RJiwb3frfDdYPtrtGxRG")


def test_every_planted_indicator_is_valid() -> None:
    items = all_indicators()
    kinds = {ind["kind"] for _, ind in items}
    # The sandbox must plant every checksum-bearing kind at least once.
    assert {"card", "tron", "btc", "eth", "iban", "phone", "whatsapp", "telegram", "ga", "gtm", "ym"} <= kinds
    assert any(ind["value"].startswith("bc1") for _, ind in items if ind["kind"] == "btc")
    assert any(not ind["value"].startswith("bc1") for _, ind in items if ind["kind"] == "btc")
    for where, ind in items:
        try:
            check(ind["kind"], ind["value"])
        except AssertionError as e:
            raise AssertionError(f"{where}: {ind}") from e


def test_cards_use_kazakh_test_style_bins() -> None:
    cards = {ind["value"] for _, ind in all_indicators() if ind["kind"] == "card"}
    assert any(c.startswith("440043") for c in cards)


def test_text_indicators_occur_in_the_content() -> None:
    channels = telegram.channels()
    for item in catalog.answer_key()["items"]:
        if item["kind"] == "page":
            text = page_file(item["host"], item["path"]).read_text(encoding="utf-8")
        elif item["kind"] == "telegram_post":
            ch = channels[item["channel"]]
            text = next(p.text for p in ch.posts if f"{ch.name}/{p.id}" == item["post_id"])
        else:
            text = page_file("dala-news.test", "/rss.xml").read_text(encoding="utf-8")
        for ind in item["indicators"]:
            if ind["where"] == "text":
                assert indicator_present(ind["kind"], ind["value"], text), (item["url_path"], ind)


def test_mirrors_share_network_indicators() -> None:
    pages = [i for i in catalog.answer_key()["items"] if i["kind"] == "page" and i["network"] == "vulkan-royal"]
    fronts = [p for p in pages if p["path"] == "/" and not p["text_only_in_image"]]
    assert len({p["host"] for p in fronts}) >= 4
    shared = None
    for p in fronts:
        values = {(i["kind"], i["value"]) for i in p["indicators"]}
        shared = values if shared is None else shared & values
    assert shared is not None
    assert {"tron", "card", "telegram", "ga", "gtm", "ym"} <= {k for k, _ in shared}
