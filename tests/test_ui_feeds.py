"""Feeds from the UI: add (with inline errors), remove, details, refresh with a failure."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Input

from feedserver import FeedServer, Generated, rss, static, status
from store_checks import assert_store_sound
from test_ui_support import (
    make_ctx,
    quick_busy_timeout,
    quick_rest,  # noqa: F401  (autouse fixture)
    running,
    save_feed,
    settle,
    store_held,
)
from tuinews.commands.common import short_date
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh.outcome import minute_after
from tuinews.store import FeedInfo, Store, View
from tuinews.subscriptions import SubscriptionFile
from tuinews.ui.app import create_app
from tuinews.ui.rows import entry_count
from tuinews.ui.screens.add_feed import AddFeedScreen
from tuinews.ui.screens.feed_info import FeedInfoScreen, feed_details
from tuinews.ui.screens.main import MainScreen


async def wait_for_refresh(pilot, screen: MainScreen) -> None:  # type: ignore[no-untyped-def]
    for _ in range(300):
        await settle(pilot, rest=0.03)
        if not screen.refreshing:
            return
    raise AssertionError("refresh did not finish")


async def type_into_dialog(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Paste `text` into the dialog's field and press Enter (typing it key by key is slow)."""
    await pilot.pause()
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_add_feed_with_a_bad_address_shows_the_error_inline(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddFeedScreen)
        await pilot.press(*"not a feed", "enter")
        await pilot.pause()
        assert isinstance(app.screen, AddFeedScreen)  # still open, no crash
        error = app.screen.query_one("#error")
        assert error.display
        assert "not a URL or an existing path" in str(error.render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert not ctx.config_path.exists()


async def test_add_feed_saves_it_and_fetches_it(tmp_path: Path) -> None:
    with FeedServer() as server:
        url = server.route("/new.xml", static(rss(3, title="Fresh Feed")))
        ctx = make_ctx(tmp_path)
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            await pilot.press("a")
            await type_into_dialog(pilot, url)
            assert isinstance(app.screen, MainScreen)
            await wait_for_refresh(pilot, screen)
            assert [s.url for s in SubscriptionFile(ctx.config_path).load()] == [url]
            assert screen.headlines.row_count == 21
            assert any(e.label == "Fresh Feed" for e in screen.sidebar.entries)
            # Adding it twice is refused in the dialog.
            await pilot.press("a")
            await type_into_dialog(pilot, url)
            assert isinstance(app.screen, AddFeedScreen)
            assert "already" in str(app.screen.query_one("#error").render()).lower()


async def test_ephemeral_add_does_not_touch_the_config(tmp_path: Path) -> None:
    feed_file = tmp_path / "local.xml"
    feed_file.write_bytes(rss(2, title="Local Feed"))
    ctx = make_ctx(tmp_path, ephemeral=True)
    async with running(ctx) as (app, pilot):
        await pilot.press("a")
        await type_into_dialog(pilot, str(feed_file))
        await wait_for_refresh(pilot, app.screen)
        assert not ctx.config_path.exists()
        assert any(e.label == "Local Feed" for e in app.screen.sidebar.entries)


async def test_d_removes_the_selected_feed_after_confirmation(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    for sub in ctx.subscriptions:
        SubscriptionFile(ctx.config_path).add(sub)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("n")  # no: nothing happens
        await pilot.pause()
        assert len(SubscriptionFile(ctx.config_path).load()) == 3
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert [s.title for s in SubscriptionFile(ctx.config_path).load()] == [
            "Beta Daily",
            "Gamma Blog",
        ]
        assert all(e.label != "Alpha News" for e in screen.sidebar.entries)
        assert screen.headlines.row_count == 12
        # All is shown, and selected in the sidebar (not the feed after the one removed).
        assert screen.sidebar.current.kind == "all"
        with Store.open(ctx.store_path) as store:
            assert store.feed_by_url("https://news.example/a/rss") is None


async def test_removing_a_feed_keeps_its_starred_article_in_all_and_its_count(
    tmp_path: Path,
) -> None:
    ctx = make_ctx(tmp_path)
    for sub in ctx.subscriptions:
        SubscriptionFile(ctx.config_path).add(sub)
    with Store.open(ctx.store_path) as store:
        alpha = store.feed_by_url("https://news.example/a/rss")
        assert alpha is not None
        kept = store.headlines(View(feed_ids=(alpha.id,)), limit=1)[0]
        store.set_starred(kept.pk, True)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert screen.status.message == "Removed Alpha News; its starred article stays."
        assert screen.headlines.row_count == 13  # the other feeds' 12, and the starred one
        all_entry = screen.sidebar.entries[0]
        assert all_entry.kind == "all"
        assert entry_count(all_entry, screen.sidebar._rows, screen.sidebar.starred) == 13


async def test_refresh_with_a_failing_feed_marks_it_and_shows_its_error(tmp_path: Path) -> None:
    with FeedServer() as server:
        good = server.route("/good.xml", static(rss(4, title="Good Feed")))
        bad = server.route("/bad.xml", status(500))
        subs = [Subscription(good, "Good Feed"), Subscription(bad, "Bad Feed")]
        ctx = make_ctx(tmp_path, subs, build=False)
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert screen.headlines.row_count == 0
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            assert screen.headlines.row_count == 4
            assert screen.status.message == (
                "Bad Feed failed: HTTP 500 Internal Server Error; refreshed: 4 new"
            )
            bad_entry = next(e for e in screen.sidebar.entries if e.label == "Bad Feed")
            assert bad_entry.feed is not None and bad_entry.feed.last_error
            index = screen.sidebar.entries.index(bad_entry)
            row = screen.sidebar.render_row(index, 30, False).text
            assert row.startswith("!")
            await pilot.press("h")
            screen.sidebar.move_cursor(index)
            await pilot.press("i")
            await pilot.pause()
            assert isinstance(app.screen, FeedInfoScreen)
            console = Console(width=100, file=io.StringIO())
            console.print(feed_details(app.screen.feed))
            details = console.file.getvalue()
            assert "500" in details and "Failures" in details
            # At any width the address is there whole (it was cut with "…").
            narrow = Console(width=40, file=io.StringIO())
            narrow.print(feed_details(app.screen.feed))
            assert "…" not in narrow.file.getvalue()
            assert app.screen.feed.url in "".join(
                line[13:].rstrip() for line in narrow.file.getvalue().splitlines()
            )
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen


def details_text(feed: FeedInfo) -> dict[str, str]:
    """The feed details dialog's rows, name -> value, as shown now."""
    console = Console(width=200, file=io.StringIO())
    console.print(feed_details(feed))
    width = len("Last refresh ")  # the widest name, and the gap after it
    lines = console.file.getvalue().splitlines()
    return {line[:width].strip(): line[width:].strip() for line in lines if line[:1] != " "}


async def open_details(pilot, screen: MainScreen, label: str) -> FeedInfo:  # type: ignore[no-untyped-def]
    entry = next(e for e in screen.sidebar.entries if e.label == label)
    await pilot.press("h")
    screen.sidebar.move_cursor(screen.sidebar.entries.index(entry))
    await pilot.press("i")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FeedInfoScreen)
    feed: FeedInfo = pilot.app.screen.feed
    return feed


async def test_feed_details_tell_a_429s_wait_from_its_next_fetch(tmp_path: Path) -> None:
    with FeedServer() as server:
        busy = server.route("/busy.xml", status(429, headers={"Retry-After": "7200"}))
        ctx = make_ctx(tmp_path, [Subscription(busy, "Busy Feed")], build=False)
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            # Said as it fails: the time the server asked for.
            assert "server asks to retry after" in screen.status.message
            feed = await open_details(pilot, screen, "Busy Feed")
            assert feed.next_fetch is not None
            details = details_text(feed)
            # Kept and shown later: the reason, and the next fetch while it is to come.
            assert details["Error"] == "HTTP 429 Too Many Requests"
            # Up to the minute, as the refresh's "next try after" says it.
            assert details["Next fetch"] == short_date(minute_after(feed.next_fetch))


async def test_feed_details_of_an_old_failure_say_no_past_time(tmp_path: Path) -> None:
    """An error an earlier version stored with its "retry after", hours ago: the details
    say the reason, and that the next refresh fetches the feed."""
    ctx = make_ctx(tmp_path)
    now = datetime.now(UTC)
    with Store.open(ctx.store_path) as store:
        info = store.feed_by_url("https://blog.example/c/rss")
        assert info is not None
        store.record_failure(
            info.id,
            status=429,
            error="HTTP 429 Too Many Requests (server asks to retry after 17:05)",
            at=now - timedelta(hours=5),
            next_fetch=now - timedelta(hours=3),
        )
    async with running(ctx) as (app, pilot):
        details = details_text(await open_details(pilot, app.screen, "Gamma Blog"))
        assert details["Error"] == "HTTP 429 Too Many Requests"
        assert details["Next fetch"] == "next refresh"


async def test_new_articles_keep_the_selected_article_selected(tmp_path: Path) -> None:
    with FeedServer() as server:
        url = server.route("/feed.xml", static(rss(30, title="Growing", prefix="new")))
        ctx = make_ctx(tmp_path)
        ctx.subscriptions.append(Subscription(url, "Growing"))
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            await pilot.press("j", "j", "j")
            await settle(pilot)
            selected = screen.headlines.current
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            assert screen.headlines.row_count == 48
            assert screen.headlines.current.pk == selected.pk
            assert screen.reader.pk == selected.pk


async def test_keys_answer_during_a_refresh_of_100_feeds(tmp_path: Path) -> None:
    with FeedServer() as server:
        subs = [
            Subscription(
                server.route(f"/f{n}.xml", Generated(5, title=f"F{n}", delay=0.4)), f"F{n}"
            )
            for n in range(100)
        ]
        ctx = make_ctx(tmp_path)
        ctx.subscriptions.extend(subs)
        # All on one host: allow 16 at once so the test does not wait on per-host limits.
        ctx.config = dataclasses.replace(ctx.config, refresh=RefreshSettings(per_host=16))
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            await pilot.press("R")
            for _ in range(100):  # a busy machine may start the worker late
                await pilot.pause(0.05)
                if screen.refreshing:
                    break
            assert screen.refreshing
            await pilot.press("j", "j", "j")
            assert screen.refreshing  # still running, and the keys were answered
            assert screen.headlines.cursor >= 3
            assert screen.status.message.startswith("Refreshing")
            await wait_for_refresh(pilot, screen)
            assert screen.headlines.row_count == 18 + 500


async def test_r_refreshes_only_the_current_feed(tmp_path: Path) -> None:
    with FeedServer() as server:
        one = server.route("/one.xml", static(rss(2, title="One")))
        two = server.route("/two.xml", static(rss(2, title="Two")))
        ctx = make_ctx(tmp_path, [Subscription(one, "One"), Subscription(two, "Two")], build=False)
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            await pilot.press("h", "end")  # the sidebar's last feed: Two
            await pilot.press("r")
            await wait_for_refresh(pilot, screen)
            assert server.requests("/two.xml") and not server.requests("/one.xml")


async def test_refresh_on_start_only_when_the_last_refresh_is_old(tmp_path: Path) -> None:
    with FeedServer() as server:
        url = server.route("/feed.xml", static(rss(2, title="Start")))
        ctx = make_ctx(tmp_path, [Subscription(url, "Start")], refresh_on_start=None)
        # The store's last refresh is BASE_DATE (long ago): a refresh starts by itself.
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await wait_for_refresh(pilot, app.screen)
            assert len(server.requests("/feed.xml")) == 1
        # Just refreshed: the next start shows the store and fetches nothing.
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert not app.screen.refreshing
            assert len(server.requests("/feed.xml")) == 1


@contextlib.asynccontextmanager
async def _r_waiting_for_cron(tmp_path: Path) -> AsyncIterator[tuple[Any, ...]]:
    """The reader on one feed (3 items on a loopback server), its R waiting for a cron
    `tuinews refresh` that holds the refresh lock: (server, url, ctx, lock, pilot,
    screen). The caller releases the lock."""
    from tuinews.refresh.lock import RefreshLock
    from tuinews.ui.screens.main_refresh import WAITING_LINE

    with FeedServer() as server:
        url = server.route("/feed.xml", static(rss(3, title="Later")))
        ctx = make_ctx(tmp_path, [Subscription(url, "Later")], build=False)
        other = RefreshLock(ctx.store_path)
        assert other.try_acquire()
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            await pilot.press("R")
            for _ in range(100):  # not settle(): the refresh worker is waiting on purpose
                await pilot.pause(0.02)
                if screen.status.message == WAITING_LINE:
                    break
            assert screen.status.message == WAITING_LINE
            yield server, url, ctx, other, pilot, screen


async def test_refresh_waits_for_another_refresh_and_says_so(tmp_path: Path) -> None:
    async with _r_waiting_for_cron(tmp_path) as (server, _url, _ctx, other, pilot, screen):
        assert screen.refreshing and not server.requests("/feed.xml")
        other.release()
        await wait_for_refresh(pilot, screen)
        assert screen.headlines.row_count == 3
        assert screen.status.message.startswith("Refreshed Later: 3 new")  # its one feed, named


async def test_r_after_waiting_for_another_refresh_counts_what_that_one_brought(
    tmp_path: Path,
) -> None:
    """R while a cron refresh runs: it waits, then skips the feeds that refresh just
    fetched. Its line said "skipped (just fetched by the refresh that ran meanwhile)"
    and never that this refresh had brought new articles."""
    from tuinews.sources.feeds import parse_feed

    async with _r_waiting_for_cron(tmp_path) as (server, url, ctx, other, pilot, screen):
        with Store.open(ctx.store_path) as store:  # what the cron refresh saves
            articles = parse_feed(rss(3, title="Later"), url).articles
            save_feed(store, url, "Later", articles, fetched_at=datetime.now(UTC))
        other.release()
        await wait_for_refresh(pilot, screen)
        assert not server.requests("/feed.xml")  # just fetched: skipped here
        assert screen.headlines.row_count == 3
        assert "3 new articles from the refresh waited for" in screen.status.message, (
            screen.status.message
        )


async def test_a_store_that_refuses_writes_stops_the_refresh_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tuinews.store import store as store_module

    with FeedServer() as server:
        subs = [
            Subscription(server.route(f"/f{n}.xml", Generated(200, title=f"F{n}")), f"F{n}")
            for n in range(3)
        ]
        ctx = make_ctx(tmp_path, subs, build=False)
        ctx.config = dataclasses.replace(ctx.config, refresh=RefreshSettings(concurrency=1))
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            real_open = store_module.open_connection

            def open_full(
                path: Path, busy_timeout: float, *rest: object, **options: object
            ) -> sqlite3.Connection:
                # Real SQLite refusing writes: the refresh's connection may not grow the
                # file ("database or disk is full").
                conn = real_open(path, busy_timeout, *rest, **options)  # type: ignore[arg-type]
                (pages,) = conn.execute("PRAGMA page_count").fetchone()
                conn.execute(f"PRAGMA max_page_count = {pages + 4}")
                return conn

            monkeypatch.setattr(store_module, "open_connection", open_full)
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            assert app.is_running
            message = screen.status.message
            assert message.startswith("Refresh stopped: ") and "disk is full" in message
            assert screen.status.has_class("-error")


async def test_articles_of_a_refresh_are_indexed_for_search_in_the_background(
    tmp_path: Path,
) -> None:
    with FeedServer() as server:
        url = server.route("/feed.xml", static(rss(25, title="Indexed", prefix="walrus")))
        ctx = make_ctx(tmp_path, [Subscription(url, "Indexed")], build=False)
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            await app.workers.wait_for_complete()
            with sqlite3.connect(ctx.store_path) as conn:
                pending = conn.execute("SELECT count(*) FROM search_pending").fetchone()[0]
                indexed = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
            assert (pending, indexed) == (0, 25)


async def test_articles_saved_outside_the_reader_are_indexed_after_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron refresh leaves its articles for the first search: the reader indexes them
    in the background shortly after it starts, so that search need not wait."""
    ctx = make_ctx(tmp_path, [Subscription("http://a.test/feed", "A")], per_feed=12)
    with sqlite3.connect(ctx.store_path) as conn:
        assert conn.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 12
    monkeypatch.setattr(MainScreen, "index_after_start", 0.2)

    def index_counts() -> tuple[int, int]:
        with sqlite3.connect(ctx.store_path) as conn:
            pending = conn.execute("SELECT count(*) FROM search_pending").fetchone()[0]
            indexed = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
        return pending, indexed

    app = create_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        # Until the indexing has run (not a pause of a guessed length: on a busy machine
        # the timer's worker had not started when the pause ended, and none was waited for).
        for _ in range(100):
            await settle(pilot)
            if index_counts()[0] == 0:
                break
            await pilot.pause(0.05)
        assert index_counts() == (0, 12)


async def test_refresh_follows_changes_made_to_the_config_meanwhile(tmp_path: Path) -> None:
    # A `tuinews refresh` from the command line followed a move (or `tuinews remove`
    # ran) while the reader was open: the reader's next refresh must use the file as it
    # is now, not bring the old feed back.
    with FeedServer() as server:
        old = server.route("/old.xml", static(rss(3, title="Old", prefix="old")))
        new = server.route("/new.xml", static(rss(2, title="New", prefix="new")))
        ctx = make_ctx(
            tmp_path, build=False, config_text=f'[[feeds]]\nurl = "{old}"\ntitle = "Feed"\n'
        )
        ctx.subscriptions.append(Subscription(old, "Feed"))
        app = create_app(ctx)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            SubscriptionFile(ctx.config_path).replace_url(old, new)
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
        assert server.requests("/old.xml") == []
        assert len(server.requests("/new.xml")) == 1
        assert [sub.url for sub in ctx.subscriptions] == [new]
        with Store.open(ctx.store_path) as store:
            assert store.count(View()) == 2  # the new feed's; nothing of the old one


async def test_d_while_another_process_holds_the_store_says_so_and_the_reader_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's write lock held elsewhere (a cron refresh, a long `tuinews cleanup`)
    for longer than the busy timeout: the removal ran on the UI thread, froze the reader
    for the whole timeout and then ended it with a StoreError traceback, the feed gone
    from the settings file and its articles left in the store without a word."""
    quick_busy_timeout(monkeypatch, 0.2)
    ctx = make_ctx(tmp_path)
    for sub in ctx.subscriptions:
        SubscriptionFile(ctx.config_path).add(sub)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await pilot.press("d")
        await pilot.pause()
        with store_held(ctx.store_path):
            await pilot.press("y")
            await settle(pilot)
        assert app.is_running and app.return_code is None
        assert screen.status.message == (
            "Removed Alpha News from the feeds; its articles stay in the store for now "
            f"({ctx.store_path}: the store is busy (another tuinews is writing to it); "
            "try again): tuinews cleanup --unsubscribed drops them."
        )
        assert all(e.label != "Alpha News" for e in screen.sidebar.entries)


async def test_quitting_stops_the_background_indexing_between_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader indexes a big backlog (a first refresh of 100,000 articles: seconds)
    in the background. Quitting meanwhile went on with all of it after the screen was
    gone: the terminal hung, blank, without a prompt, until the last step (asyncio waits
    for its worker threads at exit). It stops after the step under way; the rest waits
    for the next search."""
    import threading
    import time

    from tuinews.store import schema

    ctx = make_ctx(tmp_path, [Subscription("http://a.test/feed", "A")], per_feed=12)
    monkeypatch.setattr(schema, "INDEX_CHUNK", 3)
    monkeypatch.setattr(MainScreen, "index_after_start", 0.1)
    started = threading.Event()
    steps: list[float] = []
    original = schema.index_pending

    def slow_step(conn: sqlite3.Connection, *, limit: int) -> int:
        steps.append(time.monotonic())
        started.set()
        time.sleep(0.3)  # 5,000 articles take about as long
        return original(conn, limit=limit)

    monkeypatch.setattr(schema, "index_pending", slow_step)
    app = create_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            if started.is_set():
                break
            await pilot.pause(0.02)
        assert started.is_set()
        await pilot.press("q")
        await pilot.pause()
        quit_at = time.monotonic()
    time.sleep(1.5)  # what was left, four steps in all, would be done by now
    assert steps
    assert [at for at in steps if at > quit_at] == []  # no step begun after quitting
    with sqlite3.connect(ctx.store_path) as conn:
        pending = conn.execute("SELECT count(*) FROM search_pending").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
    assert pending + indexed == 12 and pending > 0
    assert_store_sound(ctx.store_path)


async def test_the_readers_refresh_keeps_to_the_retention_set_since_it_started(
    tmp_path: Path,
) -> None:
    """`[retention] days` added to the settings file while the reader is open, then
    `tuinews cleanup`: the reader's R, with the retention it started with, brought every
    article the cleanup had dropped back, unread (a regression tester's find)."""
    with FeedServer() as server:
        url = server.route("/old.xml", static(rss(3, title="Old", prefix="old")))  # 2024
        feeds = f'[[feeds]]\nurl = "{url}"\ntitle = "Old"\n'
        ctx = make_ctx(tmp_path, build=False, config_text=feeds)
        ctx.subscriptions.append(Subscription(url, "Old"))
        async with running(ctx) as (app, pilot):
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            ctx.config_path.write_text("[retention]\ndays = 30\n\n" + feeds)
            with Store.open(ctx.store_path) as store:
                assert store.cleanup(days=30, per_feed=None) == 3
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
        with Store.open(ctx.store_path) as store:
            assert store.count(View()) == 0
