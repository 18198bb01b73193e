"""Read state, stars, mark-all and undo, filters, search, next unread, Space."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from test_ui_support import (
    BASE_DATE,
    make_article,
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    read_state,
    running,
    searches_wait_for,
    settle,
    wait_until,
)
from tuinews.config import UISettings
from tuinews.errors import StoreError
from tuinews.store import Store, View
from tuinews.ui.screens.main import MainScreen


async def test_opening_an_article_marks_it_read_in_the_store(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        before = screen.sidebar.total_unread
        await pilot.press("j")
        await settle(pilot)
        assert screen.headlines.current.read
        assert read_state(ctx.store_path)["Story 100 from b"] == (True, False)
        assert read_state(ctx.store_path)["Story 0 from a"] == (False, False)
        assert screen.sidebar.total_unread == before - 1
        # Enter on the first article opens it in the reader: read too.
        await pilot.press("k", "enter")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 0 from a"] == (True, False)


async def test_skimming_headlines_beside_the_reader_marks_none_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three panes, mark_read = "on_open": each headline the cursor rested on for a tenth
    # of a second was marked read. Now only one shown for READ_AFTER, or opened.
    from tuinews.ui.screens import main_core

    # Far longer than a skim lasts, however busy the machine: no wall-clock race.
    monkeypatch.setattr(main_core, "READ_AFTER", 60.0)
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        for _ in range(3):
            await pilot.press("j")
            await settle(pilot)  # rendered beside the list
        skimmed = [title for title, (read, _) in read_state(ctx.store_path).items() if read]
        assert skimmed == []
        # The one left on screen is read once READ_AFTER has passed.
        monkeypatch.setattr(main_core, "READ_AFTER", 0.05)
        await pilot.press("j")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert screen.headlines.current.read
        await pilot.press("j", "enter")  # opened: read at once
        await settle(pilot)
        assert screen.headlines.current.read
        assert sum(read for read, _ in read_state(ctx.store_path).values()) == 2
        # Reading on with n from the list opens the next unread: read at once too (it
        # was left unread unless it stayed on screen for READ_AFTER).
        await pilot.press("escape" if screen.focused_pane == "reader" else "h", "n")
        await settle(pilot)
        assert screen.focused_pane == "list" and screen.headlines.current.read
        assert sum(read for read, _ in read_state(ctx.store_path).values()) == 3


async def test_m_twice_on_an_article_resting_beside_the_list_leaves_it_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`m` (read) then `m` (unread) on an article shown beside the list before its
    READ_AFTER had passed: the look that reads a resting article fired anyway, under
    "Marked unread." (a regression tester's find)."""
    from tuinews.ui.screens import main_core

    # Long enough that a busy machine (CI, tests in parallel) presses both m before it
    # passes: the first m must find the article unread.
    monkeypatch.setattr(main_core, "READ_AFTER", 2.0)
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(160, 45)) as (app, pilot):
        screen = app.screen
        await pilot.press("j")
        await settle(pilot)
        title = screen.headlines.current.title
        assert not screen.headlines.current.read
        await pilot.press("m", "m")
        await settle(pilot)
        assert screen.status.message == "Marked unread."
        await pilot.pause(2.5)  # past READ_AFTER
        await settle(pilot)
        assert read_state(ctx.store_path)[title][0] is False
        assert not screen.headlines.current.read


