"""Typed settings from ``KUZET_*`` environment variables and an optional ``kuzet.toml``.

Precedence: explicit arguments > environment > ``kuzet.toml`` (in the working directory, or the
file named by ``KUZET_CONFIG``) > defaults. Production mode (the default) refuses placeholder
secrets and never lets the fetcher or the browser reach private, loopback or link-local
addresses; development mode (``make demo`` and the tests) allows loopback so that the sandbox
and local test servers can be reached.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from kuzet.errors import ConfigError

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "placeholder", "xxx", "dev", "development"}


def _toml_path() -> Path:
    return Path(os.environ.get("KUZET_CONFIG", "kuzet.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KUZET_", extra="ignore", validate_default=True)

    mode: Literal["production", "development"] = "production"
    data_dir: Path = Path("./kuzet-data")
    database_url: str | None = None
    # Secret for the web UI's sessions and CSRF tokens. Required outside development.
    secret_key: str = ""

    # Fetching
    user_agent: str = "kuzet/0.1 (+https://github.com/kuzet; open-content monitoring)"
    proxy: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 10
    # "HOSTPATTERN=IP" pairs, comma-separated, e.g. "*.test=127.0.0.1": like curl --resolve and
    # chromium --host-resolver-rules. The sandbox sets it; the address guard still applies.
    resolve: str = ""
    allow_private: bool = False

    # Browser and evidence
    chromium_path: str = "/usr/bin/chromium"
    capture_timeout: float = 45.0
    max_screenshot_height: int = 20000
    tsa_url: str | None = None
    tsa_cert: Path | None = None
    evidence_threshold: float = 0.5

    # Detection and triage
    policy_file: Path | None = None
    templates_dir: Path | None = None
    # Who may approve a case (comma-separated names); empty: anyone but its proposer (four eyes).
    supervisors: str = ""
    # Bearer tokens for the case API's writes, "TOKEN=ACTOR,..." (from the environment only);
    # empty: the API is read-only.
    api_tokens: SecretStr = SecretStr("")

    # --- Dispatch to the authorities (kuzet.dispatch) --------------------------------------------
    # Secrets come from the environment (KUZET_SMTP_PASSWORD, KUZET_WEBHOOK_SECRET), never from
    # the repository; SecretStr keeps them out of reprs and logs.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    smtp_timeout: float = 30.0
    mail_from: str = ""
    # One address per route: the authority that acts on that route's cases.
    mail_to_blocking: str = ""
    mail_to_criminal: str = ""
    mail_to_administrative: str = ""
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_timeout: float = 20.0
    webhook_max_response_bytes: int = 64 * 1024
    outbox_dir: Path | None = None  # default: data_dir/outbox
    # Retries after the first attempt for a transient failure (server down, 5xx, timeout), with
    # exponential backoff starting at dispatch_backoff seconds.
    dispatch_retries: int = 3
    dispatch_backoff: float = 2.0
    # Evidence bundles up to this many bytes (all together) are attached to the e-mail; larger
    # ones are referenced by path and SHA-256 only.
    dispatch_attachment_limit_bytes: int = 10 * 1024 * 1024

    @model_validator(mode="after")
    def _check_dispatch(self) -> Settings:
        if self.dispatch_retries < 0 or self.dispatch_backoff < 0 or self.dispatch_attachment_limit_bytes < 0:
            raise ValueError("dispatch_retries, dispatch_backoff and dispatch_attachment_limit_bytes must be >= 0")
        secret = self.webhook_secret.get_secret_value()
        if (
            self.webhook_url
            and not self.development
            and (secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < 16)
        ):
            raise ValueError(
                "KUZET_WEBHOOK_URL is set but KUZET_WEBHOOK_SECRET is missing or a placeholder; "
                "set a random value of at least 16 characters"
            )
        return self

    @property
    def dispatch_outbox(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"

    def mail_to(self, route: str) -> str:
        """The authority's address for a route ("" when not configured)."""
        return str(getattr(self, f"mail_to_{route}", "") or "")

    # --- end of dispatch settings ----------------------------------------------------------------

    # --- Block verification and alerts (kuzet.verify) --------------------------------------------
    # Sent and closed cases are re-checked when their last round is this old (kuzet case recheck --all).
    recheck_interval_hours: float = 24.0
    # A sent case still reachable this many days after sending is listed by `kuzet case overdue`.
    overdue_days: float = 2.0
    # Consecutive rounds that must agree before a re-check moves a case (blocked, removed, reopened).
    block_confirmations: int = Field(default=1, ge=1)
    # --- end of block verification settings ------------------------------------------------------

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _toml_path()
        if path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _expand(cls, v: Any) -> Any:
        return Path(v).expanduser() if isinstance(v, str | Path) else v

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.max_body_bytes <= 0 or self.total_timeout <= 0:
            raise ValueError("max_body_bytes and total_timeout must be positive")
        return self

    @property
    def development(self) -> bool:
        return self.mode == "development"

    @property
    def allow_loopback(self) -> bool:
        """Loopback targets are reachable only in development mode."""
        return self.development or self.allow_private

    @property
    def api_actors(self) -> dict[str, str]:
        """Token -> actor name from ``api_tokens``; tokens under 16 characters are refused."""
        out: dict[str, str] = {}
        for item in self.api_tokens.get_secret_value().split(","):
            token, sep, actor = item.strip().partition("=")
            if not item.strip():
                continue
            if not sep or not actor.strip() or len(token.strip()) < 16:
                raise ConfigError("KUZET_API_TOKENS entries are TOKEN=ACTOR with tokens of at least 16 characters")
            out[token.strip()] = actor.strip()
        return out

    @property
    def supervisor_names(self) -> frozenset[str]:
        return frozenset(n.strip() for n in self.supervisors.split(",") if n.strip())

    @cached_property
    def resolve_map(self) -> dict[str, str]:
        """Host pattern -> IP overrides from ``resolve``."""
        out: dict[str, str] = {}
        for item in self.resolve.split(","):
            item = item.strip()
            if not item:
                continue
            if "=" not in item:
                raise ConfigError(f"KUZET_RESOLVE entry {item!r} is not HOSTPATTERN=IP")
            host, ip = item.split("=", 1)
            out[host.strip().lower()] = ip.strip()
        return out

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kuzet.db').resolve()}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def require_secret(self) -> str:
        """The web secret; production refuses a missing or placeholder one."""
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 16:
            if self.development:
                return "development-only-secret-key-not-for-production"
            raise ConfigError(
                "KUZET_SECRET_KEY is missing or a placeholder; set a random value of at least "
                "16 characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return self.secret_key


_DEFAULT: Settings | None = None


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment (cached) or a fresh object with ``overrides``."""
    global _DEFAULT
    if overrides:
        try:
            return Settings(**overrides)
        except ValueError as e:
            raise ConfigError(str(e)) from e
    if _DEFAULT is None:
        try:
            _DEFAULT = Settings()
        except ValueError as e:
            raise ConfigError(f"invalid settings: {e}") from e
    return _DEFAULT


def reset_settings() -> None:
    global _DEFAULT
    _DEFAULT = None


__all__ = ["Field", "Settings", "get_settings", "reset_settings"]
