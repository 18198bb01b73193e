"""The store's schema and its forward migrations.

`PRAGMA user_version` holds the schema version. Each step in `MIGRATIONS` takes a file
from version N to N+1 and runs inside the caller's write transaction, so a crash
mid-migration leaves the file at version N. Steps are never edited once released:
a change to the schema is a new step at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# 'tunw': marks the file as ours, so another program's SQLite file is refused.
APPLICATION_ID = 0x74756E77

_V1_CORE = """
CREATE TABLE feeds (
    id            INTEGER PRIMARY KEY,
    url           TEXT NOT NULL UNIQUE,
    title         TEXT,                       -- the user's title (subscription)
    feed_title    TEXT NOT NULL DEFAULT '',   -- the title the feed gives itself
    tags          TEXT NOT NULL DEFAULT '[]', -- JSON array
    position      INTEGER NOT NULL DEFAULT 0, -- subscription order
    etag          TEXT,
    last_modified TEXT,
    last_status   INTEGER,
    last_refresh  REAL,                       -- last successful fetch (epoch)
    seen_at       REAL,                       -- fetched_at of the last saved fetch
    last_error    TEXT,
    last_error_at REAL,
    failures      INTEGER NOT NULL DEFAULT 0, -- consecutive
    next_fetch    REAL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    source_mtime  REAL,                       -- local source: source_signature, not an mtime
    unread        INTEGER NOT NULL DEFAULT 0, -- kept by triggers, so counts never scan
    total         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE articles (
    pk           INTEGER PRIMARY KEY,
    article_id   TEXT NOT NULL UNIQUE,
    feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,               -- identity within the feed (model.article_key)
    title        TEXT NOT NULL,
    link         TEXT,
    guid         TEXT,
    author       TEXT,
    published    REAL,
    updated      REAL,
    summary      TEXT NOT NULL DEFAULT '',
    content      TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT 'html',
    enclosures   TEXT NOT NULL DEFAULT '[]',  -- JSON
    categories   TEXT NOT NULL DEFAULT '[]',  -- JSON
    language     TEXT,
    direction    TEXT,
    dateline     TEXT,
    read         INTEGER NOT NULL DEFAULT 0,
    starred      INTEGER NOT NULL DEFAULT 0,
    first_seen   REAL NOT NULL,
    last_seen    REAL NOT NULL,               -- fetched_at of the last fetch that had it
    sort_ts      REAL NOT NULL,               -- published, else updated, else first_seen
    content_hash TEXT NOT NULL,               -- skips rewriting unchanged items
    UNIQUE (feed_id, key)
);

-- One index per headline query, each ordered like the list (sort_ts DESC, pk DESC;
-- pk is the rowid, which every index carries as its last column).
CREATE INDEX articles_by_time ON articles (sort_ts);
CREATE INDEX articles_by_feed ON articles (feed_id, sort_ts);
CREATE INDEX articles_unread ON articles (sort_ts) WHERE read = 0;
CREATE INDEX articles_unread_by_feed ON articles (feed_id, sort_ts) WHERE read = 0;
CREATE INDEX articles_starred ON articles (sort_ts) WHERE starred = 1;
CREATE INDEX articles_starred_by_feed ON articles (feed_id, sort_ts) WHERE starred = 1;

CREATE TRIGGER articles_count_insert AFTER INSERT ON articles BEGIN
    UPDATE feeds SET total = total + 1, unread = unread + (NEW.read = 0)
    WHERE id = NEW.feed_id;
END;
CREATE TRIGGER articles_count_delete AFTER DELETE ON articles BEGIN
    UPDATE feeds SET total = total - 1, unread = unread - (OLD.read = 0)
    WHERE id = OLD.feed_id;
END;
CREATE TRIGGER articles_count_update AFTER UPDATE OF read, feed_id ON articles
WHEN OLD.read IS NOT NEW.read OR OLD.feed_id IS NOT NEW.feed_id BEGIN
    UPDATE feeds SET total = total - 1, unread = unread - (OLD.read = 0)
    WHERE id = OLD.feed_id;
    UPDATE feeds SET total = total + 1, unread = unread + (NEW.read = 0)
    WHERE id = NEW.feed_id;
END;
"""

# Contentless FTS5 (no second copy of the text); the triggers feed it. Plain text of an
# HTML body is kept in `body_text`; text and Markdown bodies are indexed as they are.
# The 'delete' command needs the exact old values, which the triggers have in OLD.
_FTS_BODY_NEW = "CASE WHEN NEW.content_type = 'html' THEN NEW.body_text ELSE NEW.content END"
_FTS_BODY_OLD = "CASE WHEN OLD.content_type = 'html' THEN OLD.body_text ELSE OLD.content END"
_V2_FTS_TABLE = """
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, summary, body, content = '', tokenize = 'unicode61 remove_diacritics 2'
);
"""
_V2_FTS_TRIGGERS = f"""
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body)
    VALUES (NEW.pk, NEW.title, NEW.summary, {_FTS_BODY_NEW});
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body)
    VALUES ('delete', OLD.pk, OLD.title, OLD.summary, {_FTS_BODY_OLD});
