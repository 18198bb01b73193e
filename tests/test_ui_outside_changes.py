"""The reader when things change around it: a list longer than the store after a
cleanup, refreshing a feed in back-off or a read-only store, untitled feeds' labels,
adding a feed on the sample screen."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from feedserver import FeedServer, Generated, redirect, rss, static, status
from test_ui_support import (
    BASE_DATE,
    make_article,
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    read_state,
    running,
    save_feed,
    settle,
    wait_until,
)
from tuinews.model import Subscription
from tuinews.store import Store, View
from tuinews.ui import messages


async def wait_for_refresh(pilot: Any, screen: Any) -> None:
    for _ in range(300):
        await settle(pilot)
        if not screen.refreshing:
            return
    raise AssertionError("refresh did not finish")


def list_title(app: Any) -> str:
    return str(app.screen.query_one("#list-box").border_title)


@pytest.fixture
def window_requests(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The start of every window of rows the headline list asks the screen for."""
    seen: list[int] = []
    real_init = messages.WindowWanted.__init__

    def init(self: messages.WindowWanted, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        seen.append(self.start)

    monkeypatch.setattr(messages.WindowWanted, "__init__", init)
    return seen


async def test_articles_removed_outside_reload_the_list_instead_of_asking_forever(
    tmp_path: Path, window_requests: list[int]
) -> None:
    ctx = make_ctx(tmp_path, per_feed=300)
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        assert list_title(app) == "All (900)"
        # `tuinews remove` from another terminal (or a cleanup): 600 articles go.
        with Store.open(ctx.store_path) as store:
            for feed in store.feeds()[1:]:
                store.remove_feed(feed.id)
        await pilot.press("G")
        for _ in range(4):
            await settle(pilot)
        asked = len(window_requests)
        await pilot.pause(0.2)
        await settle(pilot)
        assert len(window_requests) == asked  # nothing is asked for again and again
        assert list_title(app) == "All (300)"
        headlines = screen.headlines
        assert headlines.row_count == 300
        # G ends on the last article there is, drawn (not a blank row).
        assert headlines.cursor == 299
        assert headlines.current is not None
        last = headlines.current
        with Store.open(ctx.store_path) as store:
            from tuinews.store import View

            oldest = store.headlines(View(), limit=1, offset=299)[0]
        assert last.pk == oldest.pk
        assert len(screen.sidebar.entries) == 3 + 2  # All/Unread/Starred, tag, one feed


async def test_R_says_why_a_failing_feed_was_skipped_and_r_fetches_it_now(
    tmp_path: Path,
) -> None:
    with FeedServer() as server:
        url = server.route("/grow.xml", status(500))
        ctx = make_ctx(tmp_path, [Subscription(url, "Grow b")], build=False)
        async with running(ctx) as (app, pilot):
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            # One feed failed: it is named, with the reason (it used to say "1 failed").
            assert screen.status.message == "Grow b failed: HTTP 500 Internal Server Error"
            # The server is back, but the feed waits (back-off): R respects that, and says so.
            server.route("/grow.xml", static(rss(3, title="Grow b")))
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            assert len(server.requests("/grow.xml")) == 1
            line = screen.status.message
            assert line.startswith("Grow b: skipped, next try after "), line
            assert "(last error: " in line and "500" in line
            # r on the feed is an explicit request: fetched now.
            await pilot.press("h", "end", "r")
            await wait_for_refresh(pilot, screen)
            assert len(server.requests("/grow.xml")) == 2
            assert screen.status.message == "Refreshed Grow b: 3 new"  # which feed r fetched
            assert screen.headlines.row_count == 3
            assert not any(entry.feed and entry.feed.failures for entry in screen.sidebar.entries)


async def test_R_counts_several_skipped_feeds_and_names_the_key_that_forces(
    tmp_path: Path,
) -> None:
    with FeedServer() as server:
        subs = [Subscription(server.route(f"/f{n}.xml", status(503)), f"F{n}") for n in range(3)]
        ctx = make_ctx(tmp_path, subs, build=False)
        async with running(ctx) as (app, pilot):
            screen = app.screen
            for _ in range(2):
                await pilot.press("R")
                await wait_for_refresh(pilot, screen)
            assert screen.status.message == (
                "Refreshed: 3 skipped (failing, retried later; r retries one now)"
            )


async def test_untitled_feeds_on_one_host_read_differently_in_the_sidebar(
    tmp_path: Path,
) -> None:
    base = "http://127.0.0.1:8771"
    subs = [
        Subscription(f"{base}/fail500.xml"),
        Subscription(f"{base}/gone410.xml"),
        Subscription("https://user:secret@example.org/blog/2024/feed.xml"),
        Subscription("https://example.org/[b]not markup[/b]/x.xml"),
    ]
    ctx = make_ctx(tmp_path, subs, build=False)
    async with running(ctx, size=(120, 30)) as (app, _pilot):
        sidebar = app.screen.sidebar
        width = sidebar.scrollable_content_region.width
        feeds = [i for i, entry in enumerate(sidebar.entries) if entry.kind == "feed"]
        rows = [sidebar.render_row(i, width, False).text for i in feeds]
        assert all(len(row) == width for row in rows)  # fitted to the sidebar
        # The host is cut first: the end, which tells feeds on one host apart, stays.
        assert rows[0].strip() == "127.0.0.1:87…/fail500.xml"
        assert rows[1].strip() == "127.0.0.1:87…/gone410.xml"
        assert rows[2].strip() == "example.org/…/feed.xml"  # no credentials shown
        assert rows[3].strip().endswith("…/x.xml")
        # Whole when there is room; shown as typed, never as markup.
        wide = [sidebar.render_row(i, 60, False).text.strip() for i in feeds]
        assert wide[0] == "127.0.0.1:8771/fail500.xml"
        assert wide[2] == "example.org/blog/2024/feed.xml"
        assert wide[3] == "example.org/[b]not markup[/b]/x.xml"
        narrow = [sidebar.render_row(i, 16, False).text.strip() for i in feeds[:2]]
        assert narrow == ["…/fail500.xml", "…/gone410.xml"]


async def test_feeds_of_one_title_read_differently_in_the_sidebar(tmp_path: Path) -> None:
    """A site's Atom and JSON feeds, both titled by the site: two identical rows."""
    subs = [
        Subscription("https://daring.example/index.atom", "Daring Fireball"),
        Subscription("https://daring.example/feeds/json", "Daring Fireball"),
        Subscription("https://other.example/rss", "Other"),
        # One host, one end: told apart where their paths part (a regression tester's).
        Subscription("https://blog.example/category/alpha-news/feed/", "Blog"),
        Subscription("https://blog.example/category/beta-news/feed/", "Blog"),
        # Only the scheme differs: the whole address (a second regression tester's).
        Subscription("http://same.example/feed", "Same"),
        Subscription("https://same.example/feed", "Same"),
    ]
    ctx = make_ctx(tmp_path, subs, build=False)
    async with running(ctx, size=(120, 30)) as (app, _pilot):
        sidebar = app.screen.sidebar
        feeds = [i for i, entry in enumerate(sidebar.entries) if entry.kind == "feed"]
        wide = [sidebar.render_row(i, 60, False).text.strip() for i in feeds]
        assert wide == [
            "Daring Fireball (daring.example/index.atom)",
            "Daring Fireball (daring.example/feeds/json)",
            "Other",
            "Blog (blog.example/category/alpha-news/feed)",
            "Blog (blog.example/category/beta-news/feed)",
            "Same (http://same.example/feed)",
            "Same (https://same.example/feed)",
        ]
        width = sidebar.scrollable_content_region.width
        rows = [sidebar.render_row(i, width, False).text.strip() for i in feeds]
        assert rows[0].endswith("/index.atom)") and rows[1].endswith("/json)"), rows
        assert rows[3].startswith("Blog (…/alpha-news") and rows[4].startswith("Blog (…/beta-"), (
            rows
        )
        assert len(set(rows)) == len(rows)


def samples_ctx() -> Any:
    """The first-run context `tuinews` builds with no subscriptions (XDG dirs in tmp)."""
    import argparse

    from tuinews.commands.launch import _samples_context
    from tuinews.config import Config

    return _samples_context(argparse.Namespace(), Config())


def store_counts(path: Path) -> tuple[set[str], int]:
    from tuinews.store import View

    with Store.open(path) as store:
        return {feed.url for feed in store.feeds()}, store.count(View())


async def wait_for_reopen(pilot: Any, app: Any) -> None:
    for _ in range(400):
        if app.reopen_saying is not None:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"still on the samples: {app.screen.status.message}")


