"""Items without a guid across upgrades from stores keyed by the link alone, and across
the take-over of a kept row: no duplicates, no item lost, no mark lost."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from store_checks import assert_store_sound
from test_shared_links import _rss
from test_store import T0, save
from tuinews.model import Subscription
from tuinews.sources.feeds import parse_feed
from tuinews.store import Store, View

OLD = "https://old.example/feed"
NEW = "https://new.example/feed"
OTHER = "https://other.example/feed"
D1 = "Mon, 01 Jan 2024 10:00:00 +0000"
D2 = "Mon, 01 Jan 2024 11:00:00 +0000"


def _id(store: Store, url: str) -> int:
    info = store.feed_by_url(url)
    assert info is not None
    return info.id


def _legacy(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE articles SET key = 'l:' || link WHERE guid IS NULL")


def test_a_kept_row_saved_before_the_upgrade_is_taken_over_without_duplicates(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "store.db")
    store.sync_feeds([Subscription(OLD, "Mine"), Subscription(OTHER)])
    doc = _rss(("One", "http://x.example/1", D1), ("Two", "http://x.example/2", D2))
    kept = _id(store, OTHER)
    save(store, kept, parse_feed(doc, OTHER).articles)
    for headline in store.headlines(View(feed_ids=(kept,)), limit=5):
        store.set_starred(headline.pk, True)
    assert store.remove_feed(kept) == 2
    store.change_feed_url(kept, NEW)
    _legacy(store.path)  # removed before the upgrade: its rows keep the link alone
    feed = _id(store, OLD)
    save(store, feed, parse_feed(doc, OLD).articles, at=T0 + timedelta(hours=1))
    store.move_onto_kept(feed, kept, NEW)
    headlines = store.headlines(View(feed_ids=(feed,)), limit=10)
    assert sorted((h.title, h.starred) for h in headlines) == [("One", True), ("Two", True)]
    assert_store_sound(store.path)
    store.close()


def test_an_undated_and_a_dated_item_of_one_link_after_the_upgrade(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.db")
    store.sync_feeds([Subscription(OLD, "Mine")])
    feed = _id(store, OLD)
    dated = ("Dated", "http://x.example/1", D1)
    save(store, feed, parse_feed(_rss(dated), OLD).articles)
    (row,) = store.headlines(View(feed_ids=(feed,)), limit=5)
    store.set_read([row.pk], True)
    store.set_starred(row.pk, True)
    _legacy(store.path)
    undated = ("Undated", "http://x.example/1", None)
    save(store, feed, parse_feed(_rss(undated, dated), OLD).articles, at=T0 + timedelta(hours=1))
    headlines = store.headlines(View(feed_ids=(feed,)), limit=10)
    assert sorted((h.title, h.read, h.starred) for h in headlines) == [
        ("Dated", True, True),
        ("Undated", False, False),
    ]
    assert_store_sound(store.path)
    store.close()
