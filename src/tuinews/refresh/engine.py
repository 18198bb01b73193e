"""refresh_feeds: fetch every subscription concurrently and write the results to the store.

Shared by `tuinews refresh` and the TUI. Network waits run on the event loop; parsing runs
in worker processes (threads for a small refresh) and store writes in a thread, so a TUI
stays responsive. Each feed's results are one
store transaction, so a refresh killed at any moment leaves a consistent store.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tuinews import startup
from tuinews.errors import ConfigError, FeedLinkingPage, SourceError, StoreError, TuinewsError
from tuinews.model import Feed, Subscription
from tuinews.refresh.backoff import backoff, previous_wait, skipped_outcome
from tuinews.refresh.client import make_client, proxy_for
from tuinews.refresh.fetch import PROXY_STATUSES, Fetcher, FetchError, FetchResult
from tuinews.refresh.locations import local_path, location_kind, os_error_line, source_signature
from tuinews.refresh.lock import LockMode, RefreshLock
from tuinews.refresh.outcome import (
    FeedOutcome,
    ProgressCallback,
    RefreshStopped,
    RefreshSummary,
)
from tuinews.refresh.parsing import Body, Parsers, WorkerDied
from tuinews.refresh.pipeline import Parked, PipelineSlot
from tuinews.refresh.shown_error import plain_error
from tuinews.refresh.writer import BatchWriter
from tuinews.sources.sanitize import without_password
from tuinews.store.records import FeedWrite

if TYPE_CHECKING:
    import httpx

    from tuinews.config import RefreshSettings, RetentionSettings
    from tuinews.refresh.workers import WorkerPool
    from tuinews.store import FeedInfo, SaveStats, Store
    from tuinews.store.save import PreparedFeed


REMOVED_DURING_REFRESH = "removed during the refresh"


@dataclasses.dataclass(frozen=True, slots=True)
class _Unanswered:
    """A web feed that failed without an HTTP answer, its back-off decided when the
    refresh ends: none when no feed got an answer (offline)."""

    info: FeedInfo
    at: datetime
    reason: str
    status: int | None  # a proxy's answer, or None


def select_feeds(
    infos: Sequence[FeedInfo],
    only: Sequence[str] | None,
    unsubscribed: Sequence[FeedInfo] = (),
) -> list[FeedInfo]:
    """All feeds, or those named as `tuinews remove` and `--feed` name them (URL, exact
    title, or a unique part of a title: `subscriptions.match_feed`), in store order.

    A name that only a part of a subscribed feed's title holds, and that names a feed no
    longer subscribed whole (its address or title, which the store keeps for its starred
    articles), is that feed's: `refresh Tech` after `remove Tech` refreshed "Tech
    Weekly". Parts of the titles of feeds no longer subscribed name nothing."""
    if only is None:
        return list(infos)
    from tuinews.subscriptions import match_feed_how

    pairs = [(info.url, info.title) for info in infos]
    chosen: set[int] = set()
    for name in only:
        try:
            index, by_part = match_feed_how(name, pairs)
        except ConfigError as error:
            index, by_part, failure = None, True, error
        if by_part and _names_removed(name, unsubscribed):
            raise TuinewsError(
                f"{name.strip()!r} is no longer among your feeds (removed; its starred "
                "articles are kept): nothing to refresh"
            )
        if index is None:
            raise TuinewsError(str(failure)) from None
        chosen.add(infos[index].id)
    return [i for i in infos if i.id in chosen]


def _names_removed(name: str, unsubscribed: Sequence[FeedInfo]) -> bool:
    """Whether `name` is the address or whole title of a feed no longer subscribed."""
    from tuinews.subscriptions import match_feed_how

    try:
        _index, by_part = match_feed_how(name, [(i.url, i.title) for i in unsubscribed])
    except ConfigError:
        return False
    return not by_part


