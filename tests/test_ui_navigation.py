"""Moving around: cursor keys, panes, first/last, pages, the sidebar, narrow mode."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from test_ui_support import (
    BASE_DATE,
    make_article,
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    running,
    settle,
)
from tuinews.ui import rows
from tuinews.ui.app import create_app
from tuinews.ui.screens.main import MainScreen


def main(app) -> MainScreen:  # type: ignore[no-untyped-def]
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_first_screen_shows_newest_headlines_and_hint(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, hint="No subscriptions yet: showing the sample feeds.")
    async with running(ctx) as (app, _pilot):
        screen = main(app)
        assert screen.headlines.row_count == 18
        first = screen.headlines.current
        assert first is not None and first.title == "Story 0 from a"
        assert screen.status.message.startswith("No subscriptions yet")
        # The first article is previewed but not marked read without a user action.
        assert screen.reader.pk == first.pk
        assert not first.read
        assert [e.label for e in screen.sidebar.entries][:4] == ["All", "Unread", "Starred", "news"]


async def test_j_k_g_G_and_pages_move_the_cursor(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path, per_feed=30))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        headlines = main(app).headlines
        await pilot.press("j", "j", "down")
        assert headlines.cursor == 3
        await pilot.press("k", "up")
        assert headlines.cursor == 1
        await pilot.press("G")
        assert headlines.cursor == 89
        await pilot.press("g")
        assert headlines.cursor == 0
        await pilot.press("end")
        assert headlines.cursor == 89
        await pilot.press("home", "pagedown")
        assert headlines.cursor == headlines.page_height - 1
        await pilot.press("pageup")
        assert headlines.cursor == 0


async def test_reader_follows_the_cursor_when_it_rests(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(app)
        await pilot.press("j", "j", "j")
        await settle(pilot)
        current = screen.headlines.current
        assert current is not None and screen.reader.pk == current.pk
        text = "\n".join(line.text for line in screen.reader.lines)
        assert current.title in text
        assert "[1] https://example.org/more/" in text


async def test_tab_h_l_move_between_panes_and_sidebar_selects_a_feed(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(app)
        assert screen.focused_pane == "list"
        await pilot.press("tab")
        assert screen.focused_pane == "reader"
        await pilot.press("tab")
        assert screen.focused_pane == "sidebar"
        await pilot.press("shift+tab")
        assert screen.focused_pane == "reader"
        await pilot.press("h", "h")
        assert screen.focused_pane == "sidebar"
        # Down to "Beta Daily" (All, Unread, Starred, news, Alpha, Beta).
        await pilot.press("j", "j", "j", "j", "j")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused_pane == "list"
        assert screen.headlines.row_count == 6
        assert {screen.headlines.row(i).feed_title for i in range(6)} == {"Beta Daily"}
        await pilot.press("l")
        assert screen.focused_pane == "reader"


async def test_narrow_terminal_shows_one_pane_at_a_time(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main(app)
        assert screen.layout_mode == "narrow"
        list_box, reader_box = screen.query_one("#list-box"), screen.query_one("#reader-box")
        assert list_box.display and not reader_box.display
        await pilot.press("enter")
        await settle(pilot)
        assert reader_box.display and not list_box.display
        assert screen.focused_pane == "reader"
        await pilot.press("escape")
        assert list_box.display and not reader_box.display
        await pilot.press("enter")
        await pilot.press("q")  # q goes back first...
        assert list_box.display
        await pilot.press("b")
        assert screen.sidebar.display and not list_box.display
        await pilot.press("b")
        assert list_box.display


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_q_from_a_feeds_list_goes_back_to_the_feeds_then_quits(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    # As newsboat's q: article list -> feed list -> quit. It quit from a feed's list.
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = main(app)
        if screen.layout_mode == "narrow":
            await pilot.press("b")
        else:
            screen.activate("sidebar")
        feed_row = next(i for i, e in enumerate(screen.sidebar.entries) if e.kind == "feed")
        screen.sidebar.move_cursor(feed_row)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.base_view.feed_ids and screen.focused_pane != "sidebar"
        if screen.focused_pane == "reader":
            await pilot.press("q")  # the article first, as ever
        await pilot.press("q")
        await settle(pilot)
        assert app.is_running and screen.focused_pane == "sidebar"
        assert screen.sidebar.display and screen.sidebar.current.kind == "feed"
        await pilot.press("q")
        for _ in range(200):  # its end, however late on a busy machine
            if not app.is_running:
                break
            await pilot.pause(0.05)
        assert not app.is_running


async def test_a_resize_to_more_panes_shows_the_article_the_cursor_is_on(tmp_path: Path) -> None:
    # The reader, hidden at 80x24 and never rendered there, stayed empty ("No articles
    # here yet") after a resize to three panes, until the cursor moved.
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main(app)
        await pilot.press("j")
        await settle(pilot)
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        await pilot.pause(0.1)
        assert screen.reader.pk == screen.headlines.current.pk


async def test_resize_from_wide_to_medium_to_narrow(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(app)
        await pilot.press("j", "j")
        await settle(pilot)
        pk = screen.headlines.current.pk
        assert screen.layout_mode == "wide" and screen.sidebar.display
        await pilot.resize_terminal(100, 40)
        await settle(pilot)
        assert screen.layout_mode == "medium" and not screen.sidebar.display
        await pilot.press("b")
        assert screen.sidebar.display
        await pilot.press("b")
        assert not screen.sidebar.display
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert screen.layout_mode == "narrow"
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        assert screen.layout_mode == "narrow"
        assert screen.headlines.current.pk == pk
        await pilot.press("j")
        assert screen.headlines.cursor == 3
        # The reader re-renders at the new width when shown.
        await pilot.press("enter")
        await settle(pilot)
        assert screen.reader.rendered_width == screen.reader.content_width


async def test_q_quits_from_the_top_level(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0


async def test_space_in_one_pane_mode_opens_the_article_first(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main(app)
        await pilot.press("space")
        await settle(pilot)
        assert screen.narrow_pane == "reader"
        assert screen.reader.pk == screen.headlines.current.pk


async def test_clicking_a_pane_makes_it_the_active_one(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main(app)
        await pilot.click("#sidebar", offset=(3, 5))
        await settle(pilot)
        assert screen.focused_pane == "sidebar"
        await pilot.click("#headlines", offset=(10, 4))
        await settle(pilot)
        assert screen.focused_pane == "list"
        assert screen.headlines.cursor == 4


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_narrow_list_shows_the_year_of_other_years_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    # "Jun 06" for an article of 2008 read as this year's. This year is BASE_DATE's,
    # whatever today is; dates at noon UTC are the same day in any time zone.
    monkeypatch.setattr(rows, "current_year", lambda: BASE_DATE.year)
    url = "https://news.example/a/rss"
    old = [
        make_article(url, 900, title="Last December", when=datetime(2025, 12, 30, 12, tzinfo=UTC)),
        make_article(url, 901, title="Ancient post", when=datetime(2008, 6, 6, 12, tzinfo=UTC)),
    ]
    async with running(make_ctx(tmp_path, per_feed=1, extra={url: old}), size) as (app, _):
        headlines = main(app).headlines
        assert headlines.size.width < 100  # the narrow form of the date
        lines = [headlines.render_line(y).text for y in range(headlines.row_count)]
    this_year = BASE_DATE.astimezone().strftime("%b %d")
    assert [line[3:11] for line in lines] == [
        f"{this_year}  ",
        f"{this_year}  ",
        f"{this_year}  ",
        "25-12-30",
        "08-06-06",
    ]
    # One date width for every row: the titles line up.
    titles = ["Story 0 from a", "Story 100 from b", "Story 200 from c"]
    titles += ["Last December", "Ancient post"]
    assert {line.index(title) for line, title in zip(lines, titles, strict=True)} == {25}
