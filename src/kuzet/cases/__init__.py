"""Cases: findings grouped for one decision, and the life of that decision (see ``states``)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from kuzet.cases.states import ACTIONS, STATES, TRANSITIONS, allowed_next

# The service (and its database models) load on first use, not when `kuzet` registers commands.
_LAZY = {"CaseView": "kuzet.cases.service", "case_view": "kuzet.cases.service", "transition": "kuzet.cases.service"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kuzet.cases' has no attribute {name!r}")


__all__ = ["ACTIONS", "STATES", "TRANSITIONS", "CaseView", "allowed_next", "case_view", "transition"]
