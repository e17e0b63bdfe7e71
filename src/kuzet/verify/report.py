"""``kuzet report --from DATE --to DATE [--format csv|xlsx|json] [--out FILE]``.

Writes the figures of :mod:`kuzet.verify.stats` for a period. JSON holds the three tables as
lists of objects; CSV is one long table (``table, dimension, key, metric, value``) that a
spreadsheet pivots; XLSX has one sheet per table. JSON and CSV go to stdout without ``--out``.
Every value is written as data: a cell that starts with ``=``, ``+``, ``-`` or ``@`` in a text
column is prefixed with ``'`` so that a spreadsheet never runs crawled text as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from kuzet.verify.stats import Report

app = typer.Typer(no_args_is_help=True)
FORMATS = ("json", "csv", "xlsx")


def report_dict(r: Report) -> dict[str, Any]:
    return {
        "from": r.date_from.isoformat(),
        "to": r.date_to.isoformat(),
        "counts": [asdict(x) for x in r.counts],
        "restricted": [asdict(x) for x in r.restricted],
        "durations": [asdict(x) for x in r.durations],
    }


def long_rows(r: Report) -> list[tuple[str, str, str, str, Any]]:
    """(table, dimension, key, metric, value) rows: the CSV form."""
    rows: list[tuple[str, str, str, str, Any]] = []
    for c in r.counts:
        rows += [
            ("counts", c.dimension, c.key, "cases", c.cases),
            ("counts", c.dimension, c.key, "findings", c.findings),
        ]
    for x in r.restricted:
        rows += [
            ("restricted", "category", x.category, "resources", x.resources),
            ("restricted", "category", x.category, "cases", x.cases),
        ]
    for d in r.durations:
        for metric in ("n", "median_s", "p90_s", "min_s", "max_s"):
            rows.append(("durations", d.metric, "", metric, getattr(d, metric)))
    return rows


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def to_csv(r: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["table", "dimension", "key", "metric", "value"])
    for row in long_rows(r):
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


def write_xlsx(r: Report, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = "period"
    about.append(["from", r.date_from.isoformat()])
    about.append(["to", r.date_to.isoformat()])
    tables: list[tuple[str, list[Any]]] = [
        ("counts", r.counts),
        ("restricted", r.restricted),
        ("durations", r.durations),
    ]
    for name, items in tables:
        ws = wb.create_sheet(name)
        fields = list(asdict(items[0]).keys()) if items else []
        ws.append(fields)
        for item in items:
            ws.append([_cell(v) for v in asdict(item).values()])
    wb.save(path)


@app.command("report")
def report_command(
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, UTC), included.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD, UTC), included.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv, xlsx or json (default: from --out, else json).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (stdout for csv/json without it).")] = None,
) -> None:
    """Statistics for a period: cases and findings by category, platform, route, status and month;
    resources restricted per category; time to detect and time to block (median, p90, min, max)."""
    from kuzet.cases.cli import database, fail, settings
    from kuzet.verify.stats import build_report

    try:
        start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    except ValueError as e:
        raise fail(f"dates are YYYY-MM-DD: {e}") from e
    if end < start:
        raise fail("--to is before --from")
    kind = (fmt or (out.suffix.lstrip(".").lower() if out else "json")).lower()
    if kind not in FORMATS:
        raise fail(f"unknown format {kind!r} (csv, xlsx, json)")
    if kind == "xlsx" and out is None:
        raise fail("xlsx needs --out FILE")
    with database(settings()).session() as s:
        rep = build_report(s, start, end)
    if kind == "xlsx":
        assert out is not None
        write_xlsx(rep, out)
    else:
        text = to_csv(rep) if kind == "csv" else json.dumps(report_dict(rep), ensure_ascii=False, indent=2) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
    if out is not None:
        typer.echo(f"wrote {out}", err=True)
