"""The main screen: what each key does (the keys are in `tuinews.ui.bindings`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import events, work

from tuinews.errors import TuinewsError
from tuinews.store import View
from tuinews.ui.bindings import MAIN_BINDINGS
from tuinews.ui.messages import Status
from tuinews.ui.screens.main_core import Filter, reported
from tuinews.ui.screens.main_refresh import RefreshingScreen
from tuinews.ui.waiting_keys import waits_for_search

if TYPE_CHECKING:
    from tuinews.ui.screens.dialog import Dialog

FILTERS: tuple[Filter, ...] = ("all", "unread", "starred")
# The actions that may open a dialog: the keys typed behind their key go into it.
DIALOG_ACTIONS = frozenset({"search", "add_feed", "help", "remove_feed", "feed_info", "links"})
# And those that may wait for the article being opened (its links), or for the store to
# say where the next unread article is: the keys typed behind their key wait with them.
# What the status line says while `A` waits for another process's write to the store.
STORE_WAIT = "Waiting for the store: another tuinews is writing to it…"
STORE_WAIT_SAID_AFTER = 1.0

GATED_ACTIONS = (
    DIALOG_ACTIONS
    | {f"link({n})" for n in range(1, 10)}
    | {"next_unread", "previous_unread", "space", "mark_all_read", "undo"}
)


class MainScreen(RefreshingScreen):
    """Sidebar, headline list and reader; what each key does."""

    BINDINGS = MAIN_BINDINGS  # type: ignore[assignment]
    _key_in_hand: events.Key | None = None  # the key whose action runs now
    _opened: Dialog[Any] | None = None  # the dialog that action opened
    _kept = False  # that action was kept to run later (`for_later`)

    # -- keys -------------------------------------------------------------------------
    # A key's binding runs here, where the key arrives, in the order typed (Textual runs
    # it later, once the key has bubbled up to the app, and looks the binding up on the
    # screen shown then: after `/` opened the search prompt, a `j` typed before it was
    # dropped). A key that may open a dialog holds the keys typed after it (the app's
    # key gate): they go into the dialog once it is up, or on here if none opened. So
    # does a key whose action may wait (for the article being opened: `GATED_ACTIONS`).
    def gate_on(self, key: events.Key) -> bool:
        """Whether the keys typed after `key` must wait for it (see waiting_keys)."""
        active = self.active_bindings.get(key.key)
        return (
            active is not None
            and active.node is self
            and active.enabled
            and active.binding.action in GATED_ACTIONS
        )

    async def on_key(self, event: events.Key) -> None:
        if self.app.screen is not self:
            # Typed before another screen came up: Textual's way.
            self.news_app.key_done(event)
            return
        active = self.active_bindings.get(event.key)
        if active is None or active.node is not self or not active.enabled:
            self.news_app.key_done(event)
            return
        event.stop()  # not to the app, which would run the binding again
        outer = self._take_key(event)
        try:
            await self.run_action(active.binding.action)
        finally:
            self._let_go(event, outer)

    # Not a context manager: this runs for every key, and costs less so.
    def _take_key(self, key: events.Key | None) -> tuple[Any, ...]:
        """Run a key's action: a dialog it opens takes the keys typed after the key
        (`open_dialog`); kept for later (`for_later`), they wait until it has run;
        else they go on when it has (`_let_go`)."""
        outer = self._key_in_hand, self._opened, self._kept
        self._key_in_hand, self._opened, self._kept = key, None, False
        return outer

    def _let_go(self, key: events.Key | None, outer: tuple[Any, ...]) -> None:
        opened, kept = self._opened, self._kept
        self._key_in_hand, self._opened, self._kept = outer
        if key is not None and opened is None and not kept:
            self.news_app.key_done(key)  # else the dialog says so once it is up

    def for_later(
        self, action: Callable[[], None], *, search: bool
    ) -> tuple[Callable[[], None], events.Key | None]:
        key = self._key_in_hand
        if key is None or key is not self.news_app.key_gate.closed_by:
            return action, None  # no key waits for it
        self._kept = True
        if search:
            self.news_app.key_waits_for_search(key)
        return functools.partial(self._resume, key, action), key

    def _resume(self, key: events.Key, action: Callable[[], None]) -> None:
        """The kept action of `key` runs now, as if its key were typed now: the keys
        typed after it go into the dialog it opens, or on when it has run."""
        self.news_app.key_resumed(key)
        outer = self._take_key(key)
        try:
            action()
        finally:
            self._let_go(key, outer)

    async def run_as_key(self, key: events.Key | None, action: Callable[[], object]) -> None:
        """Run `action` (a command picked in the palette) as if `key` had run it."""
        outer = self._take_key(key)
        try:
            result = action()
            if inspect.isawaitable(result):
                await result
        finally:
            self._let_go(key, outer)

    def open_dialog(
        self, dialog: Dialog[Any], callback: Callable[[Any], None] | None = None
    ) -> None:
        """Push a dialog. The keys typed after the key that opened it go into it once it
        is up: the dialog tells the app's key gate so (`Dialog.opened_by`)."""
        if self._key_in_hand is not None:
            dialog.opened_by, self._opened = self._key_in_hand, dialog
        self.app.push_screen(dialog, callback)

    # -- moving -----------------------------------------------------------------------
    def _move(self, delta: int | None = None, *, to: int | None = None) -> None:
        pane = self.focused_pane
        if pane == "reader":
            reader = self.reader
            if to is not None:
                reader.scroll_to(
                    y=0 if to == 0 else reader.max_scroll_y, animate=False, immediate=True
                )
            else:
                reader.scroll_lines(delta or 0)
            return
        widget = self.sidebar if pane == "sidebar" else self.headlines
        widget.move_cursor(to if to is not None else widget.cursor + (delta or 0))

    @waits_for_search
    def action_cursor_down(self) -> None:
        self._move(1)

    @waits_for_search
    def action_cursor_up(self) -> None:
        self._move(-1)

    @waits_for_search
    def action_first(self) -> None:
        self._move(to=0)

    @waits_for_search
    def action_last(self) -> None:
        self._move(to=10**12)

    @waits_for_search
    def action_page_down(self) -> None:
        self._move(self._page_of_focused())

    @waits_for_search
    def action_page_up(self) -> None:
        self._move(-self._page_of_focused())

    def _page_of_focused(self) -> int:
        pane = self.focused_pane
        widget = {"sidebar": self.sidebar, "list": self.headlines, "reader": self.reader}[pane]
        return max(1, widget.page_height - 1)

    # -- panes ------------------------------------------------------------------------
    @waits_for_search
    def action_open(self) -> None:
        pane = self.focused_pane
        if pane == "sidebar":
            if self._sidebar_timer is not None:
                self._sidebar_timer.stop()
            self.select_sidebar_entry()
            self.show_pane("list")
        elif pane == "list" and self.headlines.current is not None:
            self.show_pane("reader")

    def _step_pane(self, step: int, *, wrap: bool) -> None:
        """Tab/Shift-Tab cycle through the visible panes; h/l stop at the ends."""
        panes = self.visible_panes()
        here = self.focused_pane
        index = panes.index(here) if here in panes else 0
        target = (index + step) % len(panes) if wrap else max(0, min(index + step, len(panes) - 1))
        if panes[target] != here:
            if here == "sidebar":
                self.select_sidebar_entry()
            self.show_pane(panes[target])

    @waits_for_search
    def action_next_pane(self) -> None:
        self._step_pane(1, wrap=True)

    @waits_for_search
    def action_previous_pane(self) -> None:
        self._step_pane(-1, wrap=True)

    @waits_for_search
    def action_pane_left(self) -> None:
        self._step_pane(-1, wrap=False)

    @waits_for_search
    def action_pane_right(self) -> None:
        self._step_pane(1, wrap=False)

    @waits_for_search
    def action_toggle_sidebar(self) -> None:
        if self.layout_mode == "narrow":
            self.show_pane("list" if self.narrow_pane == "sidebar" else "sidebar")
            return
        mode = self.layout_mode
        self.sidebar_wanted[mode] = not self.sidebar_wanted[mode]
        self._apply_layout(self.size.width, self.size.height)
        if self.sidebar_wanted[mode]:
            self.activate("sidebar")

    def action_back(self) -> None:
        self._go_back(quitting=False)

    def action_back_or_quit(self) -> None:
        if not self._go_back(quitting=True):
            self.app.exit()

    def _go_back(self, *, quitting: bool) -> bool:
        """One step back: reader to list, search to the view, a feed's (or tag's) list
        to the feeds, as in newsboat; False at the top level. The feeds are the top for
        q (it quits there); Escape from them in one pane goes back to the list."""
        if self.layout_mode == "narrow" and self.narrow_pane == "sidebar":
            if quitting:
                return False
            self.show_pane("list")
            return True
        if self.leave_full_screen_reader():
            return True
        if self.focused_pane == "reader":
            self.activate("list")
            return True
        if self.search is not None:
            self.search = None
            self.reload_view(keep=self._before_search)
            return True
        if self.focused_pane == "list" and self.base_view != View():
            self.show_pane("sidebar")  # where the feed was chosen, still selected there
            return True
        return False

    # -- reading ----------------------------------------------------------------------
    @waits_for_search
    def action_space(self) -> None:
        if self.layout_mode == "narrow" and self.narrow_pane != "reader":
            self.action_open()  # one pane at a time: Space first shows the article
            return
        reader = self.reader
        if reader.pk is not None and not reader.at_end:
            reader.scroll_lines(max(1, reader.page_height - 1))
            current = self.headlines.current
            on_open = self.ctx.config.ui.mark_read == "on_open"
            if on_open and current is not None and current.pk == reader.pk and not current.read:
                # Paged through beside the list: being read, as when opened.
                self._open_pk = current.pk
                self._mark_opened(current.pk)
        else:
            self.action_next_unread()

    @waits_for_search
    def action_next_unread(self) -> None:
        self.find_unread(forward=True, across_feeds=True)

    @waits_for_search
    def action_previous_unread(self) -> None:
        self.find_unread(forward=False, across_feeds=False)

    @waits_for_search
    def action_toggle_read(self) -> None:
        current = self.headlines.current
        if current is not None:
            # Opened but not drawn yet (`m` in one burst with Enter or `n`): as good as
            # read, since the reader reads it once drawn; `m` keeps it unread.
            opening = (
                not current.read
                and self.opened(current.pk)
                and self.ctx.config.ui.mark_read == "on_open"
                and self.read_when_opened != current.pk
            )
            if current.read or opening:
                # Kept unread, even where it was open already read: not read again when
                # drawn again, only when opened anew (see read_when_opened), nor by the
                # look that reads an article resting beside the list, nor when left.
                self.read_when_opened = self.kept_unread = current.pk
                self.stop_read_timer()
            read = not (current.read or opening)
            self.set_read([current.pk], read)
            self.status.say("Marked read." if read else "Marked unread.")

    @waits_for_search
    def action_star(self) -> None:
        current = self.headlines.current
        if current is not None:
            self.headlines.update_row(current.pk, starred=not current.starred)
            if current.starred:
                self.hold(current.pk)
            self.write_star(
                current.pk,
                not current.starred,
                self._number_marks("star", [current.pk], not current.starred),
            )
            self.status.say("Starred." if not current.starred else "Unstarred.")

    @waits_for_search
    def action_mark_all_read(self) -> None:
        # The keys typed after A wait for its write: `u` has it to undo, and `m` the row
        # as it is then (read); as long as it takes, another process holding the store.
        done, key = self.for_later(lambda: None, search=False)
        if key is not None:
            self.news_app.key_waits_for_write(key)
        # `u` undoes this A: refused (a busy store), it leaves nothing to undo, not the
        # one before it.
        self.undo_pks = []
        # Said when the write waits that long: else the keys held behind it look ignored.
        busy = self.set_timer(STORE_WAIT_SAID_AFTER, lambda: self.status.say(STORE_WAIT))

        def finished() -> None:
            busy.stop()
            self.status.withdraw(STORE_WAIT)
            done()

        self._mark_all_read(self.view, self.view_label(), self.shown_up_to_pk, finished)

    @work(thread=True, group="write", description="mark all read")
    @reported
    def _mark_all_read(
        self, view: View, label: str, up_to_pk: int | None, done: Callable[[], None]
    ) -> None:
        assert self.store is not None
        try:
            self.wait_for_marks()
            pks = self.store.mark_read_where(view, up_to_pk=up_to_pk)
            self.app.call_from_thread(self._marked_all, pks, label)
        except TuinewsError as error:
            if self.news_app.quitting:
                self.not_saved_at_exit(f"all of {label} marked read", error)
            else:
                self.post_message(Status(str(error), error=True))
            return
        finally:
            self.app.call_from_thread(done)
        self.post_message(self._load_feeds())

    def _marked_all(self, pks: list[int], label: str) -> None:
        self.undo_pks = pks
        self.headlines.update_all(read=True)
        noun = "article" if len(pks) == 1 else "articles"
        self.status.say(f"Marked {len(pks)} {noun} read in {label} (u undoes).")

    @waits_for_search
    def action_undo(self) -> None:
        if not self.undo_pks:
            self.status.say("Nothing to undo.")
            return
        pks, self.undo_pks = self.undo_pks, []
        # The keys typed after u wait for its write, as after A: `m` then marks the row
        # as it is then (unread again).
        done, key = self.for_later(lambda: None, search=False)
        if key is not None:
            self.news_app.key_waits_for_write(key)
        self._undo_mark(pks, done)

    @work(thread=True, group="write", description="undo mark all read")
    @reported
    def _undo_mark(self, pks: list[int], done: Callable[[], None]) -> None:
        assert self.store is not None
        try:
            self.wait_for_marks()
            changed = self.store.set_read(pks, False)
            undone = set(pks)
            self.app.call_from_thread(lambda: self.headlines.update_rows(undone, read=False))
        finally:
            self.app.call_from_thread(done)
        self.post_message(self._load_feeds())
        # Counted as written: a feed removed meanwhile took its articles with it.
        noun = "article" if changed == 1 else "articles"
        if changed == len(pks):
            line = f"Marked {changed} {noun} unread again."
        elif changed == 0:
            line = "Nothing left to undo: those articles were removed or marked unread."
        else:
            line = (
                f"Marked {changed} {noun} unread again "
                f"({len(pks) - changed} removed or marked unread meanwhile)."
            )
        self.post_message(Status(line))
        self.app.call_from_thread(self.reload_view)

    @waits_for_search
    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self.status.say(f"Showing {self.filter} articles.")
        self.reload_view()

    # -- feeds ------------------------------------------------------------------------
    def _current_feed_url(self) -> str | None:
        entry = self.sidebar.current
        if self.focused_pane == "sidebar" and entry is not None and entry.feed is not None:
            return entry.feed.url
        if self.base_view.feed_ids and len(self.base_view.feed_ids) == 1:
            feed = self.feeds_by_id.get(self.base_view.feed_ids[0])
            if feed is not None:
                return feed.url
        current = self.headlines.current
        if current is not None and current.feed_id in self.feeds_by_id:
            return self.feeds_by_id[current.feed_id].url
        return None

    @waits_for_search
    def action_refresh_feed(self) -> None:
        url = self._current_feed_url()
        if url is None:
            self.action_refresh_all()
        else:
            # Asked for by name, as `tuinews refresh FEED`: fetched now even while it waits
            # after errors (R waits), with conditional GET, unless its server asked for a
            # pause (429/503 Retry-After), which is honoured.
            self.start_refresh([url])

    @waits_for_search
    def action_refresh_all(self) -> None:
        self.start_refresh(None)

    def action_add_feed(self) -> None:
        from tuinews.ui.screens.add_feed import AddFeedScreen

        if self.refused_without_settings():
            return
        self.open_dialog(AddFeedScreen(self.ctx), self._feed_added)

    def _feed_added(self, result: Any) -> None:
        if result is None:
            return
        if all(sub.url != result.url for sub in self.ctx.subscriptions):
            self.ctx.subscriptions.append(result)
        assert self.store is not None
        self.store.sync_feeds(self.ctx.subscriptions)
        self.status.say(f"Added {result.url}; fetching it…", lasting=True)
        self.reload_feeds()
        self.start_refresh([result.url])

    def _selected_feed(self) -> Any:
        entry = self.sidebar.current
        if entry is not None and entry.feed is not None and self.focused_pane == "sidebar":
            return entry.feed
        url = self._current_feed_url()
        return next((f for f in self.feeds_by_id.values() if f.url == url), None)

    @waits_for_search
    def action_remove_feed(self) -> None:
        from tuinews.ui.screens.confirm import ConfirmScreen

        entry = self.sidebar.current
        if entry is None or entry.feed is None:
            self.status.say("Select a feed in the sidebar to remove it.")
            return
        if self.refused_without_settings():
            return
        feed = entry.feed
        question = f"Remove the feed “{feed.title}” and its articles (starred ones stay)?"
        self.open_dialog(ConfirmScreen(question), lambda yes: self._remove(feed) if yes else None)

    def _remove(self, feed: Any) -> None:
        from tuinews.errors import TuinewsError

        if not self.ctx.ephemeral:
            from tuinews.subscriptions import SubscriptionFile

            try:
                SubscriptionFile(self.ctx.config_path).remove(feed.url)
            except (TuinewsError, OSError) as error:
                self.status.say(str(error), error=True)
                return
        self.ctx.subscriptions[:] = [s for s in self.ctx.subscriptions if s.url != feed.url]
        if self.base_view.feed_ids and feed.id in self.base_view.feed_ids:
            self.show_all_instead()
        self._remove_from_store(feed)

    @work(thread=True, group="write", description="remove a feed")
    @reported
    def _remove_from_store(self, feed: Any) -> None:
        """The feed's articles out of the store, off the UI thread: the write may wait for
        another process's (a cron refresh's) write lock, up to the busy timeout."""
        from tuinews.errors import TuinewsError
        from tuinews.subscriptions import starred_kept

        assert self.store is not None
        try:
            starred = self.store.remove_feed(feed.id)
        except TuinewsError as error:
            # The settings file no longer lists it: what the store keeps is an
            # unsubscribed feed's, which `cleanup --unsubscribed` drops.
            line = (
                f"Removed {feed.title} from the feeds; its articles stay in the store for "
                f"now ({error}): tuinews cleanup --unsubscribed drops them."
            )
            self.post_message(Status(line, error=True))
        else:
            kept = starred_kept(starred)
            self.post_message(Status(f"Removed {feed.title}" + (f"; {kept}." if kept else ".")))
        self.post_message(self._load_feeds())
        # The article being read may have gone with the feed: said, by the line above;
        # the one the cursor falls on in the list shown instead is no choice of the user's.
        reload = functools.partial(self.reload_view, outside=True, said_of=self.reader.pk)
        self.app.call_from_thread(reload)

    @waits_for_search
    def action_feed_info(self) -> None:
        from tuinews.ui.screens.feed_info import FeedInfoScreen

        feed = self._selected_feed()
        if feed is None:
            self.status.say("Select a feed to see its details.")
            return
        self.open_dialog(FeedInfoScreen(feed))

    # -- search -----------------------------------------------------------------------
    def action_search(self) -> None:
        from tuinews.ui.screens.search import SearchScreen

        self.open_dialog(SearchScreen(self.search or ""), self._searched)

    def _searched(self, words: str | None) -> None:
        if words is None:
            return
        if words.strip():
            from tuinews.store.fts import search_terms

            if search_terms(words) is None:
                # As `list --search` says; an empty view would read as "nothing matches".
                self.status.say(
                    f"No word to search for in “{words.strip()}” (-word only leaves articles out).",
                    error=True,
                )
                return
        if self.search is None:
            self._before_search = self.headlines.current  # Escape comes back to it
        self.search = words.strip() or None
        self.reload_view(keep=None if self.search else self._before_search)

    # -- links ------------------------------------------------------------------------
    def _article_link(self) -> str | None:
        current = self.headlines.current
        if current is None:
            return None
        if self.reader.pk == current.pk and self.reader.link:
            return self.reader.link
        return current.link

    @waits_for_search
    def action_open_link(self) -> None:
        url = self._article_link()
        if url is None:
            self.status.say("This article has no link.")
        else:
            self.news_app.open_url(url)

    @waits_for_search
    def action_copy_link(self) -> None:
        url = self._article_link()
        if url is None:
            self.status.say("This article has no link.")
        else:
            self.news_app.copy_url(url)

    # The article's links are found as it renders: typed as it opens (Enter `1`, `j` L),
    # these keys wait for it (`hold_for_article`), and the keys after them with them.
    @waits_for_search
    def action_link(self, number: int) -> None:
        if not self.hold_for_article(functools.partial(self._open_link, number)):
            self._open_link(number)

    def _open_link(self, number: int) -> None:
        current = self.headlines.current
        if current is None or self.reader.pk != current.pk:
            self.status.say("Open an article first.")
            return
        link = next((li for li in self.reader.links if li.number == number), None)
        if link is None:
            self.status.say(f"This article has no link {number}.")
            return
        self.news_app.open_url(link.url)

    @waits_for_search
    def action_links(self) -> None:
        if not self.hold_for_article(self._list_links):
            self._list_links()

    def _list_links(self) -> None:
        from tuinews.ui.screens.link_picker import LinkPickerScreen

        current = self.headlines.current
        if current is None or self.reader.pk != current.pk:
            self.status.say("Open an article first.")  # as a link number says
            return
        if not self.reader.links:
            self.status.say("This article has no links.")
            return
        self.open_dialog(LinkPickerScreen(self.reader.links), self._link_picked)

    def _link_picked(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        what, url = choice
        if what == "copy":
            self.news_app.copy_url(url)
        else:
            self.news_app.open_url(url)

    def action_help(self) -> None:
        from tuinews.ui.screens.help import HelpScreen

        self.open_dialog(HelpScreen(self))
