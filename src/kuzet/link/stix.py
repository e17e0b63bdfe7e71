"""A network as a STIX 2.1 bundle: an Infrastructure object for the network, one Indicator per
member (domain or channel URL) and per shared identifier, "indicates" relationships, and a
Grouping of everything.

STIX has no observable type for crypto wallets, phone numbers, Telegram accounts or analytics
IDs; by the specification's convention custom observable types carry an ``x-`` prefix, so their
patterns read ``[x-crypto-wallet:value = '...']``. Bank card numbers are never exported (only
their masked form, in a description). The bundle is re-parsed with ``stix2.parse`` before it is
written, so that an invalid bundle is never handed on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import stix2
from sqlalchemy.orm import Session

from kuzet.errors import KuzetError
from kuzet.link.queries import NetworkDetail, detail

PRODUCER = "kuzet"
_WALLETS = {"btc": "bitcoin", "eth": "ethereum", "tron": "tron", "ton": "ton"}
# kind -> (pattern object path, extra equality on the same object)
_PATTERNS: dict[str, tuple[str, str]] = {
    "email": ("email-addr:value", ""),
    "phone": ("x-phone-number:value", ""),
    "whatsapp": ("x-phone-number:value", ""),
    "telegram": ("user-account:account_login", "user-account:account_type = 'telegram'"),
    "telegram_invite": ("url:value", ""),
    "whatsapp_invite": ("url:value", ""),
    "iban": ("bank-account:iban_number", ""),
    "ga": ("x-analytics-id:value", ""),
    "gtm": ("x-analytics-id:value", ""),
    "ym": ("x-analytics-id:value", ""),
    "fb_pixel": ("x-analytics-id:value", ""),
    "adsense": ("x-analytics-id:value", ""),
    "promo_code": ("x-promo-code:value", ""),
    "domain": ("domain-name:value", ""),
    "server_ip": ("ipv4-addr:value", ""),
}


class StixExportError(KuzetError):
    pass


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(kind: str, value: str) -> str | None:
    """A STIX pattern for one identifier; None for what is not exported (cards, similarity links)."""
    if kind in _WALLETS:
        return f"[x-crypto-wallet:value = {_quote(value)} AND x-crypto-wallet:currency = '{_WALLETS[kind]}']"
    if kind not in _PATTERNS:
        return None
    path, extra = _PATTERNS[kind]
    if kind == "telegram":
        value = value.lstrip("@")
    if kind == "server_ip" and ":" in value:
        path = "ipv6-addr:value"
    return f"[{path} = {_quote(value)}" + (f" AND {extra}]" if extra else "]")


def member_pattern(key: str) -> str:
    if key.startswith("t.me/"):
        return f"[url:value = {_quote('https://' + key)}]"
    return f"[domain-name:value = {_quote(key)}]"


def build_bundle(net: NetworkDetail) -> stix2.Bundle:
    infra = stix2.Infrastructure(
        name=f"kuzet network {net.id}",
        description=f"Resources linked by shared identifiers and near-duplicate content ({len(net.members)} members).",
        infrastructure_types=["unknown"],
        allow_custom=True,
        x_kuzet_network_id=net.id,
    )
    objects: list[Any] = [infra]
    for m in net.members:
        ind = stix2.Indicator(
            name=m.resource,
            description=(m.joined_via or "member") + ("; " + "; ".join(m.decisions) if m.decisions else ""),
            pattern=member_pattern(m.resource),
            pattern_type="stix",
            indicator_types=["malicious-activity"],
        )
        objects += [ind, stix2.Relationship(ind, "indicates", infra)]
    for sh in net.shared:
        pattern = pattern_for(sh["kind"], str(sh["value"]))
        if pattern is None:
            continue
        ind = stix2.Indicator(
            name=f"{sh['kind']} {sh['value']}",
            description="shared by " + ", ".join(sh["resources"]),
            pattern=pattern,
            pattern_type="stix",
            indicator_types=["attribution"],
        )
        objects += [ind, stix2.Relationship(ind, "indicates", infra)]
    group = stix2.Grouping(
        name=f"kuzet network {net.id}", context="suspicious-activity", object_refs=[o.id for o in objects]
    )
    return stix2.Bundle(objects=[*objects, group], allow_custom=True)


def export_network(s: Session, network_id: int, out: Path) -> dict[str, int]:
    """Write the network's bundle to ``out``; returns counts of the objects by type."""
    net = detail(s, network_id)
    if net is None:
        raise StixExportError(f"no network {network_id}")
    bundle = build_bundle(net)
    text = bundle.serialize(pretty=True)
    parsed = stix2.parse(text, allow_custom=True)  # refuse to write what does not parse back
    counts: dict[str, int] = {}
    for obj in parsed.objects:
        counts[obj.type] = counts.get(obj.type, 0) + 1
    out.write_text(text, encoding="utf-8")
    return counts


def load_bundle(path: Path) -> Any:
    return stix2.parse(json.loads(path.read_text(encoding="utf-8")), allow_custom=True)
