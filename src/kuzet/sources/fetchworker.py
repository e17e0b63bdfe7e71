"""The fetch phase's worker process: polite async fetching on its own core, behind a pipe.

Why a process and not a thread: the monitor's own thread is busy with extraction and with many
short SQLite statements, each of which lets go of the GIL and must take it back. An event-loop
thread in the same process takes the GIL at every one of those moments, so each statement could
wait out a switch interval (or, on a loaded machine, the other thread's time slice). In its own
process the fetcher neither waits for nor delays the database work, and uses the second core.

The worker is ``python -m kuzet.sources.fetchworker``, started with ``subprocess`` (not
``multiprocessing``, whose spawn re-imports the parent's main module). Protocol: length-prefixed
pickles (``multiprocessing.connection.Connection`` over the child's stdin and stdout; the child's
own prints go to stderr):

* parent → worker: first ``(settings, fetch settings)``; then ``(job_id, url, etag,
  last_modified)`` to fetch; ``None`` to stop.
* worker → parent: ``(job_id, snapshot | None, error | None, stats)``, ``error`` being
  ``(class name, message, url)`` of the FetchError (rebuilt by ``rebuild_error``: exceptions with
  keyword-only arguments do not survive pickling) and ``stats`` the worker's PolitenessStats.

The worker ends when asked, or when the parent's end of the pipe closes (the monitor was killed):
nothing it holds is state, the claimed jobs are the parent's and are recovered from the database.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import subprocess
import sys
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

from kuzet import errors
from kuzet.errors import FetchError
from kuzet.settings import Settings

log = logging.getLogger("kuzet.sources.fetchworker")

Request = tuple[int, str, str | None, str | None]


def rebuild_error(data: tuple[str, str, str]) -> FetchError:
    name, message, url = data
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, FetchError)):
        cls = FetchError
    return cls(message, url=url)


def start_worker(
    settings: Settings, fetch_settings: dict[str, Any]
) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """A new worker process, with the connections to write to it and to read from it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kuzet.sources.fetchworker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stdout is not None
    to_worker = Connection(os.dup(proc.stdin.fileno()), readable=False)
    from_worker = Connection(os.dup(proc.stdout.fileno()), writable=False)
    proc.stdin.close()
    proc.stdout.close()
    to_worker.send((settings, fetch_settings))
    return proc, to_worker, from_worker


def main() -> None:
    """The worker process's entry point: requests on stdin, outcomes on stdout."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print must not corrupt the protocol
    sys.stdout = sys.stderr
    try:
        settings, fetch_settings = inbox.recv()
        asyncio.run(_serve(inbox, outbox, settings, fetch_settings))
    except (KeyboardInterrupt, EOFError):
        pass  # the parent handles Ctrl-C or is gone; its jobs are recovered from the database
    finally:
        inbox.close()
        outbox.close()


async def _serve(inbox: Connection, outbox: Connection, settings: Settings, fs: dict[str, Any]) -> None:
    from kuzet.sources.asyncpolite import AsyncPoliteFetcher

    fetcher = AsyncPoliteFetcher(settings, **fs)
    loop = asyncio.get_running_loop()
    requests: asyncio.Queue[Request | None] = asyncio.Queue()
    # One sender thread: a large page must not block the loop while the parent is busy, and
    # the messages must not interleave.
    sender = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kuzet-fetch-send")

    def readable() -> None:
        try:
            while inbox.poll():
                requests.put_nowait(inbox.recv())
        except (EOFError, OSError):
            requests.put_nowait(None)  # the parent is gone

    async def one(job_id: int, url: str, etag: str | None, last_modified: str | None) -> None:
        snap, err = None, None
        try:
            snap = await fetcher.fetch(url, etag=etag, last_modified=last_modified)
        except FetchError as e:
            err = (type(e).__name__, str(e), e.url)
        except Exception as e:  # noqa: BLE001 - recorded as this page's failure, the worker goes on
            err = ("FetchError", f"{url}: {type(e).__name__}: {e}", url)
        msg = (job_id, snap, err, asdict(fetcher.stats))
        try:
            await loop.run_in_executor(sender, outbox.send, msg)
        except (OSError, EOFError):
            requests.put_nowait(None)

    loop.add_reader(inbox.fileno(), readable)
    tasks: set[asyncio.Task[None]] = set()
    try:
        while True:
            req = await requests.get()
            if req is None:
                break
            task = asyncio.create_task(one(*req))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        loop.remove_reader(inbox.fileno())
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await fetcher.aclose()
        sender.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    main()
