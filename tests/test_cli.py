"""The command line as a user meets it: sources, output formats, errors, colour, pipes.

Where the real console script matters (exit status, stderr, stdin, pipes, terminals) the
tests run it in a subprocess; elsewhere they call `tuinews.cli.main` in-process.
The helpers here (`Cli`, `cli` fixture) are shared with test_cli_store/subscriptions.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedserver import FeedServer, closed_port_url, rss, static, status
from tuinews.cli import main

TUINEWS = Path(sys.executable).parent / "tuinews"
ESC = "\x1b"


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


class Cli:
    """Runs tuinews with its own config and store files in a temporary folder."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = tmp_path
        self.config = tmp_path / "config.toml"
        self.db = tmp_path / "store.db"
        self._capsys = capsys
        # conftest already points XDG at tmp; the child gets the same, stated explicitly.
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM")
        }
        self.env.update(
            TUINEWS_CONFIG=str(self.config), TUINEWS_DB=str(self.db), PYTHONUNBUFFERED="1"
        )

    def run(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        """The real console script in a subprocess."""
        done = subprocess.run(
            [str(TUINEWS), *args],
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env={**self.env, **(env or {})},
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))

    def call(self, *args: str) -> Result:
        """`tuinews.cli.main` in this process (faster; stdout is not a terminal)."""
        os.environ["TUINEWS_CONFIG"] = str(self.config)
        os.environ["TUINEWS_DB"] = str(self.db)
        self._capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse: usage errors, --help
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


def make_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.delenv("NO_COLOR", raising=False)
    # A settings file named by TUINEWS_CONFIG must exist for the commands that read the
    # subscriptions; an empty one holds none.
    (tmp_path / "config.toml").touch()
    monkeypatch.setenv("TUINEWS_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TUINEWS_DB", str(tmp_path / "store.db"))
    return Cli(tmp_path, capsys)