@pytest.mark.parametrize("first", ["read already", "unread"])
async def test_on_leave_an_article_marked_unread_with_m_is_not_read_when_left(
    tmp_path: Path, first: str
) -> None:
    """mark_read = "on_leave": `m` to keep the article open unread, then Escape and `j`:
    it was read anyway as it was left (a regression tester's find). Opened again and
    left, it is read as usual."""
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="on_leave"))
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        title = screen.headlines.current.title
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*(["m", "m"] if first == "unread" else ["m"]))
        await settle(pilot)
        if first == "read already":
            await wait_until(pilot, lambda: read_state(ctx.store_path)[title][0])
            await pilot.press("m")
            await settle(pilot)
        assert screen.status.message == "Marked unread."
        await pilot.press("escape", "j", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: screen.reader.pk == screen.headlines.current.pk)
        assert read_state(ctx.store_path)[title][0] is False
        # Opened anew, then left: read.
        await pilot.press("escape", "k", "enter")
        await settle(pilot)
        await pilot.press("escape", "j", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: read_state(ctx.store_path)[title][0])
        assert read_state(ctx.store_path)[title][0] is True
        # `m` again, then Escape and Enter on it: opened anew; left, it is read.
        await pilot.press("escape", "k", "enter", "m")
        await settle(pilot)
        await wait_until(pilot, lambda: not read_state(ctx.store_path)[title][0])
        await pilot.press("escape", "enter")
        await settle(pilot)
        await pilot.press("escape", "j", "enter")
        await settle(pilot)
        await wait_until(pilot, lambda: read_state(ctx.store_path)[title][0])
        assert read_state(ctx.store_path)[title][0] is True


async def test_an_empty_list_s_line_goes_when_a_full_list_opens_at_80_columns(
    tmp_path: Path,
) -> None:
    """At 80 x 24 an empty list says its line on the status line; it stayed there, under
    the next list opened, full (a regression tester's find). The Starred view's own line
    says how to star (it said "Press R to refresh", which stars nothing)."""
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "enter")  # Starred: none yet
        await settle(pilot)
        assert screen.headlines.row_count == 0
        assert screen.status.message == "No starred articles: s stars the article shown."
        await pilot.press("h", "j", "j", "enter")  # a feed with articles
        await settle(pilot)
        assert screen.headlines.row_count > 0
        assert screen.status.message != "No starred articles: s stars the article shown."


async def test_a_search_made_while_reading_reads_its_first_hit(tmp_path: Path) -> None:
    # One pane at 80x24: the first hit fills the screen, and was left unread.
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("slash", *"story 3", "enter")
        await settle(pilot)
        await pilot.pause(0.1)
        await settle(pilot)
        assert screen.narrow_pane == "reader"
        assert screen.reader.pk == screen.headlines.current.pk
        assert read_state(ctx.store_path)[screen.headlines.current.title][0] is True


async def test_what_a_key_did_gives_way_to_the_lasting_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "No more unread articles." stayed on while the user read on, no longer true.
    from typing import Any

    from tuinews.ui.widgets import status_line
    from tuinews.ui.widgets.status_line import StatusLine

    monkeypatch.setattr(status_line, "FLEETING_FOR", 0.2)
    # A line's 0.2 s start once it was checked (`fade`): on a busy machine the key and
    # the check took longer, and the line was gone before it was looked at.
    real_set_timer = StatusLine.set_timer

    def paused_timer(self: StatusLine, *args: Any, **kwargs: Any) -> Any:
        return real_set_timer(self, *args, **kwargs, pause=True)

    monkeypatch.setattr(StatusLine, "set_timer", paused_timer)

    async def fade(status: StatusLine) -> None:
        assert status._fade is not None  # the line shown now is a passing one
        status._fade.resume()
        await pilot.pause(0.4)

    ctx = make_ctx(tmp_path, hint="A lasting hint")
    async with running(ctx) as (app, pilot):
        status = app.screen.status
        assert status.message == "A lasting hint"
        await pilot.press("s")
        assert status.message == "Starred."
        await fade(status)
        assert status.message == "A lasting hint"
        # A key's error reply gives way too, and never comes back after the next reply.
        await pilot.press("9")
        assert status.message == "This article has no link 9."
        app.say("Not copying an invalid link: http://[oops", error=True)
        await pilot.press("s")
        await fade(status)
        assert status.message == "A lasting hint"


async def test_manual_mode_only_m_marks_read(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx) as (app, pilot):
        await pilot.press("j", "enter")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 100 from b"] == (False, False)
        await pilot.press("m")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 100 from b"] == (True, False)
        await pilot.press("m")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 100 from b"] == (False, False)
        assert "unread" in app.screen.status.message


async def test_on_leave_marks_the_previous_article(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="on_leave"))
    async with running(ctx) as (_app, pilot):
        await pilot.press("j")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 100 from b"] == (False, False)
        await pilot.press("j")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 100 from b"] == (True, False)
        assert read_state(ctx.store_path)["Story 200 from c"] == (False, False)


