"""How many feeds a refresh has between request and write, and when it stops fetching
to let parsing catch up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class Parked:
    """Fetched bodies waiting for a processing slot. While `limit` of them wait, no new
    fetch starts: parsing is the bottleneck then, more fetching would not make the
    refresh quicker, and each waiting body holds its memory (up to the size limit).
    Fetches already under way go on, so a slow server never holds up the others."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._room = asyncio.Event()
        self._room.set()

    async def room(self) -> None:
        await self._room.wait()

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        self.count += 1
        if self.count >= self.limit:
            self._room.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count < self.limit:
                self._room.set()


class PipelineSlot:
    """A web feed's place among the feeds between request and write, taken by the
    fetcher once the feed's host has a free slot (before the request and its timeout),
    after waiting for room among the parked bodies."""

    def __init__(self, slots: asyncio.Semaphore, parked: Parked) -> None:
        self._slots = slots
        self._parked = parked
        self._held = False

    async def acquire(self) -> None:
        if self._held:
            return  # taken already (the fetcher calls once per fetch)
        await self._parked.room()
        await self._slots.acquire()
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()