async def test_a_on_the_sample_screen_subscribes_for_real_and_leaves_the_samples(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input

    from tuinews import paths
    from tuinews.subscriptions import SubscriptionFile
    from tuinews.ui.screens.add_feed import AddFeedScreen

    ctx = await asyncio.to_thread(samples_ctx)
    sample_feeds, sample_articles = store_counts(ctx.store_path)
    with FeedServer() as server:
        url = server.route("/mine.xml", static(rss(4, title="My Own Feed")))
        async with running(ctx, size=(80, 24)) as (app, pilot):
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, AddFeedScreen)
            note = str(app.screen.query_one(".dialog-note").render())
            assert "Saved to your subscriptions in" in note and "session only" not in note
            app.screen.query_one(Input).value = url
            await pilot.press("enter")
            await wait_for_reopen(pilot, app)
            # The reader ends, to open again on the user's feeds (`run_tui` does), saying
            # so; it used to ask for a restart. The samples are left as they were.
            assert app.reopen_saying == "Subscribed to My Own Feed: 4 articles."
            assert store_counts(ctx.store_path) == (sample_feeds, sample_articles)
    # Written as `tuinews add` writes it, and fetched into the user's own store.
    assert [sub.url for sub in SubscriptionFile(paths.config_file()).load()] == [url]
    assert store_counts(paths.db_file()) == ({url}, 4)


