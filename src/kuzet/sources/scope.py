"""What a crawl may follow: host, path prefix, depth, page budget, and crawler-trap limits.

A crawler trap (an endless calendar, session ids in paths, ``/a/a/a/...``) produces new URLs
forever; it is bounded four ways here: depth, pages per host, URL length and repeated path
segments. Whatever a trap does, a crawl ends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlsplit

# Links to these are downloads, not pages: not worth a request.
BINARY_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".pdf", ".zip", ".rar", ".7z", ".gz",
    ".tar", ".exe", ".apk", ".dmg", ".mp3", ".mp4", ".avi", ".mov", ".webm", ".woff", ".woff2",
    ".ttf", ".css", ".js", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".iso", ".bin",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Scope:
    """Crawl limits of one website source; ``as_dict`` is the form stored in job payloads."""

    host: str
    prefix: str = "/"
    max_depth: int = 3
    max_pages: int = 200  # per host
    include_subdomains: bool = False
    max_url_length: int = 1024
    max_repeated_segments: int = 2  # a path segment may appear at most this many times
    max_path_segments: int = 16
    max_query_params: int = 8
    kind: str = "website"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scope:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def host_allowed(self, host: str) -> bool:
        host = host.lower().strip(".")
        return host == self.host or (self.include_subdomains and host.endswith("." + self.host))

    def reject_reason(self, url: str, depth: int) -> str | None:
        """Why ``url`` at ``depth`` is not followed, or None when it is."""
        if len(url) > self.max_url_length:
            return "url_too_long"
        try:
            parts = urlsplit(url)
        except ValueError:
            return "invalid_url"
        if parts.scheme not in ("http", "https"):
            return "not_http"
        if not self.host_allowed(parts.hostname or ""):
            return "off_host"
        path = parts.path or "/"
        if not path.startswith(self.prefix):
            return "off_prefix"
        if depth > self.max_depth:
            return "too_deep"
        if path.lower().endswith(BINARY_SUFFIXES):
            return "binary_link"
        return trap_reason(
            path,
            parts.query,
            max_repeated=self.max_repeated_segments,
            max_segments=self.max_path_segments,
            max_params=self.max_query_params,
        )


def trap_reason(path: str, query: str, *, max_repeated: int, max_segments: int, max_params: int) -> str | None:
    segments = [s for s in path.split("/") if s]
    if len(segments) > max_segments:
        return "too_many_segments"
    if segments and Counter(segments).most_common(1)[0][1] > max_repeated:
        return "repeated_segments"
    if query and query.count("&") + 1 > max_params:
        return "too_many_params"
    return None
