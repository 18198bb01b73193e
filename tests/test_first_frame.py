"""The first frame drawn before Textual loads (`tuinews.ui.first_frame`).

It must look exactly like the screen Textual then draws over it: the real script runs in
a pseudo-terminal, a terminal emulator (pyte) reads what it wrote, and the frame is
compared cell by cell (character, colours, bold, reverse) with Textual's screen. Also:
its layout against Textual's at many sizes, the shipped colour table against the app,
keys pressed while it shows, and the terminal left as it was found.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_ui_support import make_ctx, running
from tuinews.ui import first_frame
from tuinews.ui.first_frame import DEFAULT_TABLE, detect_color_system, layout

pyte = pytest.importorskip("pyte")
pexpect = pytest.importorskip("pexpect")

TEXTUAL_STARTED = b"\x1b[?1000h"  # Textual's first write (mouse on); the frame never sends it


def _script() -> str:
    return str(Path(sys.executable).with_name("tuinews"))


def _rss(title: str, items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{headline}</title><guid>{title}-{n}</guid><link>http://example.org/{n}</link>"
        f"<pubDate>{date}</pubDate><description>Body {n}</description></item>"
        for n, (headline, date) in enumerate(items)
    )
    return f'<rss version="2.0"><channel><title>{title}</title>{entries}</channel></rss>'


def _refreshed(config: Path, store: Path) -> dict[str, str]:
    """The environment of a reader on `config` and `store`, in a 256-colour terminal,
    after the real command refreshed them."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env.update(
        TUINEWS_CONFIG=str(config),
        TUINEWS_DB=str(store),
        TERM="xterm-256color",
        TEXTUAL_ANIMATIONS="none",
    )
    env.pop("TUINEWS_TESTING", None)
    subprocess.run([_script(), "refresh", "--quiet"], env=env, check=False, timeout=60)
    return env


