"""Render a NotificationContext into a DOCX document from a docxtpl (Word) template.

All crawled text enters the template as data: Jinja autoescaping turns ``<w:p>`` into text, a
quoted ``{{ }}`` is never evaluated, and characters that XML 1.0 forbids are dropped first.
Screenshots are scaled to the text width and, when tall, cropped to the top of the page for the
document; the full image stays in the evidence bundle.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from PIL import Image, UnidentifiedImageError

from kuzet.errors import TemplateError
from kuzet.notify.context import NotificationContext
from kuzet.notify.wording import (
    SCREENSHOT_CAPTION,
    SCREENSHOT_CROPPED,
    SCREENSHOT_MISSING,
    route_words,
)
from kuzet.triage.policy import decision_phrase

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
IMAGE_WIDTH_MM = 160
# Height/width of the part of a screenshot shown in the document (about one A4 text block).
MAX_ASPECT = 1.3
IMAGE_MAX_PX_WIDTH = 1400
MAX_IMAGE_PIXELS = 120_000_000
MAX_SCREENSHOTS = 10

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"\{[{%].*?[}%]\}")


def template_path(kind: str, lang: str, templates_dir: Path | None = None) -> Path:
    return (templates_dir or TEMPLATES_DIR) / f"{kind}.{lang}.docx"


def render_document(ctx: NotificationContext, out_dir: Path, *, templates_dir: Path | None = None) -> Path:
    """Write ``<kind>_<doc id>_<lang>.docx`` into ``out_dir`` and return its path."""
    path = template_path(ctx.kind, ctx.lang, templates_dir)
    if not path.is_file():
        raise TemplateError(f"template {path} does not exist", path=path)
    if not zipfile.is_zipfile(path):
        raise TemplateError(f"template {path} is not a Word (.docx) file", path=path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{ctx.kind}_{_safe_name(ctx.doc_id)}_{ctx.lang}.docx"
    try:
        tpl = DocxTemplate(str(path))
        tpl.init_docx()
    except Exception as e:  # docx/zip internals raise many kinds of errors for a damaged file
        raise TemplateError(f"template {path} cannot be opened: {e}", path=path) from e
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)  # noqa: S701 (autoescape on)
    with tempfile.TemporaryDirectory(prefix="kuzet-doc-") as tmp:
        data = _sanitise(_template_data(ctx))
        data["screenshots"] = list(_screenshots(ctx, tpl, Path(tmp)))
        try:
            tpl.render(data, jinja_env=env, autoescape=True)
        except jinja2.TemplateSyntaxError as e:
            raise TemplateError(f"template {path}: broken placeholder {_where(e)}: {e.message}", path=path) from e
        except jinja2.UndefinedError as e:
            raise TemplateError(f"template {path}: unknown placeholder: {e.message}", path=path) from e
        except jinja2.TemplateError as e:
            raise TemplateError(f"template {path}: {e}", path=path) from e
        with _atomic(target) as tmp_target:
            tpl.save(str(tmp_target))
    return target


def _where(e: jinja2.TemplateSyntaxError) -> str:
    """The tags on the failing template line, as an editor sees them in Word."""
    lines = [str(x) for x in getattr(e, "docx_context", [])]
    middle = lines[3:4] if len(lines) > 3 else lines
    tags = [t for line in middle for t in _TAG.findall(line)] or [t for line in lines for t in _TAG.findall(line)]
    if tags:
        return ", ".join(repr(t) for t in tags[:3])
    text = " ".join(" ".join(lines).split())
    return repr(text[:120]) if text else f"near line {e.lineno}"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі._-]+", "-", text).strip("-.")[:80] or "document"


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=".docx", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def _fmt_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _fmt_date(value: date | datetime | None) -> str:
    return value.strftime("%d.%m.%Y") if value is not None else "—"


def _fmt_size(size: int) -> str:
    return f"{size:,}".replace(",", "\u00a0")


def _template_data(ctx: NotificationContext) -> dict[str, Any]:
    decision = ctx.decision
    bundles: dict[str, dict[str, str]] = {}
    for item in ctx.evidence:
        bundles.setdefault(
            item.bundle_path,
            {
                "path": item.bundle_path,
                "manifest_sha256": item.manifest_sha256,
                "key_id": item.key_id or "—",
                "url": item.url,
            },
        )
    return {
        "doc_id": ctx.doc_id,
        "created": _fmt_date(ctx.created),
        "sender": ctx.sender,
        "authority": ctx.authority,
        "category_label": ctx.category_label,
        "legal_basis": ctx.legal_basis,
        "route": ctx.route,
        "route_words": route_words(ctx.route, ctx.lang),
        "kind": ctx.kind,
        "lang": ctx.lang,
        "has_decision": decision is not None,
        "decision": {
            "text": decision_phrase(decision, ctx.lang) if decision else "",
            "number": decision.decision_number if decision else "",
            "date": _fmt_date(date.fromisoformat(decision.decision_date))
            if decision and _is_iso(decision.decision_date)
            else (decision.decision_date if decision else ""),
            "authority": decision.authority if decision else "",
            "resource": decision.resource if decision else "",
        },
        "justification": list(ctx.justification),
        "resources": [
            {
                "n": i,
                "url": r.url,
                "resource_key": r.resource_key,
                "first_seen": _fmt_time(r.first_seen),
                "label": r.label,
            }
            for i, r in enumerate(ctx.resources, 1)
        ],
        "evidence": [
            {
                "n": i,
                "file_name": e.file_name,
                "size": _fmt_size(e.size),
                "captured_at": _fmt_time(e.captured_at),
                "sha256": e.sha256,
            }
            for i, e in enumerate(ctx.evidence, 1)
        ],
        "bundles": list(bundles.values()),
        "analyst": ctx.analyst or "—",
        "rule_id": ctx.rule_id or "—",
        "policy_version": ctx.policy_version or "—",
        "disclaimer": ctx.disclaimer,
    }


def _is_iso(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _sanitise(value: Any) -> Any:
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    if isinstance(value, dict):
        return {k: _sanitise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitise(v) for v in value]
    return value


def _screenshots(ctx: NotificationContext, tpl: DocxTemplate, tmp: Path) -> Iterator[dict[str, Any]]:
    for n, shot in enumerate(ctx.screenshots[:MAX_SCREENSHOTS], 1):
        try:
            prepared, cropped = _prepare_image(Path(shot.path), tmp / f"shot-{n}.png")
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as e:
            reason = _XML_INVALID.sub("", str(e))[:200] or type(e).__name__
            yield {
                "image": "",
                "caption": SCREENSHOT_MISSING[ctx.lang].format(name=Path(shot.path).name, reason=reason),
            }
            continue
        caption = (
            SCREENSHOT_CAPTION[ctx.lang]
            .format(
                n=n,
                url=_XML_INVALID.sub("", shot.url),
                time=_fmt_time(shot.captured_at),
                sha256=shot.sha256 or "—",
                cropped=SCREENSHOT_CROPPED[ctx.lang] if cropped else "",
            )
            .strip()
        )
        yield {"image": InlineImage(tpl, str(prepared), width=Mm(IMAGE_WIDTH_MM)), "caption": caption}


def _prepare_image(src: Path, dst: Path) -> tuple[Path, bool]:
    """A page-sized PNG copy of a screenshot: top part only when tall, at most 1400 px wide."""
    with Image.open(src) as img:
        width, height = img.size
        if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
            raise ValueError(f"image size {width}x{height} is out of bounds")
        max_height = int(width * MAX_ASPECT)
        cropped = height > max_height
        part = img.crop((0, 0, width, max_height)) if cropped else img
        part = part.convert("RGB")
        if part.width > IMAGE_MAX_PX_WIDTH:
            ratio = IMAGE_MAX_PX_WIDTH / part.width
            part = part.resize((IMAGE_MAX_PX_WIDTH, max(1, int(part.height * ratio))), Image.Resampling.LANCZOS)
        part.save(dst, format="PNG")
    return dst, cropped
