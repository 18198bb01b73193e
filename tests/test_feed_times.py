"""What `tuinews feeds` says about time, as a user reads it later: the wait a 429/503
asked for while it lasts and never after (also for errors an earlier version stored with
a "retry after 17:05" in them). Times are moved by recording a feed's failure in the past,
as the back-off tests do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedserver import FeedServer, rss, static, status
from test_cli import Cli, json_lines, run_in_terminal
from test_cli_store import subscribe
from tuinews.commands.common import short_date
from tuinews.refresh.network_errors import retry_after_words
from tuinews.refresh.outcome import short_time
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
    assert f"{BUSY} (next try after {short_date(info.next_fetch)})" in shown
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
    assert f"{BUSY} (next try after {short_date(later)})" in shown
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
