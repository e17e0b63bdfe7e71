"""DOCX drafting: every kind in Russian and Kazakh, hostile quotes, screenshots, broken templates."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from PIL import Image

from kuzet.errors import TemplateError
from kuzet.notify import NotificationContext, build_context, render_document
from kuzet.notify.context import EvidenceItem, ResourceItem, Screenshot
from kuzet.notify.render import TEMPLATES_DIR
from kuzet.notify.wording import DOC_KINDS
from kuzet.records import (
    CapturePart,
    EvidenceBundle,
    Indicator,
    RegistryEntry,
    RouteDecision,
    Signal,
    Verdict,
)

HOSTILE = 'бонус 200% <w:p><w:r><w:t>взлом</w:t></w:r></w:p> {{ 7*7 }} {% if x %} ]]> & "кавычки" \x07\x0b'
SHA_SHOT = "1" * 64
SHA_WARC = "2" * 64
MANIFEST = "3" * 64
ENTRY = RegistryEntry("http://kazino-primer.test/", "url", "суд", "2-111/25", "2025-03-04")


def document_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


@pytest.fixture()
def bundle(tmp_path: Path) -> EvidenceBundle:
    root = tmp_path / "bundle"
    root.mkdir()
    # A tall page: the document shows its top; the file in the bundle stays whole.
    Image.new("RGB", (1366, 5000), (240, 240, 240)).save(root / "screenshot.png")
    return EvidenceBundle(
        path=root,
        url="http://kazino-primer.test/",
        final_url="http://kazino-primer.test/lobby",
        captured_at=datetime(2026, 11, 29, 10, 0, 5, tzinfo=UTC),
        manifest_sha256=MANIFEST,
        key_id="ed25519:k1",
        parts=[
            CapturePart("screenshot", "ok", "screenshot.png", SHA_SHOT, 123456, "image/png"),
            CapturePart("warc", "ok", "capture.warc.gz", SHA_WARC, 999, "application/warc"),
            CapturePart("pdf", "failed", error="timeout"),
        ],
    )


def verdict() -> Verdict:
    return Verdict(
        label="gambling",
        score=0.93,
        scores={"gambling": 0.93},
        signals=[
            Signal("phrase", "gambling", "deposit_bonus", 1.0, text=HOSTILE),
            Signal("phrase", "gambling", "free_spins", 0.8, text="фриспины каждый день"),
            Signal("ocr", "gambling", "banner", 0.5, text="КАЗИНО 24/7"),
        ],
        indicators=[
            Indicator("wallet_usdt_trc20", "TXyz1", "TXyz1", detail={"currency": "USDT", "network": "TRC20"}),
            Indicator("card", "4111111111111111", "4111 1111 1111 1111"),
        ],
    )


@pytest.mark.parametrize("kind", DOC_KINDS)
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_kind_renders_in_both_languages(tmp_path: Path, bundle: EvidenceBundle, kind: str, lang: str) -> None:
    route = {
        "blocking_notification": "blocking",
        "criminal_referral": "criminal",
        "administrative_materials": "administrative",
    }[kind]
    decision = RouteDecision(
        route,
        "rule-x",
        "Правовое основание: статья 307 УК РК",
        "pol-1",
        registry_entry=ENTRY if route == "blocking" else None,
    )
    ctx = build_context(
        decision=decision,
        verdict=verdict(),
        lang=lang,  # type: ignore[arg-type]
        urls=["http://kazino-primer.test/lobby", "https://t.me/s/kazino_chan/15"],
        bundles=[bundle],
        doc_id="АФМ-01/2026-17",
        analyst="Аналитик А.А.",
        created=date(2026, 11, 29),
    )
    out = render_document(ctx, tmp_path / "out")
    assert out.name == f"{kind}_АФМ-01-2026-17_{lang}.docx"
    assert zipfile.is_zipfile(out)
    text = document_text(out)
    assert "http://kazino-primer.test/lobby" in text and "t.me/kazino_chan" in text
    assert SHA_SHOT in text and SHA_WARC in text and MANIFEST in text
    assert "29.11.2026" in text and "АФМ-01/2026-17" in text
    # Hostile quote text stays text: tags and Jinja syntax appear literally, nothing evaluated.
    assert '<w:p><w:r><w:t>взлом</w:t></w:r></w:p> {{ 7*7 }} {% if x %} ]]> & "кавычки"' in text
    assert "49" not in text.split("{{ 7*7 }}")[0][-5:]
    assert "4111 1111 1111 1111" not in text and "**** 1111" in text
    assert "USDT (TRC20) TXyz1" in text
    if lang == "kk":
        assert "Қазақстан Республикасының" in text and "көрсетілген" in text
    else:
        assert "Республики Казахстан" in text
    if route == "blocking":
        assert "2-111/25" in text and "04.03.2025" in text
        assert ("ХАБАРЛАМА" if lang == "kk" else "УВЕДОМЛЕНИЕ") in text
    d = docx.Document(str(out))
    assert len(d.inline_shapes) == 1
    shape = d.inline_shapes[0]
    assert shape.height / shape.width == pytest.approx(1.3, abs=0.02)  # cropped to the top part
    with zipfile.ZipFile(out) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 1
        with z.open(media[0]) as f:
            img = Image.open(f)
            assert img.size == (1366, int(1366 * 1.3))


def test_missing_screenshot_is_noted_not_fatal(tmp_path: Path) -> None:
    ctx = NotificationContext(
        doc_id="7",
        kind="criminal_referral",
        lang="ru",
        route="criminal",
        authority="Адресат",
        resources=[
            ResourceItem("http://piramida.test/", "piramida.test", datetime(2026, 1, 2, tzinfo=UTC), "пирамида")
        ],
        category_label="реклама пирамиды",
        legal_basis="ст. 217 УК РК",
        justification=["Абзац."],
        evidence=[EvidenceItem("shot.png", "f" * 64, 10, datetime(2026, 1, 2, tzinfo=UTC), "/b", "e" * 64)],
        screenshots=[Screenshot(tmp_path / "absent.png", "http://piramida.test/")],
    )
    out = render_document(ctx, tmp_path)
    text = document_text(out)
    assert "absent.png недоступен" in text and "2026-01-02 00:00:00 UTC" in text
    assert len(docx.Document(str(out)).inline_shapes) == 0


def _template_with(tmp_path: Path, text: str) -> Path:
    d = docx.Document()
    d.add_paragraph("Уведомление")
    d.add_paragraph(text)
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    d.save(str(templates / "blocking_notification.ru.docx"))
    return templates


def _minimal_ctx() -> NotificationContext:
    return NotificationContext(
        doc_id="1",
        kind="blocking_notification",
        lang="ru",
        route="blocking",
        authority="МКИ",
        resources=[],
        category_label="x",
        legal_basis="y",
        justification=[],
    )


@pytest.mark.parametrize(
    "placeholder, named",
    [
        ("{{ resources[ }}", "resources["),
        ("{{ authority }} и {{ decison.number }}", "decison"),
        ("{%p if has_decision %}", "if has_decision"),
    ],
)
def test_broken_template_names_template_and_placeholder(tmp_path: Path, placeholder: str, named: str) -> None:
    templates = _template_with(tmp_path, placeholder)
    with pytest.raises(TemplateError) as info:
        render_document(_minimal_ctx(), tmp_path / "out", templates_dir=templates)
    message = str(info.value)
    assert "blocking_notification.ru.docx" in message and named in message
    assert not list((tmp_path / "out").glob("*.docx"))


def test_missing_or_damaged_template(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        render_document(_minimal_ctx(), tmp_path, templates_dir=tmp_path)
    (tmp_path / "blocking_notification.ru.docx").write_text("not a zip")
    with pytest.raises(TemplateError, match="not a Word"):
        render_document(_minimal_ctx(), tmp_path, templates_dir=tmp_path)


def test_shipped_templates_are_complete() -> None:
    for kind in DOC_KINDS:
        for lang in ("ru", "kk"):
            assert (TEMPLATES_DIR / f"{kind}.{lang}.docx").is_file()


def test_templates_build_script_reproduces_the_shipped_set(tmp_path: Path) -> None:
    from kuzet.notify.templates.build_templates import main

    assert main([str(tmp_path)]) == 0
    for kind in DOC_KINDS:
        for lang in ("ru", "kk"):
            built = document_text(tmp_path / f"{kind}.{lang}.docx")
            assert built == document_text(TEMPLATES_DIR / f"{kind}.{lang}.docx")
