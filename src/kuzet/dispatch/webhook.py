"""Delivery by HTTP webhook: a JSON payload (case, route, legal basis, resources, documents and
evidence hashes) POSTed to the operator's endpoint, signed with HMAC-SHA256.

Signature: ``X-Kuzet-Signature: sha256=<hex>`` where hex is
``HMAC-SHA256(KUZET_WEBHOOK_SECRET, "<X-Kuzet-Timestamp>." + body)`` over the exact body bytes.
The receiver recomputes it and rejects old timestamps, so a captured request cannot be replayed
later. ``X-Kuzet-Delivery`` is the same on every retry of one dispatch: the receiver's
idempotency key. ``verify_signature`` is the receiver's side, used by the tests.

The connection follows kuzet's fetcher rules (``kuzet.fetch.backend``): the host is resolved
once and connected to by the vetted address, cloud metadata addresses are refused, every socket
wait is clamped to one deadline, redirects are not followed and the answer is read up to a bound.
The endpoint is the operator's own configuration, not crawled content, so private addresses are
allowed for it explicitly. Production requires https.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import replace
from urllib.parse import urlsplit

import httpx

from kuzet.dispatch.records import CasePackage, Delivery, DispatchError
from kuzet.errors import BlockedAddress, FetchError
from kuzet.evidence.canonical import canonical_json
from kuzet.fetch.backend import GuardedTransport, fetch_scope
from kuzet.fetch.guard import AddressGuard
from kuzet.settings import Settings

SIGNATURE_HEADER = "X-Kuzet-Signature"
TIMESTAMP_HEADER = "X-Kuzet-Timestamp"
DELIVERY_HEADER = "X-Kuzet-Delivery"
# Transient answers worth another try; every other 4xx will fail the same way again.
RETRY_STATUSES = {408, 429}
RECEIPT_KEYS = ("receipt_id", "receipt", "id", "reference")
_UNSAFE = re.compile(r"[^\w.:/#@+-]+")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str, body: bytes, timestamp: str, signature: str, *, max_age_s: float = 300, now: float | None = None
) -> bool:
    """The receiver's check: the signature matches and the timestamp is recent."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= max_age_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


def payload(pkg: CasePackage, delivery_id: str) -> bytes:
    return canonical_json({**pkg.manifest, "delivery": delivery_id, "manifest_sha256": pkg.manifest_sha256})


def delivery_id(pkg: CasePackage, dispatch_id: int) -> str:
    return f"kuzet-case-{pkg.case_id}-d{dispatch_id}-{pkg.manifest_sha256[:16]}"


def check_url(url: str, settings: Settings) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DispatchError(f"not an http(s) URL: {url!r}", retryable=False, target=url)
    if parts.scheme != "https" and not settings.development:
        raise DispatchError("the webhook must use https outside development mode", retryable=False, target=url)
    if parts.username or parts.password:
        raise DispatchError("put no credentials in the webhook URL; it is signed instead", retryable=False, target=url)
    return url


def _receipt(response: httpx.Response, body: bytes) -> str:
    found = response.headers.get("X-Receipt-Id", "")
    if not found:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            found = next((str(data[k]) for k in RECEIPT_KEYS if isinstance(data.get(k), str | int)), "")
    # The receipt comes from a remote server: keep it short and printable.
    found = _UNSAFE.sub("", found)[:200]
    return found or f"http-{response.status_code}"


def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    out = bytearray()
    for chunk in response.iter_raw():
        out += chunk
        if len(out) > limit:
            break  # enough to find a receipt; the rest is not read
    return bytes(out[:limit])


def send_webhook(pkg: CasePackage, settings: Settings, url: str, dispatch_id: int) -> Delivery:
    """POST the signed payload; the reference is the receipt id from the answer."""
    check_url(url, settings)
    secret = settings.webhook_secret.get_secret_value()
    if not secret:
        raise DispatchError("KUZET_WEBHOOK_SECRET is not set: kuzet sends no unsigned webhook", retryable=False)
    did = delivery_id(pkg, dispatch_id)
    body = payload(pkg, did)
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": settings.user_agent,
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, ts, body),
        DELIVERY_HEADER: did,
    }
    guard = replace(AddressGuard.from_settings(settings), allow_private=True)
    timeout = httpx.Timeout(settings.webhook_timeout)
    deadline = time.monotonic() + settings.webhook_timeout
    try:
        with (
            httpx.Client(transport=GuardedTransport(guard), timeout=timeout, follow_redirects=False) as client,
            fetch_scope(url, deadline),
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            answer = _read_bounded(response, settings.webhook_max_response_bytes)
    except BlockedAddress as e:
        raise DispatchError(str(e), retryable=False, target=url) from e
    except FetchError as e:  # DNS failure or stall: may pass
        raise DispatchError(str(e), retryable=True, target=url) from e
    except httpx.HTTPError as e:
        raise DispatchError(f"webhook unreachable: {type(e).__name__}: {e}", retryable=True, target=url) from e
    status = response.status_code
    if 200 <= status < 300:
        return Delivery(reference=_receipt(response, answer), detail={"status": status, "delivery": did})
    snippet = _UNSAFE.sub(" ", answer[:200].decode("utf-8", "replace")).strip()
    retryable = status >= 500 or status in RETRY_STATUSES
    raise DispatchError(f"webhook answered HTTP {status}: {snippet}", retryable=retryable, target=url)
