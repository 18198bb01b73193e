"""What a headline row and a sidebar row show, as text runs with a role each.

Shared by the widgets (a role becomes a Rich style) and by the first frame drawn before
Textual has loaded (a role becomes an SGR code), so both show the same characters.
Imports neither Textual nor Rich's console: the first frame cannot wait for them.
Feed text is made `drawable` before it is measured: a code point Rich and the terminal
count differently would move the rest of the row and the pane border.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size

from tuinews.feed_names import address_label, is_web_address, short_name, some_of, told_apart
from tuinews.sources.sanitize import clean_line, drawable

if TYPE_CHECKING:
    from datetime import datetime
    from typing import Literal, Protocol

    # plain: no style of its own; bold: the fixed entries of the sidebar (not themed).
    Role = Literal["plain", "bold", "meta", "unread", "star", "tag", "count", "failed"]
    EntryKind = Literal["all", "unread", "starred", "tag", "feed"]

    class HeadlineLike(Protocol):
        """What a row shows of a `store.Headline` (the first frame passes lighter rows)."""

        @property
        def feed_title(self) -> str: ...
        @property
        def title(self) -> str: ...
        @property
        def date(self) -> datetime | None: ...
        @property
        def read(self) -> bool: ...
        @property
        def starred(self) -> bool: ...

    class FeedLike(Protocol):
        """What the sidebar shows of a `store.FeedInfo`."""

        @property
        def id(self) -> int: ...
        @property
        def url(self) -> str: ...
        @property
        def title(self) -> str: ...
        @property
        def tags(self) -> tuple[str, ...]: ...
        @property
        def unread(self) -> int: ...
        @property
        def last_error(self) -> str | None: ...
        @property
        def failures(self) -> int: ...


Run = tuple[str, "Role"]

UNREAD_MARK = "●"
STAR_MARK = "★"
UNTAGGED = "Feeds"


def truncate_runs(runs: Sequence[Run], width: int, *, pad: bool = False) -> list[Run]:
    """`runs` cut to `width` cells with "…" (styled as the run it ends), as
    `rich.text.Text.truncate(width, overflow="ellipsis", pad=pad)` cuts: padding is
    plain, outside every run."""
    plain = "".join(text for text, _ in runs)
    length = cell_len(plain)
    if length > width:
        cut = set_cell_size(plain, width - 1) + "…" if width > 0 else ""
        out: list[Run] = []
        start = 0
        for text, role in runs:
            end = start + len(text)
            piece = cut[start:end]
            if piece:
                out.append((piece, role))
            start = end
        if len(cut) > start and out:  # the ellipsis after the last run joins it
            last_text, last_role = out[-1]
            out[-1] = (last_text + cut[start:], last_role)
        return out
    if pad and length < width:
        return [*runs, (" " * (width - length), "plain")]
    return list(runs)


def current_year() -> int:
    """This year, local time (tests replace it: rows must not change on New Year's Day)."""
    return time.localtime().tm_year


def short_date(moment: datetime | None, wide: bool, year: int) -> str:
    """A row's date: 2008-06-06 when wide; when narrow, Jun 06 in `year` and 08-06-06 in
    any other, as `tuinews list` keeps the year, so an old article does not read as
    this year's. Padded to one width (DATE_WIDTH) so titles line up."""
    if moment is None:
        return ""
    local = moment.astimezone()
    if wide:
        return local.strftime("%Y-%m-%d")
    return local.strftime("%b %d" if local.year == year else "%y-%m-%d")


# The date column's cells (wide, narrow): the longest `short_date` of each.
DATE_WIDTH = {True: 10, False: 8}


def headline_runs(row: HeadlineLike, width: int) -> list[Run]:
    """A headline row: mark, star, date and feed (muted), title (bold when unread).

    Few runs on purpose: every run costs a reset and a full colour sequence on the wire,
    so the gaps take the role of their neighbours."""
    wide = width >= 100
    runs: list[Run] = [(UNREAD_MARK if not row.read else " ", "plain")]
    if row.starred:
        runs += [(STAR_MARK, "star"), (" ", "plain")]
    else:
        runs.append(("  ", "plain"))
    stamp = short_date(row.date, wide, current_year())
    feed_width = 18 if wide else 12
    feed = drawable(clean_line(row.feed_title))
    if is_web_address(feed):
        # Untitled: the store names it by its URL (the row does not carry the URL to
        # compare with; a feed titled with its own URL reads the same either way).
        feed = address_label(feed, feed_width)
    elif cell_len(feed) > feed_width:
        feed = set_cell_size(feed, feed_width - 1) + "…"
    feed = set_cell_size(feed, feed_width)  # padded in cells: wide characters align
    runs.append((f"{stamp.ljust(DATE_WIDTH[wide])} {feed} ", "meta"))
    runs.append((drawable(clean_line(row.title)), "plain" if row.read else "unread"))
    return truncate_runs(_merged(runs), width)


def _merged(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for text, role in runs:
        if out and out[-1][1] == role:
            out[-1] = (out[-1][0] + text, role)
        elif text:
            out.append((text, role))
    return out


class SidebarEntry:
    """One sidebar row. (A plain class: the first frame cannot wait for dataclasses.)"""

    __slots__ = ("feed", "kind", "label", "shared_with", "tag")

    def __init__(
        self,
        kind: EntryKind,
        label: str,
        feed: FeedLike | None = None,
        tag: str | None = None,
        *,
        shared_with: tuple[str, ...] = (),
    ) -> None:
        self.kind = kind
        self.label = label
        self.feed = feed
        self.tag = tag
        # The addresses of the other feeds with this title (a site's Atom and JSON
        # feeds): it is shown with its own.
        self.shared_with = shared_with

    def __repr__(self) -> str:
        return f"SidebarEntry({self.kind!r}, {self.label!r}, tag={self.tag!r})"


class SidebarRows:
    """The sidebar's entries and what their counts add up to."""

    __slots__ = ("entries", "tag_unread", "total_unread")

    def __init__(
        self, entries: list[SidebarEntry], total_unread: int, tag_unread: dict[str | None, int]
    ) -> None:
        self.entries = entries
        self.total_unread = total_unread
        self.tag_unread = tag_unread


def sidebar_rows(feeds: Sequence[FeedLike], total_unread: int | None = None) -> SidebarRows:
    """All, Unread, Starred, then each tag (sorted) with its feeds, then untagged feeds.
    `total_unread` is the store's, when it holds more than these feeds (the starred
    articles of a feed no longer subscribed stay, and are in All)."""
    entries = [
        SidebarEntry("all", "All"),
        SidebarEntry("unread", "Unread"),
        SidebarEntry("starred", "Starred"),
    ]
    groups: dict[str, list[FeedLike]] = {}
    untagged: list[FeedLike] = []
    for feed in feeds:
        if feed.tags:
            for tag in feed.tags:
                groups.setdefault(tag, []).append(feed)
        else:
            untagged.append(feed)
    by_title: dict[str, list[str]] = {}
    for feed in feeds:
        by_title.setdefault(feed.title, []).append(feed.url)

    def shared_with(feed: FeedLike) -> tuple[str, ...]:
        urls = by_title[feed.title]
        return tuple(url for url in urls if url != feed.url) if len(urls) > 1 else ()

    for tag, members in [*sorted(groups.items()), (UNTAGGED, untagged)]:
        if not members:
            continue
        entries.append(SidebarEntry("tag", tag, tag=tag))
        entries.extend(
            SidebarEntry("feed", feed.title, feed=feed, tag=tag, shared_with=shared_with(feed))
            for feed in members
        )
    # Summed once here: per drawn row it would be a scan of every entry (quadratic).
    tag_unread: dict[str | None, int] = {}
    for entry in entries:
        if entry.kind == "feed" and entry.feed is not None:
            tag_unread[entry.tag] = tag_unread.get(entry.tag, 0) + entry.feed.unread
    if total_unread is None:
        total_unread = sum(feed.unread for feed in feeds)
    return SidebarRows(entries, total_unread, tag_unread)


def entry_count(entry: SidebarEntry, rows: SidebarRows, starred: int) -> int | None:
    if entry.kind == "tag":
        return rows.tag_unread.get(entry.tag, 0)
    if entry.kind == "feed" and entry.feed is not None:
        return entry.feed.unread
    return {"all": rows.total_unread, "unread": rows.total_unread, "starred": starred}.get(
        entry.kind
    )


def entry_failed(entry: SidebarEntry) -> bool:
    return entry.feed is not None and is_failing(entry.feed)


def sidebar_runs(entry: SidebarEntry, count: int | None, width: int) -> list[Run]:
    """A sidebar row: the label (cut to fit, padded) and the unread count at the right."""
    runs: list[Run]
    if entry.kind == "tag":
        runs = [(drawable(clean_line(entry.label)), "tag")]
    elif entry.kind == "feed":
        runs = [("!" if entry_failed(entry) else " ", "failed"), (" ", "plain")]
        label = drawable(clean_line(entry.label))
        # Fitted here rather than cut at the end: the end tells feeds on one host apart.
        room = width - 2 - (len(f" {count}") if count else 0)
        if entry.feed is not None and is_untitled(entry.feed):
            label = address_label(entry.feed.url, room)
        elif entry.feed is not None and entry.shared_with:
            label = told_apart(entry.label, entry.feed.url, room, entry.shared_with)
        runs.append((label, "plain"))
    else:
        runs = [(entry.label, "bold")]
    number = f" {count}" if count else ""
    runs = truncate_runs(runs, max(0, width - len(number)), pad=True)
    if number:
        runs.append((number, "count"))
    return runs


# ---- feeds known only by their address ------------------------------------------------


def is_untitled(feed: FeedLike) -> bool:
    """Whether the feed has no title of its own or from the settings: the store then
    gives its URL as the title (`COALESCE(title, feed_title, url)`)."""
    url = feed.url
    return isinstance(url, str) and bool(url) and feed.title in (url, clean_line(url))


def is_failing(feed: FeedLike) -> bool:
    """A feed whose last fetch failed: an error and failures counted (a note kept where
    errors are, such as a move onto another subscription, is no failure)."""
    return bool(feed.last_error is not None and feed.failures)


def failing_line(feeds: Sequence[tuple[str, bool]]) -> str:
    """What the status line says at start of the subscriptions whose last fetch failed,
    given (title, failing) in subscription order: "2 feeds failing: A, B (i says
    why)"; empty when none is. The reader and its first frame say the same."""
    failing = [short_name(title, 30) for title, is_it in feeds if is_it]
    if not failing:
        return ""
    noun = "feed" if len(failing) == 1 else "feeds"
    return f"{len(failing)} {noun} failing: {some_of(failing)} (i says why)"
