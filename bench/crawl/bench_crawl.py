"""Crawl benchmark: ``kuzet crawl`` against Scrapy on the same generated 10,000-page site.

    .venv/bin/python bench/crawl/bench_crawl.py [--pages 10000] [--concurrency 16] [--rounds 1]

The site (``benchsite.py``) is served from memory by an asyncio server in its own process; it is
first timed alone with a raw keep-alive client so that it is known not to be the bottleneck.
Then each crawler runs as a subprocess with the same start URL, page budget, concurrency (global
and per host), delay 0 and robots.txt obeyed. Pages/s counts the JSON lines each wrote over its
wall time (start-up included); peak memory is the child's max RSS from ``os.wait4``.
Results go to bench/results/crawl.json.
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
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import benchsite  # noqa: E402


def run(cmd: list[str], out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"{cmd[:3]} failed ({status}):\n{stderr[-2000:]}")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if x.strip()]
    ok = sum(1 for x in lines if 200 <= int(x.get("status", 0)) < 300)
    return {
        "pages": len(lines),
        "ok": ok,
        "wall_s": round(wall, 2),
        "pages_per_s": round(len(lines) / wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def kuzet_cmd(url: str, pages: int, concurrency: int, out: Path) -> list[str]:
    exe = shutil.which("kuzet", path=str(Path(sys.executable).parent))
    args = ["crawl", url, "--max-pages", str(pages), "--concurrency", str(concurrency), "--delay", "0"]
    args += ["--out", str(out), "--allow-private"]
    # `kuzet crawl` once the command is registered in kuzet.cli; the module form otherwise.
    if exe and subprocess.run([exe, "crawl", "--help"], capture_output=True, check=False).returncode == 0:
        return [exe, *args]
    return [sys.executable, "-m", "kuzet.sources.cli", *args]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1, help="runs of each crawler; the best is reported")
    args = ap.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "benchsite.py"), "--pages", str(args.pages), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}/"
        server_rps = benchsite.measure_server(port, args.pages, args.concurrency)
        tmp = Path(tempfile.mkdtemp(prefix="kuzet-bench-crawl-"))
        results: dict[str, list[dict[str, Any]]] = {"kuzet": [], "scrapy": []}
        for r in range(args.rounds):
            out = tmp / f"kuzet-{r}.jsonl"
            results["kuzet"].append(run(kuzet_cmd(url, args.pages, args.concurrency, out), out))
            out = tmp / f"scrapy-{r}.jsonl"
            cmd = [
                sys.executable,
                str(HERE / "scrapy_spider.py"),
                url,
                str(args.pages),
                str(args.concurrency),
                str(out),
            ]
            results["scrapy"].append(run(cmd, out))
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    best = {k: max(v, key=lambda x: x["pages_per_s"]) for k, v in results.items()}
    k, s = best["kuzet"], best["scrapy"]
    ratio = round(k["pages_per_s"] / s["pages_per_s"], 2)
    import scrapy

    data = {
        "site_pages": args.pages,
        "concurrency": args.concurrency,
        "delay": 0,
        "robots": "obeyed by both",
        "server_alone_rps": round(server_rps, 1),
        "kuzet": k,
        "scrapy": s,
        "scrapy_version": scrapy.__version__,
        "kuzet_command": " ".join(
            Path(a).name if a.startswith("/") else a
            for a in kuzet_cmd("URL", args.pages, args.concurrency, Path("OUT.jsonl"))
        ),
        "runs": results,
        "speed_ratio_kuzet_to_scrapy": ratio,
        "memory_ratio_kuzet_to_scrapy": round(k["peak_rss_mb"] / s["peak_rss_mb"], 2),
        "cpu_count": os.cpu_count(),
        "readme_rows": [
            [
                f"`kuzet crawl`, {args.pages:,}-page local site, concurrency {args.concurrency}, delay 0 "
                "(`bench/crawl/bench_crawl.py`)",
                f"{k['pages_per_s']} pages/s, peak RSS {k['peak_rss_mb']} MB ({ratio}x Scrapy's speed)",
            ],
            [
                f"Scrapy {scrapy.__version__} CrawlSpider, same site and settings",
                f"{s['pages_per_s']} pages/s, peak RSS {s['peak_rss_mb']} MB (server alone: {round(server_rps)} req/s)",
            ],
        ],
    }
    path = ROOT / "bench" / "results" / "crawl.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {k2: data[k2] for k2 in ("server_alone_rps", "kuzet", "scrapy", "speed_ratio_kuzet_to_scrapy")}, indent=2
        )
    )


if __name__ == "__main__":
    main()