async def refresh_feeds(
    store_path: Path,
    subscriptions: Sequence[Subscription],
    settings: RefreshSettings,
    *,
    only: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    lock: LockMode = "wait",
    force: bool = False,
    on_wait: Callable[[str], None] | None = None,
    workers: WorkerPool | None = None,
    on_start: Callable[[list[tuple[str, str]]], None] | None = None,
    listed_now: Callable[[], Sequence[Subscription] | None] | None = None,
    retention: RetentionSettings | None = None,
) -> RefreshSummary:
    """Refresh the subscriptions (or `only` those, by URL or title) into the store.

    Raises `RefreshBusy` when another refresh holds the lock and `lock="skip"`, and
    `StoreError`/`TuinewsError` for a store that cannot be opened or an unknown `only`.
    Feed-level problems never raise: they are outcomes. A store that refuses a write
    (disk full, read-only, I/O error) stops the refresh: `RefreshStopped`, raised once.
    `workers`: parse processes the caller started (`WorkerPool.fork` while it had one
    thread); the refresh uses them for every body and closes them when it ends.
    `on_start` gets the (URL, title) of every feed about to be refreshed, so that a
    progress display can name those not done yet (their outcomes carry the same URL).
    `listed_now` reads the subscriptions as the settings file has them now (None when it
    cannot): `subscriptions` were read before this refresh had the lock, perhaps long
    before (another refresh held it), and the file is read again once it has it: a feed
    removed or moved since is not brought back (see `_drop_removed`). `retention`: new
    articles that `tuinews cleanup` would drop are not stored (see `FeedWrite.oldest`).
    """
    from tuinews.store import Store

    started = time.monotonic()
    began = datetime.now(UTC)  # articles first seen since then are this refresh's
    refresh_lock = RefreshLock(store_path)
    lock_made_here = not refresh_lock.path.exists()
    try:
        await refresh_lock.acquire(lock, on_wait)
    except BaseException:
        if workers is not None:
            workers.close()
        raise
    try:
        try:
            store = await asyncio.to_thread(
                functools.partial(Store.open, store_path, on_upgrade=_upgrade_notice(on_wait))
            )
        except StoreError:
            if lock_made_here:
                # Refused (a folder, another program's file): nothing left beside it.
                refresh_lock.path.unlink(missing_ok=True)
            raise
        try:
            if listed_now is not None:
                listed = await asyncio.to_thread(listed_now)
                subscriptions = subscriptions if listed is None else listed
            await asyncio.to_thread(store.sync_feeds, subscriptions)
            subscribed = {sub.url for sub in subscriptions}
            await _drop_removed(store, subscribed, listed_now)
            # The store keeps feeds no longer subscribed (their starred articles); skip them.
            stored = await asyncio.to_thread(store.feeds)
            infos = [i for i in stored if i.url in subscribed]
            named_by_former: dict[str, str] = {}
            if only is not None:
                former = await asyncio.to_thread(store.former_urls)
                only = [_named_now(name, infos, former, named_by_former) for name in only]
            kept = [i for i in stored if i.url not in subscribed]
            chosen = select_feeds(infos, only, kept)
            run = _Run(store, settings, force=force, named=only is not None, workers=workers)
            run.retention = retention
            run.other_refresh_since = refresh_lock.waited_since
            run.subscribed = subscribed
            if on_start is not None:
                on_start([(info.url, info.title) for info in chosen])
            outcomes = await run.all(chosen, progress)
            if run.passed:
                outcomes = [_with_via(outcome, run.passed) for outcome in outcomes]
            if run.stopped_by is None:
                gone = await _finish_removals(store, chosen, outcomes, listed_now, began)
                # Told as what they are now: removed, not refreshed (not "2 new").
                outcomes = [gone.get(outcome.url, outcome) for outcome in outcomes]
            if run.stopped_by is None and any(outcome.updated for outcome in outcomes):
                await _upkeep_search_index(store)
        finally:
            await asyncio.to_thread(store.close)
    finally:
        if workers is not None:
            await asyncio.to_thread(workers.close)
        refresh_lock.release()
    summary = RefreshSummary()
    for outcome in outcomes:
        summary.add(outcome)
    summary.offline = run.offline
    summary.named_by_former = list(named_by_former.items())
    summary.seconds = time.monotonic() - started
    if run.stopped_by is not None:
        raise RefreshStopped(str(run.stopped_by), summary) from run.stopped_by
    return summary


async def _drop_removed(
    store: Store,
    subscribed: set[str],
    listed_now: Callable[[], Sequence[Subscription] | None] | None,
) -> None:
    """Take out of `subscribed` the feeds the settings file no longer lists: a `tuinews
    remove` between the file's reading and the sync just after. The sync gave back the
    row `remove` had dropped, or made one it never saw: such a row, with no articles,
    goes again, or this refresh would fill it."""
    if listed_now is None:
        return
    listed = await asyncio.to_thread(listed_now)
    if listed is None:
        return
    gone = subscribed - {sub.url for sub in listed}
    if gone:
        await asyncio.to_thread(store.drop_empty_feeds, gone)
        subscribed -= gone


