"""`Store`: the article store of tuinews, one SQLite file.

One connection per Store, guarded by a lock, so a Store may be handed between threads
(UI workers) but runs one call at a time. Each process opens its own Store; WAL mode and
a busy timeout let readers and one writer work together. Every write is one short
`BEGIN IMMEDIATE` transaction; every SQLite error leaves as a one-line StoreError.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from tuinews.errors import StoreError
from tuinews.model import Feed, Subscription
from tuinews.store import articles as _articles
from tuinews.store import feeds as _feeds
from tuinews.store import schema as _schema
from tuinews.store.connection import (
    MOVED_WHILE_OPEN,
    StoreUnwritable,
    is_read_only,
    open_connection,
    store_error,
)
from tuinews.store.records import (
    FeedInfo,
    FeedWrite,
    Headline,
    SaveStats,
    SortKey,
    StoredArticle,
    View,
    ViewWindow,
)
from tuinews.store.save import PreparedFeed, prepare_feed
from tuinews.store.save import save_prepared as _save_prepared
from tuinews.store.stops import write_transaction

if TYPE_CHECKING:
    from tuinews.store.checkpoints import BackgroundCheckpoints

# Settings of a connection that saves fetched feeds (a refresh); readers (the UI) keep
# SQLite's defaults. New articles land all over the store's time and id indexes, so each
# feed's commit rewrites many of the same index pages:
# - the page cache (default 2 MB) would reread them for every feed of a big store: at
#   100,000 articles 12.8 KB read per saved article, 1.6 KB with 16 MB (1.5 with 32).
#   Since the search index is no longer written during a refresh (schema v6), 8 MB
#   refreshes 100 feeds x 1,000 items as fast as 16 MB did, with 9 MB less peak memory
#   (4 MB was about 5% slower). The indexes are about a sixteenth of the file (an
#   article row holds its text, an index entry a few numbers), so the cache follows
#   the file's size between 2 and 8 MB: a small store is not given memory it cannot use
#   (50 feeds x 200 items peak 6 MB lower, no slower);
# - the WAL is copied back into the database after 16 MB of pages (unless a thread
#   does it after each commit: `checkpoint_in_background`), so a page several
#   feeds changed is copied once or twice, and `close` has little left to copy: what it
#   copies waits on the disk with the refresh done (80 ms at the end of a 50 x 200
#   refresh when all of it was left to `close`, 30 ms now, the refresh no slower). It
#   copies the rest, so the next writer (a mark in the UI) does not pay for it.
WRITER_CACHE_KIB = (2 * 1024, 8 * 1024)  # smallest and largest
WRITER_CACHE_SHARE = 16  # the cache is this fraction of the file, within those bounds
WRITER_CHECKPOINT_BYTES = 16 * 1024 * 1024
# A write waiting for another connection's write lock holds this Store's lock for at
# most this long at a time (see `Store._begin_write`).
WRITE_WAIT_STEP_MS = 50
# Seconds the search index upkeep waits for another process's write lock.
UPKEEP_PATIENCE = 1.0


def _newer_version(conn: sqlite3.Connection) -> int | None:
    """The store's schema version when a newer tuinews made it so; else None."""
    from tuinews.store.schema import SCHEMA_VERSION

    (version,) = conn.execute("PRAGMA user_version").fetchone()
    return int(version) if version > SCHEMA_VERSION else None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class _FeedNotWritten(Exception):
    """A feed's write failed inside its transaction: roll back, and say why."""

    def __init__(self, error: StoreError) -> None:
        super().__init__(str(error))
        self.error = error


# Every Store of this process not yet collected (see `Store.stop_waiting`).
_OPEN: weakref.WeakSet[Store] = weakref.WeakSet()


