"""Parse worker processes and TLS for a refresh: what a user would notice if they broke.

Workers parse and write feeds; they must give the same store as parsing in a thread,
never outlive a refresh killed with SIGKILL, and a worker that dies must not lose a
feed. https feeds verify certificates (the CA bundle loads only when an https URL is
fetched).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated, Stall, rss, static, status
from processes import alive, wait_gone
from store_checks import assert_store_sound
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh import client, refresh_feeds
from tuinews.refresh.parsing import Body, Parsers
from tuinews.refresh.workers import WorkerPool
from tuinews.refresh.writer import BatchWriter
from tuinews.store import FeedWrite, Store, View

SETTINGS = RefreshSettings(timeout=5.0, connect_timeout=2.0)


def _store_with_feed(db: Path, url: str = "http://x/feed") -> tuple[Store, FeedWrite]:
    """A real store subscribed to `url`, and the write a fetch of it would record."""
    store = Store.open(db)
    store.sync_feeds([Subscription(url=url)])
    (info,) = store.feeds()
    return store, FeedWrite(info.id, datetime.now(UTC), status=200)


def _titles(db: Path) -> list[str]:
    with Store.open(db) as store:
        return sorted(h.title for h in store.headlines(View(), limit=1000))


async def test_forked_workers_store_the_same_as_threads(server: FeedServer, tmp_path: Path) -> None:
    urls = [server.route(f"/f{n}", Generated(items=30, title=f"F{n}")) for n in range(4)]
    urls.append(server.route("/bad", static(b"not a feed at all")))
    subs = [Subscription(url=u) for u in urls]

    threaded = await refresh_feeds(tmp_path / "a.db", subs, SETTINGS)
    # Forking inside pytest's threads would be unsafe, so fork() declines; spawn instead.
    pool = WorkerPool.fork(1) or WorkerPool.spawn(1)
    pids = [w.process.pid or 0 for w in pool._workers]
    pooled = await refresh_feeds(tmp_path / "b.db", subs, SETTINGS, workers=pool)

    assert (pooled.new, pooled.failed) == (threaded.new, threaded.failed) == (120, 1)
    assert _titles(tmp_path / "a.db") == _titles(tmp_path / "b.db")
    bad = [o for o in pooled.outcomes if o.status == "failed"]
    assert bad[0].error == next(o for o in threaded.outcomes if o.status == "failed").error
    assert not any(alive(pid) for pid in pids)  # closed with the refresh


async def test_a_worker_that_dies_loses_no_feed(server: FeedServer, tmp_path: Path) -> None:
    urls = [server.route(f"/f{n}", Generated(items=20, title=f"F{n}")) for n in range(3)]
    pool = WorkerPool.spawn(1)
    for worker in pool._workers:
        os.kill(worker.process.pid or 0, signal.SIGKILL)
        worker.process.join()
    summary = await refresh_feeds(
        tmp_path / "s.db", [Subscription(url=u) for u in urls], SETTINGS, workers=pool
    )
    assert (summary.new, summary.failed) == (60, 0)


CHILD = r"""
import asyncio, sys
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh import refresh_feeds
from tuinews.refresh.workers import WorkerPool

pool = WorkerPool.fork(2)
print(" ".join(str(w.process.pid) for w in pool._workers), flush=True)

def progress(done, total, outcome):
    print("progress", flush=True)

