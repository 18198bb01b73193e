"""Writing one fetched feed: new items inserted, changed items updated, marks kept.

Runs inside the caller's write transaction. Only the rows whose content digest changed
are rewritten, and each kind of write is one prepared statement run by executemany.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from tuinews.errors import StoreError
from tuinews.model import Article, Feed, article_id
from tuinews.store.records import SaveStats
from tuinews.store.rows import CONTENT_COLUMNS, article_fields, key_of, row_values, to_epoch

_INSERT = (
    "INSERT OR IGNORE INTO articles (article_id, feed_id, key, first_seen, last_seen, "
    f"{', '.join(CONTENT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(CONTENT_COLUMNS))})"
)
_UPDATE = (
    f"UPDATE articles SET last_seen = ?, {', '.join(c + ' = ?' for c in CONTENT_COLUMNS)} "
    "WHERE pk = ?"
)


def save_fetch(
    conn: sqlite3.Connection,
    feed_id: int,
    feed: Feed,
    *,
    status: int | None,
    etag: str | None,
    last_modified: str | None,
    fetched_at: datetime,
    next_fetch: datetime | None,
    source_mtime: float | None,
) -> SaveStats:
    row = conn.execute("SELECT url FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    if row is None:
        raise StoreError(f"no feed with id {feed_id} in the store")
    url: str = row[0]
    now = fetched_at.timestamp()

    # The same identity twice in one fetch: the first (newest) copy wins.
    items: dict[str, Article] = {}
    for item in feed.articles:
        items.setdefault(key_of(item), item)
    keys_json = json.dumps(list(items), ensure_ascii=False)
    existing: dict[str, tuple[int, float, str]] = {
        key: (pk, first_seen, digest)
        for key, pk, first_seen, digest in conn.execute(
            "SELECT key, pk, first_seen, content_hash FROM articles "
            "WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))",
            (feed_id, keys_json),
        ).fetchall()
    }

    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for key, item in items.items():
        fields, digest = article_fields(item)
        old = existing.get(key)
        if old is None:
            values = row_values(fields, digest, now)
            inserts.append((item.id or article_id(url, key), feed_id, key, now, now, *values))
        elif old[2] != digest:
            updates.append((now, *row_values(fields, digest, old[1]), old[0]))

    inserted = conn.executemany(_INSERT, inserts).rowcount if inserts else 0
    if inserted < len(inserts):
        _insert_with_fresh_ids(conn, url, feed_id, inserts)
    if updates:
        conn.executemany(_UPDATE, updates)
    # Unchanged items were seen too: cleanup never drops what the feed still lists.
    conn.execute(
        "UPDATE articles SET last_seen = ? WHERE feed_id = ? AND last_seen < ? "
        "AND key IN (SELECT value FROM json_each(?))",
        (now, feed_id, now, keys_json),
    )
    conn.execute(
        """UPDATE feeds SET feed_title = COALESCE(NULLIF(?, ''), feed_title), etag = ?,
        last_modified = ?, last_status = ?, last_refresh = ?, seen_at = ?, last_error = NULL,
        last_error_at = NULL, failures = 0, next_fetch = ?, source_mtime = ? WHERE id = ?""",
        (
            feed.title,
            etag,
            last_modified,
            status,
            now,
            now,
            to_epoch(next_fetch),
            source_mtime,
            feed_id,
        ),
    )
    return SaveStats(new=len(inserts), updated=len(updates))


def _insert_with_fresh_ids(
    conn: sqlite3.Connection, url: str, feed_id: int, inserts: list[tuple[Any, ...]]
) -> None:
    """Insert the rows whose article id another row already holds (a feed that moved
    onto the URL of a removed one, a hand-made id), under an id scoped to this feed."""
    present = {
        key
        for (key,) in conn.execute(
            "SELECT key FROM articles WHERE feed_id = ? "
            "AND key IN (SELECT value FROM json_each(?))",
            (feed_id, json.dumps([values[2] for values in inserts], ensure_ascii=False)),
        ).fetchall()
    }
    missing = [values for values in inserts if values[2] not in present]
    conn.executemany(
        _INSERT.replace("INSERT OR IGNORE", "INSERT"),
        [(article_id(f"{url}\x00{feed_id}", values[2]), *values[1:]) for values in missing],
    )
