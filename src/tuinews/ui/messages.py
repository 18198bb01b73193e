"""Messages that flow up from widgets and workers to the main screen.

Frequent ones are `can_replace`ed: only the newest matters (cursor positions, progress).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message
from textual.strip import Strip

from tuinews.store import FeedInfo, Headline, SortKey, View


class WindowWanted(Message):
    """The headline list needs rows [start, start + count) of its view."""

    def __init__(
        self,
        generation: int,
        start: int,
        count: int,
        after: SortKey | None,
        before: SortKey | None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.start = start
        self.count = count
        self.after = after
        self.before = before


class WindowLoaded(Message):
    def __init__(
        self, generation: int, start: int, rows: Sequence[Headline], marks_landed: int
    ) -> None:
        super().__init__()
        self.generation = generation
        self.start = start
        self.rows = rows
        self.marks_landed = marks_landed  # see MainCore.marks_landed


class HeadlineHighlighted(Message):
    """The headline cursor moved (the reader follows when it rests)."""

    def __init__(self, headline: Headline | None, *, by_user: bool = False) -> None:
        super().__init__()
        self.headline = headline
        self.by_user = by_user  # False when a view was (re)loaded: do not mark read

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, HeadlineHighlighted)


class SidebarHighlighted(Message):
    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SidebarHighlighted)


@dataclass
class ViewLoaded(Message):
    """A view was counted and its first window fetched, in a worker."""

    generation: int
    view: View
    total: int
    start: int
    rows: Sequence[Headline]
    cursor: int
    last_pk: int = 0  # the newest article stored when the view was read
    # The article in the reader then, and its `article_stamp`: drawn again if it changed.
    shown_pk: int | None = None
    shown_stamp: str | None = None
    # A search's articles the index could not take first (a read-only store): said.
    unsearched: str | None = None
    marks_landed: int = 0  # see MainCore.marks_landed


@dataclass
class ViewFailed(Message):
    """Counting or fetching a view failed (a store error), in a worker."""

    generation: int
    error: str


@dataclass
class FeedsLoaded(Message):
    feeds: list[FeedInfo]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class ArticleFailed(Message):
    """An article could not be rendered (gone, a store or renderer error), in a worker:
    what the status line says."""

    pk: int
    text: str
    error: bool = False
    gone: bool = False  # no longer in the store (a cleanup elsewhere)


@dataclass
class ArticleReady(Message):
    """An article rendered to lines at the reader's width, in a worker."""

    pk: int
    width: int
    lines: list[Strip]
    links: list[Any]
    link: str | None
    stamp: str | None = None  # the store's `article_stamp` when it was read
    # Drawn again because the store changed it (`shown_article_loaded`), not opened.
    redraw: bool = False


@dataclass
class RefreshProgress(Message):
    done: int
    total: int
    outcome: Any


@dataclass
class RefreshDone(Message):
    summary: Any
    error: str | None = None
    stopped: bool = False  # the store refused writes; `summary` holds what was saved
    config_error: bool = False  # `error` is the settings file's (broken meanwhile)
    meanwhile: int = 0  # new articles the refresh this one waited for saved


@dataclass
class StoreChangedOutside(Message):
    """Another process (a cron refresh, `tuinews mark-read`, cleanup) changed the store,
    or the subscriptions (`tuinews add`, `remove`, `import`, an editor)."""

    new: int  # articles it saved
    subscriptions: tuple[Any, ...] | None = None  # the settings file's, when it changed
    config_stamp: Any = None  # that file's stamp then


@dataclass
class Status(Message):
    """A line for the status bar, from a worker."""

    text: str
    error: bool = False
    lasting: bool = False  # see StatusLine.say


class ReaderWidthChanged(Message):
    """The reader was resized: its article must be rendered again at the new width."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ReaderWidthChanged)


class PaneClicked(Message):
    """A pane was clicked: it becomes the active pane."""

    def __init__(self, pane: object) -> None:
        super().__init__()
        self.pane = pane
