"""The refresh lock beside the store: when it cannot be made, the refresh stops with one
line naming what refuses, as the store's own write errors do (it used to raise the bare
OSError, which the reader showed as Textual's traceback)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated
from test_cli import TUINEWS, Cli
from tuinews.config import RefreshSettings
from tuinews.errors import StoreError
from tuinews.model import Subscription
from tuinews.refresh import refresh_feeds
from tuinews.refresh.lock import RefreshLock, lock_path
from tuinews.store import Store


async def test_a_lock_path_that_cannot_be_opened_is_a_one_line_store_error(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    lock_path(db).mkdir()  # something in the way: the lock file cannot be opened
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss version='2.0'><channel><title>T</title></channel></rss>")
    with pytest.raises(StoreError) as raised:
        await refresh_feeds(db, [Subscription(str(feed))], RefreshSettings())
    assert str(raised.value) == (
        f"{db}: cannot refresh: the refresh lock {lock_path(db)} cannot be opened (is a directory)"
    )
    assert not db.exists()  # stopped before the store was opened


def test_the_lock_is_taken_and_released(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first, second = RefreshLock(db), RefreshLock(db)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_a_store_named_through_a_symlink_shares_its_lock(tmp_path: Path) -> None:
    # Two refreshes of one store, one named through a link, each took a lock of its own
    # and fetched every feed (a failing one was counted twice).
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "s.db"
    db.touch()
    link = tmp_path / "link.db"
    link.symlink_to(db)
    first, second = RefreshLock(db), RefreshLock(link)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()


def test_a_lock_file_deleted_before_it_is_locked_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between opening the lock file and locking it, the file was deleted (a refused
    store's lock file is removed) and another refresh made and locked a new one: the
    lock on the deleted file kept that refresh out of nothing, and both ran."""
    import fcntl

    from tuinews.refresh import lock as lock_module

    db = tmp_path / "s.db"
    other = RefreshLock(db)
    real_flock = fcntl.flock
    raced = []

    def flock_after_a_race(fd: int, operation: int) -> None:
        if not raced:
            raced.append(True)
            lock_path(db).unlink()
            assert other.try_acquire()  # a new file at the path, locked
        real_flock(fd, operation)

    monkeypatch.setattr(lock_module.fcntl, "flock", flock_after_a_race)
    assert not RefreshLock(db).try_acquire()
    other.release()


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads Linux's /proc/locks")
def test_a_refresh_does_not_wait_for_one_stopped_with_ctrl_z(cli: Cli, server: FeedServer) -> None:
    """A refresh suspended with Ctrl-Z holds the lock until resumed: every later
    refresh waited for it without end, silently with --quiet (cron started one more
    each quarter of an hour). It is named, with how to resume it, and not waited for."""
    url = server.route("/slow.xml", Generated(items=3, delay=30))
    cli.config.write_text(f'[[feeds]]\nurl = "{url}"\ntitle = "Slow"\n')
    holder = subprocess.Popen(
        [str(TUINEWS), "refresh", "--quiet"],
        env=cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a shell's job is
    )
    try:
        deadline = time.monotonic() + 30
        while not server.requests("/slow.xml") and time.monotonic() < deadline:
            time.sleep(0.05)  # the lock is taken before the first request
        os.killpg(holder.pid, signal.SIGTSTP)
        started = time.monotonic()
        second = cli.run("refresh", "--quiet")
        assert time.monotonic() - started < 20  # not the 30 s the holder's feed takes
        assert second.status == 1
        assert second.err_lines == [
            f"tuinews: another refresh (process {holder.pid}) is stopped (suspended with "
            f"Ctrl-Z?); not waiting for it: `kill -CONT {holder.pid}` lets it finish"
        ]
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        os.killpg(holder.pid, signal.SIGCONT)
        holder.wait(timeout=30)


STOPPED_IN_A_WRITE = """
import os, signal, sys, time
from pathlib import Path
from tuinews.store import Store
from tuinews.store.stops import defer_stops_during_writes

defer_stops_during_writes()
with Store.open(Path(sys.argv[1])) as store:
    with store._writing() as conn:
        os.kill(os.getpid(), signal.SIGTSTP)  # Ctrl-Z in the middle of a write
        print("still writing", flush=True)
        time.sleep(0.3)
        conn.execute("UPDATE feeds SET title = 'After'")
    print("written", flush=True)
"""


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_ctrl_z_during_a_write_stops_the_process_after_it(tmp_path: Path) -> None:
    """A refresh stopped with Ctrl-Z in the middle of a write held the store's write
    lock until resumed: each mark made meanwhile (the reader, mark-read) waited out the
    busy timeout and was not saved (a tester's find). It stops once the write is over."""
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.sync_feeds([Subscription("https://a.example/rss", "Before")])
    child = subprocess.Popen(
        [sys.executable, "-c", STOPPED_IN_A_WRITE, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "still writing\n"  # not stopped in the write
        deadline = time.monotonic() + 30
        while _state(child.pid) != "T" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _state(child.pid) == "T"  # stopped, as Ctrl-Z asked
        other = sqlite3.connect(db, timeout=0.5, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock is free
        assert other.execute("SELECT title FROM feeds").fetchone() == ("After",)
        other.execute("ROLLBACK")
        other.close()
        os.kill(child.pid, signal.SIGCONT)
        assert child.stdout.readline() == "written\n"
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_read_only_file_system_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's folder on a file system mounted read-only: the refresh said "cannot
    be opened (permission denied)", which no chmod mends (a regression tester's find)."""
    import errno

    from tuinews.refresh import lock as lock_module
    from tuinews.refresh.lock import RefreshLockUnavailable

    db = tmp_path / "s.db"
    lock_path(db).touch()

    def read_only_fs(path: object, flags: int, mode: int = 0o777) -> int:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(lock_module.os, "open", read_only_fs)
    with pytest.raises(RefreshLockUnavailable) as refused:
        RefreshLock(db).try_acquire()
    assert str(refused.value) == (
        f"{db}: cannot refresh: the store's folder {tmp_path} is on a read-only file system"
    )


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads Linux's /proc/locks")
def test_the_lock_holder_is_found_where_the_kernel_lists_another_device(tmp_path: Path) -> None:
    """btrfs lists a subvolume's files in /proc/locks under another device than stat()
    gives: the holder of a stopped refresh was never found there, and waited for without
    end (a regression tester's find). The inode, and the holder having the file open,
    find it."""
    from tuinews.refresh.lock import _holder

    db = tmp_path / "s.db"
    held = RefreshLock(db)
    assert held.try_acquire()
    try:
        ours = Path("/proc/locks").read_text()
        inode = os.stat(lock_path(db)).st_ino
        line = next(line for line in ours.splitlines() if line.endswith(f":{inode} 0 EOF"))
        fields = line.split()
        elsewhere = tmp_path / "locks"
        elsewhere.write_text(line.replace(fields[5], f"00:99:{inode}") + "\n")
        assert _holder(lock_path(db), str(elsewhere)) == os.getpid()
        stranger = tmp_path / "other"
        stranger.touch()  # the same inode number on another device, not open here
        other_inode = os.stat(stranger).st_ino
        elsewhere.write_text(line.replace(fields[5], f"00:99:{other_inode}") + "\n")
        assert _holder(stranger, str(elsewhere)) is None
    finally:
        held.release()
