"""Writing one fetched feed: new items inserted, changed items updated, marks kept.

Runs inside the caller's write transaction. Only the rows whose content digest changed
are rewritten, and each kind of write is one prepared statement run by executemany.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tuinews.errors import StoreError
from tuinews.model import Article, Feed, article_id, article_key, link_sharing, text_tag
from tuinews.store.records import SaveStats
from tuinews.store.rows import to_epoch
from tuinews.store.schema import SEARCHED_COLUMNS, queue_new_articles

# Columns written from an Article, in the order `_prepared_item` and `_row` give them.
CONTENT_COLUMNS = (
    "title",
    "link",
    "guid",
    "author",
    "published",
    "updated",
    "summary",
    "content",
    "content_type",
    "enclosures",
    "categories",
    "language",
    "direction",
    "dateline",
    "sort_ts",
    "content_hash",
)

# The insert of a new article straight from its PreparedItem plus (feed_id, now): the
# parameters are numbered in the item's own order, so a row is `item + tail`, one tuple
# concatenation instead of rebuilding every row in Python.
_INSERT_PREPARED = (
    "INSERT OR IGNORE INTO articles (key, article_id, content_hash, "
    f"{', '.join(CONTENT_COLUMNS[:14])}, sort_ts, feed_id, first_seen, last_seen) "
    f"VALUES ({', '.join(f'?{n}' for n in range(1, 18))}, COALESCE(?18, ?20), ?19, ?20, ?20)"
)
# Whether an update leaves the searched columns as they are (parameters as in _UPDATE).
_SEARCHED_SAME = " AND ".join(
    f"{column} IS ?{CONTENT_COLUMNS.index(column) + 2}" for column in SEARCHED_COLUMNS
)
# The update of a changed article from (last_seen, *CONTENT_COLUMNS, pk).
_UPDATE = (
    # body_text: the search text of an article indexed before schema v8. Emptied when
    # what is searched changes (the index drops those words and the article is pending
    # again), and only then: an article whose link or date changed stays indexed, and
    # the index needs that very text to drop its words one day (see schema v8).
    "UPDATE articles SET last_seen = ?1, "
    f"body_text = CASE WHEN {_SEARCHED_SAME} THEN body_text ELSE '' END, "
    f"{', '.join(f'{c} = ?{n}' for n, c in enumerate(CONTENT_COLUMNS, start=2))} "
    f"WHERE pk = ?{len(CONTENT_COLUMNS) + 2}"
)


# A feed's articles ready for the store, as plain tuples (cheap to send between
# processes): (feed title, items, the feed's home page link or None), one item per
# identity, the newest copy kept:
# (key, article_id or "", digest, *first 14 CONTENT_COLUMNS, date or None).
PreparedItem = tuple[Any, ...]
PreparedFeed = tuple[str, list[PreparedItem], str | None]
_FIELDS = slice(3, 17)
# Hex digits of a content digest; earlier versions stored 24 (see `_legacy_digest`).
DIGEST_LENGTH = 32


def prepare_feed(feed: Feed) -> PreparedFeed:
    """Everything `save_prepared` needs that does not depend on the store. (The search
    text is computed when an article is indexed: schema v8.)"""
    items: dict[str, PreparedItem] = {}
    levels = link_sharing(feed.articles)
    for n, article in enumerate(feed.articles):
        key = article_key(
            article.guid,
            article.link,
            article.title,
            article.published,
            0 if levels is None else levels[n],
            article.content,
        )
        if key not in items:  # the same identity twice in one fetch: the first (newest) wins
            items[key] = _prepared_item(key, article)
    return feed.title, list(items.values()), feed.link


def save_prepared(
    conn: sqlite3.Connection,
    feed_id: int,
    prepared: PreparedFeed,
    *,
    status: int | None,
    etag: str | None,
    last_modified: str | None,
    fetched_at: datetime,
    next_fetch: datetime | None,
    source_mtime: float | None,
    oldest: float | None = None,
    per_feed: int | None = None,
) -> SaveStats:
    row = conn.execute(
        "SELECT url, EXISTS (SELECT 1 FROM articles WHERE feed_id = ?1), seen_at "
        "FROM feeds WHERE id = ?1",
        (feed_id,),
    ).fetchone()
    if row is None:
        raise StoreError(f"no feed with id {feed_id} in the store")
    url: str = row[0]
    now = fetched_at.timestamp()
    feed_title, items, home = prepared

    existing: dict[str, tuple[int, float, str, float]] = {}
    if row[1]:  # a feed fetched for the first time has nothing to compare with
        keys_json = json.dumps([item[0] for item in items], ensure_ascii=False)
        existing = {
            key: (pk, first_seen, digest, last_seen)
            for key, pk, first_seen, digest, last_seen in conn.execute(
                "SELECT key, pk, first_seen, content_hash, last_seen FROM articles "
                "WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))",
                (feed_id, keys_json),
            ).fetchall()
        }

        if len(existing) < len(items):
            _adopt_other_link_keys(conn, feed_id, items, existing)
        if len(existing) < len(items) and row[2] is not None:
            _adopt_redated(conn, feed_id, items, existing, row[2])
        if len(existing) < len(items) and row[2] is not None:
            _adopt_retitled(conn, feed_id, items, existing, row[2])
        if len(existing) < len(items) and row[2] is not None:
            _adopt_edited(conn, feed_id, items, existing, row[2], home)

    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    unchanged: list[int] = []
    tail = (feed_id, now)
    for item in items:
        key, digest = item[0], item[2]
        old = existing.get(key)
        if old is None:
            if not item[1]:  # prepared without an id
                item = _completed(item, url)
            inserts.append(item + tail)
        elif old[2] != digest and (len(old[2]) == DIGEST_LENGTH or old[2] != _legacy_digest(item)):
            updates.append((now, *_row(item, old[1]), old[0]))
        elif old[3] < now:
            unchanged.append(old[0])

    all_kept_out = 0
    if inserts and (oldest is not None or per_feed is not None):
        offered = len(inserts)
        inserts = _retained(conn, feed_id, inserts, oldest, per_feed, now)
        if not inserts and not row[1]:
            all_kept_out = offered
    inserted = 0
    if inserts:
        # Last item first: items with equal dates (or none, dated by this fetch) are
        # listed newest pk first, and a feed lists its newest item first.
        inserts.reverse()
        (largest_pk,) = conn.execute("SELECT COALESCE(MAX(pk), 0) FROM articles").fetchone()
        inserted = conn.executemany(_INSERT_PREPARED, inserts).rowcount
        if inserted < len(inserts):
            inserted += _insert_with_fresh_ids(conn, url, feed_id, inserts)
        queue_new_articles(conn, largest_pk)  # indexed for search when one runs
    if updates:
        conn.executemany(_UPDATE, updates)
    if unchanged:
        # Unchanged items were seen too: cleanup never drops what the feed still lists.
        conn.execute(
            "UPDATE articles SET last_seen = ? WHERE pk IN (SELECT value FROM json_each(?))",
            (now, json.dumps(unchanged)),
        )
    # The counters of the rows inserted above (all unread, all this feed's) are added
    # here rather than by a per-row trigger or a GROUP BY over the new rows.
    conn.execute(
        """UPDATE feeds SET feed_title = COALESCE(NULLIF(?, ''), feed_title), etag = ?,
        last_modified = ?, last_status = ?, last_refresh = ?, seen_at = ?, last_error = NULL,
        last_error_at = NULL, failures = 0, next_fetch = ?, source_mtime = ?,
        total = total + ?, unread = unread + ? WHERE id = ?""",
        (
            feed_title,
            etag,
            last_modified,
            status,
            now,
            now,
            to_epoch(next_fetch),
            source_mtime,
            inserted,
            inserted,
            feed_id,
        ),
    )
    return SaveStats(new=len(inserts), updated=len(updates), all_kept_out=all_kept_out)


_NO_ITEMS = "[]"


def _retained(
    conn: sqlite3.Connection,
    feed_id: int,
    inserts: list[tuple[Any, ...]],
    oldest: float | None,
    per_feed: int | None,
    now: float,
) -> list[tuple[Any, ...]]:
    """The new rows retention keeps (see `FeedWrite.oldest`): not those dated before
    `oldest`, nor those a cleanup would drop as beyond the newest `per_feed` of the
    feed, ranked as it ranks them (date, then pk: rows of one date tie). An undated row
    is dated by this fetch (`now`), the newest."""
    kept = [row for row in inserts if oldest is None or row[17] is None or row[17] >= oldest]
    if per_feed is None or not kept:
        return kept
    if per_feed < 1:
        return []
    stored = conn.execute(
        "SELECT sort_ts, pk FROM articles WHERE feed_id = ? ORDER BY sort_ts DESC, pk DESC LIMIT ?",
        (feed_id, per_feed),
    ).fetchall()
    # A new row ranks after the stored rows of its date: taken before them, it would
    # push one of them out at the next cleanup, to be brought back by the next refresh,
    # for ever. Among themselves, as they will be inserted: last item first (see
    # `save_prepared`), the later pk first.
    ranked: list[tuple[float, int, int]] = [(ts, pk, -1) for ts, pk in stored]
    for position, index in enumerate(reversed(range(len(kept)))):
        row = kept[index]
        ranked.append((now if row[17] is None else float(row[17]), position - len(kept), index))
    ranked.sort(reverse=True)
    chosen = {index for _ts, _pk, index in ranked[:per_feed] if index >= 0}
    return [row for index, row in enumerate(kept) if index in chosen]


def _link_keys(item: PreparedItem) -> list[str]:
    """The other keys an item without guid may be stored under: `link_key_forms`."""
    return link_key_forms(item[0], item[3], item[4], item[5], item[7], item[10])


def link_key_forms(
    key: str,
    title: str,
    link: str | None,
    guid: str | None,
    published: float | None,
    content: str | None,
) -> list[str]:
    """The other keys an item without guid may be stored under (see `article_key`): its
    link alone, as stores made before dates joined it keep it, and the forms with and
    without its title (and text), as other items came or ceased to share its link and
    date (and title). None for an item with a guid. A row stored under one is the
    item's when `same_link_item` says so."""
    if guid or not link:
        return []
    dated = "l:" + link if published is None else f"l:{link}\x1fd:{published!r}"
    titled = f"{dated}\x1ft:{title}"
    forms = {"l:" + link, dated, titled, titled + text_tag(content)}
    forms.discard(key)
    return list(forms)


