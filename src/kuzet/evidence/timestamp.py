"""RFC 3161 trusted timestamps over the canonical manifest bytes.

``manifest.tsr`` holds the whole DER ``TimeStampResp`` (status + token) exactly as the TSA sent
it, so ``openssl ts -verify -data manifest.json -in manifest.tsr -CAfile tsa.crt`` works on the
file as-is. The request asks for SHA-256, a random nonce and the TSA certificate in the token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import rfc3161ng
from pyasn1.codec.der import decoder, encoder

from kuzet.errors import EvidenceError

HASHNAME = "sha256"


@dataclass(slots=True)
class TimestampResult:
    response_der: bytes
    gen_time: datetime
    tsa_url: str


def request_timestamp(
    data: bytes, tsa_url: str, *, tsa_cert: Path | None = None, timeout: float = 10.0
) -> TimestampResult:
    """Ask ``tsa_url`` for a token over ``data``; checks the answer (against ``tsa_cert`` when given)."""
    certificate = Path(tsa_cert).read_bytes() if tsa_cert else None
    nonce = secrets.randbits(63)
    stamper = rfc3161ng.RemoteTimestamper(
        tsa_url, certificate=certificate, hashname=HASHNAME, include_tsa_certificate=True, timeout=timeout
    )
    try:
        tsr = stamper(data=data, nonce=nonce, return_tsr=True)
    except Exception as e:  # rfc3161ng raises TimestampingError, ValueError or pyasn1 errors
        raise EvidenceError(f"timestamp request to {tsa_url} failed: {e}") from e
    status = int(tsr["status"]["status"])
    if status not in (0, 1):  # granted, grantedWithMods
        raise EvidenceError(f"TSA {tsa_url} refused the request (PKIStatus {status})")
    token = tsr.time_stamp_token
    if int(token.tst_info["nonce"]) != nonce:
        raise EvidenceError(f"TSA {tsa_url} answered with a different nonce")
    return TimestampResult(
        response_der=encoder.encode(tsr), gen_time=rfc3161ng.get_timestamp(token, naive=False), tsa_url=tsa_url
    )


def check_timestamp_response(response_der: bytes, data: bytes, *, tsa_cert: Path | None) -> datetime:
    """Return the token's time if it covers ``data`` and (with ``tsa_cert``) is signed by that TSA.

    Without a TSA certificate only the message imprint is checked, against the certificate the
    token carries; the caller must report that the TSA itself was not authenticated.
    """
    try:
        tsr, rest = decoder.decode(response_der, asn1Spec=rfc3161ng.TimeStampResp())
    except Exception as e:
        raise EvidenceError(f"not a DER TimeStampResp: {e}") from e
    if rest:
        raise EvidenceError("extra bytes after the TimeStampResp")
    if int(tsr["status"]["status"]) not in (0, 1):
        raise EvidenceError("timestamp response status is not 'granted'")
    token = tsr.time_stamp_token
    certificate = Path(tsa_cert).read_bytes() if tsa_cert else b""
    try:
        rfc3161ng.check_timestamp(token, certificate=certificate, data=data, hashname=HASHNAME)
    except Exception as e:
        raise EvidenceError(f"timestamp token does not verify: {e}") from e
    return rfc3161ng.get_timestamp(token, naive=False)
