"""One Debian chromium driven by Playwright's sync API: launch flags, the process id, a watchdog.

Playwright does not expose the browser's process id; it is found as the new ``chromium`` child
of the Playwright driver that appeared during launch (the Debian wrapper ``exec``s the binary).
Knowing it lets a watchdog kill exactly this browser when a hostile page wedges a call that has
no timeout of its own (``page.pdf``, CDP commands), and lets the benchmark measure memory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from playwright.sync_api import Browser, Playwright, sync_playwright

from kuzet.errors import BrowserMissing

# Playwright's own --disable-features (its chromiumSwitches, driver 1.65.2). Chromium keeps only
# the last --disable-features of a command line, and ours comes after Playwright's, so it repeats
# them (a test compares this with the installed driver's list).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
# Browser UI that a headless capture never shows, but that chromium 156 builds for every new
# context's window (measured per capture, Debian chromium 156, 2 cores):
# - the omnibox pop-up's WebUI (chrome://omnibox-popup.top-chrome/, plus its "AI mode" page),
#   preloaded in a renderer process of its own: about 0.6 s of CPU;
# - a spare renderer process started after the page's own, for a second navigation in the same
#   context that a capture never makes: about 20 ms of CPU.
# Neither touches the captured page: it renders in its own renderer as before.
KUZET_DISABLED_FEATURES = (
    "WebUIOmniboxPopup",
    "WebUIOmniboxFullPopup",
    "WebUIOmniboxAimPopup",
    "SpareRendererForSitePerProcess",
)
BASE_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + KUZET_DISABLED_FEATURES),
)


def host_resolver_rules(resolve_map: dict[str, str]) -> str | None:
    """``{"*.test": "127.0.0.1"}`` -> ``MAP *.test 127.0.0.1`` (nothing excluded, nothing else mapped)."""
    rules = []
    for pattern, ip in sorted(resolve_map.items()):
        if any(c in pattern + ip for c in ", \t\n"):
            raise ValueError(f"resolver override {pattern!r}={ip!r} contains a separator")
        rules.append(f"MAP {pattern} {ip}")
    return ",".join(rules) or None


def playwright_proxy(proxy: str) -> tuple[dict[str, str], str]:
    """``http://user:pass@host:port`` -> Playwright's ``{"server", "username", "password"}`` (Chromium
    takes no credentials in the proxy address) and the address without them, for the manifest."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.username is None and parts.password is None:
        return {"server": proxy}, proxy
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    server = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    config = {"server": server, "username": unquote(parts.username or ""), "password": unquote(parts.password or "")}
    return config, server


def launch_args(resolve_map: dict[str, str]) -> list[str]:
    args = list(BASE_ARGS)
    rules = host_resolver_rules(resolve_map)
    if rules:
        args.append(f"--host-resolver-rules={rules}")
    return args


def _proc_table() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, comm) for every process we can see."""
    table: dict[int, tuple[int, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # comm is in parentheses and may itself contain spaces or parentheses.
        comm = stat[stat.find("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), comm)
    return table


def descendants(pid: int, table: dict[int, tuple[int, str]] | None = None) -> list[int]:
    table = table if table is not None else _proc_table()
    children: dict[int, list[int]] = {}
    for p, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(p)
    out, stack = [], [pid]
    while stack:
        for c in children.get(stack.pop(), []):
            out.append(c)
            stack.append(c)
    return out


def rss_bytes(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
    return total


class _Driver(threading.local):
    """Playwright's sync driver may run only once per thread; browsers of one thread share it."""

    playwright: Playwright | None = None
    refs: int = 0


_DRIVER = _Driver()


def acquire_driver() -> Playwright:
    """This thread's Playwright (started on first use). Anything else in kuzet that drives a
    browser with the sync API in the same thread must share it: a second ``sync_playwright()``
    in one thread fails with "Sync API inside the asyncio loop". Pair with ``release_driver``."""
    if _DRIVER.playwright is None:
        _DRIVER.playwright = sync_playwright().start()
    _DRIVER.refs += 1
    return _DRIVER.playwright


def release_driver(pw: Playwright) -> None:
    if _DRIVER.playwright is not pw:
        return
    _DRIVER.refs -= 1
    if _DRIVER.refs <= 0:
        _DRIVER.playwright, _DRIVER.refs = None, 0
        with contextlib.suppress(Exception):  # driver already gone
            pw.stop()


@dataclass
class BrowserProcess:
    """A launched browser plus what is needed to kill it or measure it."""

    playwright: Playwright
    browser: Browser
    pid: int | None
    captures: int = 0
    crashed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def alive(self) -> bool:
        return not self.crashed and self.browser.is_connected()

    def kill(self) -> None:
        """SIGKILL the browser main process (children die with it); safe from any thread."""
        with self._lock:
            self.crashed = True
            if self.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)

    def tree_rss(self) -> int:
        if self.pid is None:
            return 0
        return rss_bytes([self.pid, *descendants(self.pid)])

    def close(self) -> None:
        try:
            self.browser.close()
        except Exception:  # already dead or disconnected; the process is gone either way
            self.kill()

    def stop(self) -> None:
        self.close()
        release_driver(self.playwright)


def launch(executable: str, resolve_map: dict[str, str], *, timeout_s: float = 30.0) -> BrowserProcess:
    """Start the Playwright driver and chromium; BrowserMissing when chromium is absent or will not start."""
    if not (Path(executable).is_file() or shutil.which(executable)):
        raise BrowserMissing(
            f"chromium not found at {executable!r}; install Debian's chromium "
            "(apt-get install chromium) or set KUZET_CHROMIUM_PATH"
        )
    me = os.getpid()
    before = set(descendants(me))
    pw = acquire_driver()
    try:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=launch_args(resolve_map), timeout=timeout_s * 1000
        )
    except Exception as e:
        release_driver(pw)
        raise BrowserMissing(f"chromium at {executable!r} could not be launched: {str(e)[:500]}") from e
    table = _proc_table()
    new = [p for p in descendants(me, table) if p not in before]
    # The main browser process: a new chromium whose parent is not itself chromium.
    mains = [
        p
        for p in new
        if table.get(p, (0, ""))[1].startswith("chromium")
        and not table.get(table[p][0], (0, ""))[1].startswith("chromium")
    ]
    return BrowserProcess(playwright=pw, browser=browser, pid=mains[0] if len(mains) == 1 else None)


class Watchdog:
    """Kills the browser if a capture overruns its deadline; ``fired`` tells the capture why it died."""

    def __init__(self, proc: BrowserProcess, seconds: float) -> None:
        self.fired = False
        self._proc = proc
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        self._proc.kill()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._timer.cancel()
