"""Seal a capture directory: SHA256SUMS, canonical manifest.json, Ed25519 signature, optional
RFC 3161 token, public key copy and the first custody entries.

Order matters and is what a verifier replays: every part file is hashed into ``SHA256SUMS``
and the manifest's ``parts``; the manifest's canonical bytes are written to ``manifest.json``
as they are (so the signature and the timestamp cover the file byte for byte); then
``manifest.sig`` and ``manifest.tsr`` are made over those bytes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kuzet.evidence.canonical import canonical_json, sha256_bytes, sha256_file
from kuzet.evidence.custody import append_custody
from kuzet.evidence.signing import Signer
from kuzet.evidence.timestamp import request_timestamp
from kuzet.records import CapturePart

FORMAT = "kuzet-evidence/1"
MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig"
TIMESTAMP_FILE = "manifest.tsr"
PUBLIC_KEY_FILE = "public_key.pem"
SUMS_FILE = "SHA256SUMS"
# Files a bundle holds besides its parts; each is checked on its own by verify_bundle.
SIDE_FILES = frozenset({MANIFEST_FILE, SIGNATURE_FILE, TIMESTAMP_FILE, PUBLIC_KEY_FILE, "custody.jsonl"})


@dataclass(slots=True)
class SealResult:
    manifest: dict[str, Any]
    manifest_bytes: bytes
    manifest_sha256: str
    timestamp_part: CapturePart | None = None
    parts: list[CapturePart] = field(default_factory=list)


def part_from_file(bundle_dir: Path, name: str, rel: str, media_type: str) -> CapturePart:
    digest, size = sha256_file(bundle_dir / rel)
    return CapturePart(name=name, status="ok", path=rel, sha256=digest, size=size, media_type=media_type)


def part_record(p: CapturePart) -> dict[str, Any]:
    return {
        "name": p.name,
        "path": p.path,
        "sha256": p.sha256,
        "size": p.size,
        "media_type": p.media_type,
        "status": p.status,
        "error": p.error,
    }


def write_sums(bundle_dir: Path, parts: list[CapturePart]) -> CapturePart:
    """``sha256sum -c SHA256SUMS`` format: "<hex>  <path>" per line, sorted by path."""
    lines = sorted(f"{p.sha256}  {p.path}\n" for p in parts if p.status == "ok" and p.path)
    (bundle_dir / SUMS_FILE).write_text("".join(lines), encoding="utf-8")
    return part_from_file(bundle_dir, "sha256sums", SUMS_FILE, "text/plain")


def seal_bundle(
    bundle_dir: Path,
    *,
    parts: list[CapturePart],
    meta: dict[str, Any],
    signer: Signer,
    started: datetime,
    ended: datetime,
    tsa_url: str | None = None,
    tsa_cert: Path | None = None,
    bundle_id: str | None = None,
) -> SealResult:
    """``meta`` holds the capture facts (url, final_url, page_kind, network, options, versions...)."""
    bundle_dir = Path(bundle_dir)
    all_parts = [*parts, write_sums(bundle_dir, parts)]
    manifest: dict[str, Any] = {
        **meta,
        "format": FORMAT,
        "bundle_id": bundle_id or str(uuid.uuid4()),
        "captured_at": {"start": started.isoformat(), "end": ended.isoformat()},
        "parts": [part_record(p) for p in all_parts],
        "signer": {"algorithm": "Ed25519", "key_id": signer.key_id, "public_key_file": PUBLIC_KEY_FILE},
        "timestamp": {"requested": bool(tsa_url), "tsa_url": tsa_url, "file": TIMESTAMP_FILE if tsa_url else None},
    }
    data = canonical_json(manifest)
    (bundle_dir / MANIFEST_FILE).write_bytes(data)
    (bundle_dir / SIGNATURE_FILE).write_bytes(signer.sign(data))
    (bundle_dir / PUBLIC_KEY_FILE).write_bytes(signer.public_key_pem())
    digest = sha256_bytes(data)
    ts_part: CapturePart | None = None
    ts_detail: dict[str, Any] = {}
    if tsa_url:
        try:
            result = request_timestamp(data, tsa_url, tsa_cert=tsa_cert)
        except Exception as e:  # a TSA outage must not lose the capture; it is recorded instead
            ts_part = CapturePart(
                name="timestamp", status="failed", error=str(e)[:500], media_type="application/timestamp-reply"
            )
            ts_detail = {"timestamp": "failed", "timestamp_error": str(e)[:500]}
        else:
            (bundle_dir / TIMESTAMP_FILE).write_bytes(result.response_der)
            tsr_sha, tsr_size = sha256_file(bundle_dir / TIMESTAMP_FILE)
            ts_part = CapturePart(
                name="timestamp",
                status="ok",
                path=TIMESTAMP_FILE,
                sha256=tsr_sha,
                size=tsr_size,
                media_type="application/timestamp-reply",
            )
            ts_detail = {
                "timestamp": "ok",
                "timestamp_gen_time": result.gen_time.isoformat(),
                "timestamp_sha256": tsr_sha,
            }
    append_custody(
        bundle_dir,
        "captured",
        at=started,
        detail={"url": meta.get("url"), "bundle_id": manifest["bundle_id"], "ended": ended.isoformat()},
        signer=signer,
    )
    append_custody(
        bundle_dir,
        "sealed",
        detail={"manifest_sha256": digest, "key_id": signer.key_id, **ts_detail},
        signer=signer,
    )
    return SealResult(
        manifest=manifest, manifest_bytes=data, manifest_sha256=digest, timestamp_part=ts_part, parts=all_parts
    )
