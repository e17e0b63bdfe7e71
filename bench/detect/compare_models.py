"""Compare model variants by leave-one-source-out macro-F1 (and dev, reported, not used to choose).

Variants override ``training.DEFAULT_CONFIG``, so a variant that does not name ``own_data`` or
``drop_features`` takes the shipped setting (own texts in, no obfuscation weights).

    .venv/bin/python bench/detect/compare_models.py [/work/shared/data/corpus]

Reads the shared corpus (not part of the repository); says so and exits 2 when it is missing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from kuzet.detect.detector import Detector
from kuzet.detect.lexicon import Lexicon
from kuzet.detect.metrics import classification_report
from kuzet.detect.training import DEFAULT_CONFIG, featurize, fit, leave_one_source_out, own_data_path, read_examples

_C25: dict[str, object] = {"analyzers": [["char_wb", 2, 5]]}
VARIANTS: dict[str, dict[str, object]] = {
    "char25": {**_C25, "dense": False},
    "char25+lex": _C25,
    "char25+word12+lex": {"analyzers": [["char_wb", 2, 5], ["word", 1, 2]]},
    "char14+lex": {"analyzers": [["char_wb", 1, 4]]},
    "char25+lex C=1": {**_C25, "C": 1.0},
    "char25+lex C=30": {**_C25, "C": 30.0},
    "char25+lex unsure-dropped": {**_C25, "unsure_as": None},
    "char25+lex no-own-data": {**_C25, "own_data": False},
    "char25+lex C=10": {**_C25, "C": 10.0},
    "char25+lex with-obfuscation-features": {**_C25, "drop_features": []},
    "char14+lex C=1": {"C": 1.0},
    "char14+lex C=10": {"C": 10.0},
    "char14+lex no-own-data": {"own_data": False},
    "char14+lex with-obfuscation-features": {"drop_features": []},
    "char14+lex unsure-dropped": {"unsure_as": None},
    "char13+lex": {"analyzers": [["char_wb", 1, 3]]},
}


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/corpus")
    if not (corpus / "train.jsonl").is_file():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 2
    only = sys.argv[2:] or list(VARIANTS)
    lexicon = Lexicon.load()
    dev = read_examples([corpus / "dev.jsonl"], unsure_as=None)
    dev_an = featurize(lexicon, dev)
    cache: dict[tuple[object, bool], tuple[list, list]] = {}
    results = {}
    for name in only:
        cfg = {**DEFAULT_CONFIG, **VARIANTS[name]}
        key = (cfg["unsure_as"], bool(cfg.get("own_data")))
        if key not in cache:
            paths = [corpus / f for f in ("train.jsonl", "web_train.jsonl", "unsure.jsonl")]
            if cfg.get("own_data"):
                paths.append(own_data_path())
            ex = read_examples(paths, unsure_as=cfg["unsure_as"])
            cache[key] = (ex, featurize(lexicon, ex))
        examples, analyses = cache[key]
        t0 = time.time()
        loso = leave_one_source_out(lexicon, examples, analyses, cfg)
        model = fit(analyses, [e.label for e in examples], cfg)
        det = Detector(lexicon, model)
        dev_pred = [det.verdict(a, lang="").label for a in dev_an]
        dev_rep = classification_report([e.label for e in dev], dev_pred, [e.hard_negative for e in dev])
        results[name] = {
            "loso_mean": loso["macro_f1_mean"],
            "loso_pooled": loso["pooled"]["macro_f1"],
            "loso_groups": {g: r["macro_f1"] for g, r in loso["groups"].items()},
            "loso_hn_fp": loso["pooled"].get("hard_negative_fp_rate"),
            "dev_macro_f1": dev_rep["macro_f1"],
            "dev_hn_fp": dev_rep.get("hard_negative_fp_rate"),
            "dev_per_class_f1": {c: v["f1"] for c, v in dev_rep["per_class"].items()},
            "seconds": round(time.time() - t0, 1),
        }
        print(name, json.dumps(results[name], ensure_ascii=False), flush=True)
    # Merge with earlier runs so that variants can be measured a few at a time.
    out = Path(__file__).with_name("compare_results.json")
    merged = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    merged.update(results)
    out.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
