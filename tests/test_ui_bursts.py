"""Keys that arrive together (one read over SSH, a key macro, `tmux send-keys`) act as if
typed one by one, also across a dialog opening and closing.

`pilot.press` waits for the app to be idle after each key, so it never makes a burst:
`burst` posts the keys to the app in one go, as Textual's driver does with the keys of
one read, and nothing runs between them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input

from feedserver import rss
from test_ui_support import (
    make_article,
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    read_state,
    running,
    searches_wait_for,
    settle,
    wait_until,
)
from tuinews.subscriptions import SubscriptionFile
from tuinews.ui.screens.add_feed import AddFeedScreen
from tuinews.ui.screens.main import MainScreen
from tuinews.ui.screens.search import SearchScreen

CONTROL_CHARACTERS = {
    "enter": "\r",
    "ctrl+j": "\n",
    "backspace": "\x7f",
    "escape": "\x1b",
    "ctrl+c": "\x03",
}


def burst(app: Any, *keys: str) -> None:
    """Post `keys` (a character, or a key name such as "enter") to the app at once."""
    for key in keys:
        if len(key) == 1:
            event = events.Key(_character_to_key(key), key)
        else:
            event = events.Key(key, CONTROL_CHARACTERS.get(key))
        event.set_sender(app)
        app.post_message(event)


async def type_while_indexing(
    app: Any, pilot: Any, indexed: threading.Event, *keys: str, waiting: int
) -> None:
    """`keys` in one burst while the search indexes: `waiting` of them wait for its
    results, said on the status line; then the index fills and the results show."""
    burst(app, *keys)
    await pilot.pause()
    assert app.screen.status.message == f"Searching… {waiting} keys wait for the results."
    indexed.set()
    await settle(pilot)


def test_the_key_gate_holds_the_keys_behind_a_key_until_that_key_is_done() -> None:
    from tuinews.ui.waiting_keys import KeyGate

    gate: KeyGate[str] = KeyGate()
    assert not gate.holding
    gate.close("/")
    gate.hold("r")
    gate.hold("u")
    assert gate.holding and gate.next_key() is None
    assert not gate.done("j")  # another key (typed before "/") is done: still closed
    assert gate.next_key() is None
    assert gate.done("/")  # keys wait to be routed now
    assert gate.holding  # and the keys typed meanwhile queue behind them
    assert gate.next_key() == "r"
    gate.close("r")  # a key routed from the gate may close it again
    assert gate.next_key() is None
    assert gate.done("r")
    assert gate.next_key() == "u"
    assert gate.next_key() is None and not gate.holding


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The refreshes the reader starts (none is run: the feeds are not reachable)."""
    started: list[Any] = []
    monkeypatch.setattr(MainScreen, "start_refresh", lambda self, only, **_: started.append(only))
    return started


def subscribed_ctx(tmp_path: Path) -> Any:
    """The test feeds, written in the settings file (which `d` removes them from)."""
    ctx = make_ctx(tmp_path)
    for sub in ctx.subscriptions:
        SubscriptionFile(ctx.config_path).add(sub)
    return ctx


def rust_ctx(tmp_path: Path) -> Any:
    url = "https://news.example/a/rss"
    return make_ctx(tmp_path, extra={url: [make_article(url, 50, title="Rust and coffee")]})


async def test_a_search_typed_in_one_burst_searches_its_words_and_nothing_else(
    tmp_path: Path, refreshes: list[Any]
) -> None:
    """`/rust` Enter in one read: the letters reached the main screen before the prompt
    was up and were dropped, and Enter searched nothing. r (refresh), u (undo) and s
    (star) must not act on the list either."""
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        burst(app, "/", *"rust", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.search == "rust"
        assert screen.headlines.row_count == 1
        assert screen.headlines.current.title == "Rust and coffee"
        assert refreshes == []
        assert not any(starred for _, starred in read_state(ctx.store_path).values())
        assert screen.status.message != "Nothing to undo."


async def test_an_enter_typed_ahead_as_a_line_feed_submits_the_search(tmp_path: Path) -> None:
    """Typed before the reader set the terminal up (`tuinews` Enter `/rust` Enter over a
    slow link), Enter comes as a line feed (Ctrl+J): it left the prompt open with the
    letters of the keys after it typed into it."""
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "/", *"rust", "ctrl+j", "j")
        await settle(pilot)
        assert app.screen is screen
        assert screen.search == "rust"