async def _finish_removals(
    store: Store,
    chosen: Sequence[FeedInfo],
    outcomes: Sequence[FeedOutcome],
    listed_now: Callable[[], Sequence[Subscription] | None] | None,
    began: datetime,
) -> dict[str, FeedOutcome]:
    """Take back what this refresh (begun at `began`) saved of the feeds taken out of
    the settings file meanwhile (`tuinews remove`, the reader's `d`, a hand edit): a
    feed with starred articles keeps its row after a removal, and the fetch saved every
    article of the feed into it again, unread. What was there before the refresh stays,
    as it would after a hand edit (`cleanup --unsubscribed` drops that). A feed that
    moved is `save_move`'s (it finishes such a removal itself). Returns their outcomes
    now ("removed during the refresh") by URL."""
    if listed_now is None:
        return {}
    listed = await asyncio.to_thread(listed_now)
    if listed is None:
        return {}
    now = {sub.url for sub in listed}
    moved = {outcome.url for outcome in outcomes if outcome.moved_to}
    gone = [info for info in chosen if info.url not in now and info.url not in moved]

    def remove() -> None:
        for info in gone:
            row = store.feed(info.id)
            if row is not None and row.url == info.url:  # not a row made since
                store.drop_articles_since(info.id, began)

    if gone:
        with contextlib.suppress(StoreError):  # said by the next refresh, if it lasts
            await asyncio.to_thread(remove)
    return {info.url: _Run.removed_outcome(info) for info in gone}


def _with_via(outcome: FeedOutcome, passed: Mapping[str, tuple[str, ...]]) -> FeedOutcome:
    via = passed.get(outcome.moved_to or "")
    return dataclasses.replace(outcome, moved_via=via) if via else outcome


def _named_now(
    name: str, infos: Sequence[FeedInfo], former: Mapping[str, str], moves: dict[str, str]
) -> str:
    """`name` (of `only`), or the address now of the feed it names by an address that
    feed had before a move; that move is added to `moves` (former -> now)."""
    from tuinews.subscriptions import moved_feed

    moved = moved_feed(name, {info.url for info in infos}, former)
    if moved is None:
        return name
    moves.setdefault(*moved)
    return moved[1]


async def _upkeep_search_index(store: Store) -> None:
    """Updated articles leave their old words in the search index: compact it when they
    have grown it too much. Housekeeping: a store that refuses it is no refresh failure
    (the next refresh tries again)."""
    with contextlib.suppress(StoreError):
        await asyncio.to_thread(store.upkeep_search_index)


