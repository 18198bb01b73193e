"""Opening store files: migrations from every earlier schema, and files that are refused."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store_checks import assert_store_sound
from tuinews.errors import StoreError
from tuinews.model import Article, Feed, Subscription
from tuinews.store import Store, View, schema
from tuinews.store.schema import SCHEMA_VERSION, migrate


def _make_v1_store(path: Path) -> None:
    """A store as the version-1 code left it: two feeds, articles, read and starred marks."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO feeds (id, url, title, tags, position, last_refresh, seen_at) "
        "VALUES (1, 'https://a.example/rss', 'A', ?, 0, 1.7e9, 1.7e9), "
        "(2, 'https://b.example/rss', NULL, '[]', 1, NULL, NULL)",
        (json.dumps(["news"]),),
    )
    rows = [
        # pk, feed, key, title, content, content_type, read, starred
        (1, 1, "g:1", "Volcano erupts", "<p>The <b>lava</b> flows</p>", "html", 1, 1),
        (2, 1, "g:2", "Quiet day", "<p>nothing about lava</p>", "html", 0, 0),
        (3, 2, "l:https://b/3", "Plain note", "a plain glacier text", "text", 0, 1),
        (4, 2, "h:abc", "Markdown", "# Heading\n\nsome *glacier* words", "markdown", 1, 0),
    ]
    conn.executemany(
        "INSERT INTO articles (pk, article_id, feed_id, key, title, content, content_type, "
        "read, starred, first_seen, last_seen, sort_ts, content_hash) "
        "VALUES (?, printf('%016x', ?), ?, ?, ?, ?, ?, ?, ?, 1.7e9, 1.7e9, 1.7e9 + ?, 'h')",
        [
            (pk, pk, feed, key, title, body, kind, read, star, pk)
            for pk, feed, key, title, body, kind, read, star in rows
        ],
    )
    conn.execute("COMMIT")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_a_version_1_store_is_migrated_with_its_data_and_marks(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _make_v1_store(path)
    with Store.open(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        feeds = store.feeds()
        assert [(f.url, f.title, f.tags, f.unread, f.total) for f in feeds] == [
            ("https://a.example/rss", "A", ("news",), 1, 2),
            ("https://b.example/rss", "https://b.example/rss", (), 1, 2),
        ]
        heads = store.headlines(View(), limit=10)
        assert [(h.pk, h.read, h.starred) for h in heads] == [
            (4, True, False),
            (3, False, True),
            (2, False, False),
            (1, True, True),
        ]
        assert store.count(View(starred_only=True)) == 2
        # Old rows are searchable: HTML bodies as plain text, text and Markdown as they are.
        assert {h.pk for h in store.headlines(View(search="lava"), limit=10)} == {1, 2}
        assert store.count(View(search="glacier")) == 2
        assert store.count(View(search="volcano")) == 1
        assert store.count(View(search="flows")) == 1
        stored = store.article(1)
        assert stored is not None and stored.article.content == "<p>The <b>lava</b> flows</p>"
        # And new writes keep the index in step with the migrated rows.
        store.set_read([2], True)
        assert store.remove_feed(2) == 1  # its starred article stays, still searchable
        assert [h.pk for h in store.headlines(View(search="glacier"), limit=10)] == [3]
        assert store.count(View(unread_only=True)) == 1
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 0)")
    conn.close()


def test_each_migration_step_is_applied_once(tmp_path: Path) -> None:
    for start in range(SCHEMA_VERSION):
        path = tmp_path / f"from-{start}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN")
        migrate(conn, target=start)
        conn.execute("COMMIT")
        conn.close()
        Store.open(path).close()
        Store.open(path).close()  # opening a current store changes nothing
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()


def test_a_failed_migration_leaves_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v1.db"
    _make_v1_store(path)

    def broken_step(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE articles ADD COLUMN half_done TEXT")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(schema, "MIGRATIONS", [schema.MIGRATIONS[0], broken_step])
    with pytest.raises(StoreError, match="disk is full"):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in conn.execute("PRAGMA table_info(articles)")]
    assert "half_done" not in columns and "body_text" not in columns
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
    conn.close()