async def test_a_with_a_sites_address_subscribes_to_the_feed_it_links_to(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input

    from tuinews import paths
    from tuinews.subscriptions import SubscriptionFile

    ctx = await asyncio.to_thread(samples_ctx)
    with FeedServer() as server:
        feed = server.route("/feed.xml", static(rss(2, title="Site Feed")))
        page = b'<html><head><link rel="alternate" type="application/atom+xml" href="feed.xml">'
        site = server.route(
            "/", static(page + b"</head><body>Hi</body></html>", content_type="text/html")
        )
        async with running(ctx, size=(80, 24)) as (app, pilot):
            await pilot.press("a")
            await pilot.pause()
            app.screen.query_one(Input).value = site
            await pilot.press("enter")
            await wait_for_reopen(pilot, app)
            assert app.reopen_saying == "Subscribed to Site Feed: 2 articles."
    # The subscriptions name the feed as the store does: the next start reads it.
    assert [sub.url for sub in SubscriptionFile(paths.config_file()).load()] == [feed]
    assert store_counts(paths.db_file()) == ({feed}, 2)


async def test_the_first_run_hint_fits_80_columns(tmp_path: Path) -> None:
    ctx = await asyncio.to_thread(samples_ctx)
    async with running(ctx, size=(80, 24)) as (app, _pilot):
        status = app.screen.status
        assert status.message == ctx.hint
        shown = "".join(seg.text for seg in status.render_line(0)).strip()
        assert shown == ctx.hint  # whole, not cut with "…"
        assert "Press a to add" in shown


async def test_untitled_feeds_in_the_headline_list_read_as_their_address(
    tmp_path: Path,
) -> None:
    """The headlines' feed column names an untitled feed (the store names it by its URL)
    as the sidebar does: the end of its path kept, no scheme, no credentials, no markup."""
    base = "http://127.0.0.1:8771"
    subs = [
        Subscription(f"{base}/news/alpha.xml"),
        Subscription(f"{base}/news/beta.xml"),
        Subscription("https://user:secret@example.org/blog/feed.xml"),
        Subscription("https://example.org/[b]x[/b]/b.xml", "https://[b]titled[/b]"),
    ]
    ctx = make_ctx(tmp_path, subs, per_feed=1)
    async with running(ctx, size=(150, 30)) as (app, _pilot):
        headlines = app.screen.headlines
        columns = []
        for index in range(headlines.row_count):
            row = headlines.row(index)
            assert row is not None
            text = headlines.row_text(row, 117).plain
            assert "secret" not in text and "http://" not in text
            columns.append(text[14:32])  # the feed column (wide layout: 18 cells)
        assert sorted(columns) == [
            "127.0.0.…/beta.xml",  # the host is cut first: the end tells them apart
            "127.0.0…/alpha.xml",
            "example.…/feed.xml",  # no credentials
            "https://[b]titled…",  # a title (not an address): as typed, cut at its end
        ]


@pytest.mark.parametrize(
    ("url", "width", "label"),
    [
        ("https://example.org/feed/", 40, "example.org/feed"),
        ("https://example.org/a/b/feed.xml?page=2", 40, "example.org/a/b/feed.xml?page=2"),
        ("https://example.org/a/b/feed.xml?page=2", 29, "example.org/…/feed.xml?page=2"),
        ("https://example.org/a/b/feed.xml?page=2", 25, "example.…/feed.xml?page=2"),
        ("https://example.org/", 5, "exam…"),
        ("HTTPS://u:p@Example.org/x.xml", 40, "Example.org/x.xml"),
        ("ftp://u:p@files.example/x.xml", 40, "ftp://files.example/x.xml"),
        ("http://u:p@[::1/x.xml", 40, "http://[::1/x.xml"),  # not a valid URL: still hidden
        ("/home/me/feeds/news.xml", 12, "…ds/news.xml"),
        ("https://例え.jp/フィード/ニュース.xml", 14, "…/ニュース.xml"),  # cells, not characters
        ("https://example.org/x.xml", 0, ""),
    ],
)
def test_an_address_label_fits_its_cells_and_hides_credentials(
    url: str, width: int, label: str
) -> None:
    from rich.cells import cell_len

    from tuinews.ui.rows import address_label

    assert address_label(url, width) == label
    assert cell_len(label) <= width


async def test_a_lone_failure_is_named_after_the_other_counts(tmp_path: Path) -> None:
    with FeedServer() as server:
        subs = [
            Subscription(server.route("/ok.xml", static(rss(3, title="Fine"))), "Fine"),
            Subscription(server.route("/bad.xml", status(500)), "Grow b"),
        ]
        ctx = make_ctx(tmp_path, subs, build=False)
        async with running(ctx) as (app, pilot):
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            assert screen.status.message == (
                "Grow b failed: HTTP 500 Internal Server Error; refreshed: 3 new"
            )


async def test_several_failures_are_named_first_and_fit_80_columns(tmp_path: Path) -> None:
    # The status line is cut at the screen's width: the failures, which the user may
    # have to act on, come before the counts.
    with FeedServer() as server:
        subs = [Subscription(server.route("/ok.xml", Generated(items=3)), "Fine")]
        subs += [Subscription(server.route(f"/f{n}.xml", status(503)), f"F{n}") for n in range(3)]
        ctx = make_ctx(tmp_path, subs, build=False)
        async with running(ctx, size=(80, 24)) as (app, pilot):
            await pilot.press("R")
            await wait_for_refresh(pilot, app.screen)
            line = app.screen.status
            assert line.message.startswith("3 failed: F")
            assert line.message.endswith("and 1 more (i says why); refreshed: 3 new")
            assert line.has_class("-error")


async def test_a_stalled_refresh_names_the_feed_it_waits_for(tmp_path: Path) -> None:
    from tuinews.refresh.awaited import STALLED_AFTER_S

    with FeedServer() as server:
        subs = [
            Subscription(server.route("/quick.xml", Generated(items=2)), "Quick"),
            Subscription(
                server.route("/slow.xml", Generated(items=2, delay=STALLED_AFTER_S + 2)), "Slow"
            ),
        ]
        ctx = make_ctx(tmp_path, subs, build=False)
        async with running(ctx, size=(80, 24)) as (app, pilot):
            screen = app.screen
            await pilot.press("R")
            said = []
            for _ in range(200):
                await asyncio.sleep(0.05)
                said.append(screen.status.message)
                if not screen.refreshing:
                    break
            assert any(re.fullmatch(r"Refreshing 1/2: waiting for Slow \(\d s\)", m) for m in said)
            assert screen.status.message == "Refreshed: 4 new"


async def test_a_move_is_told_after_the_failures_not_instead(tmp_path: Path) -> None:
    from tuinews.subscriptions import SubscriptionFile

    with FeedServer() as server:
        server.route("/new.xml", static(rss(2, title="Moved")))
        server.route("/feed.xml", static(rss(2, title="Site Feed", prefix="s")))
        page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        moved = server.route("/old.xml", redirect(server.url("/new.xml")))
        site = server.route("/", static(page + b"</head></html>", content_type="text/html"))
        broken = server.route("/broken.xml", status(500))
        subs = [Subscription(moved, "Moved"), Subscription(site), Subscription(broken, "Broken")]
        ctx = make_ctx(tmp_path, subs, build=False)
        SubscriptionFile(ctx.config_path).add_many(subs)
        async with running(ctx, size=(80, 24)) as (app, pilot):
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            assert screen.status.message == (
                "Broken failed: HTTP 500 Internal Server Error; refreshed: 4 new; "
                f"Moved moved to {server.url('/new.xml')}; "
                f"Site Feed: the feed its page links to, {server.url('/feed.xml')}"
            )
        saved = [sub.url for sub in SubscriptionFile(ctx.config_path).load()]
        assert saved == [server.url("/new.xml"), server.url("/feed.xml"), broken]


async def test_a_start_without_a_refresh_says_which_feeds_are_failing(tmp_path: Path) -> None:
    # At 80 columns the sidebar that marks them is hidden: the status line says so.
    from datetime import UTC, datetime

    ctx = make_ctx(tmp_path)
    with Store.open(ctx.store_path) as store:
        for feed in store.feeds()[:2]:
            store.record_failure(
                feed.id,
                status=404,
                error="HTTP 404 Not Found",
                at=datetime.now(UTC),
                next_fetch=None,
            )
        names = [feed.title for feed in store.feeds()[:2]]
        # A note where errors are (a move onto another feed) is no failure: it was
        # counted as one here, while the sidebar marked nothing.
        third = store.feeds()[2]
        store.record_note(third.id, status=301, note="moved permanently to …", at=datetime.now(UTC))
    async with running(ctx, size=(80, 24)) as (app, _pilot):
        status = app.screen.status
        assert status.message == f"2 feeds failing: {names[0]}, {names[1]} (i says why)"


async def test_a_failing_feed_without_articles_says_why_where_its_list_is_empty(
    tmp_path: Path,
) -> None:
    """At 80 x 24 a failing feed with no article showed an empty box, and the hidden
    reader said "Press R to refresh", which skips a feed backing off (a tester's find)."""
    from datetime import UTC, datetime, timedelta

    ctx = make_ctx(tmp_path)
    gone = Subscription("https://gone.example/feed.xml", "Gone")
    quiet = Subscription("https://quiet.example/feed.xml", "Quiet")  # fine, never fetched
    ctx.subscriptions += [gone, quiet]
    with Store.open(ctx.store_path) as store:
        store.sync_feeds(ctx.subscriptions)
        feed = next(info for info in store.feeds() if info.url == gone.url)
        now = datetime.now(UTC)
        store.record_failure(
            feed.id,
            status=404,
            error="HTTP 404 Not Found",
            at=now,
            next_fetch=now + timedelta(hours=1),
        )
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "G", "k", "enter")
        await settle(pilot)
        line = "Nothing yet: r fetches this failing feed now (HTTP 404 Not Found)."
        assert screen.headlines.row_count == 0
        assert screen.status.message == line
        # A fine feed as empty: its own line, not the failing one's left over.
        await pilot.press("h", "G", "enter")
        await settle(pilot)
        assert screen.status.message == "No articles here yet. Press R to refresh."


