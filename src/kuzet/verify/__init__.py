"""Block verification: re-check sent cases' URLs (blocked, removed, back, moved to a mirror), move
the cases, alert on overdue ones; and the statistics of ``kuzet report``."""

from kuzet.verify.outcomes import BLOCKING, OUTCOMES, classify_error, classify_snapshot
from kuzet.verify.recheck import RecheckResult, due_cases, recheck, recheck_case, round_verdict

__all__ = [
    "BLOCKING",
    "OUTCOMES",
    "RecheckResult",
    "classify_error",
    "classify_snapshot",
    "due_cases",
    "recheck",
    "recheck_case",
    "round_verdict",
]
