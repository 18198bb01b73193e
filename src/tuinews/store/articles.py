"""Article queries: headline windows, counts, marks, look-ups and retention.

Each function takes an open connection; `Store` holds the lock and the transaction.
Every headline query walks an index in list order (sort_ts DESC, pk DESC), so the first
window costs `limit` rows whatever the size of the store.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tuinews.errors import AmbiguousIdError
from tuinews.store.fts import search_form, search_terms
from tuinews.store.records import Headline, SortKey, StoredArticle, View, ViewWindow
from tuinews.store.rows import ARTICLE_SELECT, to_headline, to_stored_article
from tuinews.store.schema import INDEXED_TEXT
from tuinews.store.sql import HEADLINE_COLUMNS

# Column weights for bm25: a word in the title counts most.
_BM25 = "bm25(articles_fts, 10.0, 1.0)"


def _filters(view: View, prefix: str = "a.") -> tuple[list[str], list[Any]]:
    # `read = 0` and `starred = 1` are written as literals: a partial index is used only
    # when the query repeats its WHERE term exactly.
    clauses: list[str] = []
    params: list[Any] = []
    if view.feed_ids is not None:
        if not view.feed_ids:
            clauses.append("0")
        elif len(view.feed_ids) == 1:
            clauses.append(f"{prefix}feed_id = ?")
        else:
            clauses.append(f"{prefix}feed_id IN ({','.join('?' * len(view.feed_ids))})")
        params.extend(view.feed_ids)
    state = _state_terms(view, prefix)
    if state and view.held:
        # Read through the search index, where a plain OR costs nothing; the time-ordered
        # queries read the held rows apart (`_held_arm`), the partial indexes the rest.
        clauses.append(f"(({' AND '.join(state)}) OR {prefix}pk IN ({_marks(view.held)}))")
        params.extend(view.held)
    else:
        clauses.extend(state)
    terms = search_terms(view.search) if view.search else None
    if terms is not None:
        row = f"{prefix or 'articles.'}pk"  # the article's pk, seen from a subquery
        # Words of unspaced scripts, looked for in the text (instr: no LIKE wildcards
        # to escape): the title and the text the index was given (schema v8), which
        # every article searched has. These scripts have no letter case, but the Latin
        # letters a word may hold have (`用Python`): lower() folds ASCII only, theirs.
        # The text is in its search form (schema v12: `用 Python`), the title as written.
        text = INDEXED_TEXT.format(pk=row, body_text=f"{prefix}body_text")
        found = f"(instr(lower({prefix}title), lower(?)) > 0 OR instr(lower({text}), lower(?)) > 0)"
        for word in terms.contains:
            clauses.append(found)
            params.extend([word, search_form(word)])
        for word in terms.lacks:
            clauses.append(f"NOT {found}")
            params.extend([word, search_form(word)])
        if terms.excluded_match is not None:
            clauses.append(
                f"{prefix}pk NOT IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
            )
            params.append(terms.excluded_match)
        if terms.lacks or terms.excluded_match is not None:
            # Only an indexed article is known to lack a word: one still waiting for the
            # index (a store the search could not index first) has no search text yet.
            clauses.append(
                f"NOT EXISTS (SELECT 1 FROM search_pending WHERE search_pending.pk = {row})"
            )
    return clauses, params


def _state_terms(view: View, prefix: str) -> list[str]:
    terms = []
    if view.unread_only:
        terms.append(f"{prefix}read = 0")
    if view.starred_only:
        terms.append(f"{prefix}starred = 1")
    return terms


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _arms(view: View) -> list[tuple[list[str], list[Any]]]:
    """The parts of a time-ordered view, each read through its own index: the view
    without its held rows, then (when it has any) the held rows that left its filter
    (read in the unread filter, unstarred in the starred one)."""
    main = _filters(dataclasses.replace(view, held=()))
    state = _state_terms(view, "a.")
    if not (view.held and state):
        return [main]
    clauses, params = _filters(
        dataclasses.replace(view, unread_only=False, starred_only=False, held=())
    )
    clauses += [f"a.pk IN ({_marks(view.held)})", f"NOT ({' AND '.join(state)})"]
    return [main, (clauses, [*params, *view.held])]


def _search(view: View) -> str | None:
    """The FTS5 query of a search view (None when the index has no word to find, and
    for a view without search); raises _NoMatch when the words hold no term."""
    if view.search is None or not view.search.strip():
        return None
    terms = search_terms(view.search)
    if terms is None:
        raise _NoMatchError
    return terms.match


class _NoMatchError(Exception):
    """The search words hold nothing searchable: the view is empty."""


# A view over a few feeds reads each feed's index and merges them (SQLite cannot walk
# several index ranges in one order); beyond this many feeds it walks the time index.
_MERGE_FEEDS_MAX = 100


def headlines(
    conn: sqlite3.Connection,
    view: View,
    *,
    limit: int,
    after: SortKey | None = None,
    before: SortKey | None = None,
    offset: int | None = None,
) -> list[Headline]:
    if after is not None and before is not None:
        raise ValueError("give `after` or `before`, not both")
    limit, offset = max(limit, 0), max(offset or 0, 0)  # SQLite reads LIMIT -1 as "all"
    try:
        match = _search(view)
    except _NoMatchError:
        return []
    if match is None:
        if offset:
            # Skip through the index alone to the last skipped row, then page from its key:
            # far cheaper than OFFSET over the joined rows.
            skipped = _key_at(conn, view, offset - 1, after, before)
            if skipped is None:
                return []
            after, before, offset = (None, skipped, 0) if before else (skipped, None, 0)
        sql, params, order = _by_time(view, limit, after, before)
    else:
        sql, params, order = _by_score(view, match, after, before)
    sql += f" ORDER BY sort_value {order}, pk {order} LIMIT ? OFFSET ?"
    params.extend([limit, offset])
    rows = [to_headline(row) for row in conn.execute(sql, params).fetchall()]
    if before is not None:
        rows.reverse()
    return rows


def _keyset(
    sort: str, pk: str, after: SortKey | None, before: SortKey | None
) -> tuple[list[str], list[Any], str]:
    # A range on the sort column plus a filter: the planner turns this into an index
    # range scan (a row-value or plain OR form may not be).
    if after is not None:
        return [f"{sort} <= ? AND ({sort} < ? OR {pk} < ?)"], [after[0], *after], "DESC"
    if before is not None:
        return [f"{sort} >= ? AND ({sort} > ? OR {pk} > ?)"], [before[0], *before], "ASC"
    return [], [], "DESC"


def _by_time(
    view: View, window: int, after: SortKey | None, before: SortKey | None
) -> tuple[str, list[Any], str]:
    keyset, keyset_params, order = _keyset("a.sort_ts", "a.pk", after, before)
    select = (
        f"SELECT {HEADLINE_COLUMNS}, a.sort_ts AS sort_value FROM articles a "
        "CROSS JOIN feeds f ON f.id = a.feed_id WHERE "
    )
    arms = _arms(view)
    feed_ids = tuple(dict.fromkeys(view.feed_ids or ()))  # a repeated id would repeat rows
    if 1 < len(feed_ids) <= _MERGE_FEEDS_MAX:
        main = dataclasses.replace(view, held=())
        arms[:1] = [_filters(dataclasses.replace(main, feed_ids=(one,))) for one in feed_ids]
    if len(arms) == 1:
        clauses, params = arms[0]
        sql = select + " AND ".join([*clauses, *keyset] or ["1"])
        return sql, params + keyset_params, order
    # Each arm walks its own index in list order and stops after a window; the outer
    # query merges them.
    parts, params = [], []
    for clauses, arm_params in arms:
        parts.append(
            f"SELECT * FROM ({select}{' AND '.join(clauses + keyset)} "
            f"ORDER BY a.sort_ts {order}, a.pk {order} LIMIT ?)"
        )
        params.extend([*arm_params, *keyset_params, window])
    return "SELECT * FROM (" + " UNION ALL ".join(parts) + ")", params, order


def _key_at(
    conn: sqlite3.Connection,
    view: View,
    position: int,
    after: SortKey | None,
    before: SortKey | None,
) -> SortKey | None:
    """The sort key of the row at `position` (0-based) of a time-ordered view."""
    keyset, keyset_params, order = _keyset("a.sort_ts", "a.pk", after, before)
    parts, params = [], []
    for clauses, arm_params in _arms(view):
        parts.append(
            "SELECT * FROM (SELECT a.sort_ts, a.pk FROM articles a WHERE "
            + " AND ".join([*clauses, *keyset] or ["1"])
            + f" ORDER BY a.sort_ts {order}, a.pk {order} LIMIT ?)"
        )
        params.extend([*arm_params, *keyset_params, position + 1])
    row = conn.execute(
        "SELECT sort_ts, pk FROM (" + " UNION ALL ".join(parts) + ")"
        f" ORDER BY sort_ts {order}, pk {order} LIMIT 1 OFFSET ?",
        [*params, position],
    ).fetchone()
    return (float(row[0]), int(row[1])) if row else None


def _by_score(
    view: View, match: str, after: SortKey | None, before: SortKey | None
) -> tuple[str, list[Any], str]:
    # The score is computed in a subquery so keyset paging can compare it.
    clauses, params = _filters(view)
    keyset, keyset_params, order = _keyset("sort_value", "pk", after, before)
    sql = (
        "SELECT pk, article_id, feed_id, feed_title, title, date, link, read, starred, "
        f"sort_value FROM (SELECT {HEADLINE_COLUMNS}, -{_BM25} AS sort_value "
        "FROM articles_fts CROSS JOIN articles a ON a.pk = articles_fts.rowid "
        "CROSS JOIN feeds f ON f.id = a.feed_id "
        f"WHERE {' AND '.join(['articles_fts MATCH ?', *clauses])})"
    )
    if keyset:
        sql += " WHERE " + " AND ".join(keyset)
    return sql, [match, *params, *keyset_params], order


def position(conn: sqlite3.Connection, view: View, key: SortKey) -> int:
    """How many rows of `view` come before the row with sort key `key`: its index in
    the list, whether or not it is still in the view. Counted through the index, so a
    row 90,000 rows down costs a range count, not 90,000 fetched rows."""
    try:
        match = _search(view)
    except _NoMatchError:
        return 0
    if match is None:
        keyset, keyset_params, _order = _keyset("a.sort_ts", "a.pk", None, key)
        return sum(
            int(
                conn.execute(
                    "SELECT count(*) FROM articles a WHERE " + " AND ".join([*clauses, *keyset]),
                    [*params, *keyset_params],
                ).fetchone()[0]
            )
            for clauses, params in _arms(view)
        )
    else:
        inner, params, _order = _by_score(view, match, None, key)
        sql = f"SELECT count(*) FROM ({inner})"
    return int(conn.execute(sql, params).fetchone()[0])


def view_window(
    conn: sqlite3.Connection, view: View, keep: Headline | None, limit: int, at: int = 0
) -> ViewWindow:
    """The caller holds one read transaction, so a refresh committing meanwhile cannot
    shift the rows between the count, the kept article's index and the window."""
    total = count(conn, view)
    cursor = min(at, max(0, total - 1))
    if keep is not None and total:
        cursor = position(conn, view, _current_key(conn, view, keep))
    start = max(0, cursor - limit // 2)
    rows = headlines(conn, view, limit=limit, offset=start) if total else []
    last_pk = conn.execute("SELECT COALESCE(max(pk), 0) FROM articles").fetchone()[0]
    return ViewWindow(total, start, rows, cursor, int(last_pk))


def _current_key(conn: sqlite3.Connection, view: View, keep: Headline) -> SortKey:
    """`keep`'s sort key now: in a search view the score moves as articles are added to
    the index, so the old score would place another article; by time it never moves."""
    try:
        match = _search(view)
    except _NoMatchError:
        return keep.sort_key
    if match is None:
        return keep.sort_key
    sql, params, _order = _by_score(view, match, None, None)
    row = conn.execute(
        f"SELECT sort_value, pk FROM ({sql}) WHERE pk = ?", [*params, keep.pk]
    ).fetchone()
    return (float(row[0]), int(row[1])) if row else keep.sort_key


def count(conn: sqlite3.Connection, view: View) -> int:
    try:
        match = _search(view)
    except _NoMatchError:
        return 0
    if match is not None:
        clauses, params = _filters(view)
        sql = "SELECT count(*) FROM articles_fts"
        if clauses:
            sql += " CROSS JOIN articles a ON a.pk = articles_fts.rowid"
        sql += " WHERE " + " AND ".join(["articles_fts MATCH ?", *clauses])
        return int(conn.execute(sql, [match, *params]).fetchone()[0])
    (clauses, params), *held = _arms(view)
    if view.starred_only or view.search:
        sql = "SELECT count(*) FROM articles a WHERE " + " AND ".join(clauses)
    else:
        # Unread and total are kept per feed by triggers: no article is read.
        column = "unread" if view.unread_only else "total"
        sql = f"SELECT COALESCE(SUM({column}), 0) FROM feeds"
        if view.feed_ids is not None:
            sql += f" WHERE id IN ({_marks(view.feed_ids) or 'NULL'})"
            params = list(view.feed_ids)
        else:
            params = []
    total = int(conn.execute(sql, params).fetchone()[0])
    for held_clauses, held_params in held:
        sql = "SELECT count(*) FROM articles a WHERE " + " AND ".join(held_clauses)
        total += int(conn.execute(sql, held_params).fetchone()[0])
    return total


def unread_counts(conn: sqlite3.Connection) -> dict[int, int]:
    return dict(conn.execute("SELECT id, unread FROM feeds").fetchall())


def article(conn: sqlite3.Connection, pk: int) -> StoredArticle | None:
    row = conn.execute(ARTICLE_SELECT + " WHERE a.pk = ?", (pk,)).fetchone()
    return to_stored_article(row) if row else None


def article_stamp(conn: sqlite3.Connection, pk: int) -> str | None:
    """What changes when the article must be drawn again: its fields (the digest saves
    compare) and its feed's name."""
    row = conn.execute(
        "SELECT a.content_hash, COALESCE(f.title, NULLIF(f.feed_title, ''), f.url) "
        "FROM articles a CROSS JOIN feeds f ON f.id = a.feed_id WHERE a.pk = ?",
        (pk,),
    ).fetchone()
    return None if row is None else f"{row[0]}\x1f{row[1]}"


def find_article(conn: sqlite3.Connection, ref: str) -> StoredArticle | None:
    """By article id or a unique prefix of it. Only the id: a number is a prefix too,
    never the row number users do not see (`read 14` must not open some other article
    when two ids start with 14)."""
    ref = ref.strip()
    if not ref:
        return None
    rows = conn.execute(
        ARTICLE_SELECT + " WHERE a.article_id >= ? AND a.article_id < ? LIMIT 2",
        (ref.lower(), ref.lower() + "\uffff"),
    ).fetchall()
    if len(rows) > 1:
        raise AmbiguousIdError(f"{ref}: matches several articles; give more of the article id")
    return to_stored_article(rows[0]) if rows else None


def short_ids(conn: sqlite3.Connection, ids: Sequence[str], minimum: int) -> list[str]:
    """Each id cut to the shortest prefix, at least `minimum` characters, that no other
    stored article shares (as git shortens hashes): 8 hex digits collide once a store
    holds tens of thousands of articles, and a printed id must work with `read`."""
    shortened = []
    for article_id in ids:
        length = minimum
        while length < len(article_id):
            prefix = article_id[:length]
            others = conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM articles "
                "WHERE article_id >= ? AND article_id < ? LIMIT 2)",
                (prefix, prefix + "\uffff"),
            ).fetchone()[0]
            if others < 2:
                break
            length += 1
        shortened.append(article_id[:length])
    return shortened


