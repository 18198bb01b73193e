"""The article store: one SQLite file, all of the project's SQL."""

from __future__ import annotations

from tuinews.store.connection import StoreUnwritable
from tuinews.store.records import FeedInfo, Headline, SaveStats, SortKey, StoredArticle, View
from tuinews.store.store import Store

__all__ = [
    "FeedInfo",
    "Headline",
    "SaveStats",
    "SortKey",
    "Store",
    "StoreUnwritable",
    "StoredArticle",
    "View",
]
