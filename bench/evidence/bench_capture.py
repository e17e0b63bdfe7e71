"""Captures per minute with the reused browser vs a browser launched per capture, same run.

    .venv/bin/python bench/evidence/bench_capture.py [--pool N] [--launch N] [--out bench/results/capture.json]

Serves a few local pages (stdlib http.server on 127.0.0.1, hostnames mapped with the resolver
override), captures them round-robin with every part on (screenshots, PDF, MHTML, DOM, text, WARC,
WACZ, signed manifest), and samples the resident memory of this process and all its children
(Playwright driver + chromium) every 50 ms for the peak.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from kuzet.evidence.browser import descendants, launch, rss_bytes
from kuzet.evidence.capture import CaptureService
from kuzet.evidence.verify import verify_bundle
from kuzet.settings import Settings

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
ARTICLE = "".join(f"<p>Параграф {i}: бонус за регистрацию, ставки на спорт, вывод средств.</p>" for i in range(150))
PAGES = {
    "/": "<html><head><title>Казино</title><link rel=stylesheet href=/s.css><script src=/a.js></script></head>"
    "<body><h1>Казино Вулкан</h1><img src=/i.png></body></html>",
    "/article": "<html><head><title>Статья</title><link rel=stylesheet href=/s.css></head>"
    f"<body>{ARTICLE}</body></html>",
    "/gallery": "<html><body>"
    + "".join(f"<img src=/i.png?{i} width=200 height=120>" for i in range(12))
    + "</body></html>",
}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path in PAGES:
            body, ctype = PAGES[path].encode(), "text/html; charset=utf-8"
        elif path == "/s.css":
            body, ctype = b"body{font-family:sans-serif} h1{color:#c00}", "text/css"
        elif path == "/a.js":
            body, ctype = b"document.title += ' *';", "application/javascript"
        elif path == "/i.png":
            body, ctype = PNG, "image/png"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def pss_bytes(pids: list[int]) -> int:
    """Proportional set size: shared pages split between the processes sharing them, so the sum
    over chromium's processes is not inflated the way an RSS sum is."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


def cpu_seconds() -> float:
    """CPU used by this process and its reaped children (driver and chromium, once stopped)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class MemorySampler:
    def __init__(self) -> None:
        self.peak = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids = [me, *descendants(me)]
            self.peak = max(self.peak, rss_bytes(pids))
            self.peak_pss = max(self.peak_pss, pss_bytes(pids))
            self._stop.wait(0.05)

    def __enter__(self) -> MemorySampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def run(pool_n: int, launch_n: int, out: Path) -> dict[str, object]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    urls = [f"http://bench.test:{srv.server_address[1]}{p}" for p in PAGES]
    tmp = Path(tempfile.mkdtemp(prefix="kuzet-bench-"))
    settings = Settings(mode="development", data_dir=tmp, resolve="*.test=127.0.0.1")
    results: dict[str, object] = {}
    load_before = os.getloadavg()
    n = 0

    def one(svc: CaptureService) -> float:
        nonlocal n
        n += 1
        t = time.perf_counter()
        b = svc.capture(urls[n % len(urls)], tmp / "bundles" / f"b{n}")
        dt = time.perf_counter() - t
        bad = [p.name for p in b.parts if p.status != "ok"]
        if bad or b.page_kind != "content":
            raise SystemExit(f"capture {n} incomplete: {bad} {b.page_kind} {b.error}")
        return dt

    # Pool: one browser for every capture (the first capture pays for the launch, as in service).
    cpu0 = cpu_seconds()
    with MemorySampler() as mem:
        svc = CaptureService(settings)
        t0 = time.perf_counter()
        times = [one(svc) for _ in range(pool_n)]
        pool_wall = time.perf_counter() - t0
        svc.close()
    pool_cpu = cpu_seconds() - cpu0
    results["pool"] = {
        "captures": pool_n,
        "wall_s": round(pool_wall, 2),
        "per_minute": round(pool_n / pool_wall * 60, 1),
        "median_s": round(statistics.median(times), 3),
        "p95_s": round(sorted(times)[int(0.95 * (len(times) - 1))], 3),
        "first_s_incl_launch": round(times[0], 3),
        "peak_rss_sum_mb": round(mem.peak / 2**20, 1),
        "peak_pss_mb": round(mem.peak_pss / 2**20, 1),
        "cpu_s_per_capture": round(pool_cpu / pool_n, 3),
    }
    cpu0 = cpu_seconds()
    with MemorySampler() as mem:
        t0 = time.perf_counter()
        times = []
        for _ in range(launch_n):
            svc = CaptureService(settings)
            times.append(one(svc))
            svc.close()
        launch_wall = time.perf_counter() - t0
    launch_cpu = cpu_seconds() - cpu0
    results["launch_per_capture"] = {
        "captures": launch_n,
        "wall_s": round(launch_wall, 2),
        "per_minute": round(launch_n / launch_wall * 60, 1),
        "median_s": round(statistics.median(times), 3),
        "peak_rss_sum_mb": round(mem.peak / 2**20, 1),
        "peak_pss_mb": round(mem.peak_pss / 2**20, 1),
        "cpu_s_per_capture": round(launch_cpu / launch_n, 3),
    }
    # The launch alone (driver + chromium up, then down): what a pool saves per capture. With a
    # pooled capture costing c and a launch l, no pool can beat (l + c) / c.
    launches = []
    for _ in range(3):
        t0 = time.perf_counter()
        launch(settings.chromium_path, settings.resolve_map).stop()
        launches.append(time.perf_counter() - t0)
    launch_s = statistics.median(launches)
    pool_median = results["pool"]["median_s"]  # type: ignore[index]
    results["launch_only_median_s"] = round(launch_s, 3)
    results["speedup_ceiling"] = round((launch_s + pool_median) / pool_median, 2)
    pool_rate = results["pool"]["per_minute"]  # type: ignore[index]
    launch_rate = results["launch_per_capture"]["per_minute"]  # type: ignore[index]
    results["speedup"] = round(pool_rate / launch_rate, 2)
    # CPU cost does not depend on what else runs on the machine: the fairer comparison when shared.
    results["cpu_ratio"] = round(launch_cpu / launch_n / (pool_cpu / pool_n), 2)
    sample = tmp / "bundles" / "b1"
    results["sample_bundle_verifies"] = verify_bundle(sample).ok
    results["sample_bundle_bytes"] = sum(f.stat().st_size for f in sample.iterdir())
    results["meta"] = {
        "when": datetime.now(UTC).isoformat(),
        "cpus": os.cpu_count(),
        # Other jobs share the machine; a load average well above the core count slows every figure.
        "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "python": platform.python_version(),
        "pages": list(PAGES),
        "parts": "screenshot, viewport, pdf, mhtml, dom, text, network, warc, wacz, sha256sums + signed manifest",
        "targets": {"pool_per_minute": 60, "speedup": 3},
        "note": "2-core VM shared with other jobs; figures are relative, not capacity. Memory covers this "
        "process, the Playwright driver and every chromium process; the RSS sum counts shared pages "
        "once per process, PSS splits them",
    }
    srv.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pool", type=int, default=40)
    ap.add_argument("--launch", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("bench/results/capture.json"))
    a = ap.parse_args()
    print(json.dumps(run(a.pool, a.launch, a.out), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
