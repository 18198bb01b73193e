"""Escape injection against the real program in a pseudo-terminal, raw output checked.

Feeds whose every field carries OSC 52/0/2/8, CSI, 8-bit C1, DEL and bidi payloads are
fetched from 127.0.0.1 by the real `tuinews refresh`; then the real `tuinews` runs in a
pty at 120×40 and the test walks the list, opens articles, the links list and the feed
details. Every byte the program wrote is scanned with `hostile.forbidden_sequences`.
The test never presses `o` or `y`: without a display those copy the link with OSC 52,
the one OSC the app emits on purpose.

A second run injects the raw payloads straight into the SQLite store (as a store
written by a buggy or older version could hold), to check the UI as a second line
of defence.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feedserver import FeedServer, static
from hostile import (
    TERMINAL_PAYLOADS,
    all_payloads,
    forbidden_sequences,
    hostile_atom,
    hostile_json_feed,
    hostile_rss,
    visible_text,
)
from tuinews.model import Article, Enclosure, Feed
from tuinews.store import Store

pexpect = pytest.importorskip("pexpect")

TUINEWS = Path(sys.executable).parent / "tuinews"


class Terminal:
    """The program in a pty; every byte it writes is kept in `raw`."""

    def __init__(self, env: dict[str, str]) -> None:
        self.child = pexpect.spawn(str(TUINEWS), env=env, dimensions=(40, 120), timeout=30)
        self.raw = b""

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(pexpect.TIMEOUT):
                self.raw += self.child.read_nonblocking(65536, timeout=0.05)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.1)
            if text in visible_text(self.raw):
                return
        raise AssertionError(f"{text!r} never appeared: {visible_text(self.raw)[-400:]!r}")

    def keys(self, *keys: str, rest: float = 0.25) -> None:
        for key in keys:
            self.child.send(key)
            self.pump(rest)

    def quit(self) -> None:
        self.keys("\x1b", "\x1b", rest=0.35)  # a lone ESC, not an Alt+key prefix
        self.child.send("q")
        with contextlib.suppress(pexpect.EOF, pexpect.TIMEOUT):
            while True:
                self.raw += self.child.read_nonblocking(65536, timeout=10)
        self.child.close()


@pytest.fixture
def hostile_store(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """A config and a store filled by the real refresh from hostile loopback feeds."""
    with FeedServer() as server:
        urls = [
            server.route("/rss", static(hostile_rss("PWNR", items=2))),
            server.route("/raw", static(hostile_rss("PWNX", raw_controls=True, items=1))),
            server.route(
                "/atom", static(hostile_atom("PWNA"), content_type="application/atom+xml")
            ),
            server.route(
                "/json", static(hostile_json_feed("PWNJ"), content_type="application/json")
            ),
        ]
        config, db = tmp_path / "config.toml", tmp_path / "store.db"
        # No title in the config: the sidebar shows the feed's own (hostile) title. A long
        # interval: the reader does not refresh on start (the server is gone by then).
        feeds = "".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls)
        config.write_text(f"[refresh]\ninterval_minutes = 100000\n{feeds}")
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
        env.update(
            TUINEWS_CONFIG=str(config),
            TUINEWS_DB=str(db),
            TERM="xterm-256color",
            TEXTUAL_ANIMATIONS="none",
        )
        done = subprocess.run(
            [str(TUINEWS), "refresh"], env=env, capture_output=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        yield env, db


def walk(terminal: Terminal, articles: int) -> None:
    """Show articles in the reader pane, their links lists and two feeds' details."""
    terminal.wait_for("Refresh")
    for _ in range(articles):
        terminal.keys("enter", "L", "\x1b", rest=0.3)
        terminal.keys("j", rest=0.2)
    terminal.keys("i", "\x1b", rest=0.3)  # feed details: title, URL, last error
    terminal.keys("tab", "j", "j", "i", "\x1b", rest=0.25)  # the sidebar: another feed


def check(raw: bytes) -> None:
    problems = forbidden_sequences(raw)
    assert not problems, "\n".join(str(p) for p in problems[:15])


def test_ingested_payloads_never_reach_the_terminal(
    hostile_store: tuple[dict[str, str], Path],
) -> None:
    env, _db = hostile_store
    terminal = Terminal(env)
    try:
        walk(terminal, articles=4)
    finally:
        terminal.quit()
    check(terminal.raw)
    # Quitting after the hostile walk left the alternate screen and showed the cursor.
    assert b"\x1b[?1049l" in terminal.raw[-300:] and b"\x1b[?25h" in terminal.raw[-300:]
    assert terminal.child.exitstatus == 0
    screen = visible_text(terminal.raw)
    # The payloads were shown as harmless text (the markers, the markup as typed), and a
    # raw escape sequence left nothing, not even the text of a window title.
    assert "PWNR-TITLE" in screen
    assert "PWNX-" in screen  # the feed written with raw control bytes
    assert "PWNED WINDOW TITLE" not in screen
    assert "[bold]BOLD-MARKUP" in screen or "BOLD-MARKUP[/bold]" in screen


