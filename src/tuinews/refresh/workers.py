"""Parse worker processes: fetched bodies go in over a pipe; each worker parses its
body and writes the feed to the store itself, and says what it saved.

Why the workers write: the rows of a feed are most of its memory. Sent back to the
refresh's process to be written there, they were pickled, unpickled and held until
written, which made that process the largest of the refresh (50 feeds x 200 items:
45 MB peak, 37 MB with the workers writing) and spent its CPU on unpickling. The
workers take turns at the store (`StoreTurns`), so they never wait on SQLite's busy
handler, which sleeps in steps of milliseconds.

Not a `ProcessPoolExecutor`: its workers outlive a parent killed with SIGKILL (each holds
the write end of its own request queue, so it never reads end-of-file), and it cannot be
forked early and warmed while the parent is still single-threaded. Here each worker reads
requests from a pipe only the parent writes to, so the parent's death is an end-of-file
and the worker exits.

`WorkerPool.fork` starts workers by forking (a few milliseconds, the parent's imports
shared): only allowed while the process has one thread, since a fork copies locks other
threads may hold. `WorkerPool.spawn` starts fresh interpreters (about 0.15 s), safe at
any time (the TUI).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, cast

from tuinews.errors import FeedLinkingPage, SourceError, StoreError

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Iterator
    from pathlib import Path

    from tuinews.refresh.parsing import Body
    from tuinews.store import FeedWrite, SaveStats, Store

# Past this wait for its turn (a turn normally lasts a fraction of a second), a worker
# stops taking turns (see `_Turns`).
WRITE_LOCK_WAIT = 5.0

# Parent-side pipe ends of every worker alive in this process: a forked worker must close
# them all, or a sibling would never see end-of-file when the parent dies.
_PARENT_ENDS: set[Connection] = set()


class WorkerGone(Exception):
    """The worker died (killed, out of memory) before answering; parse elsewhere."""


def _serve(
    requests: Connection,
    results: Connection,
    inherited: list[Connection],
    quiet: bool,
    shared_turns: StoreTurns,
    lock_wait: float,
) -> None:
    """The worker's loop: (id, url, content type, size limit, store path, feed write
    without rows) then the body; answers (id, kind, value): "saved" with (the feed's
    title, SaveStats), "source" with the reason the body is not a feed, "broken" with
    that reason and the title read before the damage, "store" with (whether the store
    is unwritable, the message)."""
    from tuinews import startup

    startup.loaded()  # forked while the command loaded: what it inherited stays frozen
    for connection in inherited:
        connection.close()
    if quiet:
        # Spawned by the reader: the terminal is its screen, where a stray line (a
        # warning, a crash) would be drawn over the articles. The pipe says what matters.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
    # Ctrl-C reaches the whole process group; the parent decides, and our pipe tells us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _CPU_TIMER:
        signal.signal(signal.SIGVTALRM, _parse_took_too_long)  # armed by `_parse` only
    from tuinews.store.stops import defer_stops_during_writes

    defer_stops_during_writes()  # Ctrl-Z reaches it too: not while holding the write lock
    from tuinews.refresh.parsing import warm_up

    # While the parent imports its HTTP stack and opens the store, on the other core:
    # the first body is then parsed at once instead of after the parsers' imports.
    warm_up()

    stores: dict[str, Store] = {}
    turns = _Turns(shared_turns, lock_wait)
    # Feeds parsed and waiting for the store, oldest first (see `PARSE_AHEAD`).
    parsed: list[_Parsed] = []
    try:
        while True:
            if parsed and not _parse_meanwhile(parsed, requests, turns):
                if not _write_all(stores, turns, parsed, results):
                    return
                continue
            try:
                header = requests.recv_bytes()
                body = requests.recv_bytes()
            except (EOFError, OSError):
                # The refresh is over (or its process gone): what was parsed is saved.
                _write_all(stores, turns, parsed, results)
                return
            outcome = _parse(header, body)
            del body  # the rows are all that is needed now (or nothing: not a feed)
            if isinstance(outcome, _Parsed):
                parsed.append(outcome)
            elif not _answer_with(results, [outcome]):
                return
    finally:
        for store in stores.values():
            with contextlib.suppress(StoreError):
                store.close()


# How many parsed feeds a worker holds while another worker writes: it parses the next
# body meanwhile, if one is waiting, rather than wait for its turn idle (a worker waited
# about 5% of a 100 x 1000 refresh). Each holds its rows in memory until written.
PARSE_AHEAD = 2


@dataclass(slots=True)
class _Parsed:
    """A feed parsed by this worker and waiting for its turn at the store."""

    request_id: int
    store_path: str
    write: FeedWrite  # with its rows
    title: str
    cut: str | None


_Answer = tuple[int, str, object]


def _parse_meanwhile(parsed: list[_Parsed], requests: Connection, turns: _Turns) -> bool:
    """Whether to parse the next body before writing what is parsed: there is room for
    one more, one is waiting, and another worker has the turn. When the turn is free,
    this takes it (the write goes first)."""
    return len(parsed) < PARSE_AHEAD and requests.poll() and not turns.take(wait=False)


# CPU seconds a worker gives one feed's parsing before it gives up on that feed and goes
# on with the next: a hostile or pathological document must not hold up the refresh for
# ever. The largest feed allowed (25 MB) parses in a few seconds. CPU time, not time on
# the clock: a busy machine, or a laptop asleep, makes no parse look endless.
PARSE_CPU_LIMIT = 60.0
_CPU_TIMER = hasattr(signal, "SIGVTALRM")  # not on Windows


class _ParseTookTooLong(BaseException):
    """Raised by the parse's CPU timer. Not an Exception: the parsers' own `except
    Exception` (a parser bug on one feed) must not turn it into another failure."""


def _parse_took_too_long(_signal: int, _frame: object) -> None:
    raise _ParseTookTooLong


@contextlib.contextmanager
def _parse_time_limit() -> Iterator[None]:
    """PARSE_CPU_LIMIT on what runs inside (the handler is set once, by `_serve`)."""
    if not _CPU_TIMER:
        yield
        return
    signal.setitimer(signal.ITIMER_VIRTUAL, PARSE_CPU_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)


def _parse(header: bytes, body: bytes) -> _Parsed | _Answer:
    """The request's feed, parsed; or the answer when its body is not one."""
    from tuinews.refresh.parsing import parse_and_prepare
    from tuinews.sources.feeds import BrokenFeedError

    request_id, url, content_type, max_bytes, store_path, write = pickle.loads(header)
    try:
        with _parse_time_limit():
            prepared, cut = parse_and_prepare(body, url, content_type, max_bytes=max_bytes)
    except _ParseTookTooLong:
        return (request_id, "source", f"not read: parsing it took over {PARSE_CPU_LIMIT:g} s")
    except FeedLinkingPage as error:
        return (request_id, "page", (error.reason, error.feeds))
    except BrokenFeedError as error:
        return (request_id, "broken", (error.reason, error.feed_title))
    except SourceError as error:
        # SourceError has its own __init__ and would not unpickle: send its line.
        return (request_id, "source", error.reason)
    if cut:
        write = write.of_cut_document()
    return _Parsed(request_id, store_path, replace(write, prepared=prepared), prepared[0], cut)


