"""Typed records of the dispatch package: what a case package holds and what a delivery returned."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kuzet.errors import KuzetError

Channel = Literal["smtp", "webhook", "outbox"]
CHANNELS: tuple[Channel, ...] = ("smtp", "webhook", "outbox")


class DispatchError(KuzetError):
    """A delivery failed. ``retryable`` is True for transient failures (server down, 5xx, timeout),
    which are tried again with backoff; False for those that will fail the same way again (4xx,
    a refused recipient, bad settings)."""

    def __init__(self, message: str, *, retryable: bool, target: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.target = target


@dataclass(frozen=True)
class PackageFile:
    """One file of the package: ``name`` is its path inside the package, ``source`` where it is read."""

    name: str
    source: Path
    sha256: str
    size: int


@dataclass(frozen=True)
class PackageDocument(PackageFile):
    kind: str = ""
    lang: str = ""
    fmt: str = ""


@dataclass(frozen=True)
class PackageBundle:
    """One evidence bundle: its folder as kuzet sealed it, and every file in it with its hash."""

    bundle_id: int
    url: str
    path: Path
    manifest_sha256: str
    files: tuple[PackageFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class CasePackage:
    """Everything sent for one case; ``manifest`` is the JSON written as manifest.json and
    ``manifest_sha256`` the digest of its canonical bytes (kept as the dispatch's payload hash)."""

    case_id: int
    route: str
    title: str
    documents: tuple[PackageDocument, ...]
    bundles: tuple[PackageBundle, ...]
    manifest: dict[str, Any]
    manifest_bytes: bytes
    manifest_sha256: str

    @property
    def folder_name(self) -> str:
        return f"kuzet-case-{self.case_id}-{self.manifest_sha256[:12]}"


@dataclass(frozen=True)
class Delivery:
    """A successful delivery: ``reference`` is the Message-ID, webhook receipt id or outbox path."""

    reference: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class DispatchResult:
    """What ``send_case`` / ``retry_dispatches`` report for one dispatch."""

    dispatch_id: int
    case_id: int
    channel: str
    target: str
    status: str  # sent / failed / pending
    attempts: int
    reference: str = ""
    error: str | None = None
    already_sent: bool = False
    case_status: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "sent"
