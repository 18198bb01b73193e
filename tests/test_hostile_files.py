"""Hostile local files met by the real script: subscription lists with bad entries,
broken settings files, and store files that are not ours.

What a user must see: one line per problem naming the file (and the line and key for
settings), no quiet start with defaults, and their files left exactly as they were.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hostile import hostile_opml
from tuinews.store.schema import APPLICATION_ID, SCHEMA_VERSION

TUINEWS = Path(sys.executable).parent / "tuinews"


def run(home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "TERM")}
    env.update(TUINEWS_CONFIG=str(home / "config.toml"), TUINEWS_DB=str(home / "store.db"))
    done = subprocess.run(
        [str(TUINEWS), *args],
        input=stdin.decode(),
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=60,
        check=False,
    )
    return done


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- subscription lists --------------------------------------------------------------------


def test_opml_with_missing_relative_and_non_http_urls(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "local.xml").write_text("<rss version='2.0'><channel><title>L</title></channel></rss>")
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    marker = tmp_path / "pwned"
    entries: list[tuple[str, str | None]] = [
        ("no url", None),
        ("empty url", ""),
        ("relative missing", "feeds/none.xml"),
        ("relative escaping", "../secret.txt"),
        ("file outside", f"file://{secret}"),
        ("ftp", "ftp://x.example/feed"),
        ("javascript", "javascript:alert(1)"),
        ("data", "data:text/xml,<rss/>"),
        ("exec", f"exec:touch {marker}"),
        ("schemeless host", "//x.example/feed"),
        ("relative inside", "local.xml"),
        # ${IFS}, not spaces: a URL with spaces inside is refused (it would name another
        # address); this one is imported, and nothing may run it through a shell.
        (
            "shell chars",
            f"https://ok.example/a?$(touch${{IFS}}{marker})&b=`touch${{IFS}}{marker}`;x",
        ),
        ("good", "https://good.example/feed"),
    ]
    opml = lists / "list.opml"
    opml.write_bytes(hostile_opml(entries))
    done = run(tmp_path, "import", str(opml))
    assert done.returncode == 0, done.stderr
    skipped = done.stderr.splitlines()
    assert len(skipped) == 10, done.stderr
    for line in skipped:
        assert line.startswith(f"tuinews: {opml}: skipped ")
    assert "outside the list's folder" in done.stderr
    assert "imported 3 feeds" in done.stdout
    config = (tmp_path / "config.toml").read_text()
    assert str(lists / "local.xml") in config
    assert "good.example" in config and "ok.example" in config
    assert "secret" not in config and "passwd" not in config
    assert not marker.exists()
    # The file written is valid and lists exactly what was imported.
    feeds = run(tmp_path, "feeds")
    assert feeds.returncode == 0, feeds.stderr
    assert len(feeds.stdout.splitlines()) == 3


def test_opml_that_is_not_opml_is_one_line(tmp_path: Path) -> None:
    for name, data in {
        "binary.opml": bytes(range(256)) * 10,
        "truncated.opml": hostile_opml([("a", "https://a.example/")])[:60],
        "empty.opml": b"",
        "html.opml": b"<html><body>hello</body></html>",
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        done = run(tmp_path, "import", str(path))
        assert done.returncode == 1, (name, done.stdout)
        assert len(done.stderr.splitlines()) == 1, (name, done.stderr)
        assert str(path) in done.stderr or name in done.stderr
        assert not (tmp_path / "config.toml").exists()


# --- settings --------------------------------------------------------------------------------

BAD_CONFIGS = {
    "syntax": ('[refresh]\ntimeout = 3\n[ui\nbrowser = "x"\n', ":3", ""),
    "unterminated string": ('[[feeds]]\nurl = "https://a.example/\n', ":2", ""),
    "wrong type": ('[refresh]\ntimeout = "fast"\n', ":2", "refresh.timeout"),
    "wrong feed type": ("[[feeds]]\nurl = 5\n", ":2", "feeds[1].url"),
    "wrong table type": ("refresh = 5\n", ":1", "refresh"),
    "browser list": ('[ui]\nbrowser = ["firefox"]\n', ":2", "ui.browser"),
    "unknown key": ("[refresh]\ntimeout = 3\ntimout = 4\n", ":3", "refresh.timout"),
    "binary": ("\x00\x01\x02garbage\xff", "", ""),
}


# Each case meets a different command (the reader, with no command, among them): every
# command loads the settings through the same function, so the pairs cover both axes.
COMMANDS = [["refresh"], ["list"], ["feeds"], [], ["add", "https://n.example/"], ["export"]]


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_broken_settings_stop_every_command_with_file_line_and_key(
    tmp_path: Path, case: str
) -> None:
    text, line, key = BAD_CONFIGS[case]
    command = COMMANDS[list(BAD_CONFIGS).index(case) % len(COMMANDS)]
    config = tmp_path / "config.toml"
    config.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    before = digest(config)
    done = run(tmp_path, *command)
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert str(config) + line in lines[0]
    assert key in lines[0]
    assert "Traceback" not in done.stderr
    # No quiet start with defaults: nothing was fetched, created or rewritten.
    assert not (tmp_path / "store.db").exists()
    assert digest(config) == before


# --- store files ----------------------------------------------------------------------------


def _subscribed(home: Path) -> None:
    (home / "config.toml").write_text(
        '[retention]\ndays = 30\n[[feeds]]\nurl = "http://127.0.0.1:9/feed"\n'
    )


STORE_COMMANDS = [["refresh"], ["list", "--search", "x"], ["mark-read", "--all"], ["cleanup"]]


def _refused(home: Path, store: Path, words: str) -> None:
    before = digest(store)
    siblings = sorted(p.name for p in home.iterdir())
    for command in STORE_COMMANDS:
        done = run(home, *command)
        assert done.returncode != 0, (command, done.stdout)
        lines = done.stderr.splitlines()
        assert len(lines) == 1, (command, done.stderr)
        assert str(store) in lines[0] and words in lines[0], (command, lines)
        assert digest(store) == before, command
    # No journal, WAL or lock file left beside it (the refresh lock is ours, not SQLite's).
    after = sorted(p.name for p in home.iterdir() if not p.name.endswith(".refresh-lock"))
    assert after == siblings


@pytest.mark.parametrize(
    "content",
    [
        b"not a database, just some text\n" * 200,
        b"SQLite format 3\x00" + bytes(range(256)) * 16,  # a damaged header
        bytes(4096),
    ],
    ids=["text", "damaged-header", "zeros"],
)
def test_store_that_is_not_sqlite_is_refused_and_untouched(tmp_path: Path, content: bytes) -> None:
    _subscribed(tmp_path)
    store = tmp_path / "store.db"
    store.write_bytes(content)
    _refused(tmp_path, store, "store")


def test_store_from_a_newer_schema_is_refused_and_untouched(tmp_path: Path) -> None:
    _subscribed(tmp_path)
    store = tmp_path / "store.db"
    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    _refused(tmp_path, store, "newer tuinews")


@pytest.mark.parametrize("version", [1, 5, SCHEMA_VERSION, 74])
def test_another_programs_database_with_a_user_version_is_refused_and_untouched(
    tmp_path: Path, version: int
) -> None:
    # A tester's find: it was "upgraded" (switched to WAL for good, then a migration
    # failed on a missing trigger). Only a user_version of 0 was recognised as foreign.
    _subscribed(tmp_path)
    store = tmp_path / "store.db"
    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('x')")
        conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    _refused(tmp_path, store, "not a tuinews store (a database of another program)")
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_reader_refuses_a_foreign_store_in_a_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    _subscribed(tmp_path)
    store = tmp_path / "store.db"
    store.write_bytes(b"not a database\n" * 300)
    before = digest(store)
    env = dict(os.environ, TUINEWS_CONFIG=str(tmp_path / "config.toml"), TUINEWS_DB=str(store))
    child = pexpect.spawn(str(TUINEWS), env=env, dimensions=(24, 80), timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    output = (child.before or b"").decode(errors="replace")
    assert child.exitstatus == 1
    assert "not a tuinews store" in output and str(store) in output
    assert "\x1b[?1049h" not in output  # stopped before the full-screen reader started
    assert digest(store) == before
