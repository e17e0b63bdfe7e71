"""A generated N-page site served from memory by a small asyncio HTTP/1.1 server (keep-alive).

Pages are ``/p/<i>.html``; page i links to its ten children 10i+1..10i+10 (a tree, depth 4 for
10,000 pages), to five pseudo-random pages, and to the home page, so both crawlers see the same
graph and duplicate links. Each page is about 4 KB of Russian/Kazakh-looking text.

Run as a script (``python bench/crawl/site.py --pages 10000 --port 0``) it prints the port on
its first line and serves until killed. The server runs in its own process so that it never
shares a GIL with a crawler; ``measure_server`` times it alone with a raw-socket client.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time

WORDS = [
    "жаңалықтар", "новости", "қала", "город", "ауа", "погода", "білім", "образование", "мектеп", "школа",
    "дәрігер", "врач", "спорт", "мәдениет", "культура", "экономика", "жол", "дорога", "байланыс", "связь",
]  # fmt: skip


def build(pages: int, seed: int = 7) -> dict[bytes, bytes]:
    rnd = random.Random(seed)
    site: dict[bytes, bytes] = {}
    for i in range(pages):
        links = [c for c in range(10 * i + 1, 10 * i + 11) if c < pages]
        links += [rnd.randrange(pages) for _ in range(5)]
        text = " ".join(rnd.choice(WORDS) for _ in range(450))
        anchors = "".join(f'<li><a href="/p/{j}.html">Бет {j}</a></li>' for j in links)
        html = (
            f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Бет {i}</title></head>'
            f'<body><nav><a href="/">Басты бет</a></nav><h1>Бет {i}</h1><p>{text}</p><ul>{anchors}</ul>'
            f"</body></html>"
        ).encode()
        site[f"/p/{i}.html".encode()] = html
    site[b"/"] = site[b"/p/0.html"]
    site[b"/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return site


def _response(status: bytes, body: bytes, ctype: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\nConnection: keep-alive\r\n\r\n" + body
    )  # fmt: skip


async def serve(site: dict[bytes, bytes], port: int) -> None:
    ready = {
        path: _response(b"200 OK", body, b"text/plain" if path.endswith(b".txt") else b"text/html; charset=utf-8")
        for path, body in site.items()
    }
    missing = _response(b"404 Not Found", b"not found", b"text/plain")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].split(b" ")
                path = line[1].split(b"?", 1)[0] if len(line) > 1 else b"/"
                writer.write(ready.get(path, missing))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


async def _measure(port: int, paths: list[bytes], concurrency: int) -> float:
    queue = list(reversed(paths))
    started = time.perf_counter()

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while queue:
            path = queue.pop()
            writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: bench\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return len(paths) / (time.perf_counter() - started)


def measure_server(port: int, pages: int, concurrency: int) -> float:
    """Requests per second the server answers to a minimal keep-alive client (server alone)."""
    paths = [f"/p/{i}.html".encode() for i in range(pages)]
    return asyncio.run(_measure(port, paths, concurrency))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    try:
        asyncio.run(serve(build(args.pages), args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
