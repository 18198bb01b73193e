"""Hostile servers on 127.0.0.1, met by the real `tuinews refresh` and `tuinews list`.

One refresh holds every bad server at once beside a good feed: each bad one ends in one
line on stderr, the good one is stored, and the user's earlier marks survive. Bounds
are asserted in work done: bytes the server managed to send, bytes decoded (the
error line), the child's peak RSS. Settings for these runs: timeout 3 s, max_bytes 2 MiB,
max_redirects 5 (so each case is over in well under 10 s).
"""

from __future__ import annotations

import gzip
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from feedserver import FeedServer, Handler, Redirect, Reset, rss, static
from hostile import assert_clean_terminal_output, forbidden_sequences, hostile_rss

TUINEWS = Path(sys.executable).parent / "tuinews"
MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_S = 3
PEAK_RSS_MB = 250  # the whole refresh process, every hostile server at once


@dataclass
class CountingStream:
    """`size` bytes of `chunk` repeated, counting what the client accepted."""

    size: int
    chunk: bytes = b"<!-- padding -->" * 4096
    content_type: str = "application/rss+xml"
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", self.content_type)
        handler.send_header("Content-Length", str(self.size))
        handler.end_headers()
        try:
            while self.sent < self.size:
                piece = self.chunk[: self.size - self.sent]
                handler.wfile.write(piece)
                with self.lock:
                    self.sent += len(piece)
        except OSError:
            return


@dataclass
class Trickle:
    """A feed sent one byte a second: the client must give up on its own clock."""

    body: bytes
    interval: float = 1.0
    sent: int = 0

    def serve(self, handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.flush()
        for byte in self.body:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return
            self.sent += 1
            time.sleep(self.interval)


@dataclass
class Bomb:
    """A gzip body that inflates to `inflated` bytes of zeros (about 1000:1)."""

    inflated: int
    body: bytes = b""

    def serve(self, handler: Handler) -> None:
        if not self.body:
            self.body = gzip.compress(bytes(self.inflated), 9)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body)


GOOD = rss(3, title="Good feed", prefix="good")
HTML_PAGE = b"<!doctype html><html><head><title>Welcome</title></head><body>hi</body></html>"
BINARY = bytes(range(256)) * 64


# Measures one command's own peak: RUSAGE_CHILDREN of the test process would also count
# every earlier test's subprocesses.
_PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[2:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(peak))\n"
    "sys.exit(done.returncode)\n"
)


def run(config: Path, db: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The real script; returns the result and the peak RSS of that run, in MB."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "TERM")}
    env.update(TUINEWS_CONFIG=str(config), TUINEWS_DB=str(db))
    peak_file = config.with_name("peak-rss")
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_WRAPPER, str(peak_file), str(TUINEWS), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
    )
    return done, int(peak_file.read_text()) / 1024


def write_config(path: Path, urls: dict[str, str]) -> None:
    lines = [
        "[refresh]",
        f"timeout = {TIMEOUT_S}",
        "connect_timeout = 2",
        f"max_bytes = {MAX_BYTES}",
        "max_redirects = 5",
        "concurrency = 16",
        "per_host = 16",
        "",
    ]
    for title, url in urls.items():
        lines += ["[[feeds]]", f'url = "{url}"', f'title = "{title}"', ""]
    path.write_text("\n".join(lines))


def test_every_hostile_server_fails_in_one_line_and_the_good_feed_is_stored(
    server: FeedServer, tmp_path: Path
) -> None:
    huge = CountingStream(200 * 1024 * 1024)
    trickle = Trickle(GOOD)
    server.route("/loop-a", Redirect(server.url("/loop-b")))
    server.route("/loop-b", Redirect(server.url("/loop-a")))
    cases = {
        "good": server.route("/good", static(GOOD)),
        "gzip-bomb": server.route("/bomb", Bomb(64 * 1024 * 1024)),
        "huge": server.route("/huge", huge),
        "trickle": server.route("/trickle", trickle),
        "reset": server.route("/reset", Reset(partial=GOOD[:200], declared=len(GOOD) * 10)),
        "html": server.route("/html", static(HTML_PAGE, content_type="application/rss+xml")),
        "binary": server.route("/binary", static(BINARY)),
        "empty": server.route("/empty", static(b"")),
        "loop": server.url("/loop-a"),
        # A Content-Type that lies the other way: a real feed served as an image.
        "lying-type": server.route("/lie", static(rss(2, prefix="lie"), content_type="image/png")),
        "hostile-text": server.route("/hostile", static(hostile_rss())),
    }
    config, db = tmp_path / "config.toml", tmp_path / "store.db"
    write_config(config, cases)

    done, _ = run(config, db, "refresh")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    expected = {
        "gzip-bomb": "larger than 2 MB",
        "huge": "larger than 2 MB",
        "trickle": f"timed out after {TIMEOUT_S} s",
        "reset": "reset",
        "html": "HTML page",
        "binary": "binary",
        "empty": "empty",
        "loop": "redirect loop (",
    }
    for title, words in expected.items():
        found = [line for line in lines if words in line and title in line]
        assert len(found) == 1, (title, words, done.stderr)
    assert "Traceback" not in done.stderr
    # Only the eight failures speak; every other line is the summary.
    failure_lines = [line for line in lines if any(t in line for t in expected)]
    assert len(failure_lines) == len(expected), done.stderr
    assert_clean_terminal_output(done.stdout.encode() + done.stderr.encode())

    # Bounds in work done: the 200 MB body stopped near the limit (plus socket buffers),
    # the trickle was cut at the deadline.
    assert huge.sent < MAX_BYTES + 16 * 1024 * 1024, huge.sent
    assert trickle.sent <= TIMEOUT_S + 2

    with sqlite3.connect(db) as conn:
        stored = dict(
            conn.execute(
                "SELECT f.title, count(a.pk) FROM feeds f LEFT JOIN articles a"
                " ON a.feed_id = f.id GROUP BY f.id"
            ).fetchall()
        )
    assert stored["good"] == 3
    assert stored["lying-type"] == 2
    assert stored["hostile-text"] == 3
    for title in expected:
        assert stored[title] == 0