@pytest.fixture
def reader_home(isolated_home: Path, tmp_path: Path) -> dict[str, str]:
    """Subscriptions to local feed files (tagged, untagged, one missing: a failed feed),
    refreshed by the real command; some articles read, one starred."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    days = [f"Mon, {d:02d} Mar 2026 10:00:00 +0000" for d in range(28, 0, -1)]
    alpha = [(f"Alpha story {n} about ünïcode and 漢字", days[n]) for n in range(14)]
    (feeds / "alpha.xml").write_text(_rss("Alpha News", alpha))
    (feeds / "beta.xml").write_text(
        _rss("Beta Daily with a rather long feed title", [(f"Beta {n}", days[n]) for n in range(9)])
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[feeds]]\nurl = "{feeds / "alpha.xml"}"\ntags = ["news"]\n\n'
        f'[[feeds]]\nurl = "{feeds / "beta.xml"}"\n\n'
        f'[[feeds]]\nurl = "{feeds / "missing.xml"}"\ntitle = "Gone"\ntags = ["news"]\n'
    )
    env = _refreshed(config, tmp_path / "store.db")
    from tuinews.store import Store, View

    with Store.open(tmp_path / "store.db") as store:
        rows = store.headlines(View(), limit=50)
        store.set_read([rows[1].pk, rows[4].pk], True)
        store.set_starred(rows[2].pk, True)
    return env


def _run(
    env: dict[str, str], size: tuple[int, int], keys: bytes = b"", quit: bytes = b"q"
) -> bytes:
    """Start the reader, let it settle (long enough to save its colours), quit; all output."""
    columns, rows = size
    child = pexpect.spawn(_script(), env=env, dimensions=(rows, columns), timeout=30)
    out = b""
    deadline = time.monotonic() + 30
    if keys:
        while TEXTUAL_STARTED not in out and b"\x1b[?1049h" not in out:
            out += child.read_nonblocking(65536, timeout=10)
        child.send(keys)
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        try:
            chunk = child.read_nonblocking(65536, timeout=0.2)
        except pexpect.TIMEOUT:
            if TEXTUAL_STARTED in out and time.monotonic() - quiet_since > 1.6:
                break
            continue
        out += chunk
        quiet_since = time.monotonic()
    child.send(quit)
    child.expect(pexpect.EOF, timeout=10)
    child.close()
    return out  # up to the quit: what was on the screen then


def _screen(data: bytes, size: tuple[int, int]) -> Any:
    screen = pyte.Screen(*size)
    stream = pyte.ByteStream(screen)
    stream.feed(data)
    return screen


def _cell(screen: Any, x: int, y: int) -> tuple[object, ...]:
    """What the cell looks like (the colour of a blank's text cannot be seen)."""
    char = screen.buffer[y][x]
    fg = None if char.data == " " and not char.reverse and not char.underscore else char.fg
    return (char.data, fg, char.bg, char.bold, char.reverse)


def _compare(frame: Any, final: Any, cells: list[tuple[int, int]]) -> list[str]:
    return [
        f"({x},{y}) frame {_cell(frame, x, y)} textual {_cell(final, x, y)}"
        for x, y in cells
        if _cell(frame, x, y) != _cell(final, x, y)
    ]


def _drawn_cells(size: tuple[int, int], *, footer: bool) -> list[tuple[int, int]]:
    """Every cell of the frame except the reader pane's inside (it fills in later) and,
    without a saved footer, the footer."""
    columns, rows = size
    where = layout(columns, rows)
    inside = where.reader_box
    cells = []
    for y in range(rows if footer else rows - 1):
        for x in range(columns):
            in_reader = inside is not None and (
                inside.x < x < inside.x + inside.width - 1
                and inside.y < y < inside.y + inside.height - 1
            )
            if in_reader:
                continue
            cells.append((x, y))
    return cells


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24), (150, 50)])
def test_the_frame_is_the_screen_textual_draws(
    reader_home: dict[str, str], size: tuple[int, int]
) -> None:
    first = _run(reader_home, size)
    assert first.startswith(b"\x1b[?1049h"), "no first frame was drawn"
    frame_bytes = first.split(TEXTUAL_STARTED, 1)[0]
    assert b"Alpha story 0" in frame_bytes
    frame, final = _screen(frame_bytes, size), _screen(first, size)
    assert _compare(frame, final, _drawn_cells(size, footer=False)) == []
    # The run saved its footer: the next start draws it too, also as Textual does.
    second = _run(reader_home, size)
    frame = _screen(second.split(TEXTUAL_STARTED, 1)[0], size)
    assert _compare(frame, _screen(second, size), _drawn_cells(size, footer=True)) == []


@pytest.mark.parametrize(
    ("change", "marker"),
    [({"COLORTERM": "truecolor"}, b"38;2;"), ({"TERM": "xterm"}, b"\x1b[3")],
    ids=["truecolor", "16 colours"],
)
def test_other_colour_terminals_get_the_same_frame(
    reader_home: dict[str, str], change: dict[str, str], marker: bytes
) -> None:
    env = dict(reader_home, **change)
    size = (120, 40)
    out = _run(env, size)
    frame_bytes = out.split(TEXTUAL_STARTED, 1)[0]
    assert marker in frame_bytes and b"38;5;" not in frame_bytes
    frame = _screen(frame_bytes, size)
    assert _compare(frame, _screen(out, size), _drawn_cells(size, footer=False)) == []


def test_keys_pressed_during_the_frame_are_not_lost_nor_echoed(
    reader_home: dict[str, str],
) -> None:
    size = (120, 40)
    out = _run(reader_home, size, keys=b"jj")
    # Not echoed onto the frame while Textual loaded (the frame itself has no "jj").
    assert b"jj" not in out.split(TEXTUAL_STARTED, 1)[0]
    screen = _screen(out, size)
    # Two rows down: the reader shows the third headline.
    reader = "\n".join(screen.display[layout(*size).reader_box.y :])  # type: ignore[union-attr]
    from tuinews.store import Store, View

    with Store.open(Path(reader_home["TUINEWS_DB"])) as store:
        third = store.headlines(View(), limit=3)[2].title
    assert third in reader


