"""A Line API list with a cursor: draws only visible rows, repaints only changed rows."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuinews.ui.messages import PaneClicked


class CursorList(ScrollView, can_focus=False, inherit_bindings=False):
    """Base for the sidebar and the headline list.

    Subclasses implement `render_row`. Keys are bound on the screen (one keymap-able
    place), so this widget inherits no scrolling bindings. The lists never take Textual
    focus: moving focus repaints the whole screen (the screen's `focused` reactive), so
    the screen tracks the active pane itself and only the cursor row changes colour.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"cursor-list--cursor", "cursor-list--cursor-active"}

    DEFAULT_CSS = """
    CursorList {
        overflow-x: hidden;
        overflow-y: scroll;
        scrollbar-size-vertical: 1;
    }
    CursorList > .cursor-list--cursor { background: $block-cursor-blurred-background; }
    CursorList > .cursor-list--cursor-active {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._row_count = 0
        self._cursor = 0
        self.active = False  # the pane the keys go to (drawn with the bright cursor)

    @property
    def row_count(self) -> int:
        return self._row_count

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def page_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    def set_row_count(self, count: int) -> None:
        """Change the number of rows without a layout pass of the whole screen.

        `virtual_size` is a layout reactive; the scrollbar is always shown (CSS), so the
        widget's size never depends on the row count and a local update is enough.
        """
        self._row_count = count
        self.set_reactive(ScrollView.virtual_size, Size(0, count))
        if self.is_mounted and self.container_size:
            self._scroll_update(self.virtual_size)
        self._cursor = max(0, min(self._cursor, count - 1))
        self.refresh()

    def render_row(self, index: int, width: int, selected: bool) -> Strip:
        raise NotImplementedError

    def row_strip(self, text: Text, width: int, selected: bool) -> Strip:
        """`text` drawn as a row `width` cells wide; the cursor row is filled with the
        cursor colour (the bright one in the active pane). Stylizes `text` in place."""
        fill = None
        if selected:
            fill = self.get_component_rich_style(
                "cursor-list--cursor-active" if self.active else "cursor-list--cursor"
            )
            text.stylize(fill)
        strip = Strip(list(text.render(self.app.console)), text.cell_len)
        return strip.extend_cell_length(width, fill).crop(0, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= self._row_count:
            return Strip.blank(width, self.rich_style)
        row = self.render_row(index, width, index == self._cursor)
        # Runs that end up with the same style (plain text, padding) become one segment:
        # each segment is written as a reset plus the full style.
        return row.apply_style(self.rich_style).simplify()

    def refresh_row(self, index: int) -> None:
        """Repaint one row if it is on screen (a cursor move repaints two rows, not the list)."""
        y = index - self.scroll_offset.y
        if 0 <= y < self.scrollable_content_region.height:
            self.refresh(Region(0, y, self.scrollable_content_region.width, 1))

    def move_cursor(self, index: int) -> bool:
        """Put the cursor on `index` (clamped); True when it moved."""
        if self._row_count == 0:
            return False
        index = max(0, min(index, self._row_count - 1))
        if index == self._cursor:
            return False
        old, self._cursor = self._cursor, index
        self.refresh_row(old)
        self.refresh_row(index)
        self.scroll_cursor_visible()
        self.cursor_moved()
        return True

    def place_cursor(self, index: int) -> None:
        """Set the cursor without the moved notification (after reloading rows)."""
        self._cursor = max(0, min(index, max(0, self._row_count - 1)))
        self.scroll_cursor_visible()
        self.refresh()

    def cursor_moved(self) -> None:
        """Hook: the cursor moved by a user action."""

    def scroll_cursor_visible(self) -> None:
        top = self.scroll_offset.y
        height = self.page_height
        cursor = self._cursor
        if top <= cursor < top + height:
            return
        # Stepping just past an edge scrolls half a page: a terminal has no cheap way to
        # scroll one region, so each scroll repaints the whole list; this way most moves
        # repaint two rows. A jump puts the cursor in the middle.
        half = max(1, height // 2)
        if cursor == top + height:
            new_top = top + half
        elif cursor == top - 1:
            new_top = top - half
        else:
            new_top = cursor - height // 2
        new_top = max(0, min(new_top, self._row_count - height))
        self.scroll_to(y=new_top, animate=False, immediate=True)

    def on_resize(self) -> None:
        if self._row_count:
            self.set_row_count(self._row_count)
            self.scroll_cursor_visible()

    def set_active(self, active: bool) -> None:
        if active != self.active:
            self.active = active
            self.refresh_row(self._cursor)

    def on_click(self, event: events.Click) -> None:
        self.post_message(PaneClicked(self))
        self.move_cursor(self.scroll_offset.y + event.y)
