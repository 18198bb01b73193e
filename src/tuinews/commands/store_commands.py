"""`tuinews refresh`, `mark-read` and `cleanup`: commands that change the store."""

from __future__ import annotations

import argparse
import functools
import sys
import threading
from typing import TYPE_CHECKING

from tuinews.commands.common import (
    config_path,
    error_line,
    load_settings,
    open_store,
    say_moved,
    store_folder,
    warn,
)
from tuinews.errors import AmbiguousIdError, ConfigError
from tuinews.refresh.awaited import Awaited

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from rich.progress import Progress, ProgressColumn, Task, TaskID

    from tuinews.model import Subscription
    from tuinews.refresh import FeedOutcome, RefreshStopped, RefreshSummary
    from tuinews.refresh.workers import WorkerPool


def refresh_command(ns: argparse.Namespace) -> int:
    from tuinews.config import file_stamp

    # Before the file is read: a change between the two is then read again, not missed.
    read_stamp = file_stamp(config_path(ns))
    config = load_settings(ns)
    if not config.feeds:
        warn("no subscriptions yet: add one with `tuinews add URL`")
        return 0
    store_path = store_folder(ns)
    # Forked now, while this process has one thread (the progress bar and the event
    # loop start threads): a warm parser is ready when the first body arrives. And
    # before the refresh's imports (asyncio, the HTTP stack), which the workers never
    # use: each worker is a few MB smaller.
    workers = _parse_workers(ns, config.feeds, store_path)
    import signal

    from tuinews.errors import raise_terminated

    signal.signal(signal.SIGTERM, raise_terminated)  # after the fork: workers keep the default
    from tuinews.store.stops import defer_stops_during_writes

    defer_stops_during_writes()  # Ctrl-Z: not while holding the store's write lock
    _one_malloc_arena()
    import asyncio

    from tuinews.refresh import RefreshStopped, refresh_feeds

    reporter = _Reporter(quiet=ns.quiet)
    stopped: RefreshStopped | None = None
    try:
        with reporter:
            try:
                summary = asyncio.run(
                    refresh_feeds(
                        store_path,
                        config.feeds,
                        config.refresh,
                        only=ns.feeds or None,
                        progress=reporter.progress,
                        force=ns.force,
                        on_wait=reporter.waiting,
                        workers=workers,
                        on_start=reporter.start,
                        listed_now=functools.partial(_listed_now, config_path(ns), read_stamp),
                        retention=config.retention,
                    )
                )
            except RefreshStopped as error:
                stopped, summary = error, error.summary
    except KeyboardInterrupt:
        # The feeds shown failed so far get their reasons, said at the end otherwise.
        for outcome in reporter.failed:
            print(f"tuinews: {outcome.name}: {_failure_line(outcome)}", file=sys.stderr)
        raise
    _apply_moves(ns, summary, store_path)
    try:
        _report(ns, summary, stopped, interactive=reporter.interactive)
    except BrokenPipeError:
        # Whoever read the output went away (`refresh | head -1`): the refresh is done
        # all the same, and its exit status says how it went.
        from tuinews.commands.common import silence_stdout

        silence_stdout()
        silence_stdout(sys.stderr)
    if stopped is not None:
        return 1
    # 1 while some feed does not work, whether tried now or left to its back-off: a cron
    # job or a script sees the same status at every run until the feed is fixed or removed.
    return 1 if summary.failed or summary.still_failing else 0


def _listed_now(path: Path, read_stamp: object) -> Sequence[Subscription] | None:
    """The subscriptions the settings file lists now; None when it is as the refresh
    read it at its start (`read_stamp`), or cannot be read (the refresh goes on with
    those)."""
    from tuinews.config import file_stamp, load_config

    if file_stamp(path) == read_stamp:
        return None
    try:
        return load_config(path).feeds
    except (ConfigError, OSError):
        return None


