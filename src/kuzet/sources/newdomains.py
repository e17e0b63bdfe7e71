"""New-domain watch: score freshly registered or certified names and queue the suspicious ones.

Input is a file or a stream URL of newly registered domains or certificate-transparency entries:
one domain a line, or JSON lines carrying ``domain``, ``domains``/``all_domains`` (certstream
style) or ``data.leaf_cert.all_domains``. Each name is scored by what it is called:

* gambling and pyramid tokens (casino, kazino, bet, slot, vulkan, azino, invest, profit, hyip, p2p);
* numbered mirrors (``brand-mirror17.top``, ``vulkan-royal7``, ``zerkalo12``);
* look-alikes of licensed or watched brands (edit distance 1-2 from a brand's name, or the
  brand's name with extra words around it).

A name at or over ``threshold`` is queued for a first visit, new domains before everything else.
A live stream (``stream = true``) is followed by ``domainstream.DomainStream``; its lines go
through the same parsing and scoring on every tick.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from kuzet.urls import registrable_domain

log = logging.getLogger("kuzet.sources.newdomains")

TOKENS: dict[str, float] = {
    "casino": 0.6, "kazino": 0.6, "kazina": 0.5, "vulkan": 0.6, "azino": 0.7, "slot": 0.5, "slots": 0.5,
    "bet": 0.4, "bets": 0.4, "betting": 0.5, "poker": 0.4, "jackpot": 0.5, "roulette": 0.5, "ruletka": 0.5,
    "igrovye": 0.5, "avtomaty": 0.4, "1xbet": 0.7, "pinup": 0.6, "joycasino": 0.7, "spin": 0.2,
    "invest": 0.4, "investment": 0.4, "profit": 0.4, "hyip": 0.8, "p2p": 0.4, "doxod": 0.4, "dohod": 0.4,
    "bonus": 0.2, "million": 0.2, "crypto": 0.2, "arbitrage": 0.4, "svyazki": 0.5, "zaim": 0.3,
    "zerkalo": 0.5, "mirror": 0.5, "official": 0.1,
}  # fmt: skip
_MIRROR = re.compile(r"(?:mirror|zerkalo|zerk|alt|new)[-_]?\d{1,4}$|[a-z]{3,}[-_]?\d{1,3}$")
_SPLIT = re.compile(r"[^a-z0-9]+|(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, giving up at ``limit`` (returns ``limit``)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) >= limit:
            return limit
        prev = cur
    return min(prev[-1], limit)


@dataclass(frozen=True, slots=True)
class DomainScore:
    domain: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass
class NameScorer:
    """Scores a domain name; ``brands`` are names (``tulpar-bet``) whose look-alikes are suspect."""

    brands: list[str] = field(default_factory=list)
    threshold: float = 0.5

    def score(self, domain: str) -> DomainScore:
        domain = domain.lower().strip().strip(".").removeprefix("*.")
        reg = registrable_domain(domain)
        label = reg.split(".", 1)[0]
        words = [w for w in _SPLIT.split(domain.removesuffix(reg[len(label) :])) if w]
        reasons: list[str] = []
        total = 0.0
        for tok, weight in TOKENS.items():
            if tok in words or (len(tok) >= 5 and tok in label):
                total += weight
                reasons.append(f"token:{tok}")
        if _MIRROR.search(label):
            total += 0.3
            reasons.append("numbered_mirror")
        for brand in self.brands:
            b = brand.lower().split(".", 1)[0]
            if label == b:
                continue
            flat, bflat = label.replace("-", ""), b.replace("-", "")
            d = edit_distance(flat, bflat)
            if 0 < d <= (1 if len(bflat) < 6 else 2) or (len(bflat) >= 5 and bflat in flat and flat != bflat):
                total += 0.6
                reasons.append(f"lookalike:{brand}")
                break
        return DomainScore(reg if reg else domain, round(min(total, 1.0), 3), tuple(reasons))

    def suspicious(self, domains: Iterable[str]) -> Iterator[DomainScore]:
        """Scores at or over the threshold, each registrable domain once."""
        seen: set[str] = set()
        for d in domains:
            s = self.score(d)
            if s.domain in seen or s.score < self.threshold:
                continue
            seen.add(s.domain)
            yield s


def log_skip(reason: str, line: str) -> None:
    log.info("new-domain line skipped (%s): %r", reason, line[:120])


def parse_domain_lines(lines: Iterable[str], on_skip: Callable[[str, str], None] = log_skip) -> Iterator[str]:
    """Domains from plain lines or certstream-like JSON lines; junk is skipped, each junk line
    reported to ``on_skip(reason, line)`` (logged by default)."""
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                on_skip("not valid JSON", line)
                continue
            found = list(_json_domains(obj))
            if not found:
                on_skip("no domain in the JSON", line)
            yield from found
            continue
        name = line.split()[0].split(",")[0].lower()
        if _plausible(name):
            yield name
        else:
            on_skip("not a domain name", line)


def _json_domains(obj: object) -> Iterator[str]:
    if not isinstance(obj, dict):
        return
    found: list[object] = []
    for key in ("domain", "name"):
        if isinstance(obj.get(key), str):
            found.append(obj[key])
    for key in ("domains", "all_domains"):
        if isinstance(obj.get(key), list):
            found.extend(obj[key])
    data = obj.get("data")
    if isinstance(data, dict):
        leaf = data.get("leaf_cert")
        if isinstance(leaf, dict) and isinstance(leaf.get("all_domains"), list):
            found.extend(leaf["all_domains"])
    for d in found:
        if isinstance(d, str):
            d = d.lower().removeprefix("*.")
            if _plausible(d):
                yield d


def _plausible(name: str) -> bool:
    return 3 < len(name) <= 253 and "." in name and re.fullmatch(r"[a-z0-9._-]+", name) is not None
