"""Regression guard for big stores: the headline list draws only visible rows and asks the
store for bounded windows, whatever the number of articles (counts, not timings)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from test_ui_support import (
    BASE_DATE,
    quick_rest,  # noqa: F401  (autouse fixture)
    running,
    settle,
)
from tuinews.config import Config, UISettings
from tuinews.model import Article, Feed, Subscription
from tuinews.store import Store, View
from tuinews.ui.context import AppContext
from tuinews.ui.widgets.headline_list import HeadlineList

FEEDS = 10
PER_FEED = 10_000
TOTAL = FEEDS * PER_FEED


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list]]:
    path = tmp_path_factory.mktemp("big") / "big.db"
    subs = [Subscription(f"https://big.example/{n}/rss", f"Big {n}") for n in range(FEEDS)]
    with Store.open(path) as store:
        store.sync_feeds(subs)
        for n, sub in enumerate(subs):
            info = store.feed_by_url(sub.url)
            assert info is not None
            articles = [
                Article(
                    id=f"{n:02d}{i:014d}",
                    feed=sub.url,
                    title=f"Headline {n}-{i}",
                    guid=f"g{i}",
                    published=BASE_DATE - timedelta(minutes=i * FEEDS + n),
                )
                for i in range(PER_FEED)
            ]
            store.save_fetch(
                info.id,
                Feed(sub.url, sub.title or "", articles=articles),
                status=200,
                etag=None,
                last_modified=None,
                fetched_at=BASE_DATE,
                next_fetch=None,
            )
    yield path, subs


def _context(path: Path, subs: list[Subscription], tmp_path: Path) -> AppContext:
    return AppContext(
        config=Config(feeds=tuple(subs), ui=UISettings(mark_read="manual")),
        config_path=tmp_path / "config.toml",
        store_path=path,
        subscriptions=list(subs),
        refresh_on_start=False,
    )


def _copy(big_store: tuple[Path, list], tmp_path: Path) -> tuple[Path, list]:
    """A copy of the big store for a test that changes it."""
    source, subs = big_store
    path = tmp_path / "copy.db"
    path.write_bytes(source.read_bytes())
    return path, subs


class Calls:
    def __init__(self) -> None:
        self.headlines: list[dict[str, Any]] = []
        self.rows = 0
        self.counts = 0
        self.drawn: set[int] = set()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    seen = Calls()
    real_headlines, real_count = Store.headlines, Store.count
    real_render_row = HeadlineList.render_row

    def headlines(self: Store, view: Any, **kwargs: Any) -> Any:
        rows = real_headlines(self, view, **kwargs)
        seen.headlines.append(kwargs)
        seen.rows += len(rows)
        return rows

    def count(self: Store, view: Any) -> int:
        seen.counts += 1
        return real_count(self, view)

    def render_row(self: HeadlineList, index: int, width: int, selected: bool) -> Any:
        seen.drawn.add(index)
        return real_render_row(self, index, width, selected)

    monkeypatch.setattr(Store, "headlines", headlines)
    monkeypatch.setattr(Store, "count", count)
    monkeypatch.setattr(HeadlineList, "render_row", render_row)
    return seen


@pytest.mark.slow
async def test_big_store_first_screen_and_jumps_stay_bounded(
    big_store: tuple[Path, list], calls: Calls, tmp_path: Path
) -> None:
    path, subs = big_store
    ctx = _context(path, subs, tmp_path)
    async with running(ctx) as (app, pilot):
        headlines = app.screen.headlines
        assert headlines.row_count == TOTAL
        height = headlines.page_height
        # First screen: one window of rows, only visible rows drawn.
        assert calls.rows <= HeadlineList.WINDOW
        assert calls.drawn <= set(range(height))
        assert all(call.get("limit", 0) <= HeadlineList.WINDOW for call in calls.headlines)

        calls.drawn.clear()
        before = calls.rows
        await pilot.press("G")
        await settle(pilot)
        assert headlines.cursor == TOTAL - 1
        assert headlines.current is not None
        assert headlines.current.title == f"Headline {FEEDS - 1}-{PER_FEED - 1}"
        # A jump to the end fetches one or two windows by offset, not the rows between.
        assert calls.rows - before <= 2 * HeadlineList.WINDOW
        assert min(calls.drawn) >= TOTAL - height - 1

        # Scrolling back page by page uses keyset windows and keeps the cache bounded.
        for _ in range(30):
            await pilot.press("pageup")
        await settle(pilot)
        assert headlines.cursor == TOTAL - 1 - 30 * (height - 1)
        assert headlines.cached_rows <= 2 * HeadlineList.KEEP * HeadlineList.WINDOW + 400
        assert calls.rows <= 10 * HeadlineList.WINDOW
        assert any("before" in call or "after" in call for call in calls.headlines)
        assert calls.counts <= 3


def _title_at(index: int) -> str:
    """The title of the row at `index` of the big store's list, newest first."""
    return f"Headline {index % FEEDS}-{index // FEEDS}"


