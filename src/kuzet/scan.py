"""``kuzet scan URL``: fetch, extract, detect and capture one page, without the job queue.

A page gives one verdict; a public Telegram channel preview (recognised by its markup, whatever
the host) gives one verdict per post under ``posts`` and, at the top, the most serious of them.
Indicators are shown by their display form: bank cards masked to the last four digits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kuzet.errors import CaptureError
from kuzet.records import Verdict, to_jsonable
from kuzet.run.services import Services
from kuzet.run.stages import detection_title, read_images
from kuzet.settings import Settings


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "label": v.label,
        "score": round(v.score, 4),
        "scores": {k: round(float(x), 4) for k, x in v.scores.items()},
        "lang": v.lang,
        "signals": to_jsonable(v.signals),
        "indicators": [
            {"kind": i.kind, "value": i.display, "valid": i.valid, **({"detail": i.detail} if i.detail else {})}
            for i in {(i.kind, i.value): i for i in reversed(v.indicators)}.values()  # text and markup agree
        ][::-1],
    }


def scan_url(settings: Settings, url: str, *, out_dir: Path | None = None, capture: bool = True) -> dict[str, Any]:
    from kuzet.extract import extract

    services = Services(settings)  # scan needs no database
    try:
        snap = services.fetcher.fetch(url)
        result: dict[str, Any] = {
            "url": url,
            "final_url": snap.final_url,
            "status": snap.status,
            "content_type": snap.content_type,
            "encoding": snap.encoding,
            "sha256": snap.sha256,
            "redirects": snap.redirects,
            "fetched_at": snap.fetched_at.isoformat(),
        }
        docs = extract(snap) if 200 <= snap.status < 300 else []
        html = snap.text() if "html" in snap.content_type else None
        cache: dict[str, str] = {}
        verdicts: list[tuple[Any, Verdict]] = []
        for doc in docs:
            image_text = read_images(services, doc.images, cache)
            page_html = html if doc.kind == "page" else None
            verdicts.append(
                (
                    doc,
                    services.detector.detect(
                        doc.text, title=detection_title(doc.kind, doc.title), image_text=image_text, html=page_html
                    ),
                )
            )
        if any(d.kind == "telegram_post" for d, _ in verdicts):
            result["posts"] = [
                {
                    "post_id": d.post_id,
                    "url": d.url,
                    "published_at": to_jsonable(d.published_at),
                    "views": d.meta.get("views"),
                    **verdict_json(v),
                }
                for d, v in verdicts
            ]
            result["channel"] = verdicts[0][0].resource_key if verdicts else None
        top = _most_serious([v for _, v in verdicts])
        if top is not None:
            result.update(verdict_json(top))
            if len(verdicts) == 1:
                result["title"] = verdicts[0][0].title
        else:
            result.update({"label": None, "score": None, "scores": {}, "signals": [], "indicators": []})
        result["bundle"] = None
        if capture:
            target = out_dir or settings.evidence_dir / (
                f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:10]}"
            )
            try:
                bundle = services.capture.capture(snap.final_url or url, Path(target), case_ref=f"scan:{url}")
                result["bundle"] = str(bundle.path)
                result["page_kind"] = bundle.page_kind
                result["evidence_parts"] = {p.name: p.status for p in bundle.parts}
            except CaptureError as e:
                result["capture_error"] = str(e)
        return result
    finally:
        services.close()


def _most_serious(verdicts: list[Verdict]) -> Verdict | None:
    if not verdicts:
        return None
    violations = [v for v in verdicts if v.label != "benign"]
    pool = violations or verdicts
    return max(pool, key=lambda v: v.score)