def test_a_search_typed_during_the_frame_is_searched(reader_home: dict[str, str]) -> None:
    """`/beta` Enter typed while the frame shows reaches Textual in one read: the words go
    into the search prompt and Enter searches them (the terminal used to turn that Enter
    into Ctrl+J, which the prompt ignores)."""
    size = (120, 40)
    out = _run(reader_home, size, keys=b"/beta\r", quit=b"\x03")  # Ctrl-C quits anywhere
    screen = _screen(out, size)
    assert "search “beta” (9)" in screen.display[0]


def test_the_terminal_is_left_as_it_was(reader_home: dict[str, str]) -> None:
    """Echo and line editing come back after the reader exits (Textual restores what it
    found, and it found the frame's settings: the frame's own copy wins)."""
    shell = pexpect.spawn(
        "/bin/sh", ["-c", f"{_script()}; stty -a"], env=reader_home, dimensions=(40, 120)
    )
    out = b""
    while TEXTUAL_STARTED not in out:
        out += shell.read_nonblocking(65536, timeout=20)
    time.sleep(0.3)
    shell.send(b"q")
    shell.expect(pexpect.EOF, timeout=20)
    settings = (out + (shell.before or b"")).decode(errors="replace").rsplit("speed", 1)[-1]
    words = set(settings.split())
    assert {"echo", "icanon"} <= words, settings
    assert not {"-echo", "-icanon"} & words, settings


@pytest.mark.parametrize(
    "change",
    [{"NO_COLOR": "1"}, {"TERM": "dumb"}, {"TUINEWS_FIRST_FRAME": "0"}],
)
def test_no_frame_when_it_could_differ(reader_home: dict[str, str], change: dict[str, str]) -> None:
    child = pexpect.spawn(_script(), env=dict(reader_home, **change), dimensions=(40, 120))
    out = b""
    while b"\x1b[?1000h" not in out:
        out += child.read_nonblocking(65536, timeout=20)
    child.send(b"q")
    child.expect(pexpect.EOF, timeout=20)
    assert b"Alpha story" not in out.split(b"\x1b[?1000h", 1)[0]


@pytest.mark.parametrize(
    "environ",
    [
        {"TERM": "xterm-256color"},
        {"TERM": "xterm"},
        {"TERM": "screen-256color", "COLORTERM": "truecolor"},
        {"TERM": "xterm-kitty"},
        {"TERM": "rxvt-16color"},
        {"TERM": "linux", "COLORTERM": "24bit"},
        {"TERM": "tmux-256color", "COLORTERM": "yes"},
    ],
)
def test_colour_detection_is_rich_s(environ: dict[str, str]) -> None:
    from rich.console import Console

    console = Console(force_terminal=True, _environ=environ)
    assert detect_color_system(environ) == console.color_system


@pytest.mark.parametrize("size", [(80, 25), (100, 31), (119, 44), (120, 33), (160, 57), (79, 30)])
async def test_layout_is_textual_s(tmp_path: Path, size: tuple[int, int]) -> None:
    async with running(make_ctx(tmp_path), size=size) as (app, _pilot):
        screen = app.main
        where = layout(*size)
        got = {
            "list": screen.query_one("#list-box").region,
            "sidebar": screen.sidebar.region,
            "reader": screen.query_one("#reader-box").region,
        }
        expected = {
            "list": where.list_box,
            "sidebar": where.sidebar,
            "reader": where.reader_box,
        }
        for name, box in expected.items():
            region = got[name]
            shown = (region.x, region.y, region.width, region.height)
            assert shown == ((box.x, box.y, box.width, box.height) if box else (0, 0, 0, 0)), name
        assert screen.status.region.y == where.status_y


