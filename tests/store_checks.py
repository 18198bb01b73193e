"""Checks a store file must pass whatever happened to it (kills, full disks, updates)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def assert_store_sound(db: Path) -> None:
    """SQLite integrity, a whole search index, per-feed counters that match the rows, and
    former addresses that name a feed without being any feed's address now."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Raises sqlite3.DatabaseError when the index and the articles disagree.
        conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 0)")
        # Every article is in the search index or waiting for it (schema v6), never both.
        pks = {pk for (pk,) in conn.execute("SELECT pk FROM articles")}
        indexed = [pk for (pk,) in conn.execute("SELECT id FROM articles_fts_docsize")]
        pending = [pk for (pk,) in conn.execute("SELECT pk FROM search_pending")]
        assert len(indexed) + len(pending) == len(pks)
        assert set(indexed) | set(pending) == pks
        # Text kept for the index (schema v8) is of indexed articles only.
        texts = {pk for (pk,) in conn.execute("SELECT pk FROM search_text")}
        assert texts <= set(indexed)
        _assert_index_exact(conn)
        # A former address (schema v9) is of a feed in the store, and no feed's address now.
        assert conn.execute(
            "SELECT count(*) FROM former_urls WHERE url IN (SELECT url FROM feeds) "
            "OR feed_id NOT IN (SELECT id FROM feeds)"
        ).fetchone() == (0,)
        counted = conn.execute(
            "SELECT f.total, f.unread, count(a.pk), total(a.read = 0) FROM feeds f"
            " LEFT JOIN articles a ON a.feed_id = f.id GROUP BY f.id"
        ).fetchall()
    for total, unread, real_total, real_unread in counted:
        assert (total, unread) == (real_total, int(real_unread))


def _assert_index_exact(conn: sqlite3.Connection) -> None:
    """The index holds exactly the words of the title and text the store says each
    indexed article gave it (schema.INDEXED_TITLE, _TEXT, _PAIRS), each where it was:
    FTS5's own 'integrity-check' cannot see words a contentless index was never told to
    drop (a 'delete' given other words leaves the old ones there, found by a search)."""
    from tuinews.store.schema import INDEXED_PAIRS, INDEXED_TEXT, INDEXED_TITLE

    text = INDEXED_TEXT.format(pk="a.pk", body_text="a.body_text")
    title = INDEXED_TITLE.format(pk="a.pk", title="a.title")
    pairs = INDEXED_PAIRS.format(pk="a.pk")
    if "pairs" not in {row[1] for row in conn.execute("PRAGMA table_info(search_text)")}:
        title, pairs = "a.title", "''"  # a store before schema 12, not yet upgraded
    conn.execute(
        "CREATE VIRTUAL TABLE temp.index_now USING fts5vocab(main, articles_fts, instance)"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE temp.expected USING fts5(title, body, pairs, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute(
        "INSERT INTO temp.expected (rowid, title, body, pairs) "
        f"SELECT a.pk, {title}, {text}, {pairs} "
        "FROM articles a WHERE a.pk NOT IN (SELECT pk FROM search_pending)"
    )
    conn.execute("CREATE VIRTUAL TABLE temp.index_wanted USING fts5vocab(temp, expected, instance)")
    columns = "term, doc, col, offset"
    extra = conn.execute(
        f"SELECT {columns} FROM temp.index_now EXCEPT SELECT {columns} FROM temp.index_wanted "
        "LIMIT 5"
    ).fetchall()
    missing = conn.execute(
        f"SELECT {columns} FROM temp.index_wanted EXCEPT SELECT {columns} FROM temp.index_now "
        "LIMIT 5"
    ).fetchall()
    assert (extra, missing) == ([], []), "index entries wrong (extra, missing)"
