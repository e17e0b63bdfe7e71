"""Monitor benchmark: pages/s of ``kuzet monitor --once`` over the generated site, by concurrency.

    .venv/bin/python bench/crawl/bench_monitor.py [--pages 500] [--concurrency 1,8] [--latency 0,0.05]

The site (``benchsite.py``'s pages) is served from memory by its own process on 127.0.0.1, each
answer held back ``latency`` seconds (0: a local server; 0.05: closer to a real site's round
trip, where fetching concurrently pays). For each latency and concurrency C the monitor runs as
a subprocess on a fresh data directory with one ``website`` source (the whole site in scope,
``max_pages`` = the page budget), ``concurrency = per_host = C``, ``delay = 0``, robots.txt
obeyed, and the stages ``fetch`` and ``extract`` (extract finds the links to follow, so a crawl
needs both). Every page is stored (snapshot, frontier row, audit record) and extracted
(documents) in the database: the monitor's whole crawl path, not a bare fetch loop, so it is
slower than ``kuzet crawl`` (``bench_crawl.py``).

Pages/s is snapshots stored over the wall time of the command (start-up included); peak memory
is the child's max RSS. Results go to bench/results/monitor.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
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


async def serve(pages: int, latency: float) -> None:
    """benchsite's pages, each answer after ``latency`` seconds (one connection at a time)."""
    site = benchsite.build(pages)
    ready = {p: benchsite._response(b"200 OK", b, b"text/html; charset=utf-8") for p, b in site.items()}
    ready[b"/robots.txt"] = benchsite._response(b"200 OK", site[b"/robots.txt"], b"text/plain")
    missing = benchsite._response(b"404 Not Found", b"not found", b"text/plain")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].split(b" ")
                answer = ready.get(line[1].split(b"?", 1)[0] if len(line) > 1 else b"/", missing)
                if latency:
                    await asyncio.sleep(latency)
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def monitor_cmd(config: Path) -> list[str]:
    return [sys.executable, "-m", "kuzet.sources.cli", "monitor", "--config", str(config), "--once", "--no-progress"]


def run_monitor(url: str, pages: int, concurrency: int, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True)
    config = work / "monitor.toml"
    config.write_text(
        f"[monitor]\ndelay = 0\nconcurrency = {concurrency}\nper_host = {concurrency}\n"
        "robots = true\nstages = ['fetch', 'extract']\n\n"
        f"[[source]]\nkind = 'website'\nname = 'bench'\nurl = '{url}'\nmax_depth = 10\nmax_pages = {pages}\n",
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KUZET_")},
        "KUZET_MODE": "development",  # lets the fetcher reach 127.0.0.1
        "KUZET_DATA_DIR": str(work / "data"),
    }
    started = time.perf_counter()
    proc = subprocess.Popen(monitor_cmd(config), env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"kuzet monitor failed ({status}):\n{stderr[-2000:]}")
    with sqlite3.connect(work / "data" / "kuzet.db") as c:
        stored = int(c.execute("select count(*) from snapshots").fetchone()[0])
        ok = int(c.execute("select count(*) from snapshots where status between 200 and 299").fetchone()[0])
        docs = int(c.execute("select count(*) from documents").fetchone()[0])
        urls = len({u for (u,) in c.execute("select url from snapshots")})
    return {
        "concurrency": concurrency,
        "per_host": concurrency,
        "pages": stored,
        "ok": ok,
        "distinct_urls": urls,
        "documents": docs,
        "wall_s": round(wall, 2),
        "pages_per_s": round(stored / wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def measure(pages: int, latency: float, levels: list[int], rounds: int, tmp: Path) -> dict[str, Any]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--pages", str(pages), "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    runs: dict[int, list[dict[str, Any]]] = {c: [] for c in levels}
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/"
        for r in range(rounds):
            for c in levels:
                runs[c].append(run_monitor(url, pages, c, tmp / f"l{latency}-c{c}-r{r}"))
                print(json.dumps({"latency_s": latency, **runs[c][-1]}), file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=10)
    best = {c: max(v, key=lambda x: x["pages_per_s"]) for c, v in runs.items()}
    base = best[levels[0]]["pages_per_s"]
    return {
        "latency_s": latency,
        "best": {str(c): v for c, v in best.items()},
        "speedup_vs_first_level": {str(c): round(v["pages_per_s"] / base, 2) for c, v in best.items() if base},
        "runs": {str(c): v for c, v in runs.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--concurrency", default="1,8", help="comma-separated concurrency levels")
    ap.add_argument("--latency", default="0,0.05", help="comma-separated server latencies (seconds)")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each level; the best is reported")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the site's own process
    args = ap.parse_args()
    if args.serve:
        asyncio.run(serve(args.pages, float(args.latency)))
        return
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    latencies = [float(x) for x in args.latency.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="kuzet-bench-monitor-") as tmp:
        results = [measure(args.pages, lat, levels, args.rounds, Path(tmp)) for lat in latencies]
    data = {
        "site_pages": args.pages,
        "delay": 0,
        "robots": "obeyed",
        "stages": ["fetch", "extract"],
        "command": " ".join(Path(a).name if a.startswith("/") else a for a in monitor_cmd(Path("monitor.toml"))),
        "results": results,
        "cpu_count": os.cpu_count(),
        "readme_rows": [
            [
                f"`kuzet monitor --once`, {args.pages:,}-page local site answering in {res['latency_s'] * 1000:g} ms, "
                f"fetch + extract, concurrency {c} (per host {c}), delay 0 (`bench/crawl/bench_monitor.py`)",
                f"{v['pages_per_s']} pages/s, peak RSS {v['peak_rss_mb']} MB",
            ]
            for res in results
            for c, v in res["best"].items()
        ],
    }
    path = ROOT / "bench" / "results" / "monitor.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {r["latency_s"]: {c: v["pages_per_s"] for c, v in r["best"].items()} for r in results}
    print(json.dumps({"pages_per_s_by_latency_and_concurrency": summary}, indent=2))


if __name__ == "__main__":
    main()
