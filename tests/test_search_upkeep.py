"""The search index does not grow for ever when feeds keep changing their articles.

An article changed after it was indexed leaves its old words in the index until FTS5
merges the segment holding them with the one saying they are gone; with merges of 16
segments at a time that almost never happened, and a store whose feeds rewrote their
articles at every refresh grew by their size each time.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated
from store_checks import assert_store_sound
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh import refresh_feeds
from tuinews.store import Store, View
from tuinews.store.schema import INDEX_GROWTH_LIMIT, INDEX_UPKEEP_MIN_PAGES

SETTINGS = RefreshSettings(timeout=5.0, connect_timeout=2.0)


def _index_pages(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM articles_fts_data").fetchone()[0])


def _live_pages(db: Path, scratch: Path) -> int:
    """What the index needs for the articles it holds: a copy merged into one segment."""
    with sqlite3.connect(db) as conn, sqlite3.connect(scratch) as copy:
        conn.backup(copy)
        copy.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    return _index_pages(scratch)


async def test_feeds_rewriting_their_articles_do_not_grow_the_search_index(
    server: FeedServer, tmp_path: Path
) -> None:
    db = tmp_path / "store.db"
    routes = [Generated(items=400, title=f"F{n}", item_bytes=600) for n in range(3)]
    subs = [Subscription(url=server.route(f"/f{n}", route)) for n, route in enumerate(routes)]
    first = await refresh_feeds(db, subs, SETTINGS)
    assert first.new == 1200
    with Store.open(db) as store:
        assert store.count(View(search="river")) > 0  # the first search indexes them all
    assert _index_pages(db) > INDEX_UPKEEP_MIN_PAGES
    sizes = []
    for _ in range(8):
        for route in routes:
            route.bump()  # every article's text changes
        summary = await refresh_feeds(db, subs, SETTINGS)
        assert summary.updated == 1200
        sizes.append(_index_pages(db))
    # Without upkeep it held up to four times what its articles need (more, the larger
    # the store: 6.5 times at 100,000 articles).
    live = _live_pages(db, tmp_path / "copy.db")
    assert max(sizes) <= INDEX_GROWTH_LIMIT * live + 8, (sizes, live)
    with Store.open(db) as store:
        # Still exact: the text of the last version is found, and only it.
        titles = [h.title for h in store.headlines(View(search="river"), limit=5000)]
        assert len(titles) == len(set(titles))
        assert all(title.endswith(" v8") for title in titles), titles[:3]
    assert_store_sound(db)


def test_a_cleanup_that_drops_most_articles_shrinks_the_search_index(tmp_path: Path) -> None:
    from datetime import timedelta

    from test_store import T0, make_article, save

    url = "http://a.test/feed"
    with Store.open(tmp_path / "store.db") as store:
        store.sync_feeds([Subscription(url=url)])
        info = store.feed_by_url(url)
        assert info is not None
        body = "<p>" + " ".join(f"word{n}" for n in range(150)) + "</p>"
        articles = [make_article(url, n, content=body) for n in range(1500)]
        save(store, info.id, articles)
        assert store.count(View(search="word7")) == 1500  # indexes them
        save(store, info.id, articles[:100], at=T0 + timedelta(hours=1))  # the feed now
        before = _index_pages(store.path)
        removed = store.cleanup(days=None, per_feed=100)
        assert removed >= 1300
        assert store.count(View(search="word7")) == 1500 - removed
    after = _index_pages(tmp_path / "store.db")
    assert after <= INDEX_GROWTH_LIMIT * _live_pages(tmp_path / "store.db", tmp_path / "c.db")
    assert after < before / 5, (before, after)
    assert_store_sound(tmp_path / "store.db")


def test_upkeep_with_nothing_to_do_does_not_wait_for_another_writer(tmp_path: Path) -> None:
    """The end of a refresh while another process holds the write lock: with the index
    within its limit there is nothing to compact, and no wait. A refresh of three small
    feeds took the whole busy timeout (30 s) to end, waiting to find that out."""
    import time

    db = tmp_path / "store.db"
    with Store.open(db) as store:
        store.sync_feeds([Subscription(url="http://a.test/feed")])
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(db, busy_timeout=20) as store:
            started = time.monotonic()
            assert store.upkeep_search_index() is False
            assert time.monotonic() - started < 10  # not the 20 s busy timeout
    finally:
        other.execute("COMMIT")
        other.close()


def test_upkeep_due_waits_little_for_another_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compaction due while another process writes is put off to the next refresh or
    cleanup, rather than holding up the end of this one for the busy timeout."""
    import time

    from tuinews.errors import StoreError
    from tuinews.store import schema

    db = tmp_path / "store.db"
    with Store.open(db) as store:
        store.sync_feeds([Subscription(url="http://a.test/feed")])
    monkeypatch.setattr(schema, "search_index_grown", lambda conn: True)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(db, busy_timeout=20) as store:
            started = time.monotonic()
            with pytest.raises(StoreError, match="busy"):
                store.upkeep_search_index()
            assert time.monotonic() - started < 10  # not the 20 s busy timeout
    finally:
        other.execute("COMMIT")
        other.close()


def test_a_cleanup_whose_upkeep_fails_still_counts_what_it_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk refuses the compaction (it writes the whole index again) after the
    articles were dropped: the cleanup said "disk is full" and exit 1, as though nothing
    had been removed."""
    from test_store import make_article, save
    from tuinews.store import schema

    url = "http://a.test/feed"
    with Store.open(tmp_path / "store.db") as store:
        store.sync_feeds([Subscription(url=url)])
        info = store.feed_by_url(url)
        assert info is not None
        save(store, info.id, [make_article(url, n) for n in range(20)])

        def full(conn: sqlite3.Connection) -> bool:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(schema, "search_index_grown", full)
        assert store.cleanup(days=None, per_feed=None, subscribed=[]) == 20
        assert store.count(View()) == 0
