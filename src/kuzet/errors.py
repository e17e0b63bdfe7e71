"""Every error kuzet raises on purpose, in one tree.

    KuzetError
    ├── ConfigError                 bad or unsafe settings, placeholder secrets in production
    ├── StorageError                database or blob store unusable (corrupt path, failed migration)
    ├── FetchError                  one URL could not be fetched; carries ``url``
    │   ├── FetchTimeout            connect / read / total time limit hit
    │   ├── BodyTooLarge            body (or its decompressed size) over the limit
    │   ├── TooManyRedirects        redirect chain over the limit or a loop
    │   ├── BlockedAddress          host resolves to a private / loopback / link-local / metadata address
    │   ├── RobotsDisallowed        robots.txt forbids the URL
    │   └── UnsupportedContent      not a page (binary, download) where a page was expected
    ├── ExtractError                a snapshot could not be turned into documents
    ├── DetectError                 bad input to detection (not text, not JSON)
    ├── CaptureError                the browser could not be started or driven at all
    │   └── BrowserMissing          no chromium at the configured path
    ├── EvidenceError               a bundle could not be written or read
    │   └── BundleTampered          verification failed; carries the failed checks
    ├── RegistryError               a registry file could not be read at all
    ├── PolicyError                 a route policy file is invalid; carries line and reason
    ├── TemplateError               a document template is broken
    ├── ReviewError                 an analyst's decision cannot apply (unknown finding, bad label)
    ├── CaseError                   a case transition is not allowed (state, four eyes, no evidence)
    └── JobError                    the runner could not claim, run or finish a job

Each error carries the object it concerns (``url``, ``path``, ``line``) so that a log line or
a CLI message can name it without parsing the text.
"""

from __future__ import annotations

from pathlib import Path


class KuzetError(Exception):
    """Base of every error kuzet raises on purpose."""


class ConfigError(KuzetError):
    pass


class StorageError(KuzetError):
    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else None


class FetchError(KuzetError):
    """One URL could not be fetched; ``reason`` is a short machine-readable word."""

    reason = "fetch_error"

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class FetchTimeout(FetchError):
    reason = "timeout"


class BodyTooLarge(FetchError):
    reason = "too_large"


class TooManyRedirects(FetchError):
    reason = "redirects"


class BlockedAddress(FetchError):
    reason = "blocked_address"


class RobotsDisallowed(FetchError):
    reason = "robots"


class UnsupportedContent(FetchError):
    reason = "unsupported_content"


class ExtractError(KuzetError):
    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class DetectError(KuzetError):
    pass


class CaptureError(KuzetError):
    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class BrowserMissing(CaptureError):
    pass


class EvidenceError(KuzetError):
    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else None


class BundleTampered(EvidenceError):
    def __init__(self, message: str, *, path: str | Path | None = None, failures: list[str] | None = None):
        super().__init__(message, path=path)
        self.failures = failures or []


class RegistryError(KuzetError):
    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else None
        self.line = line


class PolicyError(KuzetError):
    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else None
        self.line = line


class TemplateError(KuzetError):
    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.path = str(path) if path is not None else None


class ReviewError(KuzetError):
    def __init__(self, message: str, *, object_id: object = None) -> None:
        super().__init__(message)
        self.object_id = object_id


class CaseError(KuzetError):
    def __init__(self, message: str, *, case_id: object = None) -> None:
        super().__init__(message)
        self.case_id = case_id


class JobError(KuzetError):
    pass
