"""The reader pane: a fixed-size Line API view over an article pre-rendered to strips.

The article is rendered to lines in a worker at the pane's width; showing it changes
only this widget's region (no layout of the other panes).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual.geometry import Region
from textual.strip import Strip

from tuinews.ui.messages import ReaderWidthChanged
from tuinews.ui.safe import safe_text
from tuinews.ui.widgets.cursor_list import CursorList

GUTTER = 2  # a bar in the first column marks the active pane; the second is space


class ReaderPane(CursorList):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"reader-pane--active-bar"}

    DEFAULT_CSS = """
    ReaderPane { padding: 0 1 0 0; }
    ReaderPane > .reader-pane--active-bar { color: $accent; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[Strip] = []
        self.pk: int | None = None
        self.links: list = []
        self.link: str | None = None
        self.rendered_width = 0

    @property
    def content_width(self) -> int:
        return max(20, self.scrollable_content_region.width - GUTTER)

    def show(
        self, pk: int | None, lines: list[Strip], links: list, link: str | None, width: int
    ) -> None:
        same = pk == self.pk
        self.pk, self.lines, self.links, self.link = pk, lines, links, link
        self.rendered_width = width
        self.set_row_count(len(lines))
        if not same:
            self.scroll_to(y=0, animate=False, immediate=True)

    def show_message(self, message: str) -> None:
        self.show(
            None,
            [Strip([*safe_text(message).render(self.app.console)])],
            [],
            None,
            self.content_width,
        )

    @property
    def at_end(self) -> bool:
        return self.scroll_offset.y >= self.max_scroll_y

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        bar = "▎ " if self.active else "  "
        gutter = Strip(
            [Segment(bar, self.get_component_rich_style("reader-pane--active-bar"))], GUTTER
        )
        if index < len(self.lines):
            body = self.lines[index].crop_extend(0, max(0, width - GUTTER), None)
        else:
            body = Strip.blank(max(0, width - GUTTER))
        return Strip.join([gutter, body]).apply_style(self.rich_style)

    def set_active(self, active: bool) -> None:
        """Only the bar column is repainted (a few bytes), not the article."""
        if active != self.active:
            self.active = active
            self.refresh(Region(0, 0, 1, self.scrollable_content_region.height))

    def scroll_lines(self, amount: int) -> None:
        self.scroll_to(y=self.scroll_offset.y + amount, animate=False, immediate=True)

    def on_resize(self) -> None:
        super().on_resize()
        if self.pk is not None and self.content_width != self.rendered_width:
            self.post_message(ReaderWidthChanged())

    # The reader has no cursor row: moving scrolls instead.
    def move_cursor(self, index: int) -> bool:
        self.scroll_to(y=index, animate=False, immediate=True)
        return True

    def refresh_row(self, index: int) -> None:
        pass

    def scroll_cursor_visible(self) -> None:
        pass
