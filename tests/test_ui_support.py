"""Builders shared by the UI tests: a real store file and a real config in tmp_path.

Dates are fixed so that snapshots are stable; `make_ctx` never refreshes on start
unless asked.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tuinews.config import Config, UISettings
from tuinews.model import Article, Feed, Subscription, article_id, article_key
from tuinews.store import Store
from tuinews.ui.context import AppContext

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from tuinews.ui.app import NewsApp

BASE_DATE = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def make_article(
    url: str,
    number: int,
    *,
    title: str | None = None,
    when: datetime | None = None,
    body: str | None = None,
    link: str | None = None,
) -> Article:
    title = title if title is not None else f"Story {number} from {url.rsplit('/', 2)[-2]}"
    when = when or BASE_DATE - timedelta(hours=number)
    guid = f"{url}#{number}"
    return Article(
        id=article_id(url, article_key(guid, None, title, when)),
        feed=url,
        title=title,
        link=link if link is not None else f"https://example.org/{number}",
        guid=guid,
        author="A. Writer",
        published=when,
        content=body
        if body is not None
        else (
            f"<p>Paragraph one of story {number}.</p>"
            f"<p>See <a href='https://example.org/more/{number}'>more</a>.</p>"
        ),
        content_type="html",
        feed_title="",
    )


def save_feed(
    store: Store,
    url: str,
    title: str,
    articles: list[Article],
    *,
    fetched_at: datetime = BASE_DATE,
) -> None:
    """Save `articles` as a refresh of the feed at `url` (synced already) does."""
    info = store.feed_by_url(url)
    assert info is not None, f"{url} is not synced"
    store.save_fetch(
        info.id,
        Feed(url, title, articles=articles),
        status=200,
        etag=None,
        last_modified=None,
        fetched_at=fetched_at,
        next_fetch=None,
    )


def default_subs() -> list[Subscription]:
    return [
        Subscription("https://news.example/a/rss", "Alpha News", ("news",)),
        Subscription("https://news.example/b/rss", "Beta Daily", ("news",)),
        Subscription("https://blog.example/c/rss", "Gamma Blog", ()),
    ]


def build_store(
    path: Path,
    subs: list[Subscription] | None = None,
    per_feed: int = 6,
    extra: dict[str, list[Article]] | None = None,
) -> list[Subscription]:
    subs = subs if subs is not None else default_subs()
    with Store.open(path) as store:
        store.sync_feeds(subs)
        for index, sub in enumerate(subs):
            articles = [
                make_article(
                    sub.url, index * 100 + n, when=BASE_DATE - timedelta(hours=n * 3 + index)
                )
                for n in range(per_feed)
            ]
            articles += (extra or {}).get(sub.url, [])
            save_feed(store, sub.url, sub.title or sub.url, articles)
    return subs


def make_ctx(
    tmp_path: Path,
    subs: list[Subscription] | None = None,
    *,
    ui: UISettings | None = None,
    per_feed: int = 6,
    hint: str | None = None,
    ephemeral: bool = False,
    refresh_on_start: bool | None = False,
    extra: dict[str, list[Article]] | None = None,
    build: bool = True,
    config_text: str = "",
) -> AppContext:
    store_path = tmp_path / "tuinews.db"
    config_path = tmp_path / "config.toml"
    if config_text:
        config_path.write_text(config_text)
    if build:
        subs = build_store(store_path, subs, per_feed, extra)
    subs = list(subs or [])
    config = Config(feeds=tuple(subs), ui=ui or UISettings())
    return AppContext(
        config=config,
        config_path=config_path,
        store_path=store_path,
        subscriptions=subs,
        ephemeral=ephemeral,
        hint=hint,
        refresh_on_start=refresh_on_start,
    )


def test_builders_make_a_readable_store(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    with Store.open(ctx.store_path) as store:
        assert len(store.feeds()) == 3
        assert all(feed.total == 6 for feed in store.feeds())


@pytest.fixture(autouse=True)
def quick_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shorter "cursor rests" delay, so tests wait less (the behaviour is the same)."""
    from tuinews.ui.screens import main_core

    monkeypatch.setattr(main_core, "REST_DELAY", 0.01)
    # Shown beside the list, an article counts as read at once (tests of skimming set
    # their own delay).
    monkeypatch.setattr(main_core, "READ_AFTER", 0)
    # Textual (8.2) drops a one-off timer, never firing it, when more than its delay
    # passes between two clock reads in Timer._run (it "skips" the late tick): with the
    # 10 ms above, a busy machine's thread switch is enough. One-offs never skip here.
    from textual.timer import Timer

    real_init = Timer.__init__

    def init(self: Timer, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("repeat") == 0:
            kwargs["skip"] = False
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Timer, "__init__", init)


async def settle(pilot: object, rest: float = 0.03) -> None:
    """Let the cursor rest, then wait until workers and their messages are done.

    `rest` outlasts the shortened rest delays (reader 0.01 s, sidebar 0.015 s): the
    timers run on the same event loop as this pause, so they have fired when it ends."""
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.pause(rest)  # type: ignore[attr-defined]
    from textual.worker import WorkerCancelled

    for _ in range(3):
        # An exclusive worker cancelled by a newer one is normal: wait for the rest.
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]


async def wait_until(pilot: object, condition: Callable[[], bool], seconds: float = 15.0) -> None:
    """Wait until `condition` holds, settling the app in between; returns after `seconds`
    regardless, for the caller's assert to say what is wrong. What comes from outside the
    app (another process's writes, seen by a periodic check) takes as long as a loaded
    machine makes it take: a fixed number of short pauses failed on a busy CI machine."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        await settle(pilot)


def read_state(store_path: Path) -> dict[str, tuple[bool, bool]]:
    """title -> (read, starred), straight from the store file."""
    from tuinews.store import View

    with Store.open(store_path) as store:
        return {h.title: (h.read, h.starred) for h in store.headlines(View(), limit=10_000)}


@contextlib.asynccontextmanager
async def running(
    ctx: AppContext, size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple[NewsApp, Pilot[None]]]:
    """The app from `create_app(ctx)`, run headless at `size` until its first screen settled."""
    from tuinews.ui.app import create_app

    app = create_app(ctx)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield app, pilot


def searches_wait_for(
    monkeypatch: pytest.MonkeyPatch, cue: threading.Event, *, error: str | None = None
) -> None:
    """A search's results are fetched only once `cue` is set (the seconds a first search
    takes after a big refresh), then fail with a StoreError saying `error` if given."""
    from tuinews.errors import StoreError

    real_window = Store.view_window

    def window_on_cue(store: Store, view: Any, **kwargs: Any) -> Any:
        if view.search:
            cue.wait(10)
            if error is not None:
                raise StoreError(error)
        return real_window(store, view, **kwargs)

    monkeypatch.setattr(Store, "view_window", window_on_cue)


@contextlib.contextmanager
def store_held(store_path: Path) -> Iterator[None]:
    """Another process's write transaction on the store meanwhile (a cron refresh's):
    the reader's writes wait for it, up to their busy timeout."""
    import sqlite3

    other = sqlite3.connect(store_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def quick_busy_timeout(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Stores opened from now on wait `seconds` for another process's write lock."""
    real_open = Store.open.__func__  # type: ignore[attr-defined]

    def quick_open(cls: type[Store], path: Path, **kwargs: object) -> Store:
        return real_open(cls, path, **{**kwargs, "busy_timeout": seconds})  # type: ignore[no-any-return]

    monkeypatch.setattr(Store, "open", classmethod(quick_open))
