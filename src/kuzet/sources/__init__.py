"""Sources and crawling: what to visit, when, and politely.

connectors.py  website / telegram / feed / urls / newdomains / import sources -> frontier seeds
frontier.py    the persistent seen-set and revisit schedule (tables in kuzet.store.frontier)
pipeline.py    CrawlPipeline: the shared stages plus conditional revisits and link following
monitor.py     the scheduler loop behind ``kuzet monitor``
fetchpump.py   the monitor's concurrent fetch phase (claims fetch jobs, stores each page in one transaction)
fetchworker.py the fetch phase's worker process (async polite fetching on its own core, over a pipe)
politeness.py  PoliteFetcher: robots.txt, per-host delay and concurrency, Retry-After retries
asyncpolite.py AsyncPoliteFetcher: the same rules on the async fetch path, for the fetch phase
scope.py       crawl scope and crawler-trap limits
newdomains.py  scoring of newly registered / certified domain names
domainstream.py  a live new-domain stream followed line by line (bounded, reconnecting)
imports.py     JSONL / CSV / WARC import
aiofetch.py    the guarded fetch path for asyncio;  crawl.py: ``kuzet crawl``
cli.py         ``kuzet crawl``, ``kuzet monitor``, ``kuzet source add|list|remove``
"""
