"""Saving fetched feeds: counters, ids taken by another feed, and what a re-fetch touches."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from store_checks import assert_store_sound
from test_store import T0, make_article, save
from tuinews.model import Feed, Subscription
from tuinews.store import Store, View
from tuinews.store.save import _legacy_digest, prepare_feed

A_URL = "https://a.example/feed"
B_URL = "https://b.example/feed"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        opened.sync_feeds([Subscription(A_URL), Subscription(B_URL)])
        yield opened


def _ids(store: Store) -> tuple[int, int]:
    a, b = store.feed_by_url(A_URL), store.feed_by_url(B_URL)
    assert a is not None and b is not None
    return a.id, b.id


def test_articles_whose_ids_another_feed_holds_are_saved_and_counted(store: Store) -> None:
    a, b = _ids(store)
    save(store, a, [make_article(A_URL, n) for n in range(5)])
    # Feed B lists items that carry feed A's article ids (a feed moved onto a removed
    # one's URL, a hand-made id): they are saved under ids of their own.
    taken = [
        dataclasses.replace(make_article(B_URL, n), id=make_article(A_URL, n).id) for n in range(3)
    ]
    stats = save(store, b, [*taken, make_article(B_URL, 7)])
    assert stats.new == 4
    feed_b = store.feed(b)
    assert feed_b is not None and (feed_b.total, feed_b.unread) == (4, 4)
    ids = [h.article_id for h in store.headlines(View(), limit=100)]
    assert len(ids) == len(set(ids)) == 9
    assert store.count(View(search="number")) == 9
    assert_store_sound(store.path)


def test_a_refetch_keeps_counts_and_marks_and_sees_every_listed_item(store: Store) -> None:
    a, _ = _ids(store)
    # Undated: retention keeps those while their feed lists them (`cleanup_feed`).
    items = [dataclasses.replace(make_article(A_URL, n), published=None) for n in range(10)]
    save(store, a, items)
    rows = store.headlines(View(), limit=100)
    store.set_read([rows[0].pk, rows[1].pk], True)
    store.set_starred(rows[2].pk, True)
    later = T0 + timedelta(days=40)
    changed = dataclasses.replace(items[5], title="A new title")
    new = dataclasses.replace(make_article(A_URL, 10), published=None)
    stats = save(store, a, [*items[:5], changed, *items[6:], new], at=later)
    assert (stats.new, stats.updated) == (1, 1)
    info = store.feed(a)
    assert info is not None and (info.total, info.unread) == (11, 9)
    # Every item the feed still lists was seen by the re-fetch: cleanup keeps them all
    # (nothing is starred-only or older than the fetch that listed it).
    assert store.cleanup(days=1, per_feed=None, now=later + timedelta(days=1)) == 0
    after = {h.pk: (h.read, h.starred) for h in store.headlines(View(), limit=100)}
    assert after[rows[0].pk] == (True, False) and after[rows[2].pk] == (False, True)
    assert_store_sound(store.path)


def test_articles_saved_by_an_earlier_version_are_rewritten_only_when_they_change(
    store: Store,
) -> None:
    """Rows holding the digest earlier versions stored (24 hex digits) are compared by
    that digest: the first refresh after an upgrade rewrites only what changed."""
    a, _ = _ids(store)
    items = [make_article(A_URL, n) for n in range(4)]
    save(store, a, items)
    with sqlite3.connect(store.path) as conn:
        stored = dict(conn.execute("SELECT key, content_hash FROM articles"))
    assert {len(digest) for digest in stored.values()} == {32}
    # As an earlier version left them (the digest of the same fields, its own way).
    prepared = prepare_feed(Feed(A_URL, "Feed", articles=items))[1]
    legacy = {item[0]: _legacy_digest(item) for item in prepared}
    assert set(legacy) == set(stored)
    with sqlite3.connect(store.path) as conn:
        conn.executemany(
            "UPDATE articles SET content_hash = ? WHERE key = ?",
            [(digest, key) for key, digest in legacy.items()],
        )
    rows = store.headlines(View(), limit=10)
    store.set_read([rows[0].pk], True)

    later = T0 + timedelta(days=1)
    changed = dataclasses.replace(items[2], content="<p>Corrected</p>")
    stats = save(store, a, [*items[:2], changed, items[3]], at=later)
    assert (stats.new, stats.updated) == (0, 1)
    with sqlite3.connect(store.path) as conn:
        after = dict(conn.execute("SELECT key, content_hash FROM articles"))
    changed_key = next(key for key in legacy if after[key] != legacy[key])
    assert len(after[changed_key]) == 32
    assert sum(after[key] == legacy[key] for key in legacy) == 3
    assert store.headlines(View(), limit=10)[0].read
    assert (
        save(store, a, [*items[:2], changed, items[3]], at=later + timedelta(days=1)).updated == 0
    )


def test_an_articles_digest_is_the_one_stores_already_hold() -> None:
    """The digest that tells a changed article from an unchanged one is what this
    version stored before (SHA-256 of the short fields' repr, the summary and the body
    joined): computed another way, the first refresh after an upgrade would rewrite every
    article, and send each back to the search index."""
    import hashlib

    article = dataclasses.replace(
        make_article(A_URL, 1),
        summary="Words, then an ellipsis […]",
        content="<p>Plain ASCII body</p>" * 40,
        author=None,
    )
    wide = dataclasses.replace(article, content="<p>Ünïcode body ✓</p>" * 40)
    for each in (article, wide):
        (item,) = prepare_feed(Feed(A_URL, "Feed", articles=[each]))[1]
        enclosures, categories = item[12], item[13]
        joined = (
            f"{each.title!r}\x00{each.link!r}\x00{each.guid!r}\x00{each.author!r}\x00"
            f"{item[7]!r}\x00{item[8]!r}\x00{each.content_type!r}\x00{enclosures!r}\x00"
            f"{categories!r}\x00{each.language!r}\x00{each.direction!r}\x00"
            f"{each.dateline!r}\x00{len(each.summary)}\x00{each.summary}{each.content}"
        )
        expected = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        assert item[2] == expected
