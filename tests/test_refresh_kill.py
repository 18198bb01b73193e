"""A refresh killed with SIGKILL at any moment leaves a sound store with its marks intact:
parsing in threads (small refreshes), or in worker processes that write the feeds
themselves (`tuinews refresh` with 8 web feeds or more), killed alone or with them."""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated
from processes import wait_gone
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh import refresh_feeds
from tuinews.store import Store, View

FEEDS = 20
ITEMS = 150  # enough that most refreshes outlast the random pause before the kill
KILLS = 20

# A "zygote": imports once, then forks one fresh refresh process per round (before any
# thread or event loop exists), so twenty kills do not pay twenty interpreter start-ups.
# Each refresh is a separate process that the test kills with SIGKILL.
ZYGOTE = """
import asyncio, json, os, sys
from pathlib import Path
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh import refresh_feeds
import tuinews.store, tuinews.sources.feeds, httpx

db, urls, workers = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "workers"

def say(*words):
    # One write(2) per line: a child killed mid-print must not leave half a line for the
    # zygote's next line to join ("progressreaped").
    os.write(1, (" ".join(map(str, words)) + "\\n").encode())

def progress(done, total, outcome):
    say("progress", done)

def refresh():
    pool = None
    if workers:
        # As `tuinews refresh` does: forked while this process has one thread.
        from tuinews.refresh.workers import WorkerPool

        pool = WorkerPool.fork(2)
        say("workers", *(w.process.pid for w in pool._workers))
    settings = RefreshSettings(concurrency=8, per_host=8)
    subs = [Subscription(url=u) for u in urls]
    asyncio.run(
        refresh_feeds(Path(db), subs, settings, progress=progress, force=True, workers=pool)
    )
    say("finished")

say("ready")
while sys.stdin.readline():
    pid = os.fork()
    if pid == 0:
        # The child must never fall back into this loop, even when the refresh fails.
        try:
            refresh()
        except BaseException as error:
            say("error", repr(error))
        finally:
            os._exit(0)
    say("pid", pid)
    # Reaped only when the test says so, after its kill: until then the pid cannot be
    # given to another process, even if the refresh has ended (a zombie ignores SIGKILL).
    sys.stdin.readline()
    os.waitpid(pid, 0)
    say("reaped")
"""


class _Zygote:
    def __init__(self, db: Path, urls: list[str], parse_in: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(db), json.dumps(urls), parse_in],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._buffer = b""
        self.finished = False  # the current refresh said it ended
        assert self.read_line(30.0) == "ready"

    def read_line(self, timeout: float) -> str | None:
        # Our own buffer over the raw pipe: select() cannot see lines a TextIO has buffered.
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([stdout], [], [], max(0.0, left))
            if not ready:
                return None
            chunk = os.read(stdout.fileno(), 4096)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode().strip()

    def start_refresh(self) -> int:
        stdin = self.process.stdin
        assert stdin is not None
        self.finished = False
        stdin.write(b"go\n")
        stdin.flush()
        line = self.read_line(10.0)
        assert line is not None and line.startswith("pid "), line
        return int(line.split()[1])

    def reap(self) -> None:
        """Let the zygote reap the refresh (killed or ended) and wait until it has."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"reap\n")
        stdin.flush()
        assert self.wait_for("reaped", timeout=60), "the refresh was not reaped"

    def wait_for(self, *prefixes: str, timeout: float) -> str | None:
        """The first line starting with one of the prefixes, or None on timeout."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            line = self.read_line(left)
            if line is None:
                return None
            assert not line.startswith("error"), f"a refresh failed: {line}"
            if line == "finished":
                self.finished = True
            if line.startswith(prefixes):
                return line
        return None

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def _marks(db: Path) -> dict[str, tuple[int, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT article_id, read, starred FROM articles").fetchall()
    return {article_id: (read, starred) for article_id, read, starred in rows}


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _wait_for_line(process: subprocess.Popen[str], timeout: float) -> bool:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return bool(ready) and bool(process.stdout.readline())


@pytest.mark.slow
@pytest.mark.parametrize("parse_in", ["threads", "workers"])
async def test_sigkill_during_refresh_keeps_store_sound(tmp_path: Path, parse_in: str) -> None:
    rng = random.Random(20261126)
    db = tmp_path / "store.db"
    with FeedServer() as server:
        feeds = [Generated(items=ITEMS, title=f"Feed {n}") for n in range(FEEDS)]
        urls = [server.route(f"/feed{n}", feed) for n, feed in enumerate(feeds)]
        subs = [Subscription(url=url) for url in urls]
        await refresh_feeds(db, subs, RefreshSettings())
        with Store.open(db) as store:
            rows = store.headlines(View(), limit=FEEDS * ITEMS)
            assert len(rows) == FEEDS * ITEMS
            store.set_read([row.pk for row in rows[::3]], True)
            for row in rows[::7]:
                store.set_starred(row.pk, True)
        marked = {aid: mark for aid, mark in _marks(db).items() if mark != (0, 0)}
        assert marked

        killed_mid_refresh = 0
        zygote = _Zygote(db, urls, parse_in)
        try:
            for round_number in range(KILLS):
                for feed in feeds:
                    feed.items += 1  # every refresh has new and changed items to write
                    feed.bump()
                pid = zygote.start_refresh()
                workers: list[int] = []
                if parse_in == "workers":
                    line = zygote.wait_for("workers", timeout=10)
                    assert line is not None
                    workers = [int(word) for word in line.split()[1:]]
                # "reaped" may come first when a refresh ends before its first progress line:
                # it must not be read past, or the wait below would never see it.
                seen = None
                if rng.random() < 0.75:
                    # Writes are under way once progress shows: kill somewhere inside.
                    seen = zygote.wait_for("progress", "finished", timeout=10)
                time.sleep(rng.uniform(0.0, 0.1))  # else during opening and the first fetches
                os.kill(pid, signal.SIGKILL)  # not reaped before `reap`: the pid is ours
                if round_number % 2:
                    # `pkill -9 tuinews`: the workers die too, maybe in mid-write. Else
                    # they finish the feed in hand and exit.
                    for worker in workers:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(worker, signal.SIGKILL)
                zygote.reap()
                assert wait_gone(workers, timeout=30), f"workers {workers} outlived the refresh"
                if seen is not None and seen.startswith("progress") and not zygote.finished:
                    killed_mid_refresh += 1
                assert _integrity(db) == "ok"
                after = _marks(db)
                for article_id, mark in marked.items():
                    assert after[article_id] == mark
        finally:
            zygote.close()
        assert killed_mid_refresh >= KILLS // 2

        # The lock died with the process, and a whole refresh still works.
        summary = await refresh_feeds(db, subs, RefreshSettings(), lock="skip", force=True)
        assert summary.failed == 0
        assert _integrity(db) == "ok"
        after = _marks(db)
        assert all(after[aid] == mark for aid, mark in marked.items())
