"""The inspection report (ru/kk PDF) and the Telegram post capture, with real chromium against
the sandbox's t.me.test."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kuzet.errors import CaptureError, EvidenceError
from kuzet.evidence.capture import CaptureService, telegram_post_ref
from kuzet.evidence.custody import CUSTODY_FILE
from kuzet.evidence.report import render_report_html
from kuzet.evidence.verify import verify_bundle
from kuzet.records import EvidenceBundle
from kuzet.sandbox.server import SandboxServer
from kuzet.settings import Settings

from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as sb:
        yield sb


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaptureService]:
    data = tmp_path_factory.mktemp("tg")
    service = CaptureService(
        Settings(mode="development", data_dir=data, resolve="*.test=127.0.0.1", capture_timeout=20)
    )
    yield service
    service.close()


@pytest.fixture(scope="module")
def tg_bundle(svc: CaptureService, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> EvidenceBundle:
    out = tmp_path_factory.mktemp("tgb") / "b"
    return svc.capture_telegram_post(
        sandbox.url("t.me.test", "/goldstep_invest/345"),
        sandbox.url("t.me.test", "/s/goldstep_invest/345"),
        out,
        case_ref="CASE-TG",
    )


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_bytes())


def test_post_ref_parsing() -> None:
    assert telegram_post_ref("https://t.me/goldstep_invest/345") == ("goldstep_invest", 345)
    assert telegram_post_ref("https://t.me/s/goldstep_invest/345?x=1") == ("goldstep_invest", 345)
    assert telegram_post_ref("https://t.me/s/goldstep_invest") is None
    assert telegram_post_ref("https://t.me/c/12345/6") is None


def test_sandbox_serves_post_page_widget_and_context(sandbox: SandboxServer) -> None:
    import httpx

    def get(path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{sandbox.port}{path}", headers={"Host": "t.me.test"}, timeout=5)

    page = get("/goldstep_invest/345")
    assert page.status_code == 200 and 'class="tgme_page tgme_page_post"' in page.text
    assert 'src="/goldstep_invest/345?embed=1&amp;mode=tme"' in page.text
    widget = get("/goldstep_invest/345?embed=1")
    assert 'data-post="goldstep_invest/345"' in widget.text and widget.text.count("data-post=") == 1
    context = get("/s/goldstep_invest/345")
    assert 'data-post="goldstep_invest/345"' in context.text and context.text.count("data-post=") > 1
    assert get("/goldstep_invest/99999").status_code == 404


def test_telegram_bundle_holds_both_views(tg_bundle: EvidenceBundle) -> None:
    names = {p.name: p for p in tg_bundle.parts}
    for view in ("post", "preview"):
        for part in ("screenshot", "viewport", "pdf", "mhtml", "dom", "text", "network"):
            assert names[f"{view}.{part}"].status == "ok", (view, part, names[f"{view}.{part}"].error)
            assert (tg_bundle.path / str(names[f"{view}.{part}"].path)).is_file()
    assert names["warc"].status == "ok" and names["wacz"].status == "ok"
    m = _manifest(tg_bundle.path)
    assert m["telegram"]["channel"] == "goldstep_invest" and m["telegram"]["post_id"] == 345
    assert m["telegram"]["post_found_in_preview"] is True
    assert set(m["views"]) == {"post", "preview"}
    assert any("outlined" in n for n in m["views"]["preview"]["notes"])
    # The post's text sits in the widget iframe; it must reach post.text.txt.
    assert "Earn 1.5% daily" in (tg_bundle.path / "post.text.txt").read_text()
    # One WARC with both pages' documents.
    warc = subprocess.run(["zcat", str(tg_bundle.path / "traffic.warc.gz")], capture_output=True).stdout
    assert b"/goldstep_invest/345?embed=1" in warc and b"/s/goldstep_invest/345" in warc
    assert verify_bundle(tg_bundle.path).ok


def test_preview_screenshot_shows_the_outlined_post(tg_bundle: EvidenceBundle) -> None:
    from PIL import Image

    img = Image.open(tg_bundle.path / "preview.viewport.png").convert("RGB")
    red = sum(1 for px in img.get_flattened_data() if px[0] > 200 and px[1] < 80 and px[2] < 80)
    assert red > 500  # the 4 px outline around the post
    dom = (tg_bundle.path / "preview.dom.html").read_text()
    assert "outline" not in dom  # the DOM part is as served, taken before the outline


def test_report_pdfs_are_recorded_and_verified(svc: CaptureService, tg_bundle: EvidenceBundle) -> None:
    files = svc.write_report(tg_bundle.path)
    assert [f.name for f in files] == ["report.ru.pdf", "report.kk.pdf"]
    assert all(f.read_bytes().startswith(b"%PDF-") for f in files)
    report = verify_bundle(tg_bundle.path)
    assert report.ok, report.failures
    assert sum("custody report_written" in c for c in report.checks) == 2
    line = json.loads((tg_bundle.path / CUSTODY_FILE).read_bytes().splitlines()[-1])
    assert line["action"] == "report_written" and {f["lang"] for f in line["detail"]["files"]} == {"ru", "kk"}
    if shutil.which("pdftotext"):
        ru = subprocess.run(["pdftotext", str(files[0]), "-"], capture_output=True, text=True).stdout
        kk = subprocess.run(["pdftotext", str(files[1]), "-"], capture_output=True, text=True).stdout
        assert "ПРОТОКОЛ осмотра интернет-ресурса" in ru and tg_bundle.manifest_sha256 in ru
        assert "@goldstep_invest, № 345" in ru
        assert "қарап-тексеру хаттамасы" in kk and "Қарап-тексеру тәсілі" in kk
    # A changed report is caught; writing the reports again vouches for the new files.
    files[0].write_bytes(files[0].read_bytes() + b"\n")
    assert any(f.startswith("report.ru.pdf") for f in verify_bundle(tg_bundle.path).failures)
    svc.write_report(tg_bundle.path, langs=("ru",))
    assert verify_bundle(tg_bundle.path).ok
    # A stray report-like file no custody line names is an unlisted file.
    (tg_bundle.path / "report.en.pdf").write_bytes(b"%PDF-1.4 forged")
    assert any(f.startswith("report.en.pdf") for f in verify_bundle(tg_bundle.path).failures)
    (tg_bundle.path / "report.en.pdf").unlink()


def test_report_html_escapes_hostile_titles(tg_bundle: EvidenceBundle) -> None:
    report = verify_bundle(tg_bundle.path)
    assert report.manifest is not None
    report.manifest["views"]["post"]["title"] = "<script>alert(1)</script>"
    html = render_report_html(tg_bundle.path, "kk", report)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_report_refuses_a_tampered_bundle_and_unknown_language(
    svc: CaptureService, sandbox: SandboxServer, tmp_path: Path
) -> None:
    b = svc.capture(sandbox.url("t.me.test", "/s/kapper_express_kz"), tmp_path / "b")
    with pytest.raises(EvidenceError):
        svc.write_report(b.path, langs=("en",))
    (b.path / "text.txt").write_text("edited")
    with pytest.raises(EvidenceError, match="does not verify"):
        svc.write_report(b.path)


def test_telegram_capture_refuses_non_post_links(svc: CaptureService, tmp_path: Path) -> None:
    with pytest.raises(CaptureError):
        svc.capture_telegram_post("https://t.me/s/name", "https://t.me/s/name", tmp_path / "x")
    with pytest.raises(CaptureError):
        svc.capture_telegram_post("https://t.me/name/5", "https://t.me/s/other/5", tmp_path / "y")
