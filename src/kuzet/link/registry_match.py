"""Matching URLs, channels and server IPs against registry entries with dictionary lookups.

Semantics (chosen to follow how blocking decisions are applied):

* a ``url`` (or ``account``) entry matches the same URL and every deeper path under it,
  whatever the scheme, default port, ``www.`` or trailing slash; when the entry has a query,
  the candidate must carry the same parameters (more are allowed: pagination of a blocked topic);
* a ``domain`` entry matches that host and its ``www.`` form, not other subdomains;
* a ``subdomains`` entry (``*.example.com``) matches the domain and every subdomain;
* a ``channel`` entry ``t.me/NAME`` matches the channel, its posts and its ``t.me/s/NAME`` preview;
* ``ip`` entries (addresses or networks) are matched only through :meth:`RegistryMatcher.match_ip`,
  because shared hosting and CDNs put unrelated sites on the same address.

Each lookup costs a handful of dictionary probes (one per path segment and host label), so
the matcher stays fast with millions of entries.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from kuzet.records import RegistryEntry
from kuzet.urls import TELEGRAM_HOSTS

MAX_SEGMENTS = 64
MAX_LABELS = 32
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def normalise_host(host: str) -> str:
    """Lower case, no trailing dot, IDN in punycode, no leading ``www.``."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("*."):
        host = host[2:]
    if not host.isascii():
        # An invalid IDN keeps its Unicode form; it still matches itself.
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    if host.startswith("www."):
        host = host[4:]
    return host


_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*")
_CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{3,31}")
_CHANNEL_SKIP = {"joinchat", "addstickers", "share", "proxy", "iv", "s"}


def _split_url(text: str) -> tuple[str, str, str] | None:
    """(host[:port], normalised path without trailing slash, raw query) or None.

    Telegram hosts become ``t.me`` with the ``/s/`` preview prefix removed and the channel
    name lower-cased, so that every form of a channel or post link compares equal.
    """
    text = text.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = normalise_host(parts.hostname or "")
    if not host:
        return None
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path
    if not _PLAIN_PATH.fullmatch(path):  # percent-encoded or raw Unicode: one canonical form
        path = quote(unquote(path), safe=_PATH_SAFE)
    path = path.rstrip("/")
    if host in TELEGRAM_HOSTS:
        host = "t.me"
        segs = path.split("/")
        if len(segs) > 2 and segs[1] == "s":
            del segs[1]
        if len(segs) > 1:
            segs[1] = segs[1].lstrip("@").lower()
        path = "/".join(segs)
    return host, path, parts.query


def _query_pairs(query: str) -> frozenset[tuple[str, str]]:
    return frozenset(parse_qsl(query, keep_blank_values=True)) if query else frozenset()


def _channel_from_split(split: tuple[str, str, str] | None) -> str | None:
    """The channel name of a t.me link (``t.me/NAME`` or ``t.me/NAME/123``), else None."""
    if split is None or split[0] != "t.me":
        return None
    segs = split[1].split("/")
    name = segs[1] if len(segs) > 1 else ""
    return name if name not in _CHANNEL_SKIP and _CHANNEL_NAME.fullmatch(name) else None


def _channel_of(text: str) -> str | None:
    return _channel_from_split(_split_url(text))


def normalise_resource(resource: str, kind: str) -> str:
    """The comparable form of a registry resource, used for entry keys."""
    if kind == "ip":
        try:
            return str(ipaddress.ip_network(resource.strip(), strict=False))
        except ValueError:
            return resource.strip().lower()
    if kind == "channel":
        name = _channel_of(resource)
        return f"t.me/{name}" if name else resource.strip().lower()
    if kind in ("domain", "subdomains"):
        return ("*." if kind == "subdomains" else "") + normalise_host(resource)
    split = _split_url(resource)
    if split is None:
        return resource.strip()
    host, path, query = split
    q = "&".join(f"{k}={v}" for k, v in sorted(_query_pairs(query)))
    return f"{host}{path}" + (f"?{q}" if q else "")