def test_hostile_servers_keep_earlier_marks_and_memory_bounded(
    server: FeedServer, tmp_path: Path
) -> None:
    feed = server.route("/good", static(GOOD))
    bomb = server.route("/bomb", Bomb(64 * 1024 * 1024))
    huge = CountingStream(200 * 1024 * 1024, content_type="text/xml")
    big = server.route("/huge", huge)
    config, db = tmp_path / "config.toml", tmp_path / "store.db"
    write_config(config, {"good": feed})
    run(config, db, "refresh")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET read = 1, starred = 1 WHERE title LIKE 'good 2%'")
    write_config(config, {"good": feed, "bomb": bomb, "huge": big})
    done, peak_mb = run(config, db, "refresh", "--force")
    assert done.returncode == 1
    assert peak_mb < PEAK_RSS_MB, peak_mb
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        marks = conn.execute("SELECT title, read, starred FROM articles ORDER BY title").fetchall()
    assert ("good 2 v0", 1, 1) in marks
    assert len(marks) == 3


@pytest.mark.parametrize(
    ("path", "route", "words"),
    [
        ("/html", static(HTML_PAGE, content_type="text/html"), "HTML page"),
        ("/binary", static(BINARY, content_type="application/octet-stream"), "binary"),
        ("/empty", static(b""), "empty"),
        ("/bomb", Bomb(64 * 1024 * 1024), "larger than"),
    ],
)
def test_list_of_a_hostile_url_is_one_line(
    server: FeedServer, tmp_path: Path, path: str, route: object, words: str
) -> None:
    url = server.route(path, route)
    config, db = tmp_path / "config.toml", tmp_path / "store.db"
    write_config(config, {})
    good = server.route("/good", static(GOOD))
    done, _ = run(config, db, "list", url, good)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert url in done.stderr and words in done.stderr
    assert "good 3 v0" in done.stdout  # the other source is still listed


async def test_the_reader_refreshing_hostile_servers_goes_on(
    server: FeedServer, tmp_path: Path
) -> None:
    """The same servers met by the TUI's own refresh (Pilot): it keeps running, shows the
    good feeds, records one error line per bad one, and puts no control on screen."""
    from test_ui_support import settle
    from tuinews.config import Config, RefreshSettings
    from tuinews.model import Subscription
    from tuinews.store import Store
    from tuinews.ui.app import create_app
    from tuinews.ui.context import AppContext

    server.route("/loop-a", Redirect(server.url("/loop-b")))
    server.route("/loop-b", Redirect(server.url("/loop-a")))
    urls = {
        "good": server.route("/good", static(GOOD)),
        "hostile-text": server.route("/hostile", static(hostile_rss())),
        "gzip-bomb": server.route("/bomb", Bomb(64 * 1024 * 1024)),
        "huge": server.route("/huge", CountingStream(200 * 1024 * 1024)),
        "trickle": server.route("/trickle", Trickle(GOOD)),
        "reset": server.route("/reset", Reset(partial=GOOD[:200], declared=len(GOOD) * 10)),
        "html": server.route("/html", static(HTML_PAGE)),
        "binary": server.route("/binary", static(BINARY)),
        "empty": server.route("/empty", static(b"")),
        "loop": server.url("/loop-a"),
    }
    subs = [Subscription(url, title) for title, url in urls.items()]
    settings = RefreshSettings(timeout=TIMEOUT_S, connect_timeout=2, max_bytes=MAX_BYTES)
    ctx = AppContext(
        config=Config(feeds=tuple(subs), refresh=settings),
        config_path=tmp_path / "config.toml",
        store_path=tmp_path / "store.db",
        subscriptions=subs,
        refresh_on_start=True,
    )
    app = create_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, 0.2)
        for _ in range(40):  # the trickle ends at its deadline; nothing else waits
            with Store.open(ctx.store_path) as store:
                infos = {info.title: info for info in store.feeds()}
            if all(info.last_refresh or info.last_error for info in infos.values()):
                break
            await pilot.pause(0.25)
        await settle(pilot)
        assert app.is_running
        strips = app.screen._compositor.render_strips()
        screen = "\n".join("".join(segment.text for segment in strip) for strip in strips)
    assert "good 3 v0" in screen
    assert not forbidden_sequences(screen.encode())
    assert "\x1b" not in screen
    for title in ("good", "hostile-text"):
        assert infos[title].total == 3 and infos[title].last_error is None
    for title in ("gzip-bomb", "huge", "trickle", "reset", "html", "binary", "empty", "loop"):
        error = infos[title].last_error
        assert error and "\n" not in error, (title, error)
