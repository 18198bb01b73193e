"""Feed rows: the mirror of the subscriptions, and refresh bookkeeping."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from tuinews.errors import StoreError
from tuinews.model import Subscription
from tuinews.store.records import FeedInfo
from tuinews.store.rows import dump_tags, from_epoch, to_epoch, to_feed_info
from tuinews.store.save import link_key_forms, same_link_item
from tuinews.store.sql import FEED_SELECT


def sync_feeds(conn: sqlite3.Connection, subs: Sequence[Subscription]) -> None:
    """Add new URLs, update titles, tags and order; feeds not listed stay, after the rest."""
    existing = dict(conn.execute("SELECT url, id FROM feeds").fetchall())
    unique = list({sub.url: sub for sub in reversed(subs)}.values())[::-1]  # first wins
    _follow_spellings(conn, existing, [sub.url for sub in unique])
    _follow_former_urls(conn, existing, [sub.url for sub in unique])
    listed: set[int] = set()
    for position, sub in enumerate(unique):
        values = (sub.title or None, dump_tags(sub.tags), position)
        feed_id = existing.get(sub.url)
        if feed_id is None:
            cursor = conn.execute(
                "INSERT INTO feeds (title, tags, position, url) VALUES (?, ?, ?, ?)",
                (*values, sub.url),
            )
            listed.add(int(cursor.lastrowid or 0))
        else:
            listed.add(feed_id)
            conn.execute(
                "UPDATE feeds SET title = ?, tags = ?, position = ? WHERE id = ?",
                (*values, feed_id),
            )
    others = [
        feed_id
        for (feed_id,) in conn.execute("SELECT id FROM feeds ORDER BY position, id").fetchall()
        if feed_id not in listed
    ]
    conn.executemany(
        "UPDATE feeds SET position = ? WHERE id = ?",
        [(len(unique) + rank, feed_id) for rank, feed_id in enumerate(others)],
    )


def _follow_spellings(conn: sqlite3.Connection, existing: dict[str, int], urls: list[str]) -> None:
    """Rename a stored feed whose URL is another spelling of a subscribed one.

    The settings file's URLs are read in their canonical form, and a newer tuinews may
    canonicalise more (a default port, a fragment): a store written before must keep
    its articles and marks under the new spelling, not start the feed afresh."""
    missing = [url for url in urls if url not in existing]
    if not missing:
        return
    from tuinews.config import canonical_feed_url

    wanted = set(urls)
    spellings: dict[str, str] = {}
    for url in existing:
        if url in wanted:
            continue
        try:
            spellings.setdefault(canonical_feed_url(url), url)
        except Exception:  # a stored URL this version cannot read: left as is
            continue
    for url in missing:
        old = spellings.pop(url, None)
        if old is not None:
            conn.execute("UPDATE feeds SET url = ? WHERE id = ?", (url, existing[old]))
            existing[url] = existing.pop(old)


def _follow_former_urls(
    conn: sqlite3.Connection, existing: dict[str, int], urls: list[str]
) -> None:
    """Give a feed back an address it had before a move when that address is subscribed
    and the feed's address now is not: the settings file did not take the move (a
    refresh killed before it saved it, or one that read the file before another refresh
    moved the feed), or the user wrote the old address back by hand. A new, empty feed
    there would leave the articles and marks with a row no longer subscribed, and its
    first fetch would fail on the redirect to it. The address now is remembered in turn,
    so whichever of the two the file holds names the feed; the next fetch follows the
    redirect again, if it is still there, and the file with it."""
    wanted = set(urls)
    missing = [url for url in urls if url not in existing]
    if not missing:
        return
    former = former_urls(conn)
    for url in missing:
        now = former.get(url)
        if now is None or now in wanted or now not in existing:
            continue  # subscribed where it is, or given back to another address already
        feed_id = existing.pop(now)
        change_feed_url(conn, feed_id, url)
        existing[url] = feed_id


def feeds(conn: sqlite3.Connection) -> list[FeedInfo]:
    return [to_feed_info(row) for row in conn.execute(FEED_SELECT + " ORDER BY position, id")]


def user_titles(conn: sqlite3.Connection) -> dict[str, str]:
    """The titles the settings file gave feeds (as last synced), by URL."""
    return dict(conn.execute("SELECT url, title FROM feeds WHERE title IS NOT NULL").fetchall())


def feed(conn: sqlite3.Connection, feed_id: int) -> FeedInfo | None:
    row = conn.execute(FEED_SELECT + " WHERE id = ?", (feed_id,)).fetchone()
    return to_feed_info(row) if row else None


def feed_by_url(conn: sqlite3.Connection, url: str) -> FeedInfo | None:
    row = conn.execute(FEED_SELECT + " WHERE url = ?", (url,)).fetchone()
    return to_feed_info(row) if row else None


def remove_feed(conn: sqlite3.Connection, feed_id: int) -> int:
    """Drop a feed's articles, except starred ones: those stay, with the feed's row
    (no longer refreshed once unsubscribed). Returns how many starred articles stay.

    What was read in it stays read in the other feeds that list the same item (the
    same identity and the same link: guids like "42" are not unique across feeds): two
    subscriptions to one feed (a redirect onto a feed already subscribed, an address
    with and without https), one of which goes."""
    conn.execute(
        "UPDATE articles SET read = 1 WHERE read = 0 AND feed_id != ?1 AND link IS NOT NULL "
        "AND ((key, link) IN (SELECT key, link FROM articles WHERE feed_id = ?1 AND read = 1) "
        # An item without guid of a feed not refreshed since the upgrade is still keyed
        # by its link alone: the same link, title and date are the same item.
        "OR (guid IS NULL AND (link, title, published) IN (SELECT link, title, published "
        "FROM articles WHERE feed_id = ?1 AND read = 1 AND guid IS NULL)))",
        (feed_id,),
    )
    conn.execute("DELETE FROM articles WHERE feed_id = ? AND starred = 0", (feed_id,))
    (kept,) = conn.execute("SELECT COUNT(*) FROM articles WHERE feed_id = ?", (feed_id,)).fetchone()
    if kept:
        _forget_fetches(conn, feed_id)
    else:
        conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
    return int(kept)


def drop_articles_since(conn: sqlite3.Connection, feed_id: int, since: float) -> None:
    conn.execute(
        "DELETE FROM articles WHERE feed_id = ? AND first_seen >= ? AND starred = 0",
        (feed_id, since),
    )
    conn.execute(
        "DELETE FROM feeds WHERE id = ? AND NOT EXISTS (SELECT 1 FROM articles WHERE feed_id = ?)",
        (feed_id, feed_id),
    )


def drop_empty_feeds(conn: sqlite3.Connection, urls: Iterable[str]) -> None:
    conn.execute(
        "DELETE FROM feeds WHERE url IN (SELECT value FROM json_each(?)) "
        "AND NOT EXISTS (SELECT 1 FROM articles WHERE feed_id = feeds.id)",
        (json.dumps(sorted(urls), ensure_ascii=False),),
    )


def _forget_fetches(conn: sqlite3.Connection, feed_id: int) -> None:
    """What a kept row of an unsubscribed feed knew of its server, forgotten: subscribed
    again, the feed is fetched in full, or a 304 would leave out every article dropped
    with the subscription. Back-off and a 410's disabling go too: re-subscribing is
    asking to try again. So do the addresses it had before a move: they no longer name
    a feed the user unsubscribed from."""
    conn.execute(
        "UPDATE feeds SET etag = NULL, last_modified = NULL, source_mtime = NULL, "
        "next_fetch = NULL, server_wait = NULL, failures = 0, disabled = 0 WHERE id = ?",
        (feed_id,),
    )
    conn.execute("DELETE FROM former_urls WHERE feed_id = ?", (feed_id,))


def drop_unsubscribed(conn: sqlite3.Connection, subscribed: set[str]) -> int:
    """Drop the articles of feeds no longer subscribed (a feed deleted from the settings
    file by hand), except starred ones; a feed row stays while it has any. Returns how
    many articles went."""
    removed = 0
    for feed_id, url in conn.execute("SELECT id, url FROM feeds").fetchall():
        if url not in subscribed:
            removed += conn.execute(
                "DELETE FROM articles WHERE feed_id = ? AND starred = 0", (feed_id,)
            ).rowcount
            gone = conn.execute(
                "DELETE FROM feeds WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM articles WHERE feed_id = ?)",
                (feed_id, feed_id),
            ).rowcount
            if not gone:
                _forget_fetches(conn, feed_id)
    return removed


def change_feed_url(
    conn: sqlite3.Connection,
    feed_id: int,
    new_url: str,
    *,
    remember: bool = True,
    via: Sequence[str] = (),
) -> None:
    """Give the feed the address `new_url`; with `remember`, its address until now stays
    one of its former addresses (see schema v9), which go on naming it, and so do the
    addresses `via` which the move passed through (A -> B -> C in one fetch: B). An
    address of `via` that names some feed already is left to it."""
    other = conn.execute("SELECT id FROM feeds WHERE url = ?", (new_url,)).fetchone()
    if other is not None and other[0] != feed_id:
        raise StoreError(f"{new_url}: already subscribed as another feed")
    row = conn.execute("SELECT url FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    # The trigger drops `new_url` from the former addresses: it is this feed's now.
    conn.execute("UPDATE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
    if not remember or row is None:
        return
    if row[0] != new_url:
        conn.execute(
            "INSERT OR REPLACE INTO former_urls (url, feed_id) VALUES (?, ?)", (row[0], feed_id)
        )
    for url in via:
        if url not in (row[0], new_url):
            conn.execute(
                "INSERT OR IGNORE INTO former_urls (url, feed_id) SELECT ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?)",
                (url, feed_id, url),
            )


def take_over(conn: sqlite3.Connection, feed_id: int, kept_id: int) -> None:
    """Move the articles of `kept_id`, the row of a feed unsubscribed from (kept for its
    starred articles), to the feed `feed_id`, and drop that row: the subscription
    `feed_id` moved to its address. An article both have stays the moving feed's, with
    the marks of both (read or starred in either: it is)."""
    _rekey_kept_link_items(conn, feed_id, kept_id)
    for mark in ("starred", "read"):
        conn.execute(
            f"UPDATE articles SET {mark} = 1 WHERE feed_id = ? AND {mark} = 0 AND key IN "
            f"(SELECT key FROM articles WHERE feed_id = ? AND {mark} = 1)",
            (feed_id, kept_id),
        )
    conn.execute(
        "DELETE FROM articles WHERE feed_id = ? AND key IN "
        "(SELECT key FROM articles WHERE feed_id = ?)",
        (kept_id, feed_id),
    )
    conn.execute("UPDATE articles SET feed_id = ? WHERE feed_id = ?", (feed_id, kept_id))
    conn.execute("DELETE FROM feeds WHERE id = ?", (kept_id,))


def _rekey_kept_link_items(conn: sqlite3.Connection, feed_id: int, kept_id: int) -> None:
    """Give the rows of `kept_id` stored under another form of the key of an item
    without guid of `feed_id` (see `save.link_key_forms`: a feed removed before dates
    joined the link keeps the link alone) that item's key, so that `take_over` sees
    one article there, not two."""
    wanted: dict[str, list[tuple[str, str, float | None, str | None]]] = {}
    for key, title, link, published, content in conn.execute(
        "SELECT key, title, link, published, content FROM articles "
        "WHERE feed_id = ? AND guid IS NULL AND link IS NOT NULL",
        (feed_id,),
    ):
        for form in link_key_forms(key, title, link, None, published, content):
            wanted.setdefault(form, []).append((key, title, published, content))
    if not wanted:
        return
    rows = conn.execute(
        "SELECT pk, key, title, published, content FROM articles "
        "WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))",
        (kept_id, json.dumps(list(wanted), ensure_ascii=False)),
    ).fetchall()
    if not rows:
        return
    kept_keys = {
        key for (key,) in conn.execute("SELECT key FROM articles WHERE feed_id = ?", (kept_id,))
    }
    for pk, form, title, published, content in rows:
        for key, item_title, item_published, item_content in wanted[form]:
            if key in kept_keys or not same_link_item(
                key, item_title, item_published, item_content, title, published, content
            ):
                continue
            conn.execute("UPDATE articles SET key = ? WHERE pk = ?", (key, pk))
            kept_keys.discard(form)
            kept_keys.add(key)
            break


def forget_former_urls(conn: sqlite3.Connection, feed_id: int, urls: Iterable[str]) -> None:
    conn.executemany(
        "DELETE FROM former_urls WHERE feed_id = ? AND url = ?", [(feed_id, url) for url in urls]
    )


def former_urls(conn: sqlite3.Connection) -> dict[str, str]:
    """Each address a feed had before a move -> the feed's address now."""
    rows = conn.execute(
        "SELECT former_urls.url, feeds.url FROM former_urls "
        "JOIN feeds ON feeds.id = former_urls.feed_id"
    )
    return {str(old): str(new) for old, new in rows}


