"""The main screen's core: layout, panes, views and their windows, the sidebar.

The screen is built in layers, each a subclass of the one before: this core, the reading
layer (`main_reader`), refreshing (`main_refresh`) and the keys (`main`). Widgets only draw
and post messages; every store, render and refresh call runs in a worker and comes back
as a message.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, ParamSpec

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer

from tuinews.errors import TuinewsError
from tuinews.store import FeedInfo, Headline, Store, View
from tuinews.ui.context import AppContext
from tuinews.ui.first_frame import layout_mode
from tuinews.ui.messages import (
    FeedsLoaded,
    PaneClicked,
    SidebarHighlighted,
    Status,
    ViewFailed,
    ViewLoaded,
    WindowLoaded,
    WindowWanted,
)
from tuinews.ui.rows import failing_line, is_failing
from tuinews.ui.safe import safe_text
from tuinews.ui.waiting_keys import WaitingKeys
from tuinews.ui.widgets.feed_sidebar import FeedSidebar, SidebarEntry
from tuinews.ui.widgets.headline_list import HeadlineList, ViewStale
from tuinews.ui.widgets.key_footer import KeyFooter
from tuinews.ui.widgets.reader import ReaderPane
from tuinews.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from tuinews.ui.app import NewsApp

P = ParamSpec("P")
Filter = Literal["all", "unread", "starred"]
LayoutMode = Literal["wide", "medium", "narrow"]
Pane = Literal["sidebar", "list", "reader"]

REST_DELAY = 0.1  # seconds the cursor must rest before the reader renders
SEARCHING = "Searching…"
# With mark_read = "on_open", an article shown beside the list (the cursor resting on
# it) counts as read after this long, or at once when opened (Enter): skimming
# headlines with j must not mark each one read, as newsboat marks only what is opened.
READ_AFTER = 2.0
# At most this many articles marked out of a filtered list stay in it (`MainCore._held`);
# the oldest marked go first.
HELD_MAX = 1000


def same_list(one: View, other: View) -> bool:
    """Whether two views list the same articles, but for the rows each holds."""
    return dataclasses.replace(one, held=()) == dataclasses.replace(other, held=())


def reported(method: Callable[P, None]) -> Callable[P, None]:
    """Run a worker body; a store or source error becomes a status line, not a crash."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            method(*args, **kwargs)
        except TuinewsError as error:
            screen = args[0]
            assert isinstance(screen, MainCore)
            if screen.news_app.quitting:
                screen.news_app.said_at_exit.append(str(error))
            else:
                screen.post_message(Status(str(error), error=True))

    return wrapper


