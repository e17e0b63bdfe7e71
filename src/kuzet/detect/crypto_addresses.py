"""Crypto wallet addresses in free text, each checked against its own checksum.

Shapes alone match plenty of innocent tokens (base58 IDs, hex digests), so a candidate becomes
an indicator only when its checksum holds: base58check for Bitcoin legacy and TRON, BIP-173 /
BIP-350 for Bitcoin bech32 and bech32m, CRC16 for TON user-friendly addresses, EIP-55 for
mixed-case Ethereum addresses. All-lowercase or all-uppercase ``0x`` addresses carry no checksum
and are accepted by shape; a mixed-case one whose EIP-55 check fails is still reported (the shape
is unmistakable and it may be a deliberate typo) but with ``valid=False``.

``value`` is the form used to link mirrors: lower-case hex for Ethereum, the raw ``wc:hex`` form
for TON (so the bounceable, non-bounceable and raw spellings of one wallet link together), the
address itself for base58 forms and lower-case for bech32.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import base58
from Crypto.Hash import keccak

_B58 = "1-9A-HJ-NP-Za-km-z"
# Boundaries: the address must not be glued to other word characters or to base64/url-safe
# characters that would make it part of a longer token.
_BTC_BASE58 = re.compile(rf"(?=[13])(?<![\w+/=-])[13][{_B58}]{{25,34}}(?![\w+/=-])")
_BTC_BECH32 = re.compile(r"(?<![\w+/=-])(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{8,87}(?![\w+/=-])")
_ETH = re.compile(r"(?=0x)(?<![\w])0x[0-9a-fA-F]{40}(?![\w])")
_TRON = re.compile(rf"(?=T)(?<![\w+/=-])T[{_B58}]{{33}}(?![\w+/=-])")
_TON_FRIENDLY = re.compile(r"(?=[EUk0][Qf])(?<![\w+/=-])[EUk0][Qf][A-Za-z0-9_+/-]{46}(?![\w+/=-])")
_TON_RAW = re.compile(r"(?<![\w:-])(?:-1|0):[0-9a-fA-F]{64}(?![\w])")

_LONG_TOKEN = re.compile(r"[0-9A-Za-z_+/-]{25}")

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3


@dataclass(slots=True)
class CryptoMatch:
    kind: str  # "btc", "eth", "tron", "ton"
    value: str
    start: int
    end: int
    valid: bool = True
    detail: dict[str, Any] = field(default_factory=dict)


# --- Bitcoin -------------------------------------------------------------------------------


def btc_base58_kind(address: str) -> str | None:
    """``"p2pkh"`` / ``"p2sh"`` when a legacy address's base58check and version byte hold."""
    try:
        raw = base58.b58decode_check(address)
    except ValueError:
        return None
    if len(raw) != 21:
        return None
    return {0x00: "p2pkh", 0x05: "p2sh"}.get(raw[0])


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    return chk


def _convert_bits(data: list[int], from_bits: int, to_bits: int) -> list[int] | None:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    # Segwit decoding forbids leftover padding of 5 bits or more, or non-zero padding.
    if bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        return None
    return out


