"""The case package: what is sent to the authority for one case, in every channel.

A package is the case's drafted documents, its evidence bundles (each folder as kuzet sealed it)
and ``manifest.json``: the case summary (route, legal basis, resources, approvals) and every file
with its SHA-256 and size. The manifest is canonical JSON (``kuzet.evidence.canonical``), so its
digest identifies exactly what was sent; it is stored as the dispatch's ``payload_sha256``.

Before anything leaves, every document is re-hashed against the hash recorded when it was
drafted and every evidence bundle is verified (signature, part hashes, custody chain): a case
whose files changed since approval is not sent. Bundle folders are read without following
symbolic links and within a file-count bound, because their origin is crawled content.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.dispatch.records import CasePackage, DispatchError, PackageBundle, PackageDocument, PackageFile
from kuzet.errors import CaseError
from kuzet.evidence.canonical import canonical_json, sha256_bytes, sha256_file
from kuzet.evidence.verify import verify_bundle
from kuzet.settings import Settings
from kuzet.store.models import BundleRow, CaseRow, FindingEvidence, FindingRow, NotificationRow, Resource
from kuzet.store.repo import as_utc

FORMAT = "kuzet-dispatch/1"
MANIFEST_FILE = "manifest.json"
# A sealed bundle has about twenty files; far more means something else was put in the folder.
MAX_BUNDLE_FILES = 500


def _fail(message: str) -> DispatchError:
    return DispatchError(message, retryable=False)


def _document(row: NotificationRow, taken: set[str]) -> PackageDocument:
    source = Path(row.path)
    if not source.is_file() or source.is_symlink():
        raise _fail(f"document {row.kind} ({row.lang}) is missing at {source}")
    digest, size = sha256_file(source)
    if digest != row.sha256:
        raise _fail(f"document {source.name} changed since it was drafted (SHA-256 {digest} != {row.sha256})")
    name = f"documents/{source.name}"
    if name in taken:
        name = f"documents/{row.id}-{source.name}"
    taken.add(name)
    return PackageDocument(
        name=name, source=source, sha256=digest, size=size, kind=row.kind, lang=row.lang, fmt=row.fmt
    )


def _bundle_files(root: Path, prefix: str) -> tuple[PackageFile, ...]:
    files: list[PackageFile] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for fname in sorted(filenames):
            path = Path(dirpath) / fname
            if path.is_symlink() or not path.is_file():
                raise _fail(f"evidence bundle {root}: {path.name} is not a regular file")
            if len(files) >= MAX_BUNDLE_FILES:
                raise _fail(f"evidence bundle {root} holds more than {MAX_BUNDLE_FILES} files")
            digest, size = sha256_file(path)
            rel = path.relative_to(root).as_posix()
            files.append(PackageFile(name=f"{prefix}/{rel}", source=path, sha256=digest, size=size))
    return tuple(files)


def _bundle(row: BundleRow, settings: Settings) -> PackageBundle:
    root = Path(row.path)
    if not root.is_dir():
        raise _fail(f"evidence bundle {row.id} is missing at {root}")
    report = verify_bundle(root, tsa_cert=settings.tsa_cert)
    if not report.ok:
        raise _fail(f"evidence bundle {row.id} at {root} does not verify: {'; '.join(report.failures[:5])}")
    manifest_sha, _ = sha256_file(root / "manifest.json")
    if manifest_sha != row.manifest_sha256:
        raise _fail(f"evidence bundle {row.id}: manifest.json is not the one recorded at capture")
    files = _bundle_files(root, f"evidence/bundle-{row.id}")
    return PackageBundle(bundle_id=row.id, url=row.url, path=root, manifest_sha256=row.manifest_sha256, files=files)


def _iso(value: Any) -> str | None:
    dt = as_utc(value)
    return dt.isoformat() if dt is not None else None


def build_package(session: Session, case_id: int, settings: Settings) -> CasePackage:
    """Collect and check everything to send for ``case_id``; raises DispatchError if a file is
    missing or changed, CaseError if the case has no documents or evidence."""
    case = session.get(CaseRow, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}", case_id=case_id)
    findings = session.scalars(select(FindingRow).where(FindingRow.case_id == case_id).order_by(FindingRow.id)).all()
    notes = session.scalars(
        select(NotificationRow).where(NotificationRow.case_id == case_id).order_by(NotificationRow.id)
    ).all()
    # A subquery, not DISTINCT over the rows: PostgreSQL has no equality for their JSON column.
    proving = (
        select(FindingEvidence.bundle_id)
        .join(FindingRow, FindingRow.id == FindingEvidence.finding_id)
        .where(FindingRow.case_id == case_id)
    )
    bundle_rows = session.scalars(select(BundleRow).where(BundleRow.id.in_(proving)).order_by(BundleRow.id)).all()
    if not notes:
        raise CaseError(f"case {case_id} has no drafted documents: it cannot be sent", case_id=case_id)
    if not bundle_rows:
        raise CaseError(f"case {case_id} has no evidence bundle: it cannot be sent", case_id=case_id)
    taken: set[str] = set()
    documents = tuple(_document(n, taken) for n in notes)
    bundles = tuple(_bundle(b, settings) for b in bundle_rows)
    resource_ids = {f.resource_id for f in findings if f.resource_id is not None} | (
        {case.resource_id} if case.resource_id is not None else set()
    )
    resources = (
        sorted(session.scalars(select(Resource.key).where(Resource.id.in_(resource_ids)))) if resource_ids else []
    )
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "case": {
            "id": case.id,
            "key": case.key,
            "route": case.route,
            "title": case.title,
            "legal_basis": case.legal_basis,
            "rule_id": case.rule_id,
            "policy_version": case.policy_version,
            "proposed_by": case.proposed_by,
            "approved_by": case.approved_by,
            "detected_at": _iso(case.detected_at),
        },
        "resources": resources,
        "urls": list(dict.fromkeys(f.url for f in findings)),
        "findings": [{"id": f.id, "url": f.url, "label": f.label, "score": round(f.score, 3)} for f in findings],
        "documents": [
            {"name": d.name, "kind": d.kind, "lang": d.lang, "format": d.fmt, "sha256": d.sha256, "size": d.size}
            for d in documents
        ],
        "evidence": [
            {
                "bundle_id": b.bundle_id,
                "url": b.url,
                "path": str(b.path),
                "manifest_sha256": b.manifest_sha256,
                "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in b.files],
            }
            for b in bundles
        ],
    }
    data = canonical_json(manifest)
    return CasePackage(
        case_id=case.id,
        route=case.route,
        title=case.title,
        documents=documents,
        bundles=bundles,
        manifest=manifest,
        manifest_bytes=data,
        manifest_sha256=sha256_bytes(data),
    )


def _copy_checked(f: PackageFile, dest: Path) -> None:
    """Copy and re-hash: a file that changed between the check and the copy is not delivered."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(f.source, dest, follow_symlinks=False)
    digest, _ = sha256_file(dest)
    if digest != f.sha256:
        raise _fail(f"{f.source} changed while the package was written")
    with open(dest, "rb") as fh:
        os.fsync(fh.fileno())


def write_package(pkg: CasePackage, folder: Path) -> None:
    """Write the package into the empty or new ``folder``: manifest.json, documents/, evidence/."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in all_files(pkg):
        _copy_checked(f, folder / f.name)
    (folder / MANIFEST_FILE).write_bytes(pkg.manifest_bytes)
    (folder / "SHA256SUMS").write_text(
        "".join(f"{f.sha256}  {f.name}\n" for f in sorted(all_files(pkg), key=lambda x: x.name)), encoding="utf-8"
    )


def all_files(pkg: CasePackage) -> list[PackageFile]:
    return [*pkg.documents, *(f for b in pkg.bundles for f in b.files)]