subs = [Subscription(url=u) for u in sys.argv[2:]]
asyncio.run(refresh_feeds(sys.argv[1], subs, RefreshSettings(), workers=pool, progress=progress))
"""


def test_workers_exit_when_the_refresh_is_killed(server: FeedServer, tmp_path: Path) -> None:
    slow = [
        server.route(f"/f{n}", Generated(items=200, title=f"F{n}", delay=0.05 * n))
        for n in range(40)
    ]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "k.db"), *slow],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    pids = [int(p) for p in child.stdout.readline().split()]
    assert len(pids) == 2
    assert child.stdout.readline().strip() == "progress"  # parsing is under way
    child.kill()
    child.wait()
    assert wait_gone(pids)
    # What was saved before the kill is consistent and readable.
    with Store.open(tmp_path / "k.db") as store:
        assert store.count(View()) % 200 == 0


# ---- TLS -----------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> tuple[FeedServer, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip("openssl cannot make a test certificate here")
    server = FeedServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    server.route("/feed", static(rss(3), etag='"v1"'))
    return server, cert


@pytest.fixture
def fresh_certificates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Certificates load once per process; each test here wants its own environment.
    monkeypatch.setattr(client, "_certificates_loaded", False)
    client._tls_context_shell.cache_clear()
    yield
    client._tls_context_shell.cache_clear()


def https_url(server: FeedServer) -> str:
    return f"https://127.0.0.1:{server.port}/feed"


@pytest.mark.usefixtures("fresh_certificates")
async def test_https_feed_with_a_trusted_certificate(
    tls_server: tuple[FeedServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with server:
        summary = await refresh_feeds(
            tmp_path / "t.db", [Subscription(url=https_url(server))], SETTINGS
        )
    assert (summary.new, summary.failed) == (3, 0)


@pytest.mark.usefixtures("fresh_certificates")
async def test_https_feed_with_an_untrusted_certificate(
    tls_server: tuple[FeedServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _cert = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with server:
        summary = await refresh_feeds(
            tmp_path / "t.db", [Subscription(url=https_url(server))], SETTINGS
        )
    error = summary.outcomes[0].error
    assert error == "TLS certificate not trusted (self-signed or unknown issuer)"


@pytest.mark.usefixtures("fresh_certificates")
async def test_http_feeds_never_load_the_certificates(server: FeedServer, tmp_path: Path) -> None:
    url = server.route("/feed", static(rss(2)))
    summary = await refresh_feeds(tmp_path / "h.db", [Subscription(url=url)], SETTINGS)
    await asyncio.sleep(0)
    assert summary.new == 2
    assert not client.certificates_loaded()


async def test_a_worker_dead_before_its_request_fails_quietly(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    import gc
    import logging

    from tuinews.refresh.workers import WorkerGone

    # Spawned when it cannot fork (another test left a thread running in this process).
    pool = WorkerPool.fork(1) or WorkerPool.spawn(1)
    db = tmp_path / "s.db"
    write = FeedWrite(1, datetime.now(UTC))
    try:
        worker = pool._workers[0]
        worker.process.kill()
        worker.process.join()
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for _ in range(3):
                with pytest.raises(WorkerGone):
                    await pool.save(Body(rss(300)), "http://x/feed", None, db, write)
            await asyncio.sleep(0.1)  # the result reader sees end-of-file meanwhile
            gc.collect()
        assert "never retrieved" not in caplog.text
    finally:
        pool.close()


class _DyingPool:
    """A pool whose worker dies during the request: after receiving the body (it keeps
    it) or before (it gives it back); when it `saves`, right after saving the feed,
    before saying so (killed between its commit and its answer)."""

    def __init__(self, *, received: bool, saves: bool = False) -> None:
        self.received = received
        self.saves = saves
        self.alive = True

    async def save(
        self,
        body: Body,
        url: str,
        content_type: str | None,
        path: Path,
        write: FeedWrite,
        *_: object,
    ) -> object:
        from tuinews.refresh.parsing import parse_and_prepare
        from tuinews.refresh.workers import WorkerGone

        data = body.take()
        if not self.received and data is not None:
            body.give_back(data)
        elif self.saves and data is not None:
            prepared, _cut = parse_and_prepare(data, url, content_type)
            with Store.open(path) as worker_store:
                worker_store.write_batch([dataclasses.replace(write, prepared=prepared)])
        self.alive = False
        raise WorkerGone()

    def close(self) -> None:
        pass


async def test_a_body_the_dead_worker_had_received_fails_its_feed_in_one_line(
    tmp_path: Path,
) -> None:
    from tuinews.errors import SourceError

    store, write = _store_with_feed(tmp_path / "s.db")
    with store:
        pool = _DyingPool(received=True)
        parsers = Parsers(store.path, BatchWriter(store), feeds=1, pool=pool)  # type: ignore[arg-type]
        with pytest.raises(SourceError) as raised:
            await parsers.save(Body(rss(5)), "http://x/feed", None, write)
        assert raised.value.reason == (
            "its parse worker died (out of memory or killed); the next refresh tries again"
        )
        assert store.count(View()) == 0
        # The next feed is parsed here, in a thread, and saved by this process.
        _title, stats = await parsers.save(Body(rss(5)), "http://x/feed", None, write)
        assert stats.new == 5 and store.count(View()) == 5


async def test_a_feed_saved_by_a_worker_that_died_before_saying_so_counts_as_saved(
    tmp_path: Path,
) -> None:
    """A worker killed between its commit and its answer: the feed is in the store, so
    the refresh says it was saved, with its new articles, not that it failed (the summary
    said "2 failed" for 50 feeds all stored, and the feeds showed a worker's death)."""
    store, write = _store_with_feed(tmp_path / "s.db")
    with store:
        parsers = Parsers(
            store.path, BatchWriter(store), feeds=1, pool=_DyingPool(received=True, saves=True)
        )  # type: ignore[arg-type]
        title, stats = await parsers.save(Body(rss(5, title="Saved")), "http://x/feed", None, write)
        assert (title, stats.new, store.count(View())) == ("Saved", 5, 5)


async def test_a_body_the_dead_worker_never_got_is_parsed_here(tmp_path: Path) -> None:
    store, write = _store_with_feed(tmp_path / "s.db")
    with store:
        pool = _DyingPool(received=False)
        parsers = Parsers(store.path, BatchWriter(store), feeds=1, pool=pool)  # type: ignore[arg-type]
        _title, stats = await parsers.save(Body(rss(7)), "http://x/feed", None, write)
        assert stats.new == 7 and store.count(View()) == 7


async def test_fetching_waits_while_parsing_lags_behind(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the parser is stuck, only a few bodies are fetched ahead of it (each holds
    its memory); the rest are requested once parsing moves again."""
    workers = 2  # as on a two-core machine; more cores get more workers, and more slots
    monkeypatch.setattr("tuinews.refresh.parsing.worker_count", lambda: workers)
    urls = [server.route(f"/f{n}", Generated(items=5, title=f"F{n}")) for n in range(24)]
    release = asyncio.Event()
    original = Parsers.save

    async def stuck(self: Parsers, body: Body, *args: object) -> object:
        await release.wait()
        return await original(self, body, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Parsers, "save", stuck)
    settings = RefreshSettings(timeout=5.0, connect_timeout=2.0, concurrency=16, per_host=4)
    refresh = asyncio.create_task(
        refresh_feeds(tmp_path / "s.db", [Subscription(url=u) for u in urls], settings)
    )
    await asyncio.sleep(1.0)
    fetched_ahead = sum(len(server.requests(f"/f{n}")) for n in range(24))
    release.set()
    summary = await refresh
    assert summary.new == 24 * 5 and summary.failed == 0
    # Stuck parsing holds a feed in each processing slot (two per worker and one) and
    # a parked body per worker; requests already under way when the gate closed may
    # still come in (per-host limit 4). Without the gate all 16 in flight would.
    assert fetched_ahead <= (2 * workers + 1) + workers + 4 < 16


SPAWN_UNDER_A_CAPTURED_STDERR = """
import asyncio, io, sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, {tests!r})
from feedserver import rss
from tuinews.model import Subscription
from tuinews.refresh.parsing import Parsers, Body
from tuinews.refresh.writer import BatchWriter
from tuinews.store import FeedWrite, Store, View

class Captured(io.TextIOBase):  # what Textual puts in sys.stderr while the app runs
    def write(self, text): return len(text)
    def fileno(self): return -1

sys.stderr = Captured()

async def main():
    store = Store.open(Path({db!r}))
    store.sync_feeds([Subscription(url="http://x.example/feed")])
    write = FeedWrite(store.feeds()[0].id, datetime.now(UTC), status=200)
    # Processes from the first body:
    parsers = Parsers(store.path, BatchWriter(store), feeds=1, threshold=0)
    try:
        _title, stats = await parsers.save(Body(rss(3)), "http://x.example/feed", None, write)
        print(stats.new, store.count(View()), parsers._pool is not None)
    finally:
        parsers.close()
        store.close()

if __name__ == "__main__":  # a spawned worker imports this file again
    asyncio.run(main())
"""


def test_the_reader_spawns_parse_workers_although_it_captures_stderr(tmp_path: Path) -> None:
    """In the reader, Textual replaces sys.stderr by an object without a descriptor;
    spawning the parse workers then failed ('bad value(s) in fds_to_keep') and every feed
    of a refresh past 2 MB failed with it."""
    script = tmp_path / "spawn.py"
    script.write_text(
        SPAWN_UNDER_A_CAPTURED_STDERR.format(
            tests=str(Path(__file__).parent), db=str(tmp_path / "s.db")
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # Three items, parsed and saved by a worker process:
    assert done.stdout.split() == ["3", "3", "True"]


async def test_a_worker_unpacks_a_gzip_body_only_up_to_the_size_setting(tmp_path: Path) -> None:
    import gzip

    from tuinews.errors import SourceError

    url = "http://x/feed.xml.gz"
    store, write = _store_with_feed(tmp_path / "s.db", url)
    pool = WorkerPool.spawn(1)
    try:
        body = gzip.compress(rss(300))
        with pytest.raises(SourceError, match="too large once unpacked"):
            await pool.save(Body(body), url, None, store.path, write, len(body) * 2)
        _title, stats = await pool.save(Body(body), url, None, store.path, write, None)
        assert stats.new == 300 and store.count(View()) == 300
    finally:
        pool.close()
        store.close()


async def test_a_worker_says_which_feeds_a_web_page_links_to(tmp_path: Path) -> None:
    # What lets a refresh follow a site's address to its feed (FeedLinkingPage does
    # not pickle: the worker sends its parts).
    from tuinews.errors import FeedLinkingPage

    url = "http://site.example/"
    store, write = _store_with_feed(tmp_path / "s.db", url)
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head>'
    pool = WorkerPool.spawn(1)
    try:
        with pytest.raises(FeedLinkingPage) as raised:
            await pool.save(
                Body(page + b"<body>x</body></html>"), url, "text/html", store.path, write
            )
        assert raised.value.feeds == ("http://site.example/rss",)
        assert (
            raised.value.reason
            == "not a feed: an HTML page; it links to the feed http://site.example/rss"
        )
    finally:
        pool.close()
        store.close()


async def test_a_worker_and_a_thread_both_say_where_a_document_was_cut(tmp_path: Path) -> None:
    whole = rss(4).decode()
    cut = whole[: whole.rindex("<item>") + len("<item><title>It")].encode()
    store, write = _store_with_feed(tmp_path / "s.db", "http://x/feed")
    # The server's validators are the whole document's: kept, the next refresh's 304
    # would keep the rest away until the feed changed.
    write = dataclasses.replace(write, etag='"v1"', last_modified="Sat, 28 Nov 2026 08:00:00 GMT")
    pool = WorkerPool.spawn(1)
    try:
        _title, by_worker = await pool.save(Body(cut), "http://x/feed", None, store.path, write)
        after_worker = store.feeds()[0]
        parsers = Parsers(store.path, BatchWriter(store), feeds=1, threshold=1 << 40)
        _title, by_thread = await parsers.save(Body(cut), "http://x/feed", None, write)
        after_thread = store.feeds()[0]
    finally:
        pool.close()
        store.close()
    assert by_worker.new == 3 and by_thread.new == 0  # the same three whole items
    assert by_worker.cut is not None and by_worker.cut.startswith("the document ends early")
    assert by_thread.cut == by_worker.cut
    for info in (after_worker, after_thread):
        assert (info.etag, info.last_modified) == (None, None)


async def test_a_worker_reports_the_stores_refusal_as_this_process_would(
    tmp_path: Path,
) -> None:
    """A refresh stops at the first StoreUnwritable (disk full, read-only, not a store):
    a worker's refusal must reach it as that class, with the same line."""
    from tuinews.errors import StoreError
    from tuinews.store import StoreUnwritable

    not_a_store = tmp_path / "notes.db"
    not_a_store.write_text("my notes, not a tuinews store\n" * 200, encoding="utf-8")
    with pytest.raises(StoreError) as here:
        Store.open(not_a_store)
    store, write = _store_with_feed(tmp_path / "s.db")
    pool = WorkerPool.spawn(1)
    try:
        with pytest.raises(StoreError) as there:
            await pool.save(Body(rss(2)), "http://x/feed", None, not_a_store, write)
        assert type(there.value) is type(here.value) is StoreUnwritable
        assert str(there.value) == str(here.value)
        # A feed removed from the store meanwhile is a plain StoreError: the refresh
        # goes on (and says the feed was skipped).
        gone = FeedWrite(write.feed_id + 1, write.fetched_at)
        with pytest.raises(StoreError) as missing:
            await pool.save(Body(rss(2)), "http://x/feed", None, store.path, gone)
        assert type(missing.value) is StoreError
        # The worker goes on with the next feed.
        _title, stats = await pool.save(Body(rss(2)), "http://x/feed", None, store.path, write)
        assert stats.new == 2
    finally:
        pool.close()
        store.close()


async def test_a_worker_killed_mid_write_gives_its_turn_back(tmp_path: Path) -> None:
    """A worker killed while writing (out of memory, kill -9) never releases its turn at
    the store itself: the refresh's process must, or the other worker would wait for it
    before every feed."""
    store, write = _store_with_feed(tmp_path / "s.db")
    pool = WorkerPool.spawn(2, lock_wait=600)  # a turn never given back: the test times out
    try:
        dying, _living = pool._workers
        for worker in pool._workers:
            worker.start_reading(asyncio.get_running_loop())
        assert pool.turns.lock.acquire(timeout=10)
        pool.turns.holder.value = dying.process.pid or 0  # mid-write, as the worker says
        dying.process.kill()
        for _ in range(200):
            if dying.dead:
                break
            await asyncio.sleep(0.05)
        assert dying.dead
        _title, stats = await asyncio.wait_for(
            pool.save(Body(rss(3)), "http://x/feed", None, store.path, write), timeout=60
        )
        assert stats.new == 3 and store.count(View()) == 3
        assert pool.turns.holder.value == 0
    finally:
        pool.close()
        store.close()


async def test_workers_go_on_writing_when_a_turn_never_comes(tmp_path: Path) -> None:
    """Should a worker die in the instant between taking its turn and saying so, nobody
    knows to give the turn back: the others wait once, then write without turns."""
    store, write = _store_with_feed(tmp_path / "s.db")
    pool = WorkerPool.spawn(2, lock_wait=0.2)
    try:
        assert pool.turns.lock.acquire(timeout=10)  # held, by nobody who will say so
        saved = []
        for items in (3, 4, 5, 6):  # one more item each time (the newest)
            _title, stats = await pool.save(
                Body(rss(items)), "http://x/feed", None, store.path, write
            )
            saved.append(stats.new)
        assert saved == [3, 1, 1, 1] and store.count(View()) == 6
    finally:
        pool.close()
        store.close()


async def test_a_worker_parses_on_while_another_writes(tmp_path: Path) -> None:
    """While another worker has the store, a worker parses the next body waiting for it
    instead of sitting idle: a body that is no feed is answered at once, and the feed
    parsed before it is saved as soon as the turn comes back."""
    from tuinews.errors import SourceError

    store, write = _store_with_feed(tmp_path / "s.db")
    pool = WorkerPool.spawn(1, lock_wait=600)  # a turn never given back: the test fails
    try:
        assert pool.turns.lock.acquire(timeout=10)  # another worker is writing
        feed = asyncio.ensure_future(
            pool.save(Body(rss(3)), "http://x/feed", None, store.path, write)
        )
        not_a_feed = asyncio.ensure_future(
            pool.save(Body(b"no feed here"), "http://x/other", None, store.path, write)
        )
        with pytest.raises(SourceError):
            await asyncio.wait_for(not_a_feed, timeout=30)
        assert not feed.done() and store.count(View()) == 0
        pool.turns.lock.release()
        _title, stats = await asyncio.wait_for(feed, timeout=30)
        assert stats.new == 3 and store.count(View()) == 3
    finally:
        pool.close()
        store.close()


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _refresh_process(urls: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    """The console script refreshing `urls` into tmp_path/s.db, in a session of its own,
    its output in pipes."""
    from test_cli import TUINEWS

    config = tmp_path / "feeds.toml"
    config.write_text("".join(f'[[feeds]]\nurl = "{u}"\n\n' for u in urls), encoding="utf-8")
    env = {**os.environ, "TUINEWS_CONFIG": str(config), "TUINEWS_DB": str(tmp_path / "s.db")}
    return subprocess.Popen(
        [str(TUINEWS), "refresh"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # As from a terminal: a suite run in the background (`pytest &` in a script)
        # passes SIGINT on ignored, and the refresh would rightly ignore Ctrl-C.
        preexec_fn=_sigint_as_in_a_terminal,
    )


def _children(pid: int) -> list[int]:
    listed = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(child) for child in listed.stdout.split()]


def test_ctrl_c_during_a_refresh_with_workers_says_interrupted_and_nothing_else(
    server: FeedServer, tmp_path: Path
) -> None:
    """Ctrl-C while bodies wait to be sent to busy workers: one line, status 130, no
    asyncio "Future exception was never retrieved" blocks, no process left behind."""
    urls = [
        server.route(f"/f{n}", Generated(items=200, title=f"F{n}", item_bytes=1650))
        for n in range(40)
    ]
    # Still sending when the Ctrl-C comes, however fast the others were saved.
    urls.append(server.route("/stalled", Stall(interval=0.2)))
    refresh = _refresh_process(urls, tmp_path)
    assert refresh.stdout is not None
    for _ in range(3):  # feeds are being saved, more bodies queue for the workers
        assert refresh.stdout.readline().startswith("[")
    workers = _children(refresh.pid)
    os.killpg(refresh.pid, signal.SIGINT)  # as the terminal does for Ctrl-C
    _out, err = refresh.communicate(timeout=60)
    assert (refresh.returncode, err) == (130, "tuinews: interrupted\n")
    assert wait_gone(workers)


def test_ctrl_c_in_a_pipe_still_says_why_the_feeds_shown_failed_did(
    server: FeedServer, tmp_path: Path
) -> None:
    """`[1/2] failed  …/missing` was printed, and its reason, kept for the end, never
    came: stderr said only "interrupted" (a tester's find)."""
    missing = server.route("/missing", status(404))
    refresh = _refresh_process([missing, server.route("/stalled", Stall(interval=0.2))], tmp_path)
    assert refresh.stdout is not None
    assert refresh.stdout.readline() == f"[1/2] failed  {missing}\n"
    os.killpg(refresh.pid, signal.SIGINT)
    _out, err = refresh.communicate(timeout=60)
    assert (refresh.returncode, err) == (
        130,
        f"tuinews: {missing}: HTTP 404 Not Found\ntuinews: interrupted\n",
    )


@pytest.mark.parametrize("feeds", [2, 40], ids=["spawned workers", "forked workers"])
def test_sigterm_stops_a_refresh_as_ctrl_c_does(
    server: FeedServer, tmp_path: Path, feeds: int
) -> None:
    """`timeout 10m tuinews refresh` (SIGTERM): the refresh died at once, and its parse
    workers and multiprocessing's helper printed "leaked semaphore objects" or a
    traceback on the terminal afterwards (a tester's find). It now stops as Ctrl-C
    stops it: one line, status 143, its workers gone, the store sound."""
    urls = [
        server.route(f"/f{n}", Generated(items=2000, title=f"F{n}", item_bytes=1650))
        for n in range(feeds)
    ]
    urls.append(server.route("/stalled", Stall(interval=0.2)))  # still going at the end
    refresh = _refresh_process(urls, tmp_path)
    assert refresh.stdout is not None
    assert refresh.stdout.readline().startswith("[")  # a feed saved: workers at work
    workers = _children(refresh.pid)
    # As `timeout` sends it: to the refresh, then to its whole group (a second SIGTERM
    # while it shut down printed asyncio tracebacks, and now and then it never exited).
    refresh.send_signal(signal.SIGTERM)
    os.killpg(refresh.pid, signal.SIGTERM)
    _out, err = refresh.communicate(timeout=60)
    assert (refresh.returncode, err) == (143, "tuinews: terminated\n")
    assert wait_gone(workers)
    assert_store_sound(tmp_path / "s.db")


async def test_a_feed_lost_with_its_worker_is_fetched_again_at_the_next_refresh(
    server: FeedServer, tmp_path: Path
) -> None:
    """Not the feed's fault (as far as anyone knows): it says why, without the back-off
    a failing server gets, so the next refresh saves it."""
    from tuinews.refresh.parsing import WORKER_DIED

    url = server.route("/feed", Generated(items=4, title="Lost"))
    db = tmp_path / "s.db"
    first = await refresh_feeds(
        db,
        [Subscription(url=url)],
        SETTINGS,
        workers=_DyingPool(received=True),  # type: ignore[arg-type]
    )
    assert [(o.status, o.error) for o in first.outcomes] == [("failed", WORKER_DIED)]
    second = await refresh_feeds(db, [Subscription(url=url)], SETTINGS)
    assert [(o.status, o.new) for o in second.outcomes] == [("updated", 4)]


@pytest.mark.parametrize(
    ("affinity", "cpu_max", "workers"),
    [
        (1, None, 0),  # one core: parsing in a thread beside the fetching
        (2, None, 2),
        (3, None, 3),
        (16, None, 4),  # past four they would mostly wait for their turn at the store
        (16, "150000 100000\n", 2),  # a container allowed 1.5 cores of a big machine
        (16, "50000 100000\n", 0),
        (16, "max 100000\n", 4),
        (2, "800000 100000\n", 2),  # a quota above the cores it may run on
        (8, "garbage\n", 4),
    ],
)
def test_parse_workers_follow_the_cores_a_refresh_may_use(
    affinity: int,
    cpu_max: str | None,
    workers: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tuinews.refresh import parsing

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(affinity)), raising=False)
    limits = tmp_path / "cpu.max"
    if cpu_max is not None:
        limits.write_text(cpu_max)
    monkeypatch.setattr(parsing, "CGROUP_CPU_LIMITS", str(limits))
    assert parsing.worker_count() == workers


async def test_four_workers_share_a_refresh_and_store_every_feed(
    server: FeedServer, tmp_path: Path
) -> None:
    urls = [server.route(f"/f{n}", Generated(items=40, title=f"F{n}")) for n in range(12)]
    subs = [Subscription(url=u) for u in urls]
    pool = WorkerPool.spawn(4)
    workers = list(pool._workers)
    summary = await refresh_feeds(tmp_path / "s.db", subs, SETTINGS, workers=pool)
    assert (summary.new, summary.failed) == (12 * 40, 0)
    assert len(_titles(tmp_path / "s.db")) == 12 * 40
    with Store.open(tmp_path / "s.db") as store:
        assert sorted(f.title for f in store.feeds()) == sorted(f"F{n}" for n in range(12))
    assert all(worker.used for worker in workers)  # each parsed and wrote some feeds
    assert wait_gone(worker.process.pid or 0 for worker in workers)  # closed with the refresh


async def test_a_worker_never_makes_a_store_deleted_before_it_opened_it(tmp_path: Path) -> None:
    """The store deleted after the refresh listed its feeds, before a worker opened it:
    the worker must not create a new, empty store there (every feed then failed with
    "no feed with id N", and the empty file stayed: a tester's find)."""
    from tuinews.store import StoreUnwritable

    db = tmp_path / "s.db"
    store, write = _store_with_feed(db)
    store.close()
    for leftover in tmp_path.glob("s.db*"):
        leftover.unlink()
    pool = WorkerPool.fork(1) or WorkerPool.spawn(1)
    try:
        with pytest.raises(StoreUnwritable, match="moved or deleted"):
            await pool.save(Body(rss(5)), "http://x/feed", None, db, write)
    finally:
        pool.close()
    assert not list(tmp_path.glob("s.db*"))


ENDLESS_PARSE = """
import asyncio, sys
from datetime import UTC, datetime
from pathlib import Path

import tuinews.refresh.parsing as parsing
from tuinews.errors import SourceError
from tuinews.model import Subscription
from tuinews.refresh import workers
from tuinews.refresh.parsing import Body
from tuinews.store import FeedWrite, Store, View

real_parse = parsing.parse_and_prepare

def parse_and_prepare(body, url, *args, **kwargs):
    while "endless" in url:  # a document that would never be done with
        pass
    return real_parse(body, url, *args, **kwargs)

parsing.parse_and_prepare = parse_and_prepare
workers.PARSE_CPU_LIMIT = 0.5
store = Store.open(Path(sys.argv[1]))
store.sync_feeds([Subscription(url="http://x/endless"), Subscription(url="http://x/fine")])
ids = {info.url: info.id for info in store.feeds()}
pool = workers.WorkerPool.fork(1)

async def main():
    for url in ("http://x/endless", "http://x/fine"):
        write = FeedWrite(ids[url], datetime.now(UTC), status=200)
        try:
            body = Body(sys.argv[2].encode())
            _title, stats = await pool.save(body, url, None, store.path, write)
            print(url, "saved", stats.new)
        except SourceError as error:
            print(url, "failed:", error.reason)

asyncio.run(main())
pool.close()
print("stored", store.count(View()))
"""


def test_a_feed_that_takes_too_long_to_parse_fails_and_the_worker_goes_on(
    tmp_path: Path,
) -> None:
    script = tmp_path / "endless.py"
    script.write_text(ENDLESS_PARSE, encoding="utf-8")
    # In a session of its own: should the limit fail, the endless worker goes with the
    # script rather than spin on after the test.
    child = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "s.db"), rss(3).decode()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = child.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == 0, err
    assert out.splitlines() == [
        "http://x/endless failed: not read: parsing it took over 0.5 s",
        "http://x/fine saved 3",
        "stored 3",
    ]