async def test_backspace_in_a_burst_edits_the_words_in_order(tmp_path: Path) -> None:
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "/", *"rusk", "backspace", "t", "enter")
        await settle(pilot)
        assert screen.search == "rust"


async def test_keys_typed_before_the_search_key_act_first(tmp_path: Path) -> None:
    """The main screen runs its keys where they arrive, in order: the j's before the
    `/` act on the list, not in the prompt it opens."""
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "j", "j", "/")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert screen.headlines.cursor == 2


async def test_keys_after_the_enter_of_a_burst_act_on_the_results(tmp_path: Path) -> None:
    """`/story` Enter `j j` in one read: the j's went into the closing prompt."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "/", *"story", "enter", "j", "j")
        await settle(pilot)
        assert app.screen is screen
        assert screen.search == "story"
        assert screen.headlines.cursor == 2


async def test_keys_after_the_enter_of_a_burst_wait_for_a_loading_search(
    tmp_path: Path, indexed: threading.Event
) -> None:
    """The same burst while the search indexes first: the j's wait for its results."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await type_while_indexing(
            app, pilot, indexed, "/", *"story", "enter", "j", "j", "enter", waiting=3
        )
        assert screen.search == "story"
        assert screen.headlines.cursor == 2
        assert screen.focused_pane == "reader"


async def test_enter_twice_at_once_in_the_search_prompt_keeps_the_reader(
    tmp_path: Path,
) -> None:
    """The second Enter reached the prompt before it closed and dismissed it again, which
    took the reader's own screen away: a blank terminal that no key but Ctrl-C left."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"story")
        burst(app, "enter", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.search == "story"
        assert screen.focused_pane == "reader"  # the second Enter opened the hit


async def test_keys_held_for_a_key_never_done_go_on_after_a_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a dialog never say it has answered, the keys behind its Enter must not
    wait for good (a reader deaf to every key but Ctrl-C): the gate gives up on it."""
    from tuinews.ui import app as app_module
    from tuinews.ui.screens.dialog import Dialog

    # The backstop cannot fire before the check that the keys wait, however long the
    # burst and its search take on a loaded machine (at 0.2 s, then 1 s, it could).
    monkeypatch.setattr(app_module, "KEY_GATE_BACKSTOP_S", 60.0)
    monkeypatch.setattr(Dialog, "on_input_submitted", lambda self: None)
    monkeypatch.setattr(Dialog, "on_unmount", lambda self: None)
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "/", *"story", "enter", "j", "j")
        await settle(pilot)
        assert screen.search == "story"
        assert app.key_gate.holding  # the j's wait for an answer that never comes
        # The backstop started again, short: once it has passed, the j's go on.
        monkeypatch.setattr(app_module, "KEY_GATE_BACKSTOP_S", 0.2)
        app._start_backstop(app.key_gate.closed_by)
        for _ in range(200):
            await pilot.pause(0.05)
            if not app.key_gate.holding:
                break
        await settle(pilot)
        assert not app.key_gate.holding
        assert screen.headlines.cursor == 2


async def test_a_search_and_the_next_one_in_one_burst(tmp_path: Path) -> None:
    """After Enter, `/` opens the prompt again and the keys behind it go into it."""
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "/", *"story", "enter", "/", *["backspace"] * 5, *"rust", "enter", "j")
        await settle(pilot)
        assert app.screen is screen
        assert screen.search == "rust"
        assert screen.headlines.current.title == "Rust and coffee"


async def test_escape_in_a_burst_leaves_the_prompt_and_the_next_key_acts_on_the_list(
    tmp_path: Path,
) -> None:
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "/", *"rust", "escape", "j")
        await settle(pilot)
        assert app.screen is screen
        assert screen.search is None
        assert screen.headlines.cursor == 1


async def test_ctrl_c_in_a_burst_quits_at_once(tmp_path: Path) -> None:
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        burst(app, "/", *"ru", "ctrl+c", *"st")
        for _ in range(100):  # at once: no key waits for it (a loaded machine is slower)
            if not app.is_running:
                break
            await pilot.pause(0.05)
        assert not app.is_running