END;
CREATE TRIGGER articles_fts_update
AFTER UPDATE OF title, summary, content, content_type, body_text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body)
    VALUES ('delete', OLD.pk, OLD.title, OLD.summary, {_FTS_BODY_OLD});
    INSERT INTO articles_fts (rowid, title, summary, body)
    VALUES (NEW.pk, NEW.title, NEW.summary, {_FTS_BODY_NEW});
END;
"""


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the caller's transaction; run statement by statement.
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in schema: {statement!r}")


def _v1_core_tables(conn: sqlite3.Connection) -> None:
    _run_script(conn, _V1_CORE)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _v2_full_text_search(conn: sqlite3.Connection) -> None:
    from tuinews.sources.sanitize import html_to_plain

    # Fill body_text and index every row before the triggers exist: a 'delete' of a
    # row the contentless index never saw would corrupt it.
    conn.execute("ALTER TABLE articles ADD COLUMN body_text TEXT NOT NULL DEFAULT ''")
    rows = conn.execute("SELECT pk, content FROM articles WHERE content_type = 'html'")
    conn.executemany(
        "UPDATE articles SET body_text = ? WHERE pk = ?",
        [(html_to_plain(content, limit=0), pk) for pk, content in rows.fetchall()],
    )
    _run_script(conn, _V2_FTS_TABLE)
    conn.execute(
        """INSERT INTO articles_fts (rowid, title, summary, body)
        SELECT pk, title, summary,
               CASE WHEN content_type = 'html' THEN body_text ELSE content END
        FROM articles"""
    )
    _run_script(conn, _V2_FTS_TRIGGERS)


# Version 3: one text column besides the title, `body_text`, which now holds all that is
# searched there (see fts.indexed_body: bounded, the summary only when it adds words), so
# each article is tokenized once instead of summary and body both. Rows are indexed in
# bulk by the writer (save.py) after each batch of inserts instead of by a row trigger,
# and an update whose searched text is unchanged (a new date, say) is not re-indexed.
_V3_FTS_TABLE = """
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, body, content = '', tokenize = 'unicode61 remove_diacritics 2'
);
"""
_V3_FTS_TRIGGERS = """
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', OLD.pk, OLD.title, OLD.body_text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body_text ON articles
WHEN OLD.title IS NOT NEW.title OR OLD.body_text IS NOT NEW.body_text BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', OLD.pk, OLD.title, OLD.body_text);
    INSERT INTO articles_fts (rowid, title, body) VALUES (NEW.pk, NEW.title, NEW.body_text);
