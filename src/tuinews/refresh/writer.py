"""Writing fetched feeds to the store, several at a time when several are waiting.

A refresh's feeds reach the store one by one as they are parsed. While one batch is
being written (in a thread, off the event loop), the feeds that become ready meanwhile
wait, and are all written in the next transaction (`Store.write_batch`). Nothing waits
on purpose: a lone feed is written at once. Each feed stays whole in one transaction,
so a refresh killed at any moment leaves each feed either saved or not.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tuinews.errors import StoreError

if TYPE_CHECKING:
    from tuinews.store import FeedWrite, SaveStats, Store

# Articles per transaction at most, so the write lock is never held for long (about
# 0.3 s of writing) while the reader waits to save a mark.
MAX_BATCH_ARTICLES = 10_000


class BatchWriter:
    """Queues `FeedWrite`s and writes them from one thread at a time, in batches."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._waiting: list[tuple[FeedWrite, asyncio.Future[SaveStats]]] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def store(self) -> Store:
        return self._store

    async def write(self, write: FeedWrite) -> SaveStats:
        """Record `write`; StoreError when the store refused it."""
        future: asyncio.Future[SaveStats] = asyncio.get_running_loop().create_future()
        self._waiting.append((write, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._take_batch()
            try:
                results = await asyncio.to_thread(
                    self._store.write_batch, [write for write, _ in batch]
                )
            except Exception as error:  # the store refused the batch, or a bug: said per feed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            except BaseException:  # cancelled: so are the feeds waiting on this writer
                for _, future in [*batch, *self._waiting]:
                    future.cancel()
                self._waiting.clear()
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue  # its feed was cancelled meanwhile; the write stands
                if isinstance(result, StoreError):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    def _take_batch(self) -> list[tuple[FeedWrite, asyncio.Future[SaveStats]]]:
        taken = 0
        articles = 0
        for write, _ in self._waiting:
            size = len(write.prepared[1]) if write.prepared is not None else 0
            if taken and articles + size > MAX_BATCH_ARTICLES:
                break
            taken += 1
            articles += size
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch

    async def close(self) -> None:
        """Wait for the writes already queued (they were fetched: keep them)."""
        if self._task is not None:
            # Its failures reached the feeds' own futures; gather only waits.
            await asyncio.gather(self._task, return_exceptions=True)
