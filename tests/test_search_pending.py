"""Articles join the search index when a search runs, not while a refresh saves them.

Whatever happens to an article before the next search (deleted, changed, its pk reused),
search finds exactly what the store holds, and the index stays sound.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from store_checks import assert_store_sound
from test_store import make_article, save
from tuinews.model import Subscription
from tuinews.store import Store, View

URL = "http://a.test/feed"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        opened.sync_feeds([Subscription(url=URL)])
        yield opened


def _feed_id(store: Store) -> int:
    info = store.feed_by_url(URL)
    assert info is not None
    return info.id


def _found(store: Store, words: str) -> list[str]:
    return [h.title for h in store.headlines(View(search=words), limit=50)]


def _pending(store: Store) -> int:
    with sqlite3.connect(store.path) as conn:
        return int(conn.execute("SELECT count(*) FROM search_pending").fetchone()[0])


def test_saved_articles_wait_for_the_first_search_then_are_found(store: Store) -> None:
    save(store, _feed_id(store), [make_article(URL, n, title=f"Walrus {n}") for n in range(3)])
    assert _pending(store) == 3
    assert sorted(_found(store, "walrus")) == ["Walrus 0", "Walrus 1", "Walrus 2"]
    assert _pending(store) == 0
    assert store.count(View(search="walrus")) == 3
    assert_store_sound(store.path)


def test_count_and_mark_read_of_a_search_see_new_articles_too(store: Store) -> None:
    save(store, _feed_id(store), [make_article(URL, n, title=f"Heron {n}") for n in range(2)])
    assert store.count(View(search="heron")) == 2
    save(store, _feed_id(store), [make_article(URL, n, title=f"Heron {n}") for n in range(4)])
    assert len(store.mark_read_where(View(search="heron"))) == 4


def test_an_article_deleted_before_any_search_leaves_the_index_sound(store: Store) -> None:
    feed_id = _feed_id(store)
    save(store, feed_id, [make_article(URL, n, title=f"Otter {n}") for n in range(5)])
    assert store.cleanup(days=None, per_feed=5) == 0  # all five kept
    with sqlite3.connect(store.path) as conn:
        conn.execute("DELETE FROM articles WHERE title = 'Otter 1'")
    assert_store_sound(store.path)
    assert sorted(_found(store, "otter")) == ["Otter 0", "Otter 2", "Otter 3", "Otter 4"]
    store.remove_feed(feed_id)
    assert _found(store, "otter") == []
    assert_store_sound(store.path)


def test_a_reused_pk_is_indexed_with_its_new_article(store: Store) -> None:
    feed_id = _feed_id(store)
    save(store, feed_id, [make_article(URL, n, title=f"Badger {n}") for n in range(3)])
    assert len(_found(store, "badger")) == 3  # all indexed now
    with sqlite3.connect(store.path) as conn:
        (largest,) = conn.execute("SELECT max(pk) FROM articles").fetchone()
        conn.execute("DELETE FROM articles WHERE pk = ?", (largest,))
    # SQLite gives the next insert the freed pk: it must count as new to the index.
    save(store, feed_id, [make_article(URL, 9, title="Lynx 9")])
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT max(pk) FROM articles").fetchone()[0] == largest
    assert _found(store, "lynx") == ["Lynx 9"]
    assert len(_found(store, "badger")) == 2
    assert_store_sound(store.path)


def test_an_article_changed_before_and_after_indexing_is_found_by_its_new_words(
    store: Store,
) -> None:
    feed_id = _feed_id(store)
    save(store, feed_id, [make_article(URL, 1, title="Old words")])
    save(store, feed_id, [make_article(URL, 1, title="Fresh words")])  # still pending
    assert _found(store, "old") == []
    assert _found(store, "fresh") == ["Fresh words"]
    save(store, feed_id, [make_article(URL, 1, title="Newest words")])  # indexed: trigger
    assert _found(store, "fresh") == []
    assert _found(store, "newest") == ["Newest words"]
    assert_store_sound(store.path)


def test_browsing_without_searching_does_not_index(store: Store) -> None:
    save(store, _feed_id(store), [make_article(URL, n) for n in range(3)])
    assert len(store.headlines(View(), limit=10)) == 3
    assert store.count(View(unread_only=True)) == 3
    assert _pending(store) == 3


def test_a_backlog_is_indexed_in_steps_and_all_found(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuinews.store import schema

    monkeypatch.setattr(schema, "INDEX_CHUNK", 3)
    save(store, _feed_id(store), [make_article(URL, n, title=f"Puffin {n}") for n in range(8)])
    steps: list[int] = []
    original = schema.index_pending

    def counted(conn: sqlite3.Connection, *, limit: int) -> int:
        steps.append(original(conn, limit=limit))
        return steps[-1]

    monkeypatch.setattr(schema, "index_pending", counted)
    assert store.count(View(search="puffin")) == 8
    assert steps == [3, 3, 2]  # a transaction each: a refresh waits one step at most
    assert _pending(store) == 0
    assert_store_sound(store.path)


def test_an_article_whose_text_is_not_text_does_not_stop_the_others_being_indexed(
    store: Store,
) -> None:
    """Articles are indexed in chunks by one statement through a Python function: a row
    it cannot read (a body another program wrote as bytes) failed the whole chunk, at
    every search, and no article saved after it was ever indexed again."""
    feed_id = _feed_id(store)
    save(
        store,
        feed_id,
        [make_article(URL, n, title=f"Stoat {n}", content="<p>snow tracks</p>") for n in range(3)],
    )
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE articles SET content = CAST(content AS BLOB) WHERE title = 'Stoat 1'")
    assert sorted(_found(store, "stoat")) == ["Stoat 0", "Stoat 1", "Stoat 2"]
    assert store.index_error is None
    assert len(_found(store, "tracks")) == 3
    assert _pending(store) == 0
    assert_store_sound(store.path)


def test_an_article_the_text_extraction_fails_on_is_indexed_by_its_raw_text(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuinews.store import fts

    def fragile(html: str) -> str:
        if "weasel" in html:
            raise RecursionError("a sanitizer bug")
        return html

    monkeypatch.setattr(fts, "_index_text", fragile)
    save(
        store,
        _feed_id(store),
        [make_article(URL, n, title=f"Mink {n}", content=f"<p>weasel {n}</p>") for n in (1, 2)]
        + [make_article(URL, 3, title="Mink 3", content="<p>ferret</p>")],
    )
    assert sorted(_found(store, "weasel")) == ["Mink 1", "Mink 2"]
    assert _found(store, "ferret") == ["Mink 3"]
    assert store.index_error is None
    assert_store_sound(store.path)


def test_a_search_that_cannot_index_never_lists_an_article_holding_a_left_out_word(
    tmp_path: Path,
) -> None:
    # Another process holds the write lock, so the search runs on the index as it is
    # (Store.unsearched says what it leaves out). An article still waiting for the index
    # has no search text yet (schema v8): nothing shows it lacks a word, so it must not
    # be listed as lacking one. Version 7 read its text from its row and left it out.
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        store.sync_feeds([Subscription(url=URL)])
        save(
            store,
            _feed_id(store),
            [make_article(URL, 1, title="待处理", content="<p>待处理的邮票文章 zephyr</p>")],
        )
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(path, busy_timeout=0.05) as store:
            assert _found(store, "-邮票 待处理") == []
            assert _found(store, "-zephyr 待处理") == []
            assert store.unsearched == 1
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with Store.open(path) as store:  # indexed now: the same searches, the same answer
        assert _found(store, "-邮票 待处理") == []
        assert _found(store, "-zephyr 待处理") == []
        assert _found(store, "-纪念币 待处理") == ["待处理"]
        assert _found(store, "-walrus 待处理") == ["待处理"]
    assert_store_sound(path)


def test_indexing_works_while_another_statement_is_still_running(store: Store) -> None:
    """The indexing step's SQL function is defined when the connection opens: SQLite
    refuses to define one while a statement on the connection is unfinished (a cursor
    read halfway), and the search failed with "unable to delete/modify user-function"."""
    feed_id = _feed_id(store)
    save(store, feed_id, [make_article(URL, n, title=f"Otter {n}") for n in range(2)])
    assert len(_found(store, "otter")) == 2
    save(store, feed_id, [make_article(URL, n, title=f"Otter {n}") for n in range(3)])
    halfway = store._open_conn().execute("SELECT pk FROM articles")
    assert halfway.fetchone() is not None
    assert sorted(_found(store, "otter")) == ["Otter 0", "Otter 1", "Otter 2"]
    assert store.index_error is None
    halfway.close()