END;
"""


def _v3_lean_search(conn: sqlite3.Connection) -> None:
    from tuinews.store.fts import indexed_body

    for trigger in ("articles_fts_insert", "articles_fts_update", "articles_fts_delete"):
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.execute("DROP TABLE articles_fts")
    rows = conn.execute("SELECT pk, summary, content, content_type FROM articles")
    conn.executemany(
        "UPDATE articles SET body_text = ? WHERE pk = ?",
        [(indexed_body(s, c, t), pk) for pk, s, c, t in rows.fetchall()],
    )
    _run_script(conn, _V3_FTS_TABLE)
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, body) SELECT pk, title, body_text FROM articles"
    )
    _run_script(conn, _V3_FTS_TRIGGERS)


# Version 4: the per-feed counters of inserted rows are added in bulk by the writer too
# (`count_new_articles`): the row trigger cost about half of each insert. Deletes and
# read/feed changes keep their triggers (they come one at a time or in small numbers).
def _v4_bulk_insert_counts(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TRIGGER articles_count_insert")


def count_new_articles(conn: sqlite3.Connection, after_pk: int) -> None:
    """Add the articles inserted since `after_pk` was the largest pk to their feeds'
    counters (new rows may already be read: a hand-made insert may say so).

    NOT INDEXED: grouping by the feed index would read every row of the store; the
    rowid range reads only the new ones.
    """
    conn.execute(
        """UPDATE feeds SET total = feeds.total + counted.n,
            unread = feeds.unread + counted.new_unread
        FROM (SELECT feed_id, count(*) AS n, sum(read = 0) AS new_unread
              FROM articles NOT INDEXED WHERE pk > ? GROUP BY feed_id) AS counted
        WHERE feeds.id = counted.feed_id""",
        (after_pk,),
    )


# Version 5: the search index merges its segments 16 at a time instead of FTS5's 4. Each
# feed saved adds a segment; with 4, the merges rewrote the index's lower levels so often
# that they cost as much as tokenizing (a third of the index time saved at 100,000
# articles). A search reads a few more segments, which costs far less than it saves.
SEARCH_INDEX_AUTOMERGE = 16


def _v5_fewer_index_merges(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', ?)",
        (SEARCH_INDEX_AUTOMERGE,),
    )


# Version 6: new articles wait in `search_pending` and are indexed in bulk when a search
# runs (`index_pending`), not while a refresh saves them. Indexing was about a quarter of
# a refresh's store writes; in one statement over many rows it costs about two thirds of
# what it cost feed by feed. The triggers keep the index exact meanwhile: a row still
# pending is not in the index, so deleting or changing it touches only `search_pending`
# (a contentless index must never be told to delete a row it never saw). pks can be
# reused after the largest row is deleted, which is why pending rows are listed rather
# than marked by a high-water pk.
_V6_SEARCH_PENDING = """
CREATE TABLE search_pending (pk INTEGER PRIMARY KEY);
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_update;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    SELECT 'delete', OLD.pk, OLD.title, OLD.body_text
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE pk = OLD.pk);
    DELETE FROM search_pending WHERE pk = OLD.pk;
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body_text ON articles
WHEN (OLD.title IS NOT NEW.title OR OLD.body_text IS NOT NEW.body_text)
    AND NOT EXISTS (SELECT 1 FROM search_pending WHERE pk = OLD.pk) BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', OLD.pk, OLD.title, OLD.body_text);
    INSERT INTO articles_fts (rowid, title, body) VALUES (NEW.pk, NEW.title, NEW.body_text);
END;
"""


def _v6_search_indexed_when_searched(conn: sqlite3.Connection) -> None:
    _run_script(conn, _V6_SEARCH_PENDING)


def queue_new_articles(conn: sqlite3.Connection, after_pk: int) -> None:
    """List the articles inserted since `after_pk` was the largest pk for the search
    index (`index_pending` adds them when a search runs)."""
    conn.execute(
        "INSERT INTO search_pending (pk) SELECT pk FROM articles WHERE pk > ?", (after_pk,)
    )


def has_pending(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM search_pending)").fetchone()[0])


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions `index_pending` runs, on every connection as it opens: SQLite
    refuses to (re)define a function while a statement is running on the connection."""
    # Imported here, not at the top: `fts` comes with the Store (its search queries), not
    # with this module, which a migration test may use alone.
    from tuinews.store.fts import row_search_text, search_pairs, search_title

    conn.create_function("tuinews_search_text", 3, row_search_text, deterministic=True)
    conn.create_function("tuinews_search_title", 1, search_title, deterministic=True)
    conn.create_function("tuinews_search_pairs", 4, search_pairs, deterministic=True)


# Articles indexed per transaction: a large backlog (100,000 articles take a few
# seconds) is indexed in steps, so a refresh or a mark waits at most one step.
INDEX_CHUNK = 5000