async def test_the_failing_feeds_line_follows_the_feeds_fixed_outside_the_reader(
    tmp_path: Path,
) -> None:
    # A cron refresh fixes one, then the other: the line said at start stays true (it
    # still named them both), then goes.
    from datetime import UTC, datetime

    ctx = make_ctx(tmp_path)
    with Store.open(ctx.store_path) as store:
        failing = store.feeds()[:2]
        for feed in failing:
            store.record_failure(
                feed.id, status=500, error="HTTP 500", at=datetime.now(UTC), next_fetch=None
            )
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        assert screen.status.message.startswith("2 feeds failing: ")
        for n, feed in enumerate(failing):
            with Store.open(ctx.store_path) as store:
                store.record_not_modified(feed.id, fetched_at=datetime.now(UTC), next_fetch=None)
            screen.reload_feeds()  # as the reader does when the store changed outside
            await settle(pilot)
            if n == 0:
                assert screen.status.message == f"1 feed failing: {failing[1].title} (i says why)"
        assert screen.status.message == ""


async def test_a_refresh_lock_that_cannot_be_made_is_a_status_line(tmp_path: Path) -> None:
    from tuinews.refresh.lock import lock_path

    with FeedServer() as server:
        url = server.route("/feed.xml", static(rss(3, title="Feed")))
        ctx = make_ctx(tmp_path, [Subscription(url, "Feed")], build=False)
        lock_path(ctx.store_path).mkdir()  # in the way of the lock file
        async with running(ctx) as (app, pilot):
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            assert screen.status.message == (
                f"Refresh failed: {ctx.store_path}: cannot refresh: the refresh lock "
                f"{lock_path(ctx.store_path)} cannot be opened (is a directory)"
            )
            assert app.is_running
            assert server.requests("/feed.xml") == []


def test_the_status_line_counts_articles_a_refresh_rewrote() -> None:
    """A refresh that only rewrote edited articles did something: "nothing new" would
    hide it."""
    from tuinews.refresh import FeedOutcome, RefreshSummary
    from tuinews.ui.screens.main_refresh import _summary_line

    summary = RefreshSummary()
    summary.add(FeedOutcome("http://x/a", "A", "updated", new=0, updated=12))
    summary.add(FeedOutcome("http://x/b", "B", "updated", new=2, updated=1))
    assert _summary_line(summary) == "Refreshed: 2 new, 13 updated"


def test_a_long_failure_leaves_room_for_the_counts_at_80_columns() -> None:
    from tuinews.refresh import FeedOutcome, RefreshSummary
    from tuinews.ui.screens.main_refresh import _summary_line

    summary = RefreshSummary()
    summary.add(FeedOutcome("http://x/a", "A", "updated", new=3))
    summary.add(FeedOutcome("http://x/b", "B", "not_modified"))
    reason = "the document ends early at line 19 (<channel> from line 5 is never closed)"
    summary.add(FeedOutcome("http://x/r", "Reuters", "failed", error=reason))
    line = _summary_line(summary)
    # The counts used to fall off the line, after the whole reason.
    assert line.startswith("Reuters failed: the document ends early")
    assert line.endswith("…; refreshed: 3 new, 1 unchanged") and len(line) <= 78


def test_R_after_waiting_for_another_refresh_says_it_fetched_them() -> None:
    from tuinews.refresh import FeedOutcome, RefreshSummary
    from tuinews.ui.screens.main_refresh import _summary_line

    def skipped(name: str, kind: str) -> FeedOutcome:
        return FeedOutcome(f"http://x/{name}", name, "skipped", skipped_because=kind)  # type: ignore[arg-type]

    waited = RefreshSummary()
    for name in "ABC":
        waited.add(skipped(name, "other_refresh"))
    assert _summary_line(waited) == (
        "Refreshed: 3 skipped (just fetched by the refresh that ran meanwhile)"
    )
    waited.add(skipped("D", "backoff"))
    assert _summary_line(waited) == (
        "Refreshed: 4 skipped (1 failing, retried later, "
        "3 just fetched by the refresh that ran meanwhile)"
    )


