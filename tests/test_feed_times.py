"""What `tuinews feeds` says about time, as a user reads it later: the wait a 429/503
asked for while it lasts and never after (also for errors an earlier version stored with
a "retry after 17:05" in them), and each feed refreshed when its own answer came, not
when the refresh began. Times are moved by recording a feed's failure in the past, as
the back-off tests do."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

from feedserver import Call, FeedServer, rss, static, status
from test_cli import Cli, json_lines, run_in_terminal
from test_cli_store import subscribe
from tuinews.commands.common import short_date
from tuinews.refresh.network_errors import retry_after_words
from tuinews.refresh.outcome import minute_after, short_time
from tuinews.store import FeedInfo, Store

BUSY = "HTTP 429 Too Many Requests"


def stored(cli: Cli, url: str) -> FeedInfo:
    with Store.open(cli.db) as store:
        info = store.feed_by_url(url)
    assert info is not None
    return info


def piped_errors(cli: Cli) -> dict[str, str]:
    """`tuinews feeds` in a pipe: title -> its error column."""
    rows = [line.split("\t") for line in cli.call("feeds").out.splitlines()]
    return {row[0]: row[4] for row in rows}


def json_records(cli: Cli) -> dict[str, dict[str, object]]:
    return {str(r["title"]): r for r in json_lines(cli.call("feeds", "--json").out)}


def table(cli: Cli) -> str:
    """`tuinews feeds` on a terminal wide enough for whole errors."""
    code, shown = run_in_terminal(["feeds"], {**cli.env, "NO_COLOR": "1"}, columns=200)
    assert code == 0, shown
    return shown.replace("\r", "")


def fail_earlier(cli: Cli, info: FeedInfo, error: str, *, at: datetime, until: datetime) -> None:
    """The feed failed with `error` at `at`, to be tried again from `until`."""
    with Store.open(cli.db) as store:
        store.record_failure(info.id, status=429, error=error, at=at, next_fetch=until)


def test_a_429s_wait_is_told_while_it_lasts_and_never_after(cli: Cli, server: FeedServer) -> None:
    busy = server.route("/busy", status(429, headers={"Retry-After": "7200"}))
    subscribe(cli, (busy, "Busy"))
    before = datetime.now(UTC)
    failed = cli.call("refresh")
    # Said as it fails, the refresh's own line tells the time the server asked for.
    (line,) = failed.err_lines
    assert line.startswith(f"tuinews: Busy: {BUSY} (server asks to retry after ")

    # The store keeps the reason; the wait is the feed's next fetch.
    info = stored(cli, busy)
    assert info.last_error == BUSY
    assert info.next_fetch is not None
    assert timedelta(hours=2) <= info.next_fetch - before < timedelta(hours=2, minutes=1)
    assert piped_errors(cli) == {"Busy": BUSY}
    record = json_records(cli)["Busy"]
    assert record["last_error"] == BUSY
    assert record["next_fetch"] == info.next_fetch.isoformat().replace("+00:00", "Z")
    # While it lasts, the table says when the next try comes, once.
    shown = table(cli)
    assert f"{BUSY} (next try after {short_date(minute_after(info.next_fetch))})" in shown
    assert "server asks" not in shown

    # Hours later: the same failure, its wait over three hours ago. Nothing says a time.
    now = datetime.now(UTC)
    fail_earlier(cli, info, BUSY, at=now - timedelta(hours=5), until=now - timedelta(hours=3))
    shown = table(cli)
    assert BUSY in shown and "next try" not in shown and "retry after" not in shown
    assert piped_errors(cli) == {"Busy": BUSY}
    assert json_records(cli)["Busy"]["last_error"] == BUSY


def test_errors_stored_with_a_time_by_earlier_versions_show_without_it(
    cli: Cli, server: FeedServer
) -> None:
    """A store written before keeps "(server asks to retry after 17:05)" in its errors:
    shown without it, and with the next try only while that is to come."""
    url = server.route("/feed", static(rss(1)))
    subscribe(cli, (url, "Old"))
    assert cli.call("refresh").status == 0
    info = stored(cli, url)
    now = datetime.now(UTC)
    for said in (
        " (server asks to retry after 17:05)",
        " (server asks to retry after 2026-01-06 09:00)",
        " (server asks to retry in 30 s)",
        " (server asks to wait 7 days or more)",
    ):
        fail_earlier(
            cli, info, BUSY + said, at=now - timedelta(hours=5), until=now - timedelta(hours=3)
        )
        assert piped_errors(cli) == {"Old": BUSY}, said
        assert json_records(cli)["Old"]["last_error"] == BUSY, said
    shown = table(cli)
    assert BUSY in shown and "server asks" not in shown and "next try" not in shown

    # Waiting still: the next try from the feed's next fetch, not the stored words.
    later = now + timedelta(hours=3)
    fail_earlier(cli, info, BUSY + " (server asks to retry after 17:05)", at=now, until=later)
    shown = table(cli)
    assert f"{BUSY} (next try after {short_date(minute_after(later))})" in shown
    assert "server asks" not in shown
    assert piped_errors(cli) == {"Old": BUSY}


def test_a_retry_on_another_day_is_said_with_its_date() -> None:
    """At 23:00, a retry at 09:00 is tomorrow's; at 17:00, 12:00 tomorrow looked past."""
    for hour, hours_away in ((23, 10), (17, 19)):
        now = datetime.now().astimezone().replace(hour=hour, minute=0, second=0, microsecond=0)
        retry_at = now + timedelta(hours=hours_away)
        dated = retry_at.astimezone().strftime("%Y-%m-%d %H:%M")
        assert short_time(retry_at, now) == dated
        assert retry_after_words(retry_at, now) == f" (server asks to retry after {dated})"
    now = datetime.now().astimezone().replace(hour=9, minute=0, second=0, microsecond=0)
    later_today = now + timedelta(hours=8)
    assert short_time(later_today, now) == later_today.astimezone().strftime("%H:%M")


