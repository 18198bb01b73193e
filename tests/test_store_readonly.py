"""A store this process cannot write: reading commands work and say what they miss,
and a write names the file or folder that refuses it.

Root writes any file, so the commands under test run without root's override
(`setpriv` drops CAP_DAC_OVERRIDE); the tests skip when that is not possible.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_cli import TUINEWS, Cli, Result
from test_store import make_article, save
from tuinews.model import Subscription
from tuinews.store import Store

FEED = "https://items.example/rss"
NEW_FEED = "https://new.example/rss"
DROP = ["--bounding-set", "-dac_override,-dac_read_search"]


def unprivileged_prefix(probe_folder: Path) -> list[str]:
    """What to put before a command so that file modes bind it, or skip the test."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be tested")
    probe = probe_folder / "probe"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        done = subprocess.run(
            [setpriv, *DROP, sys.executable, "-c", f"open({str(probe)!r}, 'a')"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        probe.unlink()
    if done.returncode == 0:
        pytest.skip("cannot drop root's override of file modes")
    return [setpriv, *DROP]


class ReadOnlyCli:
    """Runs the real console script without the power to write what modes forbid."""

    def __init__(self, cli: Cli, prefix: list[str]) -> None:
        self.cli = cli
        self.prefix = prefix

    def run(self, *args: str) -> Result:
        done = subprocess.run(
            [*self.prefix, str(TUINEWS), *args],
            capture_output=True,
            text=True,
            env=self.cli.env,
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def store_path(cli: Cli) -> Iterator[Path]:
    """A store in its own folder with 9 articles that wait for the search index, and a
    settings file with that feed and one the store has never seen."""
    folder = cli.root / "data"
    folder.mkdir()
    path = folder / "s.db"
    with Store.open(path) as store:
        store.sync_feeds([Subscription(FEED, "Items")])
        (info,) = store.feeds()
        save(store, info.id, [make_article(FEED, n, title=f"Item {n}") for n in range(1, 10)])
    cli.config.write_text(
        f'[[feeds]]\nurl = "{FEED}"\ntitle = "Items"\n\n'
        f'[[feeds]]\nurl = "{NEW_FEED}"\ntitle = "New one"\ntags = ["later"]\n'
    )
    cli.env["TUINEWS_DB"] = str(path)
    yield path
    for mode_changed in (folder, *folder.iterdir()):
        mode_changed.chmod(0o755 if mode_changed.is_dir() else 0o644)


@pytest.fixture
def ro(cli: Cli, store_path: Path) -> ReadOnlyCli:
    return ReadOnlyCli(cli, unprivileged_prefix(store_path.parent))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_search_on_a_read_only_store_says_what_it_cannot_see(
    ro: ReadOnlyCli, store_path: Path
) -> None:
    store_path.chmod(0o444)
    result = ro.run("list", "--search", "Item")
    assert result.status == 0
    assert result.out == ""
    assert result.err_lines == [
        "tuinews: 9 articles are not in the search index yet (the store is read-only)"
    ]
    # Once the store is writable, the same search indexes them and finds them all.
    for path in store_path.parent.iterdir():
        path.chmod(0o644)
    found = ro.run("list", "--search", "Item")
    assert (found.status, found.err) == (0, "")
    assert len(found.out.splitlines()) == 9


def test_listing_and_reading_a_read_only_store(ro: ReadOnlyCli, store_path: Path) -> None:
    store_path.chmod(0o444)
    before = store_path.read_bytes()
    listed = ro.run("list")
    assert (listed.status, listed.err) == (0, "")
    lines = listed.out.splitlines()
    assert len(lines) == 9 and lines[0].endswith("Item 9")
    shown = ro.run("read", lines[0].split()[0])
    assert (shown.status, shown.err) == (0, "")
    assert "Item 9" in shown.out
    assert store_path.read_bytes() == before


def test_feeds_of_a_read_only_store_lists_the_subscriptions(
    ro: ReadOnlyCli, store_path: Path
) -> None:
    store_path.chmod(0o444)
    before = store_path.read_bytes()
    result = ro.run("feeds")
    assert (result.status, result.err) == (0, "")
    rows = [line.split("\t") for line in result.out.splitlines()]
    assert [(row[0], row[1], row[2], row[3], row[5]) for row in rows] == [
        ("Items", "", "9/9", "2024-03-01 12:00", FEED),
        ("New one", "later", "0/0", "never", NEW_FEED),
    ]
    assert store_path.read_bytes() == before


def test_a_leftover_read_only_shm_file_is_named(ro: ReadOnlyCli, store_path: Path) -> None:
    store_path.chmod(0o444)
    assert ro.run("list").status == 0
    shm = store_path.with_name("s.db-shm")
    # SQLite made it beside the store with the store's mode.
    assert stat.S_IMODE(shm.stat().st_mode) == 0o444
    store_path.chmod(0o644)
    result = ro.run("mark-read", "--all")
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {store_path}: cannot write the store: {shm} is read-only"
    ]
    shm.chmod(0o644)
    assert ro.run("mark-read", "--all").status == 0


def test_a_read_only_file_is_named_when_writing(ro: ReadOnlyCli, store_path: Path) -> None:
    store_path.chmod(0o444)
    result = ro.run("mark-read", "--all")
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {store_path}: cannot write the store: the file is read-only"
    ]


def test_a_folder_nobody_can_write_is_read(ro: ReadOnlyCli, store_path: Path) -> None:
    folder = store_path.parent
    folder.chmod(0o555)
    before = snapshot(folder)
    listed = ro.run("list")
    assert (listed.status, listed.err) == (0, "")
    assert len(listed.out.splitlines()) == 9
    feeds = ro.run("feeds")
    assert (feeds.status, feeds.err) == (0, "")
    assert len(feeds.out.splitlines()) == 2
    search = ro.run("list", "--search", "Item")
    assert search.err_lines == [
        "tuinews: 9 articles are not in the search index yet (the store is read-only)"
    ]
    marked = ro.run("mark-read", "--all")
    assert marked.status == 1
    assert marked.err_lines == [
        f"tuinews: {store_path}: cannot write the store: its folder {folder} is read-only"
    ]
    assert snapshot(folder) == before


def test_a_folder_another_user_may_write_is_named(ro: ReadOnlyCli, store_path: Path) -> None:
    # The group may create the -wal there and write the store meanwhile: reading it
    # without locks (immutable) could then see a half-written state, so no reading.
    folder = store_path.parent
    folder.chmod(0o575)
    result = ro.run("list")
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {store_path}: cannot open the store: its folder {folder} is read-only "
        "(SQLite must create s.db-wal and s.db-shm beside it)"
    ]


