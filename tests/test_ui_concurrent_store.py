"""The reader beside another process writing the store (a cron `tuinews refresh`): the
selection stays on its article, and "mark all read" marks only what the user was shown."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from test_ui_support import (
    BASE_DATE,
    make_article,
    make_ctx,
    quick_busy_timeout,
    quick_rest,  # noqa: F401  (autouse fixture)
    running,
    save_feed,
    settle,
    store_held,
    wait_until,
)
from tuinews.config import UISettings
from tuinews.store import Store, View
from tuinews.store import articles as store_articles

URL = "https://news.example/a/rss"


def _add_newer(
    store_path: Path, count: int, *, title: str = "Fresh {n}", first: int = 1000
) -> None:
    with Store.open(store_path) as store:
        save_feed(
            store,
            URL,
            "Alpha News",
            [
                make_article(
                    URL,
                    first + n,
                    title=title.format(n=n),
                    when=BASE_DATE + timedelta(minutes=n + 1),
                )
                for n in range(count)
            ],
        )


def test_a_view_is_read_from_one_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh committing between the count, the kept article's index and the window
    used to shift the rows under the selection."""
    ctx = make_ctx(tmp_path, per_feed=20)
    with Store.open(ctx.store_path) as store:
        rows = store.headlines(View(), limit=100)
        keep = rows[10]
        real_position = store_articles.position

        def position_after_a_commit(*args: object) -> int:
            _add_newer(ctx.store_path, 30)  # another process commits right now
            return real_position(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(store_articles, "position", position_after_a_commit)
        window = store.view_window(View(), keep=keep, limit=50)
        assert window.total == 60
        assert window.rows[window.cursor - window.start].pk == keep.pk
        assert store.count(View()) == 90  # committed, seen by the next read


async def test_the_selection_stays_on_its_search_result_when_scores_move(tmp_path: Path) -> None:
    """New matching articles change every score of a search: the selected result is
    found again by itself, not by its old score."""
    extra = {
        URL: [
            make_article(URL, 500 + n, title=f"Harbour news {n}" + " harbour" * (n % 4))
            for n in range(12)
        ]
    }
    ctx = make_ctx(tmp_path, extra=extra, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"harbour", "enter")
        await settle(pilot)
        for _ in range(6):
            await pilot.press("j")
        await settle(pilot)
        chosen = screen.headlines.current
        assert chosen is not None and "Harbour" in chosen.title
        _add_newer(ctx.store_path, 40, title="harbour harbour harbour {n}")
        screen.reload_view()
        await settle(pilot)
        assert screen.headlines.current is not None
        assert screen.headlines.current.pk == chosen.pk


async def test_mark_all_read_leaves_what_arrived_after_the_list_was_shown(
    tmp_path: Path,
) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        shown = app.screen.headlines.row_count
        _add_newer(ctx.store_path, 20)  # a cron refresh, unseen by the open list
        await pilot.press("A")
        await settle(pilot)
        assert f"Marked {shown} articles read" in str(app.screen.status.render())
        with Store.open(ctx.store_path) as store:
            assert store.count(View(unread_only=True)) == 20


async def test_the_list_catches_up_when_the_counts_say_articles_arrived(tmp_path: Path) -> None:
    """After a cron refresh, the next counts the reader reads (here after a mark) show
    more articles than the list: the list is read again, selection kept, so the header
    and the sidebar agree (the header used to stay behind until R)."""
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("j", "j")
        await settle(pilot)
        reading = screen.headlines.current
        assert reading is not None
        before = screen.headlines.row_count
        _add_newer(ctx.store_path, 20)
        await pilot.press("m")
        await settle(pilot)
        await settle(pilot)
        assert screen.headlines.row_count == before + 20
        assert "(38)" in str(screen.query_one("#list-box").border_title)
        assert screen.headlines.current is not None
        assert screen.headlines.current.pk == reading.pk


async def test_a_mark_waiting_for_a_busy_store_stays_on_its_row(tmp_path: Path) -> None:
    """Another process holds the store's write lock (a cron refresh's transaction): `m`
    changes the row at once and its save waits. A reload of the list meanwhile (a
    refresh ended, another process's articles arrived) read the row from the store, where
    the mark was not yet: the row showed unread again, and stayed so after the save
    landed, the store saying read."""
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("j")
        await settle(pilot)
        marked = screen.headlines.current
        assert marked is not None and not marked.read and not marked.starred
        with store_held(ctx.store_path):
            await pilot.press("m", "s")
            await pilot.pause(0.1)
            screen.reload_view()
            for _ in range(20):  # the view's read does not wait for the write lock
                await pilot.pause(0.02)
            shown = screen.headlines.row(screen.headlines.index_of(marked.pk) or 0)
            assert shown is not None and shown.pk == marked.pk
            assert shown.read and shown.starred
        await settle(pilot)
        shown = screen.headlines.current
        assert shown is not None and shown.pk == marked.pk and shown.read and shown.starred
        with Store.open(ctx.store_path) as store:
            saved = store.article(marked.pk)
            assert saved is not None and saved.read and saved.starred


async def test_marks_refused_twice_show_what_the_store_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`m m` while another process held the write lock past the busy timeout: both saves
    refused, and the second put the row back to its own "before", read, though the
    store, its first never saved either, said unread (a tester's find)."""
    quick_busy_timeout(monkeypatch, 0.3)
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        row = screen.headlines.current
        assert row is not None and not row.read
        with store_held(ctx.store_path):
            await pilot.press("m", "m")
            await settle(pilot)
            await pilot.pause(0.5)
            await settle(pilot)
        assert "Not saved" in str(screen.status.render())
        shown = screen.headlines.current
        assert shown is not None and shown.pk == row.pk and not shown.read
        with Store.open(ctx.store_path) as store:
            saved = store.article(row.pk)
            assert saved is not None and not saved.read


async def test_undo_typed_after_mark_all_read_waits_for_its_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`A u` while another process held the write lock for seconds: the keys after `A`
    waited only for the key gate's backstop, `u` said "Nothing to undo.", then `A`'s
    write landed and every article stayed read (a tester's find)."""
    from tuinews.ui import app as app_module

    monkeypatch.setattr(app_module, "KEY_GATE_BACKSTOP_S", 0.2)
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        with store_held(ctx.store_path):
            await pilot.press("A", "u")
            await pilot.pause(1.2)  # six backstops
            assert "Waiting for the store" in str(screen.status.render())
        await settle(pilot)
        await settle(pilot)
        assert "unread again" in str(screen.status.render())
        with Store.open(ctx.store_path) as store:
            assert store.count(View(unread_only=True)) == store.count(View())


async def test_a_mark_typed_after_undo_marks_the_row_undone(tmp_path: Path) -> None:
    """`A`, then `u m` in one burst: `m` ran before the undo's write and found the row
    still drawn read, so it marked it unread, and the undo then counted it "marked
    unread meanwhile": every article ended unread (a regression tester's find)."""
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("A")
        await settle(pilot)
        first = screen.headlines.current
        assert first is not None and first.read
        with store_held(ctx.store_path):  # the undo's write waits a moment
            await pilot.press("u", "m")
            await pilot.pause(0.5)
        await settle(pilot)
        await settle(pilot)
        shown = screen.headlines.current
        assert shown is not None and shown.pk == first.pk and shown.read
        with Store.open(ctx.store_path) as store:
            total = store.count(View())
            assert store.count(View(unread_only=True)) == total - 1
            saved = store.article(first.pk)
            assert saved is not None and saved.read


async def test_quitting_while_marks_wait_for_a_busy_store_says_what_was_not_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`A j m q` while another process holds the store: each write waited out the busy
    timeout in turn before the reader exited (a minute), and nothing said that `A` and
    `m` were not saved (a regression tester's find). Writes left when quitting give up
    at once, and what was not saved is kept to be printed once the terminal is back."""
    quick_busy_timeout(monkeypatch, 2.0)  # `m` waits still when `q` comes, even on a busy machine
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    with store_held(ctx.store_path):
        async with running(ctx, size=(100, 30)) as (app, pilot):
            await pilot.press("A", "j", "m", "q")
            await wait_until(pilot, lambda: not app.is_running, seconds=10)
        # `A`'s refusal is said on the status line, or kept too when the quit came first.
        busy = "(the store is busy (another tuinews is writing to it))"
        unsaved = app.unsaved_at_exit()
        # Refused at once, or never tried (its worker had not started when the app quit).
        assert unsaved[-1] in [
            f"not saved: 'Story 100 from b' marked read {busy}",
            "not saved: 'Story 100 from b' marked read (quit before it was saved)",
        ]
        assert unsaved[:-1] in ([], [f"not saved: all of All marked read {busy}"])
    with Store.open(ctx.store_path) as store:
        assert store.count(View(unread_only=True)) == store.count(View())


async def test_undo_after_a_refused_mark_all_read_leaves_the_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An `A` the busy store refused, then `u`: the undo undid the `A` before it."""
    quick_busy_timeout(monkeypatch, 0.3)
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(100, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("A")
        await settle(pilot)
        with store_held(ctx.store_path):
            await pilot.press("A")
            await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert "Nothing to undo." in str(screen.status.render())
        with Store.open(ctx.store_path) as store:
            assert store.count(View(unread_only=True)) == 0
