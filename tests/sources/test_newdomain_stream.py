"""A live new-domain stream: lines read as they arrive, junk skipped with a logged reason, the
connection dropped and re-made, and every suspicious domain queued once across the reconnect."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kuzet.run.queue import SqlTaskQueue
from kuzet.settings import Settings
from kuzet.sources.connectors import RunContext
from kuzet.sources.domainstream import DomainStream
from kuzet.sources.monitor import MonitorConfig, MonitorServices, Scheduler, upsert_sources
from kuzet.store.db import Database
from kuzet.store.frontier import CrawlUrl
from kuzet.store.models import JobRow

FIRST = [  # sent chunked, then the connection is cut mid-stream (no final chunk)
    b"vulkan-casino1.test",
    b"%%% not a domain %%%",
    b'{"data": {"leaf_cert": {"all_domains": ["*.azino777-mirror2.test"]}}}',
    b"{oops",
    b"x" * 600 + b".test",  # over the 256-byte line limit of the test
    b"kofe-alatau.test",  # an ordinary name: read, not queued
]
SECOND = [  # plain body up to a clean end of stream
    b"vulkan-casino1.test",  # sent again after the reconnect: already in the seen-set
    b'{"domain": "joycasino-zerkalo3.test"}',
    b"1xbet-kz-mirror9.test",
]


class LineServer:
    """Serves each connection the next list of lines, one every ``gap`` seconds; then holds the
    later connections open without a line (a live stream with nothing new)."""

    def __init__(self, sessions: list[list[bytes]], gap: float = 0.05) -> None:
        self.sessions = sessions
        self.gap = gap
        self.connections = 0
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/stream"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            n = self.connections
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, n), daemon=True).start()

    def _serve(self, conn: socket.socket, n: int) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            if n == 0:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
                for line in self.sessions[0]:
                    piece = line + b"\n"
                    conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                    time.sleep(self.gap)
                return  # dropped: no terminating chunk
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
            if n < len(self.sessions):
                for line in self.sessions[n]:
                    conn.sendall(line[: len(line) // 2])  # a line may arrive in pieces
                    time.sleep(self.gap / 2)
                    conn.sendall(line[len(line) // 2 :] + b"\n")
                    time.sleep(self.gap / 2)
                return
            while not self.stop.is_set():
                time.sleep(0.05)

    def __enter__(self) -> LineServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def server() -> Iterator[LineServer]:
    with LineServer([FIRST, SECOND]) as s:
        yield s


def _settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(mode="development", data_dir=tmp_path / "data", database_url=db_url)


def test_stream_domains_are_queued_once_across_a_reconnect(
    tmp_path: Path, db_url: str, db: Database, server: LineServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kuzet.sources")
    settings = _settings(tmp_path, db_url)
    spec = {"kind": "newdomains", "name": "ct", "url": server.url, "stream": True, "poll": 0, "scheme": "http"}
    upsert_sources(db, [{**spec, "max_line_bytes": 256, "backoff_min": 0.1, "backoff_max": 0.2}])
    queue = SqlTaskQueue(db)
    ctx = RunContext(services=MonitorServices(settings, db, MonitorConfig()), pipeline=None)
    scheduler = Scheduler(db, queue, ctx)
    want = {"vulkan-casino1.test", "azino777-mirror2.test", "joycasino-zerkalo3.test", "1xbet-kz-mirror9.test"}
    hosts: set[str] = set()
    first_tick_hosts: set[str] | None = None
    try:
        end = time.monotonic() + 15
        while time.monotonic() < end:
            scheduler.tick()
            with db.session() as s:
                hosts = set(s.execute(select(CrawlUrl.host)).scalars())
            if first_tick_hosts is None and hosts:
                first_tick_hosts = set(hosts)
            # The client's own count: the server counts a connection before the stream has
            # registered it, and breaking on the server's count raced with that.
            streams = list(ctx.streams.values())
            if hosts >= want and streams and streams[0].stats.connects >= 3:
                break
            time.sleep(0.05)
        stream = ctx.streams[next(iter(ctx.streams))]
        stats = stream.stats
    finally:
        ctx.close()
        ctx.services.close()
    assert hosts == want  # kofe-alatau.test is ordinary, the junk is no domain
    assert first_tick_hosts is not None and first_tick_hosts < want  # queued as they arrived, tick by tick
    assert stats.failures >= 1 and stats.connects >= 3  # dropped, reconnected, ended, reconnected
    with db.session() as s:
        fetch_keys = list(s.execute(select(JobRow.key).where(JobRow.stage == "fetch")).scalars())
        rows = list(s.execute(select(CrawlUrl.url_key)).scalars())
    assert len(fetch_keys) == len(set(fetch_keys)) == 4 and len(rows) == 4  # once each
    assert sum("vulkan-casino1.test" in k for k in fetch_keys) == 1
    logged = caplog.text
    assert "not a domain name" in logged and "not valid JSON" in logged
    assert "over 256 bytes" in logged and stats.too_long == 1


def test_a_full_buffer_holds_the_reader_back_and_loses_nothing(server: LineServer, tmp_path: Path) -> None:
    with LineServer([[b"a%d-casino.test" % i for i in range(30)]] * 2, gap=0.0) as fast:
        stream = DomainStream(
            fast.url, Settings(mode="development", data_dir=tmp_path), buffer_lines=5, max_lines_per_tick=3
        )
        stream.start()
        got: list[str] = []
        try:
            end = time.monotonic() + 10
            while len(got) < 30 and time.monotonic() < end:
                batch = stream.take()
                assert len(batch) <= 3  # bounded per tick
                got += batch
                time.sleep(0.01)
        finally:
            stream.close()
    assert got[:30] == [f"a{i}-casino.test" for i in range(30)]


def test_a_compressed_stream_is_refused(tmp_path: Path) -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(5)

    def serve() -> None:
        conn, _ = sock.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n\x1f\x8b")

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    stream = DomainStream(url, Settings(mode="development", data_dir=tmp_path), backoff_min=30).start()
    try:
        end = time.monotonic() + 5
        while stream.stats.failures == 0 and time.monotonic() < end:
            time.sleep(0.02)
    finally:
        stream.close()
        sock.close()
    assert stream.stats.failures == 1 and "compressed stream" in (stream.stats.last_error or "")
    assert stream.take() == []
