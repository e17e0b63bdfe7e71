"""One sandbox server per test session (it is read-only apart from block/remove flags, which
tests reset themselves) and a bounded HTTP client that addresses sandbox hosts by Host header."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kuzet.sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


class HostClient:
    """GETs ``path`` on a sandbox ``host`` through 127.0.0.1, like a resolver override would."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.client = httpx.Client(timeout=httpx.Timeout(5.0), follow_redirects=False)

    def get(self, host: str, path: str = "/", **kw: object) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})  # type: ignore[call-overload]
        headers["Host"] = f"{host}:{self.server.port}"
        return self.client.get(f"{self.server.base_url.rstrip('/')}{path}", headers=headers, **kw)  # type: ignore[arg-type]

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def web(sandbox: SandboxServer) -> Iterator[HostClient]:
    c = HostClient(sandbox)
    yield c
    c.close()
