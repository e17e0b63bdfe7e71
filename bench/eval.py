"""`make eval`: detection quality on ../shared/data/corpus/dev.jsonl (when that folder is beside the
checkout), plain and under obfuscation, with `kuzet eval`. Writes bench/results/eval.json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "corpus" / "dev.jsonl"


def main() -> int:
    if not DEV.exists():
        print(f"{DEV} not found: `make eval` needs the shared data folder beside the checkout", file=sys.stderr)
        return 0
    out = ROOT / "bench" / "results" / "eval.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(ROOT / ".venv" / "bin" / "kuzet"), "eval", "--data", str(DEV), "--out", str(out)]
    return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
