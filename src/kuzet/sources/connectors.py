"""Source connectors: what each kind of source puts into the frontier when it runs.

A connector turns one ``sources`` row (kind, url, config) into frontier candidates and the job
payload their fetches carry (scope, revisit interval). Fetching, extraction and storage are the
pipeline's; a connector only says *what* to visit.

=============  ===============================================================================
kind           config keys (all optional)
=============  ===============================================================================
website        seeds [urls], prefix "/", max_depth 2, max_pages 200 (per host),
               include_subdomains false, sitemaps false (read /sitemap.xml), recrawl "1d"
telegram       url ``https://t.me/s/NAME`` (or just NAME); max_pages 5 (preview pages a run),
               recrawl "1h"; later runs page back only to the newest post already read
feed           url of an RSS/Atom/RDF feed; follow_items false; recrawl "30m"
urls           urls [urls or bare domains], file (one a line), scheme "https", port, max_depth 0,
               recrawl "1d"
newdomains     file or url (a newly-registered list or CT stream: one domain a line or JSON
               lines), brands [names], threshold 0.5, scheme "https", port, max_pages 5,
               max_depth 1, recrawl "1d"; suspicious names are visited first. stream true:
               the url is a live stream, followed for as long as the monitor runs (reconnected
               with back-off) and drained every ``poll`` (default "10s"); max_line_bytes 4096,
               max_lines_per_tick 5000, idle_timeout "2m"
import         file (.jsonl, .csv or .warc[.gz]): content gathered elsewhere, stored directly
=============  ===============================================================================
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from kuzet.errors import ConfigError, FetchError
from kuzet.run.queue import NewJob
from kuzet.run.services import Services
from kuzet.sources import frontier
from kuzet.sources.domainstream import DomainStream
from kuzet.sources.newdomains import NameScorer, parse_domain_lines
from kuzet.sources.scope import Scope
from kuzet.store.frontier import CrawlUrl, SourceState
from kuzet.store.models import Source
from kuzet.urls import host_of

log = logging.getLogger("kuzet.sources")

MAX_LIST_BYTES = 20 * 1024 * 1024
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: object, default: float) -> float:
    """Seconds from ``90``, ``"30m"``, ``"1h"``, ``"1d"``; ``default`` when unset."""
    if value is None or value == "":
        return default
    if isinstance(value, int | float):
        return float(value)
    m = _INTERVAL.match(str(value))
    if not m:
        raise ConfigError(f"bad interval {value!r} (use seconds or 30m, 1h, 1d)")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class RunContext:
    """What a connector may use when it runs: the services (fetcher, blobs), the pipeline, and
    the live streams it follows (kept open across ticks, by source id; ``close`` ends them)."""

    services: Services
    pipeline: Any  # CrawlPipeline; Any to keep this module free of the pipeline's imports
    streams: dict[int, DomainStream] = field(default_factory=dict)

    def close(self) -> None:
        for stream in self.streams.values():
            stream.close()
        self.streams.clear()


class Connector:
    kind: ClassVar[str] = ""
    default_recrawl: ClassVar[float] = 86400.0

    def __init__(self, source: Source) -> None:
        self.source = source
        self.config: dict[str, Any] = dict(source.config or {})

    @property
    def recrawl_s(self) -> float:
        return parse_interval(self.config.get("recrawl"), self.default_recrawl)

    def seeds(self, ctx: RunContext) -> list[frontier.Candidate]:
        return []

    def config_url(self, domain: str) -> str:
        """The front page of a bare domain: config ``scheme`` (https) and ``port`` (a local sandbox)."""
        scheme = str(self.config.get("scheme", "https"))
        port = self.config.get("port")
        return f"{scheme}://{domain}{f':{int(port)}' if port else ''}/"

    def payload_for(self, row: CrawlUrl) -> dict[str, Any]:
        """The fetch job payload of a (re)visit of ``row``."""
        return {"recrawl_s": self.recrawl_s if row.depth == 0 else None}

    def priority(self) -> int:
        return frontier.PRIORITY_FIRST

    def max_per_host(self) -> int | None:
        return None

    def start_run(self, s: Session, state: SourceState, ctx: RunContext) -> list[NewJob]:
        """Add this run's seeds to the frontier; returns the fetch jobs of the new ones."""
        cands = self.seeds(ctx)
        jobs: list[NewJob] = []
        for c in cands:
            probe = CrawlUrl(url=c.url, depth=c.depth, host=host_of(c.url))
            jobs += frontier.add(
                s,
                self.source.id,
                [c],
                payload=self.payload_for(probe),
                priority=self.priority(),
                max_per_host=self.max_per_host(),
            )
        return jobs


