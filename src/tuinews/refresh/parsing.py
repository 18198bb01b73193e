"""Turning fetched bodies into store rows: in a thread for small refreshes, in worker
processes once a refresh has a lot to parse.

Parsing and preparing rows cost about two thirds of a big refresh's CPU and hold the GIL;
the store writes the rest. A worker process runs them on the other core while this
process fetches and writes SQLite. Processes start only past `POOL_THRESHOLD` bytes of
bodies in one refresh, so small refreshes and the TUI never pay their start-up.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

from tuinews.errors import SourceError

if TYPE_CHECKING:
    from tuinews.store.save import PreparedFeed

POOL_THRESHOLD = 2 * 1024 * 1024  # bytes of bodies in one refresh before processes start

# What a worker sends back: ("ok", prepared) or ("error", reason). Plain tuples pickle
# fast; an exception with its own __init__ (SourceError) would not survive the trip.
WorkerResult = tuple[str, object]


def parse_and_prepare(
    body: bytes, url: str, content_type: str | None, *, with_text: bool = True
) -> PreparedFeed:
    """The store rows of a fetched body; SourceError when it is not a feed."""
    from tuinews.sources.feeds import parse_feed
    from tuinews.store.save import prepare_feed

    try:
        feed = parse_feed(body, url, content_type=content_type)
    except SourceError:
        raise
    except Exception as exc:
        # A parser bug on one hostile feed must not end the whole refresh.
        raise SourceError(url, f"could not be parsed ({type(exc).__name__})") from exc
    return prepare_feed(feed, with_text=with_text)


def _in_worker(body: bytes, url: str, content_type: str | None) -> WorkerResult:
    try:
        return "ok", parse_and_prepare(body, url, content_type)
    except SourceError as error:
        return "error", error.reason


def _warm_up() -> None:
    import tuinews.sources.feeds
    import tuinews.store.save  # noqa: F401


class Parsers:
    """Where one refresh parses: in threads, or in worker processes when the bodies of
    the refresh (those seen, or the first one times the feeds) exceed `threshold` bytes.

    One worker per core beyond the one this process uses for fetching and SQLite, at most
    two: on two cores one worker and this process keep both busy, and a second worker
    would only add its memory (a parse of a large feed peaks at tens of MB).
    """

    def __init__(self, feeds: int, threshold: int = POOL_THRESHOLD) -> None:
        self.feeds = feeds
        self.threshold = threshold
        self.seen_bytes = 0
        self.workers = min(2, (os.cpu_count() or 1) - 1)
        self._pool: ProcessPoolExecutor | None = None

    def _pool_for(self, size: int) -> ProcessPoolExecutor | None:
        self.seen_bytes += size
        expected = max(self.seen_bytes, size * self.feeds)
        if self._pool is None and self.workers > 0 and expected > self.threshold:
            import multiprocessing

            # spawn: a fresh interpreter, never a fork of this process (its threads may
            # hold locks a fork would copy held), and a direct child, so its CPU time is
            # counted where ours is. Measured as fast as forkserver here.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_warm_up
            )
        return self._pool

    async def prepare(self, body: bytes, url: str, content_type: str | None) -> PreparedFeed:
        pool = self._pool_for(len(body))
        if pool is None:
            return await asyncio.to_thread(
                parse_and_prepare, body, url, content_type, with_text=False
            )
        loop = asyncio.get_running_loop()
        kind, value = await loop.run_in_executor(pool, _in_worker, body, url, content_type)
        if kind == "error":
            raise SourceError(url, str(value))
        return value  # type: ignore[return-value]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