def _inject_raw(db: Path) -> None:
    """Write unsanitised payloads into the store, the way a foreign writer could."""
    payload = "RAWPWN " + all_payloads("RAW")
    with Store.open(db) as store:
        feed = store.feeds()[0]
        article = Article(
            id="raw-injected-0001",
            feed=feed.url,
            title="RAW-TITLE " + payload,
            link="https://raw.example/" + TERMINAL_PAYLOADS["osc8"],
            guid="raw-1",
            author="RAW-AUTHOR " + payload,
            published=datetime(2030, 1, 1, tzinfo=UTC),
            summary=payload,
            content=f"<p>RAW-BODY {payload}</p><p><a href='https://raw.example/x'>{payload}</a></p>",
            enclosures=(Enclosure("https://raw.example/a.mp3?" + payload, payload),),
            categories=(payload,),
            feed_title=payload,
        )
        store.save_fetch(
            feed.id,
            Feed(feed.url, payload, articles=[article]),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=datetime.now(UTC),
            next_fetch=None,
        )
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE feeds SET feed_title = ?, last_error = ?, failures = 1,"
            " last_error_at = strftime('%s','now')",
            ("RAWFEED " + payload, "RAWERR " + payload),
        )
        conn.execute("UPDATE articles SET title = ?, author = ?", ("RAW-TITLE " + payload, payload))


def test_raw_payloads_in_the_store_are_filtered_by_the_ui(
    hostile_store: tuple[dict[str, str], Path],
) -> None:
    env, db = hostile_store
    _inject_raw(db)
    terminal = Terminal(env)
    try:
        walk(terminal, articles=4)
    finally:
        terminal.quit()
    check(terminal.raw)
    assert "RAW-TITLE" in visible_text(terminal.raw)


# --- opening links: one argument, no shell, dangerous schemes refused (Pilot) -------------------


SHELL_LINKS = [
    "https://shell.example/a?q=$(touch${IFS}MARK)&b=`touch${IFS}MARK`;touch${IFS}MARK",
    "https://shell.example/b?x='$(touch${IFS}MARK)'\"|touch${IFS}MARK&&touch${IFS}MARK",
    "https://shell.example/c?%0atouch${IFS}MARK%0a>MARK<",
]
REFUSED_LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(2)",
    "data:text/html,<b>x",
    "file:///etc/passwd",
]


def _link_feed(links: list[str]) -> bytes:
    from xml.sax.saxutils import escape, quoteattr

    items = "".join(
        f"<item><title>link {n}</title><guid>g{n}</guid><link>{escape(link)}</link>"
        f"<description>{escape(f'<p><a href={quoteattr(link)}>in body</a></p>')}"
        "</description></item>"
        for n, link in enumerate(links)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Links</title>'
        f"{items}</channel></rss>"
    ).encode()


def _links_ctx(tmp_path: Path, links: list[str]) -> tuple[Any, Path]:
    from test_ui_support import make_ctx
    from tuinews.config import UISettings
    from tuinews.model import Subscription
    from tuinews.sources.feeds import parse_feed

    url = "https://links.example/feed"
    articles = parse_feed(_link_feed(links), url).articles
    record = tmp_path / "argv.txt"
    script = tmp_path / "browser.py"
    script.write_text(
        "import json, sys, pathlib\n"
        f"path = pathlib.Path({str(record)!r})\n"
        "seen = json.loads(path.read_text()) if path.exists() else []\n"
        "path.write_text(json.dumps(seen + [sys.argv[1:]]))\n"
    )
    ui = UISettings(browser=f"{sys.executable} {script} %u")
    return make_ctx(tmp_path, [Subscription(url, "Links")], per_feed=0, ui=ui,
                    extra={url: articles}), record  # fmt: skip


async def test_links_with_shell_metacharacters_are_one_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from test_ui_support import settle
    from tuinews.ui.app import create_app

    marker = tmp_path / "MARK"
    links = [link.replace("MARK", str(marker)) for link in SHELL_LINKS]
    monkeypatch.chdir(tmp_path)  # a relative "MARK" would land here
    ctx, record = _links_ctx(tmp_path, links)
    app = create_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for index in range(len(links)):
            await pilot.press("o")  # the article's own link
            await settle(pilot, 0.3)
            await pilot.press("enter", "1")  # the link in its body
            await settle(pilot, 0.3)
            await pilot.press("escape", "j")
            await settle(pilot)
            assert record.exists(), index
    calls = json.loads(record.read_text())
    # Every call got exactly one argument, the URL as the feed gave it.
    assert all(len(argv) == 1 for argv in calls), calls
    assert {argv[0] for argv in calls} == set(links)
    assert not marker.exists() and not (tmp_path / "MARK").exists()


async def test_dangerous_schemes_are_never_opened(tmp_path: Path) -> None:
    from test_ui_support import settle
    from tuinews.ui.app import create_app

    ctx, record = _links_ctx(tmp_path, REFUSED_LINKS)
    app = create_app(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in REFUSED_LINKS:
            await pilot.press("o")
            await settle(pilot)
            # Dropped at ingestion ("no link") or refused when opened: never run.
            message = app.screen.status.message.lower()
            assert "not opening" in message or "no link" in message, message
            await pilot.press("enter", "1")
            await settle(pilot)
            await pilot.press("escape", "j")
            await settle(pilot)
    assert not record.exists()
