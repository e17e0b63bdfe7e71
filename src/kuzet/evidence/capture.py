"""Capture one URL in chromium and seal the result as a signed evidence bundle.

``CaptureService`` keeps ONE browser, launched lazily on the first capture and reused; every
capture gets a fresh context (no cookies or storage shared between cases), and the browser is
relaunched every ``recycle_every`` captures, after a crash, or after the watchdog killed it.

Threading: Playwright's sync API binds the browser to the thread that started it, and it cannot
run inside a thread with a running asyncio loop. A service therefore belongs to the thread of
its first ``capture()``; calling it from another thread raises CaptureError. Run one service
per worker thread or process.

Every part (screenshot, PDF, MHTML, DOM, text, WARC, WACZ...) succeeds or fails on its own and
a failure is recorded in the manifest; ``capture()`` raises only BrowserMissing (no browser at
all) and EvidenceError (``out_dir`` already holds files, or cannot be written).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import platform
import re
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from playwright.sync_api import (
    BrowserContext,
    CDPSession,
    Dialog,
    Download,
    Page,
    Request,
    Response,
    Route,
    WebSocketRoute,
)
from playwright.sync_api import Error as PlaywrightError

from kuzet.errors import BrowserMissing, CaptureError, EvidenceError, FetchError
from kuzet.evidence.browser import BrowserProcess, Watchdog, launch, playwright_proxy
from kuzet.evidence.pagecdp import PageReader, title_from_html
from kuzet.evidence.pagekind import classify_page
from kuzet.evidence.report import LANGS, write_reports
from kuzet.evidence.seal import part_from_file, seal_bundle
from kuzet.evidence.signing import Signer
from kuzet.evidence.wacz import build_wacz
from kuzet.evidence.warc import har_to_warc
from kuzet.fetch.guard import AddressGuard
from kuzet.records import CapturePart, EvidenceBundle, to_jsonable
from kuzet.settings import Settings

VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {
        "viewport": {"width": 1366, "height": 900},
        "is_mobile": False,
        "has_touch": False,
        "device_scale_factor": 1,
    },
    "mobile": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
MAX_DOM_BYTES = 50 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000
MAX_SHOT_WIDTH = 8000
MAX_LOG_ITEMS = 200
# Seconds a hung page gets to answer a trivial script before its JavaScript is terminated.
LIVENESS_PROBE_S = 2.0
# The watchdog fires this long after the capture's own time budget (sealing is not included).
WATCHDOG_GRACE_S = 20.0
# Share of the time budget navigation may use; the rest is for settling and taking the parts.
NAVIGATION_SHARE = 0.5
# However long navigation took, the parts always get at least this many seconds.
PARTS_MIN_S = 8.0
SCROLL_PAUSE_MS = 40
# After scrolling woke new requests: wait until they are done and the network has been quiet for
# LAZY_QUIET_MS, but never longer than LAZY_WAIT_MS in all (the old fixed wait, now the cap).
LAZY_WAIT_MS = 400
LAZY_QUIET_MS = 80
LAZY_POLL_MS = 20
MAX_SCROLL_STEPS = 40
# Steps times pause is 1.6 s when idle; a loaded machine stretches timers.
SCROLL_TIMEOUT_S = 6.0
REPORT_TIMEOUT_S = 30.0
# Page numbers in the report's footer (Chromium fills the pageNumber / totalPages spans).
REPORT_FOOTER = (
    '<div style="font-size:7pt;width:100%;text-align:center;color:#555">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
PART_ORDER = ("screenshot", "viewport", "pdf", "mhtml", "dom", "text")
PART_FILES = {
    "screenshot": ("screenshot.png", "image/png"),
    "viewport": ("viewport.png", "image/png"),
    "pdf": ("page.pdf", "application/pdf"),
    "mhtml": ("page.mhtml", "multipart/related"),
    "dom": ("dom.html", "text/html; charset=utf-8"),
    "text": ("text.txt", "text/plain; charset=utf-8"),
    "network": ("network.json", "application/json"),
    "warc": ("traffic.warc.gz", "application/warc"),
    "wacz": ("archive.wacz", "application/wacz"),
}

MAX_FRAMES_TEXT = 10
_TEXT_JS = "() => document.body ? document.body.innerText : ''"
_HIGHLIGHT_JS = """(post) => {
  const el = Array.from(document.querySelectorAll('[data-post]')).find(e => e.getAttribute('data-post') === post);
  if (!el) return false;
  const wrap = el.closest('.tgme_widget_message_wrap') || el;
  wrap.style.outline = '4px solid #e53935';
  wrap.style.outlineOffset = '2px';
  wrap.scrollIntoView({block: 'center', inline: 'nearest'});
  return true;
}"""
# One scroll step (``CaptureService._scroll``): the state travels in the argument, not in the page.
_SCROLL_STEP_JS = """(s) => {
  const doc = document.scrollingElement || document.documentElement;
  if (!doc) return {done: true, height: 0};
  const h = Math.min(doc.scrollHeight, s.maxHeight);
  if (s.steps >= s.maxSteps || s.y + window.innerHeight >= h) {
    window.scrollTo(0, 0);
    return {done: true, height: doc.scrollHeight};
  }
  const y = s.y + window.innerHeight; window.scrollTo(0, y);
  return {done: false, y: y};
}"""
# Read through the page's CDP session (pagecdp), in the page's own world.
_TEXT_EXPR = "document.body ? document.body.innerText : ''"
_SIZE_EXPR = (
    "(() => { const d = document.documentElement, b = document.body;"
    " return [Math.max(d ? d.scrollHeight : 0, b ? b.scrollHeight : 0),"
    " Math.max(d ? d.scrollWidth : 0, b ? b.scrollWidth : 0), window.devicePixelRatio || 1]; })()"
)


def _chrome_ua(version: str, mobile: bool) -> str:
    major = version.split(".")[0] or "120"
    if mobile:
        return (
            f"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{major}.0.0.0 Mobile Safari/537.36"
        )
    return f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36"


@dataclass(frozen=True, slots=True)
class CaptureOptions:
    """How to capture; every field (resolved) is written to the manifest's ``options``."""

    viewport: Literal["desktop", "mobile"] = "desktop"
    user_agent: str | None = None  # default: a regular Chrome UA of the running browser's version
    locale: str = "ru-RU"
    proxy: str | None = None  # default: settings.proxy
    timeout: float | None = None  # seconds for the browser phase; default settings.capture_timeout
    max_height: int | None = None  # default settings.max_screenshot_height
    recycle_every: int = 50


