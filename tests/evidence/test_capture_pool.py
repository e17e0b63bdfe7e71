"""The pool's prepared context: each capture still gets a new, never navigated context of its own
options, nothing carries over between captures, and a crash around a prepared context leaves a
bundle and a working service."""

from __future__ import annotations

import os
import signal
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from kuzet.evidence.browser import descendants
from kuzet.evidence.capture import CaptureOptions, CaptureService
from kuzet.evidence.verify import verify_bundle
from kuzet.settings import Settings

from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaptureService]:
    d = tmp_path_factory.mktemp("pool")
    s = Settings(mode="development", data_dir=d, resolve="*.test=127.0.0.1", capture_timeout=20)
    service = CaptureService(s)
    yield service
    service.close()


_n = 0


def _out(svc: CaptureService) -> Path:
    global _n
    _n += 1
    return svc.settings.data_dir / "bundles" / f"p{_n}"


def _text(b) -> str:  # type: ignore[no-untyped-def]
    return (b.path / "text.txt").read_text()


def _kill_renderers(svc: CaptureService) -> int:
    proc = svc.browser_process
    assert proc is not None and proc.pid is not None
    killed = 0
    for pid in descendants(proc.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"--type=renderer" in cmdline:
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


def test_a_prepared_context_is_fresh_and_never_navigated(svc: CaptureService, site: str) -> None:
    b = svc.capture(f"{site}/", _out(svc))
    assert b.part("screenshot").status == "ok"
    spare = svc._spare
    assert spare is not None, "a context is prepared for the next capture"
    page, _ = spare.first.result()
    assert page.url == "about:blank" and spare.ctx.pages == [page]
    assert spare.ctx.cookies() == []
    har_dir = spare.har_dir
    b = svc.capture(f"{site}/", _out(svc))
    assert b.part("screenshot").status == "ok" and verify_bundle(b.path).ok
    assert svc._spare is not None and svc._spare is not spare
    assert not har_dir.exists(), "the used context's HAR folder is removed after sealing"


def test_consecutive_captures_share_no_cookies_or_storage(svc: CaptureService, site: str) -> None:
    first = svc.capture(f"{site}/set-state", _out(svc))
    assert first.part("screenshot").status == "ok"
    assert svc._spare is not None
    second = svc.capture(f"{site}/echo-state", _out(svc))
    text = _text(second)
    assert "cookie header: none" in text, text
    assert "storage: none, session: none, js cookie: none" in text, text
    assert "leak" not in (second.path / "dom.html").read_text()


def test_a_prepared_context_is_not_used_for_other_options(svc: CaptureService, site: str) -> None:
    a = svc.capture(f"{site}/echo-state", _out(svc), options=CaptureOptions(user_agent="kuzet-ua-one"))
    assert "user agent: kuzet-ua-one" in _text(a)
    spare = svc._spare
    assert spare is not None and '"kuzet-ua-one"' in spare.key
    b = svc.capture(f"{site}/echo-state", _out(svc), options=CaptureOptions(user_agent="kuzet-ua-two"))
    assert "user agent: kuzet-ua-two" in _text(b)
    assert not spare.har_dir.exists(), "the unfit prepared context was discarded"
    m = svc.capture(f"{site}/", _out(svc), options=CaptureOptions(viewport="mobile"))
    width = struct.unpack(">II", (m.path / "viewport.png").read_bytes()[16:24])[0]
    assert width == 390 * 2, "mobile viewport at device scale factor 2"
    d = svc.capture(f"{site}/", _out(svc))
    width = struct.unpack(">II", (d.path / "viewport.png").read_bytes()[16:24])[0]
    assert width == 1366


def test_no_context_is_prepared_when_the_browser_is_due_for_recycling(svc: CaptureService, site: str) -> None:
    b = svc.capture(f"{site}/", _out(svc), options=CaptureOptions(recycle_every=1))
    assert b.part("screenshot").status == "ok"
    assert svc._spare is None


def test_a_prepared_context_whose_renderer_died_is_replaced(svc: CaptureService, site: str) -> None:
    svc.capture(f"{site}/", _out(svc))
    spare = svc._spare
    assert spare is not None
    spare.first.result()  # its renderer is up
    assert _kill_renderers(svc) >= 1  # only the prepared page's renderer is alive between captures
    launches = svc.launches
    b = svc.capture(f"{site}/", _out(svc))
    assert b.page_kind == "content" and all(p.status == "ok" for p in b.parts), b.parts
    assert svc.launches == launches, "a new context, not a new browser"
    assert not spare.har_dir.exists()


def test_a_crash_during_a_capture_with_a_context_prepared_yields_a_bundle_and_recovers(
    svc: CaptureService, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc.capture(f"{site}/", _out(svc))
    assert svc._spare is not None
    original = CaptureService._settle

    def crashing(self, page, cdp, run):  # type: ignore[no-untyped-def]
        _kill_renderers(self)  # the capture's renderer and the prepared page's
        page.wait_for_timeout(300)
        original(self, page, cdp, run)

    monkeypatch.setattr(CaptureService, "_settle", crashing)
    b = svc.capture(f"{site}/", _out(svc), options=CaptureOptions(timeout=8))
    assert any("crash" in (p.error or "") for p in b.parts if p.status == "failed"), b.parts
    assert verify_bundle(b.path).ok
    monkeypatch.undo()
    b = svc.capture(f"{site}/", _out(svc))
    assert b.page_kind == "content" and all(p.status == "ok" for p in b.parts), b.parts


def test_a_service_without_prepared_contexts(site: str, tmp_path: Path) -> None:
    s = Settings(mode="development", data_dir=tmp_path, resolve="*.test=127.0.0.1")
    with CaptureService(s, prepare_context=False) as service:
        for _ in range(2):
            b = service.capture(f"{site}/", tmp_path / f"b{_}")
            assert all(p.status == "ok" for p in b.parts) and service._spare is None
