"""Challenge / block page fingerprints are data; these pin what they must and must not match."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuzet.errors import ConfigError
from kuzet.evidence.pagekind import classify_page, load_fingerprints


def test_content_page() -> None:
    r = classify_page(status=200, title="Казино Вулкан", text="Бонус 200% на первый депозит " * 50)
    assert r.kind == "content" and r.fingerprint is None


@pytest.mark.parametrize(
    ("kwargs", "kind", "fingerprint"),
    [
        ({"status": 503, "title": "Just a moment..."}, "challenge", "cloudflare_challenge"),
        ({"status": 403, "headers": {"CF-Mitigated": "challenge"}}, "challenge", "cloudflare_challenge"),
        (
            {"status": 200, "text": "DDoS protection. Checking your browser before accessing"},
            "challenge",
            "browser_check",
        ),
        ({"status": 200, "text": "Подтвердите, что запросы отправляли вы, а не робот"}, "challenge", "captcha_wall"),
        (
            {"status": 200, "text": "Доступ к ресурсу ограничен на основании решения суда"},
            "block_page",
            "government_block_ru_kz",
        ),
        ({"status": 200, "text": "Бұл интернет-ресурсқа кіру шектелген"}, "block_page", "government_block_ru_kz"),
        (
            {"status": 403, "title": "Access Denied", "text": "You don't have permission"},
            "block_page",
            "generic_access_denied",
        ),
    ],
)
def test_fingerprints(kwargs: dict, kind: str, fingerprint: str) -> None:
    r = classify_page(**kwargs)
    assert (r.kind, r.fingerprint) == (kind, fingerprint)
    assert r.reasons and r.reasons[0].startswith(fingerprint)


def test_long_article_mentioning_blocking_is_content() -> None:
    text = "Новости. Сайт заблокирован по решению суда, сообщили в ведомстве. " + "Подробности расследования. " * 400
    assert classify_page(status=200, title="Новости", text=text).kind == "content"


def test_errors() -> None:
    assert classify_page(status=404, title="Not Found").kind == "error"
    assert classify_page(status=500).reasons == ["HTTP status 500"]
    assert classify_page(status=None, navigation_error="net::ERR_NAME_NOT_RESOLVED").kind == "error"
    # A Cloudflare challenge answers 503 but is a challenge, not an error.
    assert classify_page(status=503, title="Just a moment...").kind == "challenge"


def test_bad_fingerprint_file(tmp_path: Path) -> None:
    p = tmp_path / "fp.yaml"
    p.write_text("fingerprints:\n  - name: x\n    kind: maybe\n")
    with pytest.raises(ConfigError):
        load_fingerprints(p)
    p.write_text("fingerprints:\n  - name: mine\n    kind: block_page\n    text: [stop sign]\n")
    fps = load_fingerprints(p)
    assert classify_page(status=200, text="A STOP SIGN here", fingerprints=fps).fingerprint == "mine"


def test_casino_page_sending_blocked_visitors_to_a_mirror_is_content() -> None:
    """Casinos tell visitors "site blocked? use the mirror": that is their content, not a stub."""
    text = (
        "Казино Вулкан Рояль. Слоты, live-казино, бонус 200% на первый депозит. Забрать бонус. "
        "Сайт заблокирован? Используйте рабочее зеркало или наш Telegram-бот. Роскомнадзор не помеха."
    )
    assert classify_page(status=200, title="Вулкан Рояль — казино", text=text).kind == "content"
    # A stub says so in its title.
    assert classify_page(status=200, title="Сайт заблокирован", text="Обратитесь к провайдеру").kind == "block_page"
