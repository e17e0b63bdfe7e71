"""Classification metrics the quality gate and ``kuzet eval`` report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kuzet.records import LABELS

VIOLATIONS = ("gambling", "pyramid", "illegal_finance")


def classification_report(
    gold: Sequence[str], pred: Sequence[str], hard_negative: Sequence[bool] | None = None
) -> dict[str, Any]:
    """Per-class precision/recall/F1, macro-F1 over the labels present, hard-negative FP rate,
    overall FP rate on benign rows, and a confusion matrix ``confusion[gold][pred]``."""
    labels = list(LABELS)
    confusion = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, pred, strict=True):
        confusion.setdefault(g, dict.fromkeys(labels, 0))
        confusion[g][p] = confusion[g].get(p, 0) + 1
    per_class: dict[str, dict[str, float]] = {}
    present = [lab for lab in labels if any(g == lab for g in gold)]
    for lab in labels:
        tp = confusion.get(lab, {}).get(lab, 0)
        fp = sum(confusion[g].get(lab, 0) for g in confusion if g != lab)
        fn = sum(v for p, v in confusion.get(lab, {}).items() if p != lab)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[lab] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    macro = sum(per_class[lab]["f1"] for lab in present) / len(present) if present else 0.0
    benign_rows = [p for g, p in zip(gold, pred, strict=True) if g == "benign"]
    out: dict[str, Any] = {
        "n": len(gold),
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 4) if gold else 0.0,
        "macro_f1": round(macro, 4),
        "per_class": per_class,
        "benign_fp_rate": round(sum(p != "benign" for p in benign_rows) / len(benign_rows), 4) if benign_rows else 0.0,
        "confusion": confusion,
    }
    if hard_negative is not None:
        hn = [p for g, p, h in zip(gold, pred, hard_negative, strict=True) if h and g == "benign"]
        out["hard_negative_n"] = len(hn)
        out["hard_negative_fp_rate"] = round(sum(p != "benign" for p in hn) / len(hn), 4) if hn else 0.0
    return out
