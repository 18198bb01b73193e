"""The article store: one SQLite file, all of the project's SQL.

The names below load on first use (PEP 562): the frame drawn before the reader starts
imports `tuinews.store.first_screen` alone, without the model and its dataclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuinews.lazy import loader

if TYPE_CHECKING:
    from tuinews.store.connection import StoreUnwritable
    from tuinews.store.records import (
        FeedInfo,
        FeedWrite,
        Headline,
        SaveStats,
        SortKey,
        StoredArticle,
        View,
    )
    from tuinews.store.store import Store

_HOMES = {
    "StoreUnwritable": "connection",
    "FeedInfo": "records",
    "FeedWrite": "records",
    "Headline": "records",
    "SaveStats": "records",
    "SortKey": "records",
    "StoredArticle": "records",
    "View": "records",
    "Store": "store",
}

__all__ = [
    "FeedInfo",
    "FeedWrite",
    "Headline",
    "SaveStats",
    "SortKey",
    "Store",
    "StoreUnwritable",
    "StoredArticle",
    "View",
]


__getattr__ = loader(__name__, _HOMES)