def _make_v2_store(path: Path) -> None:
    """A store as the version-2 code left it: rows indexed by its triggers (title,
    summary and the plain text of the body in three columns)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    migrate(conn, target=2)
    conn.execute("INSERT INTO feeds (id, url, position) VALUES (1, 'https://a.example/rss', 0)")
    rows = [
        # pk, title, summary, content, body_text (as v2 wrote it), content_type, read
        (
            1,
            "Comet seen",
            "A comet over the ridge",
            "<p>A comet over the ridge</p>",
            "A comet over the ridge",
            "html",
            0,
        ),
        (
            2,
            "Teaser",
            "only the teaser speaks of auroras",
            "<p>the full story</p>",
            "the full story",
            "html",
            1,
        ),
        (3, "Notes", "plain meteor notes", "plain meteor notes", "", "text", 0),
    ]
    conn.executemany(
        "INSERT INTO articles (pk, article_id, feed_id, key, title, summary, content, "
        "body_text, content_type, read, first_seen, last_seen, sort_ts, content_hash) "
        "VALUES (?, printf('%016x', ?), 1, 'g:' || ?, ?, ?, ?, ?, ?, ?, 1.7e9, 1.7e9, "
        "1.7e9 + ?, 'h')",
        [(pk, pk, pk, *rest, pk) for pk, *rest in rows],
    )
    conn.execute("COMMIT")
    conn.close()


def test_a_version_2_store_is_migrated_and_stays_searchable(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _make_v2_store(path)
    with Store.open(path) as store:
        assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [f.unread for f in store.feeds()] == [2]
        assert store.count(View(search="comet")) == 1  # title and body
        assert store.count(View(search="auroras")) == 1  # a summary that is not the body
        assert store.count(View(search="story")) == 1
        assert store.count(View(search="meteor")) == 1  # a text body
        assert store.count(View(search="ridge notes")) == 0
        # New writes keep the rebuilt index in step: an insert, then a removal.
        new = Article(id="", feed="https://a.example/rss", title="Nebula", guid="n-1")
        store.save_fetch(
            1,
            Feed(url="https://a.example/rss", title="A", articles=[new]),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
            next_fetch=None,
        )
        assert store.count(View(search="nebula")) == 1
        store.remove_feed(1)
        assert store.count(View(search="comet")) == 0
        assert store.count(View(search="nebula")) == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 0)")
    conn.close()


def _make_v7_store(path: Path) -> None:
    """A store as the version-7 code left it: the search text of each article in its row
    (`body_text`), two articles indexed and one still waiting for the first search."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    migrate(conn, target=7)
    conn.execute("INSERT INTO feeds (id, url, position) VALUES (1, 'https://a.example/rss', 0)")
    rows = [
        # pk, key, title, content, body_text (as v7 wrote it), read
        (1, "g:1", "Comet seen", "<p>A comet over the ridge</p>", "A comet over the ridge", 1),
        (2, "g:2", "Harbour", "<p>boats in the harbour</p>", "boats in the harbour", 0),
        (3, "g:3", "Later", "<p>a glacier calves</p>", "a glacier calves", 0),
        (4, "g:4", "硬币", "<p>出建国纪念币</p>", "出建国纪念币", 0),
    ]
    conn.executemany(
        "INSERT INTO articles (pk, article_id, feed_id, key, title, content, body_text, read, "
        "first_seen, last_seen, sort_ts, content_hash) "
        "VALUES (?, printf('%016x', ?), 1, ?, ?, ?, ?, ?, 1.7e9, 1.7e9, 1.7e9 + ?, 'h')",
        [
            (pk, pk, key, title, content, text, read, pk)
            for pk, key, title, content, text, read in rows
        ],
    )
    conn.execute("UPDATE feeds SET total = 4, unread = 3 WHERE id = 1")
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, body) "
        "SELECT pk, title, body_text FROM articles WHERE pk != 3"
    )
    conn.execute("INSERT INTO search_pending (pk) VALUES (3)")
    conn.execute("COMMIT")
    conn.close()


