"""App-wide behaviour: help generated from bindings, keymap, palette, themes, safe text."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, OptionList
from textual.widgets.input import Selection

from interpreter import fresh_output
from test_ui_support import (
    make_article,
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    running,
    settle,
)
from tuinews.config import UISettings
from tuinews.subscriptions import SubscriptionFile
from tuinews.ui.app import create_app
from tuinews.ui.bindings import MAIN_BINDINGS
from tuinews.ui.screens.help import HelpScreen, key_table
from tuinews.ui.screens.main import MainScreen

URL = "https://news.example/a/rss"


async def until(pilot: Any, condition: Callable[[], object]) -> None:
    """Pause until `condition()` holds, or 10 s have passed (a timer's turn, or the
    app's end, comes later on a busy machine than any pause of a guessed length)."""
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.05)


def test_every_binding_has_an_id_and_a_description() -> None:
    ids = [binding.id for binding in MAIN_BINDINGS]
    assert all(ids) and len(set(ids)) == len(ids)
    assert all(binding.description for binding in MAIN_BINDINGS)


async def test_help_is_generated_from_the_bindings_and_follows_the_keymap(
    tmp_path: Path,
) -> None:
    ui = UISettings(keymap={"next_unread": "N", "star": "asterisk"})
    app = create_app(make_ctx(tmp_path, ui=ui))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        table = key_table(main)
        rows = {
            str(desc): str(keys)
            for keys, desc in zip(table.columns[0]._cells, table.columns[1]._cells, strict=True)
        }
        assert rows["Next unread"] == "N"
        assert rows["Star"] == "*"
        expected = {b.group.description if b.group else b.description for b in MAIN_BINDINGS}
        assert set(rows) == expected
        assert rows["Open link n of the article"] == "1 2 3 4 5 6 7 8 9"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        # The rebound key works, and the old one no longer does.
        await pilot.press("n")
        assert main.headlines.cursor == 0
        await pilot.press("asterisk")
        await settle(pilot)
        assert main.headlines.current.starred


async def test_every_action_is_in_the_command_palette(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Theme", "Next unread", "Refresh all", "Search", "Add feed"} <= titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Star")
        # The palette searches in the background: wait until "Star" is the first hit.
        for _ in range(250):
            await pilot.pause(0.02)
            options = app.screen.query(OptionList)
            if (
                options
                and options.first().option_count
                and "Star" in str(options.first().get_option_at_index(0).prompt)
            ):
                break
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.headlines.current.starred


async def test_theme_from_config_and_a_new_choice_is_saved(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, ui=UISettings(theme="nord"))
    async with running(ctx) as (app, pilot):
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await settle(pilot)
        assert 'theme = "gruvbox"' in ctx.config_path.read_text()
        assert SubscriptionFile(ctx.config_path).load() == []


