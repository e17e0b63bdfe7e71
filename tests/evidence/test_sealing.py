"""Sealing and verification without a browser: signature, hashes, custody chain, TSA, and the
by-hand checks with sha256sum and openssl that docs/evidence-format.md promises."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kuzet.errors import EvidenceError
from kuzet.evidence.canonical import canonical_json
from kuzet.evidence.custody import append_custody, verify_custody
from kuzet.evidence.seal import part_from_file, seal_bundle
from kuzet.evidence.signing import PRIVATE_KEY_FILE, Signer
from kuzet.evidence.verify import verify_bundle


def make_bundle(root: Path, signer: Signer, *, tsa_url: str | None = None, tsa_cert: Path | None = None) -> Path:
    root.mkdir(parents=True)
    (root / "screenshot.png").write_bytes(b"\x89PNG fake screenshot bytes" * 10)
    (root / "text.txt").write_text("Казино Вулкан: бонус 200%", encoding="utf-8")
    (root / "dom.html").write_text("<html><body>Казино</body></html>", encoding="utf-8")
    parts = [
        part_from_file(root, "screenshot", "screenshot.png", "image/png"),
        part_from_file(root, "text", "text.txt", "text/plain; charset=utf-8"),
        part_from_file(root, "dom", "dom.html", "text/html"),
    ]
    now = datetime.now(UTC)
    seal_bundle(
        root,
        parts=parts,
        meta={"url": "http://casino.test/", "page_kind": "content"},
        signer=signer,
        started=now,
        ended=now,
        tsa_url=tsa_url,
        tsa_cert=tsa_cert,
    )
    return root


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer.load_or_create(tmp_path / "keys")


def test_key_created_private_and_stable(tmp_path: Path) -> None:
    s1 = Signer.load_or_create(tmp_path / "keys")
    key = tmp_path / "keys" / PRIVATE_KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600
    s2 = Signer.load_or_create(tmp_path / "keys")
    assert s1.key_id == s2.key_id and len(s1.key_id) == 16
    assert s2.public_key_pem().startswith(b"-----BEGIN PUBLIC KEY-----")
    key.chmod(0o644)
    with pytest.raises(EvidenceError, match="permissions"):
        Signer.load_or_create(tmp_path / "keys")


def test_sealed_bundle_verifies_and_manifest_is_canonical(tmp_path: Path, signer: Signer) -> None:
    b = make_bundle(tmp_path / "b", signer)
    data = (b / "manifest.json").read_bytes()
    assert canonical_json(json.loads(data)) == data
    report = verify_bundle(b, trusted_key_ids={signer.key_id})
    assert report.ok, report.failures
    assert any("manifest.sig" in c for c in report.checks)
    other = Signer.generate()
    report = verify_bundle(b, trusted_key_ids={other.key_id})
    assert not report.ok and any("not among the trusted keys" in f for f in report.failures)


def test_every_single_byte_flip_is_named(tmp_path: Path, signer: Signer) -> None:
    b = make_bundle(tmp_path / "b", signer)
    for f in sorted(p for p in b.iterdir() if p.is_file()):
        copy = tmp_path / f"copy-{f.name}"
        shutil.copytree(b, copy)
        target = copy / f.name
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        report = verify_bundle(copy)
        assert not report.ok, f.name
        assert any(f.name in msg for msg in report.failures), (f.name, report.failures)


def test_manifest_edits_and_extra_files_fail(tmp_path: Path, signer: Signer) -> None:
    b = make_bundle(tmp_path / "b", signer)
    m = json.loads((b / "manifest.json").read_bytes())
    m["url"] = "http://innocent.test/"
    (b / "manifest.json").write_bytes(canonical_json(m))
    report = verify_bundle(b)
    assert any(f.startswith("manifest.sig") for f in report.failures)
    (b / "manifest.json").write_bytes(json.dumps(m, indent=2).encode())
    assert any("canonical" in f for f in verify_bundle(b).failures)

    b2 = make_bundle(tmp_path / "b2", signer)
    (b2 / "extra.exe").write_bytes(b"MZ")
    assert any(f.startswith("extra.exe") for f in verify_bundle(b2).failures)
    (b2 / "extra.exe").unlink()
    (b2 / "text.txt").unlink()
    assert any(f.startswith("text.txt") and "missing" in f for f in verify_bundle(b2).failures)


def test_custody_chain_detects_edits(tmp_path: Path, signer: Signer) -> None:
    b = make_bundle(tmp_path / "b", signer)
    append_custody(b, "exported", actor="analyst:alice", detail={"to": "prosecutor"}, signer=signer)
    append_custody(b, "viewed", actor="auditor:bob", signer=signer)
    failures, entries = verify_custody(b, public_key=signer.public_key)
    assert failures == [] and [e["action"] for e in entries] == ["captured", "sealed", "exported", "viewed"]
    assert verify_bundle(b).ok
    lines = (b / "custody.jsonl").read_bytes().splitlines(keepends=True)
    edited = json.loads(lines[2])
    edited["actor"] = "analyst:mallory"
    (b / "custody.jsonl").write_bytes(lines[0] + lines[1] + canonical_json(edited) + b"\n" + lines[3])
    failures, _ = verify_custody(b)
    assert any("line 4 breaks the hash chain" in f for f in failures)
    (b / "custody.jsonl").write_bytes(lines[0] + lines[1] + lines[3])  # a line deleted
    assert any("hash chain" in f for f in verify_bundle(b).failures)
    with pytest.raises(ValueError):
        append_custody(b, "deleted", signer=signer)


def test_by_hand_with_sha256sum_and_openssl(tmp_path: Path, signer: Signer) -> None:
    if not shutil.which("openssl") or not shutil.which("sha256sum"):
        pytest.skip("openssl / sha256sum not installed")
    b = make_bundle(tmp_path / "b", signer)
    r = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=b, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "public_key.pem",
            "-rawin",
            "-in",
            "manifest.json",
            "-sigfile",
            "manifest.sig",
        ],
        cwd=b,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "Signature Verified Successfully" in r.stdout, r.stdout + r.stderr
    # The key id by hand: last 32 bytes of the DER public key, SHA-256, first 16 hex digits.
    r = subprocess.run(
        "openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum | cut -c1-16",
        shell=True,
        cwd=b,
        capture_output=True,
        text=True,
    )
    assert r.stdout.strip() == signer.key_id
    m = b / "manifest.json"
    m.write_bytes(m.read_bytes().replace(b"casino.test", b"casino.tesx"))
    r = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "public_key.pem",
            "-rawin",
            "-in",
            "manifest.json",
            "-sigfile",
            "manifest.sig",
        ],
        cwd=b,
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0


def test_rfc3161_timestamp_with_local_tsa(tmp_path: Path, signer: Signer, tsa) -> None:  # type: ignore[no-untyped-def]
    b = make_bundle(tmp_path / "b", signer, tsa_url=tsa.url, tsa_cert=tsa.cert)
    assert (b / "manifest.tsr").is_file()
    report = verify_bundle(b, tsa_cert=tsa.cert)
    assert report.ok, report.failures
    assert any("signed by the given TSA" in c for c in report.checks)
    r = subprocess.run(
        ["openssl", "ts", "-verify", "-data", "manifest.json", "-in", "manifest.tsr", "-CAfile", str(tsa.cert)],
        cwd=b,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "Verification: OK" in r.stdout, r.stdout + r.stderr
    sealed = json.loads((b / "custody.jsonl").read_text().splitlines()[1])
    assert sealed["detail"]["timestamp"] == "ok"
    # The token belongs to this manifest and nothing else.
    m = b / "manifest.json"
    m.write_bytes(m.read_bytes().replace(b"casino.test", b"casino.tesx"))
    assert any(f.startswith("manifest.tsr") for f in verify_bundle(b, tsa_cert=tsa.cert).failures)


def test_unreachable_tsa_is_a_recorded_failed_part(tmp_path: Path, signer: Signer) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    root = tmp_path / "b"
    root.mkdir()
    (root / "text.txt").write_text("x")
    now = datetime.now(UTC)
    res = seal_bundle(
        root,
        parts=[part_from_file(root, "text", "text.txt", "text/plain")],
        meta={"url": "u"},
        signer=signer,
        started=now,
        ended=now,
        tsa_url=f"http://127.0.0.1:{port}/",
    )
    assert res.timestamp_part is not None and res.timestamp_part.status == "failed"
    assert not (root / "manifest.tsr").exists()
    report = verify_bundle(root)
    assert report.ok, report.failures


def test_custody_last_line_is_protected_by_its_signature(tmp_path: Path, signer: Signer) -> None:
    b = make_bundle(tmp_path / "b", signer)
    append_custody(b, "viewed", actor="auditor:bob", signer=signer)
    raw = (b / "custody.jsonl").read_bytes()
    last_start = raw.rstrip(b"\n").rfind(b"\n") + 1
    assert verify_bundle(b).ok
    for pos in range(last_start, len(raw) - 1, 5):
        data = bytearray(raw)
        data[pos] ^= 0x01
        (b / "custody.jsonl").write_bytes(bytes(data))
        report = verify_bundle(b)
        assert not report.ok and any(f.startswith("custody.jsonl") for f in report.failures), pos
    (b / "custody.jsonl").write_bytes(raw)
    assert verify_bundle(b).ok
    # A line appended by hand, without the key, is refused.
    entry = json.loads(raw.splitlines()[-1])
    entry.update(seq=3, prev=hashlib.sha256(raw.splitlines()[-1]).hexdigest(), action="viewed")
    del entry["sig"]
    (b / "custody.jsonl").write_bytes(raw + canonical_json(entry) + b"\n")
    assert any("line 4 is not signed" in f for f in verify_bundle(b).failures)


DOC = Path(__file__).resolve().parents[2] / "docs" / "evidence-format.md"


def _doc_block(step: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    i = text.index(f"**Step {step}.")
    i = text.index("```sh\n", i) + len("```sh\n")
    return text[i : text.index("```\n", i)]


@pytest.mark.parametrize("step", ["1", "2", "3", "5"])
def test_documented_commands_work_on_a_bundle(tmp_path: Path, signer: Signer, step: str) -> None:
    """The by-hand verification in docs/evidence-format.md, run exactly as written."""
    if not DOC.is_file():
        pytest.skip("docs/evidence-format.md not present")
    for tool in ("bash", "openssl", "sha256sum", "jq", "python3", "comm"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    b = make_bundle(tmp_path / "b", signer)
    script = "set -e -o pipefail\n" + _doc_block(step)
    r = subprocess.run(["bash", "-c", script], cwd=b, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    if step == "2":
        # only "path: OK" lines: every hash matched and the unlisted-file check printed nothing
        assert r.stdout.count(": OK") == 8 and all(ln.endswith(": OK") for ln in r.stdout.splitlines())
    if step == "3":
        lines = r.stdout.split()
        assert "Successfully" in r.stdout and lines.count(signer.key_id) == 2
    if step == "5":
        assert "custody chain intact" in r.stdout and r.stdout.count("Signature Verified Successfully") == 2
    # Tampered bundles fail the same commands.
    if step in ("1", "3"):
        (b / "text.txt").write_text("edited")
        m = b / "manifest.json"
        m.write_bytes(m.read_bytes().replace(b"casino.test", b"casino.tesx"))
        r = subprocess.run(["bash", "-c", script], cwd=b, capture_output=True, text=True, timeout=60)
        assert r.returncode != 0