def test_a_version_7_store_is_upgraded_at_once_and_stays_searchable(tmp_path: Path) -> None:
    path = tmp_path / "v7.db"
    _make_v7_store(path)
    with Store.open(path) as store:
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # No row rewritten: the text indexed before stays where it was.
        assert conn.execute("SELECT count(*) FROM search_text").fetchone()[0] == 0
        assert conn.execute("SELECT body_text FROM articles WHERE pk = 1").fetchone() == (
            "A comet over the ridge",
        )
        conn.close()
        assert_store_sound(path)
        assert store.count(View(search="comet")) == 1
        assert store.count(View(search="glacier")) == 1  # the pending one, indexed now
        assert_store_sound(path)
        # An article indexed under version 7 changes: its old words leave the index.
        changed = Article(
            id="",
            feed="https://a.example/rss",
            title="Comet seen",
            guid="1",
            content="<p>now about a nebula</p>",
        )
        _save_to_v7_feed(store, changed, 1)
        assert store.count(View(search="ridge")) == 0
        assert store.count(View(search="nebula")) == 1
        assert store.article(1).read  # type: ignore[union-attr]
        assert_store_sound(path)
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT body_text FROM articles WHERE pk = 1").fetchone() == ("",)
        conn.close()
        # Words of unspaced scripts are found in text indexed before version 8 and after.
        assert store.count(View(search="纪念币")) == 1
        assert store.count(View(search="纪念币 -comet")) == 1
        fresh = Article(
            id="",
            feed="https://a.example/rss",
            title="新闻",
            guid="5",
            content="<p>银行发行纪念币</p>",
        )
        _save_to_v7_feed(store, fresh, 2)
        assert store.count(View(search="纪念币")) == 2
        assert store.count(View(search="发行")) == 1
        assert_store_sound(path)
        store.remove_feed(1)
        assert store.count(View(search="harbour")) == 0
    assert_store_sound(path)


def _save_to_v7_feed(store: Store, article: Article, day: int) -> None:
    store.save_fetch(
        1,
        Feed(url="https://a.example/rss", title="A", articles=[article]),
        status=200,
        etag=None,
        last_modified=None,
        fetched_at=datetime(2024, 1, day, tzinfo=UTC),
        next_fetch=None,
    )


def test_an_article_indexed_before_version_8_and_rewritten_with_the_same_text_stays_exact(
    tmp_path: Path,
) -> None:
    """A refresh that rewrites an article indexed under version 7 without changing what
    is searched (its link, author or date) leaves it in the index, so the text the index
    was given (its `body_text`) must stay: without it, its words of unspaced scripts are
    no longer found, and its words in the index can never be dropped again."""
    path = tmp_path / "v7.db"
    _make_v7_store(path)
    url = "https://a.example/rss"
    with Store.open(path) as store:
        assert store.count(View(search="纪念币")) == 1
        assert store.count(View(search="boats")) == 1
        for day, (guid, title, content) in enumerate(
            [("2", "Harbour", "<p>boats in the harbour</p>"), ("4", "硬币", "<p>出建国纪念币</p>")],
            start=1,
        ):
            moved = Article(
                id="", feed=url, title=title, guid=guid, link=f"https://a.example/{guid}",
                content=content,
            )  # fmt: skip
            _save_to_v7_feed(store, moved, day)
        assert store.article(4).article.link == "https://a.example/4"  # type: ignore[union-attr]
        assert store.count(View(search="纪念币")) == 1
        assert_store_sound(path)
        # Removed, then their pks taken by new articles: none is found by the old words.
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM articles WHERE pk >= 2")
        _save_to_v7_feed(store, Article(id="", feed=url, title="Lighthouse", guid="9"), 3)
        assert [h.pk for h in store.headlines(View(search="lighthouse"), limit=5)] == [2]
        assert store.count(View(search="boats")) == 0
    assert_store_sound(path)