def run_in_terminal(
    args: list[str], env: dict[str, str], columns: int = 100, answer: bytes | None = None
) -> tuple[int, str]:
    """Run the console script with a pseudo-terminal as stdout/stderr; return its output.
    With `answer`, the terminal is its stdin too, and `answer` is typed at its question
    (a prompt ending in "[y/N] ")."""
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    child = subprocess.Popen(
        [str(TUINEWS), *args],
        stdin=subprocess.DEVNULL if answer is None else follower,
        stdout=follower,
        stderr=follower,
        env={**env, "TERM": "xterm-256color"},
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
            if answer is not None and b"".join(chunks).endswith(b"[y/N] "):
                os.write(leader, answer)
                answer = None
        elif child.poll() is not None:
            break
    os.close(leader)
    try:
        code = child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()  # a hung child must not outlive the test run
        child.wait()
        raise
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


# --- the basics --------------------------------------------------------------------------


def test_version_help_and_module(cli: Cli) -> None:
    version = cli.run("--version")
    assert version.status == 0
    assert version.out.startswith("tuinews ")
    module = subprocess.run(
        [sys.executable, "-m", "tuinews", "--version"],
        capture_output=True,
        text=True,
        env=cli.env,
        check=False,
    )
    assert module.returncode == 0
    assert module.stdout == version.out

    top = cli.call("--help")
    assert top.status == 0
    commands = [
        "list",
        "read",
        "refresh",
        "add",
        "remove",
        "feeds",
        "import",
        "export",
        "mark-read",
        "cleanup",
    ]
    for command in commands:
        assert f"    {command} " in top.out, command
        own = cli.call(command, "--help")
        assert own.status == 0
        assert own.out.startswith("usage: tuinews " + command)


def test_usage_error_is_short(cli: Cli) -> None:
    result = cli.run("list", "--limit", "zero")
    assert result.status == 2
    assert "--limit" in result.err
    assert "Traceback" not in result.err


# --- list SOURCE -------------------------------------------------------------------------


def test_a_mistyped_command_is_named_as_one(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    # `tuinews lst` used to be taken for a file the reader could not open.
    result = cli.call("lst")
    assert (result.status, result.err_lines) == (
        2,
        ["tuinews: lst: no such command or file; did you mean `tuinews list`?"],
    )
    monkeypatch.chdir(cli.root)
    (cli.root / "lst").write_text("a note\n")  # a file of that name is read, as ever
    assert "did you mean" not in cli.call("lst").err


def test_list_file_newest_first_with_limit(cli: Cli, sample_feeds: Path) -> None:
    every = cli.call("list", "--json", str(sample_feeds / "city-desk.rss"))
    assert every.status == 0
    records = json_lines(every.out)
    assert len(records) == 9
    dates = [datetime.fromisoformat(str(r["published"])) for r in records]
    assert dates == sorted(dates, reverse=True)

    plain = cli.call("list", "--limit", "3", str(sample_feeds / "city-desk.rss"))
    lines = plain.out.splitlines()
    assert len(lines) == 3
    for line, record in zip(lines, records, strict=False):
        assert str(record["title"]) in line


def test_list_json_fields(cli: Cli, sample_feeds: Path) -> None:
    result = cli.call("list", "--json", str(sample_feeds / "lab-notes.atom"))
    assert result.status == 0
    records = json_lines(result.out)
    assert records
    for record in records:
        for key in ("id", "feed", "title", "link", "published", "author", "summary"):
            assert key in record, key
        assert isinstance(record["id"], str) and record["id"]
        published = record["published"]
        if published is not None:
            assert isinstance(published, str)
            assert published.endswith("Z")  # UTC, ISO 8601
            assert datetime.fromisoformat(published).utcoffset() == UTC.utcoffset(None)
        assert "<" not in str(record["summary"]), "summary is plain text"
    assert records[0]["feed"] == "Lab Notes — Port Alder Polytechnic Systems Group"
    assert str(records[0]["link"]).startswith("https://")


def test_bad_sources_mixed_with_good(cli: Cli, server: FeedServer, sample_feeds: Path) -> None:
    good_url = server.route("/good", static(rss(2, title="Remote")))
    html_url = server.route(
        "/page",
        static(
            b"<!DOCTYPE html><html><head><title>Blog</title></head><body>hi</body></html>",
            content_type="text/html",
        ),
    )
    missing_url = server.route("/gone", status(404))
    refused = closed_port_url()
    missing_file = str(cli.root / "nope.xml")
    result = cli.run(
        "list",
        missing_file,
        good_url,
        html_url,
        str(sample_feeds / "field-journal.rdf"),
        missing_url,
        refused,
    )
    assert result.status == 1
    assert "Traceback" not in result.err
    bad = [missing_file, html_url, missing_url, refused]
    assert len(result.err_lines) == len(bad), result.err
    for source, line in zip(bad, result.err_lines, strict=True):
        assert line.startswith(f"tuinews: {source}: "), line
        assert len(line) > len(f"tuinews: {source}: ") + 3, "a reason is given"
    assert "no such file" in result.err_lines[0]
    assert "404" in result.err_lines[2]
    assert "item 2 v0" in result.out
    assert "First frost on the salt marsh" in result.out


def test_stdin_file_url_directory_and_opml(cli: Cli, sample_feeds: Path) -> None:
    rss_bytes = (sample_feeds / "terminal-hours.rss").read_bytes()
    from_stdin = cli.run("list", "-", stdin=rss_bytes)
    assert from_stdin.status == 0, from_stdin.err
    assert "42: The escape character" in from_stdin.out

    garbage = cli.run("list", "-", stdin=b"\x00\x01 not a feed at all \xff")
    assert garbage.status == 1
    assert garbage.err.startswith("tuinews: -: ")

    file_url = (sample_feeds / "lab-notes.atom").as_uri()
    by_url = cli.call("list", file_url)
    assert by_url.status == 0
    assert "Why our sensor buoys stopped speaking JSON" in by_url.out

    folder = cli.call("list", "--json", str(sample_feeds / "articles"))
    assert folder.status == 0
    assert len(json_lines(folder.out)) >= 5

    listing = cli.call("list", "--json", str(sample_feeds / "subscriptions.opml"))
    assert listing.status == 0, listing.err
    feeds = {str(record["feed"]) for record in json_lines(listing.out)}
    assert {"Terminal Hours", "Lanternfish release notes", "articles"} <= feeds
    assert len(feeds) == 6


def test_opml_source_with_remote_and_broken_entries(
    cli: Cli, server: FeedServer, tmp_path: Path
) -> None:
    good = server.route("/a", static(rss(2, title="Alpha", prefix="alpha")))
    gone = server.route("/c", status(500))
    listing = tmp_path / "list.opml"
    listing.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        f'<outline text="Alpha" xmlUrl="{good}"/>'
        f'<outline text="Down" xmlUrl="{gone}"/>'
        "</body></opml>"
    )
    result = cli.run("list", str(listing))
    assert result.status == 1
    assert "alpha 2 v0" in result.out
    assert result.err_lines == [line for line in result.err_lines if line.startswith("tuinews: ")]
    assert len(result.err_lines) == 1
    assert gone in result.err


# --- read SOURCE -------------------------------------------------------------------------


def test_read_index_and_out_of_range(cli: Cli, sample_feeds: Path) -> None:
    feed = str(sample_feeds / "city-desk.rss")
    first = cli.call("read", feed)
    assert first.status == 0
    assert first.out.startswith("Storm surge advisory for the Outer Quay tonight")
    second = cli.call("read", feed, "--index", "2")
    assert "Night ferry returns" in second.out.splitlines()[0]
    beyond = cli.run("read", feed, "--index", "99")
    assert beyond.status == 1
    assert beyond.out == ""
    assert beyond.err_lines == [f"tuinews: {feed}: has 9 articles; there is no number 99"]


@pytest.mark.parametrize("width", [24, 40, 72])
def test_read_width_is_respected(cli: Cli, sample_feeds: Path, width: int) -> None:
    sources = [
        *sorted(p for p in sample_feeds.iterdir() if p.suffix in (".rss", ".atom", ".json")),
        *sorted((sample_feeds / "articles").iterdir()),
    ]
    for source in sources:
        for index in ("1", "2"):
            result = cli.call("read", str(source), "--index", index, "--width", str(width))
            if result.status != 0:
                continue  # a one-article file has no second article
            assert ESC not in result.out
            # Only an address longer than the width runs past it, whole (the terminal
            # wraps it as it draws), after what fits.
            too_long = [
                line
                for line in result.out.splitlines()
                if len(line) > width
                and not (_is_address(line.split()[-1]) and len(line.rsplit(" ", 1)[0]) < width)
            ]
            assert not too_long, (source.name, index, too_long[:3])


def _is_address(word: str) -> bool:
    return re.match(r"[a-z][a-z0-9+.-]*:\S", word) is not None or word.startswith("/")


def test_read_keeps_addresses_whole_on_their_line(cli: Cli, tmp_path: Path) -> None:
    """`tuinews read ID | grep Link:` found 74 of an address's 314 characters: the rest
    was folded onto three more lines (so was a terminal's click-to-open)."""
    link = "https://www.google.com/url?rct=j&sa=t&url=https://news.example/" + "a" * 200
    audio = "https://cdn.example/" + "b" * 100 + ".mp3"
    feed = tmp_path / "alerts.rss"
    feed.write_text(
        "<rss version='2.0'><channel><title>Alerts</title><item><title>Long one</title>"
        f"<link>{link.replace('&', '&amp;')}</link>"
        f"<enclosure url='{audio}' type='audio/mpeg' length='3000000'/>"
        f"<description>&lt;a href='{link.replace('&', '&amp;')}'&gt;There&lt;/a&gt;"
        "</description></item></channel></rss>"
    )
    for shown in (
        cli.call("read", str(feed)).out,
        cli.call("read", str(feed), "--width", "40").out,
    ):
        lines = shown.splitlines()
        assert f"Link: {link}" in lines
        assert f"Enclosure: {audio} (audio/mpeg, 2.9 MB) [1]" in lines or any(
            line == f"Enclosure: {audio}" for line in lines
        )
        assert f"[2] {link}" in lines
    # Wide characters (an international name) went Rich's way, and were folded.
    wide = "http://例え.テスト/" + "あ" * 30
    feed.write_text(
        "<rss version='2.0'><channel><title>Wide</title><item><title>T</title>"
        f"<link>{wide}</link><description>&lt;a href='{wide}/x'&gt;x&lt;/a&gt;</description>"
        "</item></channel></rss>"
    )
    lines = cli.call("read", str(feed), "--width", "30").out.splitlines()
    assert f"Link: {wide}" in lines and f"[1] {wide}/x" in lines


def test_plain_in_pipe_colour_on_terminal_and_no_color(cli: Cli, sample_feeds: Path) -> None:
    feed = str(sample_feeds / "lab-notes.atom")
    piped = cli.run("read", feed)
    assert piped.status == 0
    assert ESC not in piped.out
    listed = cli.run("list", feed)
    assert ESC not in listed.out

    code, shown = run_in_terminal(["read", feed], cli.env)
    assert code == 0
    assert ESC + "[" in shown, "a terminal gets styles"
    code, plain = run_in_terminal(["read", feed], {**cli.env, "NO_COLOR": "1"})
    assert code == 0
    assert "Why our sensor buoys stopped speaking JSON" in plain
    assert ESC not in plain


def test_read_follows_terminal_width(cli: Cli, sample_feeds: Path) -> None:
    code, shown = run_in_terminal(
        ["read", str(sample_feeds / "city-desk.rss")], {**cli.env, "NO_COLOR": "1"}, columns=50
    )
    assert code == 0
    lines = shown.replace("\r", "").splitlines()
    # An address longer than the line runs past it, for the terminal to wrap.
    lines = [line for line in lines if not _is_address(line.split()[-1] if line else "")]
    assert max(len(line) for line in lines) <= 50
    assert max(len(line) for line in lines) >= 40


# --- pipes, tracebacks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list", "{samples}"],
        ["list", "--json", "{samples}"],
        ["read", "{samples}/city-desk.rss"],
    ],
)
def test_closed_pipe_is_not_an_error(cli: Cli, sample_feeds: Path, args: list[str]) -> None:
    """`tuinews list | head -1`: the reader leaves early; no traceback, no error."""
    argv = [str(TUINEWS), *(a.replace("{samples}", str(sample_feeds)) for a in args)]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    child = subprocess.run(
        argv, stdout=write_end, stderr=subprocess.PIPE, env=cli.env, timeout=60, check=False
    )
    os.close(write_end)
    assert child.stderr == b""
    assert child.returncode == 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize(
    "args",
    [
        ["list", "{samples}"],
        ["list", "--json", "{samples}"],
        ["read", "{samples}/lab-notes.atom"],
        ["--help"],  # argparse dropped a failed write of the help: status 0
        ["--version"],
        ["list", "--help"],
    ],
)
def test_a_full_standard_output_is_named_and_fails(
    cli: Cli, sample_feeds: Path, args: list[str]
) -> None:
    """`tuinews list > /dev/full` in a script: the line says the output could not be
    written, and the status says the command failed (a short output failed only at exit,
    unsaid, with status 0)."""
    argv = [str(TUINEWS), *(a.replace("{samples}", str(sample_feeds)) for a in args)]
    with open("/dev/full", "wb") as full:
        child = subprocess.run(
            argv, stdout=full, stderr=subprocess.PIPE, env=cli.env, timeout=60, check=False
        )
    assert child.stderr.decode() == "tuinews: standard output: No space left on device\n"
    assert child.returncode == 1