def _report(
    ns: argparse.Namespace,
    summary: RefreshSummary,
    stopped: RefreshStopped | None,
    *,
    interactive: bool,
) -> None:
    """What a refresh says when it is done: failures and notes on stderr, the summary."""
    for old, new in summary.named_by_former:
        # Also with --quiet: the command line (a cron job's) should name it anew.
        say_moved(old, new, "refreshing it there")
    offline = [o for o in summary.outcomes if o.unanswered] if summary.offline else []
    if len(offline) > 1:
        # One line, not one per feed: a night of cron runs offline would mail them all.
        example = f"{offline[0].name}: {offline[0].error}"
        print(
            f"tuinews: no feed answered (offline?): {len(offline)} feeds failed, "
            f"such as {example}; `tuinews feeds` lists them",
            file=sys.stderr,
        )
    for outcome in summary.outcomes:
        if len(offline) > 1 and outcome.unanswered:
            continue
        if outcome.status == "failed" or outcome.still_failing:
            # A feed skipped while still failing is reported as a failure is (also with
            # --quiet, and in the exit status): its back-off spares the server, not the user.
            print(f"tuinews: {outcome.name}: {_failure_line(outcome)}", file=sys.stderr)
        if outcome.note:
            warn(f"{outcome.name}: {outcome.note}")
        if outcome.status == "skipped" and interactive and not outcome.still_failing:
            # Plain lines said it already; the progress bar did not.
            print(f"skipped {outcome.name}: {_skip_line(outcome)}")
    if stopped is not None:
        # Said once: the store refuses every write, so the other feeds were not tried.
        print(f"tuinews: {stopped}", file=sys.stderr)
        if not ns.quiet:
            # Written into a file since deleted, they may be lost: not "saved".
            gone = not store_folder(ns).exists()
            where = "written to the store before its file went" if gone else "saved"
            print(
                f"refresh stopped: {_count(summary.feeds, 'feed')} done, "
                f"{_count(summary.new, 'new article')} {where}"
            )
        return
    if not ns.quiet:
        print(
            f"{_count(summary.feeds, 'feed')}: {_count(summary.new, 'new article')}"
            f"{_and_updated(summary.updated)}, {summary.not_modified} not "
            f"modified, {summary.failed} failed, {summary.skipped} skipped"
            f"{_still_failing(summary.still_failing)} in {summary.seconds:.2f} s"
        )


def _still_failing(number: int) -> str:
    return f" ({number} still failing)" if number else ""


def _typed(outcome: FeedOutcome) -> str:
    """The feed as the user can name it to `refresh` and `remove`, quoted for a shell:
    its URL, which names one feed whatever titles others share (two feeds may have one
    title); its title only when the URL holds a password, not to be printed."""
    import shlex

    from tuinews.sources.sanitize import without_password

    shown = without_password(outcome.url)
    return shlex.quote(shown if shown == outcome.url else outcome.name)


def _retry_hint(outcome: FeedOutcome) -> str:
    """How a disabled (410) feed comes back, or goes."""
    name = _typed(outcome)
    return f"`tuinews refresh {name}` tries it again, `tuinews remove {name}` unsubscribes"


def _failure_line(outcome: FeedOutcome) -> str:
    """What stderr says of a feed that failed now, or that was skipped while failing."""
    from tuinews.refresh.outcome import short_time

    if outcome.disabled:
        return f"{outcome.error}; {_retry_hint(outcome)}"
    if outcome.moved_onto:
        # Both subscriptions name one feed now: which to keep is the user's call.
        return f"{outcome.error}; `tuinews remove {_typed(outcome)}` unsubscribes this one"
    if outcome.status == "failed" or outcome.retry_at is None:
        return outcome.error or "failed"
    when = short_time(outcome.retry_at)
    if outcome.skipped_because == "server_wait":
        wait = f"the server asked to wait until {when}; --force fetches it anyway"
    else:
        wait = f"next try after {when} or with --force"
    return f"{outcome.last_error or 'failed'} (still failing: {wait})"


def _skip_line(outcome: FeedOutcome) -> str:
    """Why a feed was skipped, with the way to fetch it anyway."""
    from tuinews.refresh.outcome import short_time

    if outcome.disabled:
        return f"{outcome.error}; {_retry_hint(outcome)}"
    if outcome.skipped_because == "server_wait":
        return f"{outcome.error}; --force fetches it anyway"
    if outcome.skipped_because == "backoff" and outcome.retry_at is not None:
        why = f" (last error: {outcome.last_error})" if outcome.last_error else ""
        return f"next try after {short_time(outcome.retry_at)} or with --force{why}"
    return outcome.error or ""