async def test_a_refresh_or_marks_from_another_process_appear_in_the_open_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron `tuinews refresh` (or `mark-read` in another terminal) while the reader is
    open: its articles and marks show within seconds, the selection kept, without R."""
    from datetime import timedelta

    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        assert list_title(app) == "All (18)"
        await pilot.press("j", "j")
        await settle(pilot)
        selected = screen.headlines.current
        url = ctx.subscriptions[0].url
        with Store.open(ctx.store_path) as store:
            fresh = [
                make_article(url, 900 + n, when=BASE_DATE + timedelta(hours=n + 1))
                for n in range(2)
            ]
            existing = [
                make_article(url, n, when=BASE_DATE - timedelta(hours=n * 3)) for n in range(6)
            ]
            save_feed(store, url, "Alpha News", fresh + existing)
        await wait_until(pilot, lambda: list_title(app) == "All (20)")
        assert list_title(app) == "All (20)"
        assert screen.headlines.current is not None
        assert screen.headlines.current.pk == selected.pk  # the selection stays
        assert "2 new articles from a refresh outside the reader" in str(screen.status.render())
        # Marks made elsewhere show too.
        with Store.open(ctx.store_path) as store:
            from tuinews.store import View

            store.mark_read_where(View())
        await wait_until(
            pilot, lambda: screen.headlines.current is not None and screen.headlines.current.read
        )
        assert screen.headlines.current is not None and screen.headlines.current.read


async def test_r_on_a_feed_is_polite_conditional_get_and_the_servers_wait(
    tmp_path: Path,
) -> None:
    """`r` fetches one feed now, as `tuinews refresh FEED` does: with the validators it
    has (a 304 costs the server nothing), and not while its server asked for a pause."""
    with FeedServer() as server:
        url = server.route("/etag.xml", Generated(items=3, title="Etag"))
        busy = server.route("/busy.xml", status(429, headers={"Retry-After": "3600"}))
        subs = [Subscription(url, "Etag"), Subscription(busy, "Busy")]
        ctx = make_ctx(tmp_path, subs, build=False)
        async with running(ctx) as (app, pilot):
            screen = app.screen
            await pilot.press("R")
            await wait_for_refresh(pilot, screen)
            await pilot.press("h", "end", "k", "r")  # the sidebar's first feed: Etag
            await wait_for_refresh(pilot, screen)
            assert len(server.requests("/etag.xml")) == 2
            assert server.requests("/etag.xml")[-1].headers.get("If-None-Match") == '"v0"'
            await pilot.press("j", "r")  # Busy asked for an hour's pause
            await wait_for_refresh(pilot, screen)
            assert len(server.requests("/busy.xml")) == 1
            assert screen.status.message.startswith(
                "Busy: skipped, the server asked to wait until "
            ), screen.status.message


async def test_starring_an_article_a_cleanup_just_removed_says_so(tmp_path: Path) -> None:
    """`s` must not say "Starred." of an article `tuinews cleanup` (or `remove`) deleted
    from another terminal a moment before: the user starred it to keep it."""
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        current = screen.headlines.current
        assert current is not None
        with Store.open(ctx.store_path) as store:
            for feed in store.feeds():
                store.remove_feed(feed.id)  # nothing starred: every article goes
        await pilot.press("s")
        await settle(pilot)
        assert screen.status.message == "Not starred: a cleanup outside the reader removed it."
        with Store.open(ctx.store_path) as store:
            from tuinews.store import View

            assert store.count(View(starred_only=True)) == 0


async def test_a_feed_added_in_another_terminal_appears_in_the_sidebar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tuinews add URL` (then a cron refresh) while the reader is open: the new feed is
    listed within seconds and its articles can be chosen by feed, without R."""
    from datetime import timedelta

    from tuinews.subscriptions import SubscriptionFile
    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    config = "".join(
        f'[[feeds]]\nurl = "{sub.url}"\ntitle = "{sub.title}"\n\n'
        for sub in [Subscription("https://news.example/a/rss", "Alpha News")]
    )
    ctx = make_ctx(
        tmp_path, [Subscription("https://news.example/a/rss", "Alpha News")], config_text=config
    )
    async with running(ctx, size=(120, 40)) as (app, pilot):
        screen = app.screen
        assert all(entry.label != "Delta Post" for entry in screen.sidebar.entries)
        added = Subscription("https://delta.example/rss", "Delta Post")
        SubscriptionFile(ctx.config_path).add(added)
        with Store.open(ctx.store_path) as store:
            store.sync_feeds([*ctx.subscriptions, added])
            fresh = [make_article(added.url, 700, when=BASE_DATE + timedelta(hours=1))]
            save_feed(store, added.url, "Delta Post", fresh)
        await wait_until(
            pilot, lambda: any(entry.label == "Delta Post" for entry in screen.sidebar.entries)
        )
        assert any(entry.label == "Delta Post" for entry in screen.sidebar.entries)
        assert [sub.url for sub in ctx.subscriptions][-1] == added.url