class MainCore(Screen[None]):
    """State, layout and workers of the main screen; its key actions are in `main`."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.store: Store | None = None
        self.base_view = View()
        self.base_label = "All"
        self.filter: Filter = "all"
        self.search: str | None = None
        self.view = View()
        self._shown_view = View()  # the view the headline list shows now
        self._cursor_asked = 0  # the cursor when the view being loaded was asked for
        # Articles read in the unread filter (unstarred in the starred one) since its
        # list was shown: the list keeps them, as newsboat's does, until it changes
        # (another feed, filter or search). Else a recount under the article being read
        # (a refresh elsewhere) took it away and put another in the reader.
        self._held: dict[int, None] = {}
        self._held_for: View | None = None
        self.generation = 0
        self.layout_mode: LayoutMode = "wide"
        self.sidebar_wanted: dict[LayoutMode, bool] = {
            "wide": True,
            "medium": False,
            "narrow": False,
        }
        self.narrow_pane: Pane = "list"
        self.active_pane: Pane = "list"
        self.feeds_by_id: dict[int, FeedInfo] = {}
        # Every feed's address when last listed, kept after it leaves the list: a feed
        # shown and gone from the list is removed only if its address is unsubscribed.
        self._last_urls: dict[int, str] = {}
        self.undo_pks: list[int] = []
        # The newest article stored when the list was last read: "mark all read" marks
        # what the user could have seen, not what a refresh in another process added.
        self.shown_up_to_pk: int | None = None
        self.refreshing = False
        self._rest_timer: Timer | None = None
        self._read_timer: Timer | None = None
        # The article a reading key (n, p, Space) moved to: opened, not skimmed past.
        self._open_pk: int | None = None
        self._sidebar_timer: Timer | None = None
        self._then_next_unread = False
        self._user_chose = False
        # The article last marked read by being opened: drawn again (an update, a reload
        # after a mark made elsewhere or an undo) it is not read again, until the user
        # opens it anew (a cursor key onto it, Enter). `m` there kept it unread only
        # until the next redraw.
        self.read_when_opened: int | None = None
        # The article `m` marked unread while it was shown: with mark_read = "on_leave",
        # leaving it does not read it (once; opened again, it is read when left).
        self.kept_unread: int | None = None
        # Marks are saved by worker threads, which may run out of order: each mark of an
        # article is numbered, and a save that a later mark of it overtook is dropped
        # (`m` twenty times in one burst left the store out of step with the screen).
        self._mark_numbers = itertools.count(1)
        self._saving_marks = threading.Lock()
        # Marks numbered and not saved yet: `A` and `u` wait for them, so that an `m`
        # typed just before either is not saved after it (they work on whole lists).
        self._marks_pending = 0
        self._marks_settled = threading.Condition()
        # The latest mark of each (kind, pk) shown before the store held it: (number,
        # value, None until saved, then `_marks_landed` as its save landed). A save of
        # an earlier number is dropped. Rows read before a save landed (a reload while
        # another process holds the write lock for seconds) show the mark, not the
        # store's value then (see `_with_marks`).
        self._unsaved_marks: dict[tuple[str, int], tuple[int, bool, int | None]] = {}
        self._marks_landed = 0
        # The status line's "No articles here yet…", said of an empty list (at 80 x 24).
        self._empty_said = ""
        # The last view generation loaded because of a change outside the reader (see
        # reload_view): an article it puts under the cursor is no choice of the user's.
        # A generation, not a flag for the next cursor move: two outside reloads in a
        # row (the feed shown removed) move the cursor twice.
        self._outside_generation = -1
        # An article whose removal the status line told (its feed removed, `s` on it),
        # and the view generation from which on it holds: not told twice, whichever
        # reload finds it gone; forgotten by the first view loaded since.
        self._gone_said: tuple[int, int] | None = None
        self._reader_chosen = False  # the reader's article was picked by the user
        self._before_search: Headline | None = None
        # Keys typed while a new search loads, for its results (see waiting_keys).
        self.waiting_keys: WaitingKeys[events.Key] = WaitingKeys()
        # Key actions kept for the article the reader is about to show (main_reader).
        self._after_article: list[Callable[[], None]] = []
        # And the ends of reading keys (n, p, Space) that look in the store for the
        # next unread article: the keys typed after them wait for it (main_reader).
        self._after_unread: list[Callable[[], None]] = []
        self._searching_line = SEARCHING  # as said, with the keys waiting
        self._failing_said = ""  # the failing feeds' line said at start (kept true)

    @property
    def news_app(self) -> NewsApp:
        return self.app  # type: ignore[return-value]

    # -- widgets ----------------------------------------------------------------------
    # Held, not queried: a query per key press costs time, and on unmount (saving the
    # article being read) the children are already gone from the DOM.
    @property
    def sidebar(self) -> FeedSidebar:
        return self._sidebar

    @property
    def headlines(self) -> HeadlineList:
        return self._headlines

    @property
    def reader(self) -> ReaderPane:
        return self._reader

    @property
    def status(self) -> StatusLine:
        return self._status

    def compose(self) -> ComposeResult:
        self._sidebar = FeedSidebar(id="sidebar")
        self._headlines = HeadlineList(id="headlines")
        self._reader = ReaderPane(id="reader")
        self._status = StatusLine(id="status")
        with Horizontal(id="panes"):
            yield self._sidebar
            with Vertical(id="main"):
                with Vertical(id="list-box"):
                    yield self._headlines
                with Vertical(id="reader-box"):
                    yield self._reader
        with Horizontal(id="status-bar"):
            yield self._status
        yield KeyFooter()

    # -- start ------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.query_one("#sidebar").border_title = "Feeds"
        self._apply_layout(self.size.width, self.size.height)
        # The first screen comes straight from the store, before any network request:
        # one count, one window of headlines, the feed list.
        try:
            self.store = Store.open(self.ctx.store_path)
            self.store.settle_writes = True  # see Store.settle_writes
            # Mirrored only when they differ: a write at start could wait on another
            # process's refresh (busy timeout) before the first screen.
            feeds = self.store.sync_feeds_if_changed(self.ctx.subscriptions)
        except TuinewsError as error:
            self.app.exit(return_code=1, message=f"tuinews: {error}")
            return
        self._on_feeds_loaded(self._load_feeds(feeds))
        self._on_view_loaded(
            self._load_view(self.generation + 1, self._effective_view(), None, HeadlineList.WINDOW)
        )
        if self.ctx.hint:
            self.status.say(self.ctx.hint, lasting=True)
        else:
            self._say_failing_feeds()
        if self.store.read_only:
            self.status.say(
                "Read-only store: reading works; marks and refreshes are not saved.",
                error=True,
                lasting=True,
            )
        self.activate("list")

    def _say_failing_feeds(self) -> None:
        """Subscriptions whose last fetch failed, said at start: at 80 columns the
        sidebar that marks them is hidden, and a start without a refresh says nothing
        else about them (a refresh at start replaces this with its own summary). In
        the status line's own colour: the first frame draws the same line."""
        line = self._failing_line()
        if line:
            self.status.say(line, lasting=True)
        self._failing_said = line

    def _failing_line(self) -> str:
        by_url = {feed.url: feed for feed in self.feeds_by_id.values()}
        subscribed = [by_url[sub.url] for sub in self.ctx.subscriptions if sub.url in by_url]
        return failing_line([(feed.title, is_failing(feed)) for feed in subscribed])

    def on_unmount(self) -> None:
        if self.store is not None:
            self._save_before_exit()
            self.store.close()

    # -- layout -----------------------------------------------------------------------
    def on_resize(self) -> None:
        self._apply_layout(self.size.width, self.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        mode = layout_mode(width, height)  # the first frame lays out the same way
        self.layout_mode = mode
        for name in ("wide", "medium", "narrow"):
            self.set_class(name == mode, f"-{name}")
        sidebar = self.query_one("#sidebar")
        list_box = self.query_one("#list-box")
        reader_box = self.query_one("#reader-box")
        reader_was_shown = reader_box.display
        if mode == "narrow":
            pane = self.narrow_pane
            sidebar.display = pane == "sidebar"
            self.query_one("#main").display = pane != "sidebar"
            list_box.display = pane == "list"
            reader_box.display = pane == "reader"
            self.activate(pane)
        else:
            self.query_one("#main").display = True
            sidebar.display = self.sidebar_wanted[mode]
            list_box.display = True
            reader_box.display = True
            if self.active_pane == "sidebar" and not sidebar.display:
                self.activate("list")
        if reader_box.display and not reader_was_shown:
            # Shown again by a resize (one pane -> two or three): what the cursor is on,
            # which the hidden reader may never have rendered.
            self.call_after_refresh(self._show_current_now)

    def show_pane(self, pane: Pane) -> None:
        """Move to a pane: in narrow mode that pane fills the screen."""
        if self.layout_mode == "narrow":
            self.narrow_pane = pane
            self._apply_layout(self.size.width, self.size.height)
        elif pane == "sidebar" and not self.sidebar_wanted[self.layout_mode]:
            self.sidebar_wanted[self.layout_mode] = True
            self._apply_layout(self.size.width, self.size.height)
        self.activate(pane)
        if pane == "reader":
            self._user_chose = True
            self.read_when_opened = None  # opened anew
            current = self.headlines.current
            if current is not None and current.pk == self.kept_unread:
                self.kept_unread = None  # opened anew: read when left, as any other
            # After the layout: the reader renders at the width it is shown at.
            self.call_after_refresh(self._show_current_now)

    def visible_panes(self) -> list[Pane]:
        if self.layout_mode == "narrow":
            return ["sidebar", "list", "reader"]
        panes: list[Pane] = ["list", "reader"]
        if self.sidebar_wanted[self.layout_mode]:
            panes.insert(0, "sidebar")
        return panes

    @property
    def focused_pane(self) -> Pane:
        """The pane the keys go to (tracked here, not with Textual focus: see CursorList)."""
        return self.active_pane

    def activate(self, pane: Pane) -> None:
        self.active_pane = pane
        self.sidebar.set_active(pane == "sidebar")
        self.headlines.set_active(pane == "list")
        self.reader.set_active(pane == "reader")

    @on(PaneClicked)
    def _on_pane_clicked(self, message: PaneClicked) -> None:
        for pane, widget in (
            ("sidebar", self.sidebar),
            ("list", self.headlines),
            ("reader", self.reader),
        ):
            if message.pane is widget:
                self.activate(pane)  # type: ignore[arg-type]

    # -- views ------------------------------------------------------------------------
    def _effective_view(self) -> View:
        view = dataclasses.replace(
            self.base_view,
            unread_only=self.base_view.unread_only or self.filter == "unread",
            starred_only=self.base_view.starred_only or self.filter == "starred",
            search=self.search,
        )
        if view != self._held_for:
            self._held, self._held_for = {}, view  # another list: nothing held any more
        if self._held and (view.unread_only or view.starred_only):
            view = dataclasses.replace(view, held=tuple(self._held))
        return view

    def hold(self, pk: int) -> None:
        """Keep `pk` in the list shown although it leaves its filter (see `_held`)."""
        shown = self._shown_view
        if shown.unread_only or shown.starred_only:
            self._held[pk] = None
            if len(self._held) > HELD_MAX:
                del self._held[next(iter(self._held))]

    def view_label(self) -> str:
        parts = [self.base_label]
        if self.search:
            parts.append(f"search “{self.search}”")
        base = self.base_view
        if self.filter != "all" and not (
            (self.filter == "unread" and base.unread_only)
            or (self.filter == "starred" and base.starred_only)
        ):
            parts.append(self.filter)  # not "Unread · unread"
        return " · ".join(parts)

    def reload_view(
        self, *, keep: Headline | None = None, outside: bool = False, said_of: int | None = None
    ) -> None:
        """Count the view again and fetch the window around the selected article.

        The selected article stays selected, on the same screen row, even when new
        articles arrived above it. Search views sort by relevance, so a key from one
        cannot place a row in a time-sorted view: `keep` then comes from the caller.
        `outside`: because of a change made outside the reader, not by the user here;
        `said_of`: an article whose removal the status line has told already.
        """
        self.generation += 1
        if outside:
            self._outside_generation = self.generation
        if said_of is not None:
            self._gone_said = (self.generation, said_of)
        self.view = self._effective_view()
        at = 0
        if keep is None and self.view.search == self._shown_view.search:
            keep = self.headlines.current
            if keep is None and same_list(self.view, self._shown_view):
                at = self.headlines.cursor  # its row is still on its way: the same row
        # Keys typed until the view is loaded move the cursor from where it is now.
        self._cursor_asked = self.headlines.cursor
        if self.view.search and self.view.search != self._shown_view.search:
            # A new search: the first after a refresh indexes its articles first, seconds
            # after a big one, with the old list still shown. Said; and the keys typed
            # meanwhile wait for its results (see waiting_keys). Those held for other
            # words are dropped: their results will never show.
            if self.view.search != self.waiting_keys.search:
                self.give_up_waiting_keys()
            self.waiting_keys.begin(self.generation, self.view.search)
            self.say_searching()
        else:
            # Escape (or the words shown already): no new results to wait for.
            self.give_up_waiting_keys()
        self._fetch_view(self.generation, self.view, keep, at)

    def hold_for_search(self, action: Callable[[], None]) -> bool:
        """Keep a key's action for the results of the search loading now (see
        `waiting_keys.waits_for_search`); False when none is loading."""
        if not self.waiting_keys.loading:
            return False
        action, key = self.for_later(action, search=True)
        self.waiting_keys.hold(action, key)
        self.say_searching()
        return True

    def for_later(
        self, action: Callable[[], None], *, search: bool
    ) -> tuple[Callable[[], None], events.Key | None]:
        """`action`, of the key being handled, kept to run later (for a search's
        results: `search`), and the key when the keys typed after it wait for it.
        The key layer (`main.MainScreen`) binds it to its key."""
        return action, None

    def unread_found(self) -> None:
        """Provided by the reading layer (main_reader)."""

    def shown_article_loaded(self, pk: int | None, stamp: str | None) -> None:
        """Provided by the reading layer (main_reader)."""

    def give_up_waiting_keys(self) -> int:
        """Drop the keys held for the search loading now; returns how many."""
        dropped, key = self.waiting_keys.give_up()
        if key is not None:
            dropped += self.news_app.drop_keys(key)  # those typed after it, held as keys
        return dropped

    def say_searching(self) -> None:
        """Say that a search loads, and how many keys wait for its results."""
        if not self.waiting_keys.loading:
            return
        waiting = len(self.waiting_keys) + self.news_app.keys_held_behind(self.waiting_keys.key)
        line = SEARCHING
        if waiting:
            keys = "1 key waits" if waiting == 1 else f"{waiting} keys wait"
            line = f"{SEARCHING} {keys} for the results."
        self._searching_line = line
        self.status.say(line)

    @work(thread=True, exclusive=True, group="view", description="count and fetch a view")
    def _fetch_view(self, generation: int, view: View, keep: Headline | None, at: int = 0) -> None:
        try:
            loaded = self._load_view(generation, view, keep, HeadlineList.WINDOW, at)
        except TuinewsError as error:
            self.post_message(ViewFailed(generation, str(error)))
            return
        self.post_message(loaded)

    def without_store_path(self, error: TuinewsError) -> str:
        """The error without the reader's own store path first: it took the 80 columns'
        room, and the store is the one the reader has open."""
        said = str(error)
        return said.removeprefix(f"{self.store.path}: ") if self.store is not None else said

    def not_saved_at_exit(self, what: str, error: TuinewsError) -> None:
        """Keep "not saved: WHAT (reason)" for the command to print once the terminal
        is back: the reader is quitting, and its status line is going."""
        reason = self.without_store_path(error).removesuffix("; try again")
        self.news_app.said_at_exit.append(f"not saved: {what} ({reason})")

    def marks_landed(self) -> int:
        """How many saves of marks had landed: a worker takes it before reading rows,
        which then hold every mark saved until then (see `_with_marks`)."""
        with self._marks_settled:
            return self._marks_landed

    def _with_marks(self, rows: Sequence[Headline], marks_landed: int) -> Sequence[Headline]:
        """`rows`, read once `marks_landed` saves of marks had landed, showing the marks
        made here that they may not hold (on the UI thread)."""
        with self._marks_settled:
            marks = {
                key: value
                for key, (_, value, landed) in self._unsaved_marks.items()
                if landed is None or landed > marks_landed
            }
        if not marks:
            return rows
        shown: list[Headline] = []
        for row in rows:
            read, starred = marks.get(("read", row.pk)), marks.get(("star", row.pk))
            if read is not None or starred is not None:
                row = dataclasses.replace(
                    row,
                    read=row.read if read is None else read,
                    starred=row.starred if starred is None else starred,
                )
            shown.append(row)
        return shown

    def _forget_landed_marks(self, marks_landed: int) -> None:
        """A view read once `marks_landed` saves had landed is shown: every row read
        from now on holds those marks (windows are read after their view)."""
        with self._marks_settled:
            landed = [
                key
                for key, (_, _, at) in self._unsaved_marks.items()
                if at is not None and at <= marks_landed
            ]
            for key in landed:
                del self._unsaved_marks[key]

    def _load_view(
        self, generation: int, view: View, keep: Headline | None, limit: int, at: int = 0
    ) -> ViewLoaded:
        assert self.store is not None
        marks_landed = self.marks_landed()
        # One snapshot: a refresh committing between the count, the kept article's index
        # and the window shifted the rows, and the selection landed on another article.
        window = self.store.view_window(view, keep=keep, limit=limit, at=at)
        shown = self.reader.pk
        return ViewLoaded(
            generation,
            view,
            window.total,
            window.start,
            window.rows,
            window.cursor,
            window.last_pk,
            shown,
            self.store.article_stamp(shown) if shown is not None else None,
            self.store.unsearched_note() if view.search else None,
            marks_landed,
        )

    @on(ViewLoaded)
    def _on_view_loaded(self, message: ViewLoaded) -> None:
        if message.generation < self.generation:
            return
        self.generation = message.generation
        self.status.withdraw(self._searching_line)
        headlines = self.headlines
        cursor = message.cursor
        recount = same_list(message.view, self._shown_view)
        if recount:
            # The same list counted again (a refresh, another process's changes): the
            # keys typed meanwhile (j, PageUp) moved the cursor, and keep moving it.
            cursor += headlines.cursor - self._cursor_asked
        self.view = self._shown_view = message.view
        self.shown_up_to_pk = message.last_pk
        before = headlines.current
        screen_row = headlines.cursor - headlines.scroll_offset.y
        headlines.load(
            message.generation,
            message.total,
            message.start,
            self._with_marks(message.rows, message.marks_landed),
            max(0, min(cursor, message.total - 1)),
        )
        self._forget_landed_marks(message.marks_landed)
        after = headlines.current
        reading = self.reader.pk
        outside = message.generation == self._outside_generation
        stayed = before is not None and after is not None and before.pk == after.pk
        # The same list read again (or another, because of a change outside) without the
        # article being read: it went away (a cleanup, its feed removed) or left the view
        # (a filter it no longer passes).
        left = (
            (recount or outside)
            and before is not None
            and before.pk == reading
            and (after is None or after.pk != reading)
        )
        gone = left and message.shown_pk == reading and message.shown_stamp is None
        if left or (outside and not stayed):
            # The article the cursor fell on is not one the user opened (whichever
            # reload comes first: the look outside, a refresh's end, an undo).
            self._user_chose = False
        elif not (recount and stayed):
            # An article a new view puts in the reader was not picked by the user, unless
            # the reader has the keys (a search made while reading shows its first hit
            # there, full screen in one pane): that one is being read. Counted again
            # under the article shown, it is as picked (or not) as it was.
            self._user_chose = self.focused_pane == "reader"
        if recount:
            self.shown_article_loaded(message.shown_pk, message.shown_stamp)
        if cursor:
            headlines.scroll_to(
                y=max(0, headlines.cursor - screen_row), animate=False, immediate=True
            )
        self._show_list_title(message.total)
        if message.total == 0:
            empty = self._empty_message()
            self.reader.show_message(empty)
            if not recount and self.layout_mode == "narrow" and self.narrow_pane != "reader":
                # The reader, which says so, is hidden: the list alone is an empty box.
                # (Not when the same list empties: "… read (u undoes)" stays said.)
                self.status.say(empty, error=empty.startswith("Nothing yet"))
                self._empty_said = empty
        elif self._empty_said:
            self.status.withdraw(self._empty_said)  # said of the list before this one
            self._empty_said = ""
        if message.unsearched:
            # Else "Nothing matches" of words a read-only store's articles hold.
            self.status.say(message.unsearched, error=True)
        if gone and reading is not None:
            self._article_gone(reading)  # after "Nothing matches", which it explains
        if self._gone_said is not None and message.generation >= self._gone_said[0]:
            self._gone_said = None
        if self._then_next_unread:
            # `n` brought this list (the next feed with unread articles): the article it
            # lands on is opened by the user, and read, as within a feed.
            self._then_next_unread = False
            self._user_chose = True
            current = self.headlines.current
            if current is None or current.read:
                self.find_unread(forward=True, across_feeds=False)
            else:
                self._open_pk = current.pk
                self.unread_found()
        # The keys typed while this search loaded, on its results now, in order.
        for action in self.waiting_keys.loaded(message.generation):
            action()

    @on(ViewFailed)
    def _on_view_failed(self, message: ViewFailed) -> None:
        line = message.error
        if self.waiting_keys.loading and message.generation >= self.generation:
            dropped = self.give_up_waiting_keys()
            if dropped:
                keys = "1 key" if dropped == 1 else f"{dropped} keys"
                line = f"{line} ({keys} typed meanwhile not acted on)"
        self._then_next_unread = False
        self.unread_found()  # a reading key that waited for this list: the keys go on
        self.status.say(line, error=True)

    def _empty_message(self) -> str:
        if self.search:
            return f"Nothing matches “{self.search}”."
        if not self.ctx.subscriptions:
            return "No feeds yet. Press a to add one."
        if self.filter == "unread" or self.base_view.unread_only:
            return "No unread articles."
        if self.filter == "starred" or self.base_view.starred_only:
            return "No starred articles: s stars the article shown."
        shown = self.base_view.feed_ids or ()
        feed = self.feeds_by_id.get(shown[0]) if len(shown) == 1 else None
        if feed is not None and feed.last_error:
            # R skips a failing feed until its back-off ends: "Press R" led nowhere.
            # The feed is named above the list; its address could take the whole line,
            # and the error, last, may be cut at 80 columns.
            return f"Nothing yet: r fetches this failing feed now ({feed.last_error})."
        return "No articles here yet. Press R to refresh."

    @on(WindowWanted)
    def _on_window_wanted(self, message: WindowWanted) -> None:
        if message.generation == self.generation:
            self._fetch_window(message, self.view)

    @work(thread=True, group="window", description="fetch headlines")
    @reported
    def _fetch_window(self, message: WindowWanted, view: View) -> None:
        assert self.store is not None
        marks_landed = self.marks_landed()
        start = message.start
        if message.after is not None:
            rows = self.store.headlines(view, limit=message.count, after=message.after)
        elif message.before is not None:
            rows = self.store.headlines(view, limit=message.count, before=message.before)
            start = message.start + message.count - len(rows)
        else:
            rows = self.store.headlines(view, limit=message.count, offset=message.start)
        self.post_message(WindowLoaded(message.generation, start, rows, marks_landed))

    @on(WindowLoaded)
    def _on_window_loaded(self, message: WindowLoaded) -> None:
        rows = self._with_marks(message.rows, message.marks_landed)
        self.headlines.add_rows(message.generation, message.start, rows)

    # -- sidebar ----------------------------------------------------------------------
    def _load_feeds(self, known: list[FeedInfo] | None = None) -> FeedsLoaded:
        assert self.store is not None
        wanted = [sub.url for sub in self.ctx.subscriptions]
        by_url = {feed.url: feed for feed in (known if known is not None else self.store.feeds())}
        # Tags come from the subscription list (the config), the store only mirrors them.
        feeds = [by_url[url] for url in wanted if url in by_url]
        starred = self.store.count(View(starred_only=True))
        unread = sum(feed.unread for feed in by_url.values())  # subscribed or not
        total = sum(feed.total for feed in by_url.values())
        return FeedsLoaded(feeds, {"starred": starred, "unread": unread, "all": total})

    @work(thread=True, exclusive=True, group="feeds", description="load feeds")
    @reported
    def reload_feeds(self) -> None:
        self.post_message(self._load_feeds())

    @on(FeedsLoaded)
    def _on_feeds_loaded(self, message: FeedsLoaded) -> None:
        before, self.feeds_by_id = self.feeds_by_id, {feed.id: feed for feed in message.feeds}
        self._rename_shown_feed(before)
        self._last_urls.update((feed.id, feed.url) for feed in message.feeds)
        counts = message.counts
        self.sidebar.set_feeds(
            message.feeds, starred=counts.get("starred"), unread=counts.get("unread")
        )
        if self._failing_said:
            # The line said at start, still up: true again (a feed removed, or fixed by a
            # refresh outside the reader), or gone when no feed fails any more.
            line = self._failing_line()
            self.status.replace_lasting(self._failing_said, line)
            self._failing_said = line
        shown = self.base_view.feed_ids
        subscribed = {sub.url for sub in self.ctx.subscriptions}
        if shown and not any(
            feed_id in self.feeds_by_id or self._last_urls.get(feed_id) in subscribed
            for feed_id in shown
        ):
            # The feed (or every feed of the tag) shown was unsubscribed outside the
            # reader (`tuinews remove`): its empty list would say "Press R to refresh".
            # Not a feed still subscribed under the address it had: a refresh elsewhere
            # moved it in the store, and the settings file follows when that refresh ends.
            self.status.say(
                f"{self.base_label} is no longer among your feeds (removed outside the "
                "reader); showing All."
            )
            self.show_all_instead()
            self.reload_view(outside=True, said_of=self.reader.pk)
        elif self._list_is_behind(message):
            self.reload_view(outside=True)  # another process added or removed articles

    def _article_gone(self, pk: int) -> None:
        """The article in the reader is gone from the store (`tuinews cleanup`, its feed
        removed). Full screen, the reader would show the next one with nothing said, and
        `s` would star that one: the list is shown instead, its cursor on the article
        that took the place, and the status line says why, unless it has (`said_of`)."""
        self.leave_full_screen_reader()
        if self._gone_said is None or self._gone_said[1] != pk:
            # Short enough for 80 columns: a cleanup or a removed feed, said elsewhere.
            self.status.say("The article you were reading was removed outside the reader.")

    def leave_full_screen_reader(self) -> bool:
        """One pane at a time with the reader shown: the list is shown instead. Whether
        it was."""
        if self.layout_mode == "narrow" and self.narrow_pane == "reader":
            self.show_pane("list")
            return True
        return False

    def show_all_instead(self) -> None:
        """The feed (or tag) shown is gone: All is shown instead, and selected in the
        sidebar (its cursor went to the row after the one removed)."""
        self.base_view, self.base_label = View(), "All"
        self.sidebar.place_cursor(0)  # "All" is the first row

    def _rename_shown_feed(self, before: dict[int, FeedInfo]) -> None:
        """The feed shown was renamed (its title edited in the settings file): the
        list's header names it anew, as the sidebar does."""
        shown = self.base_view.feed_ids
        if not shown or len(shown) != 1 or self.search is not None:
            return
        old, new = before.get(shown[0]), self.feeds_by_id.get(shown[0])
        if old is None or new is None or old.title == new.title or self.base_label != old.title:
            return
        self.base_label = new.title
        self._show_list_title(self.headlines.row_count)

    def _show_list_title(self, total: int) -> None:
        # Text, not str: a str title is parsed as markup, and this one holds feed titles
        # and search words.
        title = f"{self.view_label()} ({total})"
        self.query_one("#list-box").border_title = safe_text(title)

    @on(ViewStale)
    def _on_view_stale(self, message: ViewStale) -> None:
        """Articles went away outside the reader (`tuinews cleanup`, `remove`): the list
        met the end of its rows early. Count the view and the feeds again."""
        if message.generation == self.generation:
            self.reload_feeds()
            self.reload_view(outside=True)

    def _list_is_behind(self, message: FeedsLoaded) -> bool:
        """Whether the counts just read say the list's rows changed since it was read
        (a cron refresh, a cleanup): the header and the sidebar would disagree.

        Only where the counts are comparable: not in a search, and not in the unread
        or starred filters, whose lists keep an article the user just marked."""
        view = self._shown_view
        if view.search or view.unread_only or view.starred_only:
            return False
        if view.feed_ids is None:
            expected = message.counts.get("all")
        else:
            wanted = set(view.feed_ids)
            expected = sum(feed.total for feed in message.feeds if feed.id in wanted)
        return expected is not None and expected != self.headlines.row_count

    @on(SidebarHighlighted)
    def _on_sidebar_highlighted(self) -> None:
        if self._sidebar_timer is not None:
            self._sidebar_timer.stop()
        self._sidebar_timer = self.set_timer(REST_DELAY * 1.5, self.select_sidebar_entry)

    def select_sidebar_entry(self, entry: SidebarEntry | None = None) -> None:
        entry = entry or self.sidebar.current
        if entry is None:
            return
        if entry.kind == "feed" and entry.feed is not None:
            view, label = View(feed_ids=(entry.feed.id,)), entry.feed.title
        elif entry.kind == "tag":
            view, label = View(feed_ids=self.sidebar.tag_feed_ids(entry.tag)), entry.label
        elif entry.kind == "unread":
            view, label = View(unread_only=True), "Unread"
        elif entry.kind == "starred":
            view, label = View(starred_only=True), "Starred"
        else:
            view, label = View(), "All"
        if view == self.base_view and self.search is None:
            return
        self.base_view, self.base_label, self.search = view, label, None
        self.give_up_waiting_keys()
        self.generation += 1
        self.view = self._effective_view()
        self._fetch_view(self.generation, self.view, None)

    @on(Status)
    def _on_status(self, message: Status) -> None:
        self.status.say(message.text, error=message.error, lasting=message.lasting)

    # -- provided by the reading layer (main_reader) ----------------------------------
    def _show_current_now(self) -> None:
        raise NotImplementedError

    def find_unread(self, *, forward: bool, across_feeds: bool) -> None:
        raise NotImplementedError

    def set_read(self, pks: list[int], read: bool) -> None:
        raise NotImplementedError

    def _save_before_exit(self) -> None:
        raise NotImplementedError
