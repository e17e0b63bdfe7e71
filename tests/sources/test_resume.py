"""A monitor killed mid-crawl (SIGKILL) and started again finishes the crawl: no page that had been
stored is fetched again, none that had been queued is lost; one fetch at a time and eight."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kuzet.sources.fetchpump import FetchSettings

from .conftest import LocalSite, tree_site, wait_for

PAGES = 80


def _snapshots(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as c:
            return int(c.execute("select count(*) from snapshots").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("concurrency", [1, 8])
def test_killed_monitor_resumes_exactly(
    tmp_path: Path, local_site: Callable[[dict[str, Any]], LocalSite], concurrency: int
) -> None:
    site = local_site(tree_site(PAGES))
    config = tmp_path / "monitor.toml"
    config.write_text(
        f"[monitor]\ndelay = 0.01\nconcurrency = {concurrency}\nper_host = {concurrency}\n"
        "stages = ['fetch', 'extract']\n\n"
        f"[[source]]\nkind = 'website'\nname = 'tree'\nurl = '{site.url}/p/0'\nmax_depth = 10\nmax_pages = 500\n",
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KUZET_")},
        "KUZET_MODE": "development",
        "KUZET_DATA_DIR": str(tmp_path / "data"),
    }
    cmd = [sys.executable, "-m", "kuzet.sources.cli", "monitor", "--config", str(config), "--once", "--no-progress"]
    db = tmp_path / "data" / "kuzet.db"

    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: _snapshots(db) >= 20, timeout=60), "the first monitor stored too little"
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    stored_before = _snapshots(db)
    assert stored_before < PAGES, "the crawl finished before it was killed; the test proves nothing"
    with sqlite3.connect(db) as c:
        stored_urls = {u for (u,) in c.execute("select url from snapshots")}

    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr[-2000:]

    with sqlite3.connect(db) as c:
        statuses = Counter(s for (s,) in c.execute("select status from crawl_urls"))
        snap_urls = [u for (u,) in c.execute("select url from snapshots")]
        keys = [k for (k,) in c.execute("select job_key from snapshots")]
    assert statuses == {"done": PAGES}  # every queued URL was fetched in the end
    assert len(snap_urls) == len(set(snap_urls)) == PAGES  # one snapshot a page
    assert len(keys) == len(set(keys))
    page_hits = Counter({p: n for p, n in site.hits.items() if p.startswith("/p/")})
    assert set(page_hits) == {f"/p/{i}" for i in range(PAGES)}
    again = [p for p, n in page_hits.items() if n > 1]
    # Only a page in flight at the kill (claimed, maybe fetched, not yet committed) may be asked
    # twice: at most the fetch phase's backlog of claimed jobs, and never one already stored.
    assert len(again) <= FetchSettings(concurrency=concurrency).backlog, again
    assert not any(f"{site.url}{p}" in stored_urls for p in again)