async def test_the_shipped_colours_are_the_app_s(tmp_path: Path) -> None:
    """first_frame_default.json is what the app captures for the default theme.
    TUINEWS_WRITE_FIRST_FRAME_TABLE=1 rewrites it (after a change of the look)."""
    from tuinews.ui.first_frame_capture import default_table, style_table

    async with running(make_ctx(tmp_path), size=(120, 40)) as (app, _pilot):
        table = default_table(style_table(app.main, app.theme, "[]", None))
    if os.environ.get("TUINEWS_WRITE_FIRST_FRAME_TABLE") == "1":
        DEFAULT_TABLE.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
    assert json.loads(DEFAULT_TABLE.read_text()) == table


async def test_no_colours_are_captured_from_a_pane_being_taken_down(tmp_path: Path) -> None:
    """The capture runs on a timer. Fired while the app was quitting, it read the styles
    of a list already taken down, and the reader ended with a KeyError (seen in CI)."""
    from tuinews import paths

    async with running(make_ctx(tmp_path), size=(120, 40)) as (app, pilot):
        await app.main.headlines.remove()
        await pilot.pause()
        # On a slow machine the timer may have fired before the removal, and rightly
        # saved the colours then: only what is saved from now on counts.
        await app.workers.wait_for_complete()
        for saved in paths.cache_dir().glob("first-frame*"):
            saved.unlink()
        app._save_first_frame_styles()  # as the timer would
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert not list(paths.cache_dir().glob("first-frame*"))


def test_the_scrollbar_is_textual_s() -> None:
    from textual.scrollbar import ScrollBarRender

    for size, virtual in [(13, 10_000), (13, 45), (13, 14), (13, 13), (13, 5), (20, 31)]:
        window = size if size < virtual else 0
        segments = list(ScrollBarRender.render_bar(size, virtual, window, 0).segments)
        cells = [s for s in segments if s.text != "\n"]
        ours = first_frame.scrollbar_cells(size, virtual, size)
        assert [glyph for glyph, _ in ours] == [s.text for s in cells], (size, virtual)


def _frame_and_screen(env: dict[str, str], size: tuple[int, int]) -> tuple[Any, Any, bytes]:
    out = _run(env, size)
    frame_bytes = out.split(TEXTUAL_STARTED, 1)[0]
    return _screen(frame_bytes, size), _screen(out, size), frame_bytes


def test_without_the_launch_cache_the_frame_comes_after_the_settings(
    reader_home: dict[str, str], isolated_home: Path
) -> None:
    """No record of the settings (a first start, another TUINEWS_CONFIG): the frame is
    drawn once the settings are read, and is as exact."""
    launch = isolated_home / "cache" / "tuinews" / "launch.json"
    launch.unlink()
    size = (120, 40)
    frame, final, frame_bytes = _frame_and_screen(reader_home, size)
    assert b"Alpha story 0" in frame_bytes
    assert _compare(frame, final, _drawn_cells(size, footer=False)) == []
    assert launch.exists()  # kept for the next start


def test_edited_settings_are_never_drawn_stale(
    reader_home: dict[str, str], isolated_home: Path
) -> None:
    """The launch record names the settings file's size and time: after an edit the
    frame follows the file (here, feeds in a new order), as the reader does."""
    size = (120, 40)
    config = Path(reader_home["TUINEWS_CONFIG"])
    blocks = config.read_text().strip().split("\n\n")
    config.write_text("\n\n".join([blocks[2], blocks[1], blocks[0]]) + "\n")
    frame, final, _ = _frame_and_screen(reader_home, size)
    sidebar = [line[:30] for line in frame.display]
    assert "Gone" in sidebar[5] and "Alpha News" in sidebar[6], sidebar[:8]
    assert _compare(frame, final, _drawn_cells(size, footer=False)) == []


def test_no_frame_when_the_reader_must_first_write(reader_home: dict[str, str]) -> None:
    """A renamed feed is written to the store before the reader's first screen: the
    frame would show the old name, so none is drawn."""
    config = Path(reader_home["TUINEWS_CONFIG"])
    config.write_text(config.read_text().replace('title = "Gone"', 'title = "Renamed"'))
    out = _run(reader_home, (120, 40))
    assert b"Alpha story" not in out.split(TEXTUAL_STARTED, 1)[0]
    assert "Renamed" in "\n".join(_screen(out, (120, 40)).display)


