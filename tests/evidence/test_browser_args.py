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


def test_our_disable_features_keeps_playwrights() -> None:
    """Chromium keeps the last --disable-features only: ours must repeat the installed driver's."""
    import re
    from pathlib import Path

    import playwright

    from kuzet.evidence.browser import KUZET_DISABLED_FEATURES, PLAYWRIGHT_DISABLED_FEATURES

    flags = [a for a in BASE_ARGS if a.startswith("--disable-features=")]
    assert len(flags) == 1
    ours = set(flags[0].split("=", 1)[1].split(","))
    assert set(PLAYWRIGHT_DISABLED_FEATURES) | set(KUZET_DISABLED_FEATURES) == ours
    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    if not bundle.is_file():
        pytest.skip("Playwright's driver bundle is not where this test expects it")
    text = bundle.read_text(encoding="utf-8")
    start = text.find("disabledFeatures = [")
    if start < 0:
        pytest.skip("Playwright's disabledFeatures list not found in its driver bundle")
    body = re.sub(r"//[^\n]*", "", text[start : text.index("]", start)])
    theirs = set(re.findall(r'"([A-Za-z0-9]+)"', body))
    assert theirs and theirs <= ours, f"Playwright now also disables {sorted(theirs - ours)}"


@pytest.mark.browser
def test_no_omnibox_webui_or_spare_renderer_per_context() -> None:
    """Each context costs one renderer, the page's: no omnibox WebUI, no spare renderer."""
    from pathlib import Path

    from kuzet.evidence.browser import descendants, launch

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium is not installed")
    proc = launch("/usr/bin/chromium", {})
    try:
        cdp = proc.browser.new_browser_cdp_session()
        ctx = proc.browser.new_context()
        page = ctx.new_page()
        page.goto("data:text/html,<h1>x</h1>")
        page.wait_for_timeout(300)
        urls = [t["url"] for t in cdp.send("Target.getTargets")["targetInfos"]]
        assert not any("top-chrome" in u for u in urls), urls
        assert proc.pid is not None
        renderers = [p for p in descendants(proc.pid) if b"--type=renderer" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(renderers) == 1, renderers
        ctx.close()
    finally:
        proc.stop()