def same_link_item(
    key: str,
    title: str,
    published: float | None,
    content: str | None,
    row_title: str,
    row_published: float | None,
    row_content: str | None,
) -> bool:
    """Whether a row stored under another form of `key` (`link_key_forms`) holds the item
    of `key`: the same date (as newsboat tells them), the same title too when `key`
    has one, and the same text when it has that."""
    if row_published != published:
        return False
    if "\x1ft:" in key and row_title != title:
        return False
    return "\x1fc:" not in key or (row_content or "") == (content or "")


def _adopt_other_link_keys(
    conn: sqlite3.Connection,
    feed_id: int,
    items: list[PreparedItem],
    existing: dict[str, tuple[int, float, str, float]],
) -> None:
    """Give the stored row of an item without guid the item's key when it is stored under
    another form of it (see `_link_keys`): it would be saved again as a new article, and
    its marks left on the old row. A row goes only to the item with its date (the same
    item, as newsboat tells them), and with its title too when the item's key has one."""
    wanted: dict[str, list[PreparedItem]] = {}
    for item in items:
        if item[0] not in existing:
            for form in _link_keys(item):
                wanted.setdefault(form, []).append(item)
    if not wanted:
        return
    rows = conn.execute(
        "SELECT key, pk, first_seen, content_hash, last_seen, title, published, content "
        "FROM articles "
        "WHERE feed_id = ? AND key IN (SELECT value FROM json_each(?))",
        (feed_id, json.dumps(list(wanted), ensure_ascii=False)),
    ).fetchall()
    for form, pk, first_seen, digest, last_seen, title, published, content in rows:
        for item in wanted[form]:
            if item[0] in existing or not same_link_item(
                item[0], item[3], item[7], item[10], title, published, content
            ):
                continue
            conn.execute("UPDATE articles SET key = ? WHERE pk = ?", (item[0], pk))
            existing[item[0]] = (pk, first_seen, digest, last_seen)
            # The form may be another item's own key too (the link alone: an undated
            # item beside this one): that row is this item's now, not that one's.
            if form in existing and existing[form][0] == pk:
                del existing[form]
            break


