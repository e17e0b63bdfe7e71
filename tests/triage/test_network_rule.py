"""Mirror watch in triage: a resource whose network holds a registry-listed resource is proposed
for blocking under that decision, citing the link that proves the relation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.errors import PolicyError
from kuzet.records import RegistryEntry, TriageContext
from kuzet.triage import Policy
from kuzet.triage.policy import LINK_FALLBACK

LISTED = RegistryEntry("vulkan-royal.test", "domain", "МКИ", "МКИ-17-4/2026-4821", "2026-10-14")
PROOF = "shares TRON wallet TATtZkaFysNie6RJiwb3frfDdYPtrtGxRF with vulkan-royal.test"
WORDS = {
    "ru": "связь установлена: vulkan-royal7.test — vulkan-royal.test (общий криптокошелёк TRON TATt)",
    "kk": "байланыс анықталды: vulkan-royal7.test — vulkan-royal.test (ортақ криптоәмиян TRON TATt)",
}


def mirror(**kw: object) -> TriageContext:
    return TriageContext(
        label="gambling",
        score=0.9,
        resource_key="vulkan-royal7.test",
        url="http://vulkan-royal7.test/",
        network_id=4,
        network_registry_matches=[(LISTED, PROOF)],
        network_link_text=dict(WORDS),
        mirrors=4,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def test_mirror_of_a_listed_site_is_proposed_for_blocking(policy: Policy) -> None:
    d = policy.decide(mirror())
    assert (d.rule_id, d.route, d.documents) == ("network-registry-match", "blocking", ["blocking_notification"])
    assert d.registry_entry is LISTED
    assert "МКИ-17-4/2026-4821" in d.legal_basis and "14.10.2026" in d.legal_basis
    assert WORDS["ru"] in d.legal_basis
    assert any(PROOF in r and "МКИ-17-4/2026-4821" in r and "network 4" in r for r in d.reasons)
    kk = policy.legal_basis(d.rule_id, "kk", LISTED, WORDS["kk"])
    assert WORDS["kk"] in kk and "14.10.2026" in kk


def test_the_direct_registry_match_outranks_the_network(policy: Policy) -> None:
    d = policy.decide(mirror(registry_matches=[LISTED]))
    assert d.rule_id == "registry-match"


def test_allowlist_outranks_the_network(policy: Policy) -> None:
    assert policy.decide(mirror(allowlisted=True)).rule_id == "allowlisted"


def test_network_without_a_listed_member_does_not_block(policy: Policy) -> None:
    ctx = mirror()
    ctx.network_registry_matches = []
    d = policy.decide(ctx)
    assert d.route != "blocking"
    # Mirrors alone still make a gambling site organised.
    assert d.rule_id == "gambling-organised"


def test_link_placeholder_without_the_chain_reads_as_a_sentence(policy: Policy) -> None:
    text = policy.legal_basis("network-registry-match", "kk", LISTED)
    assert LINK_FALLBACK["kk"] in text and "{" not in text


def test_link_placeholder_needs_the_network_condition(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(
        'version: "t"\nrules:\n  - id: r\n    when:\n      registry_match: true\n    route: blocking\n'
        "    legal_basis: 'see {link}'\n    documents: [blocking_notification]\n"
        "  - id: default\n    when: {}\n    route: none\n    legal_basis: x\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyError, match="network_registry_match"):
        Policy.load(p)
