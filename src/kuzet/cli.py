"""The ``kuzet`` command. Every command works in an empty data folder (it creates and migrates the
database on first use); progress and logs go to stderr, machine-readable output to stdout."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler

from kuzet import __version__
from kuzet.cli_common import fail as _fail
from kuzet.detect.cli import classify
from kuzet.errors import KuzetError
from kuzet.settings import Settings, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
registry_app = typer.Typer(no_args_is_help=True, help="The registry of resources prohibited by law or court decision.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
evidence_app = typer.Typer(no_args_is_help=True, help="Evidence bundles.")
app.add_typer(registry_app, name="registry")
app.add_typer(db_app, name="db")
app.add_typer(evidence_app, name="evidence")


def _register_sources() -> None:
    # crawl, monitor and source live with the sources stage; merged here as top-level commands.
    from kuzet.sources import cli as sources_cli

    app.add_typer(sources_cli.app)


def _register_review() -> None:
    from kuzet.review import cli as review_cli

    app.add_typer(review_cli.app, name="finding")


def _register_allowlist() -> None:
    from kuzet.link import allowlist_cli

    app.add_typer(allowlist_cli.app, name="allowlist")


def _register_network() -> None:
    from kuzet.link import cli as network_cli

    app.add_typer(network_cli.app, name="network")


_register_sources()
_register_review()
_register_network()
_register_allowlist()


def _register_cases() -> None:
    from kuzet.cases import cli as cases_cli

    app.add_typer(cases_cli.app, name="case")


_register_cases()


def _register_report() -> None:
    from kuzet.verify import report as report_cli

    app.add_typer(report_cli.app)


_register_report()

err = Console(stderr=True)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, rich_tracebacks=False)],
        force=True,
    )


def _settings(**overrides: Any) -> Settings:
    try:
        return get_settings(**{k: v for k, v in overrides.items() if v is not None})
    except KuzetError as e:
        raise _fail(str(e)) from e


def _open_db(settings: Settings) -> Any:
    from kuzet.store.db import open_database

    try:
        return open_database(settings.db_url)
    except KuzetError as e:
        raise _fail(str(e)) from e


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")] = False) -> None:
    _setup_logging(verbose)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8765,
) -> None:
    """Serve the bundled sandbox web (fixture sites, Telegram previews, feed, hostile pages) until Ctrl-C."""
    from kuzet.sandbox.server import serve_forever

    serve_forever(host, port)


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Exit after the summary.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    sandbox_port: Annotated[int, typer.Option(help="Port of the sandbox web.")] = 8765,
    port: Annotated[int, typer.Option(help="Port of the UI.")] = 8000,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start over: remove the previous demo's data first.")] = False,
) -> None:
    """Run the whole pipeline on the sandbox web, print a summary, then serve the UI."""
    from kuzet.demo import DemoError, run_demo

    settings = _settings(mode="development")
    try:
        summary = run_demo(settings, sandbox_port=sandbox_port, fresh=fresh, progress=True)
    except (KuzetError, DemoError) as e:
        raise _fail(str(e)) from e
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
    else:
        from kuzet.demo import print_summary

        print_summary(summary, Console())
    if not no_serve:
        _serve(settings, "127.0.0.1", port)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the web UI and API."""
    _serve(_settings(), host, port)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from kuzet.web.app import create_app

    try:
        application = create_app(settings)
    except KuzetError as e:
        raise _fail(str(e)) from e
    err.print(f"UI: http://{host}:{port}/  (Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


# Defined with the detector so that ``kuzet.entry`` can run it without importing this module.
app.command()(classify)


@app.command(name="eval")
def evaluate_cmd(
    data: Annotated[Path, typer.Option("--data", help="Labelled JSONL (`text`, `label`, optional `hard_negative`).")],
    obfuscation: Annotated[bool, typer.Option(help="Also score under the obfuscation generator.")] = True,
    out: Annotated[Path | None, typer.Option(help="Write the full report as JSON here.")] = None,
) -> None:
    """Per-class precision/recall/F1, macro-F1, hard-negative false-positive rate, confusion matrix."""
    from kuzet.detect.stream import evaluate

    if not data.is_file():
        raise _fail(f"no such file: {data}")
    try:
        report = evaluate(data, obfuscate=obfuscation)
    except KuzetError as e:
        raise _fail(str(e)) from e
    _print_eval(report, Console())
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


def _print_eval(report: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    labels = list(report["per_class"])
    t = Table(title=f"{report['n']} texts: macro-F1 {report['macro_f1']:.4f}")
    for col in ("label", "precision", "recall", "F1", "support"):
        t.add_column(col)
    for lab, m in report["per_class"].items():
        t.add_row(lab, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(t)
    c = Table(title="confusion (rows: gold, columns: predicted)")
    c.add_column("gold")
    for lab in labels:
        c.add_column(lab)
    for g in labels:
        c.add_row(g, *(str(report["confusion"].get(g, {}).get(p, 0)) for p in labels))
    console.print(c)
    console.print(
        f"hard-negative false-positive rate {report.get('hard_negative_fp_rate', 0):.4f} "
        f"(of {report.get('hard_negative_n', 0)}); benign FP rate {report['benign_fp_rate']:.4f}; "
        f"{report.get('docs_per_second')} docs/s"
    )
    if "obfuscated" in report:
        console.print(
            f"under obfuscation: macro-F1 {report['obfuscated']['macro_f1']:.4f} "
            f"(drop {report['obfuscation_drop']:.4f}), hard-negative FP "
            f"{report['obfuscated'].get('hard_negative_fp_rate', 0):.4f}"
        )


@app.command()
def train(
    data: Annotated[list[Path] | None, typer.Option("--data", help="Labelled JSONL file(s); repeatable.")] = None,
    from_db: Annotated[
        bool, typer.Option("--from-db", help="Add analysts' confirmed and dismissed findings from the database.")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Model file to write (default: the packaged model).")] = None,
    eval_data: Annotated[list[Path] | None, typer.Option("--eval", help="Held-out JSONL to report on.")] = None,
) -> None:
    """Train the learned classifier (leave-one-source-out report) and write the model with its card."""
    import tempfile

    from kuzet.detect.detector import packaged_model_path
    from kuzet.detect.training import train as train_model

    paths = list(data or [])
    for p in [*paths, *(eval_data or [])]:
        if not p.is_file():
            raise _fail(f"no such file: {p}")
    if not paths and not from_db:
        raise _fail("nothing to train on: give --data FILE.jsonl and/or --from-db")
    target = out or packaged_model_path()
    with tempfile.TemporaryDirectory(prefix="kuzet-train-") as tmp:
        if from_db:
            from kuzet.review.findings import reviewed_examples

            db_rows = Path(tmp) / "analysts.jsonl"
            n = 0
            with _open_db(_settings()).session() as s, db_rows.open("w", encoding="utf-8") as fh:
                for row in reviewed_examples(s):
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                    n += 1
            err.print(f"{n} reviewed findings from the database")
            if n:
                paths.append(db_rows)
            elif not data:
                raise _fail("the database holds no confirmed or dismissed findings yet (kuzet finding confirm|dismiss)")
        try:
            metrics = train_model(paths, target, eval_paths=list(eval_data or []))
        except KuzetError as e:
            raise _fail(str(e)) from e
    err.print(f"model written to {target} (card: {target.parent / 'MODEL_CARD.md'})")
    sys.stdout.write(json.dumps(metrics, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def scan(
    url: Annotated[str, typer.Argument(help="The page (or t.me/s/NAME channel preview) to scan.")],
    out: Annotated[Path | None, typer.Option(help="Folder for the evidence bundle.")] = None,
    capture: Annotated[bool, typer.Option(help="Capture evidence with the browser.")] = True,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Let this scan reach private and loopback addresses.")
    ] = False,
) -> None:
    """Fetch, detect and capture one page; print a JSON summary (verdict, signals, indicators, bundle)."""
    from kuzet.scan import scan_url

    settings = _settings(allow_private=True if allow_private else None)
    try:
        result = scan_url(settings, url, out_dir=out, capture=capture)
    except KuzetError as e:
        raise _fail(str(e)) from e
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="Registry dump (cp1251 `;` with `Updated:` line) or CSV.")],
) -> None:
    """Import registry entries; bad rows are reported with line numbers, re-import adds nothing new."""
    from kuzet.link.registry import parse_registry
    from kuzet.records import RegistryEntry
    from kuzet.store.repo import add_registry_entries

    if not file.is_file():
        raise _fail(f"no such file: {file}")
    settings = _settings()
    db = _open_db(settings)
    bad = 0

    def good() -> Any:
        nonlocal bad
        for item in parse_registry(file):
            if isinstance(item, RegistryEntry):
                yield item
            else:
                bad += 1  # counted, not kept: a broken dump can have millions of bad rows
                if bad <= 20:
                    err.print(f"line {item.line}: {item.reason}", markup=False, highlight=False)

    try:
        with db.session() as s:
            added, present = add_registry_entries(s, good(), origin=str(file))
    except KuzetError as e:
        raise _fail(str(e)) from e
    if bad > 20:
        err.print(f"... and {bad - 20} more bad rows")
    sys.stdout.write(
        json.dumps({"file": str(file), "added": added, "already_present": present, "bad_rows": bad}) + "\n"
    )


@registry_app.command("add")
def registry_add(
    resource: Annotated[str, typer.Argument(help="URL, domain, *.domain, t.me/NAME or IP.")],
    decision_number: Annotated[str, typer.Option(help="Number of the decision that prohibits it.")],
    decision_date: Annotated[str, typer.Option(help="Date of the decision (YYYY-MM-DD).")],
    authority: Annotated[str, typer.Option(help="Court or body that decided.")],
    kind: Annotated[str | None, typer.Option(help="url, domain, subdomains, channel, account or ip.")] = None,
    legal_basis: Annotated[str, typer.Option(help="Articles the decision rests on.")] = "",
    category: Annotated[str, typer.Option(help="gambling, pyramid, illegal_finance...")] = "",
    actor: Annotated[str, typer.Option(help="Who adds it (kept in the audit log).")] = "",
) -> None:
    """Add one registry entry by hand (a decision not yet in the published dump); audited."""
    import getpass

    from kuzet.link.registry import manual_entry
    from kuzet.store.repo import add_registry_entries

    try:
        entry = manual_entry(resource, kind, authority, decision_number, decision_date, legal_basis, category)
    except KuzetError as e:
        raise _fail(str(e)) from e
    who = actor or getpass.getuser()
    with _open_db(_settings()).session() as s:
        added, _ = add_registry_entries(s, [entry], origin="manual", actor=who)
    sys.stdout.write(
        json.dumps({"added": added, "resource": entry.resource, "kind": entry.kind, "actor": who}, ensure_ascii=False)
        + "\n"
    )


@registry_app.command("check")
def registry_check(url: Annotated[str, typer.Argument(help="URL, domain or t.me/NAME.")]) -> None:
    """Print the registry entries that cover URL (exit 0), or nothing (exit 1)."""
    from kuzet.link.registry import RegistryMatcher
    from kuzet.store.repo import registry_candidates, row_to_entry

    db = _open_db(_settings())
    with db.session() as s:
        rows = registry_candidates(s, url)
        entries = [row_to_entry(r) for r in rows]
    target = url if "://" in url or url.startswith("t.me/") else f"http://{url}"
    matched = RegistryMatcher(entries).match(target)
    for e in matched:
        sys.stdout.write(
            json.dumps(
                {
                    "resource": e.resource,
                    "kind": e.kind,
                    "decision_number": e.decision_number,
                    "decision_date": e.decision_date,
                    "authority": e.authority,
                    "legal_basis": e.legal_basis,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    raise typer.Exit(0 if matched else 1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the current schema."""
    settings = _settings()
    _open_db(settings)
    err.print(f"database at {settings.db_url} is up to date")


@evidence_app.command("verify")
def evidence_verify(
    path: Annotated[Path, typer.Argument(help="Bundle folder.")],
    tsa_cert: Annotated[Path | None, typer.Option(help="TSA certificate to check the timestamp token.")] = None,
) -> None:
    """Recompute every hash, check the signature and timestamp: exit 0 when intact, 1 naming each failure."""
    from kuzet.evidence.verify import verify_bundle

    if not path.exists():
        raise _fail(f"no such bundle: {path}")
    try:
        report = verify_bundle(path, tsa_cert=tsa_cert)
    except KuzetError as e:
        raise _fail(str(e), 1) from e
    for check in report.checks:
        err.print(f"ok: {check}", markup=False, highlight=False)
    for failure in report.failures:
        err.print(f"FAILED: {failure}", markup=False, highlight=False)
    sys.stdout.write(json.dumps({"bundle": str(path), "ok": report.ok, "failures": report.failures}) + "\n")
    raise typer.Exit(0 if report.ok else 1)


@evidence_app.command("report")
def evidence_report(
    path: Annotated[Path, typer.Argument(help="Bundle folder.")],
    lang: Annotated[list[str] | None, typer.Option(help="Report language (ru, kk); repeat for several.")] = None,
) -> None:
    """Write the inspection report PDF(s) of a bundle («протокол осмотра») and record them in its custody log."""
    from kuzet.evidence.report import write_report

    if not path.is_dir():
        raise _fail(f"no such bundle: {path}")
    try:
        files = write_report(path, _settings(), langs=tuple(lang or ["ru", "kk"]))
    except KuzetError as e:
        raise _fail(str(e)) from e
    for f in files:
        sys.stdout.write(f"{f}\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