async def test_on_leave_marks_the_first_row_when_left_after_going_back(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="on_leave"))
    async with running(ctx) as (_app, pilot):
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("k")  # back to the first row: now picked by the user
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 100 from b"] == (True, False)
        assert read_state(ctx.store_path)["Story 0 from a"] == (False, False)
        await pilot.press("j")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 0 from a"] == (True, False)


async def test_on_leave_marks_the_article_being_read_when_quitting(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="on_leave"))
    async with running(ctx) as (app, pilot):
        await pilot.press("j")
        await settle(pilot)
        assert app.screen.reader.pk == app.screen.headlines.current.pk
        assert read_state(ctx.store_path)["Story 100 from b"] == (False, False)
        await pilot.press("q")
        await pilot.pause()
    assert read_state(ctx.store_path)["Story 100 from b"] == (True, False)
    # The first article was only shown at start, never chosen: it stays unread.
    assert read_state(ctx.store_path)["Story 0 from a"] == (False, False)


async def test_on_leave_still_marks_the_article_read_after_the_list_was_counted_again(
    tmp_path: Path,
) -> None:
    """A refresh elsewhere (cron), or the reader's first look at the store, counts the
    list again under the article being read: it is still the one the user picked, and
    quitting marks it read (it stayed unread)."""
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="on_leave"))
    async with running(ctx) as (app, pilot):
        await pilot.press("j")
        await settle(pilot)
        app.screen.reload_view()
        await settle(pilot)
        assert app.screen.headlines.current.title == "Story 100 from b"
        await pilot.press("q")
        await pilot.pause()
    assert read_state(ctx.store_path)["Story 100 from b"] == (True, False)


