"""Checks a store file must pass whatever happened to it (kills, full disks, updates)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def assert_store_sound(db: Path) -> None:
    """SQLite integrity, a whole search index, and per-feed counters that match the rows."""
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
        counted = conn.execute(
            "SELECT f.total, f.unread, count(a.pk), total(a.read = 0) FROM feeds f"
            " LEFT JOIN articles a ON a.feed_id = f.id GROUP BY f.id"
        ).fetchall()
    for total, unread, real_total, real_unread in counted:
        assert (total, unread) == (real_total, int(real_unread))
