"""The colours of the first frame, taken from the running app.

`tuinews.ui.first_frame` draws the main screen before Textual has loaded; it needs the
SGR codes Textual will use for each part of that screen. They are worked out here from
the live widgets (the same styles, filters and combinations the widgets draw with, and
the borders and footer as the compositor drew them) for every colour system, and saved
in the cache directory once the app has drawn its first screen. The table for the
default theme ships with the package (`first_frame_default.json`, written by
`python -m tuinews.ui.first_frame_capture`); a test checks it against the app.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tuinews.ui.first_frame import CACHE_NAME, FORMAT

if TYPE_CHECKING:
    from textual.widget import Widget

    from tuinews.ui.screens.main_core import MainCore

SYSTEMS = {
    "truecolor": ColorSystem.TRUECOLOR,
    "256": ColorSystem.EIGHT_BIT,
    "standard": ColorSystem.STANDARD,
}
ROW_ROLES = {
    "list": {
        "plain": None,
        "meta": "headline-list--meta",
        "unread": "headline-list--unread",
        "star": "headline-list--star",
    },
    "sidebar": {
        "plain": None,
        "bold": "bold",
        "tag": "feed-sidebar--tag",
        "count": "feed-sidebar--count",
        "failed": "feed-sidebar--failed",
    },
}
MAX_FOOTERS = 8  # footer lines kept, one per terminal width seen


def sgr(style: Style, system: ColorSystem) -> str:
    """The SGR parameters Textual writes for `style` (on a copy: Rich caches the codes
    on the style object, for whichever colour system asked first)."""
    copy = style.copy()
    copy._ansi = None
    return Strip.render_ansi(copy, system)


def _filtered(widget: Widget, style: Style) -> Style:
    """`style` as it leaves the widget: through the app's line filters."""
    strip = Strip([Segment("x", style)])
    _, background = widget.background_colors
    for line_filter in widget.get_line_filters():
        strip = strip.apply_filter(line_filter, background)
    segment = next(iter(strip))
    return segment.style or Style()


def _styles_at(strips: list[Strip], x: int, y: int) -> Style:
    column = 0
    for segment in strips[y]:
        width = segment.cell_length
        if column <= x < column + width:
            return segment.style or Style()
        column += width
    return Style()


def capture_styles(screen: MainCore, strips: list[Strip]) -> dict[str, Style]:
    """Every role of the first frame (see `first_frame`), as final Rich styles;
    `strips`: the screen as the compositor draws it (borders and titles are read there)."""
    styles: dict[str, Style] = {}
    lists = {"list": screen.headlines, "sidebar": screen.sidebar}
    for name, widget in lists.items():
        base = widget.rich_style
        cursor_class = "cursor-list--cursor-active" if name == "list" else "cursor-list--cursor"
        fill = widget.get_component_rich_style(cursor_class)
        for role, component in ROW_ROLES[name].items():
            if component is None:
                own = Style()
            elif component == "bold":
                own = Style(bold=True)
            else:
                own = widget.get_component_rich_style(component)
            styles[f"{name}.{role}"] = _filtered(widget, base + own)
            styles[f"{name}.{role}+cursor"] = _filtered(widget, base + own + fill)
        styles.update(_scrollbar_styles(name, widget))
    boxes = {
        "sidebar": screen.sidebar,
        "list": screen.query_one("#list-box"),
        "reader": screen.query_one("#reader-box"),
    }
    for name, box in boxes.items():
        region = box.region
        if region.width < 4 or region.height < 3:
            continue  # not shown in this layout: those roles keep their saved codes
        styles[f"{name}.border"] = _styles_at(strips, region.x, region.y)
        if box.border_title:
            styles[f"{name}.title"] = _styles_at(strips, region.x + 2, region.y)
    reader = screen.reader
    styles["reader.fill"] = _filtered(reader, reader.rich_style)
    status = screen.status
    styles["status"] = _filtered(status, status.rich_style)
    footer = screen.query_one("KeyFooter")
    styles["footer"] = _filtered(footer, footer.rich_style)
    return styles


def _scrollbar_styles(name: str, widget: Widget) -> dict[str, Style]:
    """The four parts of a vertical scrollbar, as ScrollBar.render and ScrollBarRender
    build them."""
    bar = widget.vertical_scrollbar
    styles = widget.styles
    background = styles.scrollbar_background
    color = styles.scrollbar_color
    if background.a < 1:
        base_background, _ = widget.background_colors
        background = base_background + background
    color = background + color
    back, fore = background.rich_color, color.rich_color
    base = bar.rich_style
    parts = {
        "track": Style(bgcolor=back),
        "thumb": Style(color=fore, reverse=True),
        "start": Style(bgcolor=back, color=fore),
        "end": Style(bgcolor=back, color=fore, reverse=True),
    }
    return {f"{name}.scrollbar.{part}": _filtered(bar, base + s) for part, s in parts.items()}


def footer_runs(footer: Strip, system: ColorSystem) -> list[list[str]]:
    """The footer line as the compositor drew it: [text, sgr] runs."""
    return [[segment.text, sgr(segment.style or Style(), system)] for segment in footer]


def style_table(
    screen: MainCore, theme: str, keymap: str, old: dict[str, Any] | None
) -> dict[str, Any]:
    """The table `first_frame.load_styles` reads, merged over `old` (roles of panes not
    shown now, footers of other widths)."""
    strips = screen._compositor.render_strips()  # one render of the screen for all of it
    captured = capture_styles(screen, strips)
    same = old is not None and old.get("theme") == theme and old.get("keymap") == keymap
    table: dict[str, Any] = {"format": FORMAT, "theme": theme, "keymap": keymap, "sgr": {}}
    table["footers"] = {}
    for name, system in SYSTEMS.items():
        codes = dict(old["sgr"].get(name, {})) if same and old is not None else {}
        codes.update({role: sgr(style, system) for role, style in captured.items()})
        table["sgr"][name] = dict(sorted(codes.items()))
        footers = dict(old.get("footers", {}).get(name, {})) if same and old is not None else {}
        footers[str(screen.size.width)] = footer_runs(strips[-1], system)
        table["footers"][name] = dict(list(footers.items())[-MAX_FOOTERS:])
    return table


def read_table(cache_dir: Path) -> dict[str, Any] | None:
    """The table saved by an earlier run, if it is one this version reads."""
    try:
        old = json.loads((cache_dir / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return old if isinstance(old, dict) and old.get("format") == FORMAT else None


def write_table(cache_dir: Path, table: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Save the table for the next start: only when it differs from `old` (what
    `read_table` gave), atomically; a cache that cannot be written only costs the next
    start its first frame."""
    if table == old:
        return
    text = json.dumps(table, ensure_ascii=False, separators=(",", ":"))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".first-frame-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, cache_dir / CACHE_NAME)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def default_table(table: dict[str, Any]) -> dict[str, Any]:
    """What ships for the default theme: the role codes only (footers depend on the
    width and the keymap, so they come from the user's own runs)."""
    return {"format": table["format"], "theme": table["theme"], "sgr": table["sgr"]}
