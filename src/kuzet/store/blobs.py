"""Content-addressed blob storage: bodies and files stored once under their SHA-256.

``LocalBlobStore`` writes to a folder (``ab/cd/abcdef...``), atomically through a temporary file
and rename so a killed process never leaves a half-written blob under a valid name;
``MemoryBlobStore`` is the in-memory twin for tests. An S3-compatible store slots in behind
the same protocol.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from kuzet.errors import StorageError


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 (idempotent)."""
        ...

    def get(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...


def _check_digest(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise StorageError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"cannot create blob folder {self.root}: {e}", path=self.root) from e

    def path_for(self, sha256: str) -> Path:
        d = _check_digest(sha256)
        return self.root / d[:2] / d[2:4] / d

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except OSError as e:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError(f"cannot write blob {digest}: {e}", path=target) from e
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError as e:
            raise StorageError(f"blob {sha256} not found", path=self.path_for(sha256)) from e

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()


class MemoryBlobStore:
    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        self._data.setdefault(digest, bytes(data))
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            return self._data[_check_digest(sha256)]
        except KeyError as e:
            raise StorageError(f"blob {sha256} not found") from e

    def exists(self, sha256: str) -> bool:
        return sha256 in self._data
