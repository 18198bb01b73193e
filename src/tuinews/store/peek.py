"""Looks into the store without opening it for writing: before a refresh starts its
parse workers, and for `add` and `import`.

Lean on purpose, like `first_screen`: read-only, no migration, nothing written, and the
connection closed before the caller forks (a forked child must not inherit one).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tuinews.store.uris import file_uri


def conditional_feeds(path: Path) -> set[str] | None:
    """The URLs of the feeds fetched before with a validator (ETag or Last-Modified):
    their next fetch is most likely a 304 with no body to parse. None when the store
    cannot be read as it is (missing, locked, not ours): assume nothing."""
    try:
        conn = sqlite3.connect(file_uri(path, "mode=ro"), uri=True, timeout=0.2)
    except sqlite3.Error:
        return None
    try:
        rows = conn.execute(
            "SELECT url FROM feeds WHERE last_refresh IS NOT NULL "
            "AND (etag IS NOT NULL OR last_modified IS NOT NULL)"
        ).fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return {str(url) for (url,) in rows}


def former_addresses(path: Path) -> dict[str, str]:
    """Each address a stored feed had before a move -> its address now (as
    `Store.former_urls`), read without opening the store for writing: `add` and `import`
    check a new address against them. Empty when the store is missing, locked, from
    before schema v9 or not ours: nothing is known to have moved."""
    if not path.is_file():
        return {}
    try:
        conn = sqlite3.connect(file_uri(path, "mode=ro"), uri=True, timeout=0.2)
    except sqlite3.Error:
        return {}
    from tuinews.store.feeds import former_urls

    try:
        return former_urls(conn)
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