@dataclass
class _Run:
    """Everything one capture learns, filled in as it goes."""

    url: str
    out: Path
    deadline: float
    parts: dict[str, CapturePart] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    failed_requests: list[dict[str, Any]] = field(default_factory=list)
    console_errors: list[dict[str, Any]] = field(default_factory=list)
    dialogs: int = 0
    dialog_messages: list[str] = field(default_factory=list)
    downloads: list[dict[str, Any]] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)
    requests: int = 0
    # Requests started while scrolling and not finished yet (for the lazy-content wait).
    lazy_pending: set[Request] = field(default_factory=set)
    watch_lazy: bool = False
    crashed: bool = False
    main_responses: list[Response] = field(default_factory=list)
    navigation_error: str | None = None
    load_state: str | None = None
    scripts_terminated: bool = False
    title: str = ""
    text: str = ""
    html: str = ""
    network: dict[str, Any] = field(default_factory=dict)
    browser_error: str | None = None
    final_url: str | None = None
    max_height: int = 20000
    timings: dict[str, int] = field(default_factory=dict)
    # For bundles with several views (a Telegram post and its channel preview): file and part
    # names get this prefix ("post.", "preview."); parts stay keyed by the bare name here.
    prefix: str = ""
    # Append the text of child frames to text.txt (the Telegram post page frames its widget).
    frames_text: bool = False
    # ``data-post`` value of a post to scroll to and outline before the screenshots.
    highlight: str | None = None
    highlight_found: bool | None = None

    def timed(self, name: str, t0: float) -> None:
        self.timings[name] = int((time.monotonic() - t0) * 1000)

    @property
    def finished(self) -> bool:
        """Every part was taken or recorded as failed, and the network facts were read."""
        return bool(self.network) and all(n in self.parts for n in PART_ORDER)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def ms(self, cap: float) -> float:
        """A Playwright timeout (ms): ``cap`` seconds, shrunk to what is left, never below 0.5 s."""
        return max(500.0, min(cap, self.remaining()) * 1000)

    def fail(self, name: str, error: str, status: Literal["failed", "skipped"] = "failed") -> None:
        rel, media = PART_FILES.get(name, ("", ""))
        self.parts[name] = CapturePart(name=self.prefix + name, status=status, media_type=media, error=error[:1000])


