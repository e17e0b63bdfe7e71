"""One browser, a new context per capture: nothing a page leaves behind reaches the next capture,
and each capture runs with its own options."""

from __future__ import annotations

import struct
from pathlib import Path

from kuzet.evidence.capture import CaptureOptions, CaptureService
from kuzet.records import EvidenceBundle

# The browser tests' module fixtures (one chromium for this module too) and bundle folders.
from .test_capture import _out, data_dir, pytestmark, svc  # noqa: F401


def _text(b: EvidenceBundle) -> str:
    return (b.path / "text.txt").read_text()


def _png_width(b: EvidenceBundle, name: str) -> int:
    return struct.unpack(">II", (b.path / name).read_bytes()[16:24])[0]


def test_consecutive_captures_share_no_cookies_or_storage(svc: CaptureService, site: str, data_dir: Path) -> None:  # noqa: F811
    first = svc.capture(f"{site}/set-state", _out(data_dir))
    assert first.part("screenshot").status == "ok"
    launches = svc.launches
    second = svc.capture(f"{site}/echo-state", _out(data_dir))
    assert svc.launches == launches, "the same browser"
    text = _text(second)
    assert "cookie header: none" in text, text
    assert "storage: none, session: none, js cookie: none" in text, text
    assert "leak" not in (second.path / "dom.html").read_text()


def test_each_capture_runs_with_its_own_options(svc: CaptureService, site: str, data_dir: Path) -> None:  # noqa: F811
    a = svc.capture(f"{site}/echo-state", _out(data_dir), options=CaptureOptions(user_agent="kuzet-ua-one"))
    assert "user agent: kuzet-ua-one" in _text(a)
    b = svc.capture(f"{site}/echo-state", _out(data_dir), options=CaptureOptions(user_agent="kuzet-ua-two"))
    assert "user agent: kuzet-ua-two" in _text(b) and "kuzet-ua-one" not in _text(b)
    m = svc.capture(f"{site}/", _out(data_dir), options=CaptureOptions(viewport="mobile"))
    assert _png_width(m, "viewport.png") == 390 * 2, "mobile viewport at device scale factor 2"
    d = svc.capture(f"{site}/", _out(data_dir))
    assert _png_width(d, "viewport.png") == 1366