def _adopt_redated(
    conn: sqlite3.Connection,
    feed_id: int,
    items: list[PreparedItem],
    existing: dict[str, tuple[int, float, str, float]],
    last_fetch: float,
) -> None:
    """Give an item without guid, new by its key (link and date, or title and date), the
    row of the item with its link, title and text that the feed's previous fetch listed
    and no item of this one holds: the same item, re-dated. Some feeds date every item
    with the time they were built: each refresh would list them all again as new,
    unread. The text must be the same too: a status page's next "Investigating" (same
    link, same title, the oldest one just gone from the page) is a new article. Nor is
    one whose link another item of this fetch still has under the date the previous
    fetch gave it: the page was not re-dated, it only moved on (a status page whose
    states have one boilerplate text each: what left the page is not what came)."""
    new = [item for item in items if item[0] not in existing and _redatable(item)]
    if not new:
        return
    kept_dates = {
        item[4]
        for item in items
        if not item[5] and item[7] is not None and existing.get(item[0], _UNSEEN)[3] >= last_fetch
    }
    new = [item for item in new if item[4] not in kept_dates]
    if not new:
        return
    _hand_over(conn, feed_id, last_fetch, new, existing, {"title": 3, "link": 4, "content": 10})


def _adopt_retitled(
    conn: sqlite3.Connection,
    feed_id: int,
    items: list[PreparedItem],
    existing: dict[str, tuple[int, float, str, float]],
    last_fetch: float,
) -> None:
    """Give an item told apart by its title (see `article_key`: others share its link
    and date), new by its key, the row of the item with its link, date and text that
    the feed's previous fetch listed and no item of this one holds: the same item, its
    title edited ("Investigating" made "Investigating (EU)"). It would be listed again,
    unread, beside its former self."""
    new = [item for item in items if item[0] not in existing and "\x1ft:" in item[0]]
    new = [item for item in new if item[7] is not None and item[10]]
    if not new:
        return
    _hand_over(conn, feed_id, last_fetch, new, existing, {"link": 4, "published": 7, "content": 10})


