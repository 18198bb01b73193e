"""Faults around the real program: SIGKILL of `tuinews refresh` mid-write, two refreshes
and the reader at once on one store, and a disk that refuses writes.

test_refresh_kill.py kills forked refresh workers (cheap, many rounds) and
test_store_kill.py kills bare store writers; this file kills the installed console script
itself, at random points chosen by its own progress output.
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated
from hostile import forbidden_sequences, visible_text
from store_checks import assert_store_sound

TUINEWS = Path(sys.executable).parent / "tuinews"
KILLS = 20
FEEDS = 6
ITEMS = 150


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(TUINEWS_CONFIG=str(home / "config.toml"), TUINEWS_DB=str(home / "store.db"))
    env.update(extra)
    return env


def marks(db: Path) -> dict[str, tuple[int, int]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT article_id, read, starred FROM articles").fetchall()
    return {article_id: (read, starred) for article_id, read, starred in rows}


def subscribe(home: Path, urls: list[str]) -> None:
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\ntitle = "Feed {n}"\n' for n, url in enumerate(urls))
    (home / "config.toml").write_text(f"[refresh]\ninterval_minutes = 100000\n{feeds}")


def mark_some(db: Path) -> dict[str, tuple[int, int]]:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE articles SET read = 1 WHERE pk % 3 = 0")
        conn.execute("UPDATE articles SET starred = 1 WHERE pk % 7 = 0")
    return {aid: mark for aid, mark in marks(db).items() if mark != (0, 0)}


def read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes | None:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline() if ready else None


@pytest.mark.slow  # twenty start-ups of the real script (about 20 s on 2 busy cores)
def test_sigkill_of_the_real_refresh_keeps_store_and_marks(
    server: FeedServer, tmp_path: Path
) -> None:
    rng = random.Random(20261126)
    feeds = [Generated(items=ITEMS, title=f"Feed {n}") for n in range(FEEDS)]
    urls = [server.route(f"/f{n}", feed) for n, feed in enumerate(feeds)]
    subscribe(tmp_path, urls)
    db = tmp_path / "store.db"
    first = subprocess.run([str(TUINEWS), "refresh"], env=env_for(tmp_path), capture_output=True)
    assert first.returncode == 0, first.stderr
    marked = mark_some(db)
    assert marked

    killed_mid_write = 0
    for round_number in range(KILLS):
        for feed in feeds:
            feed.items += 40  # new items and changed old ones: every round writes
            feed.bump()
        process = subprocess.Popen(
            [str(TUINEWS), "refresh", "--force"],
            env=env_for(tmp_path, PYTHONUNBUFFERED="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # Kill during start-up, or after a random number of feeds were saved.
        wanted = rng.randrange(0, FEEDS)
        seen = 0
        while seen < wanted:
            line = read_line(process, 30)
            if not line:
                break
            seen += line.startswith(b"[")
        if seen:
            killed_mid_write += 1
        time.sleep(rng.uniform(0.0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()
        assert_store_sound(db)
        after = marks(db)
        for article_id, mark in marked.items():
            assert after[article_id] == mark, (round_number, article_id)
    assert killed_mid_write >= KILLS // 2

    # The lock died with the processes; a whole refresh still works and keeps the marks.
    final = subprocess.run(
        [str(TUINEWS), "refresh", "--force"], env=env_for(tmp_path), capture_output=True
    )
    assert final.returncode == 0, final.stderr
    assert_store_sound(db)
    after = marks(db)
    assert all(after[aid] == mark for aid, mark in marked.items())


def test_two_refreshes_and_the_reader_at_once(server: FeedServer, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    feeds = [Generated(items=200, title=f"Feed {n}", delay=0.05) for n in range(12)]
    urls = [server.route(f"/f{n}", feed) for n, feed in enumerate(feeds)]
    subscribe(tmp_path, urls)
    first = subprocess.run([str(TUINEWS), "refresh"], env=env_for(tmp_path), capture_output=True)
    assert first.returncode == 0, first.stderr
    marked = mark_some(tmp_path / "store.db")
    for feed in feeds:
        feed.items += 100
        feed.bump()

    reader_env = env_for(tmp_path, TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
    reader = pexpect.spawn(str(TUINEWS), env=reader_env, dimensions=(40, 120), timeout=30)
    raw = b""

    def pump(seconds: float) -> None:
        nonlocal raw
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(pexpect.TIMEOUT):
                raw += reader.read_nonblocking(65536, timeout=0.05)

    try:
        deadline = time.monotonic() + 30
        while "Refresh" not in visible_text(raw) and time.monotonic() < deadline:
            pump(0.2)
        refreshes = [
            subprocess.Popen(
                [str(TUINEWS), "refresh", "--force"],
                env=env_for(tmp_path),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        reader.send("R")  # and the reader refreshes too
        # Keep using the reader while they write: move, open, star, mark.
        while any(process.poll() is None for process in refreshes):
            for key in ("j", "enter", "j", "m", "k", "\x1b"):
                reader.send(key)
                pump(0.15)
        outputs = [process.communicate(timeout=60) for process in refreshes]
        pump(2.0)
        reader.send("q")
        with contextlib.suppress(pexpect.EOF, pexpect.TIMEOUT):
            while True:
                raw += reader.read_nonblocking(65536, timeout=10)
    finally:
        reader.close()
    for process, (_out, err) in zip(refreshes, outputs, strict=True):
        assert process.returncode == 0, err
        assert b"locked" not in err.lower() and b"Traceback" not in err
    screen = visible_text(raw).lower()
    assert "locked" not in screen and "traceback" not in screen and "busy" not in screen
    assert not forbidden_sequences(raw)
    assert reader.exitstatus == 0
    db = tmp_path / "store.db"
    assert_store_sound(db)
    after = marks(db)
    # Marks the user did not touch in the reader are as they were.
    starred = {aid for aid, (_r, s) in marked.items() if s}
    assert all(after[aid][1] == 1 for aid in starred)


def _limit_file_size(limit: int) -> None:
    # A write past the limit fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _grow_and_refresh_over_size_limit(
    feeds: list[Generated], db: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """Add 400 items to every feed, then refresh with the store barely allowed to grow."""
    for feed in feeds:
        feed.items += 400
        feed.bump()
    limit = db.stat().st_size + 32 * 1024
    return subprocess.run(
        [str(TUINEWS), "refresh"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        preexec_fn=lambda: _limit_file_size(limit),
    )


def test_writes_refused_mid_refresh(server: FeedServer, tmp_path: Path) -> None:
    feeds = [Generated(items=100, title=f"Feed {n}") for n in range(4)]
    urls = [server.route(f"/f{n}", feed) for n, feed in enumerate(feeds)]
    subscribe(tmp_path, urls)
    db = tmp_path / "store.db"
    first = subprocess.run([str(TUINEWS), "refresh"], env=env_for(tmp_path), capture_output=True)
    assert first.returncode == 0
    marked = mark_some(db)
    before = marks(db)
    done = _grow_and_refresh_over_size_limit(feeds, db, tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "store" in line]
    assert errors, done.stderr
    assert all(line.startswith("tuinews: ") and str(db) in line for line in errors)
    assert_store_sound(db)
    after = marks(db)
    assert all(after[aid] == mark for aid, mark in marked.items())
    assert set(before) <= set(after)  # nothing the user had is gone
    # With room again, the next refresh completes.
    again = subprocess.run([str(TUINEWS), "refresh"], env=env_for(tmp_path), capture_output=True)
    assert again.returncode == 0, again.stderr
    assert_store_sound(db)


def test_writes_refused_are_reported_once(server: FeedServer, tmp_path: Path) -> None:
    feeds = [Generated(items=100, title=f"Feed {n}") for n in range(4)]
    urls = [server.route(f"/f{n}", feed) for n, feed in enumerate(feeds)]
    subscribe(tmp_path, urls)
    db = tmp_path / "store.db"
    subprocess.run([str(TUINEWS), "refresh"], env=env_for(tmp_path), capture_output=True)
    done = _grow_and_refresh_over_size_limit(feeds, db, tmp_path)
    assert len([line for line in done.stderr.splitlines() if str(db) in line]) == 1


def test_disk_full_on_a_small_filesystem(server: FeedServer, tmp_path: Path) -> None:
    """A real ENOSPC: a 2 MB tmpfs in a private mount namespace (skipped where not allowed)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare is not available")
    probe = subprocess.run([unshare, "-Urm", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("no user/mount namespaces here")
    feeds = [Generated(items=50, title=f"Feed {n}") for n in range(3)]
    urls = [server.route(f"/f{n}", feed) for n, feed in enumerate(feeds)]
    subscribe(tmp_path, urls)
    store_dir = tmp_path / "small"
    store_dir.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for feed in feeds:
        feed.items = 3000  # far more than 2 MB of text
    script = f"""
set -e
mount -t tmpfs -o size=2m tmpfs {store_dir}
export TUINEWS_DB={store_dir}/store.db
{TUINEWS} refresh > {out_dir}/stdout 2> {out_dir}/stderr || echo $? > {out_dir}/status
{sys.executable} - <<'EOF'
import sqlite3
conn = sqlite3.connect("{store_dir}/store.db")
print(conn.execute("PRAGMA integrity_check").fetchone()[0])
print(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
EOF
"""
    done = subprocess.run(
        [unshare, "-Urm", "sh", "-c", script],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    integrity = done.stdout.split()
    assert integrity[0] == "ok"
    stderr = (out_dir / "stderr").read_text()
    assert (out_dir / "status").read_text().strip() == "1"
    assert "disk is full" in stderr, stderr
    assert "Traceback" not in stderr
