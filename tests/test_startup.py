"""The console script turns Python's cycle collector off while it loads, and back on
once loading is over (`tuinews.startup`). Left off, a long refresh or a reader open for
days would keep every reference cycle it ever made; so each command, the refresh's
parse workers included, must be collecting by the time it does its work."""

from __future__ import annotations

import gc
import os
import subprocess
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated
from test_cli import TUINEWS
from tuinews import startup

# Run by the console script's Python at start (sitecustomize): writes, at each store
# connection, each HTTP connection and at exit, which process it is and the collector's
# state.
REPORTER = """
import atexit, gc, os, sys
_MAIN = os.getpid()

def _report(event, args):
    if event in ("socket.connect", "sqlite3.connect", "exit"):
        who = "main" if os.getpid() == _MAIN else "worker"
        frozen = gc.get_freeze_count() > 0
        with open(os.environ["GC_REPORT"], "a", encoding="utf-8") as report:
            report.write(f"{event} {who} enabled={gc.isenabled()} frozen={frozen}\\n")

sys.addaudithook(_report)
atexit.register(_report, "exit", ())
"""


def _reporting(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose Python runs REPORTER, and the file it writes."""
    hooks = tmp_path / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(REPORTER, encoding="utf-8")
    report = tmp_path / "report.txt"
    report.unlink(missing_ok=True)
    return {**os.environ, "PYTHONPATH": str(hooks), "GC_REPORT": str(report)}, report


def _run(tmp_path: Path, urls: list[str], *args: str) -> list[str]:
    env, report = _reporting(tmp_path)
    config = tmp_path / "feeds.toml"
    config.write_text("".join(f'[[feeds]]\nurl = "{u}"\n\n' for u in urls), encoding="utf-8")
    env.update(TUINEWS_CONFIG=str(config), TUINEWS_DB=str(tmp_path / "s.db"))
    done = subprocess.run(
        [str(TUINEWS), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return report.read_text(encoding="utf-8").splitlines()


def test_a_refresh_collects_in_its_process_and_its_parse_workers(
    server: FeedServer, tmp_path: Path
) -> None:
    # Enough to parse in worker processes (forked while the command loads).
    urls = [
        server.route(f"/f{n}", Generated(items=200, title=f"F{n}", item_bytes=1650))
        for n in range(12)
    ]
    lines = _run(tmp_path, urls, "refresh", "--quiet")
    requests = [line for line in lines if line.startswith("socket.connect main")]
    assert requests and requests[0] == "socket.connect main enabled=True frozen=True"
    in_workers = [line for line in lines if " worker " in line]
    assert in_workers, "the refresh parsed in this process: no worker to check"
    assert set(in_workers) == {"sqlite3.connect worker enabled=True frozen=True"}


def test_other_commands_collect_by_the_time_they_open_the_store(
    server: FeedServer, tmp_path: Path
) -> None:
    url = server.route("/feed", Generated(items=3, title="Small"))
    _run(tmp_path, [url], "refresh", "--quiet")
    for command in (["list"], ["feeds"], ["mark-read", "--all"]):
        lines = _run(tmp_path, [url], *command)
        opened = [line for line in lines if line.startswith("sqlite3.connect main")]
        assert opened, command
        assert opened[-1] == "sqlite3.connect main enabled=True frozen=True", command


def test_the_reader_collects_once_it_is_running(tmp_path: Path, sample_feeds: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    feed = str(sample_feeds / "city-desk.rss")
    _run(tmp_path, [feed], "refresh", "--quiet")  # so the reader does not refresh at start
    env, report = _reporting(tmp_path)
    env.pop("NO_COLOR", None)
    env.update(
        TUINEWS_CONFIG=str(tmp_path / "feeds.toml"),
        TUINEWS_DB=str(tmp_path / "s.db"),
        TERM="xterm-256color",
        COLUMNS="80",
        LINES="24",
        TEXTUAL_ANIMATIONS="none",
    )
    child = pexpect.spawn(str(TUINEWS), env=env, dimensions=(24, 80), timeout=30)
    try:
        child.expect("palette")  # the footer: the reader is running
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    lines = report.read_text(encoding="utf-8").splitlines()
    assert not any(line.startswith("socket.connect") for line in lines)
    assert lines[-1] == "exit main enabled=True frozen=True"


def test_without_the_console_script_the_collector_is_left_as_it_was() -> None:
    """Tests and programs that call tuinews's functions keep their own setting."""
    gc.disable()
    try:
        startup.loaded()
        assert not gc.isenabled()
    finally:
        gc.enable()