def _make_v8_store(path: Path) -> None:
    """A store as the version-8 code left it: two feeds, one moved by a permanent
    redirect already (the store knew only its new address), articles with marks."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    migrate(conn, target=8)
    conn.execute(
        "INSERT INTO feeds (id, url, title, position) VALUES "
        "(1, 'https://new.example/rss', 'Moved', 0), (2, 'https://b.example/rss', NULL, 1)"
    )
    conn.executemany(
        "INSERT INTO articles (pk, article_id, feed_id, key, title, read, starred, "
        "first_seen, last_seen, sort_ts, content_hash) "
        "VALUES (?, printf('%016x', ?), ?, 'g:' || ?, ?, ?, ?, 1.7e9, 1.7e9, 1.7e9 + ?, 'h')",
        [(1, 1, 1, 1, "Kept", 1, 1, 1), (2, 2, 1, 2, "Fresh", 0, 0, 2), (3, 3, 2, 3, "B", 0, 0, 3)],
    )
    schema.count_new_articles(conn, 0)
    schema.queue_new_articles(conn, 0)
    conn.execute("COMMIT")
    conn.close()


def test_a_version_8_store_gets_former_addresses_and_keeps_its_feeds(tmp_path: Path) -> None:
    path = tmp_path / "v8.db"
    _make_v8_store(path)
    with Store.open(path) as store:
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()
        assert [(f.url, f.unread, f.total) for f in store.feeds()] == [
            ("https://new.example/rss", 1, 2),
            ("https://b.example/rss", 1, 1),
        ]
        # Moves before the upgrade were not remembered: nothing to name by.
        assert store.former_urls() == {}
        assert_store_sound(path)
        # From now on a move is, and removing the feed forgets it (its row goes with
        # its last article, and with it its former addresses: foreign keys cascade).
        store.change_feed_url(2, "https://c.example/rss")
        assert store.former_urls() == {"https://b.example/rss": "https://c.example/rss"}
        assert_store_sound(path)
        assert store.remove_feed(2) == 0
        assert store.former_urls() == {}
        store.change_feed_url(1, "https://newer.example/rss")
        assert store.remove_feed(1) == 1  # the starred article keeps the row
        assert store.former_urls() == {}
        assert store.count(View(starred_only=True)) == 1
    assert_store_sound(path)


def test_a_version_10_store_keeps_the_waits_servers_asked_for(tmp_path: Path) -> None:
    """Version 10 kept a 429's Retry-After as the feed's next fetch; upgraded, `refresh
    FEED` fetched it at once, the server's wait forgotten."""
    path = tmp_path / "v10.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    migrate(conn, target=10)
    later = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    conn.executemany(
        "INSERT INTO feeds (id, url, last_status, failures, next_fetch) VALUES (?, ?, ?, ?, ?)",
        [
            (1, "https://busy.example/rss", 429, 1, later),
            (2, "https://down.example/rss", 503, 2, later),
            (3, "https://gone.example/rss", 404, 1, later),  # our back-off, not a wait
            (4, "https://fine.example/rss", 429, 0, None),  # failed once, then answered
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    with Store.open(path) as store:
        waits = {info.url.split("/")[2]: info.server_wait for info in store.feeds()}
    asked = datetime.fromtimestamp(later, UTC)
    assert waits == {
        "busy.example": asked,
        "down.example": asked,
        "gone.example": None,
        "fine.example": None,
    }


def test_a_version_11_store_is_indexed_again_and_finds_latin_words_in_han_text(
    tmp_path: Path,
) -> None:
    """Version 11 gave the index `苹果发布新款iPhone手机` as one word: upgraded, every
    article is indexed again in the search form, at the next search, with read and
    starred marks, and the index stays exact as articles change and go."""
    path = tmp_path / "v11.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    migrate(conn, target=11)
    conn.execute("INSERT INTO feeds (id, url, position) VALUES (1, 'https://a.example/rss', 0)")
    rows = [
        # pk, key, title, content, search text as v11 gave it, read, starred
        (1, "g:1", "苹果发布新款iPhone手机", "<p>新闻</p>", "新闻", 1, 1),
        (2, "g:2", "Ferry times", "<p>我们用Python写代码</p>", "我们用Python写代码", 0, 0),
        (3, "g:3", "Καλημέρα", "<p>plain words</p>", "plain words", 0, 0),
    ]
    conn.executemany(
        "INSERT INTO articles (pk, article_id, feed_id, key, title, content, read, starred, "
        "first_seen, last_seen, sort_ts, content_hash) "
        "VALUES (?, printf('%016x', ?), 1, ?, ?, ?, ?, ?, 1.7e9, 1.7e9, 1.7e9 + ?, 'h')",
        [(r[0], r[0], r[1], r[2], r[3], r[5], r[6], r[0]) for r in rows],
    )
    conn.execute("UPDATE feeds SET total = 3, unread = 2 WHERE id = 1")
    conn.executemany(
        "INSERT INTO search_text (pk, body) VALUES (?, ?)", [(r[0], r[4]) for r in rows]
    )
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, body) "
        "SELECT a.pk, a.title, s.body FROM articles a JOIN search_text s ON s.pk = a.pk"
    )
    conn.execute("COMMIT")
    conn.close()
    assert_store_sound(path)
    with Store.open(path) as store:
        assert_store_sound(path)
        assert store.count(View(search="iphone")) == 1
        assert store.count(View(search="python")) == 1
        assert store.count(View(search="用Python")) == 1  # still found in the run
        assert store.count(View(search="καλημερα")) == 1
        assert store.count(View(search="plain")) == 1
        first = store.article(1)
        assert first is not None and first.read and first.starred
        assert_store_sound(path)
        store.remove_feed(1)  # its starred article stays
        assert store.count(View(search="καλημερα")) == 0
        assert_store_sound(path)
    assert_store_sound(path)


