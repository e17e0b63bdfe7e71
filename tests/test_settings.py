from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.errors import BlockedAddress, ConfigError
from kuzet.fetch.guard import AddressGuard
from kuzet.settings import Settings, get_settings


def test_defaults_are_production_and_local_data_dir() -> None:
    s = Settings()
    assert s.mode == "production" and not s.allow_loopback
    assert s.data_dir == Path("kuzet-data")
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("kuzet-data/kuzet.db")


def test_environment_and_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "kuzet.toml"
    cfg.write_text('mode = "development"\ndata_dir = "/tmp/from-toml"\nmax_redirects = 3\n')
    monkeypatch.setenv("KUZET_CONFIG", str(cfg))
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path / "from-env"))
    s = get_settings()
    assert s.mode == "development" and s.max_redirects == 3
    assert s.data_dir == tmp_path / "from-env"  # the environment wins over the file


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ConfigError, match="KUZET_SECRET_KEY"):
        Settings(secret_key="changeme").require_secret()
    with pytest.raises(ConfigError):
        Settings().require_secret()
    assert Settings(mode="development").require_secret()
    assert Settings(secret_key="a-real-random-secret-0123456789").require_secret()


def test_bad_values_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        get_settings(mode="sometimes")
    with pytest.raises(ConfigError, match="HOSTPATTERN=IP"):
        _ = Settings(resolve="nonsense").resolve_map


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.5",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "100.64.0.1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "fd00:ec2::254",
    ],
)
def test_production_guard_refuses_non_public(ip: str) -> None:
    with pytest.raises(BlockedAddress):
        AddressGuard().check_ip(ip, url="http://x/")


def test_development_allows_loopback_but_never_metadata() -> None:
    g = AddressGuard.from_settings(Settings(mode="development"))
    g.check_ip("127.0.0.1", url="u")
    g.check_ip("::1", url="u")
    with pytest.raises(BlockedAddress):
        g.check_ip("10.0.0.1", url="u")
    with pytest.raises(BlockedAddress):
        g.check_ip("169.254.169.254", url="u")
    AddressGuard().check_ip("8.8.8.8", url="u")


def test_resolve_overrides_are_still_guarded() -> None:
    prod = AddressGuard.from_settings(Settings(resolve="*.test=127.0.0.1"))
    with pytest.raises(BlockedAddress):
        prod.resolve("casino.test", 80, url="http://casino.test/")
    dev = AddressGuard.from_settings(Settings(mode="development", resolve="*.test=127.0.0.1"))
    assert dev.resolve("casino.test", 80, url="http://casino.test/") == ["127.0.0.1"]
    assert dev.override_for("example.com") is None
