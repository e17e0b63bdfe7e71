"""Analysts confirm and dismiss findings (audited), and ``kuzet train --from-db`` learns from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kuzet.cli import app
from kuzet.detect.model import LinearModel
from kuzet.errors import ReviewError
from kuzet.review.findings import review_finding, reviewed_examples
from kuzet.settings import Settings
from kuzet.store.audit import verify_chain
from kuzet.store.db import Database
from kuzet.store.models import AuditEvent, DocumentRow, FindingRow, VerdictRow

TEXTS = {
    "gambling": "Рабочее зеркало казино {i}: фриспины и бонус на первый депозит, слоты онлайн",
    "pyramid": "Пассивный доход {i}% в день, удвоим ваш вклад, реферальная программа три уровня",
    "illegal_finance": "Ищу дропов {i}: куплю вашу карту, обнал и вывод средств быстро",
    "benign": "Банк сообщает о новом вкладе {i}: ставка по депозиту по решению совета",
}


def _seed(db: Database, n: int = 6) -> list[int]:
    """Findings of every label; benign-texted ones stand for false alarms the detector raised."""
    ids = []
    with db.session() as s:
        for label, template in TEXTS.items():
            for i in range(n):
                doc = DocumentRow(
                    url=f"http://{label}{i}.test/",
                    kind="page",
                    title="",
                    text=template.format(i=i),
                    content_sha256=f"{label}{i}".ljust(64, "0"),
                )
                s.add(doc)
                s.flush()
                detector_label = "pyramid" if label == "benign" else label
                v = VerdictRow(document_id=doc.id, label=detector_label, score=0.8, detector="t")
                s.add(v)
                s.flush()
                f = FindingRow(document_id=doc.id, verdict_id=v.id, url=doc.url, label=detector_label, score=0.8)
                s.add(f)
                s.flush()
                ids.append(f.id)
    return ids


def test_confirm_dismiss_and_relabel_are_audited(db: Database) -> None:
    ids = _seed(db, 1)
    with db.session() as s:
        review_finding(s, ids[0], "confirm", actor="analyst-a")
        review_finding(s, ids[1], "confirm", actor="analyst-a", label="illegal_finance", reason="drops, not MLM")
        review_finding(s, ids[3], "dismiss", actor="analyst-b", reason="a bank's own deposit advert")
    with db.session() as s:
        assert s.get(FindingRow, ids[1]).label == "illegal_finance"
        assert s.get(VerdictRow, s.get(FindingRow, ids[1]).verdict_id).label == "pyramid"  # the detector's stays
        assert s.get(FindingRow, ids[3]).status == "dismissed"
        events = s.scalars(select(AuditEvent).where(AuditEvent.object_type == "finding")).all()
        assert [(e.action, e.actor) for e in events] == [
            ("finding.confirmed", "analyst-a"),
            ("finding.confirmed", "analyst-a"),
            ("finding.dismissed", "analyst-b"),
        ]
        assert events[1].detail["before"]["label"] == "pyramid"
        assert events[1].detail["after"]["label"] == "illegal_finance"
        assert verify_chain(s) == []
        rows = list(reviewed_examples(s))
    assert [(r["label"], r["hard_negative"]) for r in rows] == [
        ("gambling", False),
        ("illegal_finance", False),
        ("benign", True),
    ]
    assert all(r["source"].startswith("kuzet-db:finding/") for r in rows)


@pytest.mark.parametrize(
    ("decision", "kwargs", "message"),
    [
        ("confirm", {"label": "benign"}, "violation label"),
        ("confirm", {"label": "nonsense"}, "violation label"),
        ("dismiss", {}, "needs a reason"),
        ("confirm", {"actor": " "}, "actor"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(db: Database, decision: str, kwargs: dict, message: str) -> None:
    ids = _seed(db, 1)
    with pytest.raises(ReviewError, match=message), db.session() as s:
        review_finding(s, ids[0], decision, **{"actor": "a", **kwargs})  # type: ignore[arg-type]
    with db.session() as s:
        assert s.get(FindingRow, ids[0]).status == "new"
        assert not s.scalars(select(AuditEvent).where(AuditEvent.object_type == "finding")).all()


def test_unknown_finding(db: Database) -> None:
    with pytest.raises(ReviewError, match="no finding 999"), db.session() as s:
        review_finding(s, 999, "confirm", actor="a")


def test_cli_review_then_train_from_db(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUZET_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KUZET_DATABASE_URL", settings.db_url)
    from kuzet.store.db import open_database

    db = open_database(settings.db_url)
    ids = _seed(db)
    db.dispose()
    runner = CliRunner()
    # Before any decision there is nothing to learn from.
    r = runner.invoke(app, ["train", "--from-db", "--out", str(tmp_path / "m0" / "model.npz")])
    assert r.exit_code != 0 and "no confirmed or dismissed" in r.output
    with db.session() as s:
        labels = {f.id: s.get(DocumentRow, f.document_id).url for f in s.scalars(select(FindingRow))}
    for fid in ids:
        if "benign" in labels[fid]:
            r = runner.invoke(app, ["finding", "dismiss", str(fid), "--reason", "bank advert", "--actor", "b"])
        else:
            r = runner.invoke(app, ["finding", "confirm", str(fid), "--actor", "a"])
        assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["status"] in {"confirmed", "dismissed"}
    r = runner.invoke(app, ["finding", "list", "--status", "dismissed", "--json"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 6
    r = runner.invoke(app, ["finding", "confirm", "99999", "--actor", "a"])
    assert r.exit_code == 2 and "no finding 99999" in r.output

    out = tmp_path / "m" / "model.npz"
    r = runner.invoke(app, ["train", "--from-db", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "24 reviewed findings" in r.output
    metrics = json.loads(r.stdout[r.stdout.index("{") :])
    assert any(str(p).endswith("analysts.jsonl") for p in metrics["train_files"])
    assert "analysts" in metrics["loso"]["groups"]
    assert LinearModel.load(out).classes
    assert "analysts" in (out.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