class _Run:
    """One refresh: the store, the settings and the shared HTTP client."""

    def __init__(
        self,
        store: Store,
        settings: RefreshSettings,
        *,
        force: bool,
        named: bool,
        workers: WorkerPool | None = None,
    ):
        self.store = store
        self.settings = settings
        self.force = force
        self.named = named
        self.other_refresh_since: datetime | None = None
        self.retention: RetentionSettings | None = None
        self.stopped_by: StoreError | None = None  # the store refused a write
        self.fetcher: Fetcher | None = None
        # Whether any web feed of this refresh got an HTTP answer (any status), and the
        # failures without one, recorded at the end (see `backoff`).
        self.answered = False
        self.unanswered: list[_Unanswered] = []
        self.offline = False  # set at the end: no feed answered (see _record_unanswered)
        self.subscribed: set[str] = set()  # every subscription's URL, not only the chosen
        # A move's new address -> the addresses its redirects passed through (`_move`).
        self.passed: dict[str, tuple[str, ...]] = {}
        # Memory stays bounded however many feeds there are: at most `concurrency`
        # requests at once, a fetched body per worker waiting to be parsed (`parked`),
        # and a few feeds between parse and save: one being parsed or written and one
        # queued per worker, and one more.
        self.writer = BatchWriter(store)
        self.parsers = Parsers(
            store.path, self.writer, feeds=1, pool=workers, max_bytes=settings.max_bytes
        )
        # Feeds between their request and their write. A web feed takes its slot only
        # once its host has room (see `PipelineSlot`): a host with a queue of feeds
        # must not hold slots the other hosts' feeds could use.
        self.in_flight = asyncio.Semaphore(max(1, settings.concurrency))
        slots = 2 * max(1, self.parsers.workers) + 1
        self.processing = asyncio.Semaphore(slots)
        # One body waiting per worker is enough to keep them busy: each worker already
        # has one feed queued behind the one it parses (the processing slots).
        self.parked = Parked(max(1, self.parsers.workers))

    async def all(
        self, infos: Sequence[FeedInfo], progress: ProgressCallback | None
    ) -> list[FeedOutcome]:
        results: list[FeedOutcome | None] = [None] * len(infos)
        if not infos:
            return []
        needs_http = any(location_kind(i.url) == "http" for i in infos)
        self.parsers.feeds = sum(location_kind(i.url) == "http" for i in infos)
        web = [i.url for i in infos if location_kind(i.url) == "http"]
        client = make_client(self.settings, urls=web) if needs_http else None
        try:
            if client is not None:
                client.event_hooks["response"].append(self._heard)
                self.fetcher = Fetcher(client, self.settings)
                if any(i.url[:6].lower() == "https:" for i in infos):
                    self.fetcher.prepare_tls()  # while the first requests go out
            startup.loaded()  # the command's loading is over: the requests go out
            tasks = [asyncio.create_task(self._indexed(n, i)) for n, i in enumerate(infos)]
            try:
                for done, next_done in enumerate(asyncio.as_completed(tasks), start=1):
                    try:
                        index, outcome = await next_done
                    except StoreError:
                        # Only an unwritable store gets here (`one` kept it in stopped_by):
                        # every later write would fail the same way, so the remaining
                        # feeds are cancelled below.
                        break
                    results[index] = outcome
                    if progress is not None:
                        progress(done, len(infos), outcome)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await self.writer.close()
            await self._record_unanswered()
        finally:
            if client is not None:
                await client.aclose()
            await asyncio.to_thread(self.parsers.close)
        return [r for r in results if r is not None]

    async def _indexed(self, index: int, info: FeedInfo) -> tuple[int, FeedOutcome]:
        return index, await self.one(info)

    async def _heard(self, response: httpx.Response) -> None:
        """httpx's response hook: a server answered, so this machine is online (a proxy's
        502/504 says only that the proxy is)."""
        if not self._proxy_answer(str(response.request.url), response.status_code):
            self.answered = True

    def _proxy_answer(self, url: str, status: int | None) -> bool:
        """Whether `status` is a proxy's answer that it could not reach the server."""
        if status not in PROXY_STATUSES or self.fetcher is None:
            return False
        return proxy_for(self.fetcher.client, url) is not None

    async def _record_unanswered(self) -> None:
        """Record the failures that had no HTTP answer. When no feed got one, the machine
        is most likely offline: not the servers' fault, so they set no back-off (the next
        refresh tries them again), and a night offline blocks nothing the morning after."""
        failures, self.unanswered = self.unanswered, []
        if not failures or self.stopped_by is not None:
            return
        self.offline = not self.answered

        def record() -> None:
            for failure in failures:
                info = failure.info
                wait = backoff(previous_wait(info), None) if self.answered else None
                status, reason, next_fetch = _as_recorded(
                    info,
                    failure.status,
                    plain_error(failure.reason),
                    failure.at + wait if wait else None,
                )
                self.store.record_failure(
                    info.id, status=status, error=reason, at=failure.at, next_fetch=next_fetch
                )

        try:
            await asyncio.to_thread(record)
        except StoreError as error:
            if _unwritable(error):
                self.stopped_by = error

    async def one(self, info: FeedInfo) -> FeedOutcome:
        # The times kept for a feed (its refresh, its failure, when its articles were last
        # seen) are taken when its answer came or its file was read, not here: a feed may
        # wait a while for a free connection, and its download may be slow.
        skipped = self._skipped(info, datetime.now(UTC))
        if skipped is not None:
            return skipped
        try:
            kind = location_kind(info.url)
            if kind == "http":
                self._check_store()
                return await self._http(info)
            if kind == "local":
                async with self.in_flight:
                    self._check_store()
                    return await self._local(info)
            scheme = info.url.split("://", 1)[0]
            return await self._fail(info, datetime.now(UTC), f"unsupported URL scheme '{scheme}'")
        except StoreError as error:
            if _unwritable(error):
                # Kept now, not when `all` hears of it: no other feed starts meanwhile.
                self.stopped_by = error
                raise
            if await self._removed(info):
                return self.removed_outcome(info)
            return FeedOutcome(info.url, info.title, "failed", error=str(error))
        except Exception as error:
            # A bug met on one feed must not end the refresh of all the others.
            reason = f"unexpected error ({type(error).__name__}: {error})"[:300]
            now = datetime.now(UTC)
            try:
                # Kept with the feed, so `tuinews feeds` and the reader's feed details say
                # why; no back-off (the fault is ours, not the server's).
                return await self._fail(info, now, reason, retry_after=now)
            except Exception:
                return FeedOutcome(info.url, info.title, "failed", error=reason)

    async def _removed(self, info: FeedInfo) -> bool:
        """Whether `tuinews remove` (or the reader) took the feed out of the store while
        this refresh fetched it: the store then has no row for it."""
        try:
            return await asyncio.to_thread(self.store.feed, info.id) is None
        except StoreError:
            return False

    @staticmethod
    def removed_outcome(info: FeedInfo) -> FeedOutcome:
        # Not a failure: the user asked for it to go.
        return FeedOutcome(
            info.url,
            info.title,
            "skipped",
            error=REMOVED_DURING_REFRESH,
            skipped_because="removed",
        )

    def _check_store(self) -> None:
        if self.stopped_by is not None:
            raise self.stopped_by

    def _skipped(self, info: FeedInfo, now: datetime) -> FeedOutcome | None:
        """The outcome of a feed this refresh leaves alone, or None to fetch it."""
        return skipped_outcome(
            info, now, force=self.force, named=self.named, since=self.other_refresh_since
        )

    async def _http(self, info: FeedInfo) -> FeedOutcome:
        slot = PipelineSlot(self.in_flight, self.parked, check=self._check_store)
        try:
            return await self._http_in(slot, info)
        finally:
            slot.release()

    async def _http_in(self, slot: PipelineSlot, info: FeedInfo) -> FeedOutcome:
        assert self.fetcher is not None
        self._check_store()
        try:
            # --force fetches in full, as it re-reads a local file whatever its mtime:
            # the way out when a server answers 304 for a feed whose articles are gone.
            validators = (None, None) if self.force else (info.etag, info.last_modified)
            result = await self.fetcher.fetch(
                info.url, etag=validators[0], last_modified=validators[1], room=slot
            )
        except FetchError as error:
            if error.reached or error.connected:
                self.answered = True  # online: not a night offline (see `_heard`)
            return await self._fail(
                info,
                datetime.now(UTC),
                error.reason,
                status=error.status,
                server_wait=error.retry_after,
                disable=error.gone,
                tried=error.tried,
                reached=error.reached,
                connected=error.connected,
            )
        # The feed's refresh: when its answer (the whole body) came.
        now = datetime.now(UTC)
        await self._enable(info)
        # Enabled again just now, if it was disabled: it answered.
        enabled = dataclasses.replace(info, disabled=False)
        # Where a permanent redirect says the feed lives now. It moves there only once
        # that address gave a feed (or a 304 to this feed's validators): moved to a page
        # that is none (a parking page), it stays where it was, as at an HTTP error.
        target = _move_target(info.url, result.moved_to)
        if result.not_modified:
            moved, onto = await self._move(info, target, via=result.moved_via)
            if onto is not None:
                return await self._moved_onto(enabled, now, onto, result.status)
            await self.writer.write(
                FeedWrite(info.id, now, etag=result.etag, last_modified=result.last_modified)
            )
            return FeedOutcome(
                info.url, info.title, "not_modified", moved_to=moved, http_status=304
            )
        moved = None

        async def move() -> None:
            nonlocal moved
            moved, onto = await self._move(info, target, via=result.moved_via)
            if onto is not None:
                raise _NotMoved(onto)

        try:
            feed_title, stats = await self._parse_and_save(
                info, now, result, target or info.url, before_write=move if target else None
            )
        except _NotMoved as not_moved:
            assert not_moved.onto is not None
            return await self._moved_onto(enabled, now, not_moved.onto, result.status)
        except SourceError as error:
            reason = error.reason
            title = getattr(error, "feed_title", None)  # BrokenFeedError's, if any
            if title and info.title == info.url:
                # Broken before its first article, but its name was read: better than
                # its address in `feeds` and the reader while it stays broken.
                await asyncio.to_thread(self.store.name_untitled_feed, info.id, title)
            if isinstance(error, FeedLinkingPage) and info.last_refresh is None:
                # The addresses a permanent redirect led through to the page name the
                # feed found there too, as they would after a move to the page.
                via = (*result.moved_via, target) if target else ()
                followed = await self._follow_page(slot, info, target or info.url, error, via)
                if isinstance(followed, FeedOutcome):
                    return followed
                reason = followed
            if result.url != info.url:
                # After redirects, the address that gave it is named, as with an HTTP error.
                reason += f" (at {without_password(result.url)})"
            retry = now if isinstance(error, WorkerDied) else None
            return await self._fail(info, now, reason, status=result.status, retry_after=retry)
        return _saved(info, feed_title, stats, result.status, moved)

    async def _moved_onto(
        self, info: FeedInfo, now: datetime, onto: str, status: int | None
    ) -> FeedOutcome:
        """A permanent redirect onto the address of another feed of the store. Nothing
        moves: the settings file would list that address twice, and this feed's articles
        and marks would have to be merged into the other's, the user's call. Nor is
        anything saved here: that feed stores these articles itself (saved twice, every
        article would be listed twice). A failure, so that the user hears of it at every
        refresh (a cron job by its exit status) until they remove this subscription;
        without back-off, since the server is not at fault: it is tried again each time
        and is back to normal at once should the redirect go away."""
        other = await asyncio.to_thread(self.store.feed_by_url, onto)
        shown = without_password(onto)
        if other is not None and other.url in self.subscribed:
            titled = f" ({without_password(other.title)})" if other.title != other.url else ""
            reason = f"moved permanently to {shown}{titled}, which you already subscribe to"
            failed = await self._fail(info, now, reason, status=status, retry_after=now)
            return dataclasses.replace(failed, moved_onto=onto)
        # Only in a race (`_move` takes over the row of a feed unsubscribed from): that
        # row went or changed meanwhile. The next refresh moves it.
        reason = f"moved permanently to {shown}; not moved yet (the store changed meanwhile)"
        return await self._fail(info, now, reason, status=status, retry_after=now)

    async def _parse_and_save(
        self,
        info: FeedInfo,
        now: datetime,
        result: FetchResult,
        key: str,
        before_write: Callable[[], Awaitable[None]] | None = None,
    ) -> tuple[str, SaveStats]:
        """Parse a fetched body and save it as the feed's articles, their ids made from
        `key` (the feed's URL); SourceError when it is not a feed. `before_write` runs
        once the body parsed as a feed (`Parsers.save`)."""
        # The body travels on its own, handed over to the parser: `result` keeps only the
        # headers while the feed is parsed and written.
        body = Body(result.body)
        result = dataclasses.replace(result, body=b"")
        with self.parked.holding():
            await self.processing.acquire()
        try:
            write = self._kept(
                FeedWrite(
                    info.id,
                    now,
                    status=result.status,
                    etag=result.etag,
                    last_modified=result.last_modified,
                )
            )
            return await self.parsers.save(body, key, result.content_type, write, before_write)
        finally:
            self.processing.release()

    async def _follow_page(
        self,
        slot: PipelineSlot,
        info: FeedInfo,
        here: str,
        page: FeedLinkingPage,
        via: Sequence[str] = (),
    ) -> FeedOutcome | str:
        """A feed never fetched yet whose address gives a web page (at `here`, where
        permanent redirects led through `via`) that links to feeds: the user subscribed
        to a site's address. Its links are tried in order (a site's main feed comes first
        as a rule); the first that is a feed is saved, and the subscription moves to it,
        as a permanent redirect moves it. Otherwise the page's failure line, with why
        each link did not do."""
        whys = []
        for link in page.feeds:
            tried = await self._try_page_link(slot, info, here, link, via)
            if isinstance(tried, FeedOutcome):
                return tried
            whys.append(tried if len(page.feeds) == 1 else f"{without_password(link)}: {tried}")
        return f"{page.reason} ({'; '.join(whys)})"

    async def _try_page_link(
        self, slot: PipelineSlot, info: FeedInfo, here: str, link: str, via: Sequence[str]
    ) -> FeedOutcome | str:
        """The outcome of following a page's feed link, or why it did not do."""
        from tuinews.config import canonical_feed_url

        assert self.fetcher is not None
        try:
            target = canonical_feed_url(link)
            # The feed's slot, held since the page came, is given back while this fetch
            # waits for the host (see `fetch._Slots`).
            result = await self.fetcher.fetch(target, etag=None, last_modified=None, room=slot)
            now = datetime.now(UTC)  # when the linked feed's answer came
            target = canonical_feed_url(result.moved_to) if result.moved_to else target
        except ConfigError as error:
            return str(error)
        except FetchError as error:
            return error.reason
        if target == here:
            return "the page itself"
        stored = await asyncio.to_thread(self.store.feed_by_url, target)
        if stored is not None and stored.url in self.subscribed:
            return f"subscribed already as {stored.title}"
        claim: Callable[[], Awaitable[None]] | None = None
        if stored is None:

            async def claim() -> None:
                # Once the link gave a feed, and before saving: of two pages of one
                # refresh that link to the same feed, only one gets it (the store's
                # addresses are unique).
                moved, _ = await self._move(dataclasses.replace(info, url=here), target, via=via)
                if moved is None:
                    raise _NotMoved(None)

            owner = info
        else:
            # An earlier subscription's row, kept for its starred articles: subscribed
            # again through the site's address, it keeps its marks, as `tuinews add`
            # of its own address would; the page's row (never fetched) goes.
            owner = stored
        try:
            feed_title, stats = await self._parse_and_save(owner, now, result, target, claim)
        except _NotMoved:
            return "subscribed already"
        except SourceError as error:
            return error.reason
        if owner is not info:
            await asyncio.to_thread(self.store.remove_feed, info.id)
        outcome = _saved(owner, feed_title, stats, result.status, target)
        return dataclasses.replace(outcome, url=info.url, found_on_page=True)

    async def _load_and_save(
        self, info: FeedInfo, path: Path, signature: float | None
    ) -> tuple[Feed, SaveStats]:
        """Read and prepare the file in a thread, then write it as a fetched feed is,
        refreshed when it was read, with the `source_signature` taken before reading."""
        async with self.processing:
            feed, prepared, read_at = await asyncio.to_thread(
                _load_local_prepared, path, self.settings.max_bytes
            )
            write = self._kept(FeedWrite(info.id, read_at, prepared, source_mtime=signature))
            if feed.cut:  # read while being written, say: read whole next time
                write = write.of_cut_document()
            stats = await self.writer.write(write)
        return feed, stats

    def _kept(self, write: FeedWrite) -> FeedWrite:
        """`write` with the retention settings it is saved under."""
        retention = self.retention
        if retention is None or (retention.days is None and retention.per_feed is None):
            return write
        oldest = None
        if retention.days is not None:
            oldest = (write.fetched_at - timedelta(days=retention.days)).timestamp()
        return dataclasses.replace(write, oldest=oldest, per_feed=retention.per_feed)

    async def _enable(self, info: FeedInfo) -> None:
        """A disabled feed retried on request (named or forced) that answers is back."""
        if info.disabled:
            await asyncio.to_thread(self.store.set_disabled, info.id, False)

    async def _move(
        self, info: FeedInfo, new_url: str | None, *, via: Sequence[str] = ()
    ) -> tuple[str | None, str | None]:
        """Follow a permanent redirect in the store to `new_url` (as `_move_target` gives
        it): (the new URL, None), or (None, the new URL) when it is another subscribed
        feed's, or (None, None) without one. The old URL and the addresses `via` the
        redirects passed through go on naming the feed (`Store.former_urls`)."""
        from tuinews.config import canonical_feed_url

        if new_url is None or new_url == info.url:
            return None, None
        passed = []
        for url in via:
            with contextlib.suppress(ConfigError):
                passed.append(canonical_feed_url(url))
        try:
            await asyncio.to_thread(self.store.change_feed_url, info.id, new_url, via=passed)
        except StoreError as error:
            if _unwritable(error):
                raise
            if not await self._move_onto_kept(info, new_url, passed):
                # Both stay as they are: merging two subscriptions' articles and marks
                # is the user's call.
                return None, new_url
        # Subscribed from now on (the settings file follows the move): a page followed
        # later in this run must not take this row for an unsubscribed one and take it over.
        self.subscribed.add(new_url)
        if passed:
            self.passed[new_url] = tuple(passed)
        return new_url, None

    async def _move_onto_kept(self, info: FeedInfo, new_url: str, via: Sequence[str]) -> bool:
        """Move the feed onto the row of a feed unsubscribed from that the store keeps for
        its starred articles (at `new_url`): the user subscribes to that feed again by
        its old address, and gets those articles back with it. False when `new_url` is
        a subscribed feed's."""
        kept = await asyncio.to_thread(self.store.feed_by_url, new_url)
        if kept is None or kept.url in self.subscribed:
            return False
        try:
            await asyncio.to_thread(self.store.move_onto_kept, info.id, kept.id, new_url, via=via)
        except StoreError as error:
            if _unwritable(error):
                raise
            return False
        return True

    async def _local(self, info: FeedInfo) -> FeedOutcome:
        try:
            path = local_path(info.url)
            # Taken before reading: a change made while the file is read shows next time.
            signature = await asyncio.to_thread(source_signature, path)
        except OSError as error:
            return await self._fail(info, datetime.now(UTC), os_error_line(error))
        except SourceError as error:
            return await self._fail(info, datetime.now(UTC), error.reason)
        if not self.force and info.source_mtime == signature:
            return FeedOutcome(info.url, info.title, "unchanged_file")
        try:
            feed, stats = await self._load_and_save(info, path, signature)
        except SourceError as error:
            return await self._fail(info, datetime.now(UTC), error.reason)
        except OSError as error:
            return await self._fail(info, datetime.now(UTC), os_error_line(error))
        await self._enable(info)
        return FeedOutcome(
            info.url,
            info.title or feed.title,
            "updated",
            new=stats.new,
            updated=stats.updated,
            note=_cut_note(feed.cut) or _kept_out_note(stats),
        )

    async def _fail(
        self,
        info: FeedInfo,
        now: datetime,  # when it failed
        reason: str,
        *,
        status: int | None = None,
        retry_after: datetime | None = None,
        server_wait: datetime | None = None,
        disable: bool = False,
        moved_to: str | None = None,
        tried: bool = True,
        reached: bool = False,
        connected: bool = False,
    ) -> FeedOutcome:
        """Record the failure and return its outcome. `retry_after`: the next try, as
        decided by the caller (`now`: no back-off); `server_wait`: when a 429/503's
        Retry-After allows the next try, which lengthens the back-off, never shortens
        it (a "Retry-After: 0", or a date past by the server's slow clock, would have
        the feed asked again at every refresh, forever). `tried`: False when no request
        went out (a setting of this machine to fix); `reached`: the server answered but
        its certificate was refused here (most often this machine's authorities to
        fix: tried again at the next refresh, a handshake being cheap); `connected`: the
        server took the connection, then failed (hung, broke the protocol): its fault,
        backed off as an HTTP error is."""
        unanswered = (
            tried and not connected and (status is None or self._proxy_answer(info.url, status))
        )
        failed = FeedOutcome(
            info.url,
            info.title,
            "failed",
            error=reason,
            moved_to=moved_to,
            disabled=disable,
            http_status=status,
            unanswered=unanswered and location_kind(info.url) == "http",
        )
        next_fetch: datetime | None
        if retry_after is not None:
            next_fetch = retry_after
        elif location_kind(info.url) != "http" or not tried or reached:
            # A file, a URL to fix, or a setting of this machine to fix (no request went
            # out, or a certificate refused here): free to try at every refresh.
            next_fetch = None
        elif unanswered and not self.answered:
            # No HTTP answer, and none for any feed so far: perhaps offline. Decided and
            # recorded when the refresh ends (`_record_unanswered`).
            self.unanswered.append(_Unanswered(info, now, reason, status))
            return self.removed_outcome(info) if await self._removed(info) else failed
        else:
            next_fetch = now + backoff(previous_wait(info), None if unanswered else status)
            if server_wait is not None:
                next_fetch = max(next_fetch, server_wait)
        # The outcome's line, said now, keeps the time a 429/503 asked for; the store keeps
        # the line without it: read later, the next try is told from `next_fetch`
        # (`refresh.shown_error`), and a "retry after 17:05" would read as tomorrow's.
        stored = plain_error(reason)
        if not disable:
            status, stored, next_fetch = _as_recorded(info, status, stored, next_fetch)
        await asyncio.to_thread(
            self.store.record_failure,
            info.id,
            status=status,
            error=stored,
            at=now,
            next_fetch=next_fetch,
            disable=disable,
            # A wait still to come: a feed the user names waits for it, not the back-off.
            server_wait=server_wait if server_wait is not None and server_wait > now else None,
        )
        if await self._removed(info):
            return self.removed_outcome(info)
        return failed