def test_a_next_try_is_said_at_the_minute_it_is_due_not_before() -> None:
    """Retry-After: 120 at 01:51:16 was told as "after 01:53", and at 01:53:03 the feed
    was still skipped. Times are shown to the minute: the next whole one."""
    now = datetime.now().astimezone().replace(hour=1, minute=51, second=16, microsecond=0)
    due = now + timedelta(seconds=120)
    assert short_time(due, now) == "01:54"
    assert short_time(due.replace(second=0), now) == "01:53"


def _slow(
    delay: float,
    serve: dict[str, bytes | int],
    answered: list[float],
    after: Callable[[], bool] = lambda: True,
) -> Call:
    """A route that answers `delay` seconds after `after()` holds (checked from when it
    is asked) with serve["body"] (or serve["status"]), noting when it answered."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        for _ in range(3000):
            if after():
                break
            time.sleep(0.01)
        time.sleep(delay)
        answered.append(time.time())
        body = serve.get("body")
        if isinstance(body, bytes):
            static(body).serve(handler)
        else:
            status(int(serve["status"])).serve(handler)

    return Call(answer)


def _moment(record: dict[str, object], key: str) -> float:
    return datetime.fromisoformat(str(record[key]).replace("Z", "+00:00")).timestamp()


def test_each_feed_is_refreshed_when_its_answer_came(cli: Cli, server: FeedServer) -> None:
    quick = server.route("/quick", static(rss(3, title="Quick", prefix="quick")))

    def quick_refreshed() -> bool:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{cli.db}?mode=ro", uri=True)) as db:
                query = "SELECT last_refresh FROM feeds WHERE url = ?"
                row = db.execute(query, (quick,)).fetchone()
        except sqlite3.Error:
            return False
        return row is not None and row[0] is not None

    # Slow answers a second after Quick's answer was taken in, whenever that was: a busy
    # machine took Quick's in late, as late as Slow's request, and they were less than
    # 0.9 s apart.
    slow_feed: dict[str, bytes | int] = {"body": rss(4, title="Slow", prefix="slow")}
    slow_answers: list[float] = []
    slow = server.route("/slow", _slow(1.0, slow_feed, slow_answers, after=quick_refreshed))
    broken_answers: list[float] = []
    broken = server.route("/broken", _slow(1.0, {"status": 500}, broken_answers))
    subscribe(cli, (quick, "Quick"), (slow, "Slow"), (broken, "Broken"))

    started = time.time()
    assert cli.call("refresh").status == 1
    records = json_records(cli)
    quick_at = _moment(records["Quick"], "last_refresh")
    slow_at = _moment(records["Slow"], "last_refresh")
    # Not the refresh's start for all: each feed's own moment.
    assert started <= quick_at < slow_answers[0]
    assert slow_at >= slow_answers[0] and slow_at - quick_at >= 0.9
    failed_at = _moment(records["Broken"], "last_error_at")
    assert failed_at >= broken_answers[0]
    # The back-off counts from that moment too: 2 minutes, the first time.
    assert abs(_moment(records["Broken"], "next_fetch") - failed_at - 120) < 0.001

    # A second refresh of both: Slow's moment is its own again. A cleanup then keeps the
    # newest article of each (dated: listed or not, see `cleanup_feed`).
    slow_feed["body"] = rss(1, title="Slow", prefix="slow")
    assert cli.call("refresh", "Quick", "Slow").status == 0
    assert _moment(json_records(cli)["Slow"], "last_refresh") >= slow_answers[1]
    cli.config.write_text(cli.config.read_text() + "\n[retention]\nper_feed = 1\n")
    cleaned = cli.call("cleanup")
    assert cleaned.out.startswith("removed 5 articles"), cleaned.out + cleaned.err
    titles = sorted(line.split("  ")[-1].strip() for line in cli.call("list").out.splitlines())
    assert titles == ["quick 3 v0", "slow 4 v0"]