async def test_a_feed_added_in_one_burst(tmp_path: Path, refreshes: list[Any]) -> None:
    """`a`, the address and Enter in one read: the address reached the dialog empty."""
    feed_file = tmp_path / "local-feed.xml"
    feed_file.write_bytes(rss(2, title="Local Feed"))
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "a", *str(feed_file), "enter", "j")
        await settle(pilot)
        assert app.screen is screen
        assert [s.url for s in SubscriptionFile(ctx.config_path).load()] == [str(feed_file)]
        assert refreshes == [[str(feed_file)]]
        assert screen.headlines.cursor == 1


async def test_keys_after_an_address_the_dialog_refuses_go_into_it_again(
    tmp_path: Path, refreshes: list[Any]
) -> None:
    """Enter on an empty address: the dialog says so and stays; the keys typed after
    it in the same burst are the address, and the next Enter adds it."""
    feed_file = tmp_path / "local-feed.xml"
    feed_file.write_bytes(rss(2, title="Local Feed"))
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        burst(app, "a", "enter", *str(feed_file))
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AddFeedScreen)
        assert dialog.query_one("#error").display
        assert dialog.query_one(Input).value == str(feed_file)
        burst(app, "enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert refreshes == [[str(feed_file)]]


async def test_help_opened_and_closed_in_a_burst(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "?", "q", "j")
        await settle(pilot)
        assert app.screen is screen and app.is_running
        assert screen.headlines.cursor == 1


async def test_keys_typed_one_by_one_wait_for_nothing(tmp_path: Path) -> None:
    """Keys wait only while a dialog opens or answers: typed slowly, none waits."""
    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        assert not app.key_gate.holding
        await pilot.press(*"rust", "enter")
        await settle(pilot)
        assert app.screen.search == "rust"


async def test_ctrl_c_copying_the_selected_words_holds_no_key(tmp_path: Path) -> None:
    """Ctrl-C with words selected in the prompt copies them (an app-wide key): the keys
    after it act at once, on the prompt and then on the list."""
    from textual.widgets.input import Selection

    ctx = rust_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"ab")
        app.screen.query_one(Input).selection = Selection(0, 2)
        burst(app, "ctrl+c", "escape", "j")
        await settle(pilot)
        assert app.is_running and app.clipboard == "ab"
        assert app.screen is screen
        assert screen.headlines.cursor == 1


async def test_a_feed_removed_and_confirmed_in_one_burst(tmp_path: Path) -> None:
    ctx = subscribed_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "h", "j", "j", "j", "j", "d", "y", "j")  # Alpha News, removed
        await settle(pilot)
        assert app.screen is screen
        assert [s.title for s in SubscriptionFile(ctx.config_path).load()] == [
            "Beta Daily",
            "Gamma Blog",
        ]


async def test_enter_on_the_confirmation_s_focused_button_holds_the_keys_after_it(
    tmp_path: Path,
) -> None:
    """`d` Enter `j`: Enter presses the focused No button, which answers the question
    as `n` does; the `j` reached the closing question and was lost."""
    ctx = subscribed_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "h", "j", "j", "j", "j", "d", "enter", "j")  # Alpha News, kept
        await settle(pilot)
        assert app.screen is screen
        assert len(SubscriptionFile(ctx.config_path).load()) == 3
        assert screen.sidebar.cursor == 5
        assert not app.key_gate.holding


async def test_enter_in_the_link_list_holds_the_keys_after_it(tmp_path: Path) -> None:
    """`L` Enter `j`: Enter takes the highlighted link (the list's own key); the `j`
    reached the closing list and was lost."""
    url = "https://news.example/a/rss"
    body = "<p><a href='https://one.example/'>one</a> <a href='https://two.example/'>two</a></p>"
    extra = {url: [make_article(url, 50, title="Two links", body=body)]}
    ctx = make_ctx(tmp_path, extra=extra)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"two links", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused_pane == "reader"
        burst(app, "L", "enter", "escape")
        await settle(pilot)
        assert app.screen is screen
        assert app.clipboard == "https://one.example/"  # no display: copied
        assert screen.focused_pane == "list"  # Escape: back from the article
        assert not app.key_gate.holding


