"""Dynamic hostile endpoints of ``hostile.test``: what a crawler meets on the real web.

Each endpoint is a function that writes a whole response through a small ``Responder``
interface, so that the server keeps one place for sockets and errors. Endless and slow
responses poll the server's stop event and a wall-clock cap, so a client that never hangs up
cannot pin a thread past ``MAX_STREAM_SECONDS`` or past ``SandboxServer.stop()``.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

HOST = "hostile.test"

# No hostile stream outlives this, whatever the client does.
MAX_STREAM_SECONDS = 120.0
# Decompressed size of the gzip bomb: 1 GiB of zeros, about 1 MiB on the wire.
BOMB_DECOMPRESSED = 1 << 30
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


class Responder(Protocol):
    """What an endpoint may do with the connection (implemented by the request handler)."""

    @property
    def stop_event(self) -> threading.Event: ...

    def send_simple(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None: ...

    def send_head(self, status: int, headers: dict[str, str]) -> None: ...

    def write_raw(self, data: bytes) -> bool:
        """Write and flush; False when the client has gone."""
        ...

    def client_key(self) -> str: ...


Endpoint = Callable[[Responder, str], None]


@dataclass
class HostileState:
    """Per-server mutable state (rate-limit counters)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    rate_hits: dict[str, int] = field(default_factory=dict)


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1>{body}</body></html>"
    ).encode()


CP1251_TEXT = (
    '<!DOCTYPE html><html lang="ru"><head><title>Казино Эльдорадо — зеркало</title></head><body>'
    "<h1>Рабочее зеркало казино Эльдорадо на сегодня</h1>"
    "<p>Получите бонус 150% на первый депозит и 50 фриспинов по промокоду ELDO150. "
    "Пополнение картой Kaspi и через USDT. Вывод выигрышей за 15 минут.</p>"
    "<p>Служба поддержки: @eldorado_support_kz</p></body></html>"
)

KOI8_TEXT = (
    "<html><head><title>Городские новости: ремонт дорог</title></head><body>"
    "<h1>В микрорайоне Самал начался ремонт дорог</h1>"
    "<p>Работы продлятся до конца месяца. Акимат просит водителей заранее планировать маршрут "
    "и пользоваться объездом по улице Жарокова. Общественный транспорт ходит по графику.</p>"
    "</body></html>"
)

SCRIPT_ONLY = (
    '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Загрузка…</title></head>'
    '<body><div id="app">Загрузка…</div><script>'
    "var t=['Бонус 200% на первый депозит','100 фриспинов по промокоду SPIN100',"
    "'Рабочее зеркало: azart-spin.test'];"
    "document.getElementById('app').innerHTML='<h1>'+t[0]+'</h1><p>'+t[1]+'</p><p>'+t[2]+'</p>';"
    "document.title='Azart Spin — казино';</script></body></html>"
)

INDEX_LINKS = [
    ("/redirect-loop", "redirect loop (302 A -> B -> A)"),
    ("/redirect-chain/5", "redirect chain of 5 hops, then 200"),
    ("/endless", "endless chunked body until the client disconnects"),
    ("/cp1251-lying", "cp1251 body with a header that says utf-8"),
    ("/koi8r", "koi8-r body with no declared charset"),
    ("/slow", "one byte every 0.5 s"),
    ("/stall", "accepts the request and sends nothing for a long time"),
    ("/gzip-bomb", "gzip body: about 1 MiB on the wire, 1 GiB decompressed"),
    ("/error-500", "500 Internal Server Error"),
    ("/missing", "404"),
    ("/binary.html", "binary bytes served as text/html"),
    ("/redirect-metadata", "302 to the cloud metadata address 169.254.169.254"),
    ("/private/secret.html", "disallowed by robots.txt"),
    ("/rate-limited", "429 with Retry-After: 1, then 200 on the next request"),
    ("/script-only", "text written only by script (needs a browser)"),
]


def index(r: Responder, query: str) -> None:
    items = "".join(f'<li><a href="{p}">{p}</a> — {d}</li>' for p, d in INDEX_LINKS)
    r.send_simple(200, _page("hostile.test", f"<ul>{items}</ul>"), "text/html; charset=utf-8")


def robots(r: Responder, query: str) -> None:
    body = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n"
    r.send_simple(200, body, "text/plain; charset=utf-8")


def private(r: Responder, query: str) -> None:
    r.send_simple(200, _page("Private", "<p>robots.txt disallows this page.</p>"), "text/html; charset=utf-8")


def redirect_loop_a(r: Responder, query: str) -> None:
    r.send_simple(302, b"", "text/html", {"Location": "/redirect-loop-b"})


def redirect_loop_b(r: Responder, query: str) -> None:
    r.send_simple(302, b"", "text/html", {"Location": "/redirect-loop"})


def redirect_chain(hops: int) -> Endpoint:
    def endpoint(r: Responder, query: str) -> None:
        if hops <= 0:
            r.send_simple(200, _page("End of chain", "<p>Arrived.</p>"), "text/html; charset=utf-8")
        else:
            r.send_simple(302, b"", "text/html", {"Location": f"/redirect-chain/{hops - 1}"})

    return endpoint


