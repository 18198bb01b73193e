"""`tuinews refresh`, `list`/`read` on the store, `mark-read`, `cleanup`, and bad store files."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from feedserver import FeedServer, Generated, http_date, rss, static, status
from store_checks import assert_store_sound
from test_cli import TUINEWS, Cli, json_lines, run_in_terminal
from tuinews.commands.store_commands import PROGRESS_AFTER_S
from tuinews.model import Subscription
from tuinews.refresh.lock import RefreshLock
from tuinews.store import Store, View

SUMMARY = re.compile(
    r"^(\d+) feeds?: (\d+) new articles?, (?:\d+ updated, )?(\d+) not modified, (\d+) failed, "
    r"(\d+) skipped "
    r"in [\d.]+ s$"
)


def summary_of(out: str) -> tuple[int, ...]:
    match = SUMMARY.match(out.splitlines()[-1])
    assert match, out
    return tuple(int(group) for group in match.groups()[:4])


def subscribe(cli: Cli, *entries: tuple[str, str]) -> None:
    text = "# my feeds\n"
    for url, title in entries:
        text += f'\n[[feeds]]\nurl = "{url}"\ntitle = "{title}"\n'
    cli.config.write_text(text)


@pytest.fixture
def two_feeds(cli: Cli, server: FeedServer) -> tuple[str, str]:
    alpha = server.route("/alpha", static(rss(3, title="Alpha", prefix="alpha"), etag='"a1"'))
    beta = server.route("/beta", static(rss(2, title="Beta", prefix="beta"), etag='"b1"'))
    subscribe(cli, (alpha, "Alpha"), (beta, "Beta"))
    return alpha, beta


def test_refresh_summary_then_not_modified(cli: Cli, two_feeds: tuple[str, str]) -> None:
    first = cli.run("refresh")
    assert first.status == 0, first.err
    assert first.err == ""
    assert summary_of(first.out) == (2, 5, 0, 0)
    # Not a terminal: one plain line per feed, no progress bar.
    assert len([line for line in first.out.splitlines() if line.startswith("[")]) == 2
    assert "\x1b" not in first.out

    second = cli.run("refresh")
    assert second.status == 0
    assert summary_of(second.out) == (2, 0, 2, 0)

    quiet = cli.run("refresh", "--quiet")
    assert (quiet.status, quiet.out, quiet.err) == (0, "", "")


def test_a_refresh_whose_store_is_deleted_does_not_call_its_articles_saved(
    cli: Cli, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written into a file deleted meanwhile, the articles of the feeds done may be lost:
    the closing line must not say "saved" (a regression tester's find)."""
    from tuinews.commands import store_commands

    alpha = server.route("/alpha", static(rss(3, title="Alpha", prefix="alpha"), etag='"a1"'))
    beta = server.route("/beta", Generated(items=2, title="Beta", delay=0.5))
    subscribe(cli, (alpha, "Alpha"), (beta, "Beta"))
    shown = store_commands._Reporter.progress

    def delete_the_store_after_the_first(reporter: object, done: int, *args: object) -> None:
        if done == 1:
            for path in cli.db.parent.glob(cli.db.name + "*"):
                if not path.name.endswith("-lock"):
                    path.unlink()
        shown(reporter, done, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(store_commands._Reporter, "progress", delete_the_store_after_the_first)
    result = cli.call("refresh")
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {cli.db}: the store file was moved or deleted while open: not written"
    ]
    assert result.out.splitlines()[-1] == (
        "refresh stopped: 1 feed done, 3 new articles written to the store before its file went"
    )
    assert not cli.db.exists()


def test_refresh_failures_exit_1_with_one_line_each(
    cli: Cli, server: FeedServer, sample_feeds: Path
) -> None:
    good = server.route("/good", static(rss(2)))
    html = server.route(
        "/html", static(b"<html><body><p>Not a feed</p></body></html>", content_type="text/html")
    )
    gone = server.route("/gone", status(404))
    subscribe(
        cli,
        (good, "Good"),
        (html, "Html page"),
        (gone, "Gone"),
        (str(sample_feeds / "city-desk.rss"), "Courier"),
        (str(cli.root / "missing.rss"), "Missing file"),
    )
    result = cli.run("refresh")
    assert result.status == 1
    assert "Traceback" not in result.err
    assert summary_of(result.out) == (5, 11, 0, 3)
    failures = result.err_lines
    assert len(failures) == 3, result.err
    for name in ("Html page", "Gone", "Missing file"):
        (line,) = [f for f in failures if f.startswith(f"tuinews: {name}: ")]
        assert len(line) > len(f"tuinews: {name}: ") + 3
    assert any("404" in line for line in failures)

    # The next refresh leaves the failed web feed alone for a while, and says why.
    later = cli.run("refresh")
    (skipped,) = [line for line in later.out.splitlines() if "skipped" in line and "Gone" in line]
    assert skipped.split("]", 1)[1].startswith(" skipped  Gone: next try after ")
    assert skipped.endswith("(last error: HTTP 404 Not Found)")

    # Only the good ones, by name: exit 0.
    again = cli.run("refresh", "Good", "Courier")
    assert again.status == 0, again.err
    assert summary_of(again.out)[0] == 2

    # Named as `remove` and `--feed` name feeds: a unique part of a title will do.
    part = cli.run("refresh", "cour")
    assert part.status == 0, part.err
    assert summary_of(part.out)[0] == 1

    unknown = cli.run("refresh", "No such feed")
    assert unknown.status == 1
    assert unknown.err_lines == ["tuinews: no feed matches 'No such feed'"]

    table = cli.call("feeds")
    rows = {line.split("\t")[0]: line.split("\t") for line in table.out.splitlines()}
    assert "404" in rows["Gone"][4]
    assert rows["Good"][2] == "2/2"
    assert rows["Good"][4] == ""


def test_refresh_without_subscriptions(cli: Cli) -> None:
    result = cli.call("refresh")
    assert result.status == 0
    assert "tuinews add" in result.err


