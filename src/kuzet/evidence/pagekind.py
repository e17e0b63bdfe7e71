"""Tell content from challenge pages, block pages and errors, using fingerprints kept as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from kuzet.errors import ConfigError

PageKind = Literal["content", "challenge", "block_page", "error"]
# Only the start of a page is searched: fingerprints sit at the top, and hostile pages can be huge.
_MAX_SCAN = 200_000


@dataclass(frozen=True, slots=True)
class Fingerprint:
    name: str
    kind: Literal["challenge", "block_page"]
    title: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    html: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    max_text_chars: int | None = None
    status: tuple[int, ...] = ()


@dataclass(slots=True)
class PageKindResult:
    kind: PageKind
    fingerprint: str | None = None
    matched: str | None = None
    reasons: list[str] = field(default_factory=list)


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.casefold(),)
    return tuple(str(v).casefold() for v in value)


def load_fingerprints(path: Path | None = None) -> tuple[Fingerprint, ...]:
    if path is None:
        raw = resources.files("kuzet.evidence").joinpath("fingerprints.yaml").read_text(encoding="utf-8")
    else:
        raw = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(raw) or {}
    out: list[Fingerprint] = []
    for i, item in enumerate(data.get("fingerprints") or []):
        kind = item.get("kind")
        if kind not in ("challenge", "block_page") or not item.get("name"):
            raise ConfigError(f"fingerprint #{i + 1}: needs a name and kind challenge|block_page")
        headers = tuple((str(k).lower(), str(v).casefold()) for k, v in (item.get("headers") or {}).items())
        out.append(
            Fingerprint(
                name=str(item["name"]),
                kind=kind,
                title=_strs(item.get("title")),
                text=_strs(item.get("text")),
                html=_strs(item.get("html")),
                headers=headers,
                max_text_chars=item.get("max_text_chars"),
                status=tuple(int(s) for s in item.get("status") or ()),
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def default_fingerprints() -> tuple[Fingerprint, ...]:
    return load_fingerprints()


def _match(
    fp: Fingerprint, status: int | None, title: str, text: str, html: str, headers: dict[str, str]
) -> str | None:
    if fp.max_text_chars is not None and len(text.strip()) > fp.max_text_chars:
        return None
    if fp.status and status not in fp.status:
        return None
    for pattern in fp.title:
        if pattern in title:
            return f"title contains {pattern!r}"
    for pattern in fp.text:
        if pattern in text:
            return f"text contains {pattern!r}"
    for pattern in fp.html:
        if pattern in html:
            return f"html contains {pattern!r}"
    for name, pattern in fp.headers:
        if pattern in headers.get(name, ""):
            return f"header {name} contains {pattern!r}"
    return None


def classify_page(
    *,
    status: int | None,
    title: str = "",
    text: str = "",
    html: str = "",
    headers: dict[str, str] | None = None,
    navigation_error: str | None = None,
    fingerprints: tuple[Fingerprint, ...] | None = None,
) -> PageKindResult:
    """Challenge and block fingerprints win over the status code (Cloudflare answers 403/503)."""
    hdrs = {k.lower(): v.casefold() for k, v in (headers or {}).items()}
    t_title = title[:_MAX_SCAN].casefold()
    t_text = text[:_MAX_SCAN].casefold()
    t_html = html[:_MAX_SCAN].casefold()
    for fp in fingerprints if fingerprints is not None else default_fingerprints():
        why = _match(fp, status, t_title, t_text, t_html, hdrs)
        if why:
            return PageKindResult(kind=fp.kind, fingerprint=fp.name, matched=why, reasons=[f"{fp.name}: {why}"])
    if navigation_error and status is None:
        return PageKindResult(kind="error", reasons=[f"navigation failed: {navigation_error}"])
    if status is None:
        return PageKindResult(kind="error", reasons=["no main response"])
    if status >= 400:
        return PageKindResult(kind="error", reasons=[f"HTTP status {status}"])
    return PageKindResult(kind="content")
