"""HAR (recorded by Playwright) -> WARC 1.0 with request and response records.

What the browser gives back is not the raw wire bytes: header order and casing are the browser's
report, HTTP/2 pseudo-headers are dropped, and bodies are already decoded. So that the records stay
internally consistent (and replay), the original ``Content-Encoding``, ``Transfer-Encoding`` and
``Content-Length`` headers are renamed to ``X-Kuzet-Orig-*`` and a ``Content-Length`` of the
stored body is appended; each record carries ``WARC-Kuzet-Source: playwright-har`` so nobody
mistakes it for a proxy recording. WARC digests are SHA-1 (warcio); the WARC file's SHA-256 is
in the signed manifest.
"""

from __future__ import annotations

import base64
import http
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from kuzet.errors import EvidenceError

MAX_HAR_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 5000
_RENAMED = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(slots=True)
class WarcStats:
    responses: int = 0
    requests: int = 0
    skipped: int = 0
    urls: int = 0


def _warc_date(started: str | None) -> str:
    try:
        dt = datetime.fromisoformat(str(started).replace("Z", "+00:00")) if started else datetime.now(UTC)
    except ValueError:
        dt = datetime.now(UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_version(raw: str | None) -> str:
    v = (raw or "").upper()
    if v.startswith("HTTP/1."):
        return v
    # HTTP/2 and /3 have no status line; WARC readers expect an HTTP/1.x-style one.
    return "HTTP/1.1"


def _headers(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for h in items or []:
        name, value = str(h.get("name", "")), str(h.get("value", ""))
        if not name or name.startswith(":"):
            continue
        # A header value with a newline would forge headers in the record; fold it.
        out.append((name, value.replace("\r", " ").replace("\n", " ")))
    return out


def _body(content: dict[str, Any] | None) -> bytes:
    if not content:
        return b""
    text = content.get("text")
    if text is None:
        return b""
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text)
        except ValueError:
            return b""
    return str(text).encode("utf-8")


def har_to_warc(har_path: Path, warc_path: Path, *, warcinfo: dict[str, Any]) -> WarcStats:
    """Write every completed HTTP(S) exchange in the HAR as a request/response pair."""
    size = har_path.stat().st_size
    if size > MAX_HAR_BYTES:
        raise EvidenceError(f"HAR is {size} bytes, over the {MAX_HAR_BYTES} limit", path=har_path)
    try:
        har = json.loads(har_path.read_bytes())
        entries = har["log"]["entries"]
    except (ValueError, KeyError, TypeError) as e:
        raise EvidenceError(f"unreadable HAR: {e}", path=har_path) from e
    stats = WarcStats()
    seen: set[str] = set()
    with open(warc_path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        writer.write_record(writer.create_warcinfo_record(warc_path.name, warcinfo))
        for entry in entries[:MAX_ENTRIES]:
            req, resp = entry.get("request") or {}, entry.get("response") or {}
            url = str(req.get("url", ""))
            status = int(resp.get("status") or 0)
            if urlsplit(url).scheme not in ("http", "https") or status <= 0:
                stats.skipped += 1  # aborted, blocked, data:/blob: URLs: listed in network.json instead
                continue
            date = _warc_date(entry.get("startedDateTime"))
            common: dict[str, str] = {"WARC-Date": date, "WARC-Kuzet-Source": "playwright-har"}
            if entry.get("serverIPAddress"):
                common["WARC-IP-Address"] = str(entry["serverIPAddress"]).strip("[]")
            body = _body(resp.get("content"))
            rheaders: list[tuple[str, str]] = []
            for name, value in _headers(resp.get("headers") or []):
                rheaders.append((f"X-Kuzet-Orig-{name}", value) if name.lower() in _RENAMED else (name, value))
            rheaders.append(("Content-Length", str(len(body))))
            reason = str(resp.get("statusText") or "")
            if not reason:
                try:
                    reason = http.HTTPStatus(status).phrase
                except ValueError:
                    reason = "Unknown"
            version = _http_version(resp.get("httpVersion"))
            response = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=StatusAndHeaders(f"{status} {reason}", rheaders, protocol=version),
                warc_headers_dict=dict(common),
            )
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            qheaders = _headers(req.get("headers") or [])
            if not any(n.lower() == "host" for n, _ in qheaders):
                qheaders.insert(0, ("Host", parts.netloc))
            post = req.get("postData") or {}
            qbody = str(post.get("text") or "").encode("utf-8")
            qheaders = [(n, v) for n, v in qheaders if n.lower() != "content-length"]
            if qbody:
                qheaders.append(("Content-Length", str(len(qbody))))
            request = writer.create_warc_record(
                url,
                "request",
                payload=BytesIO(qbody),
                length=len(qbody),
                http_headers=StatusAndHeaders(
                    f"{str(req.get('method') or 'GET').upper()} {target} {version}", qheaders, is_http_request=True
                ),
                warc_headers_dict=dict(common),
            )
            writer.write_request_response_pair(request, response)
            stats.responses += 1
            stats.requests += 1
            seen.add(url)
    stats.urls = len(seen)
    return stats