class Store:
    """The article store. Open with `Store.open(path)`; also a context manager."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()
        # Writes waiting for another process's write lock (`_begin_write`), which lets go
        # of `_lock` between tries: `close` waits for them, as it waited for the lock.
        self._waiting_writes = 0
        self._no_waiting_write = threading.Condition(self._lock)
        self._stop_waits = False  # see `stop_waiting`
        _OPEN.add(self)
        self._cache_kib = 0  # the page cache set for saving; 0 until a save tunes it
        self._checkpoints: BackgroundCheckpoints | None = None
        self._wrote = False
        # Each write copied into the store's file at once (the reader, open for hours):
        # left in the -wal file, a mark is lost to a copy or a move of the store file.
        self.settle_writes = False
        self._identity = _file_identity(path)
        # This process cannot write the store (its file, or its folder: see
        # connection.open_connection); reading commands use it as it is.
        self.read_only = is_read_only(conn, path)
        # Articles the last search could not see: they wait for the search index,
        # which this process could not add them to (`index_error` says why).
        self.unsearched = 0
        self.index_error: StoreError | None = None

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        busy_timeout: float = 30.0,
        on_upgrade: Callable[[], None] | None = None,
        existing: bool = False,
    ) -> Store:
        """Open (create, migrate) the store at `path`; StoreError when it cannot be used.
        `on_upgrade` is called before a store from an older version is migrated.
        `existing`: opened by another process already, never created (see
        `connection.open_connection`)."""
        path = Path(path)
        return cls(path, open_connection(path, busy_timeout, on_upgrade, existing=existing))

    def checkpoint_in_background(self) -> None:
        """From now on, copy each commit of this Store into the store file (checkpoint)
        on a thread of its own, not in the thread that commits: see `checkpoints`."""
        from tuinews.store.checkpoints import BackgroundCheckpoints

        with self._lock:
            if self._conn is None or self.read_only or self._checkpoints is not None:
                return
            try:
                self._checkpoints = BackgroundCheckpoints(self.path)
            except sqlite3.Error:
                return  # SQLite's own checkpoints then, as before
            self._conn.execute("PRAGMA wal_autocheckpoint = 0")

    def close(self) -> None:
        with self._lock:
            self._no_waiting_write.wait_for(lambda: not self._waiting_writes)
            if self._checkpoints is not None:
                self._checkpoints.stop()
                self._checkpoints = None
            if self._conn is None:
                return
            with suppress(sqlite3.Error):
                if self._wrote:
                    # PASSIVE: copies what no reader still needs, never waits for one.
                    # While another process has the store open, closing leaves this
                    # process's writes in the -wal file: a copy of the store file
                    # (a backup) would miss them.
                    self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                # Keeps planner statistics fresh; the limit bounds the work at exit.
                self._conn.execute("PRAGMA analysis_limit = 400")
                self._conn.execute("PRAGMA optimize")
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- plumbing -----------------------------------------------------------------

    def _open_conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path}: the store is closed")
        return self._conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._open_conn()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise store_error(self.path, exc) from exc

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads in one read transaction: they all see the store as it was at
        the first one, whatever other processes commit meanwhile (WAL)."""
        with self._reading() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                with suppress(sqlite3.Error):
                    conn.execute("COMMIT")

    def _begin_write(self, patience: float | None = None) -> sqlite3.Connection:
        """BEGIN IMMEDIATE; returns with `self._lock` held. While another connection (a
        refresh in another process) holds the store's write lock, the wait is spent in
        steps of WRITE_WAIT_STEP_MS with `self._lock` released between them: other
        threads' reads on this Store (the reader's article, its headlines) go on
        meanwhile instead of waiting as long as the write does. StoreError ("busy") once
        the connection's busy timeout (or `patience` seconds, if shorter) has passed."""
        self.refuse_if_moved()
        with self._lock:
            self._waiting_writes += 1
        try:
            return self._wait_for_write(patience)
        finally:
            with self._lock:  # held already after a BEGIN that succeeded
                self._waiting_writes -= 1
                self._no_waiting_write.notify_all()

    @classmethod
    def stop_waiting(cls) -> None:
        """From now on a write of any Store open in this process that finds another
        process's write lock busy gives up at once: the reader quitting, whose writes
        left (a mark; the background search indexing and a refresh, each on a Store
        of its own) would each wait out the busy timeout before the process could end.
        Stores opened later wait as ever."""
        for store in list(_OPEN):
            store._stop_waits = True

    def _refuse_newer_schema(self, conn: sqlite3.Connection) -> None:
        """A newer tuinews upgraded the store since this one opened it (a cron line run
        by the new version while the reader is open): what this one writes could break
        the new schema's rules, so it writes nothing more (one PRAGMA per write)."""
        version = _newer_version(conn)
        if version is not None:
            from tuinews.store.schema import SCHEMA_VERSION

            conn.execute("ROLLBACK")
            raise StoreError(
                f"{self.path}: upgraded by a newer tuinews while open (schema {version}, "
                f"this one reads up to {SCHEMA_VERSION}): quit and start the newer one"
            )

    def _wait_for_write(self, patience: float | None) -> sqlite3.Connection:
        deadline: float | None = None
        budget_ms = 0
        while True:
            self._lock.acquire()
            try:
                conn = self._open_conn()
                if deadline is None:
                    budget_ms = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
                    wait = budget_ms / 1000 if patience is None else min(patience, budget_ms / 1000)
                    deadline = time.monotonic() + wait
                conn.execute(f"PRAGMA busy_timeout = {min(budget_ms, WRITE_WAIT_STEP_MS)}")
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    self._refuse_newer_schema(conn)
                    return conn  # `self._lock` stays held for the transaction
                except sqlite3.Error as exc:
                    busy = getattr(exc, "sqlite_errorname", "").startswith("SQLITE_BUSY")
                    if not busy or time.monotonic() >= deadline or self._stop_waits:
                        raise store_error(self.path, exc) from exc
                finally:
                    with suppress(sqlite3.Error):
                        conn.execute(f"PRAGMA busy_timeout = {budget_ms}")
            except BaseException:
                self._lock.release()
                raise
            self._lock.release()
            time.sleep(0.002)  # a reader waiting for the lock takes it now

    @contextmanager
    def _writing(self, patience: float | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error.
        `patience`: seconds to wait for another process's write lock, if shorter than
        the busy timeout."""
        conn = self._begin_write(patience)
        try:
            # A Ctrl-Z meanwhile stops this process once the transaction is over.
            with write_transaction():
                try:
                    yield conn
                    conn.execute("COMMIT")
                    self._wrote = True
                    if self._checkpoints is not None:
                        self._checkpoints.request()
                    if self.settle_writes:
                        with suppress(sqlite3.Error):
                            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except BaseException as exc:
                    # SQLite may already have rolled back by itself (disk full, I/O error).
                    if conn.in_transaction:
                        with suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    if isinstance(exc, sqlite3.Error):
                        raise store_error(self.path, exc) from exc
                    raise
        finally:
            self._lock.release()

    # ---- feeds --------------------------------------------------------------------

    def sync_feeds(self, subs: Sequence[Subscription]) -> None:
        """Add new URLs, update titles/tags/order; feeds not in `subs` stay (listed last)."""
        with self._writing() as conn:
            _feeds.sync_feeds(conn, subs)

    def sync_feeds_if_changed(self, subs: Sequence[Subscription]) -> list[FeedInfo] | None:
        """`sync_feeds`, only when the store's titles, tags or feeds differ from `subs`
        (a write could wait on another process's refresh); a read-only store is left as
        it is. Returns the feeds when nothing was written, else None."""
        feeds = self.feeds()
        if self.read_only:
            return feeds
        known = {feed.url: feed.tags for feed in feeds}
        with self._reading() as conn:
            # Compared with the file's own titles: one deleted by hand must go from the
            # store too (the feed is then named by its own title, as `feeds` shows it).
            titles = _feeds.user_titles(conn)
        seen: set[str] = set()
        for sub in subs:
            if sub.url in seen:
                continue  # a repeated URL: the first one is the feed, as in `sync_feeds`
            seen.add(sub.url)
            if (
                sub.url not in known
                or (sub.title or None) != titles.get(sub.url)
                or sub.tags != known[sub.url]
            ):
                self.sync_feeds(subs)
                return None
        return feeds

    def feeds(self) -> list[FeedInfo]:
        """Every feed with its unread/total counts, in subscription order."""
        with self._reading() as conn:
            return _feeds.feeds(conn)

    def feed(self, feed_id: int) -> FeedInfo | None:
        with self._reading() as conn:
            return _feeds.feed(conn, feed_id)

    def saved_fetch(self, write: FeedWrite) -> tuple[str, SaveStats] | None:
        """The feed's title and what `write` saved, when it was saved (the articles it
        added; updates are not told apart), else None: for a writer that died before
        saying so (a parse worker killed right after its commit)."""
        with self._reading() as conn:
            saved = _feeds.saved_fetch(conn, write.feed_id, write.fetched_at)
        return None if saved is None else (saved[0], SaveStats(new=saved[1], updated=0))

    def feed_by_url(self, url: str) -> FeedInfo | None:
        with self._reading() as conn:
            return _feeds.feed_by_url(conn, url)

    def remove_feed(self, feed_id: int) -> int:
        """Remove a feed and its articles, except starred ones (never dropped): returns
        how many of those stay."""
        with self._writing() as conn:
            return _feeds.remove_feed(conn, feed_id)

    def drop_articles_since(self, feed_id: int, since: datetime) -> None:
        """Drop the feed's articles first seen at `since` or later, except starred ones,
        and its row when it is left with none (a feed removed while a refresh saved it)."""
        with self._writing() as conn:
            _feeds.drop_articles_since(conn, feed_id, since.timestamp())

    def drop_empty_feeds(self, urls: Iterable[str]) -> None:
        """Drop the rows of the feeds at `urls` that hold no article (a feed never saved,
        or whose articles `remove_feed` dropped)."""
        with self._writing() as conn:
            _feeds.drop_empty_feeds(conn, urls)

    def change_feed_url(
        self, feed_id: int, new_url: str, *, remember: bool = True, via: Sequence[str] = ()
    ) -> None:
        """Follow a permanent redirect; StoreError if `new_url` is another feed's. With
        `remember`, the feed's address until now, and the addresses `via` the redirects
        passed through, keep naming it (`former_urls`)."""
        with self._writing() as conn:
            _feeds.change_feed_url(conn, feed_id, new_url, remember=remember, via=via)

    def move_onto_kept(
        self,
        feed_id: int,
        kept_id: int,
        new_url: str,
        *,
        remember: bool = True,
        via: Sequence[str] = (),
    ) -> None:
        """`change_feed_url` onto the address of `kept_id`, the row of a feed unsubscribed
        from (kept for its starred articles): its articles become this feed's, in the
        same transaction."""
        with self._writing() as conn:
            _feeds.take_over(conn, feed_id, kept_id)
            _feeds.change_feed_url(conn, feed_id, new_url, remember=remember, via=via)

    def former_urls(self) -> dict[str, str]:
        """Each address a feed had before a move (a permanent redirect, a site's address
        that led to its feed) -> the feed's address now. An address some feed holds now
        is never among them, and a feed removed or unsubscribed has none."""
        with self._reading() as conn:
            return _feeds.former_urls(conn)

    def undo_move(self, moved_to: str, back_to: str, via: Sequence[str] = ()) -> None:
        """Give the feed now at `moved_to` its address `back_to` again: a move the
        subscriptions file could not follow (the store and the file must name a feed
        alike, or the next refresh takes it for another feed). Nothing when either
        address is taken meanwhile."""
        with self._writing() as conn:
            moved = _feeds.feed_by_url(conn, moved_to)
            if moved is not None and _feeds.feed_by_url(conn, back_to) is None:
                # Not remembered: the feed was never named by `moved_to` anywhere else;
                # nor by the addresses its redirects passed through (`via`).
                _feeds.change_feed_url(conn, moved.id, back_to, remember=False)
                _feeds.forget_former_urls(conn, moved.id, via)

    def set_disabled(self, feed_id: int, disabled: bool) -> None:
        """Disable a feed, or enable it again (which also resets its failure count)."""
        with self._writing() as conn:
            _feeds.set_disabled(conn, feed_id, disabled)

    # ---- refresh bookkeeping --------------------------------------------------------

    def save_fetch(
        self,
        feed_id: int,
        feed: Feed,
        *,
        status: int | None,
        etag: str | None,
        last_modified: str | None,
        fetched_at: datetime,
        next_fetch: datetime | None,
        source_mtime: float | None = None,
    ) -> SaveStats:
        """Write one feed's fetch in one transaction: new items added, changed ones
        updated (read/starred kept), items gone from the feed kept."""
        return self.save_prepared(
            feed_id,
            prepare_feed(feed),
            status=status,
            etag=etag,
            last_modified=last_modified,
            fetched_at=fetched_at,
            next_fetch=next_fetch,
            source_mtime=source_mtime,
        )

    def save_prepared(
        self,
        feed_id: int,
        prepared: PreparedFeed,
        *,
        status: int | None,
        etag: str | None,
        last_modified: str | None,
        fetched_at: datetime,
        next_fetch: datetime | None,
        source_mtime: float | None = None,
    ) -> SaveStats:
        """`save_fetch` of a feed already turned into rows by `store.save.prepare_feed`
        (which a worker process can run: it touches no store)."""
        write = FeedWrite(
            feed_id,
            fetched_at,
            prepared,
            status=status,
            etag=etag,
            last_modified=last_modified,
            next_fetch=next_fetch,
            source_mtime=source_mtime,
        )
        try:
            (stats,) = self._write_together([write])
        except _FeedNotWritten as failed:
            raise failed.error from failed.__cause__
        return stats

    def write_batch(self, writes: Sequence[FeedWrite]) -> list[SaveStats | StoreError]:
        """Record several feeds' fetches in one transaction. Should one feed's write
        fail, that transaction is rolled back and each feed is written in one of its
        own: the failing feed's entry is then its error, and the rest are saved. Raises
        StoreError when the transaction itself fails (a busy or unwritable store).

        Why batch: a commit writes every page the transaction changed to the WAL, and
        new articles land all over the store's id and time indexes, so feeds committed
        one by one write many of the same index pages again and again (at 100 feeds x
        1,000 articles, two feeds a commit spent about 9% less on writing than one).
        Why not a savepoint per feed, which would keep the others when one fails: in a
        savepoint SQLite first copies each page the write changes aside (a
        sub-journal), 3 MB of copies per feed of 1,000 articles in a store of 100,000;
        and a feed's write fails rarely (a feed removed meanwhile, a full disk).
        """
        try:
            return list(self._write_together(writes))
        except _FeedNotWritten as failed:
            if len(writes) == 1:
                return [failed.error]
            return [self._write_alone(write) for write in writes]

    def _write_alone(self, write: FeedWrite) -> SaveStats | StoreError:
        try:
            (stats,) = self._write_together([write])
        except _FeedNotWritten as failed:
            return failed.error
        return stats

    def _write_together(self, writes: Sequence[FeedWrite]) -> list[SaveStats]:
        """`writes` in one transaction; _FeedNotWritten, all rolled back, when one fails."""
        with self._writing() as conn:
            self._tune_for_saving(conn)
            try:
                return [self._write_one(conn, write) for write in writes]
            except (sqlite3.Error, StoreError) as exc:
                if not conn.in_transaction:
                    raise  # SQLite ended the transaction (disk full, I/O error)
                error = exc if isinstance(exc, StoreError) else store_error(self.path, exc)
                raise _FeedNotWritten(error) from exc

    @staticmethod
    def _write_one(conn: sqlite3.Connection, write: FeedWrite) -> SaveStats:
        if write.prepared is None:
            _feeds.record_not_modified(
                conn,
                write.feed_id,
                fetched_at=write.fetched_at,
                next_fetch=write.next_fetch,
                etag=write.etag,
                last_modified=write.last_modified,
            )
            return SaveStats(new=0, updated=0)
        return _save_prepared(
            conn,
            write.feed_id,
            write.prepared,
            status=write.status,
            etag=write.etag,
            last_modified=write.last_modified,
            fetched_at=write.fetched_at,
            next_fetch=write.next_fetch,
            source_mtime=write.source_mtime,
            oldest=write.oldest,
            per_feed=write.per_feed,
        )

    def _tune_for_saving(self, conn: sqlite3.Connection) -> None:
        # Checked at every batch: a first refresh grows the file from nothing.
        pages, page_size = (
            conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "page_size")
        )
        if not self._cache_kib and self._checkpoints is None:
            checkpoint_pages = WRITER_CHECKPOINT_BYTES // page_size
            conn.execute(f"PRAGMA wal_autocheckpoint = {checkpoint_pages}")
        smallest, largest = WRITER_CACHE_KIB
        wanted = min(largest, max(smallest, pages * page_size // 1024 // WRITER_CACHE_SHARE))
        if wanted > self._cache_kib:  # never shrunk: pages already cached stay useful
            conn.execute(f"PRAGMA cache_size = -{wanted}")
            self._cache_kib = wanted

    def record_not_modified(
        self, feed_id: int, *, fetched_at: datetime, next_fetch: datetime | None
    ) -> None:
        with self._writing() as conn:
            _feeds.record_not_modified(conn, feed_id, fetched_at=fetched_at, next_fetch=next_fetch)

    def record_failure(
        self,
        feed_id: int,
        *,
        status: int | None,
        error: str,
        at: datetime,
        next_fetch: datetime | None,
        disable: bool = False,
        server_wait: datetime | None = None,
    ) -> None:
        """`server_wait`: until when its server asked the next try to wait (429/503)."""
        with self._writing() as conn:
            _feeds.record_failure(
                conn,
                feed_id,
                status=status,
                error=error,
                at=at,
                next_fetch=next_fetch,
                disable=disable,
                server_wait=server_wait,
            )

    def name_untitled_feed(self, feed_id: int, feed_title: str) -> None:
        """The title a feed gives itself, read from a document broken before its first
        article, kept when the store has none yet (its only name was its address)."""
        with self._writing() as conn:
            _feeds.name_untitled_feed(conn, feed_id, feed_title)

    def record_note(self, feed_id: int, *, status: int | None, note: str, at: datetime) -> None:
        """A fetch that worked but asks the user to act: refreshed at `at`, `note` shown
        where errors are, no back-off. (A move onto another subscription used to be one;
        the refresh records it as a failure now.)"""
        with self._writing() as conn:
            _feeds.record_note(conn, feed_id, status=status, note=note, at=at)

    def moved(self) -> bool:
        """The store's file was moved, deleted or replaced since it was opened: this
        connection still writes the file it opened, under whatever name it has now."""
        return self._identity is not None and _file_identity(self.path) != self._identity

    def refuse_if_moved(self) -> None:
        """StoreUnwritable when the file was moved or deleted since it was opened (see
        `moved`): written, it would go to a file deleted (lost at close) or one another
        store now stands in for; so every write is refused, as the reader says."""
        if self.moved():
            raise StoreUnwritable(f"{self.path}: {MOVED_WHILE_OPEN}")

    def newer_schema(self) -> int | None:
        """The schema version a newer tuinews upgraded the store to since it was opened
        here (writes are refused then, see `_refuse_newer_schema`); else None."""
        with self._reading() as conn:
            return _newer_version(conn)

    def change_stamp(self) -> tuple[int, int]:
        """What tells a reader another process changed the store: SQLite's data version
        (it moves when another connection commits) and the newest article's pk."""
        with self._reading() as conn:
            (version,) = conn.execute("PRAGMA data_version").fetchone()
            (newest,) = conn.execute("SELECT COALESCE(MAX(pk), 0) FROM articles").fetchone()
            return int(version), int(newest)

    def count_newer(self, pk: int) -> int:
        """How many articles were saved after the one numbered `pk`."""
        with self._reading() as conn:
            return int(
                conn.execute("SELECT count(*) FROM articles WHERE pk > ?", (pk,)).fetchone()[0]
            )

    def last_refresh_time(self) -> datetime | None:
        """The newest successful fetch of any feed."""
        with self._reading() as conn:
            return _feeds.last_refresh_time(conn)

    # ---- articles -------------------------------------------------------------------

    def index_for_search(self, *, stop: Callable[[], bool] | None = None) -> int:
        """Add the articles saved since the last search to the search index (refreshes
        leave that to the first search, see schema v6); returns how many were added.
        `stop`: asked before each step; True leaves the rest for the next search (the
        reader's background indexing, when the reader quits)."""
        with self._reading() as conn:
            if not _schema.has_pending(conn):
                return 0
        added = 0
        while True:
            if stop is not None and stop():
                return added
            limit = _schema.INDEX_CHUNK
            with self._writing() as conn:  # a transaction per step (see INDEX_CHUNK)
                step = _schema.index_pending(conn, limit=limit)
            added += step
            if step < limit:  # that step took the last of them
                return added

    def upkeep_search_index(self) -> bool:
        """Compact the search index when articles changed or deleted since they were
        indexed have grown it too much (see schema.search_index_grown); True if it did.
        For the end of a refresh or a cleanup: a compaction holds the write lock for
        about 2 s at 100,000 articles."""
        with self._reading() as conn:
            if not _schema.search_index_grown(conn):
                # No write lock asked for: one held by another process would hold up the
                # end of the refresh for the busy timeout, for nothing to do.
                return False
        # Housekeeping waits little for another process's write: the next refresh or
        # cleanup tries again.
        with self._writing(patience=UPKEEP_PATIENCE) as conn:
            if not _schema.search_index_grown(conn):  # compacted meanwhile by another
                return False
            _schema.compact_search_index(conn)
            return True

    def _searchable(self, view: View) -> None:
        if view.search is None or not view.search.strip():
            return
        # A store this process cannot write (read-only, busy): search what the index
        # already holds rather than fail, and count what it leaves out so the caller
        # can say so (results missing without a word look like "no such article").
        error: StoreError | None = None
        if self.read_only:  # no write attempted
            error = StoreUnwritable(f"{self.path}: the store is read-only")
        else:
            try:
                self.index_for_search()
            except StoreError as exc:
                error = exc
        self.index_error = error
        self.unsearched = 0
        if error is not None:
            with self._reading() as conn:
                self.unsearched = conn.execute("SELECT count(*) FROM search_pending").fetchone()[0]

    def unsearched_note(self) -> str | None:
        """What the last search left out, and why, or None: e.g. '9 articles are not
        in the search index yet (the store is read-only)'."""
        count, error = self.unsearched, self.index_error
        if not count:
            return None
        if self.read_only or (error is not None and "read-only" in str(error)):
            reason = "the store is read-only"
        else:
            reason = str(error).removeprefix(f"{self.path}: ")
        articles = "1 article is" if count == 1 else f"{count} articles are"
        return f"{articles} not in the search index yet ({reason})"

    def count(self, view: View) -> int:
        self._searchable(view)
        with self._reading() as conn:
            return _articles.count(conn, view)

    def view_window(
        self, view: View, *, keep: Headline | None, limit: int, at: int = 0
    ) -> ViewWindow:
        """Count `view`, find `keep` in it (its index now; row `at` without it) and
        fetch `limit` rows around it, from one snapshot of the store."""
        self._searchable(view)
        with self._snapshot() as conn:
            return _articles.view_window(conn, view, keep, limit, at)

    def position(self, view: View, key: SortKey) -> int:
        """The index in `view` of the row with sort key `key` (where it would be, when
        it has left the view)."""
        self._searchable(view)
        with self._reading() as conn:
            return _articles.position(conn, view, key)

    def headlines(
        self,
        view: View,
        *,
        limit: int,
        after: SortKey | None = None,
        before: SortKey | None = None,
        offset: int | None = None,
    ) -> list[Headline]:
        """A window of the view, newest first (best first when searching).

        `after`: rows after that key (next page); `before`: rows before it (previous
        page, still returned newest first); `offset`: skip that many rows first.
        """
        self._searchable(view)
        with self._reading() as conn:
            return _articles.headlines(
                conn, view, limit=limit, after=after, before=before, offset=offset
            )

    def article(self, pk: int) -> StoredArticle | None:
        with self._reading() as conn:
            return _articles.article(conn, pk)

    def article_stamp(self, pk: int) -> str | None:
        """Changes when article `pk` or its feed's name does (None: it is gone)."""
        with self._reading() as conn:
            return _articles.article_stamp(conn, pk)

    def find_article(self, ref: str) -> StoredArticle | None:
        """By article id or a unique prefix of it (StoreError if several)."""
        with self._reading() as conn:
            return _articles.find_article(conn, ref)

    def short_ids(self, ids: Sequence[str], minimum: int = 8) -> list[str]:
        """The ids as printed: each as long as it must be to name one article."""
        with self._reading() as conn:
            return _articles.short_ids(conn, ids, minimum)

    def set_read(self, pks: Sequence[int], read: bool) -> int:
        """Mark the articles; returns how many changed."""
        with self._writing() as conn:
            return _articles.set_read(conn, pks, read)

    def set_starred(self, pk: int, starred: bool) -> bool:
        """Star or unstar; False when no such article is left (removed by a cleanup)."""
        with self._writing() as conn:
            return _articles.set_starred(conn, pk, starred)

    def mark_read_where(self, view: View, *, up_to_pk: int | None = None) -> list[int]:
        """Mark every unread article of the view read, only those stored up to
        `up_to_pk` when given (what the user was shown); returns their pks (for undo)."""
        self._searchable(view)
        with self._writing() as conn:
            return _articles.mark_read_where(conn, view, up_to_pk)

    def unread_counts(self) -> dict[int, int]:
        """feed_id -> unread, from counters kept by triggers (no article is read)."""
        with self._reading() as conn:
            return _articles.unread_counts(conn)

    def cleanup(
        self,
        *,
        days: int | None,
        per_feed: int | None,
        now: datetime | None = None,
        subscribed: Sequence[str] | None = None,
    ) -> int:
        """Drop articles older than `days` and beyond the newest `per_feed` of each feed,
        and, given the `subscribed` URLs, every article of the feeds not among them.

        Starred articles stay, and so do articles the feed still lists (dropping them
        would bring them back as new). One short transaction per feed. Returns the count.
        """
        removed = 0
        if subscribed is not None:
            with self._writing() as conn:
                removed += _feeds.drop_unsubscribed(conn, set(subscribed))
        if days is not None or per_feed is not None:
            before = None
            if days is not None:
                before = (now or datetime.now(UTC)) - timedelta(days=days)
            with self._reading() as conn:
                feed_ids = [feed_id for (feed_id,) in conn.execute("SELECT id FROM feeds")]
            for feed_id in feed_ids:
                with self._writing() as conn:
                    removed += _articles.cleanup_feed(
                        conn, feed_id, before=before, per_feed=per_feed
                    )
        if removed:
            # The dropped articles' words stay in the index till then. Housekeeping, as
            # at the end of a refresh: a store refusing it (full disk, busy) does not
            # make the removal, committed already, look failed; the next one tries again.
            with suppress(StoreError):
                self.upkeep_search_index()
        return removed