def index_pending(conn: sqlite3.Connection, *, limit: int = INDEX_CHUNK) -> int:
    """Add up to `limit` pending articles, oldest first, to the search index; the caller
    holds a write transaction. Returns how many left the pending list (fewer than
    `limit`: none is pending any more)."""
    from tuinews.store.fts import INDEX_SOURCE_LIMIT

    taken, last = conn.execute(
        "SELECT count(*), max(pk) FROM (SELECT pk FROM search_pending ORDER BY pk LIMIT ?)",
        (limit,),
    ).fetchone()
    if not taken:
        return 0
    # SQLite streams the rows through indexed_body; Python never holds the batch.
    source = f"substr(a.content, 1, {INDEX_SOURCE_LIMIT})"
    conn.execute(
        "INSERT INTO search_text (pk, body, title, pairs) SELECT a.pk, "
        f"tuinews_search_text(a.summary, {source}, a.content_type), "
        "tuinews_search_title(a.title), "
        f"tuinews_search_pairs(a.title, a.summary, {source}, a.content_type) "
        "FROM search_pending p JOIN articles a ON a.pk = p.pk WHERE p.pk <= ?",
        (last,),
    )
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, body, pairs) "
        "SELECT a.pk, COALESCE(NULLIF(s.title, ''), a.title), s.body, s.pairs "
        "FROM search_pending p JOIN articles a ON a.pk = p.pk "
        "JOIN search_text s ON s.pk = p.pk WHERE p.pk <= ?",
        (last,),
    )
    conn.execute("DELETE FROM search_pending WHERE pk <= ?", (last,))
    return int(taken)


