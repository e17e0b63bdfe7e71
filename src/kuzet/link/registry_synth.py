"""Made-up registry dumps of any size, in the public dump's shape, for tests and the benchmark.

Every tenth row repeats an earlier one (dumps list a decision again when its IPs change) and
every thousandth row is broken, so that an import exercises de-duplication and error reporting.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


def dump_lines(rows: int) -> Iterator[str]:
    yield "Updated: 2026-11-01 10:00:00 +0000"
    for i in range(rows):
        if i % 1000 == 999:
            yield f"broken row {i}"
            continue
        n = i - 5 if i % 10 == 9 else i
        ips = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        yield f"{ips};kazino-{n}.test;http://kazino-{n}.test/vhod;суд;2-{n}/26;2026-01-{1 + n % 28:02d}"


def write_dump(path: Path, rows: int) -> Path:
    """Write ``rows`` rows (cp1251, CRLF) without holding them in memory."""
    with Path(path).open("w", encoding="cp1251", newline="\r\n") as fh:
        for line in dump_lines(rows):
            fh.write(line + "\n")
    return path