def _err(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"{type(e).__name__}: {text}"[:500]


@dataclass
class _Done:
    """What a browser phase over one or more views leaves for sealing."""

    started: datetime
    ended: datetime
    browser_version: str = ""
    resolved: dict[str, Any] = field(default_factory=dict)
    archive: dict[str, CapturePart] = field(default_factory=dict)


_TG_POST_RE = re.compile(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/(\d{1,12})/?$")


def telegram_post_ref(url: str) -> tuple[str, int] | None:
    """``(channel, post id)`` of a public post link ``t.me/NAME/ID`` or ``t.me/s/NAME/ID`` (any
    host: the sandbox serves Telegram's markup as ``t.me.test``); None for anything else."""
    m = _TG_POST_RE.match(urlsplit(url).path)
    if m is None or m.group(1).lower() in {"s", "c", "joinchat", "addstickers", "share", "iv"}:
        return None
    return m.group(1), int(m.group(2))


class CaptureService:
    def __init__(self, settings: Settings, *, signer: Signer | None = None) -> None:
        self.settings = settings
        self.guard = AddressGuard.from_settings(settings)
        self._signer = signer
        self._proc: BrowserProcess | None = None
        self._thread: int | None = None
        self.launches = 0

    # ---- browser lifecycle -------------------------------------------------------------
    @property
    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = Signer.load_or_create(self.settings.keys_dir)
        return self._signer

    def _check_thread(self) -> None:
        me = threading.get_ident()
        if self._thread is None:
            self._thread = me
        elif self._thread != me:
            raise CaptureError("CaptureService is bound to the thread that first used it (Playwright sync API)")

    def _browser(self, recycle_every: int) -> BrowserProcess:
        proc = self._proc
        if proc is not None and (not proc.alive or proc.captures >= max(1, recycle_every)):
            proc.stop()
            self._proc = proc = None
        if proc is None:
            proc = launch(
                self.settings.chromium_path,
                self.settings.resolve_map,
                timeout_s=min(60.0, self.settings.capture_timeout),
            )
            self._proc = proc
            self.launches += 1
        return proc

    @property
    def browser_process(self) -> BrowserProcess | None:
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def __enter__(self) -> CaptureService:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- the inspection report -----------------------------------------------------------
    def write_report(self, bundle_path: Path, langs: tuple[str, ...] = LANGS) -> list[Path]:
        """Write ``report.<lang>.pdf`` (the inspection report, «ПРОТОКОЛ осмотра») for a sealed
        bundle, printed by this service's Chromium, and record them in the custody log."""
        self._check_thread()
        proc = self._browser(CaptureOptions().recycle_every)

        def pdf(html: str) -> bytes:
            # Our own HTML, but it quotes hostile titles and text: no scripts, no network.
            ctx = proc.browser.new_context(java_script_enabled=False, offline=True, service_workers="block")
            try:
                ctx.route("**/*", lambda route: route.abort("blockedbyclient"))
                page = ctx.new_page()
                with Watchdog(proc, REPORT_TIMEOUT_S + WATCHDOG_GRACE_S) as dog:
                    try:
                        page.set_content(html, wait_until="load", timeout=REPORT_TIMEOUT_S * 1000)
                        return page.pdf(
                            format="A4",
                            print_background=True,
                            prefer_css_page_size=True,
                            display_header_footer=True,
                            header_template="<span></span>",
                            footer_template=REPORT_FOOTER,
                        )
                    except PlaywrightError as e:
                        if dog.fired:
                            proc.crashed = True
                        raise EvidenceError(f"printing the report failed: {_err(e)}", path=bundle_path) from e
            finally:
                with contextlib.suppress(PlaywrightError):
                    ctx.close()

        return write_reports(Path(bundle_path), langs, pdf=pdf, signer=self.signer)

    # ---- the capture ---------------------------------------------------------------------
    def capture(
        self,
        url: str,
        out_dir: Path,
        *,
        options: CaptureOptions | None = None,
        case_ref: str | None = None,
        extra_meta: dict[str, Any] | None = None,
    ) -> EvidenceBundle:
        self._check_thread()
        opts = options or CaptureOptions()
        out = self._prepare_out(out_dir)
        max_height = int(opts.max_height or self.settings.max_screenshot_height)
        run = _Run(url=url, out=out, deadline=0.0, max_height=max_height)
        done = self._capture_views([run], opts)
        return self._seal([run], done, opts, case_ref, extra_meta)

    def capture_telegram_post(
        self,
        post_url: str,
        preview_url: str,
        out_dir: Path,
        *,
        options: CaptureOptions | None = None,
        case_ref: str | None = None,
        extra_meta: dict[str, Any] | None = None,
    ) -> EvidenceBundle:
        """ONE bundle with a public Telegram post seen twice: its own page (``t.me/NAME/ID``,
        parts ``post.*``) and the channel preview around it (``t.me/s/NAME/ID``, parts
        ``preview.*``, the post scrolled into view and outlined before the screenshots), in one
        browser context, with one WARC/WACZ of both. The channel and post id go in the
        manifest's ``telegram`` object; each view's facts in ``views``."""
        self._check_thread()
        ref = telegram_post_ref(post_url)
        if ref is None:
            raise CaptureError(f"{post_url!r} is not a Telegram post link (t.me/NAME/ID)")
        channel, post_id = ref
        if telegram_post_ref(preview_url) not in (None, ref) or f"/{channel.lower()}" not in preview_url.lower():
            raise CaptureError(f"{preview_url!r} is not a preview of {channel}/{post_id}")
        opts = options or CaptureOptions()
        out = self._prepare_out(out_dir)
        max_height = int(opts.max_height or self.settings.max_screenshot_height)
        data_post = f"{channel}/{post_id}"
        post = _Run(url=post_url, out=out, deadline=0.0, max_height=max_height, prefix="post.", frames_text=True)
        preview = _Run(url=preview_url, out=out, deadline=0.0, max_height=max_height, prefix="preview.")
        preview.highlight = data_post
        done = self._capture_views([post, preview], opts)
        tg = {
            "channel": channel,
            "post_id": post_id,
            "data_post": data_post,
            "post_url": post_url,
            "preview_url": preview_url,
            "post_found_in_preview": preview.highlight_found,
        }
        return self._seal([post, preview], done, opts, case_ref, extra_meta, telegram=tg)

    @staticmethod
    def _prepare_out(out_dir: Path) -> Path:
        out = Path(out_dir)
        if out.exists() and any(out.iterdir()):
            raise EvidenceError(f"bundle directory {out} is not empty", path=out)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EvidenceError(f"cannot create bundle directory {out}: {e}", path=out) from e
        return out

    def _capture_views(self, runs: list[_Run], opts: CaptureOptions) -> _Done:
        """Drive the browser through every view in one context, then write network facts and the
        WARC/WACZ of the whole context's traffic."""
        self._check_thread()
        timeout = float(opts.timeout or self.settings.capture_timeout)
        max_height = runs[0].max_height
        started = datetime.now(UTC)
        done = _Done(started=started, ended=started)
        har_dir = Path(tempfile.mkdtemp(prefix="kuzet-har-"))
        har = har_dir / "traffic.har"
        try:
            browsable = []
            for run in runs:
                scheme = urlsplit(run.url).scheme.lower()
                if scheme not in ("http", "https"):
                    run.navigation_error = f"refused scheme {scheme!r}: only http and https pages are captured"
                else:
                    browsable.append(run)
            if browsable:
                proc = self._browser(opts.recycle_every)
                done.browser_version = proc.browser.version
                done.resolved = self._resolved_options(opts, done.browser_version, timeout, max_height)
                proc.captures += 1
                limit = (timeout + PARTS_MIN_S) * len(browsable) + WATCHDOG_GRACE_S
                with Watchdog(proc, limit) as dog:
                    try:
                        proxy = opts.proxy or self.settings.proxy
                        pw_proxy = playwright_proxy(proxy)[0] if proxy else None
                        self._drive(proc, browsable, done.resolved, har, max_height, timeout, pw_proxy)
                    except Exception as e:  # a capture fails as data, whatever broke in the browser phase
                        for run in browsable:
                            if not run.finished:  # views completed before the failure keep their parts
                                run.browser_error = run.browser_error or _err(e)
                    if dog.fired:
                        for run in browsable:
                            if not run.finished:
                                run.browser_error = f"watchdog killed the browser after {limit:.0f} s"
                                run.notes.append(run.browser_error)
                if any(r.crashed or r.browser_error for r in browsable):
                    proc.crashed = True  # relaunch before the next capture
            for run in runs:
                for name in PART_ORDER:
                    if name not in run.parts:
                        run.fail(name, run.browser_error or "not captured: the browser phase ended early")
            done.ended = datetime.now(UTC)
            for run in runs:
                self._write_network(run)
            done.archive = self._write_archive(runs, har, started)
        finally:
            shutil.rmtree(har_dir, ignore_errors=True)
        return done

    def _resolved_options(self, opts: CaptureOptions, version: str, timeout: float, max_height: int) -> dict[str, Any]:
        vp = VIEWPORTS[opts.viewport]
        proxy = opts.proxy or self.settings.proxy
        proxy_config, shown_proxy = playwright_proxy(proxy) if proxy else ({}, None)
        return {
            "viewport": opts.viewport,
            "viewport_size": dict(vp["viewport"]),
            "is_mobile": vp["is_mobile"],
            "has_touch": vp["has_touch"],
            "device_scale_factor": vp["device_scale_factor"],
            "user_agent": opts.user_agent or _chrome_ua(version, vp["is_mobile"]),
            "locale": opts.locale,
            # Without credentials (the manifest is shown to anyone who checks the bundle).
            "proxy": shown_proxy,
            "proxy_authenticated": "username" in proxy_config,
            "timeout_s": timeout,
            "max_height": max_height,
            "recycle_every": opts.recycle_every,
            "ignore_https_errors": True,
            "service_workers": "block",
            "address_guard": {"allow_loopback": self.guard.allow_loopback, "allow_private": self.guard.allow_private},
        }

    # ---- browser phase -------------------------------------------------------------------
    def _new_context(
        self, proc: BrowserProcess, o: dict[str, Any], har: Path, proxy: dict[str, str] | None
    ) -> BrowserContext:
        kwargs: dict[str, Any] = {
            "viewport": o["viewport_size"],
            "is_mobile": o["is_mobile"],
            "has_touch": o["has_touch"],
            "device_scale_factor": o["device_scale_factor"],
            "user_agent": o["user_agent"],
            "locale": o["locale"],
            # Gambling mirrors often run broken TLS; the page is still evidence, and the
            # certificate facts are recorded in network.json.
            "ignore_https_errors": True,
            "accept_downloads": True,
            # Service workers would fetch outside context.route and outside the HAR.
            "service_workers": "block",
            "record_har_path": str(har),
            "record_har_content": "embed",
        }
        if proxy:
            kwargs["proxy"] = proxy
        return proc.browser.new_context(**kwargs)

    def _guard_routes(
        self, current: list[_Run]
    ) -> tuple[Callable[[Route], None], Callable[[WebSocketRoute], None], Callable[[str], bool]]:
        """Route handlers that vet every request's host with the address guard first, and a test
        of whether a page's own origin passed (see ``_routed_pattern``).

        The browser resolves the name again when it connects; the address it actually used for
        the main document is checked afterwards (``rebinding`` in network.json).
        """
        decisions: dict[tuple[str, int], str | None] = {}

        def verdict(req_url: str, allowed: tuple[str, ...]) -> str | None:
            parts = urlsplit(req_url)
            scheme = parts.scheme.lower()
            if scheme not in allowed:
                return f"scheme {scheme!r} not allowed"
            host = parts.hostname or ""
            port = parts.port or (443 if scheme in ("https", "wss") else 80)
            key = (host, port)
            if key not in decisions:
                try:
                    self.guard.resolve(host, port, url=req_url)
                    decisions[key] = None
                except FetchError as e:
                    decisions[key] = _err(e)
            return decisions[key]

        def record(req_url: str, reason: str, kind: str) -> None:
            run = current[0]  # the view being captured
            if len(run.blocked) < MAX_LOG_ITEMS:
                run.blocked.append({"url": req_url[:2000], "reason": reason, "resource_type": kind})

        def http_handler(route: Route) -> None:
            reason = verdict(route.request.url, ("http", "https"))
            if reason is None:
                route.continue_()
                return
            record(route.request.url, reason, route.request.resource_type)
            route.abort("blockedbyclient")

        def ws_handler(ws: WebSocketRoute) -> None:
            reason = verdict(ws.url, ("ws", "wss"))
            if reason is None:
                ws.connect_to_server()  # with no message handlers, frames pass through unchanged
                return
            record(ws.url, reason, "websocket")
            ws.close(code=1008, reason="blocked")

        def origin_allowed(page_url: str) -> bool:
            return verdict(page_url, ("http", "https")) is None

        return http_handler, ws_handler, origin_allowed

    def _attach_listeners(self, page: Page, run: _Run) -> None:
        def on_dialog(d: Dialog) -> None:
            run.dialogs += 1
            if len(run.dialog_messages) < 20:
                run.dialog_messages.append(f"{d.type}: {d.message[:200]}")
            with contextlib.suppress(PlaywrightError):
                d.dismiss()

        def on_download(d: Download) -> None:
            if len(run.downloads) < 20:
                run.downloads.append({"url": d.url[:2000], "suggested_filename": d.suggested_filename[:300]})
            with contextlib.suppress(PlaywrightError):
                d.cancel()

        def on_console(msg: Any) -> None:
            if msg.type == "error" and len(run.console_errors) < MAX_LOG_ITEMS:
                run.console_errors.append({"text": msg.text[:1000], "location": msg.location})

        def on_request(req: Request) -> None:
            run.requests += 1
            if run.watch_lazy:
                run.lazy_pending.add(req)

        def on_failed(req: Request) -> None:
            run.lazy_pending.discard(req)
            if len(run.failed_requests) < MAX_LOG_ITEMS:
                run.failed_requests.append({"url": req.url[:2000], "failure": (req.failure or "")[:300]})

        def on_response(resp: Response) -> None:
            # Answered: no longer holding up the lazy-content wait ("requestfinished" would cost
            # one more driver event for every request of every page).
            run.lazy_pending.discard(resp.request)
            try:
                if resp.request.is_navigation_request() and resp.frame == page.main_frame:
                    run.main_responses.append(resp)
            except PlaywrightError:
                return

        def on_crash(_: Page) -> None:
            run.crashed = True
            run.notes.append("the page's renderer crashed during the capture")

        page.on("dialog", on_dialog)
        page.on("download", on_download)
        page.on("console", on_console)
        page.on("request", on_request)
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        page.on("crash", on_crash)

    def _drive(
        self,
        proc: BrowserProcess,
        runs: list[_Run],
        o: dict[str, Any],
        har: Path,
        max_height: int,
        timeout: float,
        proxy: dict[str, str] | None,
    ) -> None:
        """One context for every view (one HAR, so one WARC of all of them); each view gets its
        own page, time budget, listeners and parts, one after the other."""
        t0 = time.monotonic()
        ctx = self._new_context(proc, o, har, proxy)
        runs[0].timed("new_context", t0)
        current = [runs[0]]
        try:
            http_handler, ws_handler, origin_allowed = self._guard_routes(current)
            ctx.route(_routed_pattern([r.url for r in runs if origin_allowed(r.url)]), http_handler)
            ctx.route_web_socket(re.compile(".*"), ws_handler)
            for i, run in enumerate(runs):
                current[0] = run
                run.deadline = time.monotonic() + timeout
                self._visit(ctx, proc, run, max_height, last=i == len(runs) - 1)
        finally:
            t0 = time.monotonic()
            try:
                ctx.close()  # writes the HAR
            except PlaywrightError as e:
                runs[-1].notes.append(f"closing the browser context failed: {_err(e)}")
            runs[-1].timings["context_close"] = int((time.monotonic() - t0) * 1000)

    def _visit(self, ctx: BrowserContext, proc: BrowserProcess, run: _Run, max_height: int, *, last: bool) -> None:
        """One view in a page of its own; the last page is left for closing the context to close
        (one round trip less; measured about 10 ms a capture)."""
        t0 = time.monotonic()
        page = ctx.new_page()
        try:
            # Opened before navigation: a session cannot attach to a renderer stuck in a script loop,
            # but an attached one can still terminate that script.
            cdp = ctx.new_cdp_session(page)
            self._attach_listeners(page, run)

            def on_popup(popup: Page) -> None:
                # Pop-ups (window.open, target=_blank clicks by script) are noted and closed: they
                # would compete for the CPU; their requests up to then are in the HAR anyway.
                if len(run.popups) < 20:
                    run.popups.append(popup.url[:2000])
                with contextlib.suppress(PlaywrightError):
                    popup.close()

            page.on("popup", on_popup)
            run.timed("new_page", t0)
            t0 = time.monotonic()
            self._navigate(page, run)
            run.timed("navigate", t0)
            if run.crashed:
                for name in PART_ORDER:
                    run.fail(name, "page crashed before it could be captured")
                return
            loaded = page.url not in ("", "about:blank") and not page.url.startswith("chrome-error://")
            if not loaded or (run.navigation_error and not run.main_responses):
                why = run.navigation_error or "no page was loaded"
                for name in PART_ORDER:
                    run.fail(name, f"no page to capture: {why}", status="skipped")
                return
            t0 = time.monotonic()
            self._settle(page, cdp, run)
            run.timed("settle", t0)
            self._take_parts(page, cdp, run, max_height)
        finally:
            t0 = time.monotonic()
            if not run.crashed and not proc.crashed:
                # Response objects are only readable while their page lives.
                run.network = self._network_facts(run)
            run.timings["network_facts"] = int((time.monotonic() - t0) * 1000)
            if not last:
                with contextlib.suppress(PlaywrightError):
                    page.close()

    def _navigate(self, page: Page, run: _Run) -> None:
        """``load`` within half the budget; on timeout keep whatever committed and stop loading."""
        budget = run.ms(run.remaining() * NAVIGATION_SHARE)
        try:
            page.goto(run.url, wait_until="load", timeout=budget)
            run.load_state = "load"
            return
        except PlaywrightError as e:
            msg = str(e)
            if "Timeout" not in msg:
                run.navigation_error = _err(e)
                if "Download is starting" in msg:
                    # The download event arrives just after goto fails; give it a moment.
                    for _ in range(20):
                        if run.downloads:
                            break
                        page.wait_for_timeout(100)
                return
            run.notes.append(f"the page did not finish loading within {budget / 1000:.1f} s; captured as it stood")
        try:
            page.wait_for_load_state("domcontentloaded", timeout=500)
            run.load_state = "domcontentloaded"
        except PlaywrightError:
            if run.main_responses:
                run.load_state = "commit"  # a response arrived and the document began rendering
        if run.load_state is None:
            run.navigation_error = "timed out before the page committed"

    def _settle(self, page: Page, cdp: CDPSession, run: _Run) -> None:
        """Make sure the page's script is not wedged, stop pending loads, scroll for lazy content."""
        reader = PageReader(cdp)
        try:
            # One Runtime.evaluate with a deadline. Not ``page.wait_for_function``: that first
            # builds Playwright's injected script in the page (measured: about 100 ms of wall
            # and CPU per capture, mostly compiling it in the renderer).
            reader.evaluate("1", timeout_s=LIVENESS_PROBE_S)
        except (PlaywrightError, EvidenceError):
            # A script that never yields (while(1) alert() loops, busy loops) would hang every
            # later step; stop it and keep scripts off, noting that in the manifest.
            try:
                cdp.send("Runtime.terminateExecution")
                cdp.send("Emulation.setScriptExecutionDisabled", {"value": True})
                run.scripts_terminated = True
                run.notes.append("the page's JavaScript never yielded; it was terminated and disabled")
            except PlaywrightError as e:
                run.notes.append(f"could not stop the page's JavaScript: {_err(e)}")
        if run.load_state != "load":
            with contextlib.suppress(PlaywrightError):
                page.evaluate("() => window.stop()")
        if run.dialogs:
            run.notes.append(f"{run.dialogs} JavaScript dialogs were dismissed")
        if run.scripts_terminated:
            return  # scrolling needs scripts
        before = run.requests
        run.lazy_pending = set()
        run.watch_lazy = True
        try:
            steps = self._scroll(page, reader, run)
            if steps and run.requests > before:
                # Scrolling woke lazy content; let its requests land.
                self._wait_lazy(page, run)
        except (PlaywrightError, EvidenceError) as e:
            run.notes.append(f"scrolling for lazy content failed: {_err(e)}")
            with contextlib.suppress(PlaywrightError, EvidenceError):  # bounded: back to the top if the page lets us
                reader.evaluate("window.scrollTo(0, 0)", timeout_s=1.0)
        finally:
            run.watch_lazy = False

    @staticmethod
    def _scroll(page: Page, reader: PageReader, run: _Run) -> int:
        """Scroll down one viewport per step, ``SCROLL_PAUSE_MS`` apart, until the bottom (capped
        at ``max_height`` and ``MAX_SCROLL_STEPS``), then back to the top; the number of steps.
        A page no taller than the viewport takes one evaluation and no pause. Every step is one
        Runtime.evaluate with a deadline; the whole scroll is bounded by ``SCROLL_TIMEOUT_S``."""
        end = time.monotonic() + min(SCROLL_TIMEOUT_S, max(0.5, run.remaining()))
        y = steps = 0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise EvidenceError(f"scrolling took longer than {SCROLL_TIMEOUT_S:.0f} s")
            state = {"y": y, "steps": steps, "maxHeight": run.max_height, "maxSteps": MAX_SCROLL_STEPS}
            res = reader.evaluate(f"({_SCROLL_STEP_JS})({json.dumps(state)})", timeout_s=max(0.5, left))
            if not isinstance(res, dict) or res.get("done"):
                return steps
            y, steps = int(res.get("y") or 0), steps + 1
            page.wait_for_timeout(SCROLL_PAUSE_MS)

    @staticmethod
    def _wait_lazy(page: Page, run: _Run) -> None:
        """Until the requests started since scrolling are done and no new one started for
        LAZY_QUIET_MS; at most LAZY_WAIT_MS. Requests that were open before scrolling (long
        polls, streams) are not waited for."""
        t0 = time.monotonic()
        end = t0 + LAZY_WAIT_MS / 1000
        seen, quiet_since = run.requests, t0
        while time.monotonic() < end:
            page.wait_for_timeout(LAZY_POLL_MS)
            now = time.monotonic()
            if run.lazy_pending or run.requests != seen:
                seen, quiet_since = run.requests, now
            elif now - quiet_since >= LAZY_QUIET_MS / 1000:
                return
        run.notes.append(f"lazy content was still loading after {LAZY_WAIT_MS} ms; captured as it stood")

    def _take_parts(self, page: Page, cdp: CDPSession, run: _Run, max_height: int) -> None:
        out = run.out
        run.deadline = max(run.deadline, time.monotonic() + PARTS_MIN_S)
        reader = PageReader(cdp)

        def step(name: str, fn: Callable[[], bytes]) -> None:
            rel, media = PART_FILES[name]
            if run.crashed:
                run.fail(name, "page crashed")
                return
            if run.remaining() <= 0:
                run.fail(name, "capture time budget exhausted")
                return
            t0 = time.monotonic()
            try:
                data = fn()
            except (PlaywrightError, EvidenceError, ValueError) as e:
                run.fail(name, _err(e))
                return
            finally:
                run.timed(name, t0)
            (out / (run.prefix + rel)).write_bytes(data)
            run.parts[name] = part_from_file(out, run.prefix + name, run.prefix + rel, media)

        fits: list[bytes] = []  # the full-page image, when the page fits the viewport exactly
        vp = page.viewport_size or {"width": 1366, "height": 900}
        measured: list[tuple[int, int, bool]] = []

        def measure() -> tuple[int, int, bool]:
            """Page height and width, and whether the 1:1 CDP fast path applies. Mobile emulation
            (a zoomed layout viewport, device pixel ratio 2) is left to Playwright, which handles
            the visual viewport itself."""
            if not measured:
                size = reader.evaluate(_SIZE_EXPR) or [0, 0, 1]
                measured.append((int(size[0] or 0), int(size[1] or 0), float(size[2] or 1) == 1.0))
            return measured[0]

        def full() -> bytes:
            height, content_width, fast = measure()
            width = min(max(vp["width"], content_width), MAX_SHOT_WIDTH)
            clipped = height > max_height
            if clipped:
                run.notes.append(f"full-page screenshot clipped to {max_height} px of {height} px")
            if fast:
                shot_height = min(max(height, vp["height"]), max_height)
                data = reader.png({"x": 0, "y": 0, "width": width, "height": shot_height})
            elif clipped:
                data = page.screenshot(
                    full_page=True, timeout=run.ms(120), clip={"x": 0, "y": 0, "width": width, "height": max_height}
                )
            else:
                data = page.screenshot(full_page=True, timeout=run.ms(120))
            if height <= vp["height"] and content_width <= vp["width"]:
                fits.append(data)
            return data

        def viewport() -> bytes:
            # A page no larger than the viewport gives the same image; do not render it twice.
            if fits:
                return fits[0]
            return reader.png() if measure()[2] else page.screenshot(timeout=run.ms(30))

        def dom() -> bytes:
            html = reader.outer_html()
            data = html.encode("utf-8")
            if len(data) > MAX_DOM_BYTES:
                run.notes.append(f"dom.html truncated to {MAX_DOM_BYTES} bytes of {len(data)}")
                data = data[:MAX_DOM_BYTES]
            run.html = html[:400_000]
            title = title_from_html(html)
            if title is not None:
                run.title = title[:2000]
            return data

        def text() -> bytes:
            value = str(reader.evaluate(_TEXT_EXPR) or "")
            if run.frames_text:
                # innerText stops at an iframe; the Telegram post page shows its post in one.
                for frame in page.frames[1:MAX_FRAMES_TEXT]:
                    with contextlib.suppress(PlaywrightError):
                        value += f"\n\n[frame {frame.url[:300]}]\n" + (frame.evaluate(_TEXT_JS) or "")
            if len(value) > MAX_TEXT_CHARS:
                run.notes.append(f"text.txt truncated to {MAX_TEXT_CHARS} characters of {len(value)}")
                value = value[:MAX_TEXT_CHARS]
            run.text = value
            return value.encode("utf-8")

        # DOM and text first: they are what classification and page-kind detection read.
        step("dom", dom)
        if "dom" not in run.parts or run.parts["dom"].status != "ok":
            with contextlib.suppress(PlaywrightError, EvidenceError):
                run.title = str(reader.evaluate("document.title") or "")[:2000]
        step("text", text)
        if run.highlight and not run.crashed and not run.scripts_terminated:
            self._highlight(page, run)
        step("screenshot", full)
        step("viewport", viewport)
        step("pdf", reader.pdf)
        step("mhtml", reader.mhtml)
        run.final_url = page.url

    @staticmethod
    def _highlight(page: Page, run: _Run) -> None:
        """Scroll the post into the middle of the viewport and outline it (after the DOM and text
        were taken, so they stay as served); the note in the manifest says the outline is ours."""
        try:
            found = page.evaluate(_HIGHLIGHT_JS, run.highlight)
        except PlaywrightError as e:
            run.notes.append(f"could not look for post {run.highlight}: {_err(e)}")
            return
        run.highlight_found = bool(found)
        if found:
            run.notes.append(
                f"post {run.highlight} scrolled into view and outlined in red by kuzet for the screenshots"
            )
        else:
            run.notes.append(f"post {run.highlight} is not on the preview page")

    # ---- after the browser ---------------------------------------------------------------
    def _network_facts(self, run: _Run) -> dict[str, Any]:
        main = run.main_responses[-1] if run.main_responses else None
        facts: dict[str, Any] = {
            "requested_url": run.url,
            "final_url": run.final_url or (main.url if main else run.url),
            "status": None,
            "status_text": None,
            "server_ip": None,
            "server_port": None,
            "redirect_chain": [],
            "main_response_headers": [],
            "tls": None,
            "blocked_requests": run.blocked,
            "failed_requests": run.failed_requests,
            "console_errors": run.console_errors,
            "dialogs": {"count": run.dialogs, "first_messages": run.dialog_messages},
            "downloads": run.downloads,
            "popups_closed": run.popups,
            "requests_seen": run.requests,
            "load_state": run.load_state,
            "navigation_error": run.navigation_error,
            "scripts_terminated": run.scripts_terminated,
        }
        if main is None:
            return facts
        try:
            facts["status"] = main.status
            facts["status_text"] = main.status_text
            addr = main.server_addr()
            if addr:
                facts["server_ip"], facts["server_port"] = addr.get("ipAddress"), addr.get("port")
            chain: list[dict[str, Any]] = []
            req: Request | None = main.request.redirected_from
            while req is not None and len(chain) < 50:
                r = req.response()
                chain.append(
                    {
                        "url": req.url[:2000],
                        "status": r.status if r else None,
                        "location": (r.headers.get("location") if r else None),
                    }
                )
                req = req.redirected_from
            facts["redirect_chain"] = list(reversed(chain))
            facts["main_response_headers"] = [[h["name"], h["value"][:4000]] for h in main.headers_array()[:200]]
            sec = main.security_details() if urlsplit(main.url).scheme == "https" else None
            if sec:
                facts["tls"] = {
                    "protocol": sec.get("protocol"),
                    "subject_name": sec.get("subjectName"),
                    "issuer": sec.get("issuer"),
                    "valid_from": _epoch(sec.get("validFrom")),
                    "valid_to": _epoch(sec.get("validTo")),
                    **_cert_fingerprint(
                        urlsplit(main.url).hostname or "",
                        facts["server_ip"],
                        int(facts["server_port"] or 443),
                        self.guard,
                    ),
                }
        except PlaywrightError as e:
            facts["error"] = _err(e)
        ip = facts.get("server_ip")
        if ip:
            try:
                self.guard.check_ip(str(ip), url=run.url)
            except FetchError as e:
                # The guard checked the name before the browser resolved it again; a different,
                # non-public answer at connect time is DNS rebinding.
                facts["rebinding"] = _err(e)
        return facts

    def _write_network(self, run: _Run) -> None:
        if not run.network:
            run.network = self._network_facts(run)
        run.network["timings_ms"] = run.timings
        rel, media = PART_FILES["network"]
        data = json.dumps(to_jsonable(run.network), ensure_ascii=False, indent=1).encode("utf-8")
        (run.out / (run.prefix + rel)).write_bytes(data)
        run.parts["network"] = part_from_file(run.out, run.prefix + "network", run.prefix + rel, media)

    def _write_archive(self, runs: list[_Run], har: Path, started: datetime) -> dict[str, CapturePart]:
        """The WARC and WACZ of everything the context fetched (all views)."""
        out, first = runs[0].out, runs[0]
        parts: dict[str, CapturePart] = {}

        def fail(name: str, error: str) -> None:
            parts[name] = CapturePart(name=name, status="failed", media_type=PART_FILES[name][1], error=error[:1000])

        if not har.is_file():
            fail("warc", "no HAR was written (the browser did not run or died)")
            fail("wacz", "no WARC to package")
            return parts
        warc_rel, warc_media = PART_FILES["warc"]
        t0 = time.monotonic()
        try:
            stats = har_to_warc(
                har,
                out / warc_rel,
                warcinfo={
                    "software": f"kuzet/{_version('kuzet')} playwright/{_version('playwright')}",
                    "format": "WARC File Format 1.0",
                    "description": "HTTP exchanges recorded by the browser (Playwright HAR)",
                    "isPartOf": first.url[:2000],
                },
            )
        except (EvidenceError, OSError) as e:
            (out / warc_rel).unlink(missing_ok=True)
            fail("warc", _err(e))
            fail("wacz", "no WARC to package")
            return parts
        parts["warc"] = part_from_file(out, "warc", warc_rel, warc_media)
        first.timed("warc", t0)
        first.network["warc_records"] = {
            "responses": stats.responses,
            "requests": stats.requests,
            "skipped": stats.skipped,
        }
        wacz_rel, wacz_media = PART_FILES["wacz"]
        t0 = time.monotonic()
        try:
            build_wacz(
                out / warc_rel,
                out / wacz_rel,
                pages=[(r.network.get("final_url") or r.url, r.title) for r in runs],
                page_ts=started,
                software=f"kuzet {_version('kuzet')}",
            )
        except Exception as e:  # cdxj_indexer raises assorted errors on odd records; the WACZ is optional
            (out / wacz_rel).unlink(missing_ok=True)
            fail("wacz", _err(e))
        else:
            parts["wacz"] = part_from_file(out, "wacz", wacz_rel, wacz_media)
        first.timed("wacz", t0)
        # Last, so that its timings include the WARC and the WACZ.
        self._write_network(first)
        return parts

    def _view_meta(self, run: _Run) -> dict[str, Any]:
        """The manifest facts of one view: address, page kind, error, notes, network summary."""
        net = run.network
        kind = classify_page(
            status=net.get("status"),
            title=run.title,
            text=run.text,
            html=run.html,
            headers={k: v for k, v in net.get("main_response_headers") or []},
            navigation_error=run.navigation_error or net.get("rebinding"),
        )
        page_kind = kind.kind
        error = run.navigation_error or net.get("rebinding") or run.browser_error
        if net.get("rebinding"):
            page_kind = "error"
        if run.downloads and "download" not in run.parts:
            d = run.downloads[0]
            run.parts["download"] = CapturePart(
                name=run.prefix + "download",
                status="failed",
                media_type="application/octet-stream",
                error=f"the URL started a download of {d['suggested_filename']!r} instead of showing a page",
            )
            page_kind = "error"
            error = error or "download instead of a page"
        if page_kind == "error" and not error:
            error = "; ".join(kind.reasons)
        return {
            "url": run.url,
            "final_url": net.get("final_url") or run.url,
            "title": run.title,
            "page_kind": page_kind,
            "page_kind_reasons": kind.reasons,
            "error": error,
            "notes": run.notes,
            "network": {
                k: net.get(k)
                for k in (
                    "status",
                    "server_ip",
                    "server_port",
                    "redirect_chain",
                    "tls",
                    "load_state",
                    "navigation_error",
                    "rebinding",
                )
            }
            | {
                "blocked_requests": len(run.blocked),
                "console_errors": len(run.console_errors),
                "dialogs": run.dialogs,
                "requests_seen": run.requests,
            },
        }

    def _seal(
        self,
        runs: list[_Run],
        done: _Done,
        opts: CaptureOptions,
        case_ref: str | None,
        extra_meta: dict[str, Any] | None,
        *,
        telegram: dict[str, Any] | None = None,
    ) -> EvidenceBundle:
        views = {run.prefix.rstrip(".") or "page": self._view_meta(run) for run in runs}
        main = next(iter(views.values()))
        ordered = [run.parts[n] for run in runs for n in (*PART_ORDER, "network") if n in run.parts] + [
            done.archive[n] for n in ("warc", "wacz") if n in done.archive
        ]
        ordered += [run.parts["download"] for run in runs if "download" in run.parts]
        meta: dict[str, Any] = {
            "case_ref": case_ref,
            **main,
            "options": done.resolved or {"viewport": opts.viewport, "locale": opts.locale},
            "resolver_overrides": dict(self.settings.resolve_map),
            "versions": {
                "kuzet": _version("kuzet"),
                "playwright": _version("playwright"),
                "browser": done.browser_version,
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "extra": to_jsonable(extra_meta or {}),
        }
        if len(runs) > 1:
            meta["views"] = views
            # The bundle is as good as its worst view: an error anywhere is an error.
            bad = next((v for v in views.values() if v["page_kind"] != "content"), None)
            if bad is not None and main["page_kind"] == "content":
                meta["page_kind"], meta["error"] = bad["page_kind"], bad["error"]
        if telegram is not None:
            meta["telegram"] = telegram
        sealed = seal_bundle(
            runs[0].out,
            parts=ordered,
            meta=meta,
            signer=self.signer,
            started=done.started,
            ended=done.ended,
            tsa_url=self.settings.tsa_url,
            tsa_cert=self.settings.tsa_cert,
        )
        parts = list(sealed.parts) + ([sealed.timestamp_part] if sealed.timestamp_part else [])
        return EvidenceBundle(
            path=runs[0].out,
            url=runs[0].url,
            final_url=meta["final_url"],
            captured_at=done.started,
            manifest_sha256=sealed.manifest_sha256,
            parts=parts,
            key_id=self.signer.key_id,
            page_kind=meta["page_kind"],
            error=meta["error"],
        )


def _origin_prefix(url: str) -> str | None:
    """``scheme://host[:port]/`` as Chromium writes request URLs (lower-case host, no default
    port), or None when a host could be written otherwise (non-ASCII, odd forms)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("http", "https") or not re.fullmatch(r"[a-z0-9.\-]+|[0-9a-f:]+", host):
        return None
    if ":" in host:
        host = f"[{host}]"
    default = 80 if scheme == "http" else 443
    return f"{scheme}://{host}{f':{port}' if port is not None and port != default else ''}/"


def _routed_pattern(vetted_pages: list[str]) -> str | re.Pattern[str]:
    """Which requests go to the Python guard: all but those to the origin of a page the guard
    already passed. Every request Playwright routes to Python costs a round trip through the
    driver (measured: about half of a 13-request page's load time); the pages' own origins are
    most requests, and their verdict is already known (the guard decides once per host and
    port in a capture anyway). A prefix that does not match exactly sends the request to the
    guard, never past it."""
    prefixes = sorted({p for url in vetted_pages if (p := _origin_prefix(url))})
    if not prefixes:
        return "**/*"
    return re.compile("^(?!" + "|".join(re.escape(p) for p in prefixes) + ")")


@functools.lru_cache(maxsize=8)
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def _epoch(value: Any) -> str | None:
    try:
        return datetime.fromtimestamp(float(value), UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _cert_fingerprint(host: str, ip: Any, port: int, guard: AddressGuard) -> dict[str, Any]:
    """SHA-256 of the server certificate, by a second TLS handshake to the IP the browser used.

    Playwright's security details carry no certificate bytes, so the fingerprint comes from a
    separate connection (same IP, same SNI) moments later; a load balancer could in principle
    present another certificate, which is why the method is recorded next to the value.
    """
    if not ip:
        return {"sha256_fingerprint": None, "fingerprint_method": "no server address"}
    try:
        guard.check_ip(str(ip), url=f"https://{host}/", host=host)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # we record the certificate, we do not vouch for it
        with (
            socket.create_connection((str(ip), port), timeout=5) as sock,
            ctx.wrap_socket(sock, server_hostname=host or None) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, FetchError, ValueError) as e:
        return {"sha256_fingerprint": None, "fingerprint_method": f"second handshake failed: {_err(e)}"}
    if not der:
        return {"sha256_fingerprint": None, "fingerprint_method": "no certificate presented"}
    return {
        "sha256_fingerprint": hashlib.sha256(der).hexdigest(),
        "fingerprint_method": f"second TLS handshake to {ip}:{port} with SNI {host}",
        "certificate_der_b64": base64.b64encode(der).decode("ascii"),
    }


__all__ = ["BrowserMissing", "CaptureOptions", "CaptureService", "telegram_post_ref"]
