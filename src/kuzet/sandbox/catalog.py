"""What the sandbox web holds: the seeds the demo ingests, the registry row it imports, the truth.

``seeds()`` is every source the demo should monitor: each static site's front page, each
Telegram channel preview and the RSS feed; the hostile host is left out on purpose (it exists
to test the fetcher, not the pipeline). ``answer_key()`` is for tests and evaluation only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from kuzet.sandbox import server, telegram

ANSWER_KEY_PATH = Path(str(resources.files("kuzet.sandbox"))) / "answer_key.json"

SeedKind = Literal["website", "telegram", "feed"]


@dataclass(frozen=True)
class Seed:
    """One source to monitor: ``host`` + ``path`` on the sandbox, ``name`` for people."""

    kind: SeedKind
    host: str
    path: str
    name: str

    def url(self, port: int | None = None) -> str:
        """``http://HOST[:PORT]PATH``; pass the sandbox server's port for a reachable URL."""
        return f"http://{self.host}{f':{port}' if port else ''}{self.path}"


# Display names for the seed list (the demo shows them); hosts not listed fall back to the host.
SITE_NAMES = {
    "vulkan-royal.test": "Vulkan Royal (online casino, registry-listed)",
    "vulkan-royal7.test": "Vulkan Royal mirror 7",
    "vulkan-royal-zerkalo12.test": "Vulkan Royal mirror 12",
    "vulkan-royal-kz.test": "Vulkan Royal Kazakh mirror",
    "aktsiya-bonus.test": "Promo page (image only)",
    "lucky-steppe.test": "Lucky Steppe Casino",
    "top-casino-kz.test": "TopCasino.kz affiliate rating",
    "goldstep-invest.test": "GoldStep Invest",
    "p2p-svyazki.test": "ArbiSchool P2P arbitrage",
    "baqyt-qory.test": "Бақыт Қоры",
    "drop-rabota.test": "Card-buying recruitment",
    "tez-zaim.test": "ТезЗайм private lender",
    "tulpar-bet.test": "Tulpar Bet (licensed bookmaker)",
    "sapa-bank.test": "Сапа Банк deposits",
    "dala-news.test": "Dala News",
    "coinpulse.test": "CoinPulse crypto news",
    "fingramota.test": "ФинГрамота financial literacy",
    "kofe-alatau.test": "Кофейня «Алатау»",
    "mektep-17.test": "№17 мектеп-гимназия",
    "dastarkhan-recipes.test": "Дастархан recipes",
    "steppe-travel.test": "Steppe Travel Notes",
}
FEED = ("dala-news.test", "/rss.xml", "Dala News RSS")


def seeds() -> list[Seed]:
    """Every site, Telegram channel and feed the demo ingests (not the hostile host)."""
    out = [Seed("website", h, "/", SITE_NAMES.get(h, h)) for h in server.site_hosts()]
    out += [
        Seed("telegram", telegram.HOST, f"/s/{ch.name}", f"Telegram: {ch.title}") for ch in telegram.channels().values()
    ]
    out.append(Seed("feed", FEED[0], FEED[1], FEED[2]))
    return out


@lru_cache(maxsize=1)
def _key() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ANSWER_KEY_PATH.read_text(encoding="utf-8"))
    return data


def answer_key() -> dict[str, Any]:
    """The truth about every page, post and feed item (a fresh copy; for tests only)."""
    return json.loads(json.dumps(_key()))


def registry_rows() -> list[dict[str, Any]]:
    """Registry entries for the demo to import; keys match ``kuzet.records.RegistryEntry``."""
    return [dict(row) for row in _key()["registry"]]


# The sandbox's licensed bookmaker, bank and financial-literacy site: what an agency would put on
# its allow-list (licence registers, the list of banks, official sources).
_ALLOWLIST = [
    {
        "resource": "tulpar-bet.test",
        "category": "licensed_operator",
        "reason": "licensed bookmaker (sandbox licence 0017)",
    },
    {
        "resource": "sapa-bank.test",
        "category": "bank",
        "reason": "second-tier bank licensed by the regulator (sandbox)",
    },
    {
        "resource": "fingramota.test",
        "category": "official",
        "reason": "financial-literacy portal of the regulator (sandbox)",
    },
]


def allowlist_rows() -> list[dict[str, str]]:
    """Allow-list entries for the demo to import (``resource``, ``category``, ``reason``)."""
    return [dict(row) for row in _ALLOWLIST]


def all_hosts() -> list[str]:
    """Every host the sandbox server answers for, the hostile host included."""
    return server.all_hosts()


__all__ = ["Seed", "all_hosts", "allowlist_rows", "answer_key", "registry_rows", "seeds"]
