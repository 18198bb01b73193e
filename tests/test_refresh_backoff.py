"""`tuinews refresh` and its back-off as a user meets them: a night offline, feeds named on
the command line, 410s, local files, --quiet while another refresh runs, and the lines and
exit status that tell a cron job a feed is still failing."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from feedserver import (
    FeedServer,
    _RequestHandler,
    _Server,
    closed_port_url,
    redirect,
    rss,
    static,
    status,
)
from test_cli import TUINEWS, Cli, json_lines
from test_cli_store import subscribe
from tuinews.refresh.lock import RefreshLock
from tuinews.store import Store

SUMMARY = re.compile(
    r"^(\d+) feeds?: (\d+) new articles?, (?:\d+ updated, )?(\d+) not modified, (\d+) failed, "
    r"(\d+) skipped(?: \((\d+) still failing\))? in [\d.]+ s$"
)


def summary(out: str) -> tuple[int, ...]:
    """(feeds, new, not modified, failed, skipped, still failing) from the last line."""
    match = SUMMARY.match(out.splitlines()[-1])
    assert match, out
    return tuple(int(group or 0) for group in match.groups())


def feed_lines(out: str) -> list[str]:
    """The per-feed lines without their `[n/total] ` counter, sorted (they come in the
    order the feeds finish)."""
    return sorted(line.split("] ", 1)[1] for line in out.splitlines() if line.startswith("["))


def line_of(out: str, name: str) -> str:
    (line,) = [line for line in feed_lines(out) if f"  {name}" in line]
    return line


def next_try(line: str) -> datetime:
    """The local time a skip line says the feed is tried next, as an aware datetime."""
    match = re.search(r"(?:next try after|wait until) (\d{4}-\d\d-\d\d )?(\d\d:\d\d)", line)
    assert match, line
    now = datetime.now().astimezone()
    if match.group(1):
        return datetime.strptime(match.group(1) + match.group(2), "%Y-%m-%d %H:%M").astimezone()
    hour, minute = (int(part) for part in match.group(2).split(":"))
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment + timedelta(days=1) if moment < now - timedelta(minutes=1) else moment


def serve_again(server: FeedServer) -> None:
    """Start a stopped FeedServer again on its old port: the feeds' server is back."""
    port = server.port
    server._server = _Server(("127.0.0.1", port), _RequestHandler)
    server._server.owner = server
    server._thread = threading.Thread(
        target=server._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    server.start()


def fail_for_long(cli: Cli, url: str, *, times: int, wait: timedelta) -> None:
    """A feed that has failed `times` in a row, its last back-off `wait` long, now over."""
    now = datetime.now().astimezone()
    with Store.open(cli.db) as store:
        info = store.feed_by_url(url)
        assert info is not None
        for _ in range(times):
            store.record_failure(
                info.id,
                status=None,
                error="connection refused",
                at=now - wait - timedelta(minutes=1),
                next_fetch=now - timedelta(minutes=1),
            )


def test_a_night_offline_blocks_nothing_the_morning_after(cli: Cli, server: FeedServer) -> None:
    one = server.route("/one", static(rss(3, title="One", prefix="one")))
    two = server.route("/two", static(rss(2, title="Two", prefix="two")))
    subscribe(cli, (one, "Off1"), (two, "Off2"))
    server.stop()  # offline: every connection is refused
    for _night in range(3):
        offline = cli.call("refresh")
        assert offline.status == 1
        # Tried at every refresh, never "skipped ... next try after".
        assert feed_lines(offline.out) == ["failed  Off1", "failed  Off2"]
        # One line for the lot, not one per feed (a night of cron mails).
        assert offline.err_lines == [
            "tuinews: no feed answered (offline?): 2 feeds failed, such as "
            "Off1: connection refused; `tuinews feeds` lists them"
        ]
        assert summary(offline.out) == (2, 0, 0, 2, 0, 0)
    assert "connection refused" in cli.call("feeds").out

    serve_again(server)
    server.route("/two", status(500))
    morning = cli.call("refresh")
    assert feed_lines(morning.out) == ["3 new  Off1", "failed  Off2"]
    assert morning.err_lines == ["tuinews: Off2: HTTP 500 Internal Server Error"]
    assert morning.status == 1

    # The night's failures did not lengthen Off2's back-off: a first one, 2 minutes.
    later = cli.call("refresh")
    skipped = line_of(later.out, "Off2")
    assert skipped.startswith("skipped  Off2: next try after ")
    assert " or with --force (last error: HTTP 500 Internal Server Error)" in skipped
    assert next_try(skipped) - datetime.now().astimezone() <= timedelta(minutes=3)
    # Not all green: counted as skipped and still failing, said on stderr, exit status 1.
    assert summary(later.out) == (2, 0, 0, 0, 1, 1)
    (said,) = later.err_lines
    assert said.startswith("tuinews: Off2: HTTP 500 Internal Server Error (still failing: ")
    assert said.endswith(" or with --force)")
    assert later.status == 1

    # --quiet prints failures only: the feed still failing is one of them.
    quiet = cli.call("refresh", "--quiet")
    assert (quiet.status, quiet.out, quiet.err_lines) == (1, "", [said])

    server.route("/two", static(rss(2, title="Two", prefix="two")))
    forced = cli.call("refresh", "--force")
    assert (forced.status, line_of(forced.out, "Off2")) == (0, "2 new  Off2")


@pytest.mark.parametrize(
    ("answer", "cap"),
    [
        (None, timedelta(hours=1)),  # no HTTP answer: connection refused
        (500, timedelta(hours=6)),
        (404, timedelta(hours=24)),
    ],
)
def test_back_off_cap_depends_on_who_failed(
    cli: Cli, server: FeedServer, answer: int | None, cap: timedelta
) -> None:
    good = server.route("/good", static(rss(1)))
    bad = closed_port_url() if answer is None else server.route("/bad", status(answer))
    subscribe(cli, (good, "Good"), (bad, "Bad"))
    cli.call("refresh")
    # Failing for two days, its last wait 30 hours (as older versions set it).
    fail_for_long(cli, bad, times=12, wait=timedelta(hours=30))
    assert cli.call("refresh").status == 1

    later = cli.call("refresh")
    skipped = line_of(later.out, "Bad")
    assert skipped.startswith("skipped  Bad: next try after ")
    wait = next_try(skipped) - datetime.now().astimezone()
    assert cap - timedelta(minutes=2) <= wait <= cap + timedelta(minutes=1)


def test_a_feed_named_on_the_command_line_is_fetched_now(cli: Cli, server: FeedServer) -> None:
    good = server.route("/good", static(rss(1)))
    missing = server.route("/r404", status(404))
    subscribe(cli, (good, "Good"), (missing, "r404"))
    cli.call("refresh")
    assert "skipped  r404: next try after" in cli.call("refresh").out

    server.route("/r404", static(rss(2)))
    named = cli.call("refresh", "r404")
    assert (named.status, feed_lines(named.out), named.err) == (0, ["2 new  r404"], "")
    assert len(server.requests("/r404")) == 2


def test_a_named_feed_still_waits_as_its_server_asked(cli: Cli, server: FeedServer) -> None:
    busy = server.route("/busy", status(429, headers={"Retry-After": "7200"}))
    subscribe(cli, (busy, "Busy"))
    (failed,) = cli.call("refresh").err_lines
    assert failed.startswith("tuinews: Busy: HTTP 429 Too Many Requests (server asks to retry")
    # Skipped while waiting: the time said once, beside "next try".
    (waiting,) = cli.call("refresh").err_lines
    assert waiting.startswith("tuinews: Busy: HTTP 429 Too Many Requests (still failing: next try")
    assert "server asks" not in waiting

    named = cli.call("refresh", "Busy")
    (line,) = feed_lines(named.out)
    assert line.startswith("skipped  Busy: the server asked to wait until ")
    # The time the server asked for is said once, not again inside the last error.
    assert " (last error: HTTP 429 Too Many Requests); --force fetches it anyway" in line
    assert line.count("server asks") == 0
    assert timedelta(minutes=115) < next_try(line) - datetime.now().astimezone()
    assert named.status == 1
    assert len(server.requests("/busy")) == 1  # neither skip fetched it

    server.route("/busy", static(rss(1)))
    forced = cli.call("refresh", "--force", "Busy")
    assert (forced.status, feed_lines(forced.out)) == (0, ["1 new  Busy"])


@pytest.mark.parametrize("asked", ["0", "Mon, 01 Jan 2001 00:00:00 GMT"])
def test_a_retry_after_already_past_still_backs_off(
    cli: Cli, server: FeedServer, asked: str
) -> None:
    """ "Retry-After: 0", or a date past by the server's slow clock, set no wait at all:
    the feed was asked again at every refresh, forever, and the doubling never began."""
    busy = server.route("/busy", status(429, headers={"Retry-After": asked}))
    subscribe(cli, (busy, "Busy"))
    for _ in range(3):
        assert cli.call("refresh").status == 1
    assert len(server.requests("/busy")) == 1
    (waiting,) = cli.call("refresh").err_lines
    assert "still failing: next try after" in waiting
    assert timedelta(0) < next_try(waiting) - datetime.now().astimezone() <= timedelta(minutes=3)
    # Named, it is fetched: the server asked for no wait, and our back-off does not hold
    # back a feed the user asks for (it was refused, "the server asked to wait until…").
    named = cli.call("refresh", "Busy")
    assert "asked to wait" not in named.out + named.err
    assert len(server.requests("/busy")) == 2


def test_gone_feed_says_how_to_try_again_or_unsubscribe(cli: Cli, server: FeedServer) -> None:
    good = server.route("/good", static(rss(1)))
    gone = server.route("/gone", status(410))
    subscribe(cli, (good, "Good"), (gone, "Old blog"))
    # Named by URL: two feeds may share a title, and a title would need quoting.
    hint = f"`tuinews refresh {gone}` tries it again, `tuinews remove {gone}` unsubscribes"

    first = cli.call("refresh")
    assert first.err_lines == [f"tuinews: Old blog: gone (HTTP 410): feed disabled; {hint}"]
    assert first.status == 1

    later = cli.call("refresh")
    assert line_of(later.out, "Old blog") == f"skipped  Old blog: disabled: gone (HTTP 410); {hint}"
    assert later.err_lines == [f"tuinews: Old blog: disabled: gone (HTTP 410); {hint}"]
    assert (later.status, summary(later.out)) == (1, (2, 0, 0, 0, 1, 1))
    assert len(server.requests("/gone")) == 1

    # Tried again while it fails otherwise (a 500, or offline): that refresh says why,
    # and the feed stays disabled for the reason it was disabled for, not the try's.
    server.route("/gone", status(500))
    retried = cli.call("refresh", gone)
    assert retried.err_lines[0].startswith("tuinews: Old blog: HTTP 500")
    listed = {line.split("\t")[0]: line.split("\t") for line in cli.call("feeds").out.splitlines()}
    assert listed["Old blog"][4] == "gone (HTTP 410): feed disabled"
    # ... with its 410 and no next fetch: it is fetched again only when named.
    record = next(
        r for r in json_lines(cli.call("feeds", "--json").out) if r["title"] == "Old blog"
    )
    assert (record["last_status"], record["next_fetch"], record["disabled"]) == (410, None, True)

    # The hint works as written (the shell takes the quotes away).
    server.route("/gone", static(rss(2)))
    again = cli.call("refresh", gone)
    assert (again.status, feed_lines(again.out)) == (0, ["2 new  Old blog"])
    assert cli.call("refresh").status == 0


def test_a_local_file_never_backs_off(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(rss(2, title="Upd feed"))
    assert cli.call("add", str(path)).status == 0
    assert cli.call("refresh").status == 0
    path.unlink()
    gone = cli.call("refresh")
    assert gone.status == 1
    assert gone.err_lines == ["tuinews: Upd feed: no such file or directory"]

    path.write_bytes(rss(3, title="Upd feed"))
    back = cli.call("refresh")
    assert (back.status, feed_lines(back.out), back.err) == (0, ["1 new  Upd feed"], "")


def waiting_refresh(cli: Cli, *args: str) -> subprocess.Popen[bytes]:
    """`tuinews refresh ARGS` started while the caller holds the refresh lock, returned
    once it waits for it (it has the lock file open: no sleep guesses when that is)."""
    lock_file = f"{cli.db}.refresh-lock"
    child = subprocess.Popen(
        [str(TUINEWS), "refresh", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli.env,
    )
    fds = Path(f"/proc/{child.pid}/fd")
    while child.poll() is None:
        opened = []
        for fd in list(fds.iterdir()) if fds.exists() else []:
            try:
                opened.append(os.readlink(fd))
            except OSError:
                continue
        if lock_file in opened:
            break
    assert child.poll() is None, "it waits while the other refresh holds the lock"
    return child


def test_quiet_refresh_waits_for_another_in_silence(cli: Cli, server: FeedServer) -> None:
    url = server.route("/feed", static(rss(2)))
    subscribe(cli, (url, "Feed"))
    held = RefreshLock(cli.db)
    assert held.try_acquire()
    try:
        child = waiting_refresh(cli, "--quiet")
    finally:
        held.release()
    out, err = child.communicate(timeout=60)
    assert (child.returncode, out, err) == (0, b"", b"")
    with Store.open(cli.db) as store:
        info = store.feed_by_url(url)
        assert info is not None and info.total == 2


def test_a_feed_that_failed_in_the_refresh_waited_for_is_still_failing(
    cli: Cli, server: FeedServer
) -> None:
    """Cron starts a refresh while the reader's runs: the one that waited skips the feeds
    the other just fetched, but one that failed there must not pass for fine (exit 0)."""
    good = server.route("/good", static(rss(2)))
    broken = server.route("/broken", static(rss(1)))
    subscribe(cli, (good, "Good"), (broken, "Broken"))
    assert cli.call("refresh").status == 0
    held = RefreshLock(cli.db)
    assert held.try_acquire()
    try:
        child = waiting_refresh(cli, "--quiet")
        # Meanwhile the refresh holding the lock fetches both; Broken fails there.
        now = datetime.now().astimezone()
        with Store.open(cli.db) as store:
            for url in (good, broken):
                info = store.feed_by_url(url)
                assert info is not None
                if url == good:
                    store.record_not_modified(info.id, fetched_at=now, next_fetch=None)
                else:
                    store.record_failure(
                        info.id,
                        status=404,
                        error="HTTP 404 Not Found",
                        at=now,
                        next_fetch=now + timedelta(minutes=2),
                    )
    finally:
        held.release()
    out, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert (out, err.decode()) == (
        b"",
        "tuinews: Broken: failed in the refresh that just ran: HTTP 404 Not Found\n",
    )
    assert len(server.requests("/broken")) == 1  # not fetched again


def test_move_onto_a_subscribed_feed_suggests_removing_it(cli: Cli, server: FeedServer) -> None:
    new = server.route("/new", static(rss(2)))
    old = server.route("/old", redirect("/new", 301))
    subscribe(cli, (new, "New home"), (old, "Old home"))
    result = cli.call("refresh")
    # A failure until the user removes one of the two (a cron job must notice)...
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: Old home: moved permanently to {new} (New home), which you already "
        f"subscribe to; `tuinews remove {old}` unsubscribes this one"
    ]
    assert summary(result.out)[3] == 1
    # `feeds` keeps saying it, and the next refresh fetches it again, without back-off:
    # the server is not at fault, and the redirect may go away.
    listed = {line.split("\t")[0]: line.split("\t") for line in cli.call("feeds").out.splitlines()}
    assert listed["Old home"][4] == (
        f"moved permanently to {new} (New home), which you already subscribe to"
    )
    assert cli.call("refresh").status == 1
    assert len(server.requests("/old")) == 2


def test_a_proxy_that_cannot_reach_the_servers_counts_as_offline(
    cli: Cli, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a proxy, being offline reads as the proxy's own 502s: no back-off either."""
    for name in ("no_proxy", "NO_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    # The proxy (the test server, asked for the whole URL) answers 502 for both feeds.
    server.route("/a.xml", status(502))
    server.route("/b.xml", status(502))
    subscribe(cli, ("http://a.example/a.xml", "Far A"), ("http://b.example/b.xml", "Far B"))
    for _offline in range(2):
        offline = cli.call("refresh")
        assert feed_lines(offline.out) == ["failed  Far A", "failed  Far B"]
        assert offline.status == 1

    server.route("/a.xml", static(rss(1)))
    server.route("/b.xml", static(rss(2)))
    back = cli.call("refresh")
    assert (back.status, feed_lines(back.out)) == (0, ["1 new  Far A", "2 new  Far B"])
