"""extract stage: Snapshot -> Documents (pages, Telegram posts, feed items, plain text)."""

from kuzet.extract.dispatch import extract
from kuzet.extract.page import page_document
from kuzet.extract.telegram import TelegramPage, TelegramPost, parse_telegram_preview, telegram_documents

__all__ = ["TelegramPage", "TelegramPost", "extract", "page_document", "parse_telegram_preview", "telegram_documents"]