def redirect_metadata(r: Responder, query: str) -> None:
    r.send_simple(302, b"", "text/html", {"Location": METADATA_URL})


def endless(r: Responder, query: str) -> None:
    r.send_head(200, {"Content-Type": "text/html; charset=utf-8", "Transfer-Encoding": "chunked"})
    chunk = ("<p>" + "бесконечная страница " * 1500 + "</p>\n").encode()  # ~57 KB a frame
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    if not r.write_raw(f"{len(b'<html><body>'):x}\r\n<html><body>\r\n".encode()):
        return
    deadline = time.monotonic() + MAX_STREAM_SECONDS
    while time.monotonic() < deadline and not r.stop_event.is_set():
        if not r.write_raw(frame):
            return
        # A small pause keeps one endless client from taking a whole core.
        r.stop_event.wait(0.002)


def slow(r: Responder, query: str) -> None:
    body = _page("Медленная страница", "<p>" + "медленно " * 10 + "</p>")
    r.send_head(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))})
    deadline = time.monotonic() + MAX_STREAM_SECONDS
    for i in range(len(body)):
        if r.stop_event.is_set() or time.monotonic() > deadline or not r.write_raw(body[i : i + 1]):
            return
        r.stop_event.wait(0.5)


def stall(r: Responder, query: str) -> None:
    # Sends nothing at all until the cap: the client's read timeout must fire.
    r.stop_event.wait(MAX_STREAM_SECONDS)


@lru_cache(maxsize=1)
def bomb_bytes() -> bytes:
    """The gzip bomb: 1 GiB of zeros in about 1 MiB, built in well under a second.

    One 1 MiB block of zeros is deflated once and ended with a full flush, which resets the
    compressor; every later block would compress to the same bytes, so the block is repeated
    instead of recompressed. The gzip trailer needs the CRC-32 and size of the whole 1 GiB.
    """
    zeros = bytes(1 << 20)
    count = BOMB_DECOMPRESSED // len(zeros)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = crc.to_bytes(4, "little") + (BOMB_DECOMPRESSED & 0xFFFFFFFF).to_bytes(4, "little")
    return header + block * count + tail + trailer


def gzip_bomb(r: Responder, query: str) -> None:
    data = bomb_bytes()
    r.send_head(
        200,
        {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "Content-Length": str(len(data))},
    )
    view = memoryview(data)
    for i in range(0, len(data), 64 * 1024):
        if r.stop_event.is_set() or not r.write_raw(bytes(view[i : i + 64 * 1024])):
            return


def error_500(r: Responder, query: str) -> None:
    r.send_simple(500, _page("500 Internal Server Error", "<p>upstream failed</p>"), "text/html; charset=utf-8")


def cp1251_lying(r: Responder, query: str) -> None:
    r.send_simple(200, CP1251_TEXT.encode("cp1251"), "text/html; charset=utf-8")


def koi8r(r: Responder, query: str) -> None:
    r.send_simple(200, KOI8_TEXT.encode("koi8-r"), "text/html")


def binary_html(r: Responder, query: str) -> None:
    # An ELF-like header and bytes that decode to nothing sensible in any text encoding.
    data = b"\x7fELF\x02\x01\x01\x00" + bytes((i * 97 + 13) % 256 for i in range(8192))
    r.send_simple(200, data, "text/html")


def script_only(r: Responder, query: str) -> None:
    r.send_simple(200, SCRIPT_ONLY.encode(), "text/html; charset=utf-8")


def make_rate_limited(state: HostileState) -> Endpoint:
    def endpoint(r: Responder, query: str) -> None:
        key = r.client_key() + "?" + query
        with state.lock:
            hits = state.rate_hits.get(key, 0)
            state.rate_hits[key] = (hits + 1) % 2
        if hits == 0:
            r.send_simple(
                429,
                _page("429 Too Many Requests", "<p>Slow down.</p>"),
                "text/html; charset=utf-8",
                {"Retry-After": "1"},
            )
        else:
            r.send_simple(200, _page("OK", "<p>Welcome back.</p>"), "text/html; charset=utf-8")

    return endpoint


def routes(state: HostileState) -> dict[str, Endpoint]:
    table: dict[str, Endpoint] = {
        "/": index,
        "/robots.txt": robots,
        "/private/secret.html": private,
        "/redirect-loop": redirect_loop_a,
        "/redirect-loop-b": redirect_loop_b,
        "/redirect-metadata": redirect_metadata,
        "/endless": endless,
        "/slow": slow,
        "/stall": stall,
        "/gzip-bomb": gzip_bomb,
        "/error-500": error_500,
        "/cp1251-lying": cp1251_lying,
        "/koi8r": koi8r,
        "/binary.html": binary_html,
        "/script-only": script_only,
        "/rate-limited": make_rate_limited(state),
    }
    for hops in range(0, 11):
        table[f"/redirect-chain/{hops}"] = redirect_chain(hops)
    return table