def test_a_store_of_the_development_schema_12_is_repaired_and_searchable(
    tmp_path: Path,
) -> None:
    """Commits b900375 to 2112898 wrote schema 12 without the index's `pairs` column;
    the released 12 has it. Both said 12: such a store was never upgraded, and every
    search failed on the missing column (a tester's find). Version 13 repairs it."""
    path = tmp_path / "early12.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    migrate(conn, target=11)
    conn.execute("INSERT INTO feeds (id, url, position) VALUES (1, 'https://a.example/rss', 0)")
    conn.executemany(
        "INSERT INTO articles (pk, article_id, feed_id, key, title, content, read, starred, "
        "first_seen, last_seen, sort_ts, content_hash) "
        "VALUES (?, printf('%016x', ?), 1, ?, ?, ?, ?, ?, 1.7e9, 1.7e9, 1.7e9 + ?, 'h')",
        [
            (1, 1, "g:1", "Kangaroo news", "<p>北京烤鸭 desert</p>", 1, 1, 1),
            (2, 2, "g:2", "Ferry times", "<p>plain words</p>", 0, 0, 2),
        ],
    )
    conn.execute("UPDATE feeds SET total = 2, unread = 1 WHERE id = 1")
    # What the development version 12 did to a version 11 store (its triggers aside).
    for statement in (
        "ALTER TABLE search_text ADD COLUMN title TEXT",
        "INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')",
        "DELETE FROM search_text",
        "INSERT OR IGNORE INTO search_pending (pk) SELECT pk FROM articles",
        "PRAGMA user_version = 12",
    ):
        conn.execute(statement)
    conn.execute("COMMIT")
    conn.close()
    with Store.open(path) as store:
        assert store.count(View(search="kangaroo")) == 1
        assert store.count(View(search="北京")) == 1
        assert store.count(View(search="plain")) == 1
        assert store.unsearched == 0
        first = store.article(1)
        assert first is not None and first.read and first.starred
        assert_store_sound(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_older_tuinews_open_on_an_upgraded_store_cannot_index_it_the_old_way(
    tmp_path: Path,
) -> None:
    """A reader of the version before 12 left open while a cron line upgrades the store:
    its next search indexed every article without their search form and pairs, and this
    version then never found `纪念币` or `iPhone` in them (a tester's find). Its index
    writes are refused now; its search fails, saying why."""
    import sqlite3

    path = tmp_path / "store.db"
    with Store.open(path) as store:
        store.sync_feeds([Subscription("https://a.example/rss")])
        (info,) = store.feeds()
        store.save_fetch(
            info.id,
            Feed(
                url="https://a.example/rss",
                title="A",
                articles=[Article(id="", feed="https://a.example/rss", title="纪念币", guid="1")],
            ),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=datetime(2024, 1, 1, tzinfo=UTC),
            next_fetch=None,
        )
    conn = sqlite3.connect(path)
    (pk,) = conn.execute("SELECT pk FROM articles").fetchone()
    with pytest.raises(sqlite3.DatabaseError, match="upgraded by a newer tuinews"):
        # What index_pending of schema 11 runs.
        conn.execute("INSERT INTO search_text (pk, body) VALUES (?, '纪念币')", (pk,))
    conn.close()
    with Store.open(path) as store:
        assert store.count(View(search="念币")) == 1
    assert_store_sound(path)


def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), os.stat(path).st_mtime_ns


