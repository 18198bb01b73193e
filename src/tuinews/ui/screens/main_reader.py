"""The main screen's reading layer: the reader follows the cursor, read state, stars,
and finding the next unread article."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from functools import partial
from typing import Any

from textual import on, work

from tuinews.errors import TuinewsError
from tuinews.sources.sanitize import clean_line
from tuinews.store import Headline, View
from tuinews.ui.messages import (
    ArticleFailed,
    ArticleReady,
    HeadlineHighlighted,
    ReaderWidthChanged,
    Status,
    WindowLoaded,
)
from tuinews.ui.screens import main_core
from tuinews.ui.screens.main_core import MainCore, reported
from tuinews.ui.widgets.headline_list import HeadlineList

# A refused mark's rows are read again from the store up to this many (see `_not_saved`).
PUT_BACK_READ_MAX = 20


class ReadingScreen(MainCore):
    # The article whose render failed (gone, or a renderer error): nothing will show.
    _unshown_pk: int | None = None
    _shown_stamp: str | None = None  # the store's stamp of the article in the reader

    def shown_article_loaded(self, pk: int | None, stamp: str | None) -> None:
        """A view loaded with the stamp the article in the reader has now: an update
        (a refresh, here or elsewhere; a feed renamed; a mark) draws it again, where it
        is read. Drawn again, it is not opened again: an article marked unread (`m`, an
        undo, another reader) stayed so only until this redraw marked it read."""
        reader = self.reader
        current = self.headlines.current
        if (
            pk is not None
            and pk == reader.pk
            and stamp is not None
            and stamp != self._shown_stamp
            and current is not None
            and current.pk == pk
            and self.query_one("#reader-box").display
        ):
            self._render_article(pk, reader.content_width, redraw=True)

    # -- reader -----------------------------------------------------------------------
    @on(HeadlineHighlighted)
    def _on_headline_highlighted(self, message: HeadlineHighlighted) -> None:
        # Render when the cursor rests, so a burst of j presses renders one article.
        if message.by_user:
            self._user_chose = True
            pk = message.headline.pk if message.headline is not None else None
            # Opened anew, unless `m` typed after this move (in the same burst, so
            # handled before this message) kept this very article unread.
            if not (pk is not None and pk == self.kept_unread == self.read_when_opened):
                self.read_when_opened = None
        if self._rest_timer is not None:
            self._rest_timer.stop()
        self._rest_timer = self.set_timer(main_core.REST_DELAY, self._show_current_now)

    def _show_current_now(self) -> None:
        if not self.query_one("#reader-box").display:
            self._reader_settled()
            return  # one pane at a time: rendered when the reader is shown
        headline = self.headlines.current
        if headline is None:
            if self.headlines.row_count == 0:
                self.reader.show_message(self._empty_message())
            self._reader_settled()
            return
        width = self.reader.content_width
        if headline.pk == self.reader.pk and width == self.reader.rendered_width:
            self._reader_chosen = self._reader_chosen or self._user_chose
            if self._user_chose and self.ctx.config.ui.mark_read == "on_open":
                if headline.read:
                    self.read_when_opened = headline.pk  # see _mark_shown
                else:
                    self._mark_opened(headline.pk)
            self._reader_settled()
            return
        self._unshown_pk = None
        self._render_article(headline.pk, width)

    @on(ReaderWidthChanged)
    def _on_reader_width_changed(self) -> None:
        # Render what the reader should show now (the cursor may have moved while it was
        # hidden); rendering its old article would cancel that (exclusive worker).
        self._show_current_now()

    @work(thread=True, exclusive=True, group="render", description="render article")
    @reported
    def _render_article(self, pk: int, width: int, redraw: bool = False) -> None:
        from tuinews.ui.rendering import article_renderable, render_to_strips

        assert self.store is not None
        try:
            # Before the article: an update saved in between draws it again, not never.
            stamp = self.store.article_stamp(pk)
            stored = self.store.article(pk)
        except TuinewsError as error:
            self.post_message(ArticleFailed(pk, str(error), error=True))
            return
        if stored is None:
            self.post_message(
                ArticleFailed(pk, "That article is gone (removed by a cleanup?)", gone=True)
            )
            return
        try:
            renderable, links = article_renderable(stored)
            lines = render_to_strips(renderable, width)
        except Exception as error:  # a renderer bug must not take the reader down
            line = f"Could not render this article: {error}"
            self.post_message(ArticleFailed(pk, line, error=True))
            return
        self.post_message(ArticleReady(pk, width, lines, links, stored.article.link, stamp, redraw))

    @on(ArticleFailed)
    def _on_article_failed(self, message: ArticleFailed) -> None:
        current = self.headlines.current
        if current is not None and current.pk == message.pk:
            self._unshown_pk = message.pk
            self._reader_settled()  # the keys kept for it say so first, and go on
            if message.gone:
                # Opened as a cleanup elsewhere removed it: full screen, the reader would
                # show the article read before, then the one the list falls back to.
                self.leave_full_screen_reader()
                self.reload_view(outside=True)
        self.status.say(message.text, error=message.error)

    @on(ArticleReady)
    def _on_article_ready(self, message: ArticleReady) -> None:
        current = self.headlines.current
        if current is None or current.pk != message.pk:
            return  # the cursor moved on: the reader renders where it rests
        width = self.reader.content_width
        if message.width != width and self.query_one("#reader-box").display:
            # Rendered for a width the reader no longer has: shown (one pane at a time)
            # before its layout, it was laid out while this rendered. Not shown at the
            # wrong width: rendered again.
            self._render_article(message.pk, width, message.redraw)
            return
        previous, previous_chosen = self.reader.pk, self._reader_chosen
        self.reader.show(message.pk, message.lines, message.links, message.link, message.width)
        self._shown_stamp = message.stamp
        redrawn = message.redraw and previous == message.pk
        if not redrawn:
            self._reader_chosen = self._user_chose
        # Else shown because a view loaded, not picked by the user; or drawn again.
        if self._user_chose and not redrawn:
            self._mark_shown(current, previous, previous_chosen)
        self._reader_settled()

    def _mark_shown(self, current: Headline, previous: int | None, previous_chosen: bool) -> None:
        mode = self.ctx.config.ui.mark_read
        if mode == "on_open" and current.read:
            self.read_when_opened = current.pk  # opened read: marked unread elsewhere, kept so
        elif mode == "on_open":
            self._mark_opened(current.pk)
        elif mode == "on_leave" and previous_chosen and previous not in (None, current.pk):
            if previous == self.kept_unread:
                self.kept_unread = None  # `m` kept it unread: left so, this once
                return
            # Only an article the user picked counts as read when left (not the one
            # shown at start). Index 0 is a real row: no `or` on the index.
            index = self.headlines.index_of(previous)
            row = self.headlines.row(index) if index is not None else None
            if row is not None and not row.read:
                self.set_read([row.pk], True)

    # -- keys that act on the article shown -------------------------------------------
    def hold_for_article(self, action: Callable[[], None]) -> bool:
        """Keep the action of a key that acts on the article the reader shows (its
        links, `L` and 1-9) while the reader is about to show another: the one the
        cursor is on, just opened or moved to, which renders (`j` Enter `1` in one
        go). It runs once that article shows, before the keys typed after it. False
        when the reader shows the article under the cursor, or none will show (one
        pane at a time, with the list shown): the action runs now."""
        current = self.headlines.current
        if (
            current is None
            or current.pk in (self.reader.pk, self._unshown_pk)
            or not self.query_one("#reader-box").display
        ):
            return False
        action, _key = self.for_later(action, search=False)
        self._after_article.append(action)
        return True

    def _reader_settled(self) -> None:
        """The reader shows the article under the cursor, or none will show: the keys
        kept for it act now, in order."""
        if self._after_article:
            actions, self._after_article = self._after_article, []
            for action in actions:
                action()

    def stop_read_timer(self) -> None:
        """Forget the look that reads an article resting beside the list (`_mark_opened`)."""
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    def opened(self, pk: int) -> bool:
        """The article was opened, not skimmed: the reader has the keys, or a reading
        key (n, p, Space) brought it. Read as soon as drawn (on_open)."""
        return self.focused_pane == "reader" or pk == self._open_pk

    def _mark_opened(self, pk: int) -> None:
        """on_open: read now when the reader has the keys or a reading key (n, p, Space)
        brought it (opened), else once it has been shown beside the list for READ_AFTER
        seconds with the cursor still on it (skimmed with j/k, it is not read)."""
        self.stop_read_timer()
        if pk == self.read_when_opened:
            return  # drawn again, not opened again (see read_when_opened)
        if self.opened(pk) or main_core.READ_AFTER <= 0:
            self.read_when_opened = pk
            self.set_read([pk], True)
            return

        def still_shown() -> None:
            current = self.headlines.current
            if current is not None and current.pk == pk == self.reader.pk and not current.read:
                self.read_when_opened = pk
                self.set_read([pk], True)

        self._read_timer = self.set_timer(main_core.READ_AFTER, still_shown)

    # -- writes -----------------------------------------------------------------------
    def set_read(self, pks: list[int], read: bool) -> None:
        for pk in pks:
            self.headlines.update_row(pk, read=read)
            if read:
                self.hold(pk)
        self._write_read(pks, read, self._number_marks("read", pks, read))

    def _number_marks(self, kind: str, pks: list[int], value: bool) -> int:
        """Number a mark about to be saved (see `_unsaved_marks`); on the UI thread."""
        number = next(self._mark_numbers)
        with self._marks_settled:
            self._marks_pending += 1
            for pk in pks:
                self._unsaved_marks[kind, pk] = (number, value, None)
        return number

    def _mark_saved(self, kind: str, pks: list[int], number: int, *, landed: bool) -> None:
        """A numbered mark's save is over: `landed`, or dropped (a later mark of the
        same articles overtook it) or failed; on its worker."""
        with self._marks_settled:
            self._marks_pending -= 1
            if landed:
                self._marks_landed += 1
            for pk in pks:
                key = (kind, pk)
                mark = self._unsaved_marks.get(key)
                if mark is not None and mark[0] == number:
                    if landed:
                        self._unsaved_marks[key] = (number, mark[1], self._marks_landed)
                    else:
                        del self._unsaved_marks[key]
            self._marks_settled.notify_all()

    def wait_for_marks(self, timeout: float = 10) -> None:
        """Until the marks numbered so far are saved (on a worker: `A`, `u`). Bounded:
        a save whose worker never ran (the app closing) must not hold them for ever."""
        with self._marks_settled:
            self._marks_settled.wait_for(lambda: self._marks_pending <= 0, timeout=timeout)

    def marks_left_unsaved(self) -> list[str]:
        """Once the app has ended: the marks whose save never ran (typed just before
        quitting), in words ("'Title' marked read")."""
        self.wait_for_marks(timeout=2)  # those under way give up at once (see stop_waiting)
        with self._marks_settled:
            left = [key for key, (_, _, landed) in self._unsaved_marks.items() if landed is None]
            values = {key: self._unsaved_marks[key][1] for key in left}
        return [
            f"not saved: {self._mark_named([pk], kind == 'read', values[kind, pk])} "
            "(quit before it was saved)"
            for kind, pk in left
        ]

    def _still_latest(self, kind: str, pks: list[int], number: int) -> list[int]:
        """Of `pks`, those no later mark of this kind overtook; hold `_saving_marks`."""
        with self._marks_settled:
            marks = self._unsaved_marks
            return [pk for pk in pks if marks.get((kind, pk), (0,))[0] == number]

    def _save_before_exit(self) -> None:
        """With mark_read = "on_leave", quitting leaves the article being read: it is
        written now, on the UI thread (no worker outlives the app)."""
        pk = self.reader.pk
        if self.ctx.config.ui.mark_read != "on_leave" or pk is None or not self._user_chose:
            return
        if pk == self.kept_unread:
            return  # `m` kept it unread
        index = self.headlines.index_of(pk)
        row = self.headlines.row(index) if index is not None else None
        if row is None or row.read:
            return
        assert self.store is not None
        with contextlib.suppress(TuinewsError):  # closing: no status line left to say it
            self.store.set_read([pk], True)

    @work(thread=True, group="write", description="save read state")
    @reported
    def _write_read(self, pks: list[int], read: bool, number: int) -> None:
        assert self.store is not None
        marked, landed = pks, False
        try:
            with self._saving_marks:
                pks = self._still_latest("read", pks, number)
                if not pks:
                    return  # a later mark of them is saved instead
                self.store.set_read(pks, read)
                landed = True
        except TuinewsError as error:
            self._not_saved(pks, error, read=not read)
            return
        finally:
            self._mark_saved("read", marked, number, landed=landed)
        self.post_message(self._load_feeds())

    @work(thread=True, group="write", description="save star")
    @reported
    def write_star(self, pk: int, starred: bool, number: int) -> None:
        assert self.store is not None
        landed = False
        try:
            with self._saving_marks:
                if not self._still_latest("star", [pk], number):
                    return  # a later star or unstar of it is saved instead
                saved = self.store.set_starred(pk, starred)
                landed = True
        except TuinewsError as error:
            self._not_saved([pk], error, starred=not starred)
            return
        finally:
            self._mark_saved("star", [pk], number, landed=landed)
        if not saved:
            # Removed meanwhile by a `tuinews cleanup` elsewhere: "Starred." was not true.
            self.post_message(Status("Not starred: a cleanup outside the reader removed it.", True))
            self.app.call_from_thread(partial(self.reload_view, outside=True, said_of=pk))
        self.post_message(self._load_feeds())

    def _not_saved(self, pks: list[int], error: TuinewsError, **before: bool) -> None:
        """A mark the store refused (disk full, locked too long): the rows, changed at
        the key press, show again what the store holds, and the status line says so.
        Read from the store where it can be (a few rows): `m m` refused twice left the
        row read by the second's "before", its first never saved either."""
        ((field, value),) = before.items()
        if self.news_app.quitting:  # no screen left to put the rows back on
            self.not_saved_at_exit(self._mark_named(pks, field == "read", not value), error)
            return
        held: dict[int, bool] = {}
        if self.store is not None and len(pks) <= PUT_BACK_READ_MAX:
            with contextlib.suppress(TuinewsError):
                for pk in pks:
                    stored = self.store.article(pk)
                    if stored is not None:
                        held[pk] = stored.read if field == "read" else stored.starred

        def put_back() -> None:
            for pk in pks:
                self.headlines.update_row(pk, **{field: held.get(pk, value)})

        self.app.call_from_thread(put_back)
        self.post_message(Status(f"Not saved: {self.without_store_path(error)}", error=True))

    def _mark_named(self, pks: list[int], read: bool, value: bool) -> str:
        """A mark in words, named by its row: "'Title' marked read", "3 articles
        starred"."""
        if read:
            what = "marked read" if value else "marked unread"
        else:
            what = "starred" if value else "unstarred"
        index = self.headlines.index_of(pks[0]) if len(pks) == 1 else None
        row = self.headlines.row(index) if index is not None else None
        if row is not None:
            return f"{clean_line(row.title)!r} {what}"
        return f"{len(pks)} articles {what}" if len(pks) != 1 else f"an article {what}"

    # -- next unread ---------------------------------------------------------------
    def find_unread(self, *, forward: bool, across_feeds: bool) -> None:
        headlines = self.headlines
        step = 1 if forward else -1
        index = headlines.cursor + step
        # Rows already held first; the store only for what is not loaded.
        while 0 <= index < headlines.row_count:
            row = headlines.row(index)
            if row is None:
                break
            if not row.read:
                self._open_pk = row.pk
                headlines.move_cursor(index)
                self.unread_found()
                return
            index += step
        if not (0 <= index < headlines.row_count):
            self._unread_not_found(forward, across_feeds)
            return
        anchor = headlines.row(index - step)
        if anchor is None:
            self._unread_not_found(forward, across_feeds)
            return
        # The keys typed after this one (`n 1`, `n n`) wait until the cursor is there.
        self._after_unread.append(self.for_later(lambda: None, search=False)[0])
        self._scan_for_unread(self.generation, self.view, anchor.sort_key, forward, across_feeds)

    def unread_found(self) -> None:
        """The cursor is on the unread article looked for, or none is left: the keys
        typed after the reading key that looked act now."""
        if self._after_unread:
            ends, self._after_unread = self._after_unread, []
            for end in ends:
                end()

    @work(thread=True, exclusive=True, group="scan", description="find next unread")
    @reported
    def _scan_for_unread(
        self, generation: int, view: View, key: Any, forward: bool, across_feeds: bool
    ) -> None:
        """The nearest unread row past `key`, looked up in the unread index and placed by
        its index in the view: as quick 90,000 read rows away as next door."""
        try:
            self._scan_store_for_unread(generation, view, key, forward, across_feeds)
        except BaseException:
            self.app.call_from_thread(self.unread_found)  # a failure is said; keys go on
            raise

    def _scan_store_for_unread(
        self, generation: int, view: View, key: Any, forward: bool, across_feeds: bool
    ) -> None:
        assert self.store is not None
        marks_landed = self.marks_landed()
        unread = dataclasses.replace(view, unread_only=True, held=())
        if forward:
            found = self.store.headlines(unread, limit=1, after=key)
        else:
            found = self.store.headlines(unread, limit=1, before=key)
        if not found:
            self.app.call_from_thread(self._unread_not_found, forward, across_feeds)
            return
        target = self.store.position(view, found[0].sort_key)
        # A window of rows from it on, as the list would ask for them.
        following = self.store.headlines(
            view, limit=HeadlineList.WINDOW - 1, after=found[0].sort_key
        )
        self.post_message(WindowLoaded(generation, target, [found[0], *following], marks_landed))
        self.app.call_from_thread(self._jump_to, generation, target)

    def _jump_to(self, generation: int, index: int) -> None:
        if generation == self.generation:
            self.headlines.move_cursor(index)
            current = self.headlines.current
            self._open_pk = current.pk if current is not None else None
        self.unread_found()

    def _unread_not_found(self, forward: bool, across_feeds: bool) -> None:
        entry = self.sidebar.current
        if across_feeds and forward and entry is not None and entry.kind == "feed":
            entries = self.sidebar.entries
            # Not the feed looked in (listed again under its other tags; or shown while
            # the sidebar's cursor rests elsewhere): its list would not load again, and
            # the keys typed after this one would wait for it.
            looked_in = {entry.feed.id} if entry.feed else set()
            if self.search is None and self.base_view.feed_ids is not None:
                looked_in.update(self.base_view.feed_ids)
            for index in range(self.sidebar.cursor + 1, len(entries)):
                candidate = entries[index]
                if (
                    candidate.kind == "feed"
                    and candidate.feed
                    and candidate.feed.unread
                    and candidate.feed.id not in looked_in
                ):
                    self.sidebar.move_cursor(index)
                    self._then_next_unread = True
                    # The keys typed after the reading key wait for that list too.
                    self._after_unread.append(self.for_later(lambda: None, search=False)[0])
                    self.select_sidebar_entry(candidate)
                    self.status.say(f"Next feed with unread articles: {candidate.feed.title}")
                    return  # its list loads, then the cursor goes to its first unread
        self.status.say("No more unread articles.")
        self.unread_found()
