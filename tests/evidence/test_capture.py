"""Real chromium captures of a local site: parts, WARC, WACZ, verification, tampering, the address
guard in production mode, hostile pages and challenge / block pages."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from kuzet.evidence.capture import CaptureOptions, CaptureService
from kuzet.evidence.verify import verify_bundle
from kuzet.records import EvidenceBundle
from kuzet.settings import Settings

from .conftest import CSS, JS, PNG_1PX, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]
BIN = Path(sys.executable).parent
CONTENT_PARTS = ("screenshot", "viewport", "pdf", "mhtml", "dom", "text", "network", "warc", "wacz", "sha256sums")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(scope="module")
def svc(data_dir: Path) -> Iterator[CaptureService]:
    s = Settings(mode="development", data_dir=data_dir, resolve="*.test=127.0.0.1", capture_timeout=20)
    service = CaptureService(s)
    yield service
    service.close()


_n = 0


def _out(data_dir: Path) -> Path:
    global _n
    _n += 1
    return data_dir / "bundles" / f"b{_n}"


def _network(b: EvidenceBundle) -> dict:
    return json.loads((b.path / "network.json").read_text())


def _manifest(b: EvidenceBundle) -> dict:
    return json.loads((b.path / "manifest.json").read_bytes())


def _png_height(path: Path) -> int:
    return struct.unpack(">II", path.read_bytes()[16:24])[1]


@pytest.fixture(scope="module")
def normal(svc: CaptureService, site: str, data_dir: Path) -> EvidenceBundle:
    return svc.capture(f"{site}/", _out(data_dir), case_ref="CASE-1", extra_meta={"source": "test"})


def test_normal_page_all_parts_ok_and_verifies(normal: EvidenceBundle, site: str) -> None:
    statuses = {p.name: (p.status, p.error) for p in normal.parts}
    for name in CONTENT_PARTS:
        assert statuses.get(name, ("absent",))[0] == "ok", (name, statuses.get(name))
    assert normal.page_kind == "content" and normal.error is None
    assert normal.final_url == f"{site}/"
    assert len(normal.key_id) == 16
    m = _manifest(normal)
    assert m["case_ref"] == "CASE-1" and m["extra"] == {"source": "test"}
    assert m["resolver_overrides"] == {"*.test": "127.0.0.1"}
    assert m["versions"]["browser"].startswith("1") and m["versions"]["playwright"]
    assert m["options"]["viewport_size"] == {"width": 1366, "height": 900} and m["options"]["locale"] == "ru-RU"
    text = (normal.path / "text.txt").read_text()
    assert "Казино Вулкан" in text and "VIP2024" in text
    assert (normal.path / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (normal.path / "page.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"multipart/related" in (normal.path / "page.mhtml").read_bytes()[:2000]
    assert 'data-js="ran"' in (normal.path / "dom.html").read_text()
    net = _network(normal)
    assert net["status"] == 200 and net["server_ip"] == "127.0.0.1"
    assert any(h[0].lower() == "content-type" for h in net["main_response_headers"])
    report = verify_bundle(normal.path, trusted_key_ids={normal.key_id})
    assert report.ok, report.failures


def test_warc_holds_every_exchange_and_passes_warcio_check(normal: EvidenceBundle, site: str) -> None:
    warc = normal.path / "traffic.warc.gz"
    r = subprocess.run([str(BIN / "warcio"), "check", "-v", str(warc)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    responses: dict[str, bytes] = {}
    requests: set[str] = set()
    with open(warc, "rb") as f:
        for rec in ArchiveIterator(f):
            uri = rec.rec_headers.get_header("WARC-Target-URI")
            if rec.rec_type == "response":
                responses[uri] = rec.content_stream().read()
            elif rec.rec_type == "request":
                requests.add(uri)
    for path, body in (("/style.css", CSS), ("/app.js", JS), ("/logo.png", PNG_1PX)):
        assert responses.get(f"{site}{path}") == body, path
    assert f"{site}/" in responses and "Казино Вулкан".encode() in responses[f"{site}/"]
    assert set(responses) <= requests


def test_wacz_is_valid(normal: EvidenceBundle) -> None:
    wacz = BIN / "wacz"
    if not wacz.exists():
        pytest.skip("wacz command not installed")
    r = subprocess.run([str(wacz), "validate", "-f", str(normal.path / "archive.wacz")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_tampering_any_file_is_named(normal: EvidenceBundle, tmp_path: Path) -> None:
    for f in sorted(p for p in normal.path.iterdir() if p.is_file()):
        copy = tmp_path / f.name
        shutil.copytree(normal.path, copy)
        data = bytearray((copy / f.name).read_bytes())
        data[len(data) // 2] ^= 0x20
        (copy / f.name).write_bytes(bytes(data))
        report = verify_bundle(copy)
        assert not report.ok and any(f.name in msg for msg in report.failures), (f.name, report.failures)


def test_redirect_chain_recorded(svc: CaptureService, site: str, data_dir: Path) -> None:
    b = svc.capture(f"{site}/redirect", _out(data_dir))
    net = _network(b)
    assert b.final_url == f"{site}/" and net["status"] == 200
    assert [(h["url"], h["status"]) for h in net["redirect_chain"]] == [(f"{site}/redirect", 302)]


def test_mobile_viewport(svc: CaptureService, site: str, data_dir: Path) -> None:
    b = svc.capture(f"{site}/", _out(data_dir), options=CaptureOptions(viewport="mobile"))
    o = _manifest(b)["options"]
    assert o["viewport_size"] == {"width": 390, "height": 844} and o["is_mobile"] and "Mobile" in o["user_agent"]
    assert b.part("viewport").status == "ok"
    assert struct.unpack(">I", (b.path / "viewport.png").read_bytes()[16:20])[0] == 780  # 390 CSS px at 2x


def test_private_and_metadata_subresources_blocked_in_development(
    svc: CaptureService, site: str, data_dir: Path
) -> None:
    b = svc.capture(f"{site}/private-sub", _out(data_dir))
    assert b.page_kind == "content"
    blocked = {x["url"] for x in _network(b)["blocked_requests"]}
    assert "http://10.255.255.1/x.png" in blocked
    assert "http://169.254.169.254/latest/meta-data/" in blocked
    assert "ws://10.255.255.2:8080/feed" in blocked
    assert _manifest(b)["network"]["blocked_requests"] == 3


def test_production_mode_refuses_loopback(site: str, tmp_path: Path) -> None:
    s = Settings(mode="production", data_dir=tmp_path, resolve="*.test=127.0.0.1", capture_timeout=15)
    with CaptureService(s) as prod:
        b = prod.capture(f"{site}/", tmp_path / "b")
    assert b.page_kind == "error" and b.error
    net = _network(b)
    assert net["blocked_requests"][0]["url"] == f"{site}/"
    assert "non-public" in net["blocked_requests"][0]["reason"]
    assert b.part("screenshot").status == "skipped"
    assert verify_bundle(b.path).ok


@pytest.mark.parametrize(("path", "status"), [("/404", 404), ("/500", 500)])
def test_http_errors_are_error_pages(svc: CaptureService, site: str, data_dir: Path, path: str, status: int) -> None:
    b = svc.capture(f"{site}{path}", _out(data_dir))
    assert b.page_kind == "error" and str(status) in (b.error or "")
    assert b.part("screenshot").status == "ok"
    assert _network(b)["status"] == status


def test_never_ending_load_is_captured_as_it_stands(svc: CaptureService, site: str, data_dir: Path) -> None:
    t = time.monotonic()
    b = svc.capture(f"{site}/hang", _out(data_dir), options=CaptureOptions(timeout=6))
    assert time.monotonic() - t < 6 + 15
    m = _manifest(b)
    assert any("did not finish loading" in n for n in m["notes"])
    assert m["network"]["load_state"] in ("domcontentloaded", "commit")
    assert b.part("screenshot").status == "ok"
    assert "Loading forever" in (b.path / "text.txt").read_text()
    assert verify_bundle(b.path).ok


def test_alert_loop_is_dismissed_and_stopped(svc: CaptureService, site: str, data_dir: Path) -> None:
    t = time.monotonic()
    b = svc.capture(f"{site}/alert", _out(data_dir), options=CaptureOptions(timeout=8))
    assert time.monotonic() - t < 8 + 15
    net = _network(b)
    assert net["dialogs"]["count"] > 1 and net["dialogs"]["first_messages"][0].startswith("alert: win")
    assert b.part("screenshot").status == "ok"
    assert verify_bundle(b.path).ok


def test_download_is_a_failed_part(svc: CaptureService, site: str, data_dir: Path) -> None:
    b = svc.capture(f"{site}/download", _out(data_dir), options=CaptureOptions(timeout=8))
    d = b.part("download")
    assert d is not None and d.status == "failed" and "casino-vulkan.apk" in (d.error or "")
    assert b.page_kind == "error"
    assert verify_bundle(b.path).ok


def test_very_tall_page_is_clipped(svc: CaptureService, site: str, data_dir: Path) -> None:
    t = time.monotonic()
    b = svc.capture(f"{site}/tall", _out(data_dir), options=CaptureOptions(max_height=6000))
    assert time.monotonic() - t < 30
    assert b.part("screenshot").status == "ok"
    assert _png_height(b.path / "screenshot.png") == 6000
    assert any("clipped to 6000 px of 50000 px" in n for n in _manifest(b)["notes"])


def test_challenge_and_block_pages_detected(svc: CaptureService, site: str, data_dir: Path) -> None:
    b = svc.capture(f"{site}/challenge", _out(data_dir))
    assert b.page_kind == "challenge"
    assert _manifest(b)["page_kind_reasons"][0].startswith("cloudflare_challenge")
    b = svc.capture(f"{site}/blocked", _out(data_dir))
    assert b.page_kind == "block_page"


def test_renderer_crash_is_recorded_and_browser_relaunched(
    svc: CaptureService, site: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = CaptureService._settle

    def crashing(self, page, cdp, run):  # type: ignore[no-untyped-def]
        # Kill this browser's renderer processes, as the kernel's OOM killer would.
        import os
        import signal

        from kuzet.evidence.browser import descendants

        for pid in descendants(self.browser_process.pid):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"--type=renderer" in cmdline:
                os.kill(pid, signal.SIGKILL)
        page.wait_for_timeout(300)
        original(self, page, cdp, run)

    monkeypatch.setattr(CaptureService, "_settle", crashing)
    b = svc.capture(f"{site}/", _out(data_dir), options=CaptureOptions(timeout=8))
    assert any("crash" in (p.error or "") for p in b.parts if p.status == "failed"), b.parts
    assert verify_bundle(b.path).ok
    monkeypatch.setattr(CaptureService, "_settle", original)
    launches = svc.launches
    b = svc.capture(f"{site}/", _out(data_dir))
    assert b.part("screenshot").status == "ok"
    assert svc.launches == launches + 1


def test_non_http_scheme_refused_without_browser(svc: CaptureService, data_dir: Path) -> None:
    b = svc.capture("file:///etc/passwd", _out(data_dir))
    assert b.page_kind == "error" and "scheme" in (b.error or "")
    assert not (b.path / "dom.html").exists()
    assert verify_bundle(b.path).ok


def test_missing_browser_raises_browser_missing(tmp_path: Path) -> None:
    from kuzet.errors import BrowserMissing

    s = Settings(mode="development", data_dir=tmp_path, chromium_path=str(tmp_path / "no-chromium"))
    with pytest.raises(BrowserMissing, match="chromium not found"):
        CaptureService(s).capture("http://casino.test/", tmp_path / "b")


def test_https_certificate_facts(svc: CaptureService, https_site, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    b = svc.capture(f"{https_site.url}/", _out(data_dir))
    assert b.page_kind == "content", b.error
    tls = _network(b)["tls"]
    assert tls["subject_name"] == "secure.test" and tls["protocol"].startswith("TLS")
    assert tls["valid_to"] and tls["valid_from"]
    assert tls["sha256_fingerprint"] == hashlib.sha256(https_site.cert_der).hexdigest()
    assert _manifest(b)["network"]["tls"]["sha256_fingerprint"] == tls["sha256_fingerprint"]


def test_capture_with_trusted_timestamp(site: str, tsa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Settings(mode="development", data_dir=tmp_path, resolve="*.test=127.0.0.1", tsa_url=tsa.url, tsa_cert=tsa.cert)
    with CaptureService(s) as service:
        b = service.capture(f"{site}/", tmp_path / "b")
    ts = b.part("timestamp")
    assert ts is not None and ts.status == "ok" and (b.path / "manifest.tsr").is_file()
    report = verify_bundle(b.path, tsa_cert=tsa.cert)
    assert report.ok, report.failures
    r = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "manifest.json", "-in", "manifest.tsr", "-CAfile", str(tsa.cert)],
        cwd=b.path,
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in r.stdout, r.stdout + r.stderr


def test_watchdog_kills_a_wedged_browser(
    svc: CaptureService, site: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kuzet.evidence.capture as capture_mod

    monkeypatch.setattr(capture_mod, "WATCHDOG_GRACE_S", 1.0)
    monkeypatch.setattr(capture_mod, "PARTS_MIN_S", 1.0)

    def wedged(self, page, cdp, run):  # type: ignore[no-untyped-def]
        page.wait_for_timeout(120_000)  # stands for a call with no timeout of its own (page.pdf, CDP)

    monkeypatch.setattr(CaptureService, "_settle", wedged)
    t = time.monotonic()
    b = svc.capture(f"{site}/", _out(data_dir), options=CaptureOptions(timeout=3))
    assert time.monotonic() - t < 15
    assert "watchdog" in " ".join(_manifest(b)["notes"])
    assert b.part("screenshot").status == "failed" and "watchdog" in b.part("screenshot").error
    assert verify_bundle(b.path).ok
    monkeypatch.undo()
    launches = svc.launches
    b = svc.capture(f"{site}/", _out(data_dir))
    assert b.part("screenshot").status == "ok" and svc.launches == launches + 1


def test_recycle_every_relaunches_and_out_dir_must_be_empty(
    svc: CaptureService, site: str, data_dir: Path, normal: EvidenceBundle
) -> None:
    from kuzet.errors import EvidenceError

    with pytest.raises(EvidenceError, match="not empty"):
        svc.capture(f"{site}/", normal.path)
    opts = CaptureOptions(recycle_every=1)
    svc.capture(f"{site}/", _out(data_dir), options=opts)
    launches = svc.launches
    b = svc.capture(f"{site}/", _out(data_dir), options=opts)
    assert svc.launches == launches + 1 and b.part("screenshot").status == "ok"


def test_busy_script_is_terminated(svc: CaptureService, site: str, data_dir: Path) -> None:
    t = time.monotonic()
    b = svc.capture(f"{site}/busy", _out(data_dir), options=CaptureOptions(timeout=6))
    assert time.monotonic() - t < 6 + 15
    assert _network(b)["scripts_terminated"] is True
    assert b.part("screenshot").status == "ok" and b.part("dom").status == "ok"
    assert "Busy page" in (b.path / "text.txt").read_text()


def test_scrolling_loads_lazy_content(svc: CaptureService, site: str, data_dir: Path) -> None:
    # The text is taken before the screenshots, so only the scroll can have revealed it.
    b = svc.capture(f"{site}/lazy", _out(data_dir))
    assert "lazy text loaded" in (b.path / "text.txt").read_text()


def test_lazy_image_woken_by_scrolling_is_waited_for_and_archived(
    svc: CaptureService, site: str, data_dir: Path
) -> None:
    # The image sits 9000 px down and answers after 200 ms: the capture waits for it (the wait
    # ends when the woken requests are done, capped at LAZY_WAIT_MS) and the WARC holds it.
    b = svc.capture(f"{site}/lazy-img", _out(data_dir))
    with open(b.path / "traffic.warc.gz", "rb") as f:
        uris = {
            rec.rec_headers.get_header("WARC-Target-URI") for rec in ArchiveIterator(f) if rec.rec_type == "response"
        }
    assert f"{site}/slow.png?lazy" in uris
    net = _network(b)
    assert net["timings_ms"]["settle"] >= 200
    assert not any("still loading" in n for n in _manifest(b)["notes"])


def test_popups_are_noted_and_closed(svc: CaptureService, site: str, data_dir: Path) -> None:
    b = svc.capture(f"{site}/popup", _out(data_dir))
    assert b.page_kind == "content" and b.part("screenshot").status == "ok"
    assert _network(b)["popups_closed"] in ([f"{site}/style.css"], ["about:blank"])


def test_fast_screenshot_has_the_same_pixels_as_playwrights(svc: CaptureService, site: str, data_dir: Path) -> None:
    """screenshot.png comes from CDP with optimizeForSpeed; the pixels must equal Playwright's own."""
    import io

    from PIL import Image, ImageChops

    b = svc.capture(f"{site}/tall", _out(data_dir), options=CaptureOptions(max_height=3000))
    proc = svc.browser_process
    assert proc is not None
    ctx = proc.browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU")
    try:
        page = ctx.new_page()
        page.goto(f"{site}/tall")
        ref = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": 1366, "height": 3000})
    finally:
        ctx.close()
    ours = Image.open(b.path / "screenshot.png").convert("RGB")
    theirs = Image.open(io.BytesIO(ref)).convert("RGB")
    assert ours.size == theirs.size == (1366, 3000)
    assert ImageChops.difference(ours, theirs).getbbox() is None