def test_a_store_from_a_newer_tuinews_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = _snapshot(path)
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert str(caught.value) == (
        f"{path}: made by a newer tuinews "
        f"(schema {SCHEMA_VERSION + 1}, this one reads up to {SCHEMA_VERSION})"
    )
    assert _snapshot(path) == before


@pytest.mark.parametrize(
    "content",
    [b"[feeds]\nurl = 'x'\n", os.urandom(8192), b"SQLite format 2\x00" + b"\x00" * 100],
    ids=["text", "random", "almost-sqlite"],
)
def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = _snapshot(path)
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert str(caught.value) == f"{path}: not a tuinews store (file is not a database)"
    assert _snapshot(path) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("notes")) == ["notes.db"]


def test_a_corrupt_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    Store.open(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"not a tuinews store|damaged"):
        Store.open(path)


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = _snapshot(path)
    with pytest.raises(StoreError, match="not a tuinews store"):
        Store.open(path)
    assert _snapshot(path) == before


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Store.open(path) as store:
        assert store.feeds() == []
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="folder"):
        Store.open(tmp_path)


def test_the_caller_hears_of_an_upgrade_before_it_runs_and_only_then(tmp_path: Path) -> None:
    """A big store takes seconds to migrate: the CLI says so first (it looked hung)."""
    old = tmp_path / "old.db"
    _make_v1_store(old)
    heard: list[int] = []

    def upgrading() -> None:
        # Told before: the file is still at its old version.
        conn = sqlite3.connect(old)
        heard.append(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.close()

    Store.open(old, on_upgrade=upgrading).close()
    Store.open(old, on_upgrade=upgrading).close()  # current now: nothing to say
    Store.open(tmp_path / "new.db", on_upgrade=upgrading).close()  # created, not upgraded
    assert heard == [1]


def test_the_reader_hears_of_an_upgrade_in_its_status_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stderr line is covered by the full screen at once: the reader's first status
    line says it instead (`_check_store` tells the launch whether it upgraded)."""
    from tuinews.commands.launch import _check_store

    old = tmp_path / "old.db"
    _make_v1_store(old)
    assert _check_store(old) is True
    assert "upgrading the store" in capsys.readouterr().err
    assert _check_store(old) is False
    assert _check_store(tmp_path / "new.db") is False


@pytest.mark.parametrize("command", [["list"], ["refresh"]])
def test_a_command_says_it_upgrades_an_older_store_once(tmp_path: Path, command: list[str]) -> None:
    import subprocess

    from test_cli import TUINEWS

    store = tmp_path / "old.db"
    _make_v1_store(store)
    config = tmp_path / "config.toml"
    config.write_text('[[feeds]]\nurl = "https://a.example/rss"\n')
    env = {
        **os.environ,
        "TUINEWS_DB": str(store),
        "TUINEWS_CONFIG": str(config),
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path),
        "https_proxy": "http://127.0.0.1:9",  # nothing leaves this machine
    }
    first = subprocess.run(
        [str(TUINEWS), *command], env=env, capture_output=True, text=True, timeout=60
    )
    assert first.stderr.startswith("tuinews: upgrading the store for this version"), first.stderr
    again = subprocess.run(
        [str(TUINEWS), *command], env=env, capture_output=True, text=True, timeout=60
    )
    assert "upgrading" not in again.stderr