async def test_in_unread_the_article_read_stays_listed_and_shown_when_the_list_is_counted_again(
    tmp_path: Path,
) -> None:
    """In the unread filter, a refresh elsewhere (or the reader's own first look at the
    store) counts the list again: the articles read there stay listed, and the one being
    read stays in the reader. The next article took its place, and was marked read
    though never opened. Another filter, and back, lists only the unread."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("f")  # unread
        await settle(pilot)
        total = screen.headlines.row_count
        await pilot.press("j", "j", "enter")
        await settle(pilot)
        reading = screen.headlines.current
        assert reading.read and screen.reader.pk == reading.pk
        read_before = {title for title, (read, _) in read_state(ctx.store_path).items() if read}

        screen.reload_view()
        await settle(pilot)
        assert screen.headlines.row_count == total
        assert screen.headlines.current.pk == reading.pk
        assert screen.reader.pk == reading.pk
        assert [screen.headlines.row(i).read for i in range(3)] == [False, True, True]
        read_now = {title for title, (read, _) in read_state(ctx.store_path).items() if read}
        assert read_now == read_before

        await pilot.press("escape", "f", "f", "f")  # starred, all, unread again
        await settle(pilot)
        assert screen.filter == "unread"
        assert screen.headlines.row_count == total - len(read_before)


async def test_in_starred_an_article_unstarred_stays_until_the_list_changes(
    tmp_path: Path,
) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("s", "j", "s")
        await pilot.press("f", "f")  # starred
        await settle(pilot)
        assert screen.headlines.row_count == 2
        await pilot.press("s")  # unstarred: still listed
        screen.reload_view()
        await settle(pilot)
        assert screen.headlines.row_count == 2
        assert not screen.headlines.current.starred
        await pilot.press("f", "f", "f")
        await settle(pilot)
        assert screen.headlines.row_count == 1


async def test_s_stars_and_the_starred_view_lists_it(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("s")
        await settle(pilot)
        assert read_state(ctx.store_path)["Story 0 from a"][1] is True
        assert screen.sidebar.starred == 1
        await pilot.press("f", "f")  # all -> unread -> starred
        await settle(pilot)
        assert screen.filter == "starred"
        assert screen.headlines.row_count == 1
        await pilot.press("f")
        await settle(pilot)
        assert screen.headlines.row_count == 18


async def test_a_mark_the_store_refuses_is_put_back_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert screen.store is not None

        def refuse(*_args: object) -> bool:
            raise StoreError("cannot write the store: the disk is full")

        monkeypatch.setattr(screen.store, "set_starred", refuse)
        monkeypatch.setattr(screen.store, "set_read", refuse)
        await pilot.press("s")
        await settle(pilot)
        # The row showed the star the store never saved, until the list was reloaded.
        assert screen.headlines.current.starred is False
        assert screen.status.message == "Not saved: cannot write the store: the disk is full"
        await pilot.press("m")
        await settle(pilot)
        assert screen.headlines.current.read is False
    assert read_state(ctx.store_path)["Story 0 from a"] == (False, False)


async def test_f_cycles_to_unread_only(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx) as (app, pilot):
        await pilot.press("m", "j", "m")
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert app.screen.headlines.row_count == 16
        assert "unread" in str(app.screen.query_one("#list-box").border_title)


async def test_A_marks_the_view_read_and_u_undoes(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx) as (app, pilot):
        screen = app.screen
        # Select the Alpha News feed in the sidebar, then mark it read.
        await pilot.press("h", "j", "j", "j", "j", "enter")
        await settle(pilot)
        assert screen.headlines.row_count == 6
        await pilot.press("A")
        await settle(pilot)
        state = read_state(ctx.store_path)
        assert all(state[f"Story {n} from a"][0] for n in range(6))
        assert not any(state[f"Story {100 + n} from b"][0] for n in range(6))
        assert "Marked 6 articles read" in screen.status.message
        assert screen.sidebar.total_unread == 12
        await pilot.press("u")
        await settle(pilot)
        state = read_state(ctx.store_path)
        assert not any(state[f"Story {n} from a"][0] for n in range(6))
        assert screen.sidebar.total_unread == 18


async def test_u_counts_only_the_articles_it_marked_unread_again(tmp_path: Path) -> None:
    """`A`, then the feed removed in another terminal, then `u`: the line said "Marked 6
    articles unread again" of articles that no longer existed (a tester's find)."""
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    # At 80 x 24 no article is open beside the list (whose removal would be said too).
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j", "enter")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert "Marked 6 articles read" in screen.status.message
        with Store.open(ctx.store_path) as store:
            feed = next(info for info in store.feeds() if info.title == "Alpha News")
            store.remove_feed(feed.id)
        await pilot.press("u")
        await settle(pilot)
        assert screen.status.message == (
            "Nothing left to undo: those articles were removed or marked unread."
        )


async def test_search_shows_matches_as_a_view_and_escape_returns(tmp_path: Path) -> None:
    url = "https://news.example/a/rss"
    extra = {url: [make_article(url, 50, title="Quantum gardening explained")]}
    ctx = make_ctx(tmp_path, extra=extra)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("slash")
        await pilot.press(*"quantum")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.search == "quantum"
        assert screen.headlines.row_count == 1
        assert screen.headlines.current.title == "Quantum gardening explained"
        await pilot.press("escape")
        await settle(pilot)
        assert screen.search is None
        assert screen.headlines.row_count == 19
        assert screen.headlines.cursor == 0  # back where the search started


async def test_a_search_with_no_word_to_find_says_so_and_keeps_the_view(tmp_path: Path) -> None:
    """`-word` alone, a lone quote or `OR` hold nothing to search for (`list --search`
    refuses them): the reader showed an empty "search “-gardening” (0)" instead."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        rows = screen.headlines.row_count
        for words in ("-gardening", '"', "OR"):
            await pilot.press("slash", *words, "enter")
            await settle(pilot)
            assert screen.search is None
            assert screen.headlines.row_count == rows
            assert "No word to search for" in screen.status.message
            assert "-word only leaves articles out" in screen.status.message


async def test_a_search_without_matches_says_so_when_the_list_fills_the_screen(
    tmp_path: Path,
) -> None:
    """At 80 columns the reader pane, which said "Nothing matches", is hidden: the list
    was an empty box."""
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"zebrafish", "enter")
        await settle(pilot)
        assert screen.search == "zebrafish"
        assert screen.headlines.row_count == 0
        assert screen.status.message == "Nothing matches “zebrafish”."


async def test_a_search_says_searching_until_its_results_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first search after a big refresh indexes its articles first (seconds): the old
    list stayed on screen with nothing said."""
    indexed = threading.Event()  # the index catching up
    searches_wait_for(monkeypatch, indexed)
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"gardening", "enter")
        await pilot.pause(0.2)
        assert screen.status.message == "Searching…"
        indexed.set()
        await settle(pilot)
        assert screen.search == "gardening"
        assert screen.status.message != "Searching…"  # gone with the results, not later


