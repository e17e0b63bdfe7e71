"""Chain-of-custody log of a bundle: ``custody.jsonl``, one canonical JSON object per line.

The log grows after sealing (exported, viewed, handed over), so it cannot sit inside the signed
manifest. Instead each line carries ``prev``, the SHA-256 of the previous line's bytes (without
its newline; 64 zeros for the first line), and the ``sealed`` line carries the manifest's SHA-256.
Editing, reordering or deleting any line in the middle breaks the chain. The last line has no
successor to vouch for it, so every line is also signed with the bundle's key (``key_id`` +
``sig``: Ed25519 over the line's canonical bytes without ``sig``), which catches an edit of the
last line too; an unsigned line fails verification.
Cutting lines off the end cannot be detected from the log alone, which is why hand-overs are
logged elsewhere as well (the store's audit log does that).
"""

from __future__ import annotations

import base64
import fcntl
import getpass
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kuzet.evidence.canonical import canonical_json, sha256_bytes
from kuzet.evidence.signing import Signer, key_id_of, verify_signature

CUSTODY_FILE = "custody.jsonl"
GENESIS = "0" * 64
ACTIONS = ("captured", "sealed", "report_written", "exported", "viewed", "transferred", "verified")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers running as a bare uid)
        return f"uid:{os.getuid()}"


def append_custody(
    bundle_dir: Path,
    action: str,
    *,
    actor: str | None = None,
    detail: dict[str, Any] | None = None,
    signer: Signer,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Append one entry, signed with ``signer`` (under an exclusive lock so concurrent writers
    cannot fork the chain). Use the same key that sealed the bundle: verification requires it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown custody action {action!r}; expected one of {ACTIONS}")
    path = Path(bundle_dir) / CUSTODY_FILE
    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            f.seek(0)
            lines = [ln for ln in f.read().split(b"\n") if ln]
            prev = sha256_bytes(lines[-1]) if lines else GENESIS
            entry: dict[str, Any] = {
                "seq": len(lines),
                "at": (at or datetime.now(UTC)).astimezone(UTC).isoformat(),
                "action": action,
                "actor": actor or f"kuzet:{_os_user()}",
                "os_user": _os_user(),
                "host": socket.gethostname(),
                "detail": detail or {},
                "prev": prev,
            }
            entry["key_id"] = signer.key_id
            entry["sig"] = base64.b64encode(signer.sign(canonical_json(entry))).decode("ascii")
            f.seek(0, os.SEEK_END)
            f.write(canonical_json(entry) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    return entry


def _check_line_signature(entry: dict[str, Any], public_key: Ed25519PublicKey | None, key_id: str | None) -> str | None:
    if public_key is None:
        return None
    sig = entry.get("sig")
    if sig is None:
        return "is not signed"
    if entry.get("key_id") != key_id:
        return f"is signed by key {entry.get('key_id')!r}, not the bundle's key {key_id}"
    body = {k: v for k, v in entry.items() if k != "sig"}
    try:
        raw = base64.b64decode(str(sig), validate=True)
    except ValueError:
        return "signature is not base64"
    return None if verify_signature(public_key, raw, canonical_json(body)) else "signature does not verify"


def verify_custody(
    bundle_dir: Path,
    *,
    manifest_sha256: str | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Failures found in the chain (empty when intact) and the parsed entries.

    With ``public_key`` (the bundle's), lines signed by that key must carry a valid signature.
    """
    key_id = key_id_of(public_key) if public_key is not None else None
    path = Path(bundle_dir) / CUSTODY_FILE
    if not path.is_file():
        return [f"{CUSTODY_FILE}: missing"], []
    failures: list[str] = []
    entries: list[dict[str, Any]] = []
    prev = GENESIS
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        failures.append(f"{CUSTODY_FILE}: last line is not terminated (truncated or appended by hand)")
    for i, line in enumerate(raw.split(b"\n")):
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            failures.append(f"{CUSTODY_FILE}: line {i + 1} is not JSON")
            prev = sha256_bytes(line)
            continue
        if not isinstance(entry, dict):
            failures.append(f"{CUSTODY_FILE}: line {i + 1} is not an object")
            prev = sha256_bytes(line)
            continue
        if canonical_json(entry) != line:
            failures.append(f"{CUSTODY_FILE}: line {i + 1} is not in canonical form (edited)")
        if entry.get("prev") != prev:
            failures.append(f"{CUSTODY_FILE}: line {i + 1} breaks the hash chain (prev does not match line {i})")
        bad_sig = _check_line_signature(entry, public_key, key_id)
        if bad_sig:
            failures.append(f"{CUSTODY_FILE}: line {i + 1} {bad_sig} (edited)")
        if entry.get("seq") != len(entries):
            failures.append(f"{CUSTODY_FILE}: line {i + 1} has seq {entry.get('seq')!r}, expected {len(entries)}")
        entries.append(entry)
        prev = sha256_bytes(line)
    actions = [e.get("action") for e in entries]
    if "sealed" not in actions:
        failures.append(f"{CUSTODY_FILE}: no 'sealed' entry")
    elif manifest_sha256 is not None:
        sealed = next(e for e in entries if e.get("action") == "sealed")
        if (sealed.get("detail") or {}).get("manifest_sha256") != manifest_sha256:
            failures.append(f"{CUSTODY_FILE}: 'sealed' entry names a different manifest hash")
    return failures, entries
