"""Quality gate: the team's own labelled set (gate.jsonl) with F1 floors CI enforces.

gate.jsonl holds short texts the team wrote (Russian, Kazakh, English; every label; hard
negatives: news about pyramids and casino bans, bank deposits, licensed bookmakers). It is not
drawn from the training corpus. Floors sit a little under today's figures so that a regression
fails the build while noise in one text does not.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from kuzet.detect.stream import evaluate

GATE = Path(__file__).with_name("gate.jsonl")
# A few points under what the shipped detector scores (0.978 macro-F1, 2 of 44 hard negatives
# flagged): the gate set's errors were read when the lexicons were extended, so these floors guard
# against regressions rather than measure generalisation (leave-one-source-out in the model card does).
MACRO_F1_FLOOR = 0.93
CLASS_F1_FLOOR = {"gambling": 0.92, "pyramid": 0.92, "illegal_finance": 0.90, "benign": 0.92}
HARD_NEGATIVE_FP_CEILING = 0.08
OBFUSCATION_DROP_CEILING = 0.03
# Disguising a news or bank text must not make it a violation.
OBFUSCATED_HARD_NEGATIVE_FP_CEILING = 0.08


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return evaluate(GATE, True)


def test_gate_set_is_balanced_and_multilingual() -> None:
    rows = [json.loads(line) for line in GATE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert 150 <= len(rows) <= 250
    labels = Counter(r["label"] for r in rows)
    assert min(labels.values()) >= 30 and set(labels) == {"gambling", "pyramid", "illegal_finance", "benign"}
    langs = Counter(r["lang"] for r in rows)
    assert langs["kk"] >= 20 and langs["en"] >= 20
    assert sum(r["hard_negative"] for r in rows) >= 30
    assert len({r["id"] for r in rows}) == len(rows)


def test_macro_f1_floor(report: dict[str, object]) -> None:
    assert report["macro_f1"] >= MACRO_F1_FLOOR, report["errors"]


@pytest.mark.parametrize("label", sorted(CLASS_F1_FLOOR))
def test_per_class_f1_floor(report: dict[str, object], label: str) -> None:
    per_class = report["per_class"]
    assert isinstance(per_class, dict)
    assert per_class[label]["f1"] >= CLASS_F1_FLOOR[label], report["errors"]


def test_hard_negative_false_positives(report: dict[str, object]) -> None:
    assert report["hard_negative_fp_rate"] <= HARD_NEGATIVE_FP_CEILING, report["errors"]


def test_obfuscation_barely_hurts(report: dict[str, object]) -> None:
    assert report["obfuscation_drop"] <= OBFUSCATION_DROP_CEILING


def test_obfuscated_hard_negatives_stay_benign(report: dict[str, object]) -> None:
    obfuscated = report["obfuscated"]
    assert isinstance(obfuscated, dict)
    assert obfuscated["hard_negative_fp_rate"] <= OBFUSCATED_HARD_NEGATIVE_FP_CEILING, obfuscated["errors"]
