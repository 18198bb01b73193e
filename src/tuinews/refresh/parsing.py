"""Turning fetched bodies into saved articles: parsed in a thread and written by this
process's writer for small refreshes, parsed and written by worker processes once a
refresh has a lot to parse.

Parsing and preparing rows cost about two thirds of a big refresh's CPU and hold the GIL;
writing them costs most of the rest. Worker processes do both beside this process, which
fetches. Processes start only past `POOL_THRESHOLD` bytes of bodies in one refresh, so
small refreshes and the TUI never pay their start-up.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from tuinews.errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from tuinews.refresh.workers import WorkerPool
    from tuinews.refresh.writer import BatchWriter
    from tuinews.store import FeedWrite, SaveStats
    from tuinews.store.save import PreparedFeed

POOL_THRESHOLD = 2 * 1024 * 1024  # bytes of bodies in one refresh before processes start


def parse_and_prepare(
    body: bytes,
    url: str,
    content_type: str | None,
    *,
    max_bytes: int | None = None,
) -> tuple[PreparedFeed, str | None]:
    """The store rows of a fetched body, and where the document ended early if it did
    (`Feed.cut`); SourceError when it is not a feed. `max_bytes` bounds a gzip file
    inside the body, as the transfer itself was bounded."""
    from tuinews.sources.feeds import parse_feed
    from tuinews.store.save import prepare_feed

    try:
        feed = parse_feed(body, url, content_type=content_type, max_bytes=max_bytes)
    except SourceError:
        raise
    except Exception as exc:
        # A parser bug on one hostile feed must not end the whole refresh.
        raise SourceError(url, f"could not be parsed ({type(exc).__name__})") from exc
    return prepare_feed(feed), feed.cut


def warm_up() -> None:
    """Import what parsing a fetched feed needs (lxml, the parsers, the row builder)."""
    import tuinews.sources.feeds
    import tuinews.sources.xmlfeed
    import tuinews.store.save  # noqa: F401


# Workers take turns at the store, and writing is about a fifth of their work: past
# four, they would mostly wait for their turn, each holding a parsed feed in memory.
MAX_WORKERS = 4
# cgroup v2: "QUOTA PERIOD" in microseconds, or "max PERIOD" without a limit.
CGROUP_CPU_LIMITS = "/sys/fs/cgroup/cpu.max"


def worker_count() -> int:
    """One worker per usable core, up to `MAX_WORKERS`; none on one core.

    Parsing and preparing rows cost about three times what this process spends per
    article (fetching), so parsing sets the pace: with one worker on two cores that
    worker was the bottleneck and this process half idle; with two, the system shares
    both cores among the three processes (a third of a 100 x 1000 refresh saved)."""
    cores = usable_cores()
    return 0 if cores < 2 else min(cores, MAX_WORKERS)


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity, bounded by a container's
    CPU quota (cgroup v2 `cpu.max`), where a machine's core count overstates it."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        with open(CGROUP_CPU_LIMITS, encoding="ascii") as limits:
            quota, period = limits.read().split()[:2]
        if quota != "max" and int(period) > 0:
            cores = min(cores, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 limits here
    return max(1, cores)


WORKER_DIED = "its parse worker died (out of memory or killed); the next refresh tries again"


class WorkerDied(SourceError):
    """The worker that had the feed's body died before answering. Not the feed's fault
    as far as anyone knows (and the worker may have saved it before dying): no back-off."""


class Body:
    """A fetched body on its way to a parser. `take()` hands the bytes over, so this
    process lets go of them as soon as a worker has them: a big refresh then holds a
    body in memory only until it is sent, not until its feed is written."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def __len__(self) -> int:
        return len(self._data) if self._data is not None else 0

    def take(self) -> bytes | None:
        """The bytes, once; None when they were handed over already."""
        data, self._data = self._data, None
        return data

    def give_back(self, data: bytes) -> None:
        """Return bytes taken but not delivered (the worker was gone)."""
        self._data = data


class Parsers:
    """Where one refresh parses and saves: in worker processes given by the caller
    (forked early by the command), else in threads (saved through `writer`) until the
    bodies of the refresh (those seen, or the first one times the feeds) exceed
    `threshold` bytes, then in spawned processes.
    """

    def __init__(
        self,
        store_path: Path,
        writer: BatchWriter,
        feeds: int,
        threshold: int = POOL_THRESHOLD,
        pool: WorkerPool | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.store_path = store_path
        self.writer = writer
        self.feeds = feeds
        self.max_bytes = max_bytes
        self.threshold = threshold
        self.seen_bytes = 0
        self.workers = worker_count()
        self._pool = pool
        self._own_pool = pool is None  # a given pool is closed by whoever started it

    def _pool_for(self, size: int) -> WorkerPool | None:
        self.seen_bytes += size
        expected = max(self.seen_bytes, size * self.feeds)
        if self._pool is None and self.workers > 0 and expected > self.threshold:
            from tuinews.refresh.workers import WorkerPool

            try:
                self._pool = WorkerPool.spawn(self.workers)
            except (OSError, ValueError):
                # No processes to be had (limits, a sandbox): threads parse this
                # refresh, slower but every feed still saved.
                self.workers = 0
        return self._pool

    async def save(
        self,
        body: Body,
        url: str,
        content_type: str | None,
        write: FeedWrite,
        before_write: Callable[[], Awaitable[None]] | None = None,
    ) -> tuple[str, SaveStats]:
        """Parse `body` and record it as `write` (given without rows): the feed's title
        and what was saved. SourceError when it is not a feed, StoreError when the store
        refused it. `before_write` is awaited once the body parsed as a feed, before it
        is written (a move, which only a feed may make); what it raises stops the write.
        """
        from tuinews.refresh.workers import WorkerGone

        # A worker parses and writes in one go, with no moment between: such a body
        # (a feed's move, once in its life) is parsed here.
        pool = None if before_write is not None else self._pool_for(len(body))
        if pool is not None and pool.alive:
            try:
                return await pool.save(
                    body, url, content_type, self.store_path, write, self.max_bytes
                )
            except WorkerGone:
                pass  # killed or out of memory: this process parses from now on
        import asyncio  # here: the workers are forked from a process that imported this module
        import dataclasses

        # A body a dead worker had received is gone with it (it may be what killed it),
        # unless the worker died after saving it, before saying so.
        data = body.take()
        if data is None:
            saved = await asyncio.to_thread(self.writer.store.saved_fetch, write)
            if saved is None:
                raise WorkerDied(url, WORKER_DIED)
            return saved

        prepared, cut = await asyncio.to_thread(
            functools.partial(parse_and_prepare, max_bytes=self.max_bytes),
            data,
            url,
            content_type,
        )
        if before_write is not None:
            await before_write()
        if cut:
            write = write.of_cut_document()
        stats = await self.writer.write(dataclasses.replace(write, prepared=prepared))
        return prepared[0], dataclasses.replace(stats, cut=cut) if cut else stats

    def close(self) -> None:
        if self._pool is not None and self._own_pool:
            self._pool.close()
        self._pool = None
