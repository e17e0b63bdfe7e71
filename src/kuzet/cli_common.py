"""Helpers the command modules share: the error exit, the acting person, settings, the database."""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from kuzet.errors import KuzetError

if TYPE_CHECKING:  # settings pull in pydantic-settings: imported where needed, so that
    from kuzet.settings import Settings  # `kuzet classify` can use `fail` and start quickly

err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` (escaped: it may quote crawled text) and return the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def actor_name(given: str | None) -> str:
    """``--actor``, else ``KUZET_ACTOR``, else the login name ("" when there is none: the action
    that needs a name then refuses with its own message)."""
    if given:
        return given
    try:
        return os.environ.get("KUZET_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return ""


def settings() -> Settings:
    from kuzet.settings import get_settings

    try:
        return get_settings()
    except KuzetError as e:
        raise fail(str(e)) from e


def database(s: Settings | None = None) -> Any:
    from kuzet.store.db import open_database

    try:
        return open_database((s or settings()).db_url)
    except KuzetError as e:
        raise fail(str(e)) from e


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")
