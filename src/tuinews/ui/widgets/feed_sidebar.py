"""The feed sidebar: All, Unread, Starred, then feeds grouped by tag, with unread counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tuinews.store import FeedInfo
from tuinews.ui.messages import SidebarHighlighted
from tuinews.ui.rows import (
    SidebarEntry,
    SidebarRows,
    entry_count,
    entry_failed,
    sidebar_rows,
    sidebar_runs,
)
from tuinews.ui.widgets.cursor_list import CursorList

if TYPE_CHECKING:
    from tuinews.ui.rows import Role

__all__ = ["FeedSidebar", "SidebarEntry"]

_ROLE_CLASSES: dict[Role, str] = {
    "tag": "feed-sidebar--tag",
    "count": "feed-sidebar--count",
    "failed": "feed-sidebar--failed",
}


class FeedSidebar(CursorList):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "feed-sidebar--tag",
        "feed-sidebar--count",
        "feed-sidebar--failed",
    }

    DEFAULT_CSS = """
    FeedSidebar > .feed-sidebar--tag { text-style: bold; color: $text-accent; }
    FeedSidebar > .feed-sidebar--count { color: $text-muted; }
    FeedSidebar > .feed-sidebar--failed { color: $error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._rows = SidebarRows([], 0, {})
        self.entries: list[SidebarEntry] = []
        self.starred = 0

    def set_feeds(
        self,
        feeds: Sequence[FeedInfo],
        *,
        starred: int | None = None,
        unread: int | None = None,
    ) -> None:
        """Rebuild the rows, keeping the cursor on the same entry when it still exists.
        `unread`: the store's, when it holds more than these feeds."""
        old = self.current
        rows = sidebar_rows(feeds, unread)
        before = [self._signature(i) for i in range(len(self.entries))]
        self._rows = rows
        self.entries = rows.entries
        entries = rows.entries
        if starred is not None:
            self.starred = starred
        after = [self._signature(i) for i in range(len(entries))]
        if len(before) == len(after) and self.row_count == len(after):
            # Same rows (a count changed): repaint only the rows that differ.
            for index, (old_row, new_row) in enumerate(zip(before, after, strict=True)):
                if old_row != new_row:
                    self.refresh_row(index)
            return
        self.set_row_count(len(entries))
        if old is not None:
            for index, entry in enumerate(entries):
                if _same(entry, old):
                    self.place_cursor(index)
                    break

    @property
    def current(self) -> SidebarEntry | None:
        if 0 <= self.cursor < len(self.entries):
            return self.entries[self.cursor]
        return None

    def select_feed(self, feed_id: int) -> bool:
        for index, entry in enumerate(self.entries):
            if entry.feed is not None and entry.feed.id == feed_id:
                self.move_cursor(index)
                return True
        return False

    def tag_feed_ids(self, tag: str | None) -> tuple[int, ...]:
        """The ids of the feeds listed under `tag`."""
        return tuple(
            e.feed.id for e in self.entries if e.kind == "feed" and e.tag == tag and e.feed
        )

    def cursor_moved(self) -> None:
        self.post_message(SidebarHighlighted())

    def _signature(self, index: int) -> tuple[object, ...]:
        """What row `index` shows: rows with equal signatures look the same."""
        entry = self.entries[index]
        return (entry.kind, entry.label, self._count(entry), self._failed(entry))

    def _count(self, entry: SidebarEntry) -> int | None:
        return entry_count(entry, self._rows, self.starred)

    @staticmethod
    def _failed(entry: SidebarEntry) -> bool:
        return entry_failed(entry)

    @property
    def total_unread(self) -> int:
        return self._rows.total_unread

    def render_row(self, index: int, width: int, selected: bool) -> Strip:
        entry = self.entries[index]
        count = self._count(entry)
        text = Text(no_wrap=True, end="")
        for part, role in sidebar_runs(entry, count, width):
            text.append(part, self._role_style(role))
        return self.row_strip(text, width, selected)

    def _role_style(self, role: Role) -> Style | str:
        if role == "bold":
            return "bold"
        name = _ROLE_CLASSES.get(role)
        return self.get_component_rich_style(name) if name else ""


def _same(a: SidebarEntry, b: SidebarEntry) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "feed":
        return a.feed is not None and b.feed is not None and a.feed.id == b.feed.id
    return a.label == b.label
