"""Report files of a bundle in its custody log: written after sealing, vouched for by a signed
``report_written`` line (path, SHA-256, size, and the manifest hash they describe)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kuzet.errors import EvidenceError
from kuzet.evidence.canonical import sha256_bytes, sha256_file
from kuzet.evidence.custody import CUSTODY_FILE, append_custody
from kuzet.evidence.seal import MANIFEST_FILE
from kuzet.evidence.signing import Signer

REPORT_ACTION = "report_written"
REPORT_RE = re.compile(r"report\.([a-z]{2})\.pdf")


def record_reports(bundle: Path, files: Sequence[Path], *, signer: Signer, actor: str | None = None) -> dict[str, Any]:
    """The signed ``report_written`` custody line naming each report file with its SHA-256 and size."""
    root = Path(bundle)
    listed = []
    for f in files:
        m = REPORT_RE.fullmatch(f.name)
        if not m or f.parent != root:
            raise EvidenceError(f"{f} is not a report file of {root} (report.<lang>.pdf)", path=root)
        digest, size = sha256_file(f)
        listed.append({"path": f.name, "lang": m.group(1), "sha256": digest, "size": size})
    manifest_sha = sha256_bytes((root / MANIFEST_FILE).read_bytes())
    return append_custody(
        root, REPORT_ACTION, actor=actor, detail={"files": listed, "manifest_sha256": manifest_sha}, signer=signer
    )


def check_reports(
    root: Path, entries: list[dict[str, Any]], manifest_sha256: str
) -> tuple[list[str], list[str], set[str]]:
    """Failures, passed checks and the report paths the custody log vouches for.

    The latest ``report_written`` line naming a path wins (reports may be written again)."""
    fail: list[str] = []
    ok: list[str] = []
    recorded: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e.get("action") != REPORT_ACTION:
            continue
        detail = e.get("detail") or {}
        if detail.get("manifest_sha256") != manifest_sha256:
            fail.append(f"{CUSTODY_FILE}: line {int(e.get('seq', -1)) + 1} records reports of another manifest")
        for f in detail.get("files") or []:
            if isinstance(f, dict) and isinstance(f.get("path"), str):
                recorded[f["path"]] = f
    for rel, f in sorted(recorded.items()):
        if not REPORT_RE.fullmatch(rel):
            fail.append(f"{CUSTODY_FILE}: report path {rel!r} is not report.<lang>.pdf")
            continue
        path = root / rel
        if not path.is_file():
            fail.append(f"{rel}: recorded in {CUSTODY_FILE} but missing")
            continue
        digest, size = sha256_file(path)
        if digest != f.get("sha256") or size != f.get("size"):
            fail.append(f"{rel}: SHA-256 {digest} does not match the report_written custody line ({f.get('sha256')})")
        else:
            ok.append(f"{rel}: sha256 ok (custody report_written)")
    return fail, ok, set(recorded)
