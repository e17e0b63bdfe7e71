"""URL and domain helpers shared by every stage: registrable domains, resource keys, canonical URLs.

tldextract runs offline on its bundled public-suffix snapshot (no fetch at start-up). ``.test``
is added as a suffix so that the sandbox's ``casino.test`` hosts behave like real registrable
domains (RFC 2606 reserves it; it never appears on the public internet).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, extra_suffixes=("test",))

TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
# Query parameters that never change what a page shows; dropped from canonical URLs.
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|_openstat|ref|ref_src|mc_cid|mc_eid)$", re.I)


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str:
    """``m.casino-x.com`` -> ``casino-x.com``; an IP or unknown suffix gives the host itself."""
    host = host.lower().strip(".").split(":")[0]
    ext = _EXTRACT(host)
    top = ext.top_domain_under_public_suffix
    return top or host


@lru_cache(maxsize=65536)
def public_suffix(host: str) -> str:
    """The host's public suffix (``kz``, ``co.uk``) when it has a registrable name under one, else ""."""
    ext = _EXTRACT(host.lower().strip("."))
    return ext.suffix if ext.suffix and ext.domain else ""


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().strip(".")


def telegram_channel(url: str) -> str | None:
    """``https://t.me/s/name/123`` -> ``name`` for Telegram web links, else None."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in TELEGRAM_HOSTS:
        return None
    segs = [s for s in parts.path.split("/") if s]
    if segs and segs[0] == "s":
        segs = segs[1:]
    if not segs or segs[0] in {"joinchat", "addstickers", "share", "proxy", "iv"} or segs[0].startswith("+"):
        return None
    name = segs[0]
    return name.lower() if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name) else None


def resource_key(url: str) -> str:
    """The unit that gets blocked: ``t.me/NAME`` for a channel, else the registrable domain."""
    channel = telegram_channel(url)
    if channel:
        return f"t.me/{channel}"
    return registrable_domain(host_of(url))


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters, sort the query."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().strip(".")
    port = parts.port
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k))
    )
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))
