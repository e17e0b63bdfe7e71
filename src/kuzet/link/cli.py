"""``kuzet network ...``: networks of resources linked by shared identifiers and mirror content.

kuzet network show RESOURCE|INDICATOR [--json]
kuzet network list [--json]
kuzet network path A B [--json]
kuzet network export ID --stix FILE
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kuzet.errors import KuzetError
from kuzet.link.settings import LinkSettings
from kuzet.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Networks of linked resources (mirrors).")
out = Console(highlight=False)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


@contextmanager
def _session() -> Any:
    from kuzet.store.db import open_database

    try:
        db = open_database(get_settings().db_url)
    except KuzetError as e:
        raise _fail(str(e)) from e
    try:
        with db.session() as s:
            yield s
    finally:
        db.dispose()


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _show_network(s: Session, nid: int, as_json: bool) -> None:
    from kuzet.link import queries

    net = queries.detail(s, nid)
    if net is None:
        raise _fail(f"no network {nid}")
    if as_json:
        _print_json(net.to_dict())
        return
    t = Table(title=f"network {net.id} ({len(net.members)} members)")
    for col in ("resource", "joined via", "registry decisions"):
        t.add_column(col)
    for m in net.members:
        t.add_row(escape(m.resource), escape(m.joined_via or "—"), escape("; ".join(m.decisions) or "—"))
    out.print(t)
    t = Table(title="shared")
    for col in ("kind", "value", "resources"):
        t.add_column(col)
    for sh in net.shared:
        t.add_row(escape(sh["kind"]), escape(str(sh["value"])), escape(", ".join(sh["resources"])))
    out.print(t)
    for mg in net.merged:
        how = f"{mg.get('kind', '')} {mg.get('value', '')}".strip()
        out.print(f"network {mg['id']} merged into {net.id}: {escape(how)}")


@app.command("show")
def show(
    what: Annotated[
        str, typer.Argument(help="A resource (domain, t.me/name, URL), a network id or an indicator value.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A resource's network, a network by id, or the resources that carry an indicator."""
    from kuzet.link import queries
    from kuzet.link.networks import network_of

    with _session() as s:
        res = queries.find_resource(s, what)
        if res is not None:
            nid = network_of(s, res.id)
            if nid is None:
                if as_json:
                    _print_json({"resource": res.key, "network": None})
                else:
                    out.print(f"{escape(res.key)} is in no network")
                return
            _show_network(s, nid, as_json)
            return
        if what.isdigit() and len(what) < 10:
            from kuzet.store.models import NetworkRow

            if s.get(NetworkRow, int(what)) is not None:
                _show_network(s, int(what), as_json)
                return
        rows = queries.indicator_resources(s, what)
        if not rows:
            raise _fail(f"no resource, network or indicator {what!r}", code=1)
        if as_json:
            _print_json({"indicator": what, "resources": rows})
            return
        t = Table(title=f"resources carrying {escape(what)}")
        for col in ("kind", "resource", "documents", "network"):
            t.add_column(col)
        for r in rows:
            t.add_row(escape(r["kind"]), escape(r["resource"]), str(r["documents"]), str(r["network"] or "—"))
        out.print(t)


@app.command("list")
def list_networks(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every network (merged ones are shown under the network that absorbed them)."""
    from kuzet.link import queries

    with _session() as s:
        rows = queries.network_list(s)
    if as_json:
        _print_json(rows)
        return
    t = Table(title="networks")
    for col in ("id", "members", "resources", "in the registry"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            str(r["id"]), str(r["members"]), escape(", ".join(r["resources"])), escape(", ".join(r["listed"]) or "—")
        )
    out.print(t)


@app.command("path")
def path_cmd(
    a: Annotated[str, typer.Argument(help="A resource (domain, t.me/name or URL).")],
    b: Annotated[str, typer.Argument(help="Another resource.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The shortest chain of links that ties two resources together."""
    from kuzet.link import queries

    with _session() as s:
        ra, rb = queries.find_resource(s, a), queries.find_resource(s, b)
        if ra is None or rb is None:
            raise _fail(f"unknown resource {a if ra is None else b!r}", code=1)
        steps = queries.resource_path(s, ra, rb, LinkSettings().network_threshold)
    if steps is None:
        if as_json:
            _print_json({"from": ra.key, "to": rb.key, "path": None})
        else:
            out.print(f"{escape(ra.key)} and {escape(rb.key)} are not linked")
        raise typer.Exit(1)
    if as_json:
        _print_json({"from": ra.key, "to": rb.key, "path": steps})
        return
    for st in steps:
        out.print(f"{escape(st['from'])} → {escape(st['to'])}: {escape(st['kind'])} {escape(str(st['value']))}")


@app.command("export")
def export(
    network_id: Annotated[int, typer.Argument(help="The network id.")],
    stix: Annotated[Path, typer.Option("--stix", help="Write a STIX 2.1 bundle (JSON) to this file.")],
) -> None:
    """Export a network as a STIX 2.1 bundle."""
    from kuzet.link.stix import StixExportError, export_network

    with _session() as s:
        try:
            counts = export_network(s, network_id, stix)
        except StixExportError as e:
            raise _fail(str(e), code=1) from e
    out.print(f"wrote {escape(str(stix))}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    app()
