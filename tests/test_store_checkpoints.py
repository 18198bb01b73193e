"""Checkpoints on a thread of their own (what a refresh's parse workers use): each
commit reaches the store file itself soon after, and closing waits for the thread."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

from store_checks import assert_store_sound
from test_store import T0, make_article
from tuinews.model import Feed, Subscription
from tuinews.store import FeedWrite, Store
from tuinews.store.save import prepare_feed

URL = "http://a.test/feed"


def _write(store: Store, first: int, count: int) -> None:
    info = store.feed_by_url(URL)
    assert info is not None
    articles = [make_article(URL, n) for n in range(first, first + count)]
    prepared = prepare_feed(Feed(URL, "Feed", articles=articles))
    (stats,) = store.write_batch([FeedWrite(info.id, T0, prepared, status=200)])
    assert not isinstance(stats, Exception)


def _articles_in_file_alone(path: Path, scratch: Path) -> int:
    """What a copy of the store file without its -wal file (a backup) holds."""
    shutil.copyfile(path, scratch)
    conn = sqlite3.connect(scratch)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not even the tables yet
    finally:
        conn.close()
        scratch.unlink()


def _subscribed(path: Path) -> Store:
    store = Store.open(path)
    store.sync_feeds([Subscription(url=URL)])
    return store


def _checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "checkpoints"]


def test_each_commit_reaches_the_store_file_without_the_committer_copying_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    store = _subscribed(path)
    try:
        store.checkpoint_in_background()
        _write(store, 0, 30)
        _write(store, 30, 20)
        # A few KB of WAL: SQLite's own checkpoint (every 16 MB) would leave them there.
        deadline = time.monotonic() + 30
        while _articles_in_file_alone(path, tmp_path / "copy.db") < 50:
            assert time.monotonic() < deadline, "the writes never reached the store file"
            time.sleep(0.02)
    finally:
        store.close()
    assert _articles_in_file_alone(path, tmp_path / "copy.db") == 50
    assert_store_sound(path)


def test_closing_waits_for_the_thread_and_leaves_every_write_in_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    before = set(_checkpoint_threads())
    store = _subscribed(path)
    store.checkpoint_in_background()
    store.checkpoint_in_background()  # once is enough: still one thread
    assert len(set(_checkpoint_threads()) - before) == 1
    for first in range(0, 200, 20):
        _write(store, first, 20)
    store.close()
    assert set(_checkpoint_threads()) <= before
    assert _articles_in_file_alone(path, tmp_path / "copy.db") == 200
    with Store.open(path) as reopened:
        (feed,) = reopened.feeds()
        assert (feed.total, feed.unread) == (200, 200)


def test_a_store_gone_before_the_thread_starts_is_still_written_as_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    store = _subscribed(path)
    try:
        moved = tmp_path / "moved.db"
        path.rename(moved)
        # The thread's connection opens the path: with no store there, it must not
        # create an empty one, and the Store keeps SQLite's own checkpoints.
        store.checkpoint_in_background()
        assert not path.exists()
        assert not _checkpoint_threads()
        path.parent.joinpath("moved.db").rename(path)
        _write(store, 0, 5)
    finally:
        store.close()
    with Store.open(path) as reopened:
        (feed,) = reopened.feeds()
        assert feed.total == 5
