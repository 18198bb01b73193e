"""The article store: one SQLite file, all of the project's SQL.

The names below load on first use (PEP 562): the frame drawn before the reader starts
imports `tuinews.store.first_screen` alone, without the model and its dataclasses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tuinews.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tuinews.store.{home}"), name)
    globals()[name] = value
    return value
