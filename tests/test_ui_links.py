"""Links: o/y/1-9/L, the browser command as an argument list, refused schemes, OSC 52."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from test_ui_support import (
    make_article,
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    running,
    settle,
)
from tuinews.config import UISettings
from tuinews.ui.app import create_app
from tuinews.ui.links import browser_argv, desktop_refusal, has_graphical_session, link_refusal
from tuinews.ui.screens.link_picker import LinkPickerScreen

URL = "https://news.example/a/rss"


def test_browser_argv_keeps_the_url_one_argument() -> None:
    url = "https://e.example/a b;rm -rf ~&x=$(id)"
    assert browser_argv("w3m %u", url) == ["w3m", url]
    assert browser_argv("'my browser' --new-tab", url) == ["my browser", "--new-tab", url]
    with pytest.raises(ValueError):
        browser_argv("  ", url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:x",
        "java\tscript:alert(1)",
        "\x01javascript:x",
        "data:text/html,x",
        "file:///etc/passwd",
        "vbscript:msgbox",
    ],
)
def test_dangerous_schemes_are_refused(url: str) -> None:
    assert link_refusal(url, opening=False) is not None


def test_links_opened_need_a_scheme_and_a_valid_address() -> None:
    assert link_refusal("-oProxyCommand=id", opening=True) == "a link without a scheme"
    assert link_refusal("--help", opening=False) is None  # copied, it is only text
    assert link_refusal("http://[oops/x", opening=False) == "an invalid link"
    assert link_refusal("https://e.example/a", opening=True) is None
    with pytest.raises(ValueError):
        browser_argv("w3m %u", "-oProxyCommand=id")


def test_graphical_session_detection() -> None:
    if sys.platform in ("darwin", "win32"):
        pytest.skip("always graphical there")
    assert not has_graphical_session({})
    assert has_graphical_session({"DISPLAY": ":0"})
    assert not has_graphical_session({"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"})


async def test_o_without_a_display_copies_with_osc52(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        assert app.clipboard == "https://example.org/0"
        assert "copied" in app.screen.status.message
        assert "OSC 52" in app.screen.status.message


async def test_y_copies_the_link(tmp_path: Path) -> None:
    app = create_app(make_ctx(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "y")
        assert app.clipboard == "https://example.org/100"
        assert app.screen.status.message.startswith("Copied")


async def test_javascript_links_are_never_opened_or_copied(tmp_path: Path) -> None:
    extra = {URL: [make_article(URL, 9, title="Evil", link="javascript:alert(1)", when=None)]}
    ctx = make_ctx(tmp_path, extra=extra)
    async with running(ctx) as (app, pilot):
        await pilot.press("slash", *"evil", "enter")
        await settle(pilot)
        assert app.screen.headlines.current.title == "Evil"
        await pilot.press("o")
        assert "not opening a javascript: link" in app.screen.status.message.lower()
        await pilot.press("y")
        assert app.clipboard != "javascript:alert(1)"


async def test_invalid_and_dash_links_are_refused_without_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "argv.txt"
    script = tmp_path / "browser.py"
    script.write_text(f"import pathlib\npathlib.Path({str(out)!r}).write_text('ran')\n")
    body = "<p><a href='-oProxyCommand=id'>dash</a></p>"
    extra = {URL: [make_article(URL, 9, title="Odd", link="http://[oops/x", body=body)]}
    ctx = make_ctx(tmp_path, extra=extra, ui=UISettings(browser=f"{sys.executable} {script}"))
    async with running(ctx) as (app, pilot):
        await pilot.press("slash", *"odd", "enter")
        await settle(pilot)
        # "http://[oops" made urlsplit raise: the reader exited with a traceback.
        await pilot.press("o")
        assert "not opening an invalid link" in app.screen.status.message.lower()
        await pilot.press("y")
        assert "not copying an invalid link" in app.screen.status.message.lower()
        # A link that would be the browser's option is never given to it.
        await pilot.press("1")
        await settle(pilot)
        assert "without a scheme" in app.screen.status.message
        assert not out.exists()


async def test_a_browser_setting_naming_no_program_is_said_in_one_line(tmp_path: Path) -> None:
    # The reader went blank for good: the error left Textual's suspend() unrestored.
    missing = tmp_path / "nosuchbrowser"
    ctx = make_ctx(tmp_path, ui=UISettings(browser=f"{missing} %u"))
    async with running(ctx) as (app, pilot):
        await pilot.press("o")
        await settle(pilot)
        assert app.screen.status.message == f"Could not start {missing}: no such program"
        assert app.is_running


async def test_L_before_the_article_is_open_says_to_open_it(tmp_path: Path) -> None:
    # One pane: on a headline, L said "This article has no links." of an article with links.
    body = "<p><a href='https://one.example/'>one</a></p>"
    extra = {URL: [make_article(URL, 9, title="Linked", body=body)]}
    async with running(make_ctx(tmp_path, extra=extra), size=(80, 24)) as (app, pilot):
        await pilot.press("L")
        assert app.screen.status.message == "Open an article first."


async def test_configured_browser_gets_the_url_as_one_argument(tmp_path: Path) -> None:
    out = tmp_path / "argv.txt"
    script = tmp_path / "browser.py"
    script.write_text(
        f"import sys, pathlib\npathlib.Path({str(out)!r}).write_text('\\n'.join(sys.argv[1:]))\n"
    )
    link = "https://e.example/x?a=1&b=$(touch${IFS}pwned);c&d=`id`"
    extra = {URL: [make_article(URL, 9, title="Odd link", link=link)]}
    command = f"{sys.executable} {script} --flag %u"
    ctx = make_ctx(tmp_path, extra=extra, ui=UISettings(browser=command))
    async with running(ctx) as (_app, pilot):
        await pilot.press("slash", *"odd", "enter")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert out.read_text().split("\n") == ["--flag", link]
        assert not (tmp_path / "pwned").exists()


async def test_number_keys_and_L_pick_links_from_the_article(tmp_path: Path) -> None:
    body = (
        "<p><a href='https://one.example/'>one</a> and <a href='https://two.example/'>two</a></p>"
    )
    extra = {URL: [make_article(URL, 9, title="Two links", body=body)]}
    app = create_app(make_ctx(tmp_path, extra=extra))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"two links", "enter")
        await settle(pilot)
        await pilot.press("2")
        assert app.clipboard == "https://two.example/"  # no display: copied instead
        await pilot.press("9")
        assert "no link 9" in app.screen.status.message
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LinkPickerScreen)
        await pilot.press("y")  # copy the highlighted (first) link
        await pilot.pause()
        assert app.clipboard == "https://one.example/"
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.clipboard == "https://two.example/"
        # j/k move as in the headline list (they did nothing: Enter took the first).
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("j", "y")
        await pilot.pause()
        assert app.clipboard == "https://two.example/"
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("G", "k", "y")
        await pilot.pause()
        assert app.clipboard == "https://one.example/"


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("https://e.example/a", None),
        ("HTTP://e.example/a", None),
        ("mailto:editor@e.example", None),
        ("magnet:?xt=urn:btih:abc", None),
        ("steam://run/1", "a steam: link"),
        ("ms-msdt:/id PCWDiagnostic", "a ms-msdt: link"),
        ("smb://host/share", "a smb: link"),
    ],
)
def test_the_desktop_handler_gets_web_and_mail_links_only(url: str, refusal: str | None) -> None:
    assert desktop_refusal(url) == refusal
