"""A refresh killed at any moment (SIGKILL, power cut of the process) leaves a sound store:
integrity intact, counters right, and the user's read and starred marks kept."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store_checks import assert_store_sound
from tuinews.model import Article, Feed, Subscription
from tuinews.store import Store, View

URL = "https://kill.example/rss"
T0 = datetime(2024, 1, 1, tzinfo=UTC)

# Saves batches forever: the 50 marked items change each round (so they are rewritten)
# and 20 new ones arrive, then indexes them for search as a search would (schema v8:
# their search text computed by a Python function inside the statement), in small steps.
# Prints after each round so the parent kills mid-stream.
_SAVER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tuinews.model import Article, Feed
from tuinews.store import Store, schema
schema.INDEX_CHUNK = 25
path, url, start = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
T0 = datetime(2024, 1, 1, tzinfo=UTC)
with Store.open(path) as store:
    n = start
    while True:
        items = [
            Article(id="", feed=url, title=f"Item {i} edition {n}", guid=f"g{i}",
                    published=T0 + timedelta(minutes=i if i >= 1000 else 10**6 + i),
                    content=f"<p>text {i} {n}</p>" * 20)
            for i in [*range(50), *range(1000 + n * 20, 1020 + n * 20)]
        ]
        store.save_fetch(1, Feed(url, "Kill", articles=items), status=200, etag=None,
                         last_modified=None, fetched_at=datetime.now(UTC), next_fetch=None)
        store.cleanup(days=None, per_feed=200)
        store.index_for_search()
        print(n, flush=True)
        n += 1
"""


def _check(path: Path, read_pks: set[int], starred_pks: set[int]) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 0)")
        unread, total = conn.execute("SELECT unread, total FROM feeds WHERE id = 1").fetchone()
        real = conn.execute("SELECT count(*), total(read = 0) FROM articles").fetchone()
        assert (total, unread) == (real[0], real[1])
        marks = dict(
            (pk, (read, starred))
            for pk, read, starred in conn.execute("SELECT pk, read, starred FROM articles")
        )
    finally:
        conn.close()
    assert_store_sound(path)  # the search index too, word for word
    for pk in range(1, 51):
        assert marks[pk] == (pk in read_pks, pk in starred_pks)


def test_killed_saves_leave_a_sound_store_with_marks_intact(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    rng = random.Random(20240101)
    with Store.open(path) as store:
        store.sync_feeds([Subscription(URL, "Kill")])
        first = [
            Article(
                id="",
                feed=URL,
                title=f"Item {i}",
                guid=f"g{i}",
                # The newest: the retention (per_feed) of each round keeps them.
                published=T0 + timedelta(minutes=10**6 + i),
            )
            for i in range(50)
        ]
        store.save_fetch(1, Feed(URL, "Kill", articles=first), status=200, etag=None,
                         last_modified=None, fetched_at=T0, next_fetch=None)  # fmt: skip
        assert sorted(h.pk for h in store.headlines(View(), limit=50)) == list(range(1, 51))
        read_pks = set(rng.sample(range(1, 51), 20))
        starred_pks = set(rng.sample(range(1, 51), 10))
        store.set_read(sorted(read_pks), True)
        for pk in starred_pks:
            store.set_starred(pk, True)

    rounds = 0
    for attempt in range(20):
        saver = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path), URL, str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert saver.stdout is not None
        line = saver.stdout.readline()  # wait for one commit, then kill at a random moment
        if not line:
            pytest.fail(saver.stderr.read() if saver.stderr else "saver died")
        time.sleep(rng.uniform(0.0, 0.08))
        saver.send_signal(signal.SIGKILL)
        out, _ = saver.communicate(timeout=30)
        assert saver.returncode == -signal.SIGKILL, f"attempt {attempt}"
        rounds += 1 + len(out.split())
        _check(path, read_pks, starred_pks)

    with Store.open(path) as store:
        assert store.count(View(starred_only=True)) == len(starred_pks)
        assert store.count(View(search="edition")) >= 50