async def test_feed_text_is_never_markup(tmp_path: Path) -> None:
    nasty = "[bold]x[/bold] [link=http://e]click[/link] [red"
    extra = {URL: [make_article(URL, 9, title=nasty, body="<p>[i]body[/i]</p>")]}
    app = create_app(make_ctx(tmp_path, extra=extra, hint="[b]hint[/b]"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"click", "enter")
        await settle(pilot)
        main = app.screen
        row = main.headlines.render_row(0, 110, False).text
        assert nasty in row
        text = "\n".join(line.text for line in main.reader.lines)
        assert nasty in text and "[i]body[/i]" in text
        assert main.status.message == "[b]hint[/b]" or "search" in str(
            main.query_one("#list-box").border_title
        )
        assert nasty in str(main.headlines.current.title)


async def test_unread_and_star_marks_do_not_rely_on_colour(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path, ui=UISettings(mark_read="manual")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        await pilot.press("s", "j", "m")
        await settle(pilot)
        starred_unread = main.headlines.render_row(0, 110, False).text
        read = main.headlines.render_row(1, 110, False).text
        assert starred_unread.startswith("●★")
        assert read.startswith("  ")


async def test_search_words_and_feed_titles_in_the_list_title_are_not_markup(
    tmp_path: Path,
) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#words").value = "[red]story"
        await pilot.press("enter")
        await settle(pilot)
        title = app.screen.query_one("#list-box")._border_title
        assert "[red]story" in title.plain


def test_importing_the_app_leaves_render_and_refresh_for_later() -> None:
    code = (
        "import sys\n"
        "import tuinews.ui.app\n"
        "heavy = ['httpx', 'lxml', 'feedparser', 'tuinews.render', 'tuinews.refresh.engine']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = fresh_output(code)
    assert out == ""


async def test_o_with_a_display_opens_the_system_browser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert opened == ["https://example.org/0"]
        assert app.screen.status.message == "Opened https://example.org/0"


async def test_o_gives_the_system_browser_no_link_of_another_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed's `steam:` or `ms-msdt:` link went to whatever program registered the
    scheme, which the user never sees (such handlers have run code from crafted links)."""
    opened: list[str] = []
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_url("steam://run/1")
        await settle(pilot)
        assert opened == []
        assert app.screen.status.message == (
            "Not opening a steam: link (only web and mail links; y copies it): steam://run/1"
        )


async def test_an_unknown_theme_is_reported_not_fatal(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path, ui=UISettings(theme="no-such-theme")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Unknown theme 'no-such-theme'" in app.screen.status.message
        assert app.theme == "textual-dark"


async def test_an_unknown_keymap_name_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tuinews.ui.app as app_module

    monkeypatch.setattr(app_module, "KEYMAP_CHECK_DELAY", 0.01)
    keymap = {"star": "S", "nonexistent": "x", "dialog.yes": "Y"}
    app = create_app(make_ctx(tmp_path, ui=UISettings(keymap=keymap)))
    async with app.run_test(size=(80, 24)) as pilot:
        said = "No such key binding in [keymap] of the config: nonexistent"
        await until(pilot, lambda: app.screen.status.message == said)
        assert app.screen.status.message == said
        await pilot.press("S")  # the known ones are rebound all the same
        await settle(pilot)
        assert app.screen.headlines.current.starred


async def test_keymap_warnings_from_the_settings_file_are_shown_by_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings file's own lines (with line numbers and a suggestion), which the
    commands keep quiet about: a key binding matters only here."""
    import tuinews.ui.app as app_module
    from tuinews.config import load_config

    monkeypatch.setattr(app_module, "KEYMAP_CHECK_DELAY", 0.01)
    settings = tmp_path / "settings.toml"
    settings.write_text('[keymap]\nnext_unred = "n"\nzzz = "z"\n')
    ui = load_config(settings).ui
    app = create_app(make_ctx(tmp_path, ui=ui))
    async with app.run_test(size=(80, 24)) as pilot:
        said = (
            f"{settings}:2: keymap.next_unred: no such key binding (did you mean next_unread?);"
            " ignored (and 1 more)"
        )
        await until(pilot, lambda: app.screen.status.message == said)
        assert app.screen.status.message == said


async def test_ctrl_c_quits_as_in_newsboat(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("/", "a", "b")
        box = app.screen.focused
        assert isinstance(box, Input)
        box.selection = Selection(0, 2)
        await pilot.press("ctrl+c")  # text selected in the search box: copied
        await pilot.pause(0.1)
        assert app.is_running and app.clipboard == "ab"
        await pilot.press("escape", "ctrl+c")
        await until(pilot, lambda: not app.is_running)
        assert not app.is_running


@pytest.mark.parametrize("keys", [("i",), ("question_mark",), ("slash",), ("enter", "L")])
async def test_ctrl_c_quits_from_every_pop_up_screen(tmp_path: Path, keys: tuple[str, ...]) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        assert app.screen is not app.main  # a pop-up: it used to keep Ctrl-C to itself
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not app.is_running)
        assert not app.is_running