async def test_a_letter_bound_to_a_dialog_key_is_typed_in_its_text_box_without_a_wait(
    tmp_path: Path,
) -> None:
    """`[keymap]` "dialog.cancel" = "escape,q": in the search prompt `q` is a letter
    (the text box takes it, as it always did), and the keys after it must not wait
    for a cancel that never comes (2 s of a deaf prompt)."""
    from tuinews.config import UISettings

    ui = UISettings(keymap={"dialog.cancel": "escape,q"})
    ctx = make_ctx(tmp_path, ui=ui)
    async with running(ctx) as (app, pilot):
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        burst(app, *"quay")
        await settle(pilot)
        assert not app.key_gate.holding
        assert app.screen.query_one(Input).value == "quay"


def subscribed_titles(ctx: Any) -> list[str | None]:
    return [s.title for s in SubscriptionFile(ctx.config_path).load()]


async def test_a_removal_typed_while_a_search_loads_is_asked_and_answered_on_its_results(
    tmp_path: Path, indexed: threading.Event
) -> None:
    """`/story` Enter `d y` while the search indexes: `d` was kept as an action, and
    `y` as one too, which copied a link instead of answering the question `d` asked
    once the results showed. The keys after `d` now wait for its question, as keys."""
    ctx = subscribed_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await settle(pilot)
        await type_while_indexing(app, pilot, indexed, "/", *"story", "enter", "d", "y", waiting=2)
        assert app.screen is screen
        assert screen.search == "story"
        assert subscribed_titles(ctx) == ["Beta Daily", "Gamma Blog"]
        assert not app.clipboard  # y answered, and copied no link
        assert not app.key_gate.holding


