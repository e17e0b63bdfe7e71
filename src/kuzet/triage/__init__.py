"""triage stage: a route policy kept as data proposes criminal, administrative or blocking."""

from kuzet.triage.policy import DEFAULT_POLICY, Policy, decision_phrase

__all__ = ["DEFAULT_POLICY", "Policy", "decision_phrase"]
