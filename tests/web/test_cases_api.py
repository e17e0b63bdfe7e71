"""The case API: open reads, token-authenticated writes whose actor comes from the token."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from kuzet.settings import Settings
from kuzet.store.db import open_database
from kuzet.store.models import BundleRow, CaseRow, DocumentRow, FindingEvidence, FindingRow, NotificationRow, VerdictRow
from kuzet.web.app import create_app

ANALYST = "a" * 20
CHIEF = "c" * 20


def _seed(settings: Settings) -> int:
    db = open_database(settings.db_url)
    with db.session() as s:
        case = CaseRow(key="criminal:casino.test", route="criminal", title="gambling: <b>casino.test</b>")
        s.add(case)
        doc = DocumentRow(url="http://casino.test/", kind="page", text="казино", content_sha256="c" * 64)
        s.add(doc)
        s.flush()
        v = VerdictRow(document_id=doc.id, label="gambling", score=0.9, detector="t")
        s.add(v)
        s.flush()
        f = FindingRow(document_id=doc.id, verdict_id=v.id, url=doc.url, label="gambling", score=0.9, case_id=case.id)
        b = BundleRow(job_key="capture:x", url=doc.url, path="/tmp/x", manifest_sha256="b" * 64, parts=[])
        s.add_all([f, b])
        s.flush()
        s.add(FindingEvidence(finding_id=f.id, bundle_id=b.id))
        s.add(
            NotificationRow(case_id=case.id, kind="criminal_referral", lang="ru", path="/tmp/n.docx", sha256="d" * 64)
        )
        cid = case.id
    db.dispose()
    return cid


def test_reads_are_open_and_writes_need_a_token(settings: Settings, tmp_path: Path) -> None:
    cid = _seed(settings)
    client = TestClient(create_app(settings))
    assert client.get("/api/cases").json()[0]["findings"] == 1
    r = client.post(f"/api/cases/{cid}/transitions", json={"action": "submit"})
    assert r.status_code == 403 and "read-only" in r.json()["detail"]


def test_transitions_and_answers_with_the_tokens_actor(settings: Settings, tmp_path: Path) -> None:
    cid = _seed(settings)
    settings = settings.model_copy(update={"api_tokens": SecretStr(f"{ANALYST}=ivanova,{CHIEF}=petrov")})
    client = TestClient(create_app(settings))
    a, c = {"Authorization": f"Bearer {ANALYST}"}, {"Authorization": f"Bearer {CHIEF}"}
    assert client.post(f"/api/cases/{cid}/transitions", json={"action": "submit"}).status_code == 401
    bad = {"Authorization": "Bearer " + "x" * 20}
    assert client.post(f"/api/cases/{cid}/transitions", json={"action": "submit"}, headers=bad).status_code == 401
    r = client.post(f"/api/cases/{cid}/transitions", json={"action": "submit", "reason": "cards"}, headers=a)
    assert r.status_code == 200 and r.json()["proposed_by"] == "ivanova"
    r = client.post(f"/api/cases/{cid}/transitions", json={"action": "approve"}, headers=a)
    assert r.status_code == 409 and "four eyes" in r.json()["detail"]
    for action in ("approve", "draft", "send"):
        r = client.post(f"/api/cases/{cid}/transitions", json={"action": action}, headers=c)
        assert r.status_code == 200, r.json()
    r = client.post(f"/api/cases/{cid}/answers", json={"kind": "blocked", "reference": "№ 5"}, headers=c)
    assert r.status_code == 200 and r.json()["status"] == "blocked"
    case = client.get(f"/api/cases/{cid}").json()
    assert [e["actor"] for e in case["events"]] == ["ivanova", "petrov", "petrov", "petrov", "petrov"]
    assert case["answers"][0]["reference"] == "№ 5"
    assert client.get("/api/cases/999").status_code == 404


def test_case_pages_escape_and_serve_only_known_documents(settings: Settings, tmp_path: Path) -> None:
    cid = _seed(settings)
    doc = tmp_path / "referral.docx"
    doc.write_bytes(b"PK\x03\x04 a document")
    db = open_database(settings.db_url)
    with db.session() as s:
        row = s.get(NotificationRow, 1)
        assert row is not None
        row.path = str(doc)
        s.add(
            NotificationRow(
                case_id=cid, kind="criminal_referral", lang="kk", fmt="pdf", path="", sha256="", status="pending"
            )
        )
    db.dispose()
    client = TestClient(create_app(settings))
    page = client.get("/cases")
    assert (
        page.status_code == 200
        and "&lt;b&gt;casino.test&lt;/b&gt;" in page.text
        and "<b>casino.test</b>" not in page.text
    )
    detail = client.get(f"/cases/{cid}")
    assert detail.status_code == 200 and "/documents/1" in detail.text and "ожидает PDF" in detail.text
    got = client.get("/documents/1")
    assert got.status_code == 200 and got.content == doc.read_bytes()
    assert client.get("/documents/2").status_code == 404  # pending: no file yet
    assert client.get("/documents/99").status_code == 404
    assert client.get("/cases/99").status_code == 404