def _adopt_edited(
    conn: sqlite3.Connection,
    feed_id: int,
    items: list[PreparedItem],
    existing: dict[str, tuple[int, float, str, float]],
    last_fetch: float,
    home: str | None,
) -> None:
    """Give an item without guid, new by its key, whose link is its own (no other item of
    this fetch has it, and it is not a home page: `_home_page`), the row of the one item
    with that link that the feed's previous fetch listed, when no item of this one holds
    it: the same item, edited. A correction that re-dates a post, with a new title or
    a new text, made it a second article, unread, beside the one read. An item whose
    link stood for several items in either fetch is left to the rules above."""
    links = Counter(item[4] for item in items if item[4])
    new = [
        item
        for item in items
        if item[0] not in existing
        and not item[5]
        and item[4]
        and links[item[4]] == 1
        and not _home_page(item[4], home)
    ]
    if not new:
        return
    # Every row of those links that the previous fetch listed, guid or not: a link the
    # previous fetch gave two items is not one item's.
    rows = conn.execute(
        "SELECT pk, first_seen, content_hash, last_seen, link, guid, title, content "
        "FROM articles "
        "WHERE feed_id = ? AND last_seen >= ? AND link IN (SELECT value FROM json_each(?))",
        (feed_id, last_fetch, json.dumps([item[4] for item in new], ensure_ascii=False)),
    ).fetchall()
    listed = Counter(row[4] for row in rows)
    held = {values[0] for values in existing.values()}
    by_link = {item[4]: item for item in new}
    for pk, first_seen, digest, last_seen, link, guid, title, content in rows:
        if guid is not None or listed[link] > 1 or pk in held:
            continue
        item = by_link[link]
        if item[3] != title and item[10] != content:
            # Title, text and date all new under the same link: a page that always
            # shows the latest (today's menu, this week's issue), not an edit.
            continue
        conn.execute("UPDATE articles SET key = ? WHERE pk = ?", (item[0], pk))
        existing[item[0]] = (pk, first_seen, digest, last_seen)


