"""The first frame, drawn straight from the store before Textual has loaded.

Importing and starting Textual takes a few hundred milliseconds; the store answers the
first screen's three queries in a few. So the reader draws the screen Textual is about to
draw (same layout, same rows from `tuinews.ui.rows`, same colours, captured from the
running app by `first_frame_capture`) as soon as the store has answered, and Textual then
paints over it. Keys pressed meanwhile wait in the terminal (echo is off) and are handled
once the app runs. The reader pane, and on a first run the footer, fill in when Textual
is up.

Nothing here imports Textual, Rich's console, the model or dataclasses: a bare `tuinews`
draws the frame from `quick_first_frame` before the command line is even parsed, with
the settings it needs from a small cache the commands keep (`remember_launch`; valid
while the settings file is unchanged). Whenever the frame could differ from Textual's (an
unknown theme, colours turned off, a store that needs a write first, a terminal too
small) no frame is drawn and the start is as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import termios
from math import ceil
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from rich.cells import cell_len

from tuinews.sources.sanitize import clean_line, drawable
from tuinews.ui.launch_cache import keymap_signature
from tuinews.ui.rows import (
    Run,
    entry_count,
    failing_line,
    headline_runs,
    is_failing,
    sidebar_rows,
    sidebar_runs,
    truncate_runs,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Literal

    from tuinews.store.first_screen import FirstScreen
    from tuinews.ui.context import AppContext
    from tuinews.ui.launch_cache import FeedRef

    ColorSystem = Literal["truecolor", "256", "standard"]
    LayoutMode = Literal["wide", "medium", "narrow"]

FORMAT = 1  # of the style tables; a table of another format is ignored
DEFAULT_TABLE = Path(__file__).with_name("first_frame_default.json")
CACHE_NAME = "first-frame.json"

SIDEBAR_WIDTH = 30  # app.tcss #sidebar
LIST_SHARE, READER_SHARE = 2, 3  # app.tcss: #list-box 2fr, #reader-box 3fr


class Box(NamedTuple):
    x: int
    y: int
    width: int
    height: int


class Layout(NamedTuple):
    """Where the main screen's boxes are; the same rules as `MainCore._apply_layout`
    and app.tcss (a test compares them with Textual's layout at many sizes)."""

    mode: LayoutMode
    list_box: Box
    sidebar: Box | None
    reader_box: Box | None
    status_y: int
    footer_y: int


def layout_mode(width: int, height: int) -> LayoutMode:
    """Three panes from 120 columns, two from 80, else one at a time (also at 24 rows
    or fewer)."""
    if width < 80 or height <= 24:
        return "narrow"
    return "medium" if width < 120 else "wide"


def layout(width: int, height: int) -> Layout:
    mode = layout_mode(width, height)
    panes = height - 2  # the status line and the footer
    if mode == "narrow":
        return Layout(mode, Box(0, 0, width, panes), None, None, panes, panes + 1)
    sidebar = Box(0, 0, SIDEBAR_WIDTH, panes) if mode == "wide" else None
    x = SIDEBAR_WIDTH if sidebar else 0
    # Textual places fr-sized boxes at the floor of their running total.
    list_height = panes * LIST_SHARE // (LIST_SHARE + READER_SHARE)
    list_box = Box(x, 0, width - x, list_height)
    reader = Box(x, list_height, width - x, panes - list_height)
    return Layout(mode, list_box, sidebar, reader, panes, panes + 1)


def detect_color_system(environ: Mapping[str, str]) -> ColorSystem | None:
    """The colours Textual will use (Rich's rules), or None when the frame must not be
    drawn: colours off or forced, a dumb terminal, another driver."""
    if any(
        environ.get(name)
        for name in ("NO_COLOR", "FORCE_COLOR", "TEXTUAL_COLOR_SYSTEM", "TEXTUAL_DRIVER")
    ):
        return None
    if environ.get("TEXTUAL", "") or environ.get("TTY_COMPATIBLE") is not None:
        return None  # devtools or a forced terminal mode: not the plain start
    color_term = environ.get("COLORTERM", "").strip().lower()
    if color_term in ("truecolor", "24bit"):
        return "truecolor"
    term = environ.get("TERM", "").strip().lower()
    if term in ("", "dumb", "unknown"):
        return None
    colors = term.rpartition("-")[2]
    return "256" if colors in ("256color", "kitty") else "standard"


def load_styles(
    theme: str, color_system: ColorSystem, cache: Path, keymap: str = "[]"
) -> FrameStyles | None:
    """The style table of `theme`: the one the app saved last time, else the one
    shipped for the default theme; None when neither fits. Saved footers count only
    for the same key bindings."""
    for path in (cache, DEFAULT_TABLE):
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(table, dict) or table.get("format") != FORMAT:
            continue
        if table.get("theme") != theme:
            continue
        sgr = table.get("sgr", {}).get(color_system)
        if not isinstance(sgr, dict) or not all(map(_is_sgr, sgr.values())):
            continue
        footers = table.get("footers", {}).get(color_system, {})
        if table.get("keymap") != keymap or not isinstance(footers, dict):
            footers = {}
        safe = {width: runs for width, runs in footers.items() if _is_footer(runs)}
        return FrameStyles(sgr, safe)
    return None


# What is written to the terminal from the cache is checked like anything from outside:
# SGR parameters are digits and semicolons, footer text is printable (no escapes).
def _is_sgr(code: object) -> bool:
    return isinstance(code, str) and all(ch.isdigit() or ch == ";" for ch in code)


def _is_footer(runs: object) -> bool:
    return isinstance(runs, list) and all(
        isinstance(run, list)
        and len(run) == 2
        and isinstance(run[0], str)
        and run[0].isprintable()
        and _is_sgr(run[1])
        for run in runs
    )


class FrameStyles(NamedTuple):
    sgr: dict[str, str]  # role -> SGR parameters ("" for none)
    # Footer lines by width, as [text, sgr] runs: the app saves the one it drew.
    footers: dict[str, list[list[str]]]


class FirstFrame:
    """A frame on the screen: the terminal is in the alternate screen with echo off
    until Textual takes over; `restore` puts the terminal back as it was."""

    def __init__(self, fd: int, saved: list[Any] | None) -> None:
        self.fd = fd
        self.saved = saved
        self.handed_over = False  # Textual's driver has taken the screen
        self._restored = False

    def restore(self) -> None:
        if self._restored:
            return
        self._restored = True
        if not self.handed_over:
            # Textual never started (an error, Ctrl+C while loading): leave our screen.
            _write(self.fd, "\x1b[?25h\x1b[?1049l")
        if self.saved is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


def draw_first_frame(ctx: AppContext, cache_dir: Path) -> FirstFrame | None:
    """Draw the first frame for `ctx` on standard output; None when it was not drawn."""
    color_system = _frame_colors()
    if color_system is None:
        return None
    keymap = keymap_signature(ctx.config.ui.keymap)
    subs = [(sub.url, sub.title, tuple(sub.tags)) for sub in ctx.subscriptions]
    theme = ctx.config.ui.theme
    return _draw(str(ctx.store_path), subs, theme, keymap, ctx.hint, cache_dir, color_system)


# ---- the quick start: a bare `tuinews`, before anything else is loaded -----------------


def quick_first_frame() -> FirstFrame | None:
    """The first frame of a bare `tuinews`, from the launch cache; None when the cache
    does not describe the settings file as it is now (or no frame could be drawn)."""
    color_system = _frame_colors()
    if color_system is None:
        return None
    from tuinews import paths
    from tuinews.errors import UnknownHome
    from tuinews.ui.launch_cache import read_launch

    cache_dir = paths.cache_dir()
    try:
        settings, store = paths.config_file(), paths.db_file()
    except UnknownHome:
        return None  # `~NAME/…` naming no user: the command itself says so, in one line
    launch = read_launch(cache_dir, settings, store)
    if launch is None or not launch.feeds:
        return None  # no feeds: the sample store may be loaded again before the start
    return _draw(
        launch.store, launch.feeds, launch.theme, launch.keymap, None, cache_dir, color_system
    )


# ---- drawing ---------------------------------------------------------------------------


def _frame_colors() -> ColorSystem | None:
    """The colours of a frame on this terminal; None when no frame is to be drawn."""
    if os.environ.get("TUINEWS_FIRST_FRAME", "1") == "0" or sys.platform == "win32":
        return None
    if not (os.isatty(sys.stdout.fileno()) and sys.stdin.isatty()):
        return None
    return detect_color_system(os.environ)


def _draw(
    store_path: str,
    subs: Sequence[FeedRef],
    theme: str,
    keymap: str,
    hint: str | None,
    cache_dir: Path,
    color_system: ColorSystem,
) -> FirstFrame | None:
    fd = sys.stdout.fileno()
    styles = load_styles(theme, color_system, cache_dir / CACHE_NAME, keymap)
    if styles is None:
        return None
    try:
        width, height = os.get_terminal_size(fd)
    except OSError:
        return None
    if width < 40 or height < 10:
        return None
    where = layout(width, height)
    data = _read_store(store_path, subs, where)
    if data is None:
        return None
    try:
        text = _frame_text(where, width, data, styles, hint)
    except KeyError:
        return None  # a saved table from a layout without some pane
    try:
        saved: list[Any] | None = termios.tcgetattr(fd)
    except termios.error:
        saved = None
    if saved is not None:
        quiet = list(saved)
        # Keys pressed before Textual reads them stay queued, unechoed, and as Textual
        # would have read them: no Enter turned into Ctrl+J (ICRNL), no Ctrl+S/Ctrl+Q
        # taken for flow control (Textual's own raw mode clears the same input flags).
        quiet[3] = quiet[3] & ~(termios.ECHO | termios.ICANON)
        quiet[0] = quiet[0] & ~(
            termios.ICRNL | termios.INLCR | termios.IGNCR | termios.IXON | termios.IXOFF
        )
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
    _write(fd, text)
    return FirstFrame(fd, saved)


def _read_store(store_path: str, subs: Sequence[FeedRef], where: Layout) -> FirstScreen | None:
    """The first screen's rows, read the way MainCore reads them (in subscription
    order); None when the app would first have to write (subscriptions not yet
    mirrored in the store) or the store cannot be read as it is."""
    from tuinews.store.first_screen import read_first_screen

    screen = read_first_screen(store_path, where.list_box.height - 2)
    if screen is None:
        return None
    known = {feed.url: feed for feed in screen.feeds}
    for url, title, tags in subs:
        feed = known.get(url)
        if feed is None or (title and title != feed.title) or tags != feed.tags:
            return None
    wanted = [known[url] for url, _, _ in subs]
    return screen._replace(feeds=wanted)


def _frame_text(
    where: Layout, width: int, data: FirstScreen, styles: FrameStyles, hint: str | None
) -> str:
    out = ["\x1b[?1049h\x1b[?25l\x1b[H"]
    canvas = _Canvas(out, styles)
    if where.sidebar is not None:
        _sidebar(canvas, where.sidebar, data)
    _headlines(canvas, where.list_box, data)
    if where.reader_box is not None:
        box = where.reader_box
        canvas.frame("reader", box, None)
        inner = " " * (box.width - 2)
        for y in range(box.y + 1, box.y + box.height - 1):
            canvas.line(box.x + 1, y, [(inner, "reader.fill")])
    status = _status_runs(
        hint or failing_line([(f.title, is_failing(f)) for f in data.feeds]), width
    )
    canvas.line(0, where.status_y, status)
    footer = styles.footers.get(str(width))
    if footer:
        canvas.line(0, where.footer_y, [(text, "=" + code) for text, code in footer])
    else:
        canvas.line(0, where.footer_y, [(" " * width, "footer")])
    canvas.flush()
    return "".join(out)


def _status_runs(hint: str | None, width: int) -> list[tuple[str, str]]:
    """The status line: one cell of padding each side, the hint cut with "…" and
    padded the way a row is."""
    runs = truncate_runs([(drawable(clean_line(hint or "")), "plain")], width - 2, pad=True)
    return [(" " + "".join(text for text, _ in runs) + " ", "status")]


class _Canvas:
    """Runs placed on screen lines, written line by line: one cursor move per line and
    one SGR sequence per run of equal style (the frame costs as few bytes as Textual's)."""

    def __init__(self, out: list[str], styles: FrameStyles) -> None:
        self.out = out
        self.styles = styles
        self.lines: dict[int, list[tuple[int, list[tuple[str, str]]]]] = {}

    def line(self, x: int, y: int, runs: list[tuple[str, str]]) -> None:
        self.lines.setdefault(y, []).append((x, runs))

    def _code(self, role: str) -> str:
        # A saved footer run carries its own SGR ("=" + codes).
        return role[1:] if role.startswith("=") else self.styles.sgr[role]

    def flush(self) -> None:
        out = self.out
        for y in sorted(self.lines):
            column = -1
            merged: list[tuple[str, str]] = []  # (text, sgr) of the current stretch
            for x, runs in sorted(self.lines[y], key=lambda placed: placed[0]):
                if x != column:
                    self._emit(merged)
                    merged = []
                    out.append(f"\x1b[{y + 1};{x + 1}H")
                    column = x
                for text, role in runs:
                    code = self._code(role)
                    if merged and merged[-1][1] == code:
                        merged[-1] = (merged[-1][0] + text, code)
                    else:
                        merged.append((text, code))
                    column += cell_len(text)
            self._emit(merged)

    def _emit(self, merged: list[tuple[str, str]]) -> None:
        for text, code in merged:
            self.out.append(f"\x1b[{code}m{text}\x1b[0m" if code else text)

    def frame(self, name: str, box: Box, title: str | None) -> None:
        """A round border like Textual's, with the title after one dash."""
        inner = box.width - 2
        top: list[tuple[str, str]] = [("╭", f"{name}.border")]
        if title:
            label = f" {title} "
            top += [("─", f"{name}.border"), (label, f"{name}.title")]
            top.append(("─" * (inner - 1 - len(label)) + "╮", f"{name}.border"))
        else:
            top.append(("─" * inner + "╮", f"{name}.border"))
        self.line(box.x, box.y, top)
        for y in range(box.y + 1, box.y + box.height - 1):
            self.line(box.x, y, [("│", f"{name}.border")])
            self.line(box.x + box.width - 1, y, [("│", f"{name}.border")])
        self.line(box.x, box.y + box.height - 1, [("╰" + "─" * inner + "╯", f"{name}.border")])


def _sidebar(canvas: _Canvas, box: Box, data: FirstScreen) -> None:
    canvas.frame("sidebar", box, "Feeds")
    rows = sidebar_rows(data.feeds, data.unread)
    width, height = box.width - 3, box.height - 2
    for y in range(height):
        runs: list[Run]
        if y < len(rows.entries):
            entry = rows.entries[y]
            runs = sidebar_runs(entry, entry_count(entry, rows, data.starred), width)
        else:
            runs = [(" " * width, "plain")]
        canvas.line(box.x + 1, box.y + 1 + y, _row("sidebar", runs, width, cursor=y == 0))
    _scrollbar(canvas, "sidebar", box, len(rows.entries))


def _headlines(canvas: _Canvas, box: Box, data: FirstScreen) -> None:
    title = f"All ({data.total})"
    canvas.frame("list", box, title if len(title) + 6 <= box.width else None)
    width, height = box.width - 3, box.height - 2
    for y in range(height):
        if y < len(data.headlines):
            runs: list[Run] = headline_runs(data.headlines[y], width)
        else:
            runs = [(" " * width, "plain")]
        canvas.line(box.x + 1, box.y + 1 + y, _row("list", runs, width, cursor=y == 0))
    _scrollbar(canvas, "list", box, data.total)


def _row(widget: str, runs: list[Run], width: int, *, cursor: bool) -> list[tuple[str, str]]:
    """A list row as CursorList.row_strip draws it: padded to the width; the cursor row
    in the cursor colour ("+cursor" roles)."""
    suffix = "+cursor" if cursor else ""
    out = [(text, f"{widget}.{role}{suffix}") for text, role in runs]
    used = sum(cell_len(text) for text, _ in runs)
    if used < width:
        out.append((" " * (width - used), f"{widget}.plain{suffix}"))
    return out


_BARS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", " "]


def scrollbar_cells(size: int, virtual: int, window: int) -> list[tuple[str, str]]:
    """A vertical scrollbar at the top of its list, cell by cell (glyph, part), as
    Textual's ScrollBarRender draws it: the thumb, its partial end, the track."""
    if window >= virtual:
        window = 0  # everything fits: no thumb
    cells = [(" ", "track")] * size
    if not (window and size and virtual and size != virtual):
        return cells
    n = len(_BARS)
    thumb = max(1, window / (virtual / size))
    start = 0
    end = start + ceil(thumb * n)
    start_index, start_bar = divmod(start, n)
    end_index, end_bar = divmod(end, n)
    cells[start_index:end_index] = [(" ", "thumb")] * (end_index - start_index)
    if start_index < size and _BARS[n - 1 - start_bar] != " ":
        cells[start_index] = (_BARS[n - 1 - start_bar], "start")
    if end_index < size and _BARS[n - 1 - end_bar] != " ":
        cells[end_index] = (_BARS[n - 1 - end_bar], "end")
    return cells[:size]


def _scrollbar(canvas: _Canvas, widget: str, box: Box, rows: int) -> None:
    height = box.height - 2
    x = box.x + box.width - 2
    for y, (glyph, part) in enumerate(scrollbar_cells(height, rows, height)):
        canvas.line(x, box.y + 1 + y, [(glyph, f"{widget}.scrollbar.{part}")])


def _write(fd: int, text: str) -> None:
    data = text.encode("utf-8")
    while data:
        try:
            written = os.write(fd, data)
        except InterruptedError:
            continue
        except OSError:
            return
        data = data[written:]