async def test_keys_typed_while_a_first_search_indexes_act_on_its_results(
    tmp_path: Path, indexed: threading.Event
) -> None:
    """`/quantum` Enter `j j` Enter, typed before the results show (the search indexes
    the articles of a refresh first): the keys moved and opened in the old list, still
    on screen, marking its article read, and the results then replaced it with the
    cursor on their first row. They now wait, and act on the results in order."""
    url = "https://news.example/a/rss"
    hits = [make_article(url, 50 + n, title=f"Quantum gardening {n}") for n in range(4)]
    ctx = make_ctx(tmp_path, extra={url: hits})
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("slash", *"quantum", "enter")
        await pilot.press("j", "j", "enter")
        await pilot.pause()
        assert screen.headlines.cursor == 0  # the old list, still shown: untouched
        assert screen.status.message == "Searching… 3 keys wait for the results."
        indexed.set()
        await settle(pilot)
        assert screen.search == "quantum"
        assert screen.headlines.row_count == 4
        assert screen.headlines.cursor == 2  # j j, on the results
        current = screen.headlines.current
        assert current is not None and current.title.startswith("Quantum gardening")
        assert screen.focused_pane == "reader"  # Enter opened it
        assert screen.reader.pk == current.pk
        assert not screen.status.message.startswith("Searching")
        read = [title for title, (was_read, _) in read_state(ctx.store_path).items() if was_read]
        assert read == [current.title]  # nothing of the old list


async def test_escape_gives_up_a_loading_search_at_once_with_the_keys_typed_for_it(
    tmp_path: Path, indexed: threading.Event
) -> None:
    """Escape is not held: the search is left while it still indexes, and the keys held
    for its results are dropped; keys after it act on the list at once."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("slash", *"story", "enter", "j", "j")
        await pilot.pause()
        assert screen.headlines.cursor == 0
        await pilot.press("escape")
        await pilot.pause()
        assert screen.search is None
        await pilot.press("j")  # the search's indexing is still under way
        await pilot.pause()
        assert screen.headlines.cursor == 1
        assert screen.headlines.row_count == 18
        indexed.set()
        await settle(pilot)
        assert screen.search is None and screen.headlines.cursor == 1


async def test_a_new_search_typed_while_one_loads_drops_the_keys_held_for_the_first(
    tmp_path: Path, indexed: threading.Event
) -> None:
    """`/` is not held: the words can be changed while the search loads. The keys held
    for the first words are dropped (their results never show); keys typed after the
    new words act on the new results."""
    url = "https://news.example/a/rss"
    extra = {url: [make_article(url, 50, title="Quantum gardening explained")]}
    ctx = make_ctx(tmp_path, extra=extra)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("slash", *"story", "enter", "j", "j")
        await pilot.press("slash", *["backspace"] * 5, *"quantum", "enter", "enter")
        await pilot.pause()
        assert screen.status.message == "Searching… 1 key waits for the results."
        indexed.set()
        await settle(pilot)
        assert screen.search == "quantum"
        assert screen.headlines.cursor == 0
        assert screen.headlines.current.title == "Quantum gardening explained"
        assert screen.focused_pane == "reader"


async def test_a_search_that_fails_says_so_and_holds_no_key_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search whose fetch fails (a store error) shows no results: the keys held for
    them are said to be dropped, and the next keys act at once."""
    failing = threading.Event()
    searches_wait_for(monkeypatch, failing, error="tuinews.db: disk I/O error")
    ctx = make_ctx(tmp_path)
    try:
        async with running(ctx) as (app, pilot):
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await pilot.press("slash", *"story", "enter", "j")
            failing.set()
            await settle(pilot)
            assert screen.status.message == (
                "tuinews.db: disk I/O error (1 key typed meanwhile not acted on)"
            )
            assert screen.headlines.cursor == 0
            await pilot.press("j")
            assert screen.headlines.cursor == 1
    finally:
        failing.set()