def _home_page(link: str, home: str | None) -> bool:
    """Whether `link` is a site's home page rather than one item's page: the feed's own
    link, or a site's root. A feed that lists only its latest item under such a link
    (a status page, a daily digest) gives a new item each time, not an edit."""
    if home is not None and link.rstrip("/") == home.rstrip("/"):
        return True
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    # A root, also with a query (?utm_source=rss) or as its index page.
    name = parts.path.rsplit("/", 1)[-1].lower()
    return parts.path.count("/") <= 1 and (name == "" or name.startswith(("index.", "default.")))


def _hand_over(
    conn: sqlite3.Connection,
    feed_id: int,
    last_fetch: float,
    new: list[PreparedItem],
    existing: dict[str, tuple[int, float, str, float]],
    same: dict[str, int],
) -> None:
    """Give each row of an item without guid that the previous fetch (at `last_fetch`)
    listed and no item of this one holds to the first item of `new` without a row that
    has its values of the columns `same` names (column -> the item's field): the row
    takes that item's key. The first column narrows the query."""
    columns = list(same)
    fields = [same[column] for column in columns]
    rows = conn.execute(
        f"SELECT pk, first_seen, content_hash, last_seen, {', '.join(columns)} FROM articles "
        "WHERE feed_id = ? AND last_seen >= ? AND guid IS NULL "
        f"AND {columns[0]} IN (SELECT value FROM json_each(?))",
        (
            feed_id,
            last_fetch,
            json.dumps(sorted({item[fields[0]] for item in new}), ensure_ascii=False),
        ),
    ).fetchall()
    held = {values[0] for values in existing.values()}
    for pk, first_seen, digest, last_seen, *values in rows:
        if pk in held:
            continue
        for item in new:
            if item[0] in existing or [item[field] for field in fields] != values:
                continue
            conn.execute("UPDATE articles SET key = ? WHERE pk = ?", (item[0], pk))
            existing[item[0]] = (pk, first_seen, digest, last_seen)
            held.add(pk)
            break


# A row that no fetch listed (see `_adopt_redated`): pk, first_seen, digest, last_seen.
_UNSEEN = (0, 0.0, "", float("-inf"))


def _redatable(item: PreparedItem) -> bool:
    """An item without guid, with a date and a text: one a feed may have re-dated."""
    return not item[5] and item[7] is not None and bool(item[10])