@contextlib.contextmanager
def reader(ro: ReadOnlyCli, *, columns: int, quit_keys: str = "q") -> Iterator[tuple[Any, Any]]:
    """The real reader in a pseudo-terminal, without the power to write what modes
    forbid, its articles shown: (the child, a Screen reading its output). On leaving,
    `quit_keys` must end it, with exit status 0 and no traceback."""
    pexpect = pytest.importorskip("pexpect")
    from test_e2e_pty import Screen

    env = {**ro.cli.env, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none"}
    env.pop("NO_COLOR", None)
    program, *args = [*ro.prefix, str(TUINEWS)]
    child = pexpect.spawn(program, args, env=env, dimensions=(24, columns), timeout=30)
    screen = Screen(child)
    try:
        screen.wait_for("Item 9")
        yield child, screen
        child.send(quit_keys)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert b"Traceback" not in (child.before or b"")


def test_the_reader_opens_a_read_only_store_and_says_so(ro: ReadOnlyCli, store_path: Path) -> None:
    """The reader shows the articles and says marks are not saved; it used to exit with
    a write error and Textual's error dump."""
    store_path.chmod(0o444)
    before = store_path.read_bytes()
    with reader(ro, columns=80) as (_child, screen):
        screen.wait_for("Read-only store")
    assert store_path.read_bytes() == before  # nothing written (SQLite adds its -shm)


def test_a_search_in_the_reader_on_a_read_only_store_says_what_it_cannot_see(
    ro: ReadOnlyCli, store_path: Path
) -> None:
    """A tester's find: `/Item` said "Nothing matches" of words every article holds,
    where `list --search` says the index could not take them."""
    store_path.chmod(0o444)
    # q leaves the search, then the reader.
    with reader(ro, columns=80, quit_keys="qq") as (child, screen):
        child.send("/")
        child.send("Item\r")
        screen.wait_for("9 articles are not in the search index yet (the store is read-only)")


def test_refresh_in_a_folder_nobody_can_write_says_so(ro: ReadOnlyCli, store_path: Path) -> None:
    """The refresh lock could not be made there: it used to end with the bare
    `…refresh-lock: Permission denied` (and a traceback in the reader)."""
    folder = store_path.parent
    store_path.chmod(0o444)
    folder.chmod(0o555)
    before = snapshot(folder)
    result = ro.run("refresh")
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {store_path}: cannot refresh: the store's folder {folder} is read-only"
    ]
    assert snapshot(folder) == before


def test_refreshing_in_the_reader_on_a_read_only_store_says_so(
    ro: ReadOnlyCli, store_path: Path
) -> None:
    """R and r say at once that nothing can be refreshed; they ended the reader with a
    PermissionError traceback (the refresh lock could not be made in the folder)."""
    folder = store_path.parent
    store_path.chmod(0o444)
    folder.chmod(0o555)
    before = snapshot(folder)
    with reader(ro, columns=120) as (child, screen):
        child.send("R")
        screen.wait_for("Cannot refresh: the store is read-only")
        child.send("r")
    assert snapshot(folder) == before


def test_a_read_only_file_system_is_named_as_such(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store on a file system mounted read-only (a backup disk, a live system): the
    writes said "the file is read-only", and `chmod` could not help (a tester's find)."""
    from tuinews.store import connection

    real = os.statvfs

    class ReadOnlyMount:
        def __init__(self, path: str) -> None:
            self.f_flag = real(path).f_flag | os.ST_RDONLY
            self.f_bavail = real(path).f_bavail

    monkeypatch.setattr(connection.os, "statvfs", ReadOnlyMount)
    assert connection.read_only_culprit(store_path) == (
        f"its folder {store_path.parent} is on a read-only file system"
    )
