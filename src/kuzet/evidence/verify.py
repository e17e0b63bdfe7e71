"""Verify a bundle with nothing but its own files (no database, no kuzet state).

Checks, each reported by name: manifest readable and canonical; signature over manifest.json by
public_key.pem, whose key id matches the manifest (and, optionally, a trusted set); every listed
part present with the listed size and SHA-256; no unlisted file; SHA256SUMS agreeing with the
manifest; the RFC 3161 token (if present) covering manifest.json; the custody hash chain; the
inspection reports (report.<lang>.pdf) against their signed ``report_written`` custody line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from kuzet.errors import EvidenceError
from kuzet.evidence.canonical import canonical_json, sha256_bytes, sha256_file
from kuzet.evidence.custody import verify_custody
from kuzet.evidence.report_files import check_reports
from kuzet.evidence.seal import (
    FORMAT,
    MANIFEST_FILE,
    PUBLIC_KEY_FILE,
    SIDE_FILES,
    SIGNATURE_FILE,
    SUMS_FILE,
    TIMESTAMP_FILE,
)
from kuzet.evidence.signing import key_id_of, load_public_key_pem, verify_signature
from kuzet.evidence.timestamp import check_timestamp_response


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    failures: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None


def _safe_rel(path: str) -> bool:
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts and "\\" not in path


def _check_signature(
    root: Path, data: bytes, manifest: dict[str, Any], trusted: set[str] | None, fail: list[str], ok: list[str]
) -> None:
    sig_path, key_path = root / SIGNATURE_FILE, root / PUBLIC_KEY_FILE
    if not sig_path.is_file():
        fail.append(f"{SIGNATURE_FILE}: missing")
        return
    if not key_path.is_file():
        fail.append(f"{PUBLIC_KEY_FILE}: missing")
        return
    try:
        key = load_public_key_pem(key_path.read_bytes())
    except EvidenceError as e:
        fail.append(f"{PUBLIC_KEY_FILE}: {e}")
        return
    key_id = key_id_of(key)
    listed = (manifest.get("signer") or {}).get("key_id")
    if listed != key_id:
        fail.append(f"{PUBLIC_KEY_FILE}: key id {key_id} does not match the manifest's signer {listed!r}")
    if trusted is not None and key_id not in trusted:
        fail.append(f"{PUBLIC_KEY_FILE}: key id {key_id} is not among the trusted keys")
    if verify_signature(key, sig_path.read_bytes(), data):
        ok.append(f"{SIGNATURE_FILE}: valid Ed25519 signature over {MANIFEST_FILE} by key {key_id}")
    else:
        fail.append(f"{SIGNATURE_FILE}: signature does not verify over {MANIFEST_FILE} (manifest or signature altered)")


def _check_parts(root: Path, manifest: dict[str, Any], fail: list[str], ok: list[str]) -> set[str]:
    listed: set[str] = set()
    parts = manifest.get("parts")
    if not isinstance(parts, list) or not parts:
        fail.append(f"{MANIFEST_FILE}: no parts listed")
        return listed
    expected_sums: list[str] = []
    for part in parts:
        name, rel, status = part.get("name"), part.get("path"), part.get("status")
        if status != "ok":
            if rel:
                fail.append(f"{MANIFEST_FILE}: part {name!r} is {status} but lists a file {rel!r}")
            continue
        if not isinstance(rel, str) or not _safe_rel(rel):
            fail.append(f"{MANIFEST_FILE}: part {name!r} has an unsafe path {rel!r}")
            continue
        listed.add(rel)
        path = root / rel
        if not path.is_file():
            fail.append(f"{rel}: listed in the manifest but missing")
            continue
        digest, size = sha256_file(path)
        if digest != part.get("sha256"):
            fail.append(f"{rel}: SHA-256 {digest} does not match the manifest ({part.get('sha256')})")
        elif size != part.get("size"):
            fail.append(f"{rel}: size {size} does not match the manifest ({part.get('size')})")
        else:
            ok.append(f"{rel}: sha256 ok")
        if rel != SUMS_FILE:
            expected_sums.append(f"{part.get('sha256')}  {rel}\n")
    sums = root / SUMS_FILE
    if SUMS_FILE in listed and sums.is_file():
        if sums.read_text(encoding="utf-8", errors="replace") != "".join(sorted(expected_sums)):
            fail.append(f"{SUMS_FILE}: does not list exactly the manifest's parts")
        else:
            ok.append(f"{SUMS_FILE}: agrees with the manifest")
    elif SUMS_FILE not in listed:
        fail.append(f"{MANIFEST_FILE}: {SUMS_FILE} is not listed")
    return listed


def verify_bundle(path: Path, tsa_cert: Path | None = None, trusted_key_ids: set[str] | None = None) -> VerifyReport:
    root = Path(path)
    fail: list[str] = []
    ok: list[str] = []
    mpath = root / MANIFEST_FILE
    if not root.is_dir():
        return VerifyReport(ok=False, failures=[f"{root}: not a directory"])
    if not mpath.is_file():
        return VerifyReport(ok=False, failures=[f"{MANIFEST_FILE}: missing"])
    data = mpath.read_bytes()
    try:
        manifest = json.loads(data)
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except ValueError as e:
        return VerifyReport(ok=False, failures=[f"{MANIFEST_FILE}: not valid JSON ({e})"])
    if canonical_json(manifest) != data:
        fail.append(f"{MANIFEST_FILE}: not in canonical form (edited after sealing)")
    if manifest.get("format") != FORMAT:
        fail.append(f"{MANIFEST_FILE}: unknown format {manifest.get('format')!r}")

    _check_signature(root, data, manifest, trusted_key_ids, fail, ok)
    listed = _check_parts(root, manifest, fail, ok)

    tsr = root / TIMESTAMP_FILE
    if tsr.is_file():
        try:
            when = check_timestamp_response(tsr.read_bytes(), data, tsa_cert=tsa_cert)
        except EvidenceError as e:
            fail.append(f"{TIMESTAMP_FILE}: {e}")
        else:
            if tsa_cert:
                ok.append(
                    f"{TIMESTAMP_FILE}: RFC 3161 token over {MANIFEST_FILE} signed by the given TSA, "
                    f"time {when.isoformat()}"
                )
            else:
                ok.append(
                    f"{TIMESTAMP_FILE}: token covers {MANIFEST_FILE} (time {when.isoformat()}); "
                    "TSA not authenticated: pass the TSA certificate to check who signed it"
                )
    elif (manifest.get("timestamp") or {}).get("requested"):
        ok.append(f"{TIMESTAMP_FILE}: a timestamp was requested but none is present (see custody.jsonl)")

    try:
        bundle_key = load_public_key_pem((root / PUBLIC_KEY_FILE).read_bytes())
    except (OSError, EvidenceError):
        bundle_key = None  # already reported by the signature check
    custody_fail, entries = verify_custody(root, manifest_sha256=sha256_bytes(data), public_key=bundle_key)
    fail.extend(custody_fail)
    if not custody_fail:
        signed = sum(1 for e in entries if e.get("sig"))
        ok.append(f"custody.jsonl: hash chain intact ({len(entries)} entries, {signed} signed)")
    # Inspection reports are written after sealing; the signed custody line vouches for them.
    report_fail, report_ok, reports = check_reports(root, entries, sha256_bytes(data))
    fail.extend(report_fail)
    ok.extend(report_ok)

    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root).as_posix()
        if f.is_dir():
            continue
        if f.is_symlink():
            fail.append(f"{rel}: symbolic link inside the bundle")
        elif rel not in listed and rel not in SIDE_FILES and rel not in reports:
            fail.append(f"{rel}: file not listed in the manifest")
    return VerifyReport(ok=not fail, failures=fail, checks=ok, manifest=manifest)
