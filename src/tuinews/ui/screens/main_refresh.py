"""The main screen's refresh: run in the background, shown as progress, merged in place."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on, work

from tuinews.config import file_stamp
from tuinews.errors import ConfigError, TuinewsError
from tuinews.feed_names import short_name, some_of
from tuinews.refresh.awaited import Awaited
from tuinews.sources.sanitize import clean_line, ellipsized, without_password
from tuinews.ui.messages import RefreshDone, RefreshProgress, Status, StoreChangedOutside
from tuinews.ui.screens.main_reader import ReadingScreen

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widgets import ProgressBar

    from tuinews.config import RetentionSettings
    from tuinews.model import Subscription

WAITING_LINE = "Another refresh is running; waiting for it…"
READ_ONLY_LINE = "Cannot refresh: the store is read-only (nothing fetched could be saved)."
# Fits 80 columns: the reader's store file was moved or deleted while open.
STORE_MOVED = "Store moved or deleted: marks are not saved; quit and start tuinews again."


class RefreshingScreen(ReadingScreen):
    """Adds refreshing to the core: on start when the last refresh is old, or on demand.

    `refresh_feeds` runs as an async worker on the UI loop (it parses off the loop);
    the keys keep answering, and new articles appear without moving the selection.
    """

    # Seconds between looks for changes other processes made to the store.
    outside_check_seconds = 5.0
    _seen_stamp: tuple[int, int] | None = None
    _stall_timer: Timer | None = None
    _progress_line = ""
    _broken_settings_line = ""  # "Refresh failed: config.toml:…", while it is true
    _said_moved = False
    _said_settings_gone = False
    _said_newer = False

    def on_mount(self) -> None:
        # After MainCore.on_mount (Textual runs each class's handler): the store is open.
        self._config_stamp = file_stamp(self.ctx.config_path)
        self._awaited = Awaited()  # the feeds a refresh has not finished yet
        self.call_after_refresh(self._refresh_on_start)
        if not self.ctx.ephemeral:
            self.set_interval(self.outside_check_seconds, self._look_outside)

    def _look_outside(self) -> None:
        if not self.refreshing and self.store is not None:
            self._check_outside_changes()

    @work(thread=True, exclusive=True, group="outside", description="look for outside changes")
    def _check_outside_changes(self) -> None:
        """A refresh from cron or the command line, `mark-read` or `cleanup` in another
        terminal: their changes appear in the open reader within seconds (one PRAGMA on
        the screen's connection when nothing changed), the selection kept."""
        from tuinews.errors import StoreError, TuinewsError

        assert self.store is not None
        # The store moved: nothing more is written (see Store._begin_write), nor is a
        # store created anew at its place (by a refresh or the search index). Put back
        # (a symlink turned back, `mv` undone), writes go on and the line goes.
        self._said_moved = self._lasting_while(self.store.moved(), self._said_moved, STORE_MOVED)
        # The settings file gone: `a` and `d` refuse until it is back.
        self._said_settings_gone = self._lasting_while(
            self.settings_gone(), self._said_settings_gone, self.settings_gone_line()
        )
        try:
            newer = self.store.newer_schema() if not self._said_newer else None
        except StoreError:
            newer = None  # the file is gone or damaged: said above, or at the next write
        if newer is not None:
            # Its marks would not be saved (each write is refused): said before the next.
            self._said_newer = True
            self._say_lasting_from_worker(
                "Store upgraded by a newer tuinews: quit and use it; marks made here are lost."
            )
        # `tuinews add` or `import` in another terminal: their feeds' rows are added to
        # the store here, so the sidebar lists them at once. A broken file is said at R.
        try:
            changed = self._changed_subscriptions()
            if changed is not None and not self.store.read_only:
                self.store.sync_feeds(changed[0])
        except TuinewsError:
            changed = None
        subscriptions, config_stamp = changed or (None, None)
        try:
            stamp = self.store.change_stamp()
            seen, self._seen_stamp = self._seen_stamp, stamp
            if subscriptions is None and seen is not None and seen[0] == stamp[0]:
                return  # nothing new
            # The first look (or the first after the reader's own refresh or indexing)
            # has nothing to compare with: another process may have committed since the
            # list was loaded, so it is loaded again once (no "new articles" line).
            if self.refreshing:
                return  # our own refresh: reloaded (and the file re-read) at its end
            new = self.store.count_newer(seen[1]) if seen and stamp[1] > seen[1] else 0
        except StoreError:
            return
        self.post_message(StoreChangedOutside(new, subscriptions, config_stamp))

    def _lasting_while(self, true: bool, said: bool, line: str) -> bool:
        """Say `line` as lasting once `true` holds, withdraw it once it no longer does
        (from the outside-look worker); returns whether it is said now."""
        if true != said:
            if true:
                self._say_lasting_from_worker(line)
            else:
                back = partial(self.status.replace_lasting, line, "", error=True)
                self.app.call_from_thread(back)
        return true

    def store_gone(self) -> bool:
        """The store file was moved or deleted while open: nothing may open the path
        again (a refresh, the search index), which would create an empty store there."""
        return self.store is not None and self.store.moved()

    def _say_lasting_from_worker(self, line: str) -> None:
        """A line the status line keeps (an error), said from the outside-look worker."""
        self.app.call_from_thread(partial(self.status.say, line, error=True, lasting=True))

    def settings_gone(self) -> bool:
        """The settings file the reader started with was moved or deleted since (a sync
        tool, a dotfile manager): `a` would write a new one holding its feed alone."""
        return (
            not self.ctx.ephemeral
            and self._config_stamp is not None
            and file_stamp(self.ctx.config_path) is None
        )

    def settings_gone_line(self) -> str:
        name = self.ctx.config_path.name
        return f"Settings file {name} moved or deleted: put it back, or quit and restart."

    def refused_without_settings(self) -> bool:
        """Said, and True, when the settings file is gone (see `settings_gone`): `a`
        would write a new one holding its feed alone, `d` finds no feed in none; or the
        store file is (see `store_gone`)."""
        if self.store_gone():  # `a` fetches the feed into a store created anew
            self.status.say(STORE_MOVED, error=True, lasting=True)
            return True
        if not self.settings_gone():
            return False
        self.status.say(self.settings_gone_line(), error=True)
        return True

    def _changed_subscriptions(self) -> tuple[tuple[Subscription, ...], Any] | None:
        """The settings file's subscriptions and stamp when the file changed since the
        reader read it (`tuinews add`, `remove`, `import`, an editor, a refresh that
        followed a move), else None. ConfigError when it is broken now."""
        from tuinews.config import load_config

        stamp = file_stamp(self.ctx.config_path)
        if stamp is None or stamp == self._config_stamp:
            return None  # unchanged since the reader read it (or saved it itself)
        return load_config(self.ctx.config_path).feeds, stamp

    @on(StoreChangedOutside)
    def _on_store_changed_outside(self, message: StoreChangedOutside) -> None:
        if self.refreshing:
            return
        if message.subscriptions is not None:
            self.ctx.subscriptions[:] = message.subscriptions
            self._config_stamp = message.config_stamp
            # Mended: the line saying it was broken goes.
            self.status.replace_lasting(self._broken_settings_line, "", error=True)
            self._broken_settings_line = ""
        self.reload_feeds()
        self.reload_view(outside=True)
        if message.new:
            articles = f"{message.new} new article" + ("s" if message.new > 1 else "")
            self.status.say(f"{articles} from a refresh outside the reader", lasting=True)

    # Seconds after start before articles saved by refreshes outside the reader (cron,
    # the command line) are added to the search index in the background: the first
    # screen and the first keys come first, and the first search then need not wait.
    index_after_start = 3.0

    def _refresh_on_start(self) -> None:
        if self.store is None:
            return
        if self._should_refresh_on_start():
            self.start_refresh(None)  # indexes its articles when it is done
        else:
            self.set_timer(self.index_after_start, self._index_unless_refreshing)

    def _index_unless_refreshing(self) -> None:
        if not self.refreshing:
            self._index_for_search()

    def _should_refresh_on_start(self) -> bool:
        if self.ctx.refresh_on_start is not None:
            return self.ctx.refresh_on_start
        if not self.ctx.subscriptions or self.store is None or self.store.read_only:
            return False
        last = self.store.last_refresh_time()
        interval = timedelta(minutes=self.ctx.config.refresh.interval_minutes)
        return last is None or datetime.now(UTC) - last > interval

    def start_refresh(self, only: list[str] | None, *, force: bool = False) -> None:
        """Refresh `only` these feeds (URLs), or all. Feeds named in `only` are fetched
        now even while backing off or disabled (`r`, as `tuinews refresh FEED`), except
        while their server asked for a pause; `R` keeps the back-off. `force`: as
        `tuinews refresh --force`, everything now and in full."""
        if not self.ctx.subscriptions:
            self.status.say("No feeds to refresh: press a to add one.")
            return
        if self.store is not None and self.store.read_only:
            # Nothing fetched could be saved: say so at once instead of fetching.
            self.status.say(READ_ONLY_LINE, error=True)
            return
        if self.store_gone():
            self.status.say(STORE_MOVED, error=True, lasting=True)
            return
        self.refreshing = True
        bar = self._progress_bar()
        total = len(only) if only else len(self.ctx.subscriptions)
        bar.update(total=total, progress=0)
        bar.display = True
        self.status.say("Refreshing…", lasting=True)
        self._awaited = Awaited()
        self._progress_line = f"Refreshing 0/{total}"
        self._stall_timer = self.set_interval(1.0, self._say_awaited)
        self._refresh_worker(only, force)

    def _say_awaited(self) -> None:
        """Once the refresh stalls, which feeds it waits for."""
        stalled = self._awaited.stalled() if self.refreshing else None
        if stalled is not None:
            names, waited = stalled
            said = some_of([short_name(name, 40) for name in names], 1)
            line = f"{self._progress_line}: waiting for {said} ({waited:.0f} s)"
            self.status.say(line, lasting=True)

    def _progress_bar(self) -> ProgressBar:
        """The refresh progress bar, mounted on first use (not needed for the first screen)."""
        from textual.widgets import ProgressBar

        bars = self.query(ProgressBar)
        if bars:
            return bars.first()
        bar = ProgressBar(id="progress", show_eta=False, show_percentage=False)
        self.query_one("#status-bar").mount(bar)
        return bar

    @work(exclusive=True, group="refresh", description="refresh feeds")
    async def _refresh_worker(self, only: list[str] | None, force: bool) -> None:
        from tuinews.refresh import RefreshStopped, refresh_feeds  # lazy: httpx, parsers

        def progress(done: int, total: int, outcome: object) -> None:
            self.post_message(RefreshProgress(done, total, outcome))

        waited = False

        def waiting(_line: str) -> None:
            # Another process (a cron `tuinews refresh`) holds the refresh lock: ours
            # waits for it, then goes on (feeds it just fetched are skipped).
            nonlocal waited
            waited = True
            self.post_message(Status(WAITING_LINE, lasting=True))

        import asyncio

        newest = await asyncio.to_thread(self._newest_article)
        try:
            retention = None
            if not self.ctx.ephemeral:
                await self._reread_subscriptions()
                retention = await asyncio.to_thread(self._retention_now)
            summary = await refresh_feeds(
                self.ctx.store_path,
                self.ctx.subscriptions,
                self.ctx.config.refresh,
                only=only,
                force=force,
                progress=progress,
                lock="wait",
                on_wait=waiting,
                on_start=self._awaited.start,  # on this loop's thread, as is done()
                listed_now=None if self.ctx.ephemeral else self._listed_now,
                retention=retention,
            )
        except RefreshStopped as stopped:
            # The store refused a write (disk full, read-only): what was saved stays.
            self.post_message(RefreshDone(stopped.summary, str(stopped), stopped=True))
            return
        except Exception as error:
            # Any other failure is a status line too, never the end of the reader.
            broken = isinstance(error, ConfigError)
            self.post_message(RefreshDone(None, _error_line(error), config_error=broken))
            return
        meanwhile = 0
        if waited and newest is not None:
            # The articles the refresh waited for saved: news too, its feeds skipped here.
            saved = await asyncio.to_thread(self._articles_since, newest)
            meanwhile = max(0, saved - getattr(summary, "new", 0))
        self.post_message(RefreshDone(summary, meanwhile=meanwhile))

    def _newest_article(self) -> int | None:
        from tuinews.errors import StoreError

        try:
            return self.store.change_stamp()[1] if self.store is not None else None
        except StoreError:
            return None

    def _articles_since(self, pk: int) -> int:
        from tuinews.errors import StoreError

        try:
            return self.store.count_newer(pk) if self.store is not None else 0
        except StoreError:
            return 0

    def _listed_now(self) -> tuple[Subscription, ...] | None:
        """The file's subscriptions as the refresh starts its work (after waiting for
        another refresh, perhaps), when they changed since the reader read them: a feed
        removed meanwhile is not brought back. None otherwise, or when the file cannot
        be read: the refresh goes on with the reader's list."""
        try:
            changed = self._changed_subscriptions()
        except (ConfigError, OSError):
            return None
        return None if changed is None else changed[0]

    def _retention_now(self) -> RetentionSettings:
        """[retention] as the settings file says now: set after the reader started, the
        reader's refresh brought back what `tuinews cleanup` had just dropped."""
        from tuinews.config import load_config

        try:
            return load_config(self.ctx.config_path).retention
        except (ConfigError, OSError):
            return self.ctx.config.retention

    async def _reread_subscriptions(self) -> None:
        """The subscriptions as the file says now: a `tuinews add`, `remove` or a
        refresh that followed a move may have changed it since the reader started, and
        refreshing the old list would bring back feeds that are gone or moved.
        ConfigError (the file was broken meanwhile) stops this refresh with its line."""
        import asyncio

        changed = await asyncio.to_thread(self._changed_subscriptions)
        if changed is not None:
            # The sidebar follows when the refresh ends.
            self.ctx.subscriptions[:], self._config_stamp = changed

    _last_progress_reload = 0.0

    @on(RefreshProgress)
    def _on_refresh_progress(self, message: RefreshProgress) -> None:
        bar = self._progress_bar()
        bar.update(total=message.total, progress=message.done)
        self._awaited.done(getattr(message.outcome, "url", ""))
        self._progress_line = f"Refreshing {message.done}/{message.total}"
        self.status.say(self._progress_line, lasting=True)
        # New articles appear as they arrive, at most once a second, cursor kept.
        now = time.monotonic()
        if getattr(message.outcome, "new", 0) and now - self._last_progress_reload >= 1.0:
            self._last_progress_reload = now
            self.reload_feeds()
            self.reload_view()

    @on(RefreshDone)
    def _on_refresh_done(self, message: RefreshDone) -> None:
        self.refreshing = False
        if self._stall_timer is not None:
            self._stall_timer.stop()
        self._seen_stamp = None  # its own commits are not news from outside
        self._progress_bar().display = False
        if message.stopped:
            notes, unsaved = self._follow_moves(message.summary)  # feeds saved before the stop
            saved = _summary_line(message.summary).removeprefix("Refreshed: ")
            line = f"Refresh stopped: {message.error} (before that: {saved})"
            self.status.say("; ".join([line, *notes]), error=True, lasting=True)
        elif message.error is not None:
            line = f"Refresh failed: {message.error}"
            self.status.say(line, error=True, lasting=True)
            if message.config_error:
                self._broken_settings_line = line  # until the file reads well again
        else:
            # One line, failures first: notes said after it would replace it.
            notes, unsaved = self._follow_moves(message.summary)
            failed = _count(message.summary, "failed")
            if message.meanwhile:
                noun = "article" if message.meanwhile == 1 else "articles"
                notes.insert(0, f"{message.meanwhile} new {noun} from the refresh waited for")
            line = "; ".join([_summary_line(message.summary), *notes])
            self.status.say(line, error=bool(failed) or unsaved, lasting=True)
        self.reload_feeds()
        self.reload_view()
        if getattr(message.summary, "new", 0):
            self._index_for_search()

    @work(thread=True, exclusive=True, group="search-index", description="index new articles")
    def _index_for_search(self) -> None:
        """Add the refresh's articles to the search index now, while the user reads, so
        the next search does not wait for it. On a connection of its own: the screen's
        reads go on meanwhile (WAL); a mark waits at most for one step of it (a
        transaction of `schema.INDEX_CHUNK` articles). Quitting (which cancels the
        worker) stops it after the step under way: the process would otherwise wait for
        the whole backlog at exit, seconds after a big refresh, its screen gone."""
        from textual.worker import get_current_worker

        from tuinews.errors import StoreError
        from tuinews.store import Store

        worker = get_current_worker()
        if self.store_gone():
            return
        try:
            with Store.open(self.ctx.store_path) as store:
                store.index_for_search(stop=lambda: worker.is_cancelled)
        except StoreError:
            pass  # a search indexes them itself, or says why it cannot
        self._seen_stamp = None  # its commits are not news from outside

    def _follow_moves(self, summary: Any) -> tuple[list[str], bool]:
        """A move (a permanent redirect, a site's address that led to its feed) moves
        the subscription too (the store moved already; `save_move` undoes that when the
        file cannot take it). Returns what to tell, briefly, and whether a move could not
        be saved."""
        notes: list[str] = []
        unsaved = False
        for outcome in getattr(summary, "outcomes", []):
            old, new = outcome.url, outcome.moved_to
            if getattr(outcome, "note", None):
                notes.append(f"{_feed_name(outcome)}: {outcome.note}")
            if not new:
                continue
            shown = without_password(new)
            if outcome.found_on_page:
                said = f"{_feed_name(outcome)}: the feed its page links to, {shown}"
            else:
                said = f"{_feed_name(outcome)} moved to {shown}"
            if not self.ctx.ephemeral:
                from tuinews.refresh.moves import save_move

                error = save_move(
                    self.ctx.config_path, self.ctx.store_path, old, new, outcome.moved_via
                )
                if error is not None:
                    notes.append(f"{said} (not saved in {self.ctx.config_path.name}: {error})")
                    unsaved = True
                    continue
            self.ctx.subscriptions[:] = [
                dataclasses.replace(sub, url=new) if sub.url == old else sub
                for sub in self.ctx.subscriptions
            ]
            notes.append(said)
        return notes, unsaved


def _error_line(error: Exception) -> str:
    """An error in words: a file error as `file: reason`, never a class name alone."""
    if isinstance(error, TuinewsError):
        return clean_line(str(error))
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename else ""
        return clean_line(f"{where}{error.strerror.lower()}")
    return clean_line(f"unexpected error: {error}" if str(error) else "unexpected error")


# Cells the failures keep on the status line, however long the counts after them.
FAILURE_ROOM_MIN = 36


def _summary_line(summary: object) -> str:
    """One line from a RefreshSummary, read defensively. Failures come first, named (the
    line is cut at the screen's width, and they are what the user may have to act on);
    then the counts; then the feeds skipped (one: which and why; several: how many, and
    the usual why)."""
    outcomes = getattr(summary, "outcomes", None) or []
    failed = [o for o in outcomes if getattr(o, "status", None) == "failed"]
    skipped = [o for o in outcomes if getattr(o, "status", None) == "skipped"]
    parts = []
    for attribute, label in (("new", "new"), ("updated", "updated"), ("not_modified", "unchanged")):
        value = _count(summary, attribute)
        if value:
            parts.append(f"{value} {label}")
    skips = ""  # a lone skipped feed, named with its reason; or how many, and why
    if len(skipped) == 1:
        reason = clean_line(getattr(skipped[0], "error", None) or "not due yet")
        skips = f"{_feed_name(skipped[0])}: skipped, {reason}"
    elif skipped:
        skips = f"{len(skipped)} skipped ({_skip_reasons(skipped)})"
    counted = ", ".join(parts)
    failures = _failures(_count(summary, "failed"), failed)
    if failures and getattr(summary, "offline", False) and len(failed) > 1:
        failures = f"No feed answered (offline?): {failures}"
    if failures:
        done = [f"refreshed: {counted}"] if counted else []
        if counted:
            # The failure's reason gives way to the counts on an 80-column line (78
            # cells); `i` on the feed says it whole.
            room = max(FAILURE_ROOM_MIN, 78 - len(counted) - len("; refreshed: "))
            failures = ellipsized(failures, room)
        return "; ".join([failures, *done, *([skips] if skips else [])])
    if len(skipped) == 1:
        return f"Refreshed: {counted}; {skips}" if counted else skips
    if skips:
        counted = f"{counted}, {skips}" if counted else skips
    if len(outcomes) == 1:  # `r` on one feed: which one, as a refresh of all needs not
        return f"Refreshed {_feed_name(outcomes[0])}: {counted or 'nothing new'}"
    return f"Refreshed: {counted or 'nothing new'}"


def _count(summary: object, attribute: str) -> int:
    value = getattr(summary, attribute, None)
    if isinstance(value, list | tuple):
        value = len(value)
    return value if isinstance(value, int) else 0


def _failures(count: int, failed: list[Any]) -> str:
    """The failed feeds in a few words: a lone one with its reason, else the first names."""
    if not count:
        return ""
    if count == 1 and len(failed) == 1:
        reason = clean_line(getattr(failed[0], "error", None) or "unknown error")
        return f"{_feed_name(failed[0])} failed: {reason}"
    if not failed:
        return f"{count} failed"
    return f"{count} failed: {some_of([_feed_name(outcome) for outcome in failed])} (i says why)"


def _feed_name(outcome: Any) -> str:
    """The outcome's name: its title, else its address as the sidebar shows it (host
    and the end of the path), short enough to leave room for the rest of the line."""
    name = clean_line(getattr(outcome, "name", "") or without_password(getattr(outcome, "url", "")))
    return short_name(name, 40)


def _skip_reasons(skipped: list[Any]) -> str:
    """Why several feeds were skipped, in a few words (`i` on a feed says exactly)."""
    backing_off = sum(1 for o in skipped if getattr(o, "still_failing", False))
    fetched = sum(1 for o in skipped if getattr(o, "skipped_because", None) == "other_refresh")
    if backing_off == len(skipped):
        return "failing, retried later; r retries one now"
    if fetched == len(skipped):
        return "just fetched by the refresh that ran meanwhile"
    said = [f"{backing_off} failing, retried later"] if backing_off else []
    if fetched:
        said.append(f"{fetched} just fetched by the refresh that ran meanwhile")
    return ", ".join(said) or "see i on a feed"