async def test_feed_details_typed_while_a_search_loads_open_on_its_results(
    tmp_path: Path, indexed: threading.Event
) -> None:
    """`/story` Enter `i` Escape `j`: Escape closes the details `i` opens on the
    results, and `j` moves in them (Escape left the search before the results came,
    and the details never opened)."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await type_while_indexing(
            app, pilot, indexed, "/", *"story", "enter", "i", "escape", "j", waiting=3
        )
        assert app.screen is screen
        assert screen.search == "story"
        assert screen.headlines.cursor == 1
        assert not app.key_gate.holding


async def test_keys_held_behind_a_dialog_key_are_dropped_with_a_failed_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indexed: threading.Event
) -> None:
    """The search fails: the keys typed for its results are dropped, those held
    behind `d` too (`y` must not copy a link on the old list), and the reader takes
    keys again."""
    ctx = subscribed_ctx(tmp_path)
    searches_wait_for(monkeypatch, indexed, error="the store is broken")
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await settle(pilot)
        burst(app, "/", *"story", "enter", "j", "d", "y", "j")
        await pilot.pause()
        indexed.set()
        await settle(pilot)
        assert app.screen is screen
        assert "(4 keys typed meanwhile not acted on)" in screen.status.message
        assert len(subscribed_titles(ctx)) == 3
        assert not app.clipboard
        assert not app.key_gate.holding
        await pilot.press("j")
        assert screen.sidebar.cursor == 5


async def test_keys_behind_a_dialog_key_wait_for_a_search_longer_than_the_backstop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indexed: threading.Event
) -> None:
    """The first search after a big refresh takes seconds: the backstop, for a dialog
    that never answers, must not let `y` go on before `d` has asked its question."""
    from tuinews.ui import app as app_module

    monkeypatch.setattr(app_module, "KEY_GATE_BACKSTOP_S", 0.2)
    ctx = subscribed_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await settle(pilot)
        burst(app, "/", *"story", "enter", "d", "y")
        waiting = "Searching… 2 keys wait for the results."
        for _ in range(200):  # the search under way (later on a loaded machine)
            if screen.status.message == waiting:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.5)  # longer than the backstop
        assert app.key_gate.holding
        assert screen.status.message == waiting
        indexed.set()
        await settle(pilot)
        assert subscribed_titles(ctx) == ["Beta Daily", "Gamma Blog"]
        assert not app.clipboard


def two_links_ctx(tmp_path: Path) -> Any:
    url = "https://news.example/a/rss"
    body = "<p><a href='https://one.example/'>one</a> <a href='https://two.example/'>two</a></p>"
    return make_ctx(tmp_path, extra={url: [make_article(url, 50, title="Two links", body=body)]})


async def test_a_link_number_typed_as_the_article_opens_opens_its_link(tmp_path: Path) -> None:
    """One pane at a time: Enter `2` in one go said "Open an article first.", the
    article still rendering; `2` now waits for it (no display here: copied)."""
    ctx = two_links_ctx(tmp_path)
    async with running(ctx, size=(70, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"two links", "enter")
        await settle(pilot)
        assert screen.focused_pane == "list" and screen.reader.pk is None
        burst(app, "enter", "2", "escape")
        await settle(pilot)
        assert app.clipboard == "https://two.example/"
        assert screen.focused_pane == "list"  # Escape, after the link: back to the list
        assert not app.key_gate.holding


async def test_the_link_list_typed_as_the_article_opens_lists_its_links(tmp_path: Path) -> None:
    ctx = two_links_ctx(tmp_path)
    async with running(ctx, size=(70, 30)) as (app, pilot):
        screen = app.screen
        await pilot.press("slash", *"two links", "enter")
        await settle(pilot)
        burst(app, "enter", "L", "down", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert app.clipboard == "https://two.example/"
        assert not app.key_gate.holding


async def test_a_link_number_typed_as_the_cursor_moves_waits_for_the_article_beside(
    tmp_path: Path,
) -> None:
    """Side by side, the reader shows the article the cursor rests on: `j 1` in one go
    opens the link of the article `j` moved to, once it shows."""
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        first = screen.headlines.current
        assert screen.reader.pk == first.pk
        burst(app, "j", "1")
        await settle(pilot)
        current = screen.headlines.current
        assert current.pk != first.pk and screen.reader.pk == current.pk
        assert app.clipboard == screen.reader.links[0].url


async def test_the_link_list_typed_as_a_loading_search_s_hit_opens_lists_its_links(
    tmp_path: Path, indexed: threading.Event
) -> None:
    """`/two links` Enter Enter `L` Enter while the search indexes: the link list of
    the hit Enter opens, once it shows, and Enter takes its first link."""
    ctx = two_links_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await type_while_indexing(
            app, pilot, indexed, "/", *"two links", "enter", "enter", "L", "enter", waiting=3
        )
        assert app.screen is screen
        assert screen.focused_pane == "reader"
        assert app.clipboard == "https://one.example/"
        assert not app.key_gate.holding


async def test_keys_after_a_link_number_go_on_when_the_article_cannot_show(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The article opened is gone (a cleanup elsewhere): `1` has nothing to wait for
    any more, the status line keeps saying why, and the keys after it act."""
    from tuinews.store import Store

    monkeypatch.setattr(Store, "article", lambda store, pk: None)
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=(70, 30)) as (app, pilot):
        screen = app.screen
        burst(app, "enter", "1", "escape", "j")
        await settle(pilot)
        assert screen.status.message.startswith("That article is gone")
        assert screen.focused_pane == "list"
        assert screen.headlines.cursor == 1
        assert not app.key_gate.holding


async def palette_shows(app: Any, pilot: Any, words: str, first: str) -> None:
    """Ctrl+P and `words`, typed one by one; back once the palette's first hit is
    `first` (it searches in the background)."""
    from textual.widgets import OptionList

    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*words)
    for _ in range(250):
        await pilot.pause(0.02)
        options = app.screen.query(OptionList)
        hits = options.first() if options else None
        if hits is not None and hits.option_count:
            shown = str(hits.get_option_at_index(0).prompt)
            if first in shown:
                return
    raise AssertionError(f"the palette shows no {first!r}")


async def test_keys_after_a_palette_command_go_into_the_dialog_it_opens(tmp_path: Path) -> None:
    """Ctrl+P "Remove feed", then Enter `y` in one go: `y` reached the main screen (or
    the closing palette) before the question was up, and copied a link, or was lost."""
    ctx = subscribed_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await settle(pilot)
        await palette_shows(app, pilot, "Remove feed", "Remove feed")
        burst(app, "enter", "y", "j")
        await settle(pilot)
        assert app.screen is screen
        assert subscribed_titles(ctx) == ["Beta Daily", "Gamma Blog"]
        assert not app.clipboard
        assert not app.key_gate.holding