class WebsiteConnector(Connector):
    kind = "website"

    def scope(self, host: str | None = None) -> Scope:
        c = self.config
        return Scope(
            host=host or host_of(self.source.url),
            prefix=str(c.get("prefix", "/")),
            max_depth=int(c.get("max_depth", 2)),
            max_pages=int(c.get("max_pages", 200)),
            include_subdomains=bool(c.get("include_subdomains", False)),
        )

    def seeds(self, ctx: RunContext) -> list[frontier.Candidate]:
        urls = [self.source.url, *[str(u) for u in self.config.get("seeds", [])]]
        out = [frontier.Candidate(u) for u in urls]
        if self.config.get("sitemaps"):
            p = urlsplit(self.source.url)
            out.append(frontier.Candidate(f"{p.scheme}://{p.netloc}/sitemap.xml", payload={"sitemap": True}))
        return out

    def payload_for(self, row: CrawlUrl) -> dict[str, Any]:
        # Every page of a site is revisited on the source's interval (unchanged ones back off).
        return {"scope": self.scope().as_dict(), "recrawl_s": self.recrawl_s}

    def max_per_host(self) -> int | None:
        return self.scope().max_pages


class TelegramConnector(Connector):
    kind = "telegram"
    default_recrawl = 3600.0

    def preview_url(self) -> str:
        url = self.source.url.strip()
        if not url.startswith(("http://", "https://")):
            return f"https://t.me/s/{url.lstrip('@')}"
        p = urlsplit(url)
        segs = [x for x in p.path.split("/") if x]
        if segs and segs[0] != "s":
            return f"{p.scheme}://{p.netloc}/s/{segs[0]}"
        return url.split("?", 1)[0]

    def seeds(self, ctx: RunContext) -> list[frontier.Candidate]:
        return [frontier.Candidate(self.preview_url())]

    def payload_for(self, row: CrawlUrl) -> dict[str, Any]:
        scope = {"kind": "telegram", "max_pages": int(self.config.get("max_pages", 5))}
        return {"scope": scope, "recrawl_s": self.recrawl_s if row.depth == 0 else None}

    def start_run(self, s: Session, state: SourceState, ctx: RunContext) -> list[NewJob]:
        mark_baseline(state)
        return super().start_run(s, state, ctx)


def mark_baseline(state: SourceState) -> None:
    """A new visit of a channel's head pages back only to the newest post read so far."""
    cursor = dict(state.cursor or {})
    cursor["baseline_post_id"] = int(cursor.get("max_post_id", 0))
    state.cursor = cursor


class FeedConnector(Connector):
    kind = "feed"
    default_recrawl = 1800.0

    def seeds(self, ctx: RunContext) -> list[frontier.Candidate]:
        return [frontier.Candidate(self.source.url)]

    def payload_for(self, row: CrawlUrl) -> dict[str, Any]:
        if row.depth > 0:  # an item page
            return {"scope": Scope(host=row.host, max_depth=0).as_dict()}
        scope = {
            "kind": "feed",
            "follow_items": bool(self.config.get("follow_items", False)),
            "max_pages": int(self.config.get("max_pages", 200)),
        }
        return {"scope": scope, "recrawl_s": self.recrawl_s}


class UrlListConnector(Connector):
    kind = "urls"

    def _lines(self) -> Iterator[str]:
        yield from (str(u) for u in self.config.get("urls", []))
        if self.source.url and self.source.url not in ("-", ""):
            yield self.source.url
        path = self.config.get("file")
        if path:
            yield from read_lines(Path(str(path)))

    def seeds(self, ctx: RunContext) -> list[frontier.Candidate]:
        out = []
        for line in self._lines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            url = line if "://" in line else self.config_url(line.strip("/"))
            out.append(frontier.Candidate(url))
        return out

    def payload_for(self, row: CrawlUrl) -> dict[str, Any]:
        scope = Scope(host=row.host, max_depth=int(self.config.get("max_depth", 0)))
        return {"scope": scope.as_dict(), "recrawl_s": self.recrawl_s if row.depth == 0 else None}


