"""Train the shipped model from the shared corpus and write its model card.

    .venv/bin/python bench/detect/train_model.py [CORPUS_DIR] [OUT]

Trains on train.jsonl + web_train.jsonl + unsure.jsonl (unsure as benign), measures
leave-one-source-out, evaluates on dev.jsonl (not used for training or choosing), and writes
src/kuzet/detect/model/model.npz and MODEL_CARD.md. Exits 2 when the corpus is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kuzet.detect.training import train


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/corpus")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "src/kuzet/detect/model/model.npz")
    if not (corpus / "train.jsonl").is_file():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 2
    paths = [corpus / "train.jsonl", corpus / "web_train.jsonl", corpus / "unsure.jsonl"]
    metrics = train(paths, out, eval_paths=[corpus / "dev.jsonl"])
    summary = {
        "loso_macro_f1_mean": metrics["loso"]["macro_f1_mean"],
        "loso_groups": {g: r["macro_f1"] for g, r in metrics["loso"]["groups"].items()},
        "loso_pooled": metrics["loso"]["pooled"]["macro_f1"],
        "dev": {
            p: {
                "macro_f1": r["macro_f1"],
                "hard_negative_fp_rate": r.get("hard_negative_fp_rate"),
                "f1": {c: v["f1"] for c, v in r["per_class"].items()},
            }
            for p, r in metrics.get("eval", {}).items()
        },
        "temperature": metrics["temperature"],
        "model_bytes": metrics["model_bytes"],
    }
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    append_comparison(out.parent / "MODEL_CARD.md")
    return 0


def append_comparison(card: Path) -> None:
    """Add the variants measured by compare_models.py (if it was run) to the model card."""
    results_file = Path(__file__).with_name("compare_results.json")
    if not results_file.is_file():
        return
    results = json.loads(results_file.read_text(encoding="utf-8"))
    lines = [
        "",
        "## Alternatives measured (bench/detect/compare_models.py)",
        "",
        "Chosen by leave-one-source-out macro-F1 (mean over held-out sources); dev is reported, not used to choose.",
        "Each variant changes the shipped configuration only where its name says (C=3, char_wb 1-4 unless named,"
        " own texts in, no obfuscation weights); all use the same lexicons and fusion rules.",
        "",
        "| variant | LOSO mean | LOSO pooled | LOSO hard-neg FP | dev macro-F1 | dev hard-neg FP |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['loso_mean']:.3f} | {r['loso_pooled']:.3f} | {r['loso_hn_fp']:.3f} | "
            f"{r['dev_macro_f1']:.3f} | {r['dev_hn_fp']:.3f} |"
        )
    with card.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