def _and_updated(number: int) -> str:
    # Said only when a feed changed articles it had sent before, as blogs do on edits.
    return f", {number} updated" if number else ""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# glibc's mallopt option for the number of malloc arenas.
_M_ARENA_MAX = -8


def _one_malloc_arena() -> None:
    """Have glibc's malloc serve every thread of this process from one arena.

    Why: the refresh's threads (the store writer, the pipes to the parse workers) each
    allocate and free megabytes of short-lived buffers, and glibc gives each thread an
    arena of its own whose freed memory the others cannot reuse: 50 feeds x 200 items
    peaked 5 MB higher. These threads mostly hold the GIL anyway, so sharing one arena
    costs no measurable time. Called after the parse workers are forked (they are
    single-threaded). Elsewhere than glibc there is no such call and nothing to do."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_ARENA_MAX, 1)


# A refresh of fewer web feeds parses them in a thread: a worker would not pay for itself.
WORKERS_FROM_FEEDS = 8


def _parse_workers(
    ns: argparse.Namespace, feeds: Sequence[Subscription], store_path: Path
) -> WorkerPool | None:
    if not wants_workers(ns, feeds, store_path):
        return None  # without importing multiprocessing (a tenth of a second refresh)
    from tuinews.refresh.parsing import worker_count
    from tuinews.refresh.workers import WorkerPool

    return WorkerPool.fork(worker_count())


def wants_workers(ns: argparse.Namespace, feeds: Sequence[Subscription], store_path: Path) -> bool:
    """Whether this refresh is likely to parse enough to start parse workers at once."""
    from tuinews.refresh.locations import location_kind

    web = [sub.url for sub in feeds if location_kind(sub.url) == "http"]
    web_feeds = min(len(web), len(ns.feeds)) if ns.feeds else len(web)
    if web_feeds < WORKERS_FROM_FEEDS:
        return False
    if not ns.force and store_path.exists():
        from tuinews.store.peek import conditional_feeds

        # Feeds fetched before with a validator mostly answer 304, with no body: when
        # fewer than WORKERS_FROM_FEEDS of the others are left, the workers' start would
        # be wasted (a quarter of a refresh of 100 unchanged feeds). Should bodies come
        # after all, the refresh starts workers for them past a size (`Parsers`).
        known = conditional_feeds(store_path)
        if known is not None and sum(url not in known for url in web) < WORKERS_FROM_FEEDS:
            return False
    return True


def _apply_moves(ns: argparse.Namespace, summary: RefreshSummary, store_path: Path) -> None:
    """A move updates the subscription, and the user is told."""
    for outcome in summary.outcomes:
        if not outcome.moved_to:
            continue
        # Here: the usual refresh, with no move, imports nothing more on its way out.
        from tuinews.refresh.moves import save_move
        from tuinews.sources.sanitize import without_password as shown

        said = f"{shown(outcome.url)}: {outcome.move_line}"
        error = save_move(
            config_path(ns), store_path, outcome.url, outcome.moved_to, outcome.moved_via
        )
        warn(f"{said}; not updated: {error}" if error else f"{said}; subscription updated")


# A refresh that ends sooner shows no bar: its summary line follows at once, and setting
# the bar up (Rich and its drawing thread) cost a sixth of a refresh of unchanged feeds.
PROGRESS_AFTER_S = 0.3


class _Reporter:
    """A progress bar when output goes to a terminal (once the refresh has run
    PROGRESS_AFTER_S); plain lines (or nothing, with --quiet) otherwise."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        # The bar only when the user watches both streams: `refresh > log` from a
        # terminal wants the per-feed lines in the log, not a bar on the screen.
        self.interactive = sys.stdout.isatty() and sys.stderr.isatty() and not quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._done = 0
        self._total: int | None = None
        self._description = ""
        # What the bar's last column shows, read by Rich's drawing thread: under a lock
        # of its own, never held while calling Rich (which holds its own while drawing).
        self._shown = threading.Lock()
        self._awaited = Awaited()
        self.failed: list[FeedOutcome] = []  # as they came

    def __enter__(self) -> _Reporter:
        if self.interactive:
            self._timer = threading.Timer(PROGRESS_AFTER_S, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with self._lock:
            if self._timer is None:
                return  # the refresh ended meanwhile
            progress = Progress(
                TextColumn("Refreshing"),
                BarColumn(bar_width=20),  # Rich's 40 left little room at 80 columns
                MofNCompleteColumn(),
                _live_column(self._now_showing),
                console=Console(stderr=True, highlight=False, markup=False),
                transient=True,
            )
            progress.start()
            self._task = progress.add_task("", total=self._total, completed=self._done)
            self._progress = progress

    def __exit__(self, *exc: object) -> None:
        timer = self._timer
        with self._lock:
            self._timer = None
            if self._progress is not None:
                self._progress.stop()
        if timer is not None:
            timer.cancel()
            timer.join()  # no thread outlives the command (see cli._exit_now)

    def waiting(self, message: str) -> None:
        if self.quiet:
            # --quiet prints failures only: a cron job would mail this line whenever the
            # reader happens to be refreshing. The refresh runs once the lock is free.
            return
        with self._lock:
            if self._progress is not None:
                self._progress.console.print(f"tuinews: {message}")
                return
        warn(message)

    def start(self, feeds: list[tuple[str, str]]) -> None:
        """The feeds about to be refreshed, as (URL, title)."""
        with self._shown:
            self._awaited.start(feeds)
        with self._lock:
            self._total = len(feeds)  # "0/?" before the first feed is done otherwise
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, total=self._total)

    def _now_showing(self) -> str:
        """The last feed done; once the refresh stalls, the feeds it still awaits (the
        seconds first: 80 columns cut the end)."""
        with self._shown:
            stalled = self._awaited.stalled()
            if stalled is None:
                return self._description
        from tuinews.feed_names import some_of

        names, waited = stalled
        return f"({waited:.0f} s) waiting for {some_of([_fit(names[0], 30), *names[1:]], 1)}"

    def progress(self, done: int, total: int, outcome: FeedOutcome) -> None:
        if outcome.status == "failed":
            self.failed.append(outcome)
        if self.interactive:
            # Feed titles go in as plain data: markup is off on this console.
            description = _fit(outcome.name, 40)
            with self._shown:
                self._awaited.done(outcome.url)
                self._description = description
            with self._lock:
                self._done, self._total = done, total
                if self._progress is not None and self._task is not None:
                    self._progress.update(self._task, completed=done, total=total)
            return
        if self.quiet:
            return
        name = outcome.name
        if outcome.status == "failed":
            line = f"[{done}/{total}] failed  {name}"
        elif outcome.status == "skipped":
            line = f"[{done}/{total}] skipped  {name}: {_skip_line(outcome)}"
        elif outcome.status == "updated":
            line = f"[{done}/{total}] {outcome.new} new{_and_updated(outcome.updated)}  {name}"
        else:
            line = f"[{done}/{total}] {outcome.status.replace('_', ' ')}  {name}"
        try:
            print(line, flush=True)
        except BrokenPipeError:
            # `tuinews refresh | head -1`: the reader of the lines went away, not the
            # refresh. It goes on (a refresh stopped there would leave feeds unfetched
            # and pass for done) and its exit status still says whether a feed failed.
            from tuinews.commands.common import silence_stdout

            silence_stdout()
            self.quiet = True