def _plain(data: bytes) -> bytes:
    import re

    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", data)


def test_the_launch_record_matches_only_the_same_files(tmp_path: Path) -> None:
    from tuinews.config import Config
    from tuinews.model import Subscription
    from tuinews.ui.launch_cache import read_launch, remember_launch

    config_path, store_path = tmp_path / "config.toml", tmp_path / "store.db"
    config_path.write_text("# settings\n")
    config = Config(feeds=(Subscription("https://example.org/feed", "Example", ("news",)),))
    remember_launch(tmp_path, config_path, store_path, config)
    launch = read_launch(tmp_path, config_path, store_path)
    assert launch is not None
    assert launch.feeds == [("https://example.org/feed", "Example", ("news",))]
    assert read_launch(tmp_path, tmp_path / "other.toml", store_path) is None
    assert read_launch(tmp_path, config_path, tmp_path / "other.db") is None
    config_path.write_text("# settings, edited\n")
    assert read_launch(tmp_path, config_path, store_path) is None


def test_the_sample_feeds_frame_with_its_hint(isolated_home: Path) -> None:
    """A fresh machine: the sample feeds, and the hint in the status line, as Textual
    draws them."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env.update(TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
    env.pop("TUINEWS_TESTING", None)
    size = (120, 40)
    frame, final, frame_bytes = _frame_and_screen(env, size)
    assert b"No subscriptions yet" in _plain(frame_bytes)
    assert _compare(frame, final, _drawn_cells(size, footer=False)) == []


def test_a_tampered_colour_cache_never_reaches_the_terminal(tmp_path: Path) -> None:
    """The saved table is read like any outside input: escape sequences in it (a code
    that is not digits and semicolons, a footer text with controls) are refused."""
    from tuinews.ui.first_frame import load_styles

    table = json.loads(DEFAULT_TABLE.read_text())
    cache = tmp_path / "first-frame.json"
    good_footer = [[" ? ", "1;38;5;214"], ["Help ", ""]]
    table["footers"] = {"256": {"120": good_footer, "100": [["\x1b]52;c;evil\x07", ""]]}}
    table["keymap"] = "[]"
    cache.write_text(json.dumps(table))
    styles = load_styles("textual-dark", "256", cache)
    assert styles is not None
    assert styles.footers == {"120": good_footer}
    table["sgr"]["256"]["list.plain"] = "0m\x1b]0;owned\x07\x1b[1"
    cache.write_text(json.dumps(table))
    styles = load_styles("textual-dark", "256", cache)
    assert styles is not None and styles.footers == {}  # fell back to the shipped table
    assert all(code.replace(";", "").isdigit() or code == "" for code in styles.sgr.values())


@pytest.fixture
def untitled_home(isolated_home: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Feeds on one loopback host known only by their address: two that name themselves
    by their own URL (so the store names them, and their articles, by it) and a failing
    one with credentials in its URL; refreshed by the real command."""
    from feedserver import FeedServer, rss, static, status

    with FeedServer() as server:
        urls = [server.url(f"/{name}.xml") for name in ("alpha", "beta")]
        for url, items in zip(urls, (4, 3), strict=True):
            server.route(url.rpartition(server.url(""))[2], static(rss(items, title=url)))
        server.route("/fail500.xml", status(500))
        failing = server.url("/fail500.xml", host="user:secret@127.0.0.1")
        config = tmp_path / "config.toml"
        config.write_text("".join(f'[[feeds]]\nurl = "{url}"\n\n' for url in [*urls, failing]))
        proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("NO_COLOR", "COLORTERM", "TUINEWS_TESTING") and k.lower() not in proxies
        }
        env.update(
            TUINEWS_CONFIG=str(config),
            TUINEWS_DB=str(tmp_path / "store.db"),
            TERM="xterm-256color",
            TEXTUAL_ANIMATIONS="none",
        )
        subprocess.run([_script(), "refresh", "--quiet"], env=env, check=False, timeout=60)
        yield env


