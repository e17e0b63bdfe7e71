"""Bounded body decoding: content-encoding is undone here, not in httpx, so size can be enforced.

httpx's decoders inflate a whole network chunk at once; one 64 KB gzip chunk of zeros becomes
~64 MB before any caller can count it. Decoding with ``zlib`` and ``max_length`` keeps every
step's output to ``STEP`` bytes, so a decompression bomb is stopped after at most the limit
plus one step, whatever its ratio. Only the codings we can bound are advertised in
Accept-Encoding (gzip, deflate); a server that sends anything else gets UnsupportedContent.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

STEP = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"
# Ordinary HTML compresses 3-10x, very repetitive markup rarely past 50x; deflate's maximum is
# ~1032x. Past this ratio (and a modest absolute size) the body is treated as a bomb.
MAX_RATIO = 200
RATIO_MIN_BYTES = 1024 * 1024


class UnknownEncoding(ValueError):
    pass


class _Inflater:
    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._first = True
        wbits = 16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and self.coding == "deflate" and data:
            self._first = False
            # "deflate" is zlib-wrapped by the spec but raw deflate by many servers.
            if data[0] & 0x0F != 8:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        self._first = False
        buf = data
        while buf:
            out = self._obj.decompress(buf, STEP)
            buf = self._obj.unconsumed_tail
            if out:
                yield out
            if self._obj.eof:
                # Trailing garbage after the stream end is ignored, as browsers do.
                return
            if not out and not buf:
                return

    def flush(self) -> Iterator[bytes]:
        if self._obj.eof:
            return
        try:
            # flush() has no max_length; what is left is at most one internal window.
            out = self._obj.flush()
        except zlib.error:
            return
        if out:
            yield out


class BodyDecoder:
    """Undo a Content-Encoding chain incrementally with bounded output per step."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        for c in codings:
            if c not in ("gzip", "x-gzip", "deflate"):
                raise UnknownEncoding(c)
        # Codings are listed in the order applied; undo them in reverse.
        self._stages = [_Inflater(c) for c in reversed(codings)]

    @property
    def identity(self) -> bool:
        return not self._stages

    def feed(self, data: bytes) -> Iterator[bytes]:
        yield from self._run(0, data)

    def _run(self, i: int, data: bytes) -> Iterator[bytes]:
        if i == len(self._stages):
            if data:
                yield data
            return
        for out in self._stages[i].feed(data):
            yield from self._run(i + 1, out)

    def flush(self) -> Iterator[bytes]:
        for i, stage in enumerate(self._stages):
            for out in stage.flush():
                yield from self._run(i + 1, out)
