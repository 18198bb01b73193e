"""How many feeds a refresh has between request and write, and when it stops fetching
to let parsing catch up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator


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
    """A web feed's place among the feeds between request and write: the fetcher's
    `Room`, taken once the feed's host has a free slot and one of the total is free
    (before the request and its timeout), after waiting for room among the parked
    bodies; given back while the feed waits for another host. `check` runs each time
    it is taken (a store that refused a write: no new request)."""

    def __init__(
        self,
        slots: asyncio.Semaphore,
        parked: Parked,
        check: Callable[[], None] | None = None,
    ) -> None:
        self._slots = slots
        self._parked = parked
        self._check = check
        self._held = False

    async def acquire(self) -> None:
        if not self._held:
            await self._parked.room()
            await self._slots.acquire()
            self._held = True
        if self._check is not None:
            self._check()

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()
