"""`make bench`: run every benchmark script, then rewrite the README's performance table from
bench/results/*.json. Each script writes its own results file; a failing one is reported and the
others still run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [
    "bench/bench_demo.py",
    "bench/detect/bench_classify.py",
    "bench/evidence/bench_capture.py",
    "bench/crawl/bench_crawl.py",
    "bench/crawl/bench_monitor.py",
    "bench/registry/bench_import.py",
]
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def rows() -> list[str]:
    out = []
    for path in sorted((ROOT / "bench" / "results").glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for line in data.get("readme_rows") or []:
            out.append(f"| {line[0]} | {line[1]} |")
        if path.name == "capture.json":
            pool, per = data["pool"], data["launch_per_capture"]
            out.append(
                f"| evidence captures, reused browser (`bench/evidence/bench_capture.py`) | "
                f"{pool['per_minute']}/min, median {pool['median_s']} s, {pool['cpu_s_per_capture']} CPU-s each, "
                f"peak PSS {pool['peak_pss_mb']} MB |"
            )
            out.append(
                f"| evidence captures, browser launched per capture | {per['per_minute']}/min "
                f"(pool is {data['speedup']}x faster, {data['cpu_ratio']}x less CPU) |"
            )
        if path.name == "eval.json":
            obf = data.get("obfuscated", {})
            out.append(
                f"| `kuzet eval` on `../shared/data/corpus/dev.jsonl` ({data['n']} texts, `make eval`) | "
                f"macro-F1 {data['macro_f1']}, hard-negative FP {data.get('hard_negative_fp_rate')}; "
                f"obfuscated: macro-F1 {obf.get('macro_f1')} (drop {data.get('obfuscation_drop')}), "
                f"hard-negative FP {obf.get('hard_negative_fp_rate')} |"
            )
        if path.name == "demo.json":
            out.append(
                f"| `kuzet demo --no-serve --json`, empty data folder | {data['wall_s']} s wall, "
                f"{data['documents']} documents, {data['bundles']} bundles, "
                f"peak RSS {data['peak_rss_largest_child_mb']} MB |"
            )
    return out


def update_readme() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        return
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    table = "\n".join(["| what | figure |", "|---|---|", *rows()])
    readme.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")


def main() -> int:
    failed = []
    for script in SCRIPTS:
        path = ROOT / script
        if not path.exists():
            print(f"-- {script}: not present, skipped", file=sys.stderr)
            continue
        print(f"== {script}", file=sys.stderr)
        if subprocess.run([sys.executable, str(path)], cwd=ROOT).returncode != 0:
            failed.append(script)
    update_readme()
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
