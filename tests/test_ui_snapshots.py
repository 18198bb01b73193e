"""Snapshots of the screens at 80×24 and 120×40 (fixed dates, UTC, no cursor blink).

Update with `pytest tests/test_ui_snapshots.py --snapshot-update` after a deliberate change,
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from test_ui_support import (
    BASE_DATE,
    make_article,
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    settle,
)
from tuinews.store import Store
from tuinews.ui import rows
from tuinews.ui.app import NewsApp, create_app

SIZES = [(80, 24), (120, 40)]
URL = "https://news.example/a/rss"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def this_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """The year of the fixed dates is this year: a narrow list shows other years' dates
    with their year, and the snapshots must not change on New Year's Day."""
    monkeypatch.setattr(rows, "current_year", lambda: BASE_DATE.year)


def snapshot_app(tmp_path: Path, *, failing: bool = False) -> NewsApp:
    body = (
        "<p>The <b>committee</b> met on Tuesday to discuss the <a href='https://example.org/"
        "plan'>new plan</a>.</p><ul><li>First point</li><li>Second point</li></ul>"
        "<p>Read the <a href='https://example.org/report.pdf'>full report</a>.</p>"
    )
    extra = {
        URL: [
            make_article(
                URL,
                1000,
                title="[bold]Markup-looking title[/bold] stays as typed",
                when=BASE_DATE + timedelta(hours=1),
                body=body,
            )
        ]
    }
    ctx = make_ctx(tmp_path, extra=extra, hint="Welcome: press ? for keys.")
    if failing:
        with Store.open(ctx.store_path) as store:
            info = store.feed_by_url("https://blog.example/c/rss")
            assert info is not None
            store.record_failure(
                info.id,
                status=404,
                error="HTTP 404 Not Found",
                at=BASE_DATE,
                next_fetch=BASE_DATE + timedelta(hours=2),
            )
    return create_app(ctx)


async def ready(pilot: Pilot) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(snapshot_app(tmp_path), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_reader(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def open_first(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(snapshot_app(tmp_path), terminal_size=size, run_before=open_first)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def show_help(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(snapshot_app(tmp_path), terminal_size=size, run_before=show_help)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_add_dialog_with_an_error(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def bad_add(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("a")
        await ready(pilot)
        await pilot.press(*"example.org", "enter")
        await ready(pilot)

    assert snap_compare(snapshot_app(tmp_path), terminal_size=size, run_before=bad_add)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failed_feed_and_its_details(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def details(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("b" if size[0] < 120 else "h")
        await pilot.press("end")  # the last feed: Gamma Blog, which failed
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)

    assert snap_compare(
        snapshot_app(tmp_path, failing=True), terminal_size=size, run_before=details
    )


def test_old_articles_keep_their_year(snap_compare, tmp_path: Path) -> None:
    # A narrow list: this year's dates as "Mar 14", others with their year, one width.
    old = [
        make_article(URL, 900, title="Last December", when=BASE_DATE.replace(2025, 12, 30)),
        make_article(URL, 901, title="Ancient post", when=BASE_DATE.replace(2008, 6, 6)),
    ]
    app = create_app(make_ctx(tmp_path, per_feed=2, extra={URL: old}))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_sidebar_marks_the_failed_feed(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(
        snapshot_app(tmp_path, failing=True), terminal_size=(120, 40), run_before=ready
    )
