"""A program in a real pseudo-terminal, with every byte it writes timestamped.

    with PtySession(argv, env, columns=120, rows=40) as session:
        seen_at = session.wait_for(re.compile("tok000x0000"), timeout=60)
        pressed_at = session.press(b"j")
        first = session.first_byte_after(pressed_at)
        quiet_at = session.wait_quiet(0.3)
        session.bytes_between(pressed_at, quiet_at)

A reader thread reads the master side and records (perf_counter, bytes) chunks; the same
bytes go into a pyte screen so the harness can tell what the user would see.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path
from types import TracebackType

try:
    import pyte  # a terminal emulator: benchmark-only dependency
except ImportError as missing:
    raise SystemExit(
        "the TUI benchmark needs pyte: .venv/bin/python -m pip install pyte"
    ) from missing


class PtySession:
    def __init__(self, argv: list[str], env: dict[str, str], *, columns: int, rows: int) -> None:
        self.argv = argv
        self.env = env
        self.columns = columns
        self.rows = rows
        self.chunks: list[tuple[float, bytes]] = []
        self.screen = pyte.Screen(columns, rows)
        self._stream = pyte.ByteStream(self.screen)
        self._changed = threading.Condition()
        self._watch: re.Pattern[str] | None = None
        self._watch_seen: float | None = None
        self.started = 0.0
        self.last_input = 0.0
        self.process: subprocess.Popen[bytes] | None = None
        self.master = -1

    # ---- lifecycle ---------------------------------------------------------------

    def start(self, watch: re.Pattern[str] | None = None) -> PtySession:
        """Spawn; `watch` is looked for on the screen after every chunk (see watch_seen)."""
        self._watch = watch
        master, slave = os.openpty()
        # The size is set before the program starts, so its first frame is 120x40.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        self.master = master
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=_take_controlling_tty,
            close_fds=True,
        )
        os.close(slave)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def __enter__(self) -> PtySession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait_exit(self, timeout: float) -> bool:
        assert self.process is not None
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO once the child side is closed
                data = b""
            now = time.perf_counter()
            with self._changed:
                if not data:
                    self._changed.notify_all()
                    return
                self.chunks.append((now, data))
                self._stream.feed(data)
                watching = self._watch is not None and self._watch_seen is None
                if watching and any(self._watch.search(line) for line in self.screen.display):  # type: ignore[union-attr]
                    self._watch_seen = now
                self._changed.notify_all()

    # ---- input and observation ---------------------------------------------------

    def press(self, keys: bytes) -> float:
        """Write keys; returns the time just before the write."""
        now = time.perf_counter()
        os.write(self.master, keys)
        self.last_input = now
        return now

    def watch_seen(self, timeout: float) -> float | None:
        """When the watched pattern first appeared on screen (perf_counter), or None."""
        deadline = time.perf_counter() + timeout
        with self._changed:
            while self._watch_seen is None:
                left = deadline - time.perf_counter()
                if left <= 0 or (self.process is not None and self.process.poll() is not None):
                    break
                self._changed.wait(min(left, 0.1))
            return self._watch_seen

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> float | None:
        """When the screen first shows `pattern` from now on (perf_counter), or None."""
        deadline = time.perf_counter() + timeout
        with self._changed:
            while True:
                if any(pattern.search(line) for line in self.screen.display):
                    return self.chunks[-1][0] if self.chunks else time.perf_counter()
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._changed.wait(min(left, 0.1))

    def first_byte_after(self, moment: float, timeout: float = 10.0) -> float | None:
        deadline = time.perf_counter() + timeout
        with self._changed:
            while True:
                candidate = next((when for when, _ in self._after(moment)), None)
                if candidate is not None:
                    return candidate
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self._changed.wait(min(left, 0.05))

    def _after(self, moment: float) -> list[tuple[float, bytes]]:
        # Chunks are appended in time order: scan back from the end.
        index = len(self.chunks)
        while index > 0 and self.chunks[index - 1][0] > moment:
            index -= 1
        return self.chunks[index:]

    def wait_quiet(self, window: float, since: float | None = None, timeout: float = 30.0) -> float:
        """Wait until neither output nor input happened for `window` seconds; returns the
        last byte's time (or the last key press, or `since`, when later)."""
        deadline = time.perf_counter() + timeout
        while True:
            with self._changed:
                last = self.chunks[-1][0] if self.chunks else self.started
            # A key just written counts as activity: the program may not have answered yet.
            last = max(last, since or 0.0, self.last_input)
            now = time.perf_counter()
            if now - last >= window or now >= deadline:
                return last
            time.sleep(window - (now - last) + 0.001)

    def bytes_between(self, start: float, end: float) -> bytes:
        with self._changed:
            return b"".join(data for when, data in self.chunks if start < when <= end)

    def display(self) -> list[str]:
        with self._changed:
            return list(self.screen.display)

    # ---- /proc -------------------------------------------------------------------

    def pids(self) -> list[int]:
        """The program and its descendants."""
        assert self.process is not None
        found = [self.process.pid]
        index = 0
        while index < len(found):
            pid = found[index]
            index += 1
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                    found.extend(int(child) for child in children)
            except OSError:
                continue
        return found

    def peak_rss_kb(self) -> int:
        """VmHWM summed over the program and its children."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def cpu_seconds(self) -> float:
        """utime + stime of the program and its children, all threads."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat
        return ticks / os.sysconf("SC_CLK_TCK")


def _take_controlling_tty() -> None:
    # Runs in the child after setsid: make the pty its controlling terminal, as a
    # terminal emulator does, so /dev/tty and SIGWINCH work.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


CURSOR_MOVE = re.compile(rb"\x1b\[(\d+)(?:;(\d+))?H")


def rows_written(data: bytes) -> list[int]:
    """Screen rows (1-based) that the output positions the cursor on: where it draws."""
    return sorted({int(match.group(1)) for match in CURSOR_MOVE.finditer(data)})


def bytes_by_region(data: bytes, split_column: int) -> dict[str, int]:
    """Output bytes by where they are drawn: "row R left|right" of `split_column` (by the
    absolute cursor moves before them; ncurses's relative moves land in "unplaced")."""
    regions: dict[str, int] = {}
    where = "unplaced"
    position = 0
    for match in CURSOR_MOVE.finditer(data):
        regions[where] = regions.get(where, 0) + match.start() - position
        row, column = int(match.group(1)), int(match.group(2) or 1)
        where = f"row {row:02d} {'left' if column <= split_column else 'right'}"
        position = match.start()
    regions[where] = regions.get(where, 0) + len(data) - position
    return dict(sorted(regions.items()))