class _NotMoved(Exception):
    """A move found the address taken, before the feed was written: by the subscribed
    feed `onto`, or (None) by a feed another page of this refresh led to."""

    def __init__(self, onto: str | None) -> None:
        super().__init__(onto)
        self.onto = onto


def _move_target(url: str, new_url: str | None) -> str | None:
    """Where a feed at `url` moves to when a redirect says `new_url`, or None."""
    if not new_url:
        return None
    from tuinews.config import canonical_feed_url

    try:
        # The form the subscription file will hold: the store must name the feed the
        # same way, or the next refresh would take it for a new subscription.
        new_url = canonical_feed_url(new_url)
    except ConfigError:
        return None
    return None if new_url == url else new_url


def _as_recorded(
    info: FeedInfo, status: int | None, reason: str, next_fetch: datetime | None
) -> tuple[int | None, str, datetime | None]:
    """A failure's status, error and next fetch as the store keeps them. A feed disabled
    (a 410) and tried again on request stays disabled as it was: its 410, its reason and
    no next fetch, which `feeds` and the feed's details show; the try's own failure is
    said by the refresh."""
    if not info.disabled:
        return status, reason, next_fetch
    return info.last_status, info.last_error or reason, None


def _unwritable(error: StoreError) -> bool:
    from tuinews.store import StoreUnwritable

    return isinstance(error, StoreUnwritable)


