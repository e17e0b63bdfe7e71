"""WACZ 1.1.1 package of one capture, written by hand so its bytes depend only on the capture.

Layout (ZIP, entries stored uncompressed so replay tools can seek into the WARC):

    archive/data.warc.gz         the capture's traffic.warc.gz, byte for byte
    indexes/index.cdx            CDXJ index of the WARC (cdxj_indexer, sorted)
    pages/pages.jsonl            the captured page (url, ts, title)
    datapackage.json             every file above with "sha256:<hex>" and size
    datapackage-digest.json      sha256 of datapackage.json

The WACZ's own SHA-256 is in the signed manifest, which is what vouches for it; the optional
WACZ-level signature (a signing server) is not used.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer

WACZ_VERSION = "1.1.1"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def cdxj_index(warc_path: Path) -> bytes:
    out = io.StringIO()
    with open(warc_path, "rb") as f:
        indexer = CDXJIndexer(out, [f], sort=True, post_append=True, filename="data.warc.gz")
        indexer.process_all()
    return out.getvalue().encode("utf-8")


def _entry(zf: zipfile.ZipFile, name: str, data: bytes) -> dict[str, object]:
    info = zipfile.ZipInfo(name, _FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED
    zf.writestr(info, data)
    return {
        "name": name.rsplit("/", 1)[-1],
        "path": name,
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }


def build_wacz(
    warc_path: Path,
    out_path: Path,
    *,
    pages: Sequence[tuple[str, str]],
    page_ts: datetime,
    software: str,
) -> None:
    """``pages``: (url, title) of each captured page, the main page first."""
    warc = warc_path.read_bytes()
    ts = page_ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page_url = pages[0][0]
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    for url, title in pages:
        entry = {"id": hashlib.sha256(url.encode()).hexdigest()[:16], "url": url, "ts": ts, "title": title[:500]}
        lines.append(json.dumps(entry, ensure_ascii=False))
    pages_bytes = ("\n".join(lines) + "\n").encode("utf-8")
    with zipfile.ZipFile(out_path, "w", zipfile.ZIP_STORED) as zf:
        resources = [
            _entry(zf, "archive/data.warc.gz", warc),
            _entry(zf, "indexes/index.cdx", cdxj_index(warc_path)),
            _entry(zf, "pages/pages.jsonl", pages_bytes),
        ]
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": f"kuzet capture of {page_url}"[:500],
            "created": ts,
            "modified": ts,
            "mainPageUrl": page_url,
            "mainPageDate": ts,
            "software": software,
            "resources": resources,
        }
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        _entry(zf, "datapackage.json", package_bytes)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        _entry(zf, "datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8"))