def _write_all(
    stores: dict[str, Store], turns: _Turns, parsed: list[_Parsed], results: Connection
) -> bool:
    """Write the parsed feeds in one turn, those of one store in one transaction (see
    `Store.write_batch`), and say their answers once saved (killed after the commit, a
    worker leaves those answers unsaid: the refresh reports the feeds lost). False when
    the refresh's process is gone."""
    if not parsed:
        return True
    if not turns.holding:
        turns.take()
    try:
        answers: list[_Answer] = []
        for store_path in dict.fromkeys(feed.store_path for feed in parsed):
            answers += _write(stores, store_path, [f for f in parsed if f.store_path == store_path])
        parsed.clear()
    finally:
        turns.give_back()
    return _answer_with(results, answers)  # the turn given back first: another may write


def _write(stores: dict[str, Store], store_path: str, feeds: list[_Parsed]) -> list[_Answer]:
    try:
        saved = _save(stores, store_path, [feed.write for feed in feeds])
    except StoreError as error:
        saved = [error] * len(feeds)
    answers: list[_Answer] = []
    for feed, result in zip(feeds, saved, strict=True):
        if isinstance(result, StoreError):
            from tuinews.store import StoreUnwritable

            unwritable = isinstance(result, StoreUnwritable)
            answers.append((feed.request_id, "store", (unwritable, str(result))))
            continue
        stats = replace(result, cut=feed.cut) if feed.cut else result
        answers.append((feed.request_id, "saved", (feed.title, stats)))
    return answers