async def test_a_burst_of_keys_edits_the_search_words_in_the_order_typed(
    tmp_path: Path,
) -> None:
    """Keys that arrive together (a busy moment, a key macro, tmux send-keys): Backspace
    ran after the letters typed behind it, and `/` Backspace×4 `coffee` on the search
    "rust" searched "co"."""
    from textual import events
    from textual.widgets import Input

    url = "https://news.example/a/rss"
    extra = {url: [make_article(url, 50, title="Rust and coffee")]}
    ctx = make_ctx(tmp_path, extra=extra)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("slash", *"rust", "enter")
        await settle(pilot)
        await pilot.press("slash")
        box = app.screen.query_one(Input)
        assert box.value == "rust"
        await pilot.press("end")  # the words are selected when the prompt opens
        for key, character in [*[("backspace", None)] * 4, *[(c, c) for c in "coffee"]]:
            app.post_message(events.Key(key, character))  # together, nothing awaited
        await pilot.pause()
        assert box.value == "coffee"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.search == "coffee"


async def test_n_and_p_jump_between_unread_articles(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("j", "m", "j", "m", "g")  # rows 1 and 2 read
        await settle(pilot)
        await pilot.press("n")
        assert screen.headlines.cursor == 3
        await pilot.press("p")
        assert screen.headlines.cursor == 0


async def test_n_goes_on_to_the_next_feed_with_unread(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j", "enter")  # Alpha News
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert screen.base_label == "Beta Daily"
        assert screen.headlines.current is not None
        assert not screen.headlines.current.read


async def test_n_into_the_next_feed_opens_and_reads_the_article_it_lands_on(
    tmp_path: Path,
) -> None:
    """`n` past a feed's last unread goes to the next feed's first unread article and
    shows it, as within a feed, where it is read at once: there it was never read, not
    even once the cursor had rested on it (a regression tester's find)."""
    ctx = make_ctx(tmp_path)
    with Store.open(ctx.store_path) as store:
        alpha = next(info for info in store.feeds() if info.title == "Alpha News")
        store.mark_read_where(View(feed_ids=(alpha.id,)))
    async with running(ctx, size=(160, 45)) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j", "enter")  # Alpha News, all read
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert screen.base_label == "Beta Daily"
        landed = screen.headlines.current
        assert landed is not None
        await wait_until(pilot, lambda: read_state(ctx.store_path)[landed.title][0])
        assert read_state(ctx.store_path)[landed.title][0]


async def test_space_pages_the_reader_then_goes_to_next_unread(tmp_path: Path) -> None:
    url = "https://news.example/a/rss"
    long_body = "".join(f"<p>Paragraph {n} of a long article.</p>" for n in range(60))
    newest = BASE_DATE + timedelta(hours=1)
    extra = {url: [make_article(url, 77, title="Long read", body=long_body, when=newest)]}
    ctx = make_ctx(tmp_path, extra=extra, ui=UISettings(mark_read="manual"))
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert screen.headlines.current.title == "Long read"
        start = screen.headlines.cursor
        await pilot.press("space")
        assert screen.reader.scroll_offset.y > 0
        assert screen.headlines.cursor == start
        for _ in range(20):
            if screen.reader.at_end:
                break
            await pilot.press("space")
        await pilot.press("space")
        await settle(pilot)
        assert screen.headlines.cursor == start + 1


async def test_the_unread_filter_on_the_unread_list_is_not_named_twice(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        await pilot.press("h", "j")  # Unread
        await settle(pilot)
        await pilot.press("l", "f")
        await settle(pilot)
        assert app.screen.filter == "unread"
        assert str(app.screen.query_one("#list-box").border_title) == "Unread (18)"