async def test_keys_after_a_palette_command_that_opens_nothing_act_after_it(
    tmp_path: Path,
) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await palette_shows(app, pilot, "Next unread", "Next unread")
        burst(app, "enter", "j", "j")
        await settle(pilot)
        assert app.screen is screen
        assert screen.headlines.cursor == 3  # n, then j j
        assert not app.key_gate.holding


async def test_keys_after_an_enter_that_picks_no_command_go_into_the_palette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No command matches: Enter picks none and the palette stays; the keys after it
    are typed in it at once (not after the gate's backstop, made longer than this test
    waits, so that a loaded machine cannot pass it that way)."""
    from textual.widgets import Input

    from tuinews.ui import app as app_module

    monkeypatch.setattr(app_module, "KEY_GATE_BACKSTOP_S", 60)
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        await palette_shows(app, pilot, "qqqq", "No matches")
        burst(app, "enter", "x")
        for _ in range(200):
            if app.screen.query_one(Input).value == "qqqqx":
                break
            await pilot.pause(0.05)
        assert app.screen.query_one(Input).value == "qqqqx"
        assert not app.key_gate.holding


async def test_keys_after_escape_in_the_palette_act_on_the_reader(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await palette_shows(app, pilot, "Star", "Star")
        burst(app, "escape", "j")
        await settle(pilot)
        assert app.screen is screen
        assert screen.headlines.cursor == 1
        assert not app.key_gate.holding


async def test_a_palette_command_typed_in_one_burst_runs_that_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+P "Remove feed" Enter `y` in one go: Enter came before the palette had
    found the commands for the words, and ran the one highlighted then (one of those
    listed for no words). The search made slow, to be sure to come after Enter."""
    import asyncio

    from textual.system_commands import SystemCommandsProvider

    real_search = SystemCommandsProvider.search

    async def slow_search(provider: Any, query: str) -> Any:
        await asyncio.sleep(0.2)
        async for hit in real_search(provider, query):
            yield hit

    monkeypatch.setattr(SystemCommandsProvider, "search", slow_search)
    ctx = subscribed_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j")  # Alpha News
        await settle(pilot)
        burst(app, "ctrl+p", *"Remove feed", "enter", "y")
        for _ in range(100):
            await settle(pilot)
            if app.screen is screen and not app.key_gate.holding:
                break
        assert app.screen is screen
        assert subscribed_titles(ctx) == ["Beta Daily", "Gamma Blog"]


def far_unread_ctx(tmp_path: Path) -> tuple[Any, list[Any]]:
    """Three feeds of 300 articles, all read but two, 400 and 700 rows down: past
    the rows the list holds, so `n` asks the store where the next unread one is."""
    from tuinews.store import Store, View

    ctx = make_ctx(tmp_path, per_feed=300)
    with Store.open(ctx.store_path) as store:
        everything = store.headlines(View(), limit=900)
        store.mark_read_where(View())
        unread = [everything[400], everything[700]]
        store.set_read([row.pk for row in unread], False)
    return ctx, unread


async def test_n_typed_twice_at_once_goes_to_the_second_unread_far_down(
    tmp_path: Path,
) -> None:
    """`n n` in one burst (a held key repeats): the second `n` waited for the store to
    say where the first goes, and goes on from there (it looked again from the top,
    found the same article, and the burst moved once)."""
    ctx, unread = far_unread_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "n", "n")
        await settle(pilot)
        assert screen.headlines.cursor == 700
        assert screen.headlines.current.title == unread[1].title
        assert not app.key_gate.holding


async def test_a_link_key_after_n_acts_on_the_article_n_finds(tmp_path: Path) -> None:
    """`n` `y` in one burst: `y` copies the link of the unread article `n` found far
    down the list, not of the one the cursor left."""
    ctx, unread = far_unread_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        burst(app, "n", "y")
        await settle(pilot)
        assert screen.headlines.cursor == 400
        assert app.clipboard == unread[0].link


async def test_u_typed_with_a_undoes_it(tmp_path: Path) -> None:
    """`A u` in one burst: `u` waited for A's write, and undid it (it found nothing to
    undo yet, and every article stayed read)."""
    from tuinews.store import Store, View

    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        burst(app, "A", "u")
        await settle(pilot)
        assert not app.key_gate.holding
    with Store.open(ctx.store_path) as store:
        assert store.count(View(unread_only=True)) == store.count(View())


