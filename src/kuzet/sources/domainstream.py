"""A live new-domain stream followed line by line: a reader thread with a bounded buffer.

A newly-registered-domain or certificate-transparency feed served over HTTP does not end: it
sends a line now and then, for as long as the connection lasts. ``DomainStream`` reads it with
httpx streaming through the guarded transport (the address guard applies as to any fetch), cuts
the bytes into lines as they come, and keeps them in a bounded buffer that the monitor drains on
each tick (``take``), at most ``max_lines_per_tick`` at a time.

Bounds, because the stream is as hostile as any page: the body must come uncompressed (asked
with ``Accept-Encoding: identity``; a compressed answer is refused, as one chunk could inflate
past every bound); a line longer than ``max_line_bytes`` is
dropped (logged, with its length) and the reader skips to the next newline; the buffer holds at
most ``buffer_lines`` lines, and when it is full the reader stops reading (the server waits, no
line is lost); a connection idle for ``idle_timeout`` seconds counts as failed. When the stream
ends or fails, the reader connects again after a back-off that doubles from ``backoff_min`` to
``backoff_max`` seconds and drops back once a line has arrived. A reconnected stream may send
lines it sent before: deduplication is the frontier's seen-set, which knows every domain ever
queued for the source, across reconnects and restarts.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from dataclasses import dataclass

import httpx

from kuzet.fetch.backend import GuardedTransport
from kuzet.fetch.guard import AddressGuard
from kuzet.settings import Settings

log = logging.getLogger("kuzet.sources.domainstream")


@dataclass
class StreamStats:
    connects: int = 0
    failures: int = 0
    lines: int = 0
    too_long: int = 0
    last_error: str | None = None


class DomainStream:
    """Follows ``url`` in a daemon thread once ``start``-ed; ``close`` it when done."""

    def __init__(
        self,
        url: str,
        settings: Settings,
        *,
        guard: AddressGuard | None = None,
        max_line_bytes: int = 4096,
        buffer_lines: int = 10_000,
        max_lines_per_tick: int = 5_000,
        idle_timeout: float = 120.0,
        backoff_min: float = 1.0,
        backoff_max: float = 300.0,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"a domain stream needs an http(s) URL, not {url[:100]!r}")
        self.url = url
        self.max_line_bytes = max_line_bytes
        self.max_lines_per_tick = max_lines_per_tick
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.stats = StreamStats()
        self._lines: queue.Queue[str] = queue.Queue(maxsize=max(1, buffer_lines))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None  # the live connection's, to cut it on close
        self._client = httpx.Client(
            transport=GuardedTransport(guard or AddressGuard.from_settings(settings), proxy=settings.proxy),
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            trust_env=False,
            timeout=httpx.Timeout(connect=settings.connect_timeout, read=idle_timeout, write=10.0, pool=10.0),
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/plain, application/x-ndjson, */*;q=0.5",
                "Accept-Encoding": "identity",
            },
        )

    # -- the calling thread ---------------------------------------------------------------
    def start(self) -> DomainStream:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kuzet-domain-stream", daemon=True)
            self._thread.start()
        return self

    def take(self) -> list[str]:
        """The lines received since the last call, at most ``max_lines_per_tick``."""
        out: list[str] = []
        while len(out) < self.max_lines_per_tick:
            try:
                out.append(self._lines.get_nowait())
            except queue.Empty:
                break
        return out

    def close(self) -> None:
        self._stop.set()
        sock = self._socket
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a reader blocked on a quiet stream
            except OSError as e:
                log.debug("shutting the stream's socket: %s", e)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._client.close()

    # -- the reader thread ----------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.backoff_min
        while not self._stop.is_set():
            got = self._follow()
            if self._stop.is_set():
                break
            backoff = self.backoff_min if got else min(backoff * 2, self.backoff_max)
            log.info("new-domain stream %s: reconnecting in %.1fs", self.url, backoff)
            self._stop.wait(backoff)

    def _follow(self) -> bool:
        """One connection, read until it ends or fails; whether it brought any line."""
        got = False
        try:
            with self._client.stream("GET", self.url) as resp:
                stream = resp.extensions.get("network_stream")
                self._socket = stream.get_extra_info("socket") if stream is not None else None
                if self._stop.is_set():
                    return got
                self.stats.connects += 1
                if resp.status_code != 200:
                    raise httpx.HTTPStatusError(f"HTTP {resp.status_code}", request=resp.request, response=resp)
                encoding = resp.headers.get("content-encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    # One compressed chunk could inflate past every bound here; identity was asked.
                    raise httpx.DecodingError(f"compressed stream ({encoding[:40]}) refused")
                buf = b""
                skipping = False  # inside a line over the limit: drop bytes up to the next newline
                for chunk in resp.iter_bytes():  # as received: a fixed size would wait for it
                    buf += chunk
                    while True:
                        nl = buf.find(b"\n")
                        if nl < 0:
                            break
                        line, buf = buf[:nl], buf[nl + 1 :]
                        if skipping:
                            skipping = False
                        elif self._push(line):
                            got = True
                        if self._stop.is_set():
                            return got
                    if len(buf) > self.max_line_bytes:
                        if not skipping:
                            self._too_long(len(buf))
                        skipping, buf = True, b""
                if buf and not skipping and self._push(buf):
                    got = True
            log.info("new-domain stream %s ended", self.url)
        except (httpx.HTTPError, OSError) as e:
            if not self._stop.is_set():
                self.stats.failures += 1
                self.stats.last_error = f"{type(e).__name__}: {e}"[:300]
                log.warning("new-domain stream %s failed: %s", self.url, self.stats.last_error)
        finally:
            self._socket = None
        return got

    def _too_long(self, size: int) -> None:
        self.stats.too_long += 1
        log.info("new-domain stream %s: line skipped (over %d bytes, %d so far)", self.url, self.max_line_bytes, size)

    def _push(self, raw: bytes) -> bool:
        if len(raw) > self.max_line_bytes:
            self._too_long(len(raw))
            return False
        line = raw.decode("utf-8", errors="replace").strip()
        if not line:
            return False
        while not self._stop.is_set():
            try:
                self._lines.put(line, timeout=0.5)  # a full buffer holds the reader back, loses nothing
                self.stats.lines += 1
                return True
            except queue.Full:
                continue
        return False
