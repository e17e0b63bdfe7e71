"""Justification paragraphs quote the signals, group the indicators and never show a full card."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kuzet.notify import build_context, draft_justification, evidence_items, mask_cards, screenshots_of
from kuzet.records import CapturePart, EvidenceBundle, Indicator, RouteDecision, Signal, Verdict


def test_gambling_quotes_and_payment_details_ru() -> None:
    v = Verdict(
        "gambling",
        0.912,
        {},
        signals=[
            Signal("phrase", "gambling", "deposit_bonus", 0.9, text="бонус 200% на первый депозит"),
            Signal("phrase", "gambling", "deposit_bonus_dup", 0.5, text="Бонус 200%  на первый\nдепозит"),
            Signal("model", "gambling", "clf", 0.9),
            Signal(
                "obfuscation",
                "obfuscation",
                "homoglyph+invisible",
                4.0,
                text="Text disguised with homoglyph (3)",
                detail={"homoglyph": 3, "invisible": 1},
            ),
            Signal(
                "rule",
                "gambling",
                "crypto_indicator_with_gambling_phrases",
                1.0,
                text="A crypto identifier appears together with gambling phrases.",
            ),
            Signal("qr", "gambling", "qr", 0.3, text="https://kazino.test/ref"),
        ],
        indicators=[
            Indicator("wallet_usdt_trc20", "TAbc", "TAbc", detail={"currency": "usdt", "network": "trc20"}),
            Indicator("card", "5555555555554444", "5555 5555 5555 4444"),
            Indicator("telegram_handle", "@kazino_support", "@kazino_support"),
            Indicator("phone", "+77010000000", "+7 701 000 00 00", valid=False),
            Indicator("promo_code", "WIN200", "WIN200"),
            Indicator("btc", "bc1qxyz", "bc1qxyz", detail={"type": "p2wpkh"}),
        ],
    )
    paras = draft_justification(v, "ru")
    assert paras[0].startswith("По результатам анализа") and "0,91" in paras[0]
    assert paras[1] == (
        "На странице (в публикации) размещены призывы к участию в азартных играх и (или) пари: "
        "«бонус 200% на первый депозит»."
    )
    obfuscation = next(p for p in paras if p.startswith("Текст содержит приёмы маскировки"))
    assert "сходными по начертанию" in obfuscation and "невидимые символы" in obfuscation
    # The detector's own English explanations are never quoted as if they were the page's words.
    assert not any("disguised" in p or "identifier appears" in p for p in paras)
    assert any(p.startswith("QR-код на странице содержит") for p in paras)
    payment = next(p for p in paras if p.startswith("Указаны реквизиты для внесения средств"))
    assert "криптокошелёк USDT (TRC20) TAbc" in payment and "банковская карта **** 4444" in payment
    assert "криптокошелёк BTC bc1qxyz" in payment
    assert "5555 5555" not in " ".join(paras)
    contacts = next(p for p in paras if p.startswith("Указаны контакты"))
    assert "Telegram @kazino_support" in contacts and "+7 701" not in contacts  # invalid phone left out
    assert any("промокод WIN200" in p for p in paras)


def test_pyramid_kazakh() -> None:
    v = Verdict("pyramid", 0.8, {}, signals=[Signal("phrase", "pyramid", "guaranteed", 1.0, text="кепілді табыс 30%")])
    paras = draft_justification(v, "kk")
    assert "санатына жатқызылды" in paras[0]
    assert paras[1].startswith("Бетте (жарияланымда) қаржы (инвестициялық) пирамидасына тән")
    assert "«кепілді табыс 30%»" in paras[1]


def test_benign_and_bounds() -> None:
    assert draft_justification(Verdict("benign", 0.9, {}), "ru") == [
        "Признаков запрещённой деятельности в содержимом интернет-ресурса не выявлено."
    ]
    many = [Signal("phrase", "gambling", f"s{i}", 1.0, text=f"цитата {i} " + "х" * 500) for i in range(30)]
    paras = draft_justification(Verdict("gambling", 0.7, {}, signals=many), "ru")
    assert paras[1].count("«") == 8
    assert all(len(q) <= 205 for q in paras[1].split("«")[1:])


def test_mask_cards_only_masks_luhn_valid_numbers() -> None:
    assert mask_cards("карта 4111-1111-1111-1111, тел 1234567890123") == "карта **** 1111, тел 1234567890123"


def test_build_context_from_records(tmp_path: Path) -> None:
    b = EvidenceBundle(
        path=tmp_path,
        url="http://a.test/",
        final_url="http://a.test/x",
        captured_at=datetime(2026, 1, 1, tzinfo=UTC),
        manifest_sha256="m" * 64,
        key_id="k",
        parts=[
            CapturePart("screenshot", "ok", "screenshot.png", "s" * 64, 5, "image/png"),
            CapturePart("dom", "failed", error="boom"),
        ],
    )
    assert [e.file_name for e in evidence_items(b)] == ["screenshot.png"]
    assert screenshots_of(b)[0].path == tmp_path / "screenshot.png"
    ctx = build_context(
        decision=RouteDecision("criminal", "pyramid-criminal", "ст. 217", "v1"),
        verdict=Verdict("pyramid", 0.9, {}),
        urls=["https://t.me/s/Chan_name/5"],
        bundles=[b],
        lang="kk",
        doc_id="5",
    )
    assert ctx.kind == "criminal_referral"
    assert ctx.authority.endswith("Экономикалық тергеулер қызметі")
    assert ctx.resources[0].resource_key == "t.me/chan_name"
    assert ctx.sender.startswith("Қазақстан Республикасының") and ctx.disclaimer
    assert ctx.legal_basis == "ст. 217"


def test_build_context_takes_the_kazakh_legal_basis_from_the_policy() -> None:
    from kuzet.records import RegistryEntry
    from kuzet.triage import Policy

    entry = RegistryEntry("http://a.test/", "url", "сот", "2-5/26", "2026-02-03")
    decision = RouteDecision("blocking", "registry-match", "русский текст", "v", registry_entry=entry)
    ctx = build_context(
        decision=decision,
        verdict=Verdict("gambling", 0.9, {}),
        urls=["http://a.test/"],
        lang="kk",
        doc_id="9",
        policy=Policy.load(),
    )
    assert "03.02.2026 жылғы № 2-5/26 шешім (сот)" in ctx.legal_basis
    assert ctx.kind == "blocking_notification" and ctx.decision is entry
