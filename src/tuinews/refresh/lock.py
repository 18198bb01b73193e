"""The refresh lock: one refresh of a store at a time, across processes.

An `fcntl.flock` on `<store>.refresh-lock`. The kernel drops it when the process dies,
so a killed refresh never leaves a stale lock behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from tuinews.errors import StoreError, TuinewsError

LockMode = Literal["wait", "skip"]
WAITING_MESSAGE = "another refresh is running; waiting for it to finish"
# How often a waiting refresh looks again; polling keeps the wait cancellable.
_POLL_SECONDS = 0.1
# Every this many looks, it checks whether the holder is stopped (about a second).
_POLLS_PER_CHECK = 10


class RefreshBusy(TuinewsError):
    """Another process is refreshing this store and the caller chose not to wait."""

    def __init__(self) -> None:
        super().__init__("another refresh is running; skipped")


class RefreshHolderStopped(TuinewsError):
    """The refresh holding the lock is stopped (Ctrl-Z): it would be waited for until
    someone resumes it, and a cron refresh every quarter of an hour would pile up."""

    def __init__(self, pid: int) -> None:
        super().__init__(
            f"another refresh (process {pid}) is stopped (suspended with Ctrl-Z?); not "
            f"waiting for it: `kill -CONT {pid}` lets it finish"
        )


class RefreshLockUnavailable(StoreError):
    """The lock file beside the store cannot be opened or created (a read-only folder):
    one line naming what refuses, like the store's own write errors."""

    def __init__(self, store_path: Path, error: OSError) -> None:
        super().__init__(f"{store_path}: cannot refresh: {_lock_culprit(store_path, error)}")


_REFUSED = (errno.EACCES, errno.EPERM, errno.EROFS)


def _lock_culprit(store_path: Path, error: OSError) -> str:
    lock = lock_path(store_path)
    if error.errno == errno.EROFS:
        return f"the store's folder {lock.parent} is on a read-only file system"
    if error.errno in _REFUSED:
        if not lock.exists():
            return f"the store's folder {lock.parent} is read-only"
        return f"{lock} cannot be opened (permission denied)"
    reason = (error.strerror or "cannot be opened").lower()
    return f"the refresh lock {lock} cannot be opened ({reason})"


def lock_path(store_path: Path) -> Path:
    # Beside the file itself: a store named through a symlink is the same store, and two
    # refreshes of it must share one lock.
    return Path(f"{os.path.realpath(store_path)}.refresh-lock")


class RefreshLock:
    """Held for the duration of one refresh; `async with` or acquire/release."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path
        self.path = lock_path(store_path)
        self._fd: int | None = None
        # When the refresh this one waited for started (None: it did not wait): what
        # that refresh fetched is not fetched again.
        self.waited_since: datetime | None = None

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except PermissionError as error:
            refused = error
        except OSError as error:
            raise RefreshLockUnavailable(self.store_path, error) from None
        # flock needs no write access: a lock file this user may only read (made by
        # another user sharing the store) still serves.
        try:
            return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise RefreshLockUnavailable(self.store_path, refused) from None
        except OSError as error:
            raise RefreshLockUnavailable(self.store_path, error) from None

    def try_acquire(self) -> bool:
        """Take the lock if free. Raises `RefreshLockUnavailable` (a `StoreError`) when
        the lock file cannot be opened or created."""
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, self.path):
                break
            # The file was deleted (or replaced) after it was opened: a lock on it keeps
            # out no refresh that opens the path now. Take the one at the path.
            os.close(fd)
        self._fd = fd
        _note_start(fd)
        return True

    async def acquire(
        self, mode: LockMode = "wait", on_wait: Callable[[str], None] | None = None
    ) -> None:
        """Take the lock; `skip` raises `RefreshBusy` at once, `wait` waits (cancellable)."""
        if self.try_acquire():
            return
        if mode == "skip":
            raise RefreshBusy()
        self.waited_since = _holder_start(self.path)
        if on_wait is not None:
            on_wait(WAITING_MESSAGE)
        polls = stopped = 0
        while not self.try_acquire():
            await asyncio.sleep(_POLL_SECONDS)
            polls += 1
            if polls % _POLLS_PER_CHECK == 0:
                # Stopped at two looks in a row (not a moment's stop by a debugger).
                holder = _holder(self.path)
                stopped = stopped + 1 if holder is not None and _is_stopped(holder) else 0
                if stopped >= 2 and holder is not None:
                    raise RefreshHolderStopped(holder)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


# A holder's note older than this is not trusted (a holder that could not write left an
# earlier holder's): the waiter then counts from when it began waiting.
_NOTE_MAX_AGE = timedelta(hours=1)


def _note_start(fd: int) -> None:
    """Write when this refresh started into the lock file, for a refresh that waits: the
    feeds stamped since then are what this one fetched. A lock file this user may only
    read (opened read-only) keeps no note."""
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, datetime.now(UTC).isoformat().encode("ascii"), 0)
    except OSError:
        pass


def _holder_start(path: Path) -> datetime:
    """When the refresh holding the lock started, from its note; else now."""
    now = datetime.now(UTC)
    try:
        started = datetime.fromisoformat(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return now
    if started.tzinfo is None or not now - _NOTE_MAX_AGE <= started <= now:
        return now
    return started


def _same_file(fd: int, path: Path) -> bool:
    try:
        named = os.stat(path)
    except OSError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (named.st_dev, named.st_ino)


def _holder(path: Path, listing: str = "/proc/locks") -> int | None:
    """The process holding the lock on `path`, from the kernel's list of locks (Linux's
    /proc/locks); None where there is none to read, or the holder is not in it."""
    try:
        named = os.stat(path)
        with open(listing, encoding="ascii", errors="replace") as locks:
            listed = locks.read()
    except OSError:
        return None
    # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (a waiter's line has "->")
    device = f"{os.major(named.st_dev):02x}:{os.minor(named.st_dev):02x}"
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or not fields[4].isdigit():
            continue
        where, _, inode = fields[5].rpartition(":")
        pid = int(fields[4])
        if inode != str(named.st_ino) or pid <= 0:
            continue
        # btrfs names a subvolume's files by another device here than stat() does: the
        # same inode elsewhere is this file only if the process has it open.
        if where == device or _has_open(pid, path):
            return pid
    return None


def _has_open(pid: int, path: Path) -> bool:
    wanted = os.path.realpath(path)
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in descriptors:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == wanted:
                return True
    return False


def _is_stopped(pid: int) -> bool:
    """Whether the process is stopped (Ctrl-Z, SIGSTOP) or held by a tracer."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[:1]
    except OSError:
        return False
    return state in (["T"], ["t"])