def btc_segwit_kind(address: str) -> str | None:
    """``"p2wpkh"``, ``"p2wsh"``, ``"p2tr"`` or ``"segwit_vN"`` for a valid bc1 address."""
    if address.lower() != address and address.upper() != address:
        return None  # BIP-173 forbids mixed case
    addr = address.lower()
    if len(addr) > 90:
        return None
    hrp, _, data_part = addr.rpartition("1")
    if hrp != "bc" or len(data_part) < 7:
        return None
    data = [_BECH32_CHARSET.find(c) for c in data_part]
    if -1 in data:
        return None
    const = _bech32_polymod([ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data)
    version = data[0]
    if version > 16:
        return None
    expected = _BECH32_CONST if version == 0 else _BECH32M_CONST
    if const != expected:
        return None
    program = _convert_bits(data[1:-6], 5, 8)
    if program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0:
        return {20: "p2wpkh", 32: "p2wsh"}.get(len(program))
    if version == 1 and len(program) == 32:
        return "p2tr"
    return f"segwit_v{version}"


# --- Ethereum / BSC --------------------------------------------------------------------------


def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case spelling of a ``0x`` address (Keccak-256, not NIST SHA3-256)."""
    hex_part = address[2:].lower()
    digest = keccak.new(digest_bits=256, data=hex_part.encode("ascii")).hexdigest()
    return "0x" + "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex_part))


def eth_checksum_state(address: str) -> str:
    """``"none"`` (single case, nothing to check), ``"valid"`` or ``"invalid"`` per EIP-55."""
    body = address[2:]
    if body == body.lower() or body == body.upper():
        return "none"
    return "valid" if eip55_checksum(address) == address else "invalid"


# --- TRON ------------------------------------------------------------------------------------


def tron_valid(address: str) -> bool:
    try:
        raw = base58.b58decode_check(address)
    except ValueError:
        return False
    return len(raw) == 21 and raw[0] == 0x41


# --- TON -------------------------------------------------------------------------------------


def _crc16_xmodem(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def ton_friendly_decode(address: str) -> dict[str, Any] | None:
    """Workchain, account hash and flags of a 48-character TON address whose CRC16 holds."""
    try:
        raw = base64.b64decode(address.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 36 or _crc16_xmodem(raw[:34]) != int.from_bytes(raw[34:], "big"):
        return None
    tag = raw[0]
    testnet = bool(tag & 0x80)
    tag &= 0x7F
    if tag not in (0x11, 0x51):
        return None
    workchain = raw[1] if raw[1] < 0x80 else raw[1] - 256
    if workchain not in (0, -1):
        return None
    return {
        "workchain": workchain,
        "hash": raw[2:34].hex(),
        "bounceable": tag == 0x11,
        "testnet": testnet,
    }


# --- scanning --------------------------------------------------------------------------------


def find_crypto(text: str) -> Iterator[CryptoMatch]:
    """Every checksum-valid wallet address in ``text`` (see module docstring for ETH)."""
    # Cheap gate: every base58, bech32 and base64 address is a run of 25+ such characters.
    long_token = _LONG_TOKEN.search(text) is not None
    if long_token:
        for m in _BTC_BASE58.finditer(text):
            kind = btc_base58_kind(m.group())
            if kind:
                yield CryptoMatch("btc", m.group(), m.start(), m.end(), detail={"type": kind})
    if long_token and ("bc1" in text or "BC1" in text):
        for m in _BTC_BECH32.finditer(text):
            kind = btc_segwit_kind(m.group())
            if kind:
                yield CryptoMatch("btc", m.group().lower(), m.start(), m.end(), detail={"type": kind})
    if "0x" in text:
        for m in _ETH.finditer(text):
            state = eth_checksum_state(m.group())
            yield CryptoMatch(
                "eth",
                m.group().lower(),
                m.start(),
                m.end(),
                valid=state != "invalid",
                detail={"checksum": state, "chains": ["eth", "bsc"]},
            )
    if long_token and "T" in text:
        for m in _TRON.finditer(text):
            if tron_valid(m.group()):
                yield CryptoMatch("tron", m.group(), m.start(), m.end(), detail={"network": "trc20"})
    for m in _TON_FRIENDLY.finditer(text) if long_token else ():
        info = ton_friendly_decode(m.group())
        if info:
            value = f"{info['workchain']}:{info.pop('hash')}"
            yield CryptoMatch("ton", value, m.start(), m.end(), detail={"form": "friendly", **info})
    if ":" in text:
        for m in _TON_RAW.finditer(text):
            wc, _, hex_hash = m.group().partition(":")
            yield CryptoMatch(
                "ton", f"{wc}:{hex_hash.lower()}", m.start(), m.end(), detail={"form": "raw", "workchain": int(wc)}
            )
