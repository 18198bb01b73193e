"""The feed sidebar: All, Unread, Starred, then feeds grouped by tag, with unread counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual.strip import Strip

from tuinews.store import FeedInfo
from tuinews.ui.messages import SidebarHighlighted
from tuinews.ui.safe import safe_line
from tuinews.ui.widgets.cursor_list import CursorList

EntryKind = Literal["all", "unread", "starred", "tag", "feed"]
UNTAGGED = "Feeds"


@dataclass(frozen=True, slots=True)
class SidebarEntry:
    kind: EntryKind
    label: str
    feed: FeedInfo | None = None
    tag: str | None = None


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
        self.entries: list[SidebarEntry] = []
        self.total_unread = 0
        self.starred = 0
        self._tag_unread: dict[str | None, int] = {}

    def set_feeds(self, feeds: Sequence[FeedInfo], *, starred: int | None = None) -> None:
        """Rebuild the rows, keeping the cursor on the same entry when it still exists."""
        old = self.current
        entries = [
            SidebarEntry("all", "All"),
            SidebarEntry("unread", "Unread"),
            SidebarEntry("starred", "Starred"),
        ]
        groups: dict[str, list[FeedInfo]] = {}
        untagged: list[FeedInfo] = []
        for feed in feeds:
            if feed.tags:
                for tag in feed.tags:
                    groups.setdefault(tag, []).append(feed)
            else:
                untagged.append(feed)
        for tag, members in [*sorted(groups.items()), (UNTAGGED, untagged)]:
            if not members:
                continue
            entries.append(SidebarEntry("tag", tag, tag=tag))
            entries.extend(SidebarEntry("feed", feed.title, feed=feed, tag=tag) for feed in members)
        before = [self._signature(i) for i in range(len(self.entries))]
        self.entries = entries
        self.total_unread = sum(feed.unread for feed in feeds)
        # Summed once here: per drawn row it was a scan of every entry (quadratic).
        self._tag_unread = {}
        for entry in entries:
            if entry.kind == "feed" and entry.feed is not None:
                self._tag_unread[entry.tag] = self._tag_unread.get(entry.tag, 0) + entry.feed.unread
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
        if entry.kind == "tag":
            return self._tag_unread.get(entry.tag, 0)
        if entry.kind == "feed" and entry.feed is not None:
            return entry.feed.unread
        return {"all": self.total_unread, "unread": self.total_unread, "starred": self.starred}.get(
            entry.kind
        )

    @staticmethod
    def _failed(entry: SidebarEntry) -> bool:
        return bool(entry.feed and entry.feed.last_error is not None and entry.feed.failures)

    def render_row(self, index: int, width: int, selected: bool) -> Strip:
        entry = self.entries[index]
        count_style = self.get_component_rich_style("feed-sidebar--count")
        text = Text(no_wrap=True, end="")
        count = self._count(entry)
        if entry.kind == "tag":
            text.append(safe_line(entry.label), self.get_component_rich_style("feed-sidebar--tag"))
        elif entry.kind == "feed":
            failed = self._failed(entry)
            text.append(
                "!" if failed else " ", self.get_component_rich_style("feed-sidebar--failed")
            )
            text.append(" ")
            text.append(safe_line(entry.label))
        else:
            text.append(entry.label, "bold")
        number = f" {count}" if count else ""
        text.truncate(max(0, width - len(number)), overflow="ellipsis", pad=True)
        text.append(number, count_style)
        return self.row_strip(text, width, selected)


def _same(a: SidebarEntry, b: SidebarEntry) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "feed":
        return a.feed is not None and b.feed is not None and a.feed.id == b.feed.id
    return a.label == b.label
