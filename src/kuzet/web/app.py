"""The first, read-only web page: findings with their screenshots, signals and evidence files.

Everything crawled is shown through Jinja2 with autoescaping; evidence files are served only when
the bundle's stored part list names them, so no request can read outside a bundle. A strict
Content-Security-Policy (no inline script, nothing from other origins) backs that up.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from kuzet import __version__
from kuzet.settings import Settings
from kuzet.store.db import Database, open_database
from kuzet.store.models import (
    BundleRow,
    CaseRow,
    DocumentRow,
    FindingEvidence,
    FindingRow,
    NotificationRow,
    RegistryEntryRow,
    Resource,
    VerdictRow,
)
from kuzet.web.cases_api import cases_router

HERE = Path(__file__).parent
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    settings.require_secret()  # production refuses to serve without a real secret
    database = db or open_database(settings.db_url)
    app = FastAPI(title="kuzet", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def finding_rows(limit: int = 500) -> list[dict[str, Any]]:
        with database.session() as s:
            rows = s.execute(
                select(FindingRow, Resource.key, CaseRow.status)
                .outerjoin(Resource, Resource.id == FindingRow.resource_id)
                .outerjoin(CaseRow, CaseRow.id == FindingRow.case_id)
                .order_by(FindingRow.score.desc(), FindingRow.id)
                .limit(limit)
            ).all()
            out = []
            for f, resource_key, case_status in rows:
                shot = s.execute(
                    select(BundleRow.id)
                    .join(FindingEvidence, FindingEvidence.bundle_id == BundleRow.id)
                    .where(FindingEvidence.finding_id == f.id)
                    .order_by(BundleRow.id.desc())
                    .limit(1)
                ).scalar()
                out.append(
                    {
                        "id": f.id,
                        "url": f.url,
                        "label": f.label,
                        "score": round(f.score, 3),
                        "route": f.route,
                        "rule_id": f.rule_id,
                        "resource": resource_key,
                        "case_id": f.case_id,
                        "case_status": case_status,
                        "bundle_id": shot,
                        "created_at": f.created_at.isoformat() if f.created_at else None,
                    }
                )
            return out

    app.include_router(cases_router(settings, database))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        findings = finding_rows()
        with database.session() as s:
            counts = {
                "documents": s.execute(select(func.count()).select_from(DocumentRow)).scalar() or 0,
                "cases": s.execute(select(func.count()).select_from(CaseRow)).scalar() or 0,
                "bundles": s.execute(select(func.count()).select_from(BundleRow)).scalar() or 0,
                "registry": s.execute(select(func.count()).select_from(RegistryEntryRow)).scalar() or 0,
            }
        return templates.TemplateResponse(request, "index.html", {"findings": findings, "counts": counts})

    @app.get("/findings/{finding_id}", response_class=HTMLResponse)
    def finding_page(request: Request, finding_id: int) -> Response:
        with database.session() as s:
            f = s.get(FindingRow, finding_id)
            if f is None:
                raise HTTPException(404, "no such finding")
            doc = s.get(DocumentRow, f.document_id)
            verdict = s.get(VerdictRow, f.verdict_id)
            bundles = list(
                s.execute(
                    select(BundleRow)
                    .join(FindingEvidence, FindingEvidence.bundle_id == BundleRow.id)
                    .where(FindingEvidence.finding_id == f.id)
                ).scalars()
            )
            notes = (
                list(s.execute(select(NotificationRow).where(NotificationRow.case_id == f.case_id)).scalars())
                if f.case_id
                else []
            )
            registry = s.get(RegistryEntryRow, f.registry_entry_id) if f.registry_entry_id else None
            ctx = {
                "f": f,
                "doc": doc,
                "verdict": verdict,
                "bundles": bundles,
                "notes": notes,
                "registry": registry,
                "text": (doc.text[:20000] if doc else ""),
            }
        return templates.TemplateResponse(request, "finding.html", ctx)

    @app.get("/api/findings")
    def api_findings() -> JSONResponse:
        return JSONResponse(finding_rows(limit=5000))

    @app.get("/cases", response_class=HTMLResponse)
    def cases_page(request: Request) -> Response:
        from kuzet.cases.service import case_summaries

        with database.session() as s:
            rows = case_summaries(s)
        return templates.TemplateResponse(request, "cases.html", {"cases": rows})

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: int) -> Response:
        from kuzet.cases.service import case_view
        from kuzet.errors import CaseError

        with database.session() as s:
            try:
                view = case_view(s, case_id)
            except CaseError as e:
                raise HTTPException(404, "no such case") from e
            docs = list(
                s.execute(
                    select(NotificationRow).where(NotificationRow.case_id == case_id).order_by(NotificationRow.id)
                ).scalars()
            )
        ctx = {"c": view, "docs": docs, "ttb": view.time_to_block_s}
        return templates.TemplateResponse(request, "case.html", ctx)

    @app.get("/documents/{doc_id}")
    def document_file(doc_id: int) -> Response:
        """A drafted document, found by its row (never by a path from the request)."""
        with database.session() as s:
            n = s.get(NotificationRow, doc_id)
            if n is None or n.status == "pending" or not n.path:
                raise HTTPException(404, "no such document")
            path = Path(n.path)
        if not path.is_file():
            raise HTTPException(404, "no such document")
        media = (
            "application/pdf"
            if path.suffix == ".pdf"
            else ("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        )
        return FileResponse(path, media_type=media, filename=path.name)

    @app.get("/evidence/{bundle_id}/{name}")
    def evidence_file(bundle_id: int, name: str) -> Response:
        with database.session() as s:
            b = s.get(BundleRow, bundle_id)
            if b is None:
                raise HTTPException(404, "no such bundle")
            part = next((p for p in (b.parts or []) if p.get("name") == name and p.get("status") == "ok"), None)
            if part is None or not part.get("path"):
                raise HTTPException(404, "no such file in this bundle")
            root = Path(b.path).resolve()
        path = (root / part["path"]).resolve()
        if root not in path.parents or not path.is_file():
            raise HTTPException(404, "no such file in this bundle")
        media = part.get("media_type") or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if media.startswith("text/html") or media == "multipart/related":
            media = "application/octet-stream"  # never render captured markup in our origin
        return FileResponse(path, media_type=media, filename=path.name if media.startswith("application") else None)

    return app