def _answer_with(results: Connection, answers: list[_Answer]) -> bool:
    try:
        for answer in answers:
            results.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        return False
    return True


class StoreTurns:
    """The workers' turns at the store: a lock, and which worker holds it. A worker
    killed mid-write (the kernel's out-of-memory killer, a `kill -9`) never releases
    the lock itself; the refresh's process, which sees it die, releases it for it."""

    def __init__(self, context: Any) -> None:
        self.lock = context.Lock()
        self.holder = context.RawValue("i", 0)  # pid of the worker writing, else 0

    def release_for(self, dead_pid: int | None) -> None:
        """Give back the turn of a worker that died holding it."""
        if dead_pid and self.holder.value == dead_pid:
            self.holder.value = 0
            with contextlib.suppress(ValueError):  # released meanwhile after all
                self.lock.release()


class _Turns:
    """A worker's side of `StoreTurns`. Should a turn never come (a sibling died in the
    instant between taking the lock and saying so), after one wait of `lock_wait` this
    worker stops taking turns and relies on SQLite's own locking, slower when both write
    at once but as safe."""

    def __init__(self, shared: StoreTurns, lock_wait: float) -> None:
        self._shared: StoreTurns | None = shared
        self._wait = lock_wait
        self.holding = False

    def take(self, *, wait: bool = True) -> bool:
        """Take the turn; False only when not `wait`ing and another worker has it."""
        shared = self._shared
        if shared is None:
            return True  # no turns any more: SQLite's own locking
        if not wait:
            if not shared.lock.acquire(False):
                return False
        elif not shared.lock.acquire(timeout=self._wait):
            self._shared = None
            return True
        shared.holder.value = os.getpid()
        self.holding = True
        return True

    def give_back(self) -> None:
        if self.holding and self._shared is not None:
            self._shared.holder.value = 0
            self._shared.lock.release()
        self.holding = False


def _save(
    stores: dict[str, Store], store_path: str, writes: list[FeedWrite]
) -> list[SaveStats | StoreError]:
    """Write feeds in one transaction (the caller holds the turn)."""
    from pathlib import Path

    from tuinews.store import Store

    store = stores.get(store_path)
    if store is None:
        # Opened at the first feed and kept: the refresh's process has opened (and
        # migrated) it already.
        store = stores[store_path] = Store.open(Path(store_path), existing=True)
        # Its waits on the disk would stop this worker's parsing (see store.checkpoints).
        store.checkpoint_in_background()
    return store.write_batch(writes)