def saved_fetch(
    conn: sqlite3.Connection, feed_id: int, fetched_at: datetime
) -> tuple[str, int] | None:
    """The feed's title as the fetch of `fetched_at` saved it, and how many articles it
    added, when that fetch was saved (the feed's `seen_at` is its time); else None."""
    now = fetched_at.timestamp()
    row = conn.execute("SELECT seen_at, feed_title FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    if row is None or row[0] != now:
        return None
    (new,) = conn.execute(
        "SELECT count(*) FROM articles WHERE feed_id = ? AND first_seen = ?", (feed_id, now)
    ).fetchone()
    return row[1] or "", int(new)


def record_not_modified(
    conn: sqlite3.Connection,
    feed_id: int,
    *,
    fetched_at: datetime,
    next_fetch: datetime | None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """A 304. Validators it carries replace the stored ones (RFC 9111 4.3.4): a server
    that changed its ETag would otherwise be asked with the old one, and send it all."""
    conn.execute(
        """UPDATE feeds SET last_status = 304, last_refresh = ?, last_error = NULL,
        last_error_at = NULL, failures = 0, next_fetch = ?, etag = COALESCE(?, etag),
        last_modified = COALESCE(?, last_modified) WHERE id = ?""",
        (fetched_at.timestamp(), to_epoch(next_fetch), etag, last_modified, feed_id),
    )


def record_failure(
    conn: sqlite3.Connection,
    feed_id: int,
    *,
    status: int | None,
    error: str,
    at: datetime,
    next_fetch: datetime | None,
    disable: bool,
    server_wait: datetime | None = None,
) -> None:
    conn.execute(
        """UPDATE feeds SET last_status = ?, last_error = ?, last_error_at = ?,
        failures = failures + 1, next_fetch = ?, disabled = disabled OR ?, server_wait = ?
        WHERE id = ?""",
        (
            status,
            error,
            at.timestamp(),
            to_epoch(next_fetch),
            int(disable),
            to_epoch(server_wait),
            feed_id,
        ),
    )


def record_note(
    conn: sqlite3.Connection, feed_id: int, *, status: int | None, note: str, at: datetime
) -> None:
    # failures = 0 keeps it from reading as a failing feed (no back-off, no failing mark).
    conn.execute(
        """UPDATE feeds SET last_status = ?, last_refresh = ?, last_error = ?,
        last_error_at = ?, failures = 0, next_fetch = NULL WHERE id = ?""",
        (status, at.timestamp(), note, at.timestamp(), feed_id),
    )


def name_untitled_feed(conn: sqlite3.Connection, feed_id: int, feed_title: str) -> None:
    conn.execute(
        "UPDATE feeds SET feed_title = ? WHERE id = ? AND feed_title = ''", (feed_title, feed_id)
    )


def set_disabled(conn: sqlite3.Connection, feed_id: int, disabled: bool) -> None:
    conn.execute(
        "UPDATE feeds SET disabled = ?, failures = CASE WHEN ? THEN failures ELSE 0 END "
        "WHERE id = ?",
        (int(disabled), int(disabled), feed_id),
    )


def last_refresh_time(conn: sqlite3.Connection) -> datetime | None:
    return from_epoch(conn.execute("SELECT max(last_refresh) FROM feeds").fetchone()[0])
