"""Resolve hosts once, check the addresses, and hand only vetted addresses to the connection.

Resolving here and connecting to the vetted IP (not re-resolving in the HTTP client) is what
stops DNS rebinding: a name that answers a public address to the check and 127.0.0.1 to the
connection never reaches loopback.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from kuzet.errors import BlockedAddress, FetchError

# getaddrinfo has no timeout of its own; lookups run here so a stalled resolver costs at most
# ``dns_timeout`` (the stuck thread finishes in the background).
_DNS_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kuzet-dns")

# Cloud metadata endpoints are refused in every mode, loopback allowances included.
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses (not private, loopback, link-local, CGNAT...)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class AddressGuard:
    """Decides which resolved addresses a request may connect to.

    ``allow_loopback`` opens 127.0.0.0/8 and ::1 only (development mode and tests);
    ``allow_private`` opens every non-public range except metadata addresses.
    """

    allow_loopback: bool = False
    allow_private: bool = False
    resolve_map: tuple[tuple[str, str], ...] = ()
    dns_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: object) -> AddressGuard:
        rm = getattr(settings, "resolve_map", {}) or {}
        return cls(
            allow_loopback=bool(getattr(settings, "allow_loopback", False)),
            allow_private=bool(getattr(settings, "allow_private", False)),
            resolve_map=tuple(sorted(rm.items())),
            dns_timeout=float(getattr(settings, "connect_timeout", 10.0)),
        )

    def override_for(self, host: str) -> str | None:
        host = host.lower().rstrip(".")
        for pattern, ip in self.resolve_map:
            if fnmatch.fnmatchcase(host, pattern):
                return ip
        return None

    def check_ip(self, ip_text: str, *, url: str, host: str = "") -> None:
        try:
            ip = ipaddress.ip_address(ip_text.split("%", 1)[0])
        except ValueError as e:
            raise BlockedAddress(f"{host or ip_text}: not an IP address {ip_text!r}", url=url) from e
        if ip in METADATA_ADDRESSES:
            raise BlockedAddress(f"{host or ip_text} resolves to metadata address {ip}", url=url)
        if is_public(ip) or self.allow_private:
            return
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if self.allow_loopback and (ip.is_loopback or (mapped is not None and mapped.is_loopback)):
            return
        raise BlockedAddress(
            f"{host or ip_text} resolves to non-public address {ip}; refused in production mode "
            "(set KUZET_MODE=development, or KUZET_ALLOW_PRIVATE=1 / `kuzet scan --allow-private`, "
            "to reach local test servers)",
            url=url,
        )

    def resolve(self, host: str, port: int, *, url: str) -> list[str]:
        """Vetted addresses for ``host``; raises BlockedAddress if any answer is not allowed."""
        override = self.override_for(host)
        if override is not None:
            addrs = [override]
        else:
            try:
                ipaddress.ip_address(host.strip("[]"))
                addrs = [host.strip("[]")]
            except ValueError:
                lookup = _DNS_POOL.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
                try:
                    infos = lookup.result(timeout=self.dns_timeout)
                except FutureTimeout as e:
                    raise FetchError(f"DNS lookup for {host} took over {self.dns_timeout:g}s", url=url) from e
                except (socket.gaierror, UnicodeError) as e:
                    raise FetchError(f"DNS lookup failed for {host}: {e}", url=url) from e
                addrs = list(dict.fromkeys(str(info[4][0]) for info in infos))
        # Every answer must pass: a name that answers one public and one private address is refused.
        for a in addrs:
            self.check_ip(a, url=url, host=host)
        return addrs
