"""Throughput of the detector on ~1 KB texts, start-up included, single process.

    .venv/bin/python bench/detect/throughput.py [N_DOCS] [CORPUS_DIR]

Texts: rows of the shared corpus joined to about 1 KB each (the gate set of the tests when the
corpus is missing). Prints start-up time, documents per second including start-up, and peak RSS.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import time
from pathlib import Path

T0 = time.perf_counter()

from kuzet.detect.stream import classify_stream  # noqa: E402


def texts(corpus: Path, n: int) -> list[str]:
    src = corpus / "train.jsonl"
    if not src.is_file():
        src = Path(__file__).resolve().parents[2] / "tests" / "detect" / "gate.jsonl"
    rows = [json.loads(line)["text"] for line in src.open(encoding="utf-8") if line.strip()]
    out: list[str] = []
    i = 0
    while len(out) < n:
        buf = ""
        while len(buf) < 1000:
            buf += rows[i % len(rows)] + "\n"
            i += 1
        out.append(buf[:1100])
    return out


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    corpus = Path(sys.argv[2] if len(sys.argv) > 2 else "/work/shared/data/corpus")
    docs = texts(corpus, n)
    payload = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(docs))
    t_load = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    t1 = time.perf_counter()
    rc = classify_stream(io.StringIO(payload), out, err)
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "docs": n,
                "avg_chars": sum(map(len, docs)) // n,
                "rc": rc,
                "import_s": round(t_load - T0, 2),
                "classify_s": round(t2 - t1, 2),
                "docs_per_s_incl_startup": round(n / (t2 - T0), 1),
                "docs_per_s_steady": round(n / (t2 - t1), 1),
                "peak_rss_mb": round(peak_mb, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