async def test_marks_made_elsewhere_before_the_first_look_still_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tuinews mark-read --all` (or a cron refresh's last commit) in the seconds between
    the reader's first screen and its first look for outside changes: the first look
    took the store as it found it for the one already shown, and the list stayed stale
    until some later change."""
    from tuinews.store import View
    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    ctx = make_ctx(tmp_path)
    real_stamp = Store.change_stamp
    looks: list[int] = []

    def stamp_after_a_commit_elsewhere(store: Store) -> tuple[int, int]:
        if not looks:  # the first look: another process has just marked everything
            with Store.open(ctx.store_path) as other:
                other.mark_read_where(View())
        looks.append(1)
        return real_stamp(store)

    monkeypatch.setattr(Store, "change_stamp", stamp_after_a_commit_elsewhere)
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        # Several looks, not only the first: the marks shown stay shown. (Waited for:
        # the marks can show after the first look already, before a third one.)
        await wait_until(pilot, lambda: len(looks) > 2 and all(row.read for row in shown(screen)))
        assert len(looks) > 2
        assert [row.read for row in shown(screen)] == [True] * 5


def shown(screen: Any) -> list[Any]:
    rows = [screen.headlines.row(index) for index in range(5)]
    assert all(row is not None for row in rows)
    return rows


def _subscribed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, look_every: float) -> Any:
    """A store, and a settings file listing its feeds; the reader looks for changes made
    outside it every `look_every` seconds."""
    from tuinews.subscriptions import SubscriptionFile
    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", look_every)
    ctx = make_ctx(tmp_path)
    for sub in ctx.subscriptions:
        SubscriptionFile(ctx.config_path).add(sub)
    return ctx


@contextlib.asynccontextmanager
async def _showing_alpha_news(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Any, Any, Any]]:
    """The reader showing Alpha News, its feeds listed in the settings file, looking for
    changes made outside it every 50 ms: (context, app, pilot)."""
    ctx = _subscribed(tmp_path, monkeypatch, look_every=0.05)
    async with running(ctx, size=(120, 40)) as (app, pilot):
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await settle(pilot)
        assert list_title(app) == "Alpha News (6)"
        yield ctx, app, pilot


async def test_a_feed_removed_in_another_terminal_while_shown_leaves_for_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tuinews remove FEED` while the reader shows that feed: the list stayed on it, as
    "Alpha News (0)" with "No articles here yet. Press R to refresh.", which R could
    never change. It goes back to All and says why, as `d` in the reader does."""
    async with _showing_alpha_news(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        from tuinews.subscriptions import SubscriptionFile

        url = "https://news.example/a/rss"
        with Store.open(ctx.store_path) as store:  # as `tuinews remove` does
            SubscriptionFile(ctx.config_path).remove(url)
            info = store.feed_by_url(url)
            assert info is not None
            store.remove_feed(info.id)
        await wait_until(pilot, lambda: list_title(app).startswith("All"))
        assert list_title(app) == "All (12)"
        assert screen.status.message == (
            "Alpha News is no longer among your feeds (removed outside the reader); showing All."
        )
        assert screen.sidebar.current.kind == "all"  # not the feed after it


async def test_an_article_read_while_its_feed_is_removed_elsewhere_marks_no_other_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: the list went back to All with its cursor on another feed's
    article, which the reader then showed and marked read as if the user had opened it."""
    from tuinews.subscriptions import SubscriptionFile
    from tuinews.ui.screens import main_core

    monkeypatch.setattr(main_core, "READ_AFTER", 0.05)
    async with _showing_alpha_news(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        await pilot.press("l", "enter")  # the list, then the first article, opened
        await settle(pilot)
        url = "https://news.example/a/rss"
        with Store.open(ctx.store_path) as store:  # as `tuinews remove` does
            unread_before = store.count(View(unread_only=True))
            SubscriptionFile(ctx.config_path).remove(url)
            info = store.feed_by_url(url)
            assert info is not None
            store.remove_feed(info.id)
            left = store.count(View(unread_only=True))
        await wait_until(pilot, lambda: list_title(app).startswith("All"))
        assert list_title(app).startswith("All")
        await pilot.pause(0.3)  # well past READ_AFTER
        await settle(pilot)
        with Store.open(ctx.store_path) as store:
            assert store.count(View(unread_only=True)) == left < unread_before
        assert screen.headlines.current is not None and not screen.headlines.current.read


async def test_the_article_read_full_screen_removed_elsewhere_goes_back_to_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: at 80 x 24 the reader fills the screen; when `tuinews cleanup`
    removed the article in it, the reader showed the next one with nothing said, and `s`
    then unstarred that one, unseen. The list comes back, and the line says why."""
    ctx = _subscribed(tmp_path, monkeypatch, look_every=0.05)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("enter")
        await settle(pilot)
        assert screen.narrow_pane == "reader"
        reading = screen.reader.pk
        assert reading is not None
        with Store.open(ctx.store_path) as store:  # its feed goes, and the article with it
            shown = store.article(reading)
            assert shown is not None
            info = store.feed_by_url(shown.article.feed)
            assert info is not None
            store.remove_feed(info.id)
        await wait_until(pilot, lambda: screen.narrow_pane == "list")
        assert screen.narrow_pane == "list"
        assert screen.status.message == (
            "The article you were reading was removed outside the reader."
        )
        current = screen.headlines.current
        assert current is not None and current.pk != reading and not current.read
        await pilot.pause(0.3)
        await settle(pilot)
        assert screen.narrow_pane == "list"  # not opened, nor marked read, by itself
        with Store.open(ctx.store_path) as store:
            row = store.article(current.pk)
            assert row is not None and not row.read


async def _reading_full_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> contextlib.AbstractAsyncContextManager[Any]:
    """The reader at 80 x 24 with its first article open full screen, no look outside
    on its own (the tests reload when they choose): (context, app, pilot)."""
    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 1000.0)
    ctx = make_ctx(tmp_path)

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[tuple[Any, Any, Any]]:
        async with running(ctx, size=(80, 24)) as (app, pilot):
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen.narrow_pane == "reader"
            yield ctx, app, pilot

    return session()


def _remove_feed_of(ctx: Any, pk: int) -> None:
    with Store.open(ctx.store_path) as store:
        shown = store.article(pk)
        assert shown is not None
        info = store.feed_by_url(shown.article.feed)
        assert info is not None
        store.remove_feed(info.id)


async def _removed_while_read(ctx: Any, pilot: Any, pk: int) -> None:
    """Article `pk`, full screen, removed with its feed and the removal looked for: the
    list comes back, and the status line says why."""
    _remove_feed_of(ctx, pk)
    screen = pilot.app.screen
    screen.reload_view(outside=True)
    await settle(pilot)
    assert screen.narrow_pane == "list"
    assert screen.status.message == "The article you were reading was removed outside the reader."


async def test_the_article_read_gone_when_any_reload_comes_is_no_choice_of_the_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: removed while the reader's own refresh ran, the article gave
    way, at the refresh's end, to the next one, shown full screen and marked read. Not
    only a look outside finds it gone: a refresh's end, an undo, reload the list too."""
    async with await _reading_full_screen(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        reading = screen.reader.pk
        assert reading is not None
        _remove_feed_of(ctx, reading)
        screen.reload_view()  # as a refresh's end does: not flagged as from outside
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert screen.narrow_pane == "list"
        assert screen.status.message == (
            "The article you were reading was removed outside the reader."
        )
        current = screen.headlines.current
        assert current is not None and not current.read
        assert read_state(ctx.store_path)[current.title] == (False, False)


async def test_an_article_opened_as_an_outside_reload_comes_is_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: Enter on an article while a reload from outside was under way
    (another shell's mark-read) showed it unread: the reload took the cursor's article,
    not yet the reader's, for one it had put there."""
    import time

    from tuinews.ui import rendering

    async with await _reading_full_screen(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        real = rendering.render_to_strips

        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(0.3)  # a big article: the reload is read before it shows
            return real(*args, **kwargs)

        monkeypatch.setattr(rendering, "render_to_strips", slow)
        await pilot.press("escape", "j", "enter")  # the second article, opening
        screen.reload_view(outside=True)
        await settle(pilot)
        current = screen.headlines.current
        assert current is not None and screen.reader.pk == current.pk
        assert read_state(ctx.store_path)[current.title][0]


async def test_a_removal_said_once_does_not_silence_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: once a feed's removal was said, a later article read and removed
    went with nothing said: the article whose removal had been said stayed remembered."""
    async with await _reading_full_screen(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        first = screen.reader.pk
        assert first is not None
        screen.reload_view(said_of=first)  # as `d` does, with nothing gone yet
        await settle(pilot)
        await pilot.press("escape", "j", "enter")  # the next article, read
        await settle(pilot)
        reading = screen.reader.pk
        assert reading is not None and reading != first
        await _removed_while_read(ctx, pilot, reading)


async def test_a_searchs_only_hit_removed_while_read_says_so_not_only_nothing_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: at 80 x 24, "Nothing matches" was said after the line saying the
    article read was removed, and replaced it."""
    from textual.widgets import Input

    from test_ui_support import default_subs
    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 1000.0)
    url = default_subs()[0].url
    only = make_article(url, 900, title="Zeppelin over the bay")
    ctx = make_ctx(tmp_path, extra={url: [only]})
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("slash")
        await settle(pilot)
        box = app.screen.focused
        assert isinstance(box, Input)
        box.value = "zeppelin"
        await pilot.press("enter")
        await settle(pilot)
        assert list_title(app).endswith("(1)")
        await pilot.press("enter")  # read it, full screen
        await settle(pilot)
        reading = screen.reader.pk
        assert reading is not None and screen.narrow_pane == "reader"
        await _removed_while_read(ctx, pilot, reading)


def _read_count(ctx: Any) -> int:
    return sum(read for read, _starred in read_state(ctx.store_path).values())


async def test_d_on_the_feed_being_read_marks_no_other_article_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: `d` `y` while reading Alpha News full screen showed All with
    another feed's article in the reader, marked read as if opened."""
    ctx = _subscribed(tmp_path, monkeypatch, look_every=1000.0)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j", "enter")  # Alpha News, its list
        await settle(pilot)
        await pilot.press("enter")  # its first article, full screen
        await settle(pilot)
        assert screen.narrow_pane == "reader"
        read_before = _read_count(ctx)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert screen.status.message.startswith("Removed Alpha News")
        assert screen.narrow_pane == "list"
        assert _read_count(ctx) == read_before - 1  # the one read went with its feed


async def test_a_removal_said_of_one_article_is_forgotten_by_the_next_reload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: a feed removed while the reader held an article of another feed
    remembered that article as told of, and its own removal later went unsaid."""
    async with await _reading_full_screen(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        reading = screen.reader.pk
        assert reading is not None
        screen.reload_view(said_of=reading)  # said of it, though it stays
        await settle(pilot)
        _remove_feed_of(ctx, reading)
        screen.reload_view(outside=True)
        await settle(pilot)
        assert screen.status.message == (
            "The article you were reading was removed outside the reader."
        )


async def test_enter_on_a_row_a_cleanup_removed_goes_back_to_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: the full-screen reader showed the article read before, then the
    one the list fell back to, with "That article is gone" said and gone."""
    async with await _reading_full_screen(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        await pilot.press("escape", "j")
        await settle(pilot)
        row = screen.headlines.current
        assert row is not None and row.pk != screen.reader.pk
        import sqlite3

        with contextlib.closing(sqlite3.connect(ctx.store_path)) as conn, conn:
            conn.execute("DELETE FROM articles WHERE pk = ?", (row.pk,))  # as a cleanup does
        read_before = _read_count(ctx)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert screen.narrow_pane == "list"
        assert screen.status.message == "That article is gone (removed by a cleanup?)"
        assert _read_count(ctx) == read_before


async def test_the_feed_shown_renamed_in_the_settings_file_is_named_anew_above_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _showing_alpha_news(tmp_path, monkeypatch) as (ctx, app, pilot):
        text = ctx.config_path.read_text()
        assert text.count('title = "Alpha News"') == 1
        ctx.config_path.write_text(text.replace('title = "Alpha News"', 'title = "Renamed"'))
        await wait_until(pilot, lambda: list_title(app).startswith("Renamed"))
        assert list_title(app) == "Renamed (6)"
        assert any(e.label == "Renamed" for e in app.screen.sidebar.entries)


async def test_a_feed_moved_by_a_refresh_elsewhere_stays_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron refresh follows the shown feed's permanent redirect: the store names it by
    its new address at once, the settings file only when that refresh ends. Meanwhile
    the reader took the feed for one removed outside it, said so, and left it for All."""
    async with _showing_alpha_news(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        with Store.open(ctx.store_path) as store:  # the refresh, part way
            info = store.feed_by_url("https://news.example/a/rss")
            assert info is not None
            store.change_feed_url(info.id, "https://news.example/a/feed")
            store.mark_read_where(View())  # a change the reader sees at its next look
        for _ in range(10):
            await pilot.pause(0.05)
            await settle(pilot)
        assert list_title(app) == "Alpha News (6)"
        assert "no longer among your feeds" not in str(screen.status.message)


async def test_the_article_being_read_is_drawn_again_when_a_refresh_elsewhere_updates_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron refresh rewrites the article open in the reader (a corrected title, a new
    paragraph): the reader shows the new text within seconds. It kept the old text, the
    list's new title above it, until another article was opened."""
    from datetime import timedelta

    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("enter")
        await settle(pilot)
        reading = screen.headlines.current
        assert reading.title == "Story 0 from a" and screen.reader.pk == reading.pk

        def reader_text() -> str:
            return "\n".join(line.text for line in screen.reader.lines)

        url = ctx.subscriptions[0].url
        with Store.open(ctx.store_path) as store:
            articles = [
                make_article(url, n, when=BASE_DATE - timedelta(hours=n * 3)) for n in range(6)
            ]
            articles[0] = make_article(
                url, 0, when=BASE_DATE, body="<p>Corrected: a second paragraph.</p>"
            )
            save_feed(store, url, "Alpha News", articles)
        await wait_until(pilot, lambda: "Corrected" in reader_text())
        assert "Corrected: a second paragraph." in reader_text()
        assert screen.reader.pk == reading.pk

        # The feed renamed by hand in the settings file: the reader names it anew.
        assert "Feed: Alpha News" in reader_text()
        ctx.config_path.write_text(
            "".join(
                f'[[feeds]]\nurl = "{sub.url}"\ntitle = "{title}"\n\n'
                for sub, title in zip(
                    ctx.subscriptions,
                    ["Renamed Alpha", *(sub.title for sub in ctx.subscriptions[1:])],
                    strict=True,
                )
            )
        )
        await wait_until(pilot, lambda: "Renamed Alpha" in reader_text())
        assert "Feed: Renamed Alpha" in reader_text()


@pytest.mark.parametrize(
    "change", ["updated elsewhere", "unread elsewhere", "undo", "read before it was opened"]
)
async def test_an_article_marked_unread_while_read_stays_unread_when_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """`m` on the article being read keeps it for later: a refresh elsewhere updating it,
    another reader marking it unread, or `A` then `u` drew it again, and the redraw
    marked it read again, the mark lost without a word (a tester's finds)."""
    from datetime import timedelta

    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    ctx = make_ctx(tmp_path)
    if change == "read before it was opened":
        with Store.open(ctx.store_path) as store:
            store.mark_read_where(View(feed_ids=(store.feeds()[0].id,)))
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("enter")
        await settle(pilot)
        reading = screen.headlines.current
        assert reading.title == "Story 0 from a"
        await wait_until(pilot, lambda: read_state(ctx.store_path)["Story 0 from a"][0])
        url = ctx.subscriptions[0].url
        if change == "read before it was opened":
            await pilot.press("m")
            await wait_until(pilot, lambda: not read_state(ctx.store_path)["Story 0 from a"][0])
            with Store.open(ctx.store_path) as store:  # another article, elsewhere
                other = store.headlines(View(feed_ids=(store.feeds()[1].id,)), limit=1)[0]
                store.set_read([other.pk], True)
            await wait_until(pilot, lambda: read_state(ctx.store_path)[other.title][0])
        elif change == "unread elsewhere":
            with Store.open(ctx.store_path) as store:
                store.set_read([reading.pk], False)
        else:
            await pilot.press("m")
            await wait_until(pilot, lambda: not read_state(ctx.store_path)["Story 0 from a"][0])
        if change == "updated elsewhere":
            with Store.open(ctx.store_path) as store:
                articles = [
                    make_article(url, n, when=BASE_DATE - timedelta(hours=n * 3)) for n in range(6)
                ]
                articles[0] = make_article(url, 0, when=BASE_DATE, body="<p>Corrected.</p>")
                save_feed(store, url, "Alpha News", articles)
            await wait_until(
                pilot, lambda: "Corrected." in "\n".join(line.text for line in screen.reader.lines)
            )
        elif change == "undo":
            await pilot.press("A")
            await wait_until(pilot, lambda: read_state(ctx.store_path)["Story 0 from a"][0])
            await pilot.press("u")
            await wait_until(pilot, lambda: not read_state(ctx.store_path)["Story 0 from a"][0])
        else:
            await wait_until(pilot, lambda: not screen.headlines.row(0).read)
        await asyncio.sleep(0.5)  # several looks outside, each drawing it again
        await settle(pilot)
        assert screen.reader.pk == reading.pk
        assert not read_state(ctx.store_path)["Story 0 from a"][0]
        assert not screen.headlines.current.read
        # Opened anew, it is read again.
        await pilot.press("escape", "j", "k", "enter")
        await wait_until(pilot, lambda: read_state(ctx.store_path)["Story 0 from a"][0])


async def test_the_broken_settings_line_goes_once_the_file_is_mended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R with a settings file broken by a hand edit says why, in one line; mended in the
    editor, the file is read again within seconds and the line goes (it stayed on,
    saying the file was broken, until the next refresh)."""
    async with _showing_alpha_news(tmp_path, monkeypatch) as (ctx, app, pilot):
        screen = app.screen
        sound = ctx.config_path.read_text()
        ctx.config_path.write_text(sound.replace('title = "Alpha News"', 'title = "Alpha'))
        await pilot.press("R")
        await wait_for_refresh(pilot, screen)
        assert screen.status.message.startswith("Refresh failed: ")
        assert "a quoted value is not closed on its line" in screen.status.message
        ctx.config_path.write_text(sound)
        await wait_until(pilot, lambda: not screen.status.message)
        assert screen.status.message == ""
        assert not screen.status.has_class("-error")


async def test_a_store_upgraded_by_a_newer_tuinews_while_open_is_said_and_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cron line run by a newer tuinews upgrades the store while the reader is open:
    the reader said nothing and went on writing stars and marks into a schema it does
    not know, which every command of this version then refused (a tester's find)."""
    import sqlite3

    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        with contextlib.closing(sqlite3.connect(ctx.store_path)) as conn:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.commit()
        line = "Store upgraded by a newer tuinews: quit and use it; marks made here are lost."
        await wait_until(pilot, lambda: screen.status.message == line)
        await pilot.press("s")
        await wait_until(
            pilot, lambda: "upgraded by a newer tuinews while open" in screen.status.message
        )
        assert screen.status.message.startswith("Not saved")
        with contextlib.closing(sqlite3.connect(ctx.store_path)) as conn:
            assert conn.execute("SELECT count(*) FROM articles WHERE starred").fetchone() == (0,)


async def test_a_settings_file_moved_away_while_open_is_said_and_not_written_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings file moved aside (a sync tool, a dotfile manager) while the reader is
    open: nothing was said, `d` answered "no feed matches" of a feed the sidebar lists,
    and `a` wrote a new file holding the added feed alone, every other feed gone from
    the sidebar (a tester's find)."""
    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    ctx = make_ctx(tmp_path)
    ctx.config_path.write_text(
        "".join(
            f'[[feeds]]\nurl = "{sub.url}"\ntitle = "{sub.title}"\n\n' for sub in ctx.subscriptions
        )
    )
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        feeds_before = len(ctx.subscriptions)
        aside = ctx.config_path.with_name("config.toml.aside")
        ctx.config_path.rename(aside)
        line = (
            f"Settings file {ctx.config_path.name} moved or deleted: put it back, "
            "or quit and restart."
        )
        await wait_until(pilot, lambda: screen.status.message == line)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is screen  # no dialog: its feed would be the file's only one
        assert screen.status.message == line
        await pilot.press("h", "j", "j", "j", "j", "d")
        await settle(pilot)
        assert app.screen is screen and screen.status.message == line
        assert not ctx.config_path.exists()
        assert len(ctx.subscriptions) == feeds_before
        aside.rename(ctx.config_path)  # put back: the line goes, `a` asks for a feed again
        await wait_until(pilot, lambda: screen.status.message != line)
        assert screen.status.message != line
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen is not screen)


async def test_a_mark_reaches_the_store_file_and_a_moved_store_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: the reader's marks stayed in the -wal file for as long as it was
    open, so a copy (a backup) or a move of the store file lost them, without a word."""
    import shutil
    import sqlite3

    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(120, 40)) as (app, pilot):
        screen = app.screen
        await pilot.press("s")
        await settle(pilot)
        copy = tmp_path / "backup.db"
        shutil.copyfile(ctx.store_path, copy)  # the store file alone, as `cp` takes it
        with contextlib.closing(sqlite3.connect(copy)) as conn:
            assert conn.execute("SELECT count(*) FROM articles WHERE starred").fetchone() == (1,)
        ctx.store_path.rename(tmp_path / "renamed.db")
        await wait_until(pilot, lambda: "moved or deleted" in screen.status.message)
        line = "Store moved or deleted: marks are not saved; quit and start tuinews again."
        assert screen.status.message == line and len(line) < 80
        # Put back, writes go on, and the line goes (a regression tester's find).
        (tmp_path / "renamed.db").rename(ctx.store_path)
        await wait_until(pilot, lambda: screen.status.message != line)
        await pilot.press("s")
        await settle(pilot)
        assert screen.status.message == "Unstarred."


async def test_a_store_deleted_while_open_is_said_and_never_made_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: the search index, opening the store by its path 3 s after
    start, created an empty store there and deleted the -wal the reader still used; the
    reader then died with a traceback ("database disk image is malformed"), and the
    next start showed an empty store. Marks made after the line were said saved."""
    from tuinews.ui.screens.main import MainScreen
    from tuinews.ui.screens.main_refresh import RefreshingScreen

    monkeypatch.setattr(RefreshingScreen, "outside_check_seconds", 0.05)
    monkeypatch.setattr(MainScreen, "index_after_start", 0.5)
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(120, 40)) as (app, pilot):
        screen = app.screen
        ctx.store_path.unlink()
        await wait_until(pilot, lambda: "moved or deleted" in screen.status.message)
        await pilot.pause(1.0)  # past index_after_start
        await pilot.press("s")
        await settle(pilot)
        # The reader's own store unnamed: at 80 columns its path hid the reason.
        assert screen.status.message == (
            "Not saved: the store file was moved or deleted while open: not written"
        )
        await pilot.press("R")
        await settle(pilot)
        assert screen.status.message.startswith("Store moved or deleted: marks are not saved")
        assert not screen.refreshing
        await pilot.press("j")
        await settle(pilot)
        assert app.is_running
    assert not ctx.store_path.exists()
