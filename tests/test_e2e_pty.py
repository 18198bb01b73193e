"""The installed `tuinews` script in a real pseudo-terminal: start, keys, quit, clean exit."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")


def tuinews_script() -> str:
    beside = Path(sys.executable).with_name("tuinews")
    if beside.exists():
        return str(beside)
    found = shutil.which("tuinews")
    if found is None:
        pytest.skip("the tuinews console script is not installed")
    return found


ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Screen:
    """Everything the program wrote, so a text drawn early is not missed by a later wait."""

    def __init__(self, child: Any, size: tuple[int, int] = (24, 80)) -> None:
        self.child = child
        self.seen = b""
        lines, columns = size
        self.terminal = pyte.Screen(columns, lines)  # what the terminal shows now
        self.stream = pyte.ByteStream(self.terminal)

    def _read(self) -> None:
        with contextlib.suppress(pexpect.TIMEOUT):
            data = self.child.read_nonblocking(65536, timeout=0.2)
            self.seen += data
            self.stream.feed(data)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        """Wait until `text` has appeared, whatever styles split it in the byte stream."""
        deadline = time.monotonic() + timeout
        while True:
            if text.encode() in ANSI.sub(b"", self.seen):
                return
            if time.monotonic() > deadline:
                tail = ANSI.sub(b"", self.seen)[-300:]
                raise AssertionError(f"{text!r} never appeared; last output: {tail!r}")
            self._read()

    def wait_until_gone(self, text: str, timeout: float = 30) -> None:
        """Wait until the terminal no longer shows `text` anywhere."""
        deadline = time.monotonic() + timeout
        while any(text in line for line in self.terminal.display):
            if time.monotonic() > deadline:
                shown = "\n".join(self.terminal.display)
                raise AssertionError(f"{text!r} still shown:\n{shown}")
            self._read()

    def forget(self) -> None:
        """Later waits look only at what comes after this point."""
        self.seen = b""


def test_reader_starts_on_the_sample_feeds_and_quits_cleanly(isolated_home: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", TEXTUAL_ANIMATIONS="none")
    child = pexpect.spawn(tuinews_script(), env=env, dimensions=(24, 80), timeout=30)
    screen = Screen(child)
    try:
        screen.wait_for("sample feeds")  # the hint in the status line
        screen.wait_for("palette")  # the footer is drawn
        screen.forget()
        child.send("j")
        child.send("j")
        child.send("\r")  # open in the reader (one pane at 80×24)
        screen.wait_for("Feed:")
        # A lone ESC, not the start of an Alt+key sequence: the next key goes once the
        # ESC has had its effect (a 0.3 s pause was too short on a busy machine: ESC
        # and the next key came in one read, as Alt+key, and q never quit).
        child.send("\x1b")  # back to the list
        screen.wait_until_gone("Feed:")
        screen.forget()
        child.send("?")
        screen.wait_for("Keys")
        child.send("\x1b")
        screen.wait_until_gone("Keys (rebind")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    tail = _ended(child, status=0)
    # The terminal was restored: the alternate screen left and the cursor shown again.
    assert b"\x1b[?1049l" in tail
    assert b"\x1b[?25h" in tail


def _ended(child: pexpect.spawn, *, status: int) -> bytes:  # type: ignore[type-arg]
    """The last bytes the reader wrote, once it ended with `status`."""
    output = child.before or b""
    assert child.exitstatus == status, output[-500:]
    return bytes(output[-300:])


@pytest.mark.parametrize("when", ["up", "loading"])
def test_sigterm_quits_the_reader_and_gives_the_terminal_back(
    isolated_home: Path, when: str
) -> None:
    """`kill` (a logout, a supervisor): the reader died at once, leaving the terminal
    in the alternate screen with mouse reporting on and no cursor (a tester's find);
    also while it loads, before Textual's own handler (a regression tester's find)."""
    import signal

    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    env.update(TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
    child = pexpect.spawn(tuinews_script(), env=env, dimensions=(24, 80), timeout=30)
    screen = Screen(child)
    try:
        if when == "up":
            screen.wait_for("palette")  # the footer is drawn: Textual is up
        else:
            child.expect(b"\x1b\\[\\?1049h")  # the alternate screen: loading
        child.kill(signal.SIGTERM)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    tail = _ended(child, status=143)
    assert b"\x1b[?1049l" in tail
    assert b"\x1b[?25h" in tail
    assert b"\x1b[?1000l" in tail  # mouse reporting off


def test_the_first_subscription_made_on_the_samples_opens_the_users_feeds(
    isolated_home: Path,
) -> None:
    # It used to say "Restart tuinews to read your feeds".
    from feedserver import FeedServer, rss, static

    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", TEXTUAL_ANIMATIONS="none")
    with FeedServer() as server:
        url = server.route("/mine.xml", static(rss(3, title="My Own Feed", prefix="mine")))
        child = pexpect.spawn(tuinews_script(), env=env, dimensions=(24, 80), timeout=30)
        screen = Screen(child)
        try:
            screen.wait_for("sample feeds")
            screen.wait_for("palette")
            child.send("a")
            screen.wait_for("Add")
            time.sleep(0.3)
            child.send(url + "\r")
            screen.forget()
            screen.wait_for("Subscribed to My Own Feed: 3 articles.")
            screen.wait_for("mine 3")  # a headline of the new feed, not a sample
            child.send("q")
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert child.exitstatus == 0, (child.before or b"")[-500:]