def _live_column(text: Callable[[], str]) -> ProgressColumn:
    """A progress column of plain text asked for at every redraw (markup off: feed titles
    are data), so that it can change between two feeds done."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class LiveText(ProgressColumn):  # defined here: Rich is imported once a bar shows
        def render(self, task: Task) -> Text:
            return Text(text(), no_wrap=True, overflow="ellipsis")

    return LiveText()


def _fit(text: str, width: int) -> str:
    """A feed's name in `width` characters; an address as host and end of its path."""
    from tuinews.feed_names import short_name

    text = short_name(text, width)
    return text if len(text) <= width else text[: width - 1] + "…"


def mark_read_command(ns: argparse.Namespace) -> int:
    from tuinews.commands.articles import store_view

    if not (ns.all or ns.feed or ns.ids):
        warn("say what to mark: --all, --feed FEED or article ids")
        return 2
    if ns.ids and (ns.all or ns.feed):
        warn("give article ids, or --all / --feed, not both")
        return 2
    subs = load_settings(ns).feeds
    with open_store(ns, must_exist=True) as store:
        if ns.ids:
            pks: dict[int, None] = {}  # one article named twice is marked once
            status = 0
            for ref in ns.ids:
                try:
                    stored = store.find_article(ref)
                except AmbiguousIdError as error:  # said, as an unknown id is
                    warn(str(error))
                    status = 1
                    continue
                if stored is None:
                    error_line(ref, "no such article")
                    status = 1
                else:
                    pks[stored.pk] = None
            if not pks:
                return status  # each id said why already
            changed = store.set_read(list(pks), True)
            already = len(pks) - changed
        else:
            ns.unread = False
            view = store_view(ns, store, subs, doing="marking its articles read there")
            changed = len(store.mark_read_where(view))
            status = already = 0
    note = f" ({already} already read)" if already else ""
    print(f"marked {changed} article{'s' if changed != 1 else ''} read{note}")
    return status


