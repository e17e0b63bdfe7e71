"""STIX 2.1 export: the bundle parses back, holds the network, its members and shared identifiers."""

from __future__ import annotations

import json
from pathlib import Path

import stix2

from kuzet.link.stage import Linker
from kuzet.link.stix import export_network, load_bundle, pattern_for

from .netfixtures import flagged, register

WALLET = "TATtZkaFysNie6RJiwb3frfDdYPtrtGxRF"


def test_patterns() -> None:
    assert pattern_for("tron", WALLET) == f"[x-crypto-wallet:value = '{WALLET}' AND x-crypto-wallet:currency = 'tron']"
    assert pattern_for("telegram", "@vulkan_royal_bot") == (
        "[user-account:account_login = 'vulkan_royal_bot' AND user-account:account_type = 'telegram']"
    )
    assert pattern_for("card", "4400437244625697") is None  # card numbers never leave
    assert pattern_for("email", "o'brien@x.test") == "[email-addr:value = 'o\\'brien@x.test']"


def test_network_export_parses_back(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        register(s)
        a = flagged(s, "vulkan-royal.test", [("tron", WALLET), ("card", "4400437244625697")])
        b = flagged(s, "vulkan-royal7.test", [("tron", WALLET), ("card", "4400437244625697")])
        c = flagged(s, "t.me/vulkan_casino", [("telegram", "@vulkan_royal_bot"), ("tron", WALLET)])
        linker = Linker()
        for f in (a, b, c):
            nid = linker.link_finding(s, f.id)
        assert nid is not None
        out = tmp_path / "net.json"
        counts = export_network(s, nid, out)
    assert counts["infrastructure"] == 1 and counts["grouping"] == 1
    assert counts["indicator"] == 3 + 1  # three members, one exported shared wallet (the card is not)
    bundle = load_bundle(out)
    assert isinstance(bundle, stix2.v21.Bundle)
    patterns = [o.pattern for o in bundle.objects if o.type == "indicator"]
    assert "[domain-name:value = 'vulkan-royal.test']" in patterns
    assert "[url:value = 'https://t.me/vulkan_casino']" in patterns
    assert "4400437244625697" not in out.read_text(encoding="utf-8")
    rels = [o for o in bundle.objects if o.type == "relationship"]
    assert rels and all(r.relationship_type == "indicates" for r in rels)
    assert json.loads(out.read_text(encoding="utf-8"))["type"] == "bundle"