@pytest.mark.parametrize("size", [(120, 40), (150, 50)])
def test_untitled_feeds_are_framed_by_their_address_as_textual_shows_them(
    untitled_home: dict[str, str], size: tuple[int, int]
) -> None:
    """The sidebar and the headlines' feed column show an untitled feed as its host and
    the end of its path, fitted (feeds on one host differ), in the frame as on the live
    screen; never its credentials, never the raw URL."""
    frame, final, frame_bytes = _frame_and_screen(untitled_home, size)
    assert b"item 4 v0" in frame_bytes, "no first frame was drawn"
    assert _compare(frame, final, _drawn_cells(size, footer=False)) == []
    where = layout(*size)
    assert where.sidebar is not None
    lines = final.display[: where.list_box.height]
    sidebar = [line[1 : where.sidebar.width - 1].rstrip() for line in lines]
    assert sidebar[5].startswith("  127.0.0.1:") and sidebar[5].endswith("…/alpha.xml 4")
    assert sidebar[6].startswith("  127.0.0.1:") and sidebar[6].endswith("…/beta.xml 3")
    assert sidebar[7].startswith("! 127.0.0.1:") and sidebar[7].endswith("…/fail500.xml")
    headlines = [line[where.list_box.x :] for line in lines[1:8]]
    assert sum("…/alpha.xml " in line for line in headlines) == 4, headlines
    assert sum("…/beta.xml " in line for line in headlines) == 3, headlines
    panes = "\n".join(lines)
    assert "http" not in panes and "secret" not in panes and "user" not in panes


@pytest.fixture
def odd_home(isolated_home: Path, tmp_path: Path) -> dict[str, str]:
    """A feed whose title and headlines hold astral noncharacters and unassigned code
    points (U+1FFFE, U+E0080, U+10FFFF, U+1FFFD), beside a plain one and a failing one
    (the status line names it); refreshed by the real command."""
    from hostile import ODD_ASTRAL

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    days = [f"Mon, {d:02d} Mar 2026 10:00:00 +0000" for d in range(28, 0, -1)]
    odd = [(f"Odd{ODD_ASTRAL} story {n} 😀", days[n]) for n in range(6)]
    (feeds / "odd.xml").write_text(_rss(f"Odd{ODD_ASTRAL}feed", odd), encoding="utf-8")
    (feeds / "plain.xml").write_text(_rss("Plain", [("Plain story", days[9])]))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[feeds]]\nurl = "{feeds / "odd.xml"}"\ntags = ["n{ODD_ASTRAL}ews"]\n\n'
        f'[[feeds]]\nurl = "{feeds / "plain.xml"}"\n\n'
        f'[[feeds]]\nurl = "{feeds / "missing.xml"}"\ntitle = "Gone{ODD_ASTRAL}"\n',
        encoding="utf-8",
    )
    return _refreshed(config, tmp_path / "store.db")


def test_astral_noncharacters_are_framed_as_textual_draws_them(odd_home: dict[str, str]) -> None:
    """Rich counts a cell for U+1FFFE where tmux draws none: the frame wrote them, and
    its rows' borders landed off (a row is written from its first column on, the
    panes' borders included). Both draw U+FFFD instead, cell for cell alike."""
    from hostile import undrawable

    size = (120, 40)
    frame, final, frame_bytes = _frame_and_screen(odd_home, size)
    assert "story 0 😀".encode() in frame_bytes, "no first frame was drawn"
    drawn = frame_bytes.decode()
    assert not undrawable(drawn)
    assert "Odd\ufffd\ufffd\ufffd\ufffd story 0" in drawn
    assert "Gone\ufffd\ufffd\ufffd\ufffd" in drawn  # the failing feed, on the status line
    assert _compare(frame, final, _drawn_cells(size, footer=False)) == []
