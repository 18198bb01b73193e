"""The first screen's rows, read for the frame drawn before the reader has loaded.

Lean on purpose: no model, no dataclasses, no migration, nothing written. It opens the
store only if it exists at this version's schema (otherwise the reader starts as usual
and migrates), and reads what `Store.feeds`, `Store.count` and `Store.headlines` read
for the unfiltered view, in the same order, cleaned the same way (a test compares the
frame with the reader's own screen).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import NamedTuple

from tuinews.sources.sanitize import clean_line
from tuinews.store.schema import APPLICATION_ID, SCHEMA_VERSION
from tuinews.store.sql import FEED_SELECT, HEADLINE_COLUMNS
from tuinews.store.uris import file_uri

TITLE_LIMIT = 1000  # characters of a headline's title kept


class FeedRow(NamedTuple):
    id: int
    url: str
    title: str
    tags: tuple[str, ...]
    unread: int
    last_error: str | None
    failures: int


class HeadlineRow(NamedTuple):
    feed_title: str
    title: str
    date: datetime | None
    read: bool
    starred: bool


class FirstScreen(NamedTuple):
    feeds: list[FeedRow]
    total: int
    starred: int
    headlines: list[HeadlineRow]
    unread: int  # in the whole store: feeds kept only for starred articles count too


def read_first_screen(path: str, rows: int) -> FirstScreen | None:
    """The feeds, the counts and the first `rows` headlines; None when the store is
    missing, not ours, of another schema version, or cannot be read right now."""
    try:
        conn = sqlite3.connect(file_uri(path, "mode=rw"), uri=True, timeout=0.5)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return None
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            return None
        feeds = [_feed(row) for row in conn.execute(FEED_SELECT + " ORDER BY position, id")]
        total = int(conn.execute("SELECT COALESCE(SUM(total), 0) FROM feeds").fetchone()[0])
        starred_sql = "SELECT count(*) FROM articles a WHERE a.starred = 1"
        starred = int(conn.execute(starred_sql).fetchone()[0])
        headlines = [
            _headline(row)
            for row in conn.execute(
                f"SELECT {HEADLINE_COLUMNS} FROM articles a CROSS JOIN feeds f "
                "ON f.id = a.feed_id ORDER BY a.sort_ts DESC, a.pk DESC LIMIT ?",
                (max(0, rows),),
            )
        ]
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return FirstScreen(feeds, total, starred, headlines, sum(feed.unread for feed in feeds))


def as_text(value: object) -> str:
    """A column read back as text: SQLite columns are loosely typed, and a foreign
    writer may have left numbers or blobs where text belongs."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def title_line(value: object) -> str:
    """A headline's title or feed title: one clean line, cut at TITLE_LIMIT (a hostile
    10 MB title would otherwise be measured and cut on every redraw)."""
    text = as_text(value)
    if len(text) > TITLE_LIMIT:
        return clean_line(text[: TITLE_LIMIT * 2])[:TITLE_LIMIT] + "…"
    return clean_line(text)


def _tags(text: object) -> tuple[str, ...]:
    try:
        value = json.loads(as_text(text))
    except ValueError:
        return ()
    return tuple(clean_line(as_text(tag)) for tag in value) if isinstance(value, list) else ()


def _feed(row: tuple[object, ...]) -> FeedRow:
    feed_id, url, title, tags, unread, _total, _refresh, _status, last_error = row[:9]
    failures = row[10]
    return FeedRow(
        int(feed_id),  # type: ignore[call-overload]
        as_text(url),
        clean_line(as_text(title)),
        _tags(tags),
        int(unread),  # type: ignore[call-overload]
        None if last_error is None else clean_line(as_text(last_error)),
        int(failures),  # type: ignore[call-overload]
    )


def _headline(row: tuple[object, ...]) -> HeadlineRow:
    feed_title, title, date, read, starred = row[3], row[4], row[5], row[7], row[8]
    return HeadlineRow(
        title_line(feed_title),
        title_line(title),
        None if date is None else datetime.fromtimestamp(float(date), UTC),  # type: ignore[arg-type]
        bool(read),
        bool(starred),
    )