async def test_m_typed_with_a_acts_on_the_row_as_a_left_it(tmp_path: Path) -> None:
    """`A m` in one burst: everything read, then `m` marks the current row unread again
    (it toggled the row as it was before A: read, then A left it read too)."""
    from tuinews.store import Store, View

    ctx = make_ctx(tmp_path)
    async with running(ctx) as (app, pilot):
        burst(app, "A", "m")
        await settle(pilot)
        current = app.screen.headlines.current
        assert current is not None and not current.read
    with Store.open(ctx.store_path) as store:
        assert store.count(View(unread_only=True)) == 1


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["one pane", "three panes"])
async def test_enter_then_m_in_one_burst_leaves_the_article_unread(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """`m` right after Enter, before the reader had drawn (and read) the article: it
    acted on the row as it still was (unread) and marked it read, and the open read it
    too. Typed one by one, the two keys leave it unread: so must a burst."""
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=size) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("j")
        await settle(pilot)
        title = screen.headlines.current.title
        burst(app, "enter", "m")
        await settle(pilot)
        await wait_until(pilot, lambda: screen.reader.pk == screen.headlines.current.pk)
        await settle(pilot)
        assert screen.status.message == "Marked unread."
        assert not screen.headlines.current.read
        assert read_state(ctx.store_path)[title][0] is False
        # `m` again reads it, as on any article shown unread.
        await pilot.press("m")
        await settle(pilot)
        assert read_state(ctx.store_path)[title][0] is True


@pytest.mark.parametrize(
    ("size", "keys"),
    [((80, 24), ("j", "enter", "m")), ((160, 45), ("enter", "n", "m")), ((160, 45), ("n", "m"))],
    ids=["j Enter m", "n m in the reader", "n m in the list"],
)
async def test_m_after_a_move_in_one_burst_leaves_the_article_unread(
    tmp_path: Path, size: tuple[int, int], keys: tuple[str, ...]
) -> None:
    """The move's message came after the `m` and made the article "opened anew": it
    was read once drawn, under "Marked unread." (a regression tester's find)."""
    ctx = make_ctx(tmp_path)
    async with running(ctx, size=size) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        burst(app, *keys)
        await settle(pilot)
        await wait_until(pilot, lambda: screen.reader.pk == screen.headlines.current.pk)
        await settle(pilot)
        title = screen.headlines.current.title
        assert screen.status.message == "Marked unread."
        assert not screen.headlines.current.read
        assert read_state(ctx.store_path)[title][0] is False


async def test_twenty_m_in_one_burst_leave_the_store_as_the_screen(tmp_path: Path) -> None:
    """Each `m` was saved by a thread of its own, and they ran out of order: the store
    ended read under "Marked unread." two runs in six (a regression tester's find)."""
    from tuinews.config import UISettings

    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        title = screen.headlines.current.title
        for presses in (20, 21, 40):
            burst(app, *["m"] * presses)
            await settle(pilot)
            await app.workers.wait_for_complete()
            shown = screen.headlines.current.read
            assert read_state(ctx.store_path)[title][0] is shown
        assert screen.headlines.current.read  # 81 presses in all: read


async def test_a_and_u_come_after_the_marks_typed_before_them(tmp_path: Path) -> None:
    """`m A` in one burst: m's save could land after A's, one article left unread in the
    store and the sidebar while the list showed all read; `A m m u`: the second m's save
    could land after the undo (a regression tester's finds). Typed in a burst, as one
    by one."""
    from tuinews.config import UISettings

    ctx = make_ctx(tmp_path, ui=UISettings(mark_read="manual"))
    async with running(ctx, size=(80, 24)) as (app, pilot):
        screen = app.screen
        assert isinstance(screen, MainScreen)
        total = len(read_state(ctx.store_path))

        async def after(*keys: str) -> list[bool]:
            burst(app, *keys)
            await settle(pilot)
            await app.workers.wait_for_complete()
            await settle(pilot)
            return [read for read, _starred in read_state(ctx.store_path).values()]

        assert all(await after("m", "A"))  # m read the first article, A the rest
        assert not any(await after("u", "m"))  # all unread again
        assert not any(await after("A", "m", "m", "u"))  # A read them all: u gives all back
        assert screen.status.message == f"Marked {total} articles unread again."
