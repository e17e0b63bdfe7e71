"""Block verification: re-check sent cases' URLs (blocked, removed, back, moved to a mirror), move
the cases, alert on overdue ones; and the statistics of ``kuzet report``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Loaded on first use: `kuzet` registers the verify commands at start-up, and every command
# (classify, crawl...) would otherwise pay for extraction, hashing and HTTP imports it never uses.
# The function ``recheck`` shares its name with its module: import it from ``kuzet.verify.recheck``.
_EXPORTS = {
    "BLOCKING": "kuzet.verify.outcomes",
    "OUTCOMES": "kuzet.verify.outcomes",
    "classify_error": "kuzet.verify.outcomes",
    "classify_snapshot": "kuzet.verify.outcomes",
    "RecheckResult": "kuzet.verify.recheck",
    "due_cases": "kuzet.verify.recheck",
    "recheck_case": "kuzet.verify.recheck",
    "round_verdict": "kuzet.verify.recheck",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'kuzet.verify' has no attribute {name!r}")


__all__ = [
    "BLOCKING",
    "OUTCOMES",
    "RecheckResult",
    "classify_error",
    "classify_snapshot",
    "due_cases",
    "recheck_case",
    "round_verdict",
]
