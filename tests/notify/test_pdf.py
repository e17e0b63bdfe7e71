"""DOCX documents become PDFs through LibreOffice in one run; failures are reported, not fatal."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image

from kuzet.notify import build_context, render_document
from kuzet.notify.pdf import convert_to_pdf
from kuzet.records import CapturePart, EvidenceBundle, RegistryEntry, RouteDecision, Verdict

ENTRY = RegistryEntry("http://kazino-primer.test/", "url", "суд", "2-111/25", "2025-03-04")


def verdict() -> Verdict:
    return Verdict(label="gambling", score=0.93, scores={"gambling": 0.93})


@pytest.fixture()
def bundle(tmp_path: Path) -> EvidenceBundle:
    root = tmp_path / "bundle"
    root.mkdir()
    Image.new("RGB", (1366, 2000), (200, 30, 30)).save(root / "screenshot.png")
    return EvidenceBundle(
        path=root,
        url="http://kazino-primer.test/",
        final_url="http://kazino-primer.test/lobby",
        captured_at=datetime(2026, 11, 29, 10, 0, 5, tzinfo=UTC),
        manifest_sha256="3" * 64,
        parts=[CapturePart("screenshot", "ok", "screenshot.png", "1" * 64, 123456, "image/png")],
    )


needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by make install")


def _docs(tmp_path: Path, bundle: EvidenceBundle) -> list[Path]:
    out = []
    for i, lang in enumerate(("ru", "kk")):
        ctx = build_context(
            decision=RouteDecision("blocking", "registry-match", "ст. 41-1", "pol-1", registry_entry=ENTRY),
            verdict=verdict(),
            lang=lang,  # type: ignore[arg-type]
            urls=["http://kazino-primer.test/lobby"],
            bundles=[bundle],
            doc_id=f"KZT-{i}",
            created=date(2026, 11, 29),
        )
        # Two cases' documents may share a file name: they live in different folders.
        out.append(render_document(ctx, tmp_path / f"case-{i}"))
    return out


@needs_soffice
def test_documents_of_several_cases_convert_in_one_run(tmp_path: Path, bundle: EvidenceBundle) -> None:
    docs = _docs(tmp_path, bundle)
    results = convert_to_pdf([*docs, tmp_path / "missing.docx"])
    for doc in docs:
        pdf = results[doc]
        assert isinstance(pdf, Path) and pdf == doc.with_suffix(".pdf")
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 1
        assert re.search(rb"/Subtype\s*/Image", data)  # the screenshot is in the PDF
    assert "no such document" in str(results[tmp_path / "missing.docx"])


def test_without_libreoffice_every_document_reports_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kuzet.notify.pdf.soffice_path", lambda: None)
    doc = tmp_path / "a.docx"
    doc.write_bytes(b"x")
    assert convert_to_pdf([doc]) == {doc: "LibreOffice (soffice) is not installed"}


@needs_soffice
def test_a_broken_document_fails_alone(tmp_path: Path, bundle: EvidenceBundle) -> None:
    good = _docs(tmp_path, bundle)[0]
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 this is not a document")
    results = convert_to_pdf([bad, good])
    assert isinstance(results[good], Path)
    assert isinstance(results[bad], str)
