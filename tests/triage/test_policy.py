"""Route policy: each shipped rule fires on a crafted finding; broken files name their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.errors import PolicyError
from kuzet.records import Indicator, RegistryEntry, Signal, TriageContext
from kuzet.triage import DEFAULT_POLICY, Policy

ENTRY = RegistryEntry("http://kazino-primer.test/", "url", "суд", "2-111/25", "2025-03-04")


def ctx(label: str = "gambling", score: float = 0.9, **kw: object) -> TriageContext:
    return TriageContext(
        label=label, score=score, resource_key="kazino-primer.test", url="http://kazino-primer.test/page", **kw
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def test_shipped_policy_loads_with_version(policy: Policy) -> None:
    assert policy.version.startswith("kz-default")
    assert policy.path == DEFAULT_POLICY
    assert policy.rules[-1].id == "default"


@pytest.mark.parametrize(
    "context, rule_id, route, documents",
    [
        (ctx(allowlisted=True, registry_matches=[ENTRY]), "allowlisted", "none", []),
        (ctx(registry_matches=[ENTRY]), "registry-match", "blocking", ["blocking_notification"]),
        (ctx(label="benign", score=0.99), "benign", "none", []),
        (ctx(label="pyramid", score=0.85), "pyramid-criminal", "criminal", ["criminal_referral"]),
        (ctx(label="pyramid", score=0.5), "pyramid-review", "none", []),
        (
            ctx(indicators=[Indicator("wallet_usdt_trc20", "Tabc", "Tabc")]),
            "gambling-organised",
            "criminal",
            ["criminal_referral"],
        ),
        (ctx(mirrors=3), "gambling-organised", "criminal", ["criminal_referral"]),
        # A large channel posting promo codes is advertising; selling fixed matches is fraud.
        (ctx(subscribers=25_000), "gambling-advertising", "administrative", ["administrative_materials"]),
        (
            ctx(subscribers=25_000, signals=[Signal("phrase", "gambling", "договорной матч", 2.0)]),
            "fixed-matches-fraud",
            "criminal",
            ["criminal_referral"],
        ),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "illegal_finance", "аренда ~ аккаунт", 2.0)]),
            "illegal-finance-criminal",
            "criminal",
            ["criminal_referral"],
        ),
        (
            ctx(indicators=[Indicator("phone", "+77010000000", "+7 701 000 0000")]),
            "gambling-advertising",
            "administrative",
            ["administrative_materials"],
        ),
        (
            ctx(indicators=[Indicator("card", "4111111111111111", "**** 1111", valid=False)]),
            "gambling-advertising",
            "administrative",
            ["administrative_materials"],
        ),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "illegal_finance", "drop_recruitment", 1.0)]),
            "illegal-finance-criminal",
            "criminal",
            ["criminal_referral"],
        ),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "counterfeit", "fake_bills", 1.0)]),
            "illegal-finance-criminal",
            "criminal",
            ["criminal_referral"],
        ),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "illegal_finance", "ищу дроп*", 3.0, "ищу дропов")]),
            "illegal-finance-criminal",
            "criminal",
            ["criminal_referral"],
        ),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "illegal_finance", "Фальшивка", 2.5)]),
            "illegal-finance-criminal",
            "criminal",
            ["criminal_referral"],
        ),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "illegal_finance", "жалған ақша", 3.0)]),
            "illegal-finance-criminal",
            "criminal",
            ["criminal_referral"],
        ),
        (ctx(indicators=[Indicator("btc", "bc1q", "bc1q")]), "gambling-organised", "criminal", ["criminal_referral"]),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "illegal_finance", "скупка карт", 3.0)]),
            "illegal-finance-administrative",
            "administrative",
            ["administrative_materials"],
        ),
        (
            ctx(label="illegal_finance", signals=[Signal("phrase", "illegal_finance", "card_buying", 1.0)]),
            "illegal-finance-administrative",
            "administrative",
            ["administrative_materials"],
        ),
        (ctx(score=0.3), "default", "none", []),
    ],
)
def test_each_rule_fires(
    policy: Policy, context: TriageContext, rule_id: str, route: str, documents: list[str]
) -> None:
    decision = policy.decide(context)
    assert (decision.rule_id, decision.route, decision.documents) == (rule_id, route, documents)
    assert decision.policy_version == policy.version
    assert decision.reasons and decision.legal_basis


def test_registry_decision_cites_the_entry(policy: Policy) -> None:
    ip_only = RegistryEntry("10.0.0.1", "ip", "суд", "9-9/25", "2025-01-01")
    decision = policy.decide(ctx(registry_matches=[ip_only, ENTRY]))
    assert decision.registry_entry is ENTRY
    assert "№ 2-111/25 от 04.03.2025" in decision.legal_basis
    assert "41-1" in decision.legal_basis
    assert any("2-111/25" in r for r in decision.reasons)
    kk = policy.legal_basis(decision.rule_id, "kk", ENTRY)
    assert "04.03.2025 жылғы № 2-111/25 шешім" in kk and "Байланыс туралы" in kk


def test_ip_match_alone_is_not_a_registry_match(policy: Policy) -> None:
    ip_only = RegistryEntry("10.0.0.1", "ip", "суд", "9-9/25", "2025-01-01")
    decision = policy.decide(ctx(score=0.3, registry_matches=[ip_only]))
    assert decision.rule_id == "default" and decision.registry_entry is None


def test_criminal_bases_cite_the_articles(policy: Policy) -> None:
    assert "статьёй 217" in policy.decide(ctx(label="pyramid")).legal_basis
    assert "статьёй 307" in policy.decide(ctx(mirrors=1)).legal_basis
    assert "217-бабында" in policy.legal_basis("pyramid-criminal", "kk")


POLICY_HEAD = 'version: "t-1"\nrules:\n'
GOOD_RULES = """\
  - id: first
    when:
      label: gambling
    route: administrative
    legal_basis: первое
    documents: [administrative_materials]
  - id: second
    when:
      label: [gambling, pyramid]
      min_score: 0.5
    route: criminal
    legal_basis:
      ru: второе
      kk: екінші
    documents: [criminal_referral]
  - id: fallback
    when: {}
    route: none
    legal_basis: ничего
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_first_matching_rule_wins(tmp_path: Path) -> None:
    policy = Policy.load(write(tmp_path, POLICY_HEAD + GOOD_RULES))
    assert policy.decide(ctx(label="gambling")).rule_id == "first"
    assert policy.decide(ctx(label="pyramid")).rule_id == "second"
    assert policy.decide(ctx(label="pyramid", score=0.1)).rule_id == "fallback"
    assert policy.legal_basis("second", "kk") == "екінші"
    assert policy.legal_basis("first", "kk") == "первое"  # falls back to Russian


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ("      min_score: 0.5", "      min_scor: 0.5", 12, "unknown field 'min_scor'"),
        ("    route: criminal", "    route: prison", 13, "route"),
        ("      label: gambling\n", "      label: gamblng\n", 5, "label"),
        ("    documents: [criminal_referral]", "    documents: [criminal_referal]", 17, "documents"),
        ("      min_score: 0.5", "      min_score: 1.5", 12, "min_score"),
        ("  - id: second", "  - id: first", 9, "duplicate rule id"),
        ("    legal_basis: первое", "    legal_basis: первое\n    legal_basis: снова", 8, "duplicate key"),
        ("      kk: екінші", "      kk: екінші {decision}", 14, "registry_match"),
        ("    when: {}\n", "    when:\n      label: benign\n", 18, "default"),
        ("    route: administrative", "    route: administrative\n    colour: red", 7, "unknown field 'colour'"),
        ("      label: gambling\n", "      label: [gambling\n", 6, "invalid YAML"),
    ],
)
def test_broken_policy_names_the_line(tmp_path: Path, old: str, new: str, line: int, message: str) -> None:
    text = (POLICY_HEAD + GOOD_RULES).replace(old, new, 1)
    assert text != POLICY_HEAD + GOOD_RULES
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    assert info.value.line == line, str(info.value)
    assert message in str(info.value)
    assert str(path) in str(info.value) and info.value.path == str(path)


def test_unconditional_rule_before_others_is_rejected(tmp_path: Path) -> None:
    text = POLICY_HEAD + GOOD_RULES.replace("    when:\n      label: gambling\n", "    when: {}\n", 1)
    with pytest.raises(PolicyError, match="must come last") as info:
        Policy.load(write(tmp_path, text))
    assert info.value.line == 3


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        Policy.load(tmp_path / "absent.yaml")