def _saved(
    info: FeedInfo, feed_title: str, stats: SaveStats, status: int | None, moved: str | None
) -> FeedOutcome:
    """The outcome of a web feed fetched and saved."""
    return FeedOutcome(
        info.url,
        # The store names a feed it has no title for by its URL; now it has one.
        feed_title if info.title == info.url and feed_title else info.title,
        "updated",
        new=stats.new,
        updated=stats.updated,
        moved_to=moved,
        http_status=status,
        note=_cut_note(stats.cut) or _kept_out_note(stats),
    )


def _cut_note(cut: str | None) -> str | None:
    return f"{cut}; its complete articles were saved" if cut else None


def _kept_out_note(stats: SaveStats) -> str | None:
    count = stats.all_kept_out
    if not count:
        return None
    articles = "its article is" if count == 1 else f"its {count} articles are"
    return f"{articles} older than the [retention] settings keep: none stored"


def _upgrade_notice(say: Callable[[str], None] | None) -> Callable[[], None] | None:
    """Say, through the same channel as "waiting for another refresh", why opening an
    older store takes a while."""
    if say is None:
        return None
    from tuinews.store.connection import UPGRADE_NOTICE

    return lambda: say(UPGRADE_NOTICE)


def _load_local_prepared(path: Path, max_bytes: int) -> tuple[Feed, PreparedFeed, datetime]:
    """The file's feed, its rows for the store, and when it was read (its refresh time)."""
    from tuinews.store.save import prepare_feed

    feed = _load_local(path, max_bytes)
    read_at = datetime.now(UTC)
    return feed, prepare_feed(feed), read_at


def _load_local(path: Path, max_bytes: int) -> Feed:
    """A local feed, read up to the refresh's size limit, as a web feed is."""
    from tuinews.sources.local import load_path

    try:
        loaded = load_path(path, max_bytes=max_bytes)
    except (SourceError, OSError):
        raise
    except Exception as exc:
        raise SourceError(str(path), f"could not be read ({type(exc).__name__})") from exc
    if isinstance(loaded, list):
        from tuinews.sources.feeds import subscription_list_reason

        raise SourceError(str(path), subscription_list_reason())
    return loaded
