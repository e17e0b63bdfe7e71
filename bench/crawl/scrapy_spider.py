"""The Scrapy side of the crawl benchmark: a minimal CrawlSpider with kuzet crawl's settings.

Run as ``python bench/crawl/scrapy_spider.py URL MAX_PAGES CONCURRENCY OUT.jsonl``: same start
URL, same concurrency (global and per domain), delay 0, robots.txt obeyed, at most MAX_PAGES
pages (CLOSESPIDER_PAGECOUNT), one JSON line a page (url, status, sha256, bytes).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class SiteSpider(CrawlSpider):
    name = "site"
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)

    def __init__(self, start: str, out: str, **kw: Any) -> None:
        self.start_urls = [start]
        self.allowed_domains = [urlsplit(start).hostname or ""]
        self._out = open(out, "w", encoding="utf-8")  # noqa: SIM115 - closed in closed()
        super().__init__(**kw)

    def parse_start_url(self, response: Any, **kw: Any) -> Any:
        return self.parse_page(response)

    def parse_page(self, response: Any) -> Any:
        body = response.body
        rec = {"url": response.url, "status": response.status, "sha256": hashlib.sha256(body).hexdigest()}
        rec["bytes"] = len(body)
        self._out.write(json.dumps(rec) + "\n")
        return []

    def closed(self, reason: str) -> None:
        self._out.close()


def main() -> None:
    start, max_pages, concurrency, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "CONCURRENT_REQUESTS_PER_IP": 0,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": True,
            "CLOSESPIDER_PAGECOUNT": max_pages,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "COOKIES_ENABLED": False,
            "RETRY_ENABLED": False,
            "DEPTH_LIMIT": 20,
        }
    )
    process.crawl(SiteSpider, start=start, out=out)
    process.start()


if __name__ == "__main__":
    main()