def _prepared_item(key: str, article: Article) -> PreparedItem:
    """The PreparedItem of `article`: its 14 content fields, their digest, and more."""
    enclosures = _NO_ITEMS
    if article.enclosures:
        enclosures = json.dumps(
            [{"url": e.url, "type": e.type, "length": e.length} for e in article.enclosures],
            ensure_ascii=False,
        )
    categories = _NO_ITEMS
    if article.categories:
        categories = _json_strings(article.categories)
    published, updated = article.published, article.updated
    published_ts = None if published is None else published.timestamp()
    updated_ts = None if updated is None else updated.timestamp()
    title, link, guid, author = article.title, article.link, article.guid, article.author
    summary, content, content_type = article.summary, article.content, article.content_type
    language, direction, dateline = article.language, article.direction, article.dateline
    # Short fields by repr (None apart from "None"), the two long ones as they are: a
    # repr of the body cost as much as hashing it. The summary's length marks its end.
    head = (
        f"{title!r}\x00{link!r}\x00{guid!r}\x00{author!r}\x00{published_ts!r}\x00"
        f"{updated_ts!r}\x00{content_type!r}\x00{enclosures!r}\x00{categories!r}\x00"
        f"{language!r}\x00{direction!r}\x00{dateline!r}\x00{len(summary)}\x00"
    )
    # SHA-256 runs in hardware on most machines: a third of BLAKE2b's cost here. The
    # summary and the body are hashed each on its own, the same bytes as hashing them
    # joined to the rest, without a copy: joined to a summary with a "…" in it (most
    # WordPress excerpts end so), the rest was widened to two bytes a character, then
    # encoded the slow way.
    hashed = hashlib.sha256(head.encode("utf-8", "surrogatepass"))
    hashed.update(summary.encode("utf-8", "surrogatepass"))
    hashed.update(content.encode("utf-8", "surrogatepass"))
    digest = hashed.hexdigest()[:DIGEST_LENGTH]
    return (
        key,
        article.id,
        digest,
        # the first 14 CONTENT_COLUMNS
        title,
        link,
        guid,
        author,
        published_ts,
        updated_ts,
        summary,
        content,
        content_type,
        enclosures,
        categories,
        language,
        direction,
        dateline,
        published_ts if published_ts is not None else updated_ts,  # date
    )


def _legacy_digest(item: PreparedItem) -> str:
    """The digest earlier versions stored (of repr() of the 14 fields as a tuple),
    compared with a row that still holds one: an upgrade must not rewrite every
    unchanged article. A row gets the new kind when its item changes."""
    return hashlib.blake2b(repr(item[_FIELDS]).encode(), digest_size=12).hexdigest()


def _json_strings(values: tuple[str, ...]) -> str:
    """json.dumps(list(values), ensure_ascii=False), byte for byte (it is part of the
    digest), a fifth of the cost for the usual categories: printable ASCII without a
    quote or backslash needs no escaping, so quoting and joining is the whole encoding."""
    for value in values:
        if not (value.isascii() and value.isprintable()) or '"' in value or "\\" in value:
            return json.dumps(list(values), ensure_ascii=False)
    return '["' + '", "'.join(values) + '"]'


def _row(item: PreparedItem, first_seen: float) -> tuple[Any, ...]:
    """All of CONTENT_COLUMNS for a prepared item about to be written."""
    date = item[17]
    return (*item[_FIELDS], first_seen if date is None else date, item[2])


def _completed(item: PreparedItem, url: str) -> PreparedItem:
    """`item` with its article id filled in."""
    return (item[0], article_id(url, item[0]), *item[2:])


def _insert_with_fresh_ids(
    conn: sqlite3.Connection, url: str, feed_id: int, inserts: list[tuple[Any, ...]]
) -> int:
    """Insert the rows whose article id another row already holds (a feed that moved
    onto the URL of a removed one, a hand-made id), under an id scoped to this feed;
    returns how many."""
    present = {
        key
        for (key,) in conn.execute(
            "SELECT key FROM articles WHERE feed_id = ? "
            "AND key IN (SELECT value FROM json_each(?))",
            (feed_id, json.dumps([values[0] for values in inserts], ensure_ascii=False)),
        ).fetchall()
    }
    missing = [values for values in inserts if values[0] not in present]
    conn.executemany(
        _INSERT_PREPARED.replace("INSERT OR IGNORE", "INSERT"),
        [
            (values[0], article_id(f"{url}\x00{feed_id}", values[0]), *values[2:])
            for values in missing
        ],
    )
    return len(missing)