class NewDomainConnector(Connector):
    kind = "newdomains"

    @property
    def streaming(self) -> bool:
        return bool(self.config.get("stream"))

    @property
    def recrawl_s(self) -> float:
        if self.streaming:  # a stream is drained often; the visits' own recrawl stays the site's
            return parse_interval(self.config.get("poll"), 10.0)
        return super().recrawl_s

    def stream_url(self) -> str | None:
        url = self.config.get("url") or (self.source.url if self.source.url.startswith("http") else None)
        return str(url) if url else None

    def stream(self, ctx: RunContext) -> DomainStream | None:
        """This source's live stream, started on first use and kept for the monitor's life."""
        url = self.stream_url()
        if url is None:
            raise ConfigError(f"source {self.source.name!r}: stream = true needs an http(s) url")
        current = ctx.streams.get(self.source.id)
        if current is not None and current.url == url:
            return current
        if current is not None:
            current.close()
        c = self.config
        ctx.streams[self.source.id] = DomainStream(
            url,
            ctx.services.settings,
            max_line_bytes=int(c.get("max_line_bytes", 4096)),
            max_lines_per_tick=int(c.get("max_lines_per_tick", 5000)),
            idle_timeout=parse_interval(c.get("idle_timeout"), 120.0),
            backoff_min=parse_interval(c.get("backoff_min"), 1.0),
            backoff_max=parse_interval(c.get("backoff_max"), 300.0),
        ).start()
        return ctx.streams[self.source.id]

    def scorer(self) -> NameScorer:
        return NameScorer(
            brands=[str(b) for b in self.config.get("brands", [])],
            threshold=float(self.config.get("threshold", 0.5)),
        )

    def _lines(self, ctx: RunContext) -> Iterator[str]:
        path = self.config.get("file")
        if path and not self.streaming:
            yield from read_lines(Path(str(path)))
        if self.streaming:
            stream = self.stream(ctx)
            if stream is not None:
                yield from stream.take()
            return
        url = self.stream_url()
        if url:
            try:
                snap = ctx.services.fetcher.fetch(str(url), binary_limit=MAX_LIST_BYTES)
            except FetchError as e:
                log.warning("new-domain list %s unavailable: %s", url, e)
                return
            yield from snap.body.decode("utf-8", errors="replace").splitlines()

    def seeds(self, ctx: RunContext) -> list[frontier.Candidate]:
        out = []
        for scored in self.scorer().suspicious(parse_domain_lines(self._lines(ctx))):
            log.info("new domain %s scored %.2f (%s)", scored.domain, scored.score, ", ".join(scored.reasons))
            out.append(frontier.Candidate(self.config_url(scored.domain), payload={"domain_score": scored.score}))
        return out

    def payload_for(self, row: CrawlUrl) -> dict[str, Any]:
        scope = Scope(
            host=row.host,
            max_depth=int(self.config.get("max_depth", 1)),
            max_pages=int(self.config.get("max_pages", 5)),
        )
        revisit = parse_interval(self.config.get("recrawl"), self.default_recrawl)
        return {"scope": scope.as_dict(), "recrawl_s": revisit if row.depth == 0 else None}

    def priority(self) -> int:
        return frontier.PRIORITY_NEW_DOMAIN


class ImportConnector(Connector):
    kind = "import"

    def start_run(self, s: Session, state: SourceState, ctx: RunContext) -> list[NewJob]:
        from kuzet.sources.imports import import_file

        path = Path(str(self.config.get("file") or self.source.url))
        return import_file(s, ctx.services, ctx.pipeline, path, source_id=self.source.id, state=state)


CONNECTORS: dict[str, type[Connector]] = {
    c.kind: c
    for c in (WebsiteConnector, TelegramConnector, FeedConnector, UrlListConnector, NewDomainConnector, ImportConnector)
}


def connector_for(source: Source) -> Connector:
    try:
        return CONNECTORS[source.kind](source)
    except KeyError as e:
        raise ConfigError(f"source {source.name!r}: unknown kind {source.kind!r} ({', '.join(CONNECTORS)})") from e


def read_lines(path: Path) -> Iterator[str]:
    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise ConfigError(f"{path}: {size} bytes, over the {MAX_LIST_BYTES}-byte list limit")
        with path.open(encoding="utf-8", errors="replace") as f:
            yield from f
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from e