def test_closed_pipe_after_first_line(cli: Cli, sample_feeds: Path) -> None:
    child = subprocess.Popen(
        [str(TUINEWS), "list", str(sample_feeds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env,
    )
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    child.stdout.close()
    error = child.stderr.read()
    child.wait(timeout=60)
    assert first.strip()
    assert b"Traceback" not in error
    assert error == b""


def test_debug_shows_traceback_only_when_asked(cli: Cli) -> None:
    cli.config.write_text("[refresh]\ntimeout = 'soon'\n")
    quiet = cli.run("refresh")
    assert quiet.status == 1
    assert "Traceback" not in quiet.err
    loud = cli.run("--debug", "refresh")
    assert loud.status != 0
    assert "Traceback" in loud.err


# --- a broken settings file ----------------------------------------------------------------

BROKEN_CONFIGS = {
    "syntax": ("# my feeds\n[refresh\ntimeout = 5\n", "config.toml:2"),
    "type": ("# my feeds\n[refresh]\ntimeout = 'soon'\n", "config.toml:3"),
    "feed type": ('[[feeds]]\nurl = "http://example.com/f"\ntags = "x"\n', "config.toml:3"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN_CONFIGS))
def test_broken_config_names_file_line_and_key(cli: Cli, sample_feeds: Path, kind: str) -> None:
    text, where = BROKEN_CONFIGS[kind]
    cli.config.write_text(text)
    invocations = [
        ["list"],
        ["list", str(sample_feeds / "city-desk.rss")],
        ["refresh"],
        ["feeds"],
        ["add", "https://example.org/feed.xml"],
        ["export"],
        ["mark-read", "--all"],
        [],  # the reader itself
        [str(sample_feeds / "city-desk.rss")],
    ]
    for args in invocations:
        # The reader's launch goes through the real script; the rest in-process (faster).
        result = cli.run(*args) if not args else cli.call(*args)
        assert result.status == 1, (args, result)
        assert len(result.err_lines) == 1, (args, result.err)
        line = result.err_lines[0]
        assert line.startswith(f"tuinews: {cli.config}:"), line
        assert where in line, line
        if kind == "type":
            assert "refresh.timeout" in line
        if kind == "feed type":
            assert "tags" in line
        assert result.out == ""
    assert cli.config.read_text() == text, "a broken file is never rewritten"


def test_long_output_in_a_pipe_arrives_whole(cli: Cli, tmp_path: Path) -> None:
    # The script ends without Python's teardown (cli._exit_now): what it printed must
    # still all be flushed to the pipe, and the exit status kept.
    feed = tmp_path / "big.rss"
    feed.write_bytes(rss(3000, title="Big"))
    done = subprocess.run(
        [str(TUINEWS), "list", "--json", "--limit", "5000", str(feed)],
        capture_output=True,
        env=cli.env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert len({json.loads(line)["id"] for line in lines}) == 3000
    missing = subprocess.run(
        [str(TUINEWS), "list", str(tmp_path / "missing.rss")],
        capture_output=True,
        env=cli.env,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stderr.decode().startswith("tuinews: ")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--db", "", "list"], "tuinews: argument --db: empty file name (see `tuinews --help`)"),
        (
            ["list", "--limit", "0"],
            "tuinews list: argument --limit: must be from 1 to 1000000000: '0' "
            "(see `tuinews list --help`)",
        ),
        (
            ["list", "--limit", "9223372036854775808"],
            "tuinews list: argument --limit: must be from 1 to 1000000000: "
            "'9223372036854775808' (see `tuinews list --help`)",
        ),
        (
            ["read", "x", "--width", "9223372036854775808"],
            "tuinews read: argument --width: must be from 1 to 1000: "
            "'9223372036854775808' (see `tuinews read --help`)",
        ),
        # An option the command does not take: its own --help lists what it does take.
        (
            ["refresh", "--bogus"],
            "tuinews refresh: unrecognized arguments: --bogus (see `tuinews refresh --help`)",
        ),
        (["--bogus"], "tuinews: unrecognized arguments: --bogus (see `tuinews --help`)"),
    ],
)
def test_usage_errors_are_one_line(cli: Cli, args: list[str], line: str) -> None:
    result = cli.run(*args)
    assert (result.status, result.err.splitlines(), result.out) == (2, [line], "")


def test_an_exported_list_read_in_place_takes_its_local_feeds_not_other_files(
    cli: Cli, tmp_path: Path
) -> None:
    """`tuinews list LIST.opml` reads an exported list as `import` does: local feed files
    anywhere, but never a file outside the list's folder that is not a feed."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "local.rss").write_bytes(rss(2, title="Local", prefix="local"))
    secret = tmp_path / "secret.txt"
    secret.write_text("password: hunter2\n")
    listing = tmp_path / "lists" / "mine.opml"
    listing.parent.mkdir()
    listing.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        f'<outline text="Local" xmlUrl="{(feeds / "local.rss").as_uri()}"/>'
        f'<outline text="Secret" xmlUrl="{secret.as_uri()}"/>'
        "</body></opml>"
    )
    result = cli.run("list", str(listing))
    assert result.status == 0, result.err
    assert len(result.out.splitlines()) == 2 and "local" in result.out
    assert "hunter2" not in result.out + result.err
    # The same list piped in (`tuinews export | tuinews list -`).
    piped = cli.run("list", "-", stdin=listing.read_bytes())
    assert (piped.status, piped.out) == (0, result.out)


def test_a_ctrl_c_while_python_loads_the_program_is_one_line() -> None:
    """Ctrl-C in the first tenth of a second (Python importing the program) printed
    Python's traceback of the import; now the line a Ctrl-C gives at any later time."""
    code = (
        "import sys\n"
        "class Interrupted:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'tuinews.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupted())\n"
        "from tuinews.entry import main\n"
        "sys.exit(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "tuinews: interrupted\n")
    assert "tuinews.entry" in TUINEWS.read_text()  # the console script starts there


@pytest.mark.parametrize("command", ["list", "read"])
def test_an_error_line_never_shows_a_urls_password(cli: Cli, command: str) -> None:
    # A tester's find: `list URL` and `read URL` printed the URL as typed.
    result = cli.call(command, "http://user:s3cret@127.0.0.1:1/feed")
    assert result.status == 1
    assert result.err_lines == ["tuinews: http://user:***@127.0.0.1:1/feed: connection refused"]
