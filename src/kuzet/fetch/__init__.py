"""fetch stage: guarded, bounded HTTP fetching into Snapshots."""

from kuzet.fetch.fetcher import Fetcher, error_snapshot

__all__ = ["Fetcher", "error_snapshot"]
