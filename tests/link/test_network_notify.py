"""The link that proves a mirror reaches the drafted document (legal basis and justification)."""

from __future__ import annotations

from kuzet.notify import build_context
from kuzet.records import RouteDecision, Verdict
from kuzet.triage import Policy

from .netfixtures import LISTED

WORDS = {
    "ru": "связь установлена: vulkan-royal7.test — vulkan-royal.test (общий криптокошелёк TRON TATt)",
    "kk": "байланыс анықталды: vulkan-royal7.test — vulkan-royal.test (ортақ криптоәмиян TRON TATt)",
}


def test_drafted_basis_and_justification_cite_the_link() -> None:
    policy = Policy.load()
    decision = RouteDecision("blocking", "network-registry-match", "", policy.version, registry_entry=LISTED)
    verdict = Verdict(label="gambling", score=0.97, scores={"gambling": 0.97})
    for lang in ("ru", "kk"):
        ctx = build_context(
            decision=decision,
            verdict=verdict,
            urls=["http://vulkan-royal7.test/"],
            lang=lang,  # type: ignore[arg-type]
            doc_id="KZT-000001",
            policy=policy,
            network_link=WORDS,
        )
        assert WORDS[lang] in ctx.legal_basis and "МКИ-17-4/2026-4821" in ctx.legal_basis
        assert ctx.justification[-1].lower().startswith(WORDS[lang][:10].lower())
    # Without the chain (a drafting path that does not pass it) the basis still reads as a sentence.
    ctx = build_context(decision=decision, verdict=verdict, urls=["http://x.test/"], doc_id="K", policy=policy)
    assert "{link}" not in ctx.legal_basis and "общим идентификаторам" in ctx.legal_basis
