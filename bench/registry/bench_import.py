"""``kuzet registry import`` of a large made-up dump: rows per second and peak memory.

    .venv/bin/python bench/registry/bench_import.py [ROWS] [--out bench/results/registry.json]

Writes a dump in the public format (cp1251, ``Updated:`` line, ``;`` fields; every tenth row a
repeat, every thousandth broken; ``kuzet.link.registry_synth``), imports it with the installed
``kuzet`` into an empty SQLite data folder, imports it again (idempotent: nothing added), and
reads the child's peak RSS from ``os.wait4``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kuzet.link.registry_synth import write_dump

ROOT = Path(__file__).resolve().parents[2]


def _import(kuzet: str, dump: Path, env: dict[str, str]) -> dict[str, float | int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [kuzet, "registry", "import", str(dump)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    result = json.loads(out)
    return {
        "seconds": round(wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "exit_code": os.waitstatus_to_exitcode(status),
        **{k: result[k] for k in ("added", "already_present", "bad_rows")},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "registry.json")
    args = ap.parse_args()
    kuzet = shutil.which("kuzet", path=str(Path(sys.executable).parent)) or "kuzet"
    with tempfile.TemporaryDirectory(prefix="kuzet-bench-registry-") as tmp:
        dump = write_dump(Path(tmp) / "dump.csv", args.rows)
        env = {**os.environ, "KUZET_DATA_DIR": str(Path(tmp) / "data")}
        env.pop("KUZET_DATABASE_URL", None)
        first = _import(kuzet, dump, env)
        again = _import(kuzet, dump, env)
        size_mb = dump.stat().st_size / 1e6
    rate = args.rows / float(first["seconds"])
    result = {
        "rows": args.rows,
        "file_mb": round(size_mb, 1),
        "first_import": first,
        "re_import": again,
        "rows_per_s": round(rate),
        "readme_rows": [
            [
                f"`kuzet registry import`, {args.rows:,}-row dump, SQLite (`bench/registry/bench_import.py`)",
                f"{rate:,.0f} rows/s, peak RSS {first['peak_rss_mb']} MB; re-import adds {again['added']} "
                f"in {again['seconds']} s; {first['bad_rows']} bad rows reported",
            ]
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if first["exit_code"] == 0 and again["exit_code"] == 0 and again["added"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
