"""Writing one fetched feed: new items inserted, changed items updated, marks kept.

Runs inside the caller's write transaction. Only the rows whose content digest changed
are rewritten, and each kind of write is one prepared statement run by executemany.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime
from typing import Any

from tuinews.errors import StoreError
from tuinews.model import Article, Feed, article_id
from tuinews.store.fts import indexed_body
from tuinews.store.records import SaveStats
from tuinews.store.rows import key_of, to_epoch
from tuinews.store.schema import index_new_articles

# Columns written from an Article, in the order `_fields` and `_row` give them.
CONTENT_COLUMNS = (
    "title",
    "link",
    "guid",
    "author",
    "published",
    "updated",
    "summary",
    "content",
    "content_type",
    "enclosures",
    "categories",
    "language",
    "direction",
    "dateline",
    "body_text",
    "sort_ts",
    "content_hash",
)

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
        fields, digest = _fields(item)
        old = existing.get(key)
        if old is None:
            values = _row(fields, digest, now)
            inserts.append((item.id or article_id(url, key), feed_id, key, now, now, *values))
        elif old[2] != digest:
            updates.append((now, *_row(fields, digest, old[1]), old[0]))

    if inserts:
        (largest_pk,) = conn.execute("SELECT COALESCE(MAX(pk), 0) FROM articles").fetchone()
        if conn.executemany(_INSERT, inserts).rowcount < len(inserts):
            _insert_with_fresh_ids(conn, url, feed_id, inserts)
        index_new_articles(conn, largest_pk)
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


_NO_ITEMS = "[]"


def _fields(article: Article) -> tuple[tuple[Any, ...], str]:
    """The first 14 values of CONTENT_COLUMNS for `article`, and their digest (the same
    digest earlier versions stored, so an upgrade does not rewrite unchanged items)."""
    enclosures = _NO_ITEMS
    if article.enclosures:
        enclosures = json.dumps(
            [{"url": e.url, "type": e.type, "length": e.length} for e in article.enclosures],
            ensure_ascii=False,
        )
    categories = _NO_ITEMS
    if article.categories:
        categories = json.dumps(list(article.categories), ensure_ascii=False)
    published, updated = article.published, article.updated
    fields = (
        article.title,
        article.link,
        article.guid,
        article.author,
        None if published is None else published.timestamp(),
        None if updated is None else updated.timestamp(),
        article.summary,
        article.content,
        article.content_type,
        enclosures,
        categories,
        article.language,
        article.direction,
        article.dateline,
    )
    return fields, hashlib.blake2b(repr(fields).encode(), digest_size=12).hexdigest()


def _row(fields: tuple[Any, ...], digest: str, first_seen: float) -> tuple[Any, ...]:
    """All of CONTENT_COLUMNS, from `_fields` (only for rows about to be written: the
    searchable text of a body costs more than the digest)."""
    published, updated, summary, content, content_type = fields[4:9]
    sort_ts = published if published is not None else updated
    return (
        *fields,
        indexed_body(summary, content, content_type),
        first_seen if sort_ts is None else sort_ts,
        digest,
    )


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