class RegistryMatcher:
    """An in-memory index of registry entries for fast lookups by URL, host, channel or IP."""

    def __init__(self, entries: Iterable[RegistryEntry]) -> None:
        self._paths: dict[tuple[str, str], list[tuple[frozenset[tuple[str, str]], RegistryEntry]]] = defaultdict(list)
        self._domains: dict[str, list[RegistryEntry]] = defaultdict(list)
        self._subdomains: dict[str, list[RegistryEntry]] = defaultdict(list)
        self._channels: dict[str, list[RegistryEntry]] = defaultdict(list)
        self._ips: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, list[RegistryEntry]] = defaultdict(list)
        # prefix length -> network -> entries; a lookup masks the address once per length present.
        self._nets: dict[int, dict[ipaddress.IPv4Network | ipaddress.IPv6Network, list[RegistryEntry]]] = {}
        self.size = 0
        self.skipped = 0
        for entry in entries:
            self.add(entry)

    def add(self, entry: RegistryEntry) -> None:
        if self._index(entry):
            self.size += 1
        else:
            self.skipped += 1

    def _index(self, entry: RegistryEntry) -> bool:
        kind = entry.kind
        if kind == "ip":
            return self._index_ip(entry)
        if kind in ("domain", "subdomains"):
            host = normalise_host(entry.resource)
            if host:
                (self._domains if kind == "domain" else self._subdomains)[host].append(entry)
            return bool(host)
        split = _split_url(entry.resource)
        if split is None:
            return False
        host, path, query = split
        channel = _channel_from_split(split)
        # A channel entry, or a URL naming a channel itself (not one post), covers the whole channel.
        if channel and (kind == "channel" or path.count("/") == 1):
            self._channels[channel].append(entry)
            return True
        if kind == "channel":
            return False
        self._paths[(host, path)].append((_query_pairs(query), entry))
        return True

    def _index_ip(self, entry: RegistryEntry) -> bool:
        try:
            if "/" in entry.resource:
                net = ipaddress.ip_network(entry.resource.strip(), strict=False)
                self._nets.setdefault(net.prefixlen + (0 if net.version == 4 else 1000), {}).setdefault(net, []).append(
                    entry
                )
            else:
                self._ips[ipaddress.ip_address(entry.resource.strip())].append(entry)
        except ValueError:
            return False
        return True

    def __len__(self) -> int:
        return self.size

    def match(self, url_or_resource: str) -> list[RegistryEntry]:
        """Entries that cover a URL, a bare host or ``t.me/NAME``; most specific first."""
        split = _split_url(url_or_resource)
        if split is None:
            return []
        found: list[RegistryEntry] = []
        channel = _channel_from_split(split)
        if channel:
            found.extend(self._channels.get(channel, ()))
        host, path, raw_query = split
        query: frozenset[tuple[str, str]] | None = None
        segs = path.split("/")[: MAX_SEGMENTS + 1]
        for depth in range(len(segs), 0, -1):
            for want, entry in self._paths.get((host, "/".join(segs[:depth])), ()):
                if want:
                    query = _query_pairs(raw_query) if query is None else query
                    if not want <= query:
                        continue
                found.append(entry)
        bare = host.split(":")[0]
        found.extend(self._domains.get(bare, ()))
        labels = bare.split(".")
        for i in range(min(len(labels), MAX_LABELS)):
            found.extend(self._subdomains.get(".".join(labels[i:]), ()))
        unique: dict[int, RegistryEntry] = {}
        for entry in found:
            unique.setdefault(id(entry), entry)
        return list(unique.values())

    def match_ip(self, ip: str) -> list[RegistryEntry]:
        """Entries for a server address (exact address or a network containing it)."""
        try:
            addr = ipaddress.ip_address(ip.strip().strip("[]"))
        except ValueError:
            return []
        found = list(self._ips.get(addr, ()))
        for key, nets in self._nets.items():
            if (key >= 1000) != (addr.version == 6):
                continue
            prefix = key - 1000 if key >= 1000 else key
            net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
            found.extend(nets.get(net, ()))
        return found
