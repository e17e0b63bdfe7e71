"""Launch flags: the resolver overrides become --host-resolver-rules and nothing else changes."""

from __future__ import annotations

import pytest

from kuzet.evidence.browser import BASE_ARGS, host_resolver_rules, launch_args, playwright_proxy
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


def test_proxy_credentials_go_to_playwright_not_to_the_address() -> None:
    config, shown = playwright_proxy("http://us%40er:p%3Ass@proxy.example:3128")
    assert config == {"server": "http://proxy.example:3128", "username": "us@er", "password": "p:ss"}
    assert shown == "http://proxy.example:3128"
    assert playwright_proxy("socks5://127.0.0.1:1080") == (
        {"server": "socks5://127.0.0.1:1080"},
        "socks5://127.0.0.1:1080",
    )
    assert playwright_proxy("127.0.0.1:3128") == ({"server": "127.0.0.1:3128"}, "127.0.0.1:3128")
    assert playwright_proxy("http://u:p@[::1]:8080")[1] == "http://[::1]:8080"
