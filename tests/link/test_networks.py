"""The indicator graph and networks: weights, stable ids, merges, advertisers, paths, benign pages."""

from __future__ import annotations

from sqlalchemy import select

from kuzet.link.graph import Link, joined, path
from kuzet.link.mirror import network_registry_matches
from kuzet.link.networks import members, network_of
from kuzet.link.stage import Linker
from kuzet.store.models import NetworkRow, ResourceLinkRow

from .netfixtures import flagged, register

WALLET = "TATtZkaFysNie6RJiwb3frfDdYPtrtGxRF"
CARD = "4400437244625697"


def _link(s, f) -> int | None:  # type: ignore[no-untyped-def]
    return Linker().link_finding(s, f.id)


def test_weights_strong_medium_weak() -> None:
    def lk(kind: str, w: float, value: str = "v") -> Link:
        return Link(1, 2, kind, value, value, w)

    assert joined([lk("tron", 1.0)], 1.0)
    assert not joined([lk("promo_code", 0.5)], 1.0)
    assert joined([lk("promo_code", 0.5), lk("email", 0.5)], 1.0)
    # Weak links never join, however many.
    assert not joined([lk("server_ip", 0.2, str(i)) for i in range(10)], 1.0)
    assert not joined([lk("promo_code", 0.5), lk("server_ip", 0.2)], 1.0)
    # Ten look-alike images of one template are one proof, not ten.
    assert not joined([lk("image_neardup", 0.5, str(i)) for i in range(10)], 1.0)


def test_mirrors_join_one_network_with_proof_and_stable_ids(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        register(s)
        a = flagged(s, "vulkan-royal.test", [("tron", WALLET), ("card", CARD)])
        assert _link(s, a) is None  # alone: no network
        b = flagged(s, "vulkan-royal7.test", [("tron", WALLET)])
        nid = _link(s, b)
        assert nid is not None and network_of(s, a.resource_id) == nid
        joined_via = {m.resource_key: (m.via_kind, m.via_value, m.via_resource_key) for m in members(s, nid)}
        assert joined_via["vulkan-royal7.test"] == ("tron", WALLET, "vulkan-royal.test")
        # A new resource joins the existing network; running its job again changes nothing.
        c = flagged(s, "vulkan-royal-kz.test", [("card", CARD)])
        assert _link(s, c) == nid
        n_links = len(s.execute(select(ResourceLinkRow)).all())
        assert _link(s, c) == nid and len(s.execute(select(ResourceLinkRow)).all()) == n_links
        assert [m.resource_key for m in members(s, nid)][-1] == "vulkan-royal-kz.test"
        # The mirror watch: the listed member's decision, with the chain that proves the relation.
        view = network_registry_matches(s, c.resource_id, 1.0)
        assert view.size == 3 and view.matches[0].entry.decision_number == "МКИ-17-4/2026-4821"
        assert "bank card **** 5697 with vulkan-royal.test" in view.matches[0].proof
        assert CARD not in view.matches[0].proof and CARD not in view.matches[0].words["ru"]


def test_two_networks_merge_into_the_older(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        a1 = flagged(s, "a1.test", [("tron", "T1")])
        a2 = flagged(s, "a2.test", [("tron", "T1")])
        b1 = flagged(s, "b1.test", [("ga", "G-B")])
        b2 = flagged(s, "b2.test", [("ga", "G-B")])
        for f in (a1, a2, b1, b2):
            _link(s, f)
        older, younger = network_of(s, a1.resource_id), network_of(s, b1.resource_id)
        assert older is not None and younger is not None and older < younger
        bridge = flagged(s, "bridge.test", [("tron", "T1"), ("ga", "G-B")])
        assert _link(s, bridge) == older
        assert {network_of(s, f.resource_id) for f in (a1, a2, b1, b2, bridge)} == {older}
        row = s.get(NetworkRow, younger)
        assert row is not None and row.merged_into == older and row.merge_detail.get("kind") in ("tron", "ga")
        # Path between the two former networks goes through the bridge.
        chain = path(s, a1.resource_id, b2.resource_id, 1.0)
        assert chain is not None and [lk.kind for lk in chain] == ["tron", "ga"]
        assert path(s, a1.resource_id, a1.resource_id, 1.0) == []


def test_benign_pages_and_weak_links_stay_out(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        casino = flagged(s, "casino.test", [("phone", "+77010000001"), ("promo_code", "BONUS1")])
        bank = flagged(s, "sapa-bank.test", [("phone", "+77010000001")], label="benign")
        other = flagged(s, "other-casino.test", [("promo_code", "BONUS1")])
        assert _link(s, casino) is None and _link(s, other) is None
        assert network_of(s, bank.resource_id) is None
        assert path(s, casino.resource_id, other.resource_id, 1.0) is None


def test_an_advertiser_of_two_brands_joins_neither(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        v1 = flagged(s, "brand-v.test", [("tron", "TV"), ("promo_code", "V777")])
        v2 = flagged(s, "brand-v2.test", [("tron", "TV")])
        l1 = flagged(s, "brand-l.test", [("btc", "bcl"), ("promo_code", "L150")])
        l2 = flagged(s, "brand-l2.test", [("btc", "bcl")])
        for f in (v1, v2, l1, l2):
            _link(s, f)
        ads = [
            flagged(s, "t.me/tipster", [("promo_code", "V777"), ("url", "https://brand-v.test/?ref=1")]),
            flagged(s, "t.me/tipster", [("promo_code", "L150"), ("domain", "brand-l.test")]),
        ]
        for f in ads:
            _link(s, f)
        assert network_of(s, ads[0].resource_id) is None
        assert network_of(s, v1.resource_id) != network_of(s, l1.resource_id)
        # An affiliate of one brand only (promo code and a link to its site) does join it.
        aff = flagged(s, "aktsiya.test", [("promo_code", "V777"), ("url", "http://brand-v.test/?promo=V777")])
        assert _link(s, aff) == network_of(s, v1.resource_id)


def test_channel_and_site_join_through_the_handle(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        site = flagged(s, "drop-rabota.test", [("telegram", "@drop_work_kz"), ("phone", "+77475552361")])
        chan = flagged(s, "t.me/drop_work_kz", [("telegram", "@drop_work_kz_admin")], label="illegal_finance")
        _link(s, site)
        assert _link(s, chan) == network_of(s, site.resource_id) is not None