def set_read(conn: sqlite3.Connection, pks: Sequence[int], read: bool) -> int:
    """Mark the articles; returns how many changed (not those marked so already)."""
    return conn.execute(
        "UPDATE articles SET read = ? WHERE pk IN (SELECT value FROM json_each(?)) AND read != ?",
        (int(read), json.dumps(list(pks)), int(read)),
    ).rowcount


def set_starred(conn: sqlite3.Connection, pk: int, starred: bool) -> bool:
    """Star or unstar; False when the article is gone (a cleanup elsewhere removed it)."""
    return (
        conn.execute("UPDATE articles SET starred = ? WHERE pk = ?", (int(starred), pk)).rowcount
        > 0
    )


def mark_read_where(conn: sqlite3.Connection, view: View, up_to_pk: int | None = None) -> list[int]:
    try:
        match = _search(view)
    except _NoMatchError:
        return []
    # Not the held rows: read already, or unstarred (out of what "all" means there).
    clauses, params = _filters(dataclasses.replace(view, held=()), prefix="")
    clauses.insert(0, "read = 0")
    if up_to_pk is not None:
        clauses.append("pk <= ?")
        params.append(up_to_pk)
    if match is not None:
        clauses.append("pk IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
        params.append(match)
    sql = f"UPDATE articles SET read = 1 WHERE {' AND '.join(clauses)} RETURNING pk"
    return sorted(pk for (pk,) in conn.execute(sql, params).fetchall())


def cleanup_feed(
    conn: sqlite3.Connection, feed_id: int, *, before: datetime | None, per_feed: int | None
) -> int:
    """Drop one feed's old articles; starred ones stay, and so do undated ones the feed
    still lists.

    A refresh does not store a new dated article that retention would drop (see
    `FeedWrite.oldest`), so the dated ones dropped here do not come back. An undated
    one is dated by the fetch that first saw it: dropped while the feed still lists it,
    it would come back as new and unread at the next refresh.
    """
    keep = (
        "starred = 0 AND (published IS NOT NULL OR updated IS NOT NULL "
        "OR last_seen < COALESCE((SELECT seen_at FROM feeds WHERE id = ?), 1e300))"
    )
    removed = 0
    if before is not None:
        removed += conn.execute(
            f"DELETE FROM articles WHERE feed_id = ? AND sort_ts < ? AND {keep}",
            (feed_id, before.timestamp(), feed_id),
        ).rowcount
    if per_feed is not None:
        removed += conn.execute(
            f"""DELETE FROM articles WHERE pk IN (
                SELECT pk FROM articles WHERE feed_id = ?
                ORDER BY sort_ts DESC, pk DESC LIMIT -1 OFFSET ?
            ) AND {keep}""",
            (feed_id, max(per_feed, 0), feed_id),
        ).rowcount
    return removed