def test_second_refresh_waits_for_the_first(cli: Cli, two_feeds: tuple[str, str]) -> None:
    """Two refreshes at once: the second says it waits, then runs; never 'database is locked'."""
    held = RefreshLock(cli.db)
    assert held.try_acquire()
    try:
        child = subprocess.Popen(
            [str(TUINEWS), "refresh"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli.env,
        )
        assert child.stderr is not None
        waiting = child.stderr.readline().decode()
        assert "another refresh is running" in waiting
        time.sleep(0.2)
        assert child.poll() is None, "it waits while the other refresh holds the lock"
    finally:
        held.release()
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0
    assert b"locked" not in err
    assert summary_of(out.decode()) == (2, 5, 0, 0)


def test_two_real_refreshes_at_once(cli: Cli, server: FeedServer) -> None:
    from feedserver import Generated

    urls = [server.route(f"/f{n}", Generated(5, title=f"F{n}", delay=0.05)) for n in range(6)]
    subscribe(cli, *((url, f"F{n}") for n, url in enumerate(urls)))
    children = [
        subprocess.Popen(
            [str(TUINEWS), "refresh"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli.env,
        )
        for _ in range(2)
    ]
    results = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0]
    for _, err in results:
        assert b"locked" not in err
        assert b"Traceback" not in err
    news = sorted(summary_of(out.decode())[1] for out, _ in results)
    assert news == [0, 30]


def test_list_store_filters_search_and_json(cli: Cli, two_feeds: tuple[str, str]) -> None:
    assert cli.run("refresh").status == 0
    everything = cli.call("list", "--json")
    records = json_lines(everything.out)
    assert len(records) == 5
    dates = [str(r["published"]) for r in records]
    assert dates == sorted(dates, reverse=True)
    assert all(r["read"] is False and r["starred"] is False for r in records)

    assert len(cli.call("list", "--limit", "2").out.splitlines()) == 2
    beta = cli.call("list", "--feed", "Beta").out.splitlines()
    assert len(beta) == 2 and all("beta" in line for line in beta)

    with Store.open(cli.db) as store:
        star = store.find_article(str(records[-1]["id"]))
        assert star is not None
        store.set_starred(star.pk, True)
    starred = cli.call("list", "--starred", "--json")
    assert [r["id"] for r in json_lines(starred.out)] == [records[-1]["id"]]

    found = cli.call("list", "--search", "alpha 2")
    assert found.status == 0
    assert "alpha 2 v0" in found.out.splitlines()[0], "best match first"
    nothing = cli.call("list", "--search", 'zebra" OR (')
    assert nothing.status == 0
    assert nothing.out == ""

    unknown = cli.call("list", "--feed", "Gamma")
    assert unknown.status == 1
    assert unknown.err_lines == ["tuinews: no feed matches 'Gamma'"]


def test_read_stored_article_and_mark_read(cli: Cli, two_feeds: tuple[str, str]) -> None:
    assert cli.run("refresh").status == 0
    lines = cli.call("list").out.splitlines()
    short_id = lines[0].split()[0]
    shown = cli.call("read", short_id, "--width", "50")
    assert shown.status == 0
    assert shown.out.splitlines()[0] in lines[0]
    assert max(len(line) for line in shown.out.splitlines()) <= 50
    missing = cli.call("read", "ffffffffffff")
    assert missing.status == 1
    assert missing.err_lines == ["tuinews: ffffffffffff: no such file, URL or stored article id"]

    assert cli.call("mark-read").status == 2
    both = cli.call("mark-read", "--all", short_id)  # ambiguous: nothing is marked
    assert (both.status, both.err_lines) == (
        2,
        ["tuinews: give article ids, or --all / --feed, not both"],
    )
    one = cli.call("mark-read", short_id)
    assert (one.status, one.out) == (0, "marked 1 article read\n")
    assert len(cli.call("list", "--unread").out.splitlines()) == 4
    bad_id = cli.call("mark-read", "0000000000")
    assert bad_id.status == 1
    assert "0000000000" in bad_id.err
    assert bad_id.out == ""  # the one line on stderr says it all
    by_feed = cli.call("mark-read", "--feed", "Beta")
    assert by_feed.out == "marked 2 articles read\n"
    unread = cli.call("list", "--unread").out.splitlines()
    assert len(unread) == 2 and all("alpha" in line for line in unread)
    everything = cli.call("mark-read", "--all")
    assert everything.out == "marked 2 articles read\n"
    assert cli.call("list", "--unread").out == ""
    assert len(cli.call("list").out.splitlines()) == 5


def test_mark_read_of_ids_marks_the_good_ones_when_one_names_several(
    cli: Cli, tmp_path: Path
) -> None:
    """`mark-read GOOD b`, where `b` begins several ids, marked nothing at all, where an
    unknown id is said and the others marked: a cron batch of short ids lost its marks."""
    feed = tmp_path / "many.xml"
    # 20 ids of one feed: all begin with the feed's digit, and two share the next one.
    feed.write_bytes(rss(20, title="Many"))
    subscribe(cli, (str(feed), "Many"))
    assert cli.run("refresh").status == 0
    ids = [row["id"] for row in json_lines(cli.call("list", "--json").out)]
    firsts = [article_id[:2] for article_id in ids]
    shared = next(prefix for prefix in firsts if firsts.count(prefix) > 1)
    good = next(article_id for article_id in ids if article_id[:2] != shared)
    marked = cli.call("mark-read", good, shared, "0000000000")
    assert marked.status == 1
    assert marked.err_lines == [
        f"tuinews: {shared}: matches several articles; give more of the article id",
        "tuinews: 0000000000: no such article",
    ]
    assert marked.out == "marked 1 article read\n"
    unread = {row["id"] for row in json_lines(cli.call("list", "--unread", "--json").out)}
    assert unread == set(ids) - {good}


def test_read_an_id_that_is_also_a_file_here_reads_the_stored_article(
    cli: Cli, two_feeds: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's find: `tuinews read 0ffbb8d7`, the id `list` printed, read a file of
    that name in the working folder. The id wins, and the line says how to read the file."""
    assert cli.run("refresh").status == 0
    first = cli.call("list").out.splitlines()[0]
    short_id = first.split()[0]
    here = tmp_path / "here"
    here.mkdir()
    (here / short_id).write_text("<rss><channel><title>A file</title></channel></rss>")
    monkeypatch.chdir(here)
    shown = cli.call("read", short_id)
    assert shown.status == 0
    assert shown.out.splitlines()[0] in first
    assert shown.err_lines == [
        f"tuinews: {short_id}: also a file here; `tuinews read ./{short_id}` reads the file"
    ]
    the_file = cli.call("read", f"./{short_id}")
    assert (the_file.status, the_file.err_lines) == (1, [f"tuinews: ./{short_id}: has no articles"])
    # Read as a stored article, with the same checks (a tester's find: skipped).
    missing = here / "missing.toml"
    unset = cli.call("--config", str(missing), "read", short_id)
    assert unset.status == 2
    assert unset.err_lines == [f"tuinews: {missing}: no such file (given by --config)"]


@pytest.mark.parametrize("command", ["read", "list"])
@pytest.mark.parametrize("name", ["", " "])
def test_an_empty_name_is_refused_not_read_as_the_working_folder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, name: str
) -> None:
    """A tester's find: `tuinews read "$ID"` with ID unset showed a file of the working
    folder as an article (Path("") is "."), and `list ""` listed the folder."""
    (tmp_path / "notes.txt").write_text("private notes\n")
    monkeypatch.chdir(tmp_path)
    result = cli.call(command, name)
    assert (result.status, result.out) == (1, "")
    assert result.err_lines == [f"tuinews: {name!r}: an empty name: not a file, URL or article id"]


@pytest.mark.parametrize("name", ["", " "])
def test_empty_names_elsewhere_are_refused_and_shown_quoted(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Testers' finds: `tuinews ""` opened the reader on the working folder's files,
    `mark-read ""` said "tuinews: : no such article", and `export -o ""` wrote the list
    to standard output, as if no file had been named."""
    (tmp_path / "private.md").write_text("# Private\n\nnotes\n")
    monkeypatch.chdir(tmp_path)
    code, shown = run_in_terminal([name], cli.env)
    assert code == 1
    assert f"tuinews: {name!r}: an empty name: not a file or URL" in shown
    assert "Private" not in shown
    Store.open(cli.db).close()  # an empty store
    marked = cli.call("mark-read", name)
    assert (marked.status, marked.err_lines) == (1, [f"tuinews: {name!r}: no such article"])
    exported = cli.run("export", "-o", name)
    assert (exported.status, exported.out) == (2, "")
    assert "argument -o/--output: empty file name" in exported.err


def test_cleanup_applies_retention(cli: Cli, server: FeedServer) -> None:
    """`per_feed` and `days` drop what they say (starred articles stay), also articles
    the feed still lists: the refresh, under the same settings, does not store them
    again. Articles the feed still listed were kept, so a retention on a feed that lists
    old items dropped nothing (a tester's find)."""
    url = server.route("/many", static(rss(6)))  # dated January 2024
    subscribe(cli, (url, "Many"))
    assert cli.run("refresh").status == 0
    nothing = cli.call("cleanup")
    assert nothing.status == 0
    assert "nothing to clean up" in nothing.err
    star = json.loads(cli.call("list", "--json").out.splitlines()[-1])["id"]
    with Store.open(cli.db) as store:
        starred = store.find_article(star)  # item 1
        assert starred is not None
        store.set_starred(starred.pk, True)
    cli.config.write_text(cli.config.read_text() + "\n[retention]\nper_feed = 2\n")
    result = cli.call("cleanup")
    assert result.status == 0, result.err
    assert result.out.startswith("removed 3 articles")  # 4, 3 and 2
    titles = [line.split("  ")[-1] for line in cli.call("list").out.splitlines()]
    assert titles == ["item 6 v0", "item 5 v0", "item 1 v0"]
    again = cli.run("refresh", "--force")
    assert again.status == 0 and "0 new articles" in again.out
    assert len(cli.call("list").out.splitlines()) == 3
    cli.config.write_text(cli.config.read_text().replace("per_feed = 2", "days = 30"))
    assert cli.call("cleanup").out.startswith("removed 2 articles")  # older than 30 days
    assert [line.split("  ")[-1] for line in cli.call("list").out.splitlines()] == ["item 1 v0"]
    assert "0 new articles" in cli.run("refresh", "--force").out


@pytest.mark.parametrize(
    "args",
    [["list"], ["refresh"], ["feeds"], ["mark-read", "--all"], ["read", "abc"], ["remove", "F"]],
)
def test_store_that_is_not_sqlite(cli: Cli, args: list[str]) -> None:
    subscribe(cli, ("https://example.com/feed", "F"))
    config_before = cli.config.read_bytes()
    junk = b"my tax notes, definitely not a database\n" * 100
    cli.db.write_bytes(junk)
    result = cli.call(*args)
    assert result.status == 1
    assert result.err_lines == [f"tuinews: {cli.db}: not a tuinews store (file is not a database)"]
    assert cli.db.read_bytes() == junk
    assert cli.config.read_bytes() == config_before
    # Nothing written beside it either (`refresh` left its lock file there).
    assert [path.name for path in cli.db.parent.iterdir() if path.name.startswith("store")] == [
        cli.db.name
    ]


def test_reader_refuses_a_store_that_is_not_sqlite(cli: Cli) -> None:
    subscribe(cli, ("https://example.com/feed", "F"))
    junk = b"not a database\n" * 50
    cli.db.write_bytes(junk)
    code, shown = run_in_terminal([], cli.env)
    assert code == 1
    assert "Traceback" not in shown
    assert f"tuinews: {cli.db}: not a tuinews store (file is not a database)" in shown
    assert cli.db.read_bytes() == junk


def test_store_from_a_newer_tuinews(cli: Cli, sample_feeds: Path) -> None:
    subscribe(cli, (str(sample_feeds / "city-desk.rss"), "Courier"))
    assert cli.run("refresh").status == 0
    with sqlite3.connect(cli.db) as connection:
        connection.execute("PRAGMA user_version = 999")
    connection.close()
    before = cli.db.read_bytes()
    result = cli.run("list")
    assert result.status == 1
    assert len(result.err_lines) == 1
    assert str(cli.db) in result.err and "newer" in result.err
    assert "Traceback" not in result.err
    assert cli.db.read_bytes() == before
    # The subscriptions are the settings file's: export still writes them all (it
    # refused, leaving someone who went back a version no way to take them along).
    cli.config.write_text(f'[[feeds]]\nurl = "{sample_feeds / "city-desk.rss"}"\n')  # untitled
    exported = cli.run("export")
    assert exported.status == 0 and "city-desk.rss" in exported.out
    assert "newer" in exported.err and "without the titles" in exported.err
    assert cli.db.read_bytes() == before


def test_a_quick_refresh_on_a_terminal_shows_its_summary_only(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    code, shown = run_in_terminal(["refresh"], cli.env)
    assert code == 0
    assert "[1/2]" not in shown  # no plain lines: they are for pipes
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown).replace("\r", "")
    assert summary_of(text.rstrip("\n"))[:2] == (2, 5)
    seconds = float(text.rstrip("\n").splitlines()[-1].rsplit(" in ", 1)[1].removesuffix(" s"))
    if seconds < PROGRESS_AFTER_S:  # a loaded machine may take longer: the bar is right then
        assert "Refreshing" not in shown  # over before the bar would show


def test_a_slow_refresh_on_a_terminal_shows_a_progress_bar(cli: Cli, server: FeedServer) -> None:
    from tuinews.refresh.awaited import STALLED_AFTER_S

    fast = server.route("/fast", static(rss(2, title="Fast", prefix="fast")))
    slow = server.route("/slow", Generated(items=3, title="Slow", delay=STALLED_AFTER_S + 1.5))
    subscribe(cli, (fast, "Fast"), (slow, "Slow"))
    code, shown = run_in_terminal(["refresh"], cli.env)
    assert code == 0
    assert "Refreshing" in shown  # the Rich progress bar, not plain lines
    assert "1/2" in shown  # the fast feed was counted while the slow one was waited for
    # Once nothing has finished for a while, the bar names the feed it is waiting for.
    assert "(3 s) waiting for Slow" in shown
    assert "[1/2]" not in shown
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown).replace("\r", "")
    assert summary_of(text.rstrip("\n"))[:2] == (2, 5)


def test_mark_read_counts_each_article_once_and_only_changes(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    assert cli.run("refresh").status == 0
    short_id = cli.call("list").out.splitlines()[0].split()[0]
    twice = cli.call("mark-read", short_id, short_id.upper(), short_id[:-1] + short_id[-1])
    assert (twice.status, twice.out) == (0, "marked 1 article read\n")
    again = cli.call("mark-read", short_id)
    assert (again.status, again.out) == (0, "marked 0 articles read (1 already read)\n")


def test_a_feeds_article_ids_begin_alike_and_are_listed_with_eight_digits(
    cli: Cli, tmp_path: Path
) -> None:
    """A feed's ids share their first digit (its articles then sit together in the
    store's index of ids: a first refresh writes a fifth less), and the 7 digits after
    it tell its articles apart as random ids would: `list` prints them with 8 digits."""
    feed = tmp_path / "two-hundred.xml"
    feed.write_bytes(rss(200, title="Two hundred"))
    subscribe(cli, (str(feed), "Two hundred"))
    assert cli.run("refresh").status == 0
    ids = [row["id"] for row in json_lines(cli.call("list", "--json").out)]
    assert len(ids) == 200
    assert all(re.fullmatch("[0-9a-f]{16}", article_id) for article_id in ids)
    assert len({article_id[0] for article_id in ids}) == 1
    listed = [line.split()[0] for line in cli.call("list").out.splitlines()]
    # Two of 200 sharing 8 digits happens about once in 10,000 stores: then both get 9.
    assert sum(len(short) == 8 for short in listed) >= 198
    assert all(cli.call("read", short).status == 0 for short in listed[:3])


def test_listed_ids_are_long_enough_to_name_one_article(cli: Cli) -> None:
    """Two ids sharing their first 10 digits are listed with 11, and each listed id
    reads its own article (8 digits collide in stores of tens of thousands)."""
    from datetime import UTC, datetime

    from tuinews.model import Article, Feed, Subscription

    url = "https://ids.example/feed"
    subscribe(cli, (url, "Ids"))
    ids = ["0123456789aaaaaa", "0123456789bbbbbb", "fedcba9876543210"]
    with Store.open(cli.db) as store:
        store.sync_feeds([Subscription(url, "Ids")])
        info = store.feed_by_url(url)
        assert info is not None
        articles = [
            Article(
                id=i,
                feed=url,
                title=f"Title {i}",
                guid=i,
                published=datetime(2026, 1, n + 1, tzinfo=UTC),
            )
            for n, i in enumerate(ids)
        ]
        store.save_fetch(
            info.id,
            Feed(url, "Ids", articles=articles),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=datetime(2026, 1, 5, tzinfo=UTC),
            next_fetch=None,
        )
    lines = cli.call("list").out.splitlines()
    assert len({line.index(" N ") for line in lines}) == 1  # the columns still align
    listed = {line.split()[0]: line for line in lines}
    assert sorted(listed) == ["0123456789a", "0123456789b", "fedcba98"]
    for short in listed:
        shown = cli.call("read", short)
        assert shown.status == 0, shown.err
        assert shown.out.splitlines()[0] in listed[short]


def test_refresh_into_a_file_from_a_terminal_writes_a_line_per_feed(
    cli: Cli, server: FeedServer, tmp_path: Path
) -> None:
    """`tuinews refresh > log` typed at a terminal: the log gets the per-feed lines (as
    in a pipe), and no progress bar is drawn on the terminal meanwhile."""
    import os
    import pty

    fast = server.route("/fast", static(rss(2, title="Fast", prefix="fast")))
    slow = server.route("/slow", Generated(items=3, title="Slow", delay=1.0))
    subscribe(cli, (fast, "Fast"), (slow, "Slow"))
    log = tmp_path / "log.txt"
    leader, follower = pty.openpty()
    with log.open("wb") as out:
        child = subprocess.run(
            [str(TUINEWS), "refresh"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=follower,
            env={**cli.env, "TERM": "xterm-256color"},
            timeout=60,
        )
    os.close(follower)
    os.set_blocking(leader, False)
    try:
        screen = os.read(leader, 65536).decode()
    except OSError:  # nothing was written to the terminal (EAGAIN, or EIO once it closed)
        screen = ""
    os.close(leader)
    assert child.returncode == 0
    assert "Refreshing" not in screen
    lines = log.read_text().splitlines()
    assert sorted(line.split("  ")[-1] for line in lines[:2]) == ["Fast", "Slow"]
    assert summary_of(lines[-1])[:2] == (2, 5)


def test_cleanup_drops_feeds_deleted_from_the_settings_only_when_asked(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    """A feed deleted from the settings file by hand keeps its articles until
    `cleanup --unsubscribed`: plain `cleanup` only says so, since `--config OTHER`
    names another list of feeds and must never empty the store."""
    alpha, _beta = two_feeds
    assert cli.run("refresh").status == 0
    starred = next(line for line in cli.call("list").out.splitlines() if "beta" in line)
    with Store.open(cli.db) as store:
        found = store.find_article(starred.split()[0])
        assert found is not None
        store.set_starred(found.pk, True)
    # The user deletes Beta's entry with an editor; its articles stay until cleanup.
    text = cli.config.read_text()
    cli.config.write_text(text[: text.index("\n[[feeds]]", text.index(alpha))] + "\n")
    told = cli.call("cleanup")
    assert (told.status, told.out) == (0, "")
    assert "1 feed not in" in told.err and "holds 1 article (Beta)" in told.err
    assert "cleanup --unsubscribed" in told.err
    assert len(cli.call("list").out.splitlines()) == 5
    result = cli.call("cleanup", "--unsubscribed")
    assert result.status == 0, result.err
    assert result.out == "removed 1 article of 1 feed no longer subscribed (kept: starred ones)\n"
    titles = [line.split("  ")[-1] for line in cli.call("list").out.splitlines()]
    assert len(titles) == 4 and sum("beta" in title for title in titles) == 1
    assert cli.call("cleanup").err.startswith("tuinews: no [retention] settings")


def test_cleanup_counts_what_a_deleted_feed_still_holds_after_retention(
    cli: Cli, server: FeedServer
) -> None:
    """The hint about a feed deleted from the settings file by hand counts what is left
    after the retention settings applied: it said "still holds 6 articles" while the
    same run had just dropped 3 of them, and `--unsubscribed` then removed 3."""
    url = server.route("/many", static(rss(6, title="Many", prefix="many")))
    other = server.route("/other", static(rss(1, title="Other", prefix="other")))
    subscribe(cli, (url, "Many"), (other, "Other"))
    assert cli.run("refresh").status == 0
    server.route("/many", static(rss(2, title="Many", prefix="many")))
    assert cli.run("refresh").status == 0
    # The user deletes the feed from the file and sets a retention in the same edit.
    subscribe(cli, (other, "Other"))
    cli.config.write_text(cli.config.read_text() + "\n[retention]\nper_feed = 1\n")
    result = cli.call("cleanup")
    assert result.status == 0, result.err
    # Kept: the newest (item 6).
    assert result.out.startswith("removed 5 articles")
    assert "holds 1 article (Many)" in result.err, result.err
    assert len(cli.call("list").out.splitlines()) == 1 + 1
    dropped = cli.call("cleanup", "--unsubscribed")
    assert dropped.out.startswith("removed 1 article of 1 feed no longer subscribed")


def test_cleanup_with_another_settings_file_never_empties_the_store(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    alpha, _beta = two_feeds
    assert cli.run("refresh").status == 0
    other = cli.root / "other.toml"
    other.write_text(f'[[feeds]]\nurl = "{alpha}"\n')
    result = cli.call("--config", str(other), "cleanup")
    assert result.status == 0 and result.out == ""
    assert "cleanup --unsubscribed" in result.err
    assert len(cli.call("list").out.splitlines()) == 5
    empty = cli.root / "empty.toml"
    empty.write_text("# nothing yet\n")
    refused = cli.call("--config", str(empty), "cleanup", "--unsubscribed")
    assert refused.status == 1 and "lists no feeds" in refused.err
    assert len(cli.call("list").out.splitlines()) == 5


def test_a_password_in_a_feed_url_is_never_shown(cli: Cli, server: FeedServer) -> None:
    gone = server.route("/private", status(404)).replace("http://", "http://me:s3cret@")
    subscribe(cli, (gone, ""))
    result = cli.run("refresh")
    assert result.status == 1
    assert "s3cret" not in result.out + result.err
    assert "me:***@" in result.err
    assert "s3cret" not in cli.call("feeds").out.split("\t")[0]


def test_list_json_does_not_show_the_password_of_a_feed_url(cli: Cli, server: FeedServer) -> None:
    url = server.route("/private", static(rss(2))).replace("http://", "http://me:s3cret@")
    subscribe(cli, (url, ""))
    assert cli.run("refresh").status == 0
    listed = cli.call("list", "--json")
    assert listed.status == 0 and "s3cret" not in listed.out
    masked = url.replace("s3cret", "***")
    assert {line["feed_url"] for line in json_lines(listed.out)} == {masked}
    # The same spelling as `feeds --json`, so the two can be matched.
    assert [line["url"] for line in json_lines(cli.call("feeds", "--json").out)] == [masked]


def test_cleanup_keeps_a_feed_stored_under_an_older_spelling(cli: Cli) -> None:
    """A store written before URLs were canonicalised as now holds `…#latest`: cleanup,
    run before anything else, renames it to the subscribed spelling first, so nothing
    of it is dropped (it used to drop all its articles and marks)."""
    from datetime import UTC, datetime

    from tuinews.model import Article, Feed, Subscription

    url = "http://feeds.example/feed.xml"
    old_spelling = url + "#latest"
    subscribe(cli, (url, "Feed"))
    with Store.open(cli.db) as store:
        store.sync_feeds([Subscription(old_spelling, "Feed")])
        info = store.feed_by_url(old_spelling)
        assert info is not None
        when = datetime(2026, 1, 1, tzinfo=UTC)
        articles = [
            Article(
                id=f"{n:016x}", feed=old_spelling, title=f"Old {n}", guid=str(n), published=when
            )
            for n in range(3)
        ]
        store.save_fetch(
            info.id,
            Feed(old_spelling, "Feed", articles=articles),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=when,
            next_fetch=None,
        )
    result = cli.call("cleanup", "--unsubscribed")
    assert result.out.startswith("removed 0 articles of 0 feeds"), result.out
    assert len(cli.call("list").out.splitlines()) == 3


def test_a_search_with_nothing_to_find_says_so(cli: Cli, two_feeds: tuple[str, str]) -> None:
    assert cli.run("refresh").status == 0
    left_out = cli.call("list", "--search", "-alpha")  # "-alpha" is words, not an option
    assert left_out.status == 2
    assert left_out.err_lines == [
        "tuinews: nothing to search for in '-alpha': give a word of letters or digits "
        "(-word only leaves articles out)"
    ]
    assert cli.call("list", "--search", "🎉").status == 2
    kept = cli.call("list", "--search", "body -alpha")
    assert kept.status == 0 and len(kept.out.splitlines()) == 2


def test_a_feed_named_by_its_url_before_the_store_caught_up_with_its_spelling(
    cli: Cli,
) -> None:
    """`list --feed URL` finds a feed the store still holds under an older spelling of
    that URL (before any command renamed it)."""
    from tuinews.model import Subscription

    url = "http://feeds.example/feed.xml"
    subscribe(cli, (url, "Feed"))
    with Store.open(cli.db) as store:
        store.sync_feeds([Subscription(url + "#latest", "Feed")])
    found = cli.call("list", "--feed", url)
    assert found.status == 0, found.err


def test_a_first_refresh_names_each_feed_by_its_own_title(cli: Cli, server: FeedServer) -> None:
    """Subscribed without a title, a feed is known by its URL until fetched; the line
    saying what its first fetch saved already names it as `feeds` will."""
    url = server.route("/alpha", static(rss(3, title="Alpha Weekly")))
    cli.config.write_text(f'[[feeds]]\nurl = "{url}"\n')
    first = cli.run("refresh")
    assert first.status == 0, first.err
    assert first.out.splitlines()[0] == "[1/1] 3 new  Alpha Weekly"


def test_a_refresh_says_how_many_articles_a_feed_changed(cli: Cli, server: FeedServer) -> None:
    """Edited articles are rewritten (marks kept); the user is told, where "0 new"
    alone would say nothing happened."""
    feed = Generated(items=3, title="Edited")
    cli.config.write_text(f'[[feeds]]\nurl = "{server.route("/e", feed)}"\n')
    assert cli.run("refresh").status == 0
    feed.bump()  # every item's text changes
    feed.items = 4  # and one more
    again = cli.run("refresh")
    assert again.status == 0, again.err
    lines = again.out.splitlines()
    assert lines[0] == "[1/1] 1 new, 3 updated  Edited"
    assert lines[-1].startswith("1 feed: 1 new article, 3 updated, 0 not modified, 0 failed")


def test_a_feed_subscribed_again_after_remove_gets_all_its_articles_back(
    cli: Cli, two_feeds: tuple[str, str], server: FeedServer
) -> None:
    """A starred article keeps a removed feed's row in the store; the server's validators
    must not stay with it, or the next refresh gets a 304 and the other articles never
    come back."""
    alpha, _beta = two_feeds
    assert cli.run("refresh").status == 0
    first = next(line for line in cli.call("list", "--feed", "Alpha").out.splitlines())
    with Store.open(cli.db) as store:
        found = store.find_article(first.split()[0])
        assert found is not None
        store.set_starred(found.pk, True)
    removed = cli.call("remove", "Alpha")
    assert removed.status == 0, removed.err
    assert len(cli.call("list", "--feed", alpha).out.splitlines()) == 1  # the starred one
    assert cli.call("add", alpha).status == 0
    again = cli.run("refresh")
    assert again.status == 0, again.err
    assert summary_of(again.out)[:2] == (2, 2)  # Alpha's two unstarred articles are new
    assert len(cli.call("list", "--feed", alpha).out.splitlines()) == 3
    last = server.requests("/alpha")[-1]
    assert "If-None-Match" not in last.headers


def test_refresh_force_fetches_in_full(
    cli: Cli, two_feeds: tuple[str, str], server: FeedServer
) -> None:
    assert cli.run("refresh").status == 0
    assert summary_of(cli.run("refresh").out)[2] == 2  # both not modified
    forced = cli.run("refresh", "--force")
    assert forced.status == 0, forced.err
    assert summary_of(forced.out) == (2, 0, 0, 0)  # fetched in full: nothing new
    assert "If-None-Match" not in server.requests("/alpha")[-1].headers
    assert "If-None-Match" in server.requests("/alpha")[-2].headers


def test_a_named_store_that_is_not_there_is_refused_not_created(
    cli: Cli, two_feeds: tuple[str, str], tmp_path: Path
) -> None:
    """A typo in --db or TUINEWS_DB must not show an empty store (as if every article
    were gone) nor create folders where it points; refresh creates a store in a folder
    that exists."""
    alpha, beta = two_feeds
    deep = tmp_path / "no" / "such" / "x.db"
    result = cli.run("--db", str(deep), "list")
    assert (result.status, result.out) == (2, "")
    assert result.err == f"tuinews: {deep}: no such folder {deep.parent} (given by --db)\n"
    typo = tmp_path / "tyop.db"
    for args in (["list"], ["read", "abc"], ["mark-read", "--all"], ["cleanup"]):
        result = cli.run(*args, env={"TUINEWS_DB": str(typo)})
        assert (result.status, result.out) == (2, ""), args
        assert result.err == (
            f"tuinews: {typo}: no such store (given by TUINEWS_DB); `tuinews refresh` creates it\n"
        )
    assert not (tmp_path / "no").exists() and not typo.exists()
    # `feeds` lists the subscriptions, says the store is not there yet, makes none.
    listed = cli.run("feeds", env={"TUINEWS_DB": str(typo)})
    assert listed.status == 0 and len(listed.out.splitlines()) == 2
    assert listed.err == (
        f"tuinews: {typo}: no such store yet (given by TUINEWS_DB); `tuinews refresh` creates it\n"
    )
    # Not "refresh creates it" where refresh cannot (a tester's find).
    listed = cli.run("feeds", env={"TUINEWS_DB": str(deep)})
    assert listed.status == 0 and len(listed.out.splitlines()) == 2
    assert listed.err == f"tuinews: {deep}: no such folder {deep.parent} (given by TUINEWS_DB)\n"
    # `remove` leaves the subscriptions file as asked, with no store made where it points.
    assert cli.run("add", alpha, env={"TUINEWS_DB": str(typo)}).status != 0  # subscribed
    removed = cli.run("remove", "Beta", env={"TUINEWS_DB": str(typo)})
    assert removed.status == 0 and not typo.exists()
    assert beta not in cli.config.read_text()
    created = cli.run("refresh", env={"TUINEWS_DB": str(typo)})
    assert created.status == 0, created.err
    assert len(cli.run("list", env={"TUINEWS_DB": str(typo)}).out.splitlines()) == 3


def test_an_empty_search_is_refused_and_index_with_an_id_is_pointed_out(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    assert cli.run("refresh").status == 0
    for words in ("", "   "):
        result = cli.call("list", "--search", words)
        assert (result.status, result.out) == (2, ""), words
        assert result.err.startswith(f"tuinews: nothing to search for in {words!r}")
    article_id = cli.call("list").out.split()[0]
    shown = cli.call("read", article_id, "--index", "2")
    assert shown.status == 0 and shown.out
    assert shown.err == "tuinews: --index applies to a source, not to a stored article id\n"
    assert cli.call("read", article_id).err == ""


def test_undated_articles_are_listed_in_the_feeds_own_order(cli: Cli, tmp_path: Path) -> None:
    # No dates: every item is dated by the fetch that found it, so they tie. The store
    # lists them as the feed does (and as `tuinews list FILE` does), top item first.
    items = "".join(
        f"<item><title>Item {n}</title><guid>u-{n}</guid></item>" for n in ("one", "two", "three")
    )
    feed = tmp_path / "undated.xml"
    feed.write_text(f'<rss version="2.0"><channel><title>U</title>{items}</channel></rss>')
    subscribe(cli, (str(feed), "Undated"))
    assert cli.run("refresh").status == 0
    stored = [row["title"] for row in json_lines(cli.call("list", "--json").out)]
    direct = [row["title"] for row in json_lines(cli.call("list", "--json", str(feed)).out)]
    assert stored == direct == ["Item one", "Item two", "Item three"]


def test_a_move_the_settings_file_cannot_follow_leaves_the_feed_working(
    cli: Cli, server: FeedServer
) -> None:
    # Feeds written as an inline array cannot be edited by the command: the store then
    # keeps the old address too, so the feed goes on being refreshed (and the move is
    # said again), instead of becoming "another subscription" of itself.
    from feedserver import redirect

    feed = Generated(items=2, title="Moved")
    new = server.route("/new", feed)
    old = server.route("/old", redirect(new, 301))
    cli.config.write_text(f'feeds = [{{ url = "{old}", title = "Mine" }}]\n')
    first = cli.run("refresh")
    assert first.status == 0, first.err
    assert f"moved permanently to {new}; not updated" in first.err
    feed.bump()  # new text: every item counts as updated
    second = cli.run("refresh")
    assert second.status == 0, second.err
    assert "2 updated" in second.out and "subscribed already" not in second.err
    assert len(json_lines(cli.call("list", "--json").out)) == 2


def test_a_feed_cut_off_mid_item_saves_the_whole_items_and_says_so(
    cli: Cli, server: FeedServer
) -> None:
    whole = rss(3, title="Cut").decode()
    cut = whole[: whole.rindex("<item>") + len("<item><title>Ite")]  # inside the last item
    # The validators are those of the whole document, cut on its way (a proxy, a
    # connection closed early): a tester's find, they were kept, and the next refresh's
    # 304 kept the rest of the feed away until it changed.
    url = server.route("/cut.xml", static(cut.encode(), etag='"v1"', last_modified=http_date()))
    subscribe(cli, (url, "Cut"))
    result = cli.run("refresh")
    assert result.status == 0, result.err  # not a failure: two whole articles saved
    assert summary_of(result.out)[:2] == (1, 2)
    assert result.err.startswith("tuinews: Cut: the document ends early at line ")
    assert result.err.rstrip().endswith("; its complete articles were saved")
    server.routes["/cut.xml"] = static(whole.encode(), etag='"v1"')
    again = cli.run("refresh")
    assert again.status == 0, again.err
    assert "If-None-Match" not in server.requests("/cut.xml")[-1].headers
    assert summary_of(again.out)[:2] == (1, 1)  # the third article, at last
    assert len(json_lines(cli.call("list", "--json").out)) == 3


def test_a_cut_feed_file_listed_or_in_a_subscribed_folder_is_said_to_end_early(
    cli: Cli, tmp_path: Path
) -> None:
    """`list` and `read` of a cut document showed its first articles with nothing said;
    a cut file inside a subscribed folder was saved silently, and the folder, deemed
    unchanged, was not read again once the file was whole."""
    whole = rss(3, title="Cut").decode()
    cut = whole[: whole.rindex("<item>") + len("<item><title>Ite")]
    alone = tmp_path / "cut.xml"
    alone.write_text(cut)
    listed = cli.run("list", str(alone))
    assert listed.status == 0
    assert listed.err.startswith(f"tuinews: {alone}: the document ends early at line ")
    assert listed.err.rstrip().endswith("; its complete articles are shown")
    assert len(listed.out.splitlines()) == 2
    read = cli.run("read", str(alone))
    assert read.status == 0 and "item 3" in read.out
    assert "the document ends early at line " in read.err
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "feed.xml").write_text(cut)
    subscribe(cli, (str(folder), "Folder"))
    result = cli.run("refresh")
    assert result.status == 0, result.err
    assert result.err.startswith("tuinews: Folder: feed.xml: the document ends early at line ")
    assert summary_of(result.out)[:2] == (1, 2)
    # Read again, not taken for unchanged: the file may be whole by then.
    assert "feed.xml: the document ends early" in cli.run("refresh").err
    (folder / "feed.xml").write_text(whole)
    again = cli.run("refresh")
    assert again.err == ""
    assert summary_of(again.out)[:2] == (1, 1)  # the third article
    # Cut before its first article: said too (it was skipped without a word).
    (folder / "early.xml").write_text(whole[: whole.index("<item>") + 3])
    early = cli.run("refresh")
    assert "early.xml: the document ends early at line " in early.err


def test_a_refresh_whose_pipe_closes_early_still_refreshes_every_feed(
    cli: Cli, server: FeedServer
) -> None:
    # `tuinews refresh | head -1`: the reader of the lines goes away, not the refresh.
    entries = [
        (server.route(f"/f{n}.xml", Generated(items=2, title=f"F{n}", delay=0.05 * n)), f"F{n}")
        for n in range(6)
    ]
    subscribe(cli, *entries, (server.route("/bad.xml", status(404)), "Bad"))
    child = subprocess.Popen(
        [str(TUINEWS), "refresh"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=cli.env,
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith(b"[1/7]")
    child.stdout.close()
    assert child.wait(timeout=60) == 1  # Bad failed: said by the status, as in a pipe
    assert len(json_lines(cli.call("list", "--json").out)) == 12


def test_list_by_tag(cli: Cli, server: FeedServer) -> None:
    alpha = server.route("/alpha", static(rss(3, title="Alpha", prefix="alpha")))
    beta = server.route("/beta", static(rss(2, title="Beta", prefix="beta")))
    cli.config.write_text(
        f'[[feeds]]\nurl = "{alpha}"\ntags = ["News"]\n\n'
        f'[[feeds]]\nurl = "{beta}"\ntags = ["tech"]\n'
    )
    assert cli.run("refresh").status == 0
    news = json_lines(cli.call("list", "--json", "--tag", "news").out)
    assert {row["feed"] for row in news} == {"Alpha"} and len(news) == 3
    both = json_lines(cli.call("list", "--json", "--tag", "news", "--feed", "Beta").out)
    assert len(both) == 5
    unknown = cli.call("list", "--tag", "sport")
    assert unknown.status == 1
    assert unknown.err == "tuinews: no feed has the tag 'sport' (tags: News, tech)\n"


def test_feeds_are_named_as_the_settings_file_names_them_now(cli: Cli, server: FeedServer) -> None:
    alpha = server.route("/alpha", static(rss(3, title="Tender Lovemaking", prefix="alpha")))
    beta = server.route("/beta", static(rss(2, title="Beta", prefix="beta")))
    cli.config.write_text(f'[[feeds]]\nurl = "{alpha}"\n')
    assert cli.run("refresh").status == 0
    # Subscribed since the refresh, by hand, with a title and a tag; alpha gets a tag too.
    cli.config.write_text(
        f'[[feeds]]\nurl = "{alpha}"\ntags = ["handtag"]\n\n'
        f'[[feeds]]\nurl = "{beta}"\ntitle = "Tender"\n'
    )
    # "Tender" is beta's title now: nothing of it is stored yet, and alpha is left alone
    # (it used to be taken for "Tender", the only stored title holding the word).
    assert cli.call("list", "--feed", "Tender").out == ""
    assert cli.call("mark-read", "--feed", "Tender").out == "marked 0 articles read\n"
    assert len(cli.call("list", "--unread").out.splitlines()) == 3
    tagged = cli.call("list", "--json", "--tag", "handtag")
    assert tagged.status == 0 and len(json_lines(tagged.out)) == 3
    # Rows are labelled with the name --feed takes (they kept the stored title).
    cli.config.write_text(f'[[feeds]]\nurl = "{alpha}"\ntitle = "Comic A"\n')
    rows = json_lines(cli.call("list", "--json", "--feed", "Comic A").out)
    assert len(rows) == 3 and {row["feed"] for row in rows} == {"Comic A"}


def test_a_refresh_of_feeds_fetched_with_validators_starts_no_parse_workers(
    cli: Cli, server: FeedServer
) -> None:
    # Their next fetch is most likely a 304 with nothing to parse: starting the workers
    # was a quarter of a refresh of 100 unchanged feeds. A first refresh, or --force,
    # still starts them (and a refresh whose bodies come after all starts them then).
    import argparse

    from tuinews.commands.store_commands import WORKERS_FROM_FEEDS, wants_workers

    count = WORKERS_FROM_FEEDS + 2
    subscribe(cli, *((server.route(f"/f{n}", Generated(items=2)), f"F{n}") for n in range(count)))
    subs = [Subscription(server.url(f"/f{n}")) for n in range(count)]

    def workers(force: bool) -> bool:
        return wants_workers(argparse.Namespace(feeds=[], force=force), subs, cli.db)

    assert workers(force=False)  # no store yet: a first refresh
    assert cli.run("refresh").status == 0
    assert not workers(force=False)
    assert workers(force=True)


def test_a_search_with_thousands_of_hits_is_listed_in_a_few_pages(
    cli: Cli, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page of a search scores and sorts every hit again: 100,000 hits in pages of
    500 took 70 s to list (80 s with --json), and every page more than the one before."""
    subscribe(cli, (server.route("/many", Generated(items=3000)), "Many"))
    assert cli.run("refresh").status == 0
    pages = []
    headlines = Store.headlines

    def counted(self: Store, *args: object, **kwargs: object) -> object:
        pages.append(kwargs.get("limit"))
        return headlines(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "headlines", counted)
    listed = cli.call("list", "--search", "lorem", "--json")
    ids = [record["id"] for record in json_lines(listed.out)]
    assert len(ids) == len(set(ids)) == 3000
    assert len(pages) <= 4, pages
    monkeypatch.setattr(Store, "headlines", headlines)
    with Store.open(cli.db) as store:
        best_first = store.headlines(View(search="lorem"), limit=5000)
    assert [record["id"] for record in json_lines(listed.out)] == [h.article_id for h in best_first]


def _run_with_closed(cli: Cli, fd: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The console script started with standard output or error closed (`>&-`, `2>&-`),
    as some scripts and service managers start it."""
    other = subprocess.PIPE
    return subprocess.run(
        [str(TUINEWS), *args],
        stdin=subprocess.DEVNULL,
        stdout=other if fd != 1 else None,
        stderr=other if fd != 2 else None,
        env=cli.env,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.close(fd),  # in the child, before it runs tuinews
    )


@pytest.mark.parametrize("args", [["refresh"], ["list"], ["feeds"], ["mark-read", "--all"]])
def test_a_command_started_with_stdout_closed_works_without_a_traceback(
    cli: Cli, two_feeds: tuple[str, str], args: list[str]
) -> None:
    # `tuinews refresh >&-`: refresh printed a traceback (sys.stdout is None) and
    # saved nothing; list likewise.
    assert cli.run("refresh").status == 0
    done = _run_with_closed(cli, 1, *args)
    assert (done.returncode, done.stderr) == (0, b"")
    assert_store_sound(cli.db)


def test_a_refresh_started_with_stderr_closed_exits_0_when_all_went_well(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    # `tuinews refresh 2>&-`: every feed read, the summary said 0 failed, yet the exit
    # status was 1 (the last flush of a stderr that is None failed).
    done = _run_with_closed(cli, 2, "refresh")
    assert done.returncode == 0
    assert summary_of(done.stdout.decode()) == (2, 5, 0, 0)
    assert_store_sound(cli.db)


def test_a_feed_named_by_its_whole_title_in_another_case_is_that_feed(
    cli: Cli, server: FeedServer
) -> None:
    # `tuinews refresh good` with feeds "Good" and "Good Two": refused as naming both,
    # though "Good" is the title typed, only in lower case.
    good = server.route("/good", static(rss(2, title="Good"), etag='"g"'))
    two = server.route("/two", static(rss(3, title="Good Two", prefix="two"), etag='"t"'))
    subscribe(cli, (good, "Good"), (two, "Good Two"))
    result = cli.run("refresh", "good")
    assert (result.status, result.err) == (0, "")
    assert summary_of(result.out) == (1, 2, 0, 0)
    assert len(json_lines(cli.call("list", "--json", "--feed", "GOOD").out)) == 2
    # A part of a title still has to name one feed.
    assert "matches several feeds" in cli.run("refresh", "goo").err


def test_list_on_a_terminal_fits_wide_characters_in_their_cells(cli: Cli, tmp_path: Path) -> None:
    """Chinese feed names and titles take two cells a character: the rows were padded
    and cut by characters, pushing the titles right and wrapping every row at 80."""
    feed = tmp_path / "cjk.xml"
    items = "".join(
        f"<item><title>{title}</title><guid>g{n}</guid>"
        f"<pubDate>Mon, 0{n + 1} Jan 2024 10:00:00 +0000</pubDate></item>"
        for n, title in enumerate(
            ["中华人民共和国国务院新闻办公室今天举行新闻发布会介绍有关情况", "Plain ASCII title"]
        )
    )
    feed.write_text(
        f'<rss version="2.0"><channel><title>中文新闻频道</title>{items}</channel></rss>',
        encoding="utf-8",
    )
    assert cli.call("add", str(feed)).status == 0
    assert cli.call("refresh", "--quiet").status == 0
    from rich.cells import cell_len

    code, out = run_in_terminal(["list"], cli.env, columns=80)
    assert code == 0
    rows = [line for line in out.replace("\r", "").split("\n") if "中文新闻频道" in line]
    assert len(rows) == 2
    assert all(cell_len(row) <= 80 for row in rows)
    # The titles start in one column, after the feed's name padded to its cells.
    plain, chinese = sorted(rows, key=lambda row: "Plain" not in row)
    assert cell_len(plain[: plain.index("Plain")]) == cell_len(chinese[: chinese.index("中华")])


@pytest.mark.parametrize("columns", [30, 40, 50, 60])
def test_list_on_a_narrow_terminal_keeps_the_headline_before_the_feed_name(
    cli: Cli, tmp_path: Path, columns: int
) -> None:
    """The feed column gives way first: at 60 columns it left the headline 8 cells
    ("Using v…"), at 50 none."""
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<rss version="2.0"><channel><title>Artificial truth blog</title>'
        "<item><guid>1</guid><title>Using vale with vim</title>"
        "<pubDate>Sun, 10 Mar 2024 16:15:00 GMT</pubDate></item></channel></rss>",
        encoding="utf-8",
    )
    assert cli.call("add", str(feed)).status == 0
    assert cli.call("refresh", "--quiet").status == 0
    for command in (["list"], ["list", str(feed)]):
        code, out = run_in_terminal(command, cli.env, columns=columns)
        assert code == 0
        (row,) = [line for line in out.replace("\r", "").split("\n") if "03-10" in line]
        assert len(row) <= columns
        # The headline right after the date, which gives up its year and time first
        # when the headline would have fewer than 20 cells.
        date = "2024-03-10 16:15" if columns >= 50 else "24-03-10"
        assert f"{date}  Using v" in row
        assert "Artificial" not in row
    code, out = run_in_terminal(["list"], cli.env, columns=80)
    assert "Artificial truth bl…  Using vale with vim" in out


def test_a_mark_made_while_the_reader_is_open_is_in_the_store_file(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    """A tester's find: with the reader open, `mark-read` left its change in the -wal
    file, which a copy or a move of the store file leaves behind."""
    import contextlib
    import shutil
    import sqlite3

    assert cli.run("refresh").status == 0
    short_id = cli.call("list").out.splitlines()[0].split()[0]
    with Store.open(cli.db):  # the reader
        assert cli.call("mark-read", short_id).status == 0
        copy = cli.db.with_name("backup.db")
        shutil.copyfile(cli.db, copy)
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT count(*) FROM articles WHERE read").fetchone() == (1,)


def test_a_store_moved_away_from_its_wal_file_is_not_made_anew(
    cli: Cli, two_feeds: tuple[str, str]
) -> None:
    """A tester's find: the store renamed while the reader had it open left its -wal
    file behind; the next command made a new store out of it (almost empty) and deleted
    the file, the last copy of the marks in it."""
    assert cli.run("refresh").status == 0
    with Store.open(cli.db) as reader:
        reader.settle_writes = False  # a reader of an earlier version
        reader.mark_read_where(View())
        cli.db.rename(cli.db.with_name("moved.db"))
        wal = cli.db.with_name("store.db-wal")
        size = wal.stat().st_size
        listed = cli.call("list")
        assert listed.status == 1
        assert listed.err_lines == [
            f"tuinews: {cli.db}: missing, but store.db-wal beside it holds changes made to "
            "it (the store was moved or deleted while in use): move the store back if "
            "nothing opened it since, else delete store.db-wal (it would damage a store "
            "changed since)"
        ]
        assert not cli.db.exists() and wal.stat().st_size == size


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("http://[]/", "invalid URL: '' does not appear to be an IPv4 or IPv6 address"),
        ("file://[]/x", "malformed URL ('' does not appear to be an IPv4 or IPv6 address)"),
    ],
)
def test_a_malformed_bracketed_host_is_one_line_not_a_traceback(
    cli: Cli, source: str, reason: str
) -> None:
    # A tester's find: Python's urlsplit raised out of `list` and `read`.
    for command in ("list", "read"):
        result = cli.call(command, source)
        assert (result.status, result.err_lines) == (1, [f"tuinews: {source}: {reason}"])
    added = cli.call("add", source)
    assert added.status == 1 and len(added.err_lines) == 1


def test_a_feed_retention_keeps_nothing_of_says_so(cli: Cli, server: FeedServer) -> None:
    """Every item older than `days`: the first refresh said "0 new" and the feed stayed
    empty without a word, looking broken (a regression tester's find)."""
    url = server.route("/old", static(rss(3, title="Oldies")))  # dated January 2024
    subscribe(cli, (url, "Oldies"))
    cli.config.write_text(cli.config.read_text() + "\n[retention]\ndays = 30\n")
    result = cli.run("refresh", "--quiet")
    assert result.status == 0
    assert result.err_lines == [
        "tuinews: Oldies: its 3 articles are older than the [retention] settings keep: none stored"
    ]
    assert cli.call("list").out == ""