@pytest.mark.slow
async def test_recount_keeps_where_the_keys_typed_meanwhile_went(
    big_store: tuple[Path, list], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is counted again (a refresh elsewhere, the reader's first look at the
    store for one) while the user pages up through rows still on their way: the cursor
    stays where the keys put it. It went back to the first row when the selected row
    had not come yet, and undid the keys typed while the count ran."""
    path, subs = big_store
    ctx = _context(path, subs, tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        headlines = screen.headlines
        await pilot.press("G")
        await settle(pilot)
        height = headlines.page_height

        windows, recount = threading.Event(), threading.Event()
        real_headlines, real_window = Store.headlines, Store.view_window

        def headlines_on_cue(store: Store, view: Any, **kwargs: Any) -> Any:
            windows.wait(10)
            return real_headlines(store, view, **kwargs)

        def window_on_cue(store: Store, view: Any, **kwargs: Any) -> Any:
            recount.wait(10)
            return real_window(store, view, **kwargs)

        monkeypatch.setattr(Store, "headlines", headlines_on_cue)
        monkeypatch.setattr(Store, "view_window", window_on_cue)
        for _ in range(20):
            await pilot.press("pageup")
        assert headlines.current is None  # its rows are on their way
        screen.reload_view()
        await pilot.press("pageup", "k")
        recount.set()
        windows.set()
        await settle(pilot)

        expected = TOTAL - 1 - 21 * (height - 1) - 1
        assert headlines.cursor == expected
        assert headlines.current is not None
        assert headlines.current.title == _title_at(expected)


@pytest.mark.slow
async def test_selection_far_down_stays_when_new_articles_arrive(
    big_store: tuple[Path, list], tmp_path: Path
) -> None:
    """Reading near the end of a 100,000-article list while a refresh adds articles
    above: the same article stays selected, on the same screen row (it used to jump to
    the newest article once more than 10,000 rows were above it)."""
    path, subs = _copy(big_store, tmp_path)
    ctx = _context(path, subs, tmp_path)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        headlines = screen.headlines
        await pilot.press("G", "k", "k", "k")
        await settle(pilot)
        reading = headlines.current
        assert reading is not None and headlines.cursor == TOTAL - 4
        screen_row = headlines.cursor - headlines.scroll_offset.y

        # A refresh in another process (cron) saves 300 newer articles.
        with Store.open(path) as store:
            info = store.feed_by_url(subs[0].url)
            assert info is not None
            fresh = [
                Article(
                    id=f"new{i:05d}",
                    feed=subs[0].url,
                    title=f"Fresh {i}",
                    guid=f"fresh{i}",
                    published=BASE_DATE + timedelta(minutes=i + 1),
                )
                for i in range(300)
            ]
            store.save_fetch(
                info.id,
                Feed(subs[0].url, "Big 0", articles=fresh),
                status=200,
                etag=None,
                last_modified=None,
                fetched_at=BASE_DATE,
                next_fetch=None,
            )
        screen.reload_view()  # what the reader does when a refresh ends
        await settle(pilot)

        assert headlines.row_count == TOTAL + 300
        assert headlines.current is not None
        assert headlines.current.title == reading.title
        assert headlines.cursor == TOTAL + 300 - 4
        assert headlines.cursor - headlines.scroll_offset.y == screen_row


@pytest.mark.slow
async def test_next_unread_finds_one_60000_read_rows_away(
    big_store: tuple[Path, list], tmp_path: Path
) -> None:
    """n and p find the nearest unread article however many read ones lie between (the
    reader used to give up after 10,000 rows and say there were none)."""
    path, subs = _copy(big_store, tmp_path)
    with Store.open(path) as store:
        everything = store.headlines(View(), limit=TOTAL)
        store.mark_read_where(View())
        far, farther = everything[60_000], everything[90_000]
        store.set_read([far.pk, farther.pk], False)
    ctx = _context(path, subs, tmp_path)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        headlines = app.screen.headlines
        await pilot.press("n")
        await settle(pilot)
        assert headlines.cursor == 60_000
        assert headlines.current is not None and headlines.current.title == far.title
        await pilot.press("n")
        await settle(pilot)
        assert headlines.cursor == 90_000
        assert headlines.current is not None and headlines.current.title == farther.title
        await pilot.press("p")
        await settle(pilot)
        assert headlines.cursor == 60_000
        await pilot.press("p")
        await settle(pilot)
        assert headlines.cursor == 60_000  # nothing unread above: it stays
        assert "No more unread articles" in str(app.screen.status.render())