class _Worker:
    def __init__(self, context: Any, inherit: bool, turns: StoreTurns, lock_wait: float) -> None:
        request_reader, self.requests = multiprocessing.Pipe(duplex=False)
        self.results, result_writer = multiprocessing.Pipe(duplex=False)
        mine = {self.requests, self.results}
        inherited = list(_PARENT_ENDS | mine) if inherit else []
        self.process = context.Process(
            target=_serve,
            args=(request_reader, result_writer, inherited, not inherit, turns, lock_wait),
            daemon=True,
        )
        self.process.start()
        request_reader.close()
        result_writer.close()
        _PARENT_ENDS.update(mine)
        self.used = False
        self.pending: dict[int, asyncio.Future[tuple[str, object]]] = {}
        # Held by the sending thread for a whole request, so a cancelled refresh task
        # never lets two requests interleave on the pipe.
        self.send_lock = threading.Lock()
        self.reader: threading.Thread | None = None
        self.dead = False
        self.turns = turns

    def start_reading(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.reader is None:
            self.reader = threading.Thread(
                target=self._read_results, args=(loop,), name="tuinews-parse-results", daemon=True
            )
            self.reader.start()

    def _read_results(self, loop: asyncio.AbstractEventLoop) -> None:
        """Thread: unpickle answers off the event loop and hand each to its future."""
        while True:
            try:
                request_id, kind, value = pickle.loads(self.results.recv_bytes())
            except (EOFError, OSError):
                # Dead (or closed after its last answer, holding nothing).
                self.turns.release_for(self.process.pid)
                self._call(loop, self._fail_pending)
                return
            self._call(loop, self._answer, request_id, kind, value)

    @staticmethod
    def _call(loop: asyncio.AbstractEventLoop, function: Any, *args: object) -> None:
        # A loop that has ended raises RuntimeError: nobody waits for this answer any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(function, *args)

    def _answer(self, request_id: int, kind: str, value: object) -> None:
        future = self.pending.pop(request_id, None)
        if future is not None and not future.done():
            future.set_result((kind, value))

    def _fail_pending(self) -> None:
        self.dead = True
        for future in self.pending.values():
            if not future.done():
                future.set_exception(WorkerGone())
        self.pending.clear()

    def close(self) -> None:
        self.stop()
        self.wait()

    def stop(self) -> None:
        """Tell the worker to finish (it closes its store, then exits); `wait` for it."""
        for connection in (self.requests, self.results):
            _PARENT_ENDS.discard(connection)
        if not self.used or self.pending:
            # Never given work (maybe still starting up), or the refresh was cancelled
            # mid-parse: nothing it would still say is wanted.
            self.process.kill()
        self.requests.close()  # the worker reads end-of-file and exits

    def wait(self) -> None:
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        if self.reader is not None:
            self.reader.join(timeout=5)
        self.results.close()


# What the refresh's process imports after the fork and every worker imports too: the
# store, and the date parser that a Retry-After and a feed's dates share: about 30 ms
# of CPU that each worker no longer spends (a fortieth of a 50 x 200 refresh's CPU).
_IMPORTED_BY_BOTH_SIDES = ("email.utils", "tuinews.store.save", "tuinews.store.store")


class WorkerPool:
    """Worker processes that parse fetched bodies and write them to the store."""

    def __init__(self, workers: list[_Worker], turns: StoreTurns) -> None:
        self._workers = workers
        # Held here as long as the workers live: a spawned worker finds the lock by a
        # name that goes when the last reference in this process does.
        self.turns = turns
        self._ids = itertools.count()
        self._rotation = itertools.count()

    @classmethod
    def fork(cls, count: int, lock_wait: float = WRITE_LOCK_WAIT) -> WorkerPool | None:
        """Fork `count` workers now; None when forking is unsafe (threads exist) or
        unavailable. Call this before starting any thread or event loop."""
        if count < 1 or threading.active_count() != 1 or not hasattr(os, "fork"):
            return None
        import importlib

        for name in _IMPORTED_BY_BOTH_SIDES:
            importlib.import_module(name)  # once, inherited, rather than once a process
        context = multiprocessing.get_context("fork")
        turns = StoreTurns(context)
        workers = [_Worker(context, True, turns, lock_wait) for _ in range(count)]
        return cls(workers, turns)

    @classmethod
    def spawn(cls, count: int, lock_wait: float = WRITE_LOCK_WAIT) -> WorkerPool:
        """Start `count` fresh interpreters (safe from any thread); they warm up meanwhile."""
        context = multiprocessing.get_context("spawn")
        with _stderr_with_descriptor():
            turns = StoreTurns(context)
            workers = [_Worker(context, False, turns, lock_wait) for _ in range(count)]
            return cls(workers, turns)

    @property
    def alive(self) -> bool:
        return any(not w.dead for w in self._workers)

    async def save(
        self,
        body: Body,
        url: str,
        content_type: str | None,
        store_path: Path,
        write: FeedWrite,
        max_bytes: int | None = None,
    ) -> tuple[str, SaveStats]:
        """Parse `body` and record it as `write` (given without rows) in the store at
        `store_path`: the feed's title and what was saved. SourceError when it is not a
        feed, StoreError (StoreUnwritable) when the store refused it, WorkerGone when no
        worker could answer (the body is given back when it was not delivered)."""
        live = [w for w in self._workers if not w.dead]
        if not live:
            raise WorkerGone()
        # The least busy worker; ties go round, so idle workers share the feeds.
        start = next(self._rotation) % len(live)
        worker = min(live[start:] + live[:start], key=lambda w: len(w.pending))
        # Imported here, not at the top: `tuinews refresh` forks its workers before it
        # imports asyncio, so they do not carry it (a few MB each).
        import asyncio

        loop = asyncio.get_running_loop()
        worker.start_reading(loop)
        request_id = next(self._ids)
        future: asyncio.Future[tuple[str, object]] = loop.create_future()
        worker.pending[request_id] = future
        worker.used = True
        header = pickle.dumps((request_id, url, content_type, max_bytes, str(store_path), write))
        data = body.take()
        assert data is not None
        try:
            # The pipe holds 64 KB: a larger body waits for the worker to read it.
            await asyncio.to_thread(_send, worker, header, data)
        except OSError:
            body.give_back(data)
            worker.pending.pop(request_id, None)
            worker.dead = True
            _abandon(future)
            raise WorkerGone() from None
        except BaseException:
            # Cancelled while sending (Ctrl-C). Left pending, it has close() kill the
            # worker, which may be busy with it, rather than wait.
            _abandon(future)
            raise
        del data  # delivered: the worker holds it now
        kind, value = await future
        if kind == "source":
            raise SourceError(url, str(value))
        if kind == "broken":
            from tuinews.sources.feeds import BrokenFeedError

            reason, title = cast("tuple[str, str | None]", value)
            raise BrokenFeedError(url, reason, title)
        if kind == "page":
            reason, feeds = cast("tuple[str, tuple[str, ...]]", value)
            raise FeedLinkingPage(url, reason, feeds)
        if kind == "store":
            from tuinews.store import StoreUnwritable

            unwritable, message = cast("tuple[bool, str]", value)
            raise (StoreUnwritable if unwritable else StoreError)(message)
        return value  # type: ignore[return-value]

    def close(self) -> None:
        # All told first, then waited for: their stores close side by side (the first
        # to close copies the refresh's pages into the database file, about a tenth of
        # a second after 50 feeds x 200 items), not one after the other.
        for worker in self._workers:
            worker.stop()
        for worker in self._workers:
            worker.wait()
        self._workers = []


@contextlib.contextmanager
def _stderr_with_descriptor() -> Iterator[None]:
    """sys.stderr with a file descriptor while workers are spawned.

    multiprocessing hands its helper process (the resource tracker) sys.stderr's
    descriptor. In the reader, Textual replaces sys.stderr by a capture without one
    (fileno() is -1), and spawning failed: every feed of a big refresh failed with it.
    /dev/null stands in meanwhile; a line the helper wrote would land on the reader's
    screen anyway."""
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (OSError, ValueError, AttributeError):
        usable = False
    if usable:
        yield
        return
    captured = sys.stderr
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        sys.stderr = devnull
        try:
            yield
        finally:
            sys.stderr = captured


def _abandon(future: asyncio.Future[Any]) -> None:
    """Nobody will await `future`. The reader may have failed it already (its worker
    died, or was killed at close); asyncio would then print "Future exception was never
    retrieved" at exit."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()


def _send(worker: _Worker, header: bytes, body: bytes) -> None:
    with worker.send_lock:
        worker.requests.send_bytes(header)
        worker.requests.send_bytes(body)
