from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kuzet.settings import Settings
from kuzet.store.db import open_database
from kuzet.store.models import BundleRow, DocumentRow, FindingEvidence, FindingRow, VerdictRow
from kuzet.web.app import create_app

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _seed(settings: Settings, tmp_path: Path) -> int:
    db = open_database(settings.db_url)
    bundle_dir = tmp_path / "bundle"
    bundle_dir.mkdir()
    (bundle_dir / "viewport.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (bundle_dir / "dom.html").write_text(HOSTILE)
    (tmp_path / "secret.txt").write_text("top secret")
    with db.session() as s:
        doc = DocumentRow(
            url=f"http://x.test/{HOSTILE}", kind="page", title=HOSTILE, text=HOSTILE, content_sha256="a" * 64
        )
        s.add(doc)
        s.flush()
        v = VerdictRow(
            document_id=doc.id,
            label="gambling",
            score=0.9,
            scores={},
            detector="t",
            signals=[{"kind": "phrase", "category": "gambling", "name": HOSTILE, "weight": 1.0, "text": HOSTILE}],
        )
        s.add(v)
        s.flush()
        f = FindingRow(document_id=doc.id, verdict_id=v.id, url=doc.url, label="gambling", score=0.9)
        s.add(f)
        b = BundleRow(
            job_key="capture:x",
            url=doc.url,
            path=str(bundle_dir),
            manifest_sha256="b" * 64,
            parts=[
                {"name": "viewport", "path": "viewport.png", "status": "ok", "media_type": "image/png"},
                {"name": "dom", "path": "dom.html", "status": "ok", "media_type": "text/html"},
                {"name": "escape", "path": "../secret.txt", "status": "ok"},
            ],
        )
        s.add(b)
        s.flush()
        s.add(FindingEvidence(finding_id=f.id, bundle_id=b.id))
        fid = f.id
    db.dispose()
    return fid


def test_pages_escape_crawled_content(settings: Settings, tmp_path: Path) -> None:
    fid = _seed(settings, tmp_path)
    client = TestClient(create_app(settings))
    for path in ("/", f"/findings/{fid}"):
        r = client.get(path)
        assert r.status_code == 200
        assert "<script>alert" not in r.text
        assert "&lt;script&gt;" in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/api/findings").json()[0]["label"] == "gambling"


def test_evidence_files_only_from_the_bundle(settings: Settings, tmp_path: Path) -> None:
    _seed(settings, tmp_path)
    client = TestClient(create_app(settings))
    assert client.get("/evidence/1/viewport").status_code == 200
    dom = client.get("/evidence/1/dom")
    assert dom.status_code == 200 and dom.headers["content-type"].startswith("application/octet-stream")
    assert client.get("/evidence/1/escape").status_code == 404
    assert client.get("/evidence/1/nothing").status_code == 404
    assert client.get("/findings/999").status_code == 404
