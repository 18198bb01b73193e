"""Several processes on one store: two refreshes writing while a TUI reads.

WAL lets the reader go on while a writer commits, and the busy timeout makes the second
writer wait its turn: nobody may see "database is locked".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tuinews.model import Subscription
from tuinews.store import Store, View

_PRELUDE = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tuinews.model import Article, Feed
from tuinews.store import Store, View
path, role, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
T0 = datetime(2024, 1, 1, tzinfo=UTC)
# Start together, once every process has imported and opened the store.
print("ready", flush=True)
sys.stdin.readline()
"""

_WRITER = (
    _PRELUDE
    + """
feed_id = int(role)
url = f"https://feed{feed_id}.example/rss"
with Store.open(path) as store:
    for n in range(rounds):
        items = [
            Article(id="", feed=url, title=f"Item {i} version {n // 3}", guid=f"{url}#{i}",
                    published=T0 + timedelta(minutes=i), content=f"<p>body {i} {n}</p>")
            for i in range(n * 5, n * 5 + 40)
        ]
        store.save_fetch(feed_id, Feed(url, f"Feed {feed_id}", articles=items), status=200,
                         etag=None, last_modified=None, fetched_at=datetime.now(UTC),
                         next_fetch=None)
        heads = store.headlines(View(feed_ids=(feed_id,), unread_only=True), limit=3)
        store.set_read([h.pk for h in heads], True)
print("done")
"""
)

_READER = (
    _PRELUDE
    + """
with Store.open(path) as store:
    for n in range(rounds):
        for view in (View(), View(unread_only=True), View(feed_ids=(1,)), View(search="item")):
            page = store.headlines(view, limit=50)
            if page:
                store.headlines(view, limit=50, after=page[-1].sort_key)
            store.count(view)
        store.unread_counts()
        store.feeds()
print("done")
"""
)


def test_two_writers_and_a_reader_never_see_a_locked_database(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with Store.open(path) as store:
        store.sync_feeds([Subscription(f"https://feed{n}.example/rss") for n in (1, 2)])
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), role, str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for code, role, rounds in ((_WRITER, "1", 25), (_WRITER, "2", 25), (_READER, "r", 40))
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        out, err = process.communicate(timeout=90)
        assert "locked" not in err
        assert process.returncode == 0, err
        assert out.strip() == "done"
    with Store.open(path) as store:
        feeds = store.feeds()
        # 25 rounds of 40 items sliding by 5: 160 distinct items per feed.
        assert [f.total for f in feeds] == [160, 160]
        for info in feeds:
            assert info.unread == store.count(View(feed_ids=(info.id,), unread_only=True))
            unread_rows = store.headlines(View(feed_ids=(info.id,), unread_only=True), limit=500)
            assert info.unread == len(unread_rows) == 160 - 3 * 25


def test_opening_a_store_never_opens_the_file_outside_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing any descriptor of the database file drops this process's POSIX locks,
    those of connections already open included (the reader's, while a refresh opens its
    own store): another process could then delete the WAL under them."""
    import builtins
    import io
    import os

    from tuinews.store import Store

    db = tmp_path / "store.db"
    with Store.open(db):
        pass
    opened: list[str] = []
    real_open, real_os_open, real_io_open = builtins.open, os.open, io.open

    def watch(opener):  # type: ignore[no-untyped-def]
        def wrapper(file, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(file).startswith(str(db)):
                opened.append(str(file))
            return opener(file, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(builtins, "open", watch(real_open))
    monkeypatch.setattr(io, "open", watch(real_io_open))
    monkeypatch.setattr(os, "open", watch(real_os_open))
    with Store.open(db) as first, Store.open(db) as second:
        assert first.feeds() == second.feeds()
    assert opened == []


def _store_with_items(path: Path, count: int) -> Path:
    """A store at `path` with one feed of `count` articles, as a refresh saved them."""
    from datetime import UTC, datetime

    from tuinews.model import Article, Feed

    url = "https://feed1.example/rss"
    with Store.open(path) as store:
        store.sync_feeds([Subscription(url)])
        items = [
            Article(id="", feed=url, title=f"Item {n}", guid=f"{url}#{n}") for n in range(count)
        ]
        store.save_fetch(
            1,
            Feed(url, "Feed 1", articles=items),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=datetime.now(UTC),
            next_fetch=None,
        )
    return path


def _until_a_write_waits(store: Store) -> None:
    """Until a write on `store` (in another thread) waits for another process's write
    lock: a thread's start is not a fixed time on a busy machine (a pause of 0.2 s let
    the reader quit before the star was even begun, and it failed as the store closed)."""
    import time

    for _ in range(1000):
        if store._waiting_writes:
            return
        time.sleep(0.01)
    raise AssertionError("no write began to wait")


def test_a_write_waiting_for_another_process_does_not_hold_up_reads(tmp_path: Path) -> None:
    """The reader saves a mark in a worker while a cron refresh holds the write lock:
    the mark waits its turn, and the reader's other reads on the same Store (the article
    to show, a window of headlines) go on meanwhile. They used to wait behind the mark
    for as long as it waited, seconds during a refresh and the whole busy timeout
    against a longer write, with the article pane frozen."""
    import sqlite3
    import threading
    import time

    path = _store_with_items(tmp_path / "shared.db", 3)
    other = sqlite3.connect(path, isolation_level=None)  # another process's refresh
    with Store.open(path, busy_timeout=10) as store:
        pk = store.headlines(View(), limit=1)[0].pk
        other.execute("BEGIN IMMEDIATE")
        try:
            writer = threading.Thread(target=store.set_read, args=([pk], True))
            writer.start()
            _until_a_write_waits(store)  # the mark is waiting for the write lock now
            assert writer.is_alive()
            started = time.monotonic()
            assert store.article(pk) is not None
            assert len(store.headlines(View(), limit=10)) == 3
            # Behind the mark, they would wait as long as it does: the busy timeout
            # (10 s), the other process's lock being held until they are done.
            assert time.monotonic() - started < 5
        finally:
            other.execute("COMMIT")
        writer.join(timeout=10)
        assert not writer.is_alive()
        assert store.headlines(View(), limit=1)[0].read  # the mark was saved after all
    other.close()


def test_a_write_waiting_for_another_process_is_saved_before_the_store_closes(
    tmp_path: Path,
) -> None:
    """The reader quits (closing its Store) while a star saved in a worker still waits for
    a cron refresh's write lock: the close waits for it, as it did before writes let go
    of the Store's lock between tries; the star was lost as "the store is closed"."""
    import sqlite3
    import threading

    from tuinews.errors import StoreError

    path = _store_with_items(tmp_path / "shared.db", 1)
    with Store.open(path) as store:
        pk = store.headlines(View(), limit=1)[0].pk
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    failures: list[StoreError] = []

    def star(store: Store) -> None:
        try:
            store.set_starred(pk, True)
        except StoreError as error:
            failures.append(error)

    store = Store.open(path, busy_timeout=10)
    other.execute("BEGIN IMMEDIATE")
    writer = threading.Thread(target=star, args=(store,))
    writer.start()
    _until_a_write_waits(store)  # the star is waiting for the write lock now
    done = threading.Timer(0.5, lambda: other.execute("COMMIT"))  # the refresh ends
    done.start()
    store.close()  # the reader quits
    writer.join(timeout=10)
    done.join()
    other.close()
    assert failures == []
    with Store.open(path) as again:
        assert again.headlines(View(), limit=1)[0].starred
