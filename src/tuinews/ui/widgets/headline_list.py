"""The headline list: a virtual list over a store view, fetched by window.

The widget holds at most a few windows of `Headline` rows. When a row it must draw is
missing it posts `WindowWanted`; the screen fetches the rows in a thread worker and
hands them back with `add_rows` (widgets do no I/O).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.message import Message
from textual.strip import Strip

from tuinews.store import Headline
from tuinews.ui.messages import HeadlineHighlighted, WindowWanted
from tuinews.ui.rows import headline_runs
from tuinews.ui.widgets.cursor_list import CursorList

if TYPE_CHECKING:
    from tuinews.ui.rows import Role

_ROLE_CLASSES: dict[Role, str] = {
    "meta": "headline-list--meta",
    "unread": "headline-list--unread",
    "star": "headline-list--star",
}


class ViewStale(Message):
    """A window came back shorter than the list's count says: articles were removed
    outside the reader (`tuinews cleanup`, `remove`). The screen counts the view again."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ViewStale)


class HeadlineList(CursorList):
    WINDOW = 200  # rows per store query
    KEEP = 5  # windows kept on each side of the viewport

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "headline-list--unread",
        "headline-list--meta",
        "headline-list--star",
        "headline-list--loading",
    }

    DEFAULT_CSS = """
    HeadlineList > .headline-list--unread { text-style: bold; }
    HeadlineList > .headline-list--meta { color: $text-muted; }
    HeadlineList > .headline-list--star { color: $warning; }
    HeadlineList > .headline-list--loading { color: $text-disabled; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.generation = 0
        self._rows: dict[int, Headline] = {}
        # Window starts asked for, and whether by keyset `before` (its answer starts
        # lower when short). A window that came back short stays here until the view
        # is loaded again: asking again would get the same answer, over and over.
        self._pending: dict[int, bool] = {}
        # The generation reported stale, and the cursor then when it was on a row
        # that never came (G past the real end): the reload puts it on the last row.
        self._stale_generation: int | None = None
        self._stale_total: int | None = None
        self._stale_cursor: int | None = None
        self.fetched_rows = 0  # rows received from the store since start (tests watch it)
        # Drawn rows, so scrolling back and forth does not lay out the same text again.
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(512)

    # -- data in ----------------------------------------------------------------------
    def load(
        self, generation: int, total: int, start: int, rows: Sequence[Headline], cursor: int
    ) -> None:
        """Show a freshly counted view: `rows` are the rows from index `start`."""
        if self._stale_cursor is not None and cursor == 0 and total:
            cursor = min(self._stale_cursor, total - 1)
        self._stale_cursor = None
        self.generation = generation
        self._rows = {start + i: row for i, row in enumerate(rows)}
        self.fetched_rows += len(rows)
        self._pending.clear()
        self.set_row_count(total)
        self.place_cursor(cursor)
        self.post_message(HeadlineHighlighted(self.current))

    def add_rows(self, generation: int, start: int, rows: Sequence[Headline]) -> None:
        if generation != self.generation:
            return  # an answer for a view that is gone
        window = self._answered_window(start, len(rows))
        if window is not None:
            if len(rows) < min(self.WINDOW, self.row_count - window):
                self._report_stale()  # and the window stays pending: no asking again
            else:
                del self._pending[window]
        self.fetched_rows += len(rows)
        for i, row in enumerate(rows):
            self._rows[start + i] = row
        self._evict()
        self.refresh()
        if start <= self.cursor < start + len(rows):
            self.post_message(HeadlineHighlighted(self.current))

    def update_row(self, pk: int, **changes: object) -> Headline | None:
        """Change a shown row in place (read/starred), repainting only that row."""
        for index, row in self._rows.items():
            if row.pk == pk:
                new = dataclasses.replace(row, **changes)  # type: ignore[arg-type]
                self._rows[index] = new
                self.refresh_row(index)
                return new
        return None

    def update_rows(self, pks: set[int], **changes: object) -> None:
        """Change the shown rows of `pks` in place (one pass over the rows held)."""
        for index, row in list(self._rows.items()):
            if row.pk in pks:
                self._rows[index] = dataclasses.replace(row, **changes)  # type: ignore[arg-type]
        self.refresh()

    def update_all(self, **changes: object) -> None:
        for index, row in list(self._rows.items()):
            self._rows[index] = dataclasses.replace(row, **changes)  # type: ignore[arg-type]
        self.refresh()

    # -- data out ---------------------------------------------------------------------
    @property
    def current(self) -> Headline | None:
        return self._rows.get(self.cursor) if self.row_count else None

    def row(self, index: int) -> Headline | None:
        return self._rows.get(index)

    def index_of(self, pk: int) -> int | None:
        for index, row in self._rows.items():
            if row.pk == pk:
                return index
        return None

    @property
    def cached_rows(self) -> int:
        return len(self._rows)

    def cursor_moved(self) -> None:
        self.post_message(HeadlineHighlighted(self.current, by_user=True))

    # -- drawing ----------------------------------------------------------------------
    def render_row(self, index: int, width: int, selected: bool) -> Strip:
        row = self._rows.get(index)
        if row is None:
            self._want(index)
            style = self.get_component_rich_style("headline-list--loading")
            return Strip([], 0).extend_cell_length(width, style) if width else Strip.blank(0)
        key = (row, selected, self.active, width, self.app.theme)
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        strip = self.row_strip(self.row_text(row, width), width, selected)
        self._strips[key] = strip
        return strip

    def row_text(self, row: Headline, width: int) -> Text:
        """The row's runs (`tuinews.ui.rows`, shared with the first frame) as a Text."""
        text = Text(no_wrap=True, end="")
        for part, role in headline_runs(row, width):
            text.append(part, self._role_style(role))
        return text

    def _role_style(self, role: Role) -> Style | str:
        name = _ROLE_CLASSES.get(role)
        return self.get_component_rich_style(name) if name else ""

    def _want(self, index: int) -> None:
        start = (index // self.WINDOW) * self.WINDOW
        if start in self._pending:
            return
        # Keyset paging when a neighbour is known (cheap, stable under inserts); offset otherwise.
        previous = self._rows.get(start - 1)
        following = self._rows.get(start + self.WINDOW)
        self._pending[start] = bool(following and not previous)
        self.post_message(
            WindowWanted(
                self.generation,
                start,
                self.WINDOW,
                after=previous.sort_key if previous else None,
                before=following.sort_key if following and not previous else None,
            )
        )

    def _answered_window(self, start: int, count: int) -> int | None:
        """The window an answer of `count` rows placed at `start` is for: a `before`
        answer ends where its window ends, the others start where theirs starts."""
        if self._pending.get(start) is False:
            return start
        end_aligned = start + count - self.WINDOW
        if self._pending.get(end_aligned) is True:
            return end_aligned
        return None

    def _report_stale(self) -> None:
        """The store holds fewer rows than counted. Reported once per count of the
        view: should the store still disagree after a reload, the list keeps what it
        has rather than reloading in a loop."""
        if self._stale_generation == self.generation or self._stale_total == self.row_count:
            return
        self._stale_generation = self.generation
        self._stale_total = self.row_count
        self._stale_cursor = self.cursor if self.current is None else None
        self.post_message(ViewStale(self.generation))

    def _evict(self) -> None:
        keep = self.KEEP * self.WINDOW
        top = self.scroll_offset.y
        low, high = top - keep, top + self.page_height + keep
        if len(self._rows) <= 2 * keep:
            return
        for index in [i for i in self._rows if (i < low or i > high) and i != self.cursor]:
            del self._rows[index]
