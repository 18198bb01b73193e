"""Several feeds written in one transaction: each feed whole, a failing feed alone."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from store_checks import assert_store_sound
from test_store import T0, make_article
from tuinews.errors import StoreError
from tuinews.model import Feed, Subscription
from tuinews.refresh.writer import BatchWriter
from tuinews.store import FeedWrite, SaveStats, Store, View
from tuinews.store import save as save_module
from tuinews.store.save import prepare_feed

URLS = ("http://a.test/feed", "http://b.test/feed", "http://c.test/feed")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        opened.sync_feeds([Subscription(url=url) for url in URLS])
        yield opened


def _write(store: Store, url: str, items: int, feed_id: int | None = None) -> FeedWrite:
    if feed_id is None:
        info = store.feed_by_url(url)
        assert info is not None
        feed_id = info.id
    feed = Feed(url, "Feed", articles=[make_article(url, n) for n in range(items)])
    return FeedWrite(feed_id, T0, prepare_feed(feed), status=200, etag='"e"')


def test_a_batch_saves_every_feed_with_its_own_counts(store: Store) -> None:
    writes = [_write(store, url, n + 1) for n, url in enumerate(URLS)]
    results = store.write_batch(writes)
    assert results == [SaveStats(new=1, updated=0), SaveStats(2, 0), SaveStats(3, 0)]
    assert [(f.url, f.total, f.unread, f.etag) for f in store.feeds()] == [
        (URLS[0], 1, 1, '"e"'),
        (URLS[1], 2, 2, '"e"'),
        (URLS[2], 3, 3, '"e"'),
    ]
    assert_store_sound(store.path)


def test_a_failing_feed_is_rolled_back_alone(store: Store) -> None:
    good = _write(store, URLS[0], 2)
    gone = _write(store, URLS[1], 3, feed_id=999)  # a feed removed meanwhile
    also_good = _write(store, URLS[2], 1)
    results = store.write_batch([good, gone, also_good])
    assert results[0] == SaveStats(2, 0)
    assert isinstance(results[1], StoreError)
    assert "no feed with id 999" in str(results[1])
    assert results[2] == SaveStats(1, 0)
    assert store.count(View()) == 3
    assert_store_sound(store.path)


def test_a_feed_failing_after_its_rows_leaves_none_of_them_and_the_rest_saved(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The batch's one transaction is rolled back; each feed is then written alone.
    failing = store.feed_by_url(URLS[1])
    assert failing is not None
    real = save_module.queue_new_articles

    def fail_for_the_second_feed(conn: sqlite3.Connection, after_pk: int) -> None:
        row = conn.execute("SELECT feed_id FROM articles WHERE pk > ? LIMIT 1", (after_pk,))
        if row.fetchone() == (failing.id,):
            raise sqlite3.OperationalError("disk I/O error")
        real(conn, after_pk)

    monkeypatch.setattr(save_module, "queue_new_articles", fail_for_the_second_feed)
    results = store.write_batch([_write(store, url, n + 2) for n, url in enumerate(URLS)])
    assert results[0] == SaveStats(2, 0) and results[2] == SaveStats(4, 0)
    assert isinstance(results[1], StoreError) and "disk I/O error" in str(results[1])
    assert store.count(View()) == 6
    assert store.count(View(feed_ids=(failing.id,))) == 0
    assert [(f.total, f.last_status) for f in store.feeds()] == [(2, 200), (0, None), (4, 200)]
    monkeypatch.undo()
    assert store.write_batch([_write(store, URLS[1], 3)]) == [SaveStats(3, 0)]
    assert_store_sound(store.path)


def test_a_feed_written_alone_that_fails_leaves_nothing_behind(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One feed is written without a savepoint: its transaction is its own.
    assert store.write_batch([_write(store, URLS[0], 2)]) == [SaveStats(2, 0)]
    (gone,) = store.write_batch([_write(store, URLS[1], 3, feed_id=999)])
    assert isinstance(gone, StoreError) and "no feed with id 999" in str(gone)

    def fail_after_the_insert(*_args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(save_module, "queue_new_articles", fail_after_the_insert)
    (failed,) = store.write_batch([_write(store, URLS[2], 4)])
    assert isinstance(failed, StoreError) and "disk I/O error" in str(failed)
    assert store.count(View()) == 2  # the 4 rows inserted before the error are gone
    feed = store.feed_by_url(URLS[2])
    assert feed is not None and (feed.total, feed.last_status) == (0, None)
    monkeypatch.undo()
    assert store.write_batch([_write(store, URLS[2], 4)]) == [SaveStats(4, 0)]
    assert_store_sound(store.path)


def test_not_modified_is_recorded_in_a_batch(store: Store) -> None:
    store.write_batch([_write(store, URLS[0], 2)])
    info = store.feed_by_url(URLS[0])
    assert info is not None
    later = T0.replace(hour=18)
    assert store.write_batch([FeedWrite(info.id, later)]) == [SaveStats(0, 0)]
    after = store.feed_by_url(URLS[0])
    assert after is not None
    assert (after.last_status, after.last_refresh, after.total) == (304, later, 2)


async def test_writes_waiting_together_share_a_transaction(store: Store) -> None:
    batches: list[int] = []
    real = store.write_batch

    def counting(writes: list[FeedWrite]) -> list[SaveStats | StoreError]:
        batches.append(len(writes))
        return real(writes)

    store.write_batch = counting  # type: ignore[method-assign]
    writer = BatchWriter(store)
    results = await asyncio.gather(*(writer.write(_write(store, url, 4)) for url in URLS))
    await writer.close()
    assert results == [SaveStats(4, 0)] * 3
    # All three were waiting when the writer started: one transaction.
    assert batches == [3]
    assert store.count(View()) == 12


async def test_an_error_for_one_feed_reaches_only_that_feed(store: Store) -> None:
    writer = BatchWriter(store)
    good = asyncio.ensure_future(writer.write(_write(store, URLS[0], 1)))
    bad = asyncio.ensure_future(writer.write(_write(store, URLS[1], 1, feed_id=999)))
    assert await good == SaveStats(1, 0)
    with pytest.raises(StoreError):
        await bad
    await writer.close()
