"""Launch flags: the resolver overrides become --host-resolver-rules and nothing else changes."""

from __future__ import annotations

import pytest

from kuzet.evidence.browser import BASE_ARGS, host_resolver_rules, launch_args
from kuzet.settings import Settings


def test_resolver_rules_from_settings() -> None:
    s = Settings(mode="development", resolve="*.test=127.0.0.1")
    assert launch_args(s.resolve_map) == [*BASE_ARGS, "--host-resolver-rules=MAP *.test 127.0.0.1"]
    two = host_resolver_rules({"*.test": "127.0.0.1", "mirror.example": "10.0.0.5"})
    assert two == "MAP *.test 127.0.0.1,MAP mirror.example 10.0.0.5"


def test_no_overrides_no_rules() -> None:
    assert launch_args({}) == list(BASE_ARGS)
    assert "--disable-quic" in BASE_ARGS and "--no-sandbox" in BASE_ARGS


def test_separator_injection_refused() -> None:
    with pytest.raises(ValueError):
        host_resolver_rules({"*.test": "127.0.0.1,EXCLUDE *"})