# Version 7: how large the search index was per article when it was last compacted
# (`compact_search_index`), the yardstick of its growth since.
def _v7_search_upkeep(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE search_upkeep (pages_per_article REAL NOT NULL)")


# An article changed or deleted after it was indexed leaves its old words in the index
# until the segment holding them is merged with the one that says they are gone. With
# segments merged 16 at a time (v5) that could take for ever: 15 refreshes changing each
# of 100,000 articles grew the index to 245 MB, 6.5 times its 38 MB of live entries.
# Past INDEX_GROWTH_LIMIT times its size per article after the last compaction, the
# index is compacted again (about 2 s at 100,000 articles).
INDEX_GROWTH_LIMIT = 2.0
# Smaller indexes (pages of about 4 KB) are left as they are: their compaction would save
# little, however large their growth.
INDEX_UPKEEP_MIN_PAGES = 50


def search_index_grown(conn: sqlite3.Connection) -> bool:
    """Whether changed and deleted articles have grown the search index past its limit
    (or it was never measured): two counts, a few milliseconds at 100,000 articles."""
    (pages,) = conn.execute("SELECT count(*) FROM articles_fts_data").fetchone()
    if pages < INDEX_UPKEEP_MIN_PAGES:
        return False
    measured = conn.execute("SELECT pages_per_article FROM search_upkeep").fetchone()
    if measured is None:
        return True
    (articles,) = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()
    return bool(pages > INDEX_GROWTH_LIMIT * measured[0] * max(1, articles))


def compact_search_index(conn: sqlite3.Connection) -> None:
    """Merge the index into one segment, dropping every old entry, and measure it; the
    caller holds a write transaction."""
    conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    (articles,) = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()
    (pages,) = conn.execute("SELECT count(*) FROM articles_fts_data").fetchone()
    conn.execute("DELETE FROM search_upkeep")
    conn.execute("INSERT INTO search_upkeep VALUES (?)", (pages / max(1, articles),))


# Version 8: the search text of an article is computed when the article is indexed (the
# first search after its refresh) and kept beside the index in `search_text`, no longer
# by the refresh in the article's row (`body_text`). It was a third of every new row's
# bytes and a quarter of a parse worker's time, for articles most of which are never
# searched before they are read; a refresh of 50 feeds x 200 items took 0.66 s with it
# and 0.54 s without, 100 x 1,000 5.7 s and 4.4 s. The first search pays instead.
#
# Articles indexed before version 8 keep their text in `body_text`, where it was: moving
# it would rewrite every row of the store (4.5 s and 120 MB more file at 100,000
# articles) for nothing. New rows leave `body_text` empty; an update that changes what is
# searched empties it (see save._UPDATE).
# As before, an article is either indexed or pending (in `search_pending`); the text the
# index was given, which a contentless index needs to drop those words again, is the
# article's `search_text` row, else its `body_text`. A changed indexed article leaves the
# index and is pending again: the next search computes its new text.
INDEXED_TEXT = "COALESCE((SELECT body FROM search_text WHERE search_text.pk = {pk}), {body_text})"
_OLD_TEXT = INDEXED_TEXT.format(pk="OLD.pk", body_text="OLD.body_text")
# The columns the search text comes from, which the update trigger below watches (its SQL
# is written out: a migration's text never changes once released).
SEARCHED_COLUMNS = ("title", "summary", "content", "content_type")
_V8_SEARCH_TEXT = f"""
CREATE TABLE search_text (pk INTEGER PRIMARY KEY, body TEXT NOT NULL);
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_update;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    SELECT 'delete', OLD.pk, OLD.title, {_OLD_TEXT}
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE pk = OLD.pk);
    DELETE FROM search_text WHERE pk = OLD.pk;
    DELETE FROM search_pending WHERE pk = OLD.pk;
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, content, content_type
ON articles WHEN (OLD.title IS NOT NEW.title OR OLD.summary IS NOT NEW.summary
    OR OLD.content IS NOT NEW.content OR OLD.content_type IS NOT NEW.content_type)
    AND NOT EXISTS (SELECT 1 FROM search_pending WHERE pk = OLD.pk) BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body)
    VALUES ('delete', OLD.pk, OLD.title, {_OLD_TEXT});
    DELETE FROM search_text WHERE pk = OLD.pk;
    INSERT INTO search_pending (pk) VALUES (NEW.pk);
END;
"""


def _v8_search_text_when_indexed(conn: sqlite3.Connection) -> None:
    _run_script(conn, _V8_SEARCH_TEXT)


# Version 9: the addresses a feed had before a move (a permanent redirect, a site's
# address that led to its feed), so that the old address still names it: a cron line
# `tuinews refresh OLD` written before the move. A feed's former addresses go with its row
# (ON DELETE CASCADE) or when it is unsubscribed (`feeds._forget_fetches`), and an address
# a feed holds now is nobody's former one: the triggers drop it when a feed is added at it
# or moves to it (a later subscription to the old address is named by it, not the feed
# that moved away).
_V9_FORMER_URLS = """
CREATE TABLE former_urls (
    url     TEXT PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE
);
CREATE INDEX former_urls_by_feed ON former_urls (feed_id);
CREATE TRIGGER former_urls_taken_by_insert AFTER INSERT ON feeds BEGIN
    DELETE FROM former_urls WHERE url = NEW.url;
END;
CREATE TRIGGER former_urls_taken_by_move AFTER UPDATE OF url ON feeds BEGIN
    DELETE FROM former_urls WHERE url = NEW.url;
END;
"""


def _v9_former_urls(conn: sqlite3.Connection) -> None:
    _run_script(conn, _V9_FORMER_URLS)


# Version 10: an article without guid is keyed by its link and date (`model.article_key`),
# no longer by its link alone. Nothing to change here: a stored row takes its item's new
# key when its feed is next saved (`save._adopt_other_link_keys`). The version says it
# to the versions before, which would save those items again under their link alone,
# duplicates of every one: they refuse this store instead of spoiling it.
def _v10_link_and_date_keys(conn: sqlite3.Connection) -> None:
    del conn  # no table changes


# Version 11: when a failing feed's server asked the next try to wait (a 429's or 503's
# Retry-After), apart from `next_fetch`, which a back-off may put later: a feed the user
# names is fetched once the server's wait is over, whatever the back-off says.
def _v11_server_wait(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE feeds ADD COLUMN server_wait REAL")
    # Before, a failing 429's or 503's next fetch was the wait its server asked for.
    conn.execute(
        "UPDATE feeds SET server_wait = next_fetch "
        "WHERE last_status IN (429, 503) AND failures > 0 AND next_fetch IS NOT NULL"
    )


# Version 12: the index is given titles and text in their `fts.search_form`: a space
# where Han, kana or Thai meets Latin letters or digits (`苹果发布iPhone手机` was one
# word to the tokenizer, so `iPhone` found nothing), Greek accents dropped. And a third
# column, `pairs`: each pair of neighbouring characters of those scripts' runs
# (`fts.search_pairs`), through which a word inside such a run is found (a search for
# `北京` read the text of every article). What the index was given is kept in
# `search_text`, since a contentless index needs it to drop those words again: the
# title when its form differs ('' when it is the article's own), and the pairs.
# The index is made anew, empty, and every article waits to be indexed at the next
# search (6-7 s at 100,000 articles). The triggers are v8's with these columns,
# written out again: a released migration's text never changes.
#
# A tuinews of an earlier version still open on the store would index articles without
# their form or pairs: its rows of `search_text` lack a title (NULL), and the trigger
# `search_text_formed` refuses them, so its search fails with a line saying why
# instead of hiding those articles from this version's searches for ever.
INDEXED_TITLE = (
    "COALESCE(NULLIF((SELECT title FROM search_text WHERE search_text.pk = {pk}), ''), {title})"
)
INDEXED_PAIRS = "COALESCE((SELECT pairs FROM search_text WHERE search_text.pk = {pk}), '')"
_OLD_TITLE = INDEXED_TITLE.format(pk="OLD.pk", title="OLD.title")
_OLD_PAIRS = INDEXED_PAIRS.format(pk="OLD.pk")
_V12_SEARCH_FORM = f"""
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_update;
DROP TABLE articles_fts;
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, body, pairs, content = '', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', {SEARCH_INDEX_AUTOMERGE});
DELETE FROM search_text;
ALTER TABLE search_text ADD COLUMN title TEXT;
ALTER TABLE search_text ADD COLUMN pairs TEXT NOT NULL DEFAULT '';
CREATE TRIGGER search_text_formed BEFORE INSERT ON search_text WHEN NEW.title IS NULL BEGIN
    SELECT RAISE(ABORT, 'the store was upgraded by a newer tuinews: quit and start it');
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body, pairs)
    SELECT 'delete', OLD.pk, {_OLD_TITLE}, {_OLD_TEXT}, {_OLD_PAIRS}
    WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE pk = OLD.pk);
    DELETE FROM search_text WHERE pk = OLD.pk;
    DELETE FROM search_pending WHERE pk = OLD.pk;
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, summary, content, content_type
ON articles WHEN (OLD.title IS NOT NEW.title OR OLD.summary IS NOT NEW.summary
    OR OLD.content IS NOT NEW.content OR OLD.content_type IS NOT NEW.content_type)
    AND NOT EXISTS (SELECT 1 FROM search_pending WHERE pk = OLD.pk) BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body, pairs)
    VALUES ('delete', OLD.pk, {_OLD_TITLE}, {_OLD_TEXT}, {_OLD_PAIRS});
    DELETE FROM search_text WHERE pk = OLD.pk;
    INSERT INTO search_pending (pk) VALUES (NEW.pk);
END;
INSERT OR IGNORE INTO search_pending (pk) SELECT pk FROM articles;
"""


def _v12_search_form(conn: sqlite3.Connection) -> None:
    _run_script(conn, _V12_SEARCH_FORM)


# Version 13: nothing changes in a store of schema 12 as released. A store made by a
# development version of schema 12 (commits b900375 to 2112898: titles in their search
# form, but no `pairs`) is brought to the released form, its index made anew as
# version 12 makes it: both said 12, so it was never upgraded, and every search failed
# on the missing column (a tester's find).
_V13_EARLY_V12 = _V12_SEARCH_FORM.replace("ALTER TABLE search_text ADD COLUMN title TEXT;\n", "")


def _v13_early_v12_repaired(conn: sqlite3.Connection) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(search_text)")}
    if "pairs" not in columns:
        _run_script(conn, _V13_EARLY_V12)


Migration = Callable[[sqlite3.Connection], None]

# MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS: list[Migration] = [
    _v1_core_tables,
    _v2_full_text_search,
    _v3_lean_search,
    _v4_bulk_insert_counts,
    _v5_fewer_index_merges,
    _v6_search_indexed_when_searched,
    _v7_search_upkeep,
    _v8_search_text_when_indexed,
    _v9_former_urls,
    _v10_link_and_date_keys,
    _v11_server_wait,
    _v12_search_form,
    _v13_early_v12_repaired,
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the store up to `target`; the caller holds a write transaction.

    Returns the version found before migrating.
    """
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for version in range(found, target):
        MIGRATIONS[version](conn)
        conn.execute(f"PRAGMA user_version = {version + 1}")
    return found
