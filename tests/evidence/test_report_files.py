"""Report side files without a browser: the signed ``report_written`` custody line, what
verify_bundle accepts, and the by-hand step 7 of docs/evidence-format.md run as written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kuzet.errors import EvidenceError
from kuzet.evidence.report import render_report_html
from kuzet.evidence.report_files import record_reports
from kuzet.evidence.signing import Signer
from kuzet.evidence.verify import verify_bundle

from .test_sealing import _doc_block, make_bundle, signer  # noqa: F401 (fixture)


def _with_reports(root: Path, signer: Signer) -> Path:  # noqa: F811
    b = make_bundle(root, signer)
    files = []
    for lang in ("ru", "kk"):
        f = b / f"report.{lang}.pdf"
        f.write_bytes(b"%PDF-1.4 report " + lang.encode())
        files.append(f)
    record_reports(b, files, signer=signer)
    return b


def test_recorded_reports_verify_and_edits_are_named(tmp_path: Path, signer: Signer) -> None:  # noqa: F811
    b = _with_reports(tmp_path / "b", signer)
    report = verify_bundle(b)
    assert report.ok, report.failures
    (b / "report.kk.pdf").write_bytes(b"%PDF-1.4 edited")
    assert any(f.startswith("report.kk.pdf: SHA-256") for f in verify_bundle(b).failures)
    (b / "report.kk.pdf").unlink()
    assert any(f.startswith("report.kk.pdf: recorded") for f in verify_bundle(b).failures)


def test_unrecorded_report_is_an_unlisted_file(tmp_path: Path, signer: Signer) -> None:  # noqa: F811
    b = make_bundle(tmp_path / "b", signer)
    (b / "report.ru.pdf").write_bytes(b"%PDF-1.4 not recorded")
    assert "report.ru.pdf: file not listed in the manifest" in verify_bundle(b).failures


def test_only_report_names_can_be_recorded(tmp_path: Path, signer: Signer) -> None:  # noqa: F811
    b = make_bundle(tmp_path / "b", signer)
    (b / "extra.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(EvidenceError):
        record_reports(b, [b / "extra.pdf"], signer=signer)


def test_report_html_renders_both_languages(tmp_path: Path, signer: Signer) -> None:  # noqa: F811
    b = make_bundle(tmp_path / "b", signer)
    v = verify_bundle(b)
    ru = render_report_html(b, "ru", v)
    kk = render_report_html(b, "kk", v)
    assert "ПРОТОКОЛ осмотра интернет-ресурса" in ru and "Asia/Almaty" not in ru and "время Алматы" in ru
    assert "Интернет-ресурсты қарап-тексеру хаттамасы" in kk
    for html in (ru, kk):
        assert signer.key_id in html and (b / "manifest.json").is_file()


@pytest.mark.parametrize("step", ["2", "7"])
def test_documented_report_commands(tmp_path: Path, signer: Signer, step: str) -> None:  # noqa: F811
    for tool in ("bash", "sha256sum", "jq", "comm"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    b = _with_reports(tmp_path / "b", signer)
    script = "set -e -o pipefail\n" + _doc_block(step)
    r = subprocess.run(["bash", "-c", script], cwd=b, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(ln.endswith(": OK") or "describes this manifest" in ln for ln in r.stdout.splitlines())
    if step == "7":
        assert r.stdout.count(": OK") == 2
        (b / "report.ru.pdf").write_bytes(b"%PDF-1.4 edited")
        r = subprocess.run(["bash", "-c", script], cwd=b, capture_output=True, text=True, timeout=60)
        assert r.returncode != 0