def cleanup_command(ns: argparse.Namespace) -> int:
    """Retention, and on request (--unsubscribed) the articles of feeds no longer in the
    settings file: never implied, since `--config OTHER` names another list of feeds."""
    from tuinews.store import View

    config = load_settings(ns)
    retention = config.retention
    subscribed = {sub.url for sub in config.feeds}
    with open_store(ns, must_exist=True) as store:
        if config.feeds:
            # A feed stored under an older spelling of its URL is renamed first: it is
            # subscribed, not left behind.
            store.sync_feeds(config.feeds)

        def unsubscribed_articles() -> list[tuple[str, int]]:
            """(title, articles but starred ones) of each feed no longer subscribed."""
            counts = [
                (
                    feed.title,
                    store.count(View(feed_ids=(feed.id,)))
                    - store.count(View(feed_ids=(feed.id,), starred_only=True)),
                )
                for feed in store.feeds()
                if feed.url not in subscribed
            ]
            return [(title, count) for title, count in counts if count]

        if ns.unsubscribed and not config.feeds:
            # Most likely the wrong settings file: emptying the store is never implied.
            warn(f"{config_path(ns)} lists no feeds: --unsubscribed would drop every article")
            return 1
        dropped = 0
        if ns.unsubscribed:
            left = unsubscribed_articles()  # the feeds the drop below is about
            dropped = store.cleanup(days=None, per_feed=None, subscribed=list(subscribed))
        removed = store.cleanup(days=retention.days, per_feed=retention.per_feed)
        if not ns.unsubscribed:
            # Counted after the retention: what is still there for --unsubscribed to drop.
            left = unsubscribed_articles()
    if ns.unsubscribed:
        print(
            f"removed {_count(dropped, 'article')} of {_count(len(left), 'feed')} "
            "no longer subscribed (kept: starred ones)"
        )
    elif left:
        from tuinews.sources.sanitize import without_password

        names = ", ".join(without_password(title) for title, _articles in left[:3])
        more = f" and {len(left) - 3} more" if len(left) > 3 else ""
        warn(
            f"{_count(len(left), 'feed')} not in {config_path(ns)} still "
            f"{'hold' if len(left) != 1 else 'holds'} "
            f"{_count(sum(n for _t, n in left), 'article')} ({names}{more}); "
            "`tuinews cleanup --unsubscribed` removes them (starred ones stay)"
        )
    if retention.days is None and retention.per_feed is None:
        if not ns.unsubscribed and not left:
            warn("no [retention] settings (days, per_feed): nothing to clean up")
        return 0
    print(
        f"removed {_count(removed, 'article')} "
        "(kept: starred ones, and undated ones their feed still lists)"
    )
    return 0
