"""Time `kuzet demo --no-serve --json` from an empty data folder (installed, 2 cores).

Writes bench/results/demo.json: wall time, peak RSS of the largest child process, the summary's
figures. Run by `make bench`.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kuzet-bench-demo-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUZET_")}
        env["KUZET_DATA_DIR"] = str(Path(tmp) / "data")
        cmd = [str(ROOT / ".venv" / "bin" / "kuzet"), "demo", "--no-serve", "--json", "--sandbox-port", "8797"]
        started = time.monotonic()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        wall = time.monotonic() - started
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            return 1
        summary = json.loads(proc.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "benchmark": "kuzet demo --no-serve --json (empty data folder)",
        "wall_s": round(wall, 1),
        "peak_rss_largest_child_mb": round(peak_mb, 1),
        "documents": summary["documents"],
        "findings": summary["findings"],
        "routes": summary["routes"],
        "bundles": summary["bundles"],
        "notifications": len(summary["notifications"]),
        "hard_negatives_flagged": summary["hard_negatives_flagged"],
        "planted_missed": len(summary["planted_missed"]),
        "cpus": os.cpu_count(),
        "loadavg_1m_after": os.getloadavg()[0],
        "python": platform.python_version(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = ROOT / "bench" / "results" / "demo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
