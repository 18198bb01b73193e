"""refresh_feeds against a real loopback HTTP server and real SQLite stores.

Each test checks both what ends up in the store and the one line the user is told.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from feedserver import (
    Call,
    CutOff,
    FeedServer,
    Generated,
    GzipBomb,
    Oversize,
    Stall,
    closed_port_url,
    http_date,
    redirect,
    rss,
    static,
    status,
)
from tuinews.config import RefreshSettings
from tuinews.errors import TuinewsError
from tuinews.model import Subscription
from tuinews.refresh import FeedOutcome, RefreshBusy, RefreshSummary, refresh_feeds
from tuinews.refresh.locations import source_signature
from tuinews.refresh.lock import RefreshLock
from tuinews.store import FeedInfo, Store, View

SETTINGS = RefreshSettings(timeout=5.0, connect_timeout=2.0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


async def refresh(
    db: Path, *urls: str, settings: RefreshSettings = SETTINGS, **options: object
) -> RefreshSummary:
    subs = [Subscription(url=url) for url in urls]
    return await refresh_feeds(db, subs, settings, **options)  # type: ignore[arg-type]


async def until(condition: Callable[[], object], what: str, seconds: float = 30) -> None:
    """Wait until `condition()` holds (a condition, not a guess at how long it takes)."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what}: not after {seconds} s")


def only_outcome(summary: RefreshSummary) -> FeedOutcome:
    assert len(summary.outcomes) == 1
    return summary.outcomes[0]


def stored(db: Path, url: str) -> FeedInfo:
    with Store.open(db) as store:
        info = store.feed_by_url(url)
    assert info is not None
    return info


def article_count(db: Path) -> int:
    with Store.open(db) as store:
        return store.count(View())


async def test_new_feed_is_stored(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", static(rss(3, title="Three items")))
    summary = await refresh(db, url)
    outcome = only_outcome(summary)
    assert (outcome.status, outcome.new, outcome.error, outcome.http_status) == (
        "updated",
        3,
        None,
        200,
    )
    assert (summary.feeds, summary.new, summary.failed) == (1, 3, 0)
    assert article_count(db) == 3
    info = stored(db, url)
    assert info.title == "Three items"
    assert info.last_error is None and info.failures == 0


async def test_not_modified_sends_validators(server: FeedServer, db: Path) -> None:
    stamp = http_date(1_700_000_000)
    url = server.route("/feed", static(rss(2), etag='"abc"', last_modified=stamp))
    await refresh(db, url)
    summary = await refresh(db, url)
    assert only_outcome(summary).status == "not_modified"
    assert summary.not_modified == 1 and summary.new == 0
    second = server.requests("/feed")[1].headers
    assert second["If-None-Match"] == '"abc"'
    assert second["If-Modified-Since"] == stamp
    assert article_count(db) == 2
    assert stored(db, url).last_status == 304


class _RenamedValidators:
    """A feed whose server renamed its validators: a request with the old or the new
    ones gets a 304 carrying the new ones."""

    def __init__(self) -> None:
        self.etag, self.last_modified = '"v1"', http_date(1_700_000_000)
        self.known = {'"v1"', '"v2"'}

    def serve(self, handler: Any) -> None:
        validators = {"ETag": self.etag, "Last-Modified": self.last_modified}
        if handler.headers.get("If-None-Match") in self.known:
            status, body, headers = 304, b"", validators
        else:
            status, body = 200, rss(2)
            headers = {"Content-Type": "application/rss+xml", **validators}
        handler.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)


async def test_validators_a_304_carries_replace_the_stored_ones(
    server: FeedServer, db: Path
) -> None:
    """A server that sends a new ETag with its 304 (RFC 9111 4.3.4: the stored headers
    are updated) was asked with the old one again, and sent the whole feed as soon as
    it forgot that one (a tester's find)."""
    route = _RenamedValidators()
    url = server.route("/feed", route)
    await refresh(db, url)
    route.etag, route.last_modified = '"v2"', http_date(1_700_086_400)
    summary = await refresh(db, url)
    assert only_outcome(summary).status == "not_modified"
    info = stored(db, url)
    assert (info.etag, info.last_modified) == ('"v2"', route.last_modified)
    await refresh(db, url)
    third = server.requests("/feed")[2].headers
    assert (third["If-None-Match"], third["If-Modified-Since"]) == ('"v2"', route.last_modified)


@pytest.mark.parametrize(
    ("etag", "last_modified"),
    [
        ('"caf\u00c3\u00a9"', None),  # "café" in UTF-8 bytes (the server sends bytes)
        ('"caf\u00e9"', None),  # in Latin-1
        ('"x"', "Mon, 01 Jan 2024 00:00:00 GMT \u00e9"),
    ],
)
async def test_a_validator_that_is_not_ascii_is_not_sent_back(
    server: FeedServer, db: Path, etag: str, last_modified: str | None
) -> None:
    """It was stored, and every later refresh failed before asking anything ("invalid
    URL: 'ascii' codec can't encode…", and the run was taken for offline)."""
    url = server.route("/feed", static(rss(2), etag=etag, last_modified=last_modified))
    await refresh(db, url)
    summary = await refresh(db, url)
    outcome = only_outcome(summary)
    answered = "not_modified" if etag.isascii() else "updated"  # by the ETag sent back
    assert (outcome.status, outcome.error, summary.failed) == (answered, None, 0)
    second = server.requests("/feed")[1].headers
    assert ("If-None-Match" in second) == etag.isascii()
    assert "If-Modified-Since" not in second
    # A store an earlier version filled with such a value is asked without it too.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feeds SET etag = ?, last_modified = ?", (etag, last_modified))
    summary = await refresh(db, url)
    assert (only_outcome(summary).status, summary.failed) == (answered, 0)
    third = server.requests("/feed")[2].headers
    assert ("If-None-Match" in third) == etag.isascii()
    assert "If-Modified-Since" not in third
    assert article_count(db) == 2


async def test_changed_feed_keeps_read_and_starred_marks(server: FeedServer, db: Path) -> None:
    feed = Generated(items=4)
    url = server.route("/feed", feed)
    await refresh(db, url)
    with Store.open(db) as store:
        rows = store.headlines(View(), limit=10)
        store.set_read([rows[0].pk], True)
        store.set_starred(rows[1].pk, True)
    feed.items = 5
    feed.bump()
    outcome = only_outcome(await refresh(db, url))
    assert (outcome.status, outcome.new) == ("updated", 1)
    with Store.open(db) as store:
        marks = {h.pk: (h.read, h.starred) for h in store.headlines(View(), limit=10)}
    assert marks[rows[0].pk] == (True, False)
    assert marks[rows[1].pk] == (False, True)
    assert len(marks) == 5


@pytest.mark.parametrize("code", [301, 308])
async def test_permanent_redirect_moves_the_feed(server: FeedServer, db: Path, code: int) -> None:
    new = server.route("/new", static(rss(2)))
    old = server.route("/old", redirect("/new", code))
    summary = await refresh(db, old)
    outcome = only_outcome(summary)
    assert outcome.status == "updated"
    assert outcome.moved_to == new
    assert summary.moved == [(old, new)]
    with Store.open(db) as store:
        assert store.feed_by_url(old) is None
        assert store.feed_by_url(new) is not None
    assert article_count(db) == 2


async def test_a_move_onto_another_subscription_keeps_both_and_fails(
    server: FeedServer, db: Path
) -> None:
    new = server.route("/new", static(rss(2)))
    await refresh(db, new)
    old = server.route("/old", redirect("/new", 301))
    summary = await refresh(db, old, new)
    outcome = {o.url: o for o in summary.outcomes}[old]
    assert outcome.moved_to is None and summary.moved == []
    assert (outcome.status, outcome.moved_onto, summary.failed) == ("failed", new, 1)
    assert outcome.error == (
        f"moved permanently to {new} (Test feed), which you already subscribe to"
    )
    with Store.open(db) as store:
        assert sorted(info.url for info in store.feeds()) == sorted([old, new])
    # Its articles are stored once, under the feed that is subscribed at that address.
    assert article_count(db) == 2


async def test_temporary_redirect_keeps_the_url(server: FeedServer, db: Path) -> None:
    server.route("/new", static(rss(2)))
    old = server.route("/old", redirect("/new", 302))
    outcome = only_outcome(await refresh(db, old))
    assert outcome.status == "updated" and outcome.moved_to is None
    assert stored(db, old).total == 2


async def test_a_redirect_to_an_address_with_spaces_keeps_them(
    server: FeedServer, db: Path
) -> None:
    # Servers send Location values with raw spaces; browsers and curl send them as %20.
    # Dropped, they asked for another address ("/myfeed.xml").
    server.route("/my%20feed.xml", static(rss(2)))
    server.route("/myfeed.xml", status(404))
    old = server.route("/old", redirect(" /my feed.xml ", 302))
    outcome = only_outcome(await refresh(db, old))
    assert (outcome.status, outcome.error) == ("updated", None)
    assert stored(db, old).total == 2


@pytest.mark.parametrize(
    "target",
    [
        "file:///etc/passwd",
        "file:///tmp/",
        "ftp://example.com/feed",
        # No host: httpx cannot build its next request from these (that escaped as
        # "unexpected error (InvalidURL: ...)").
        "javascript:alert(1)",
        "data:text/xml,<rss/>",
        "mailto:feeds@example.com",
    ],
)
async def test_redirect_off_the_web_is_refused(server: FeedServer, db: Path, target: str) -> None:
    # A feed server must not be able to point its subscription at the user's own files.
    url = server.route("/feed", redirect(target, 301))
    summary = await refresh(db, url)
    outcome = only_outcome(summary)
    assert outcome.status == "failed" and outcome.moved_to is None
    scheme = target.split(":")[0]
    assert outcome.error == f"redirected to {scheme}: (not a web address): not followed"
    assert summary.moved == []
    with Store.open(db) as store:
        assert [info.url for info in store.feeds()] == [url]
    assert article_count(db) == 0


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://127.0.0.1:99999/feed", "invalid URL"),
        ("http://[zz]/feed", "invalid URL"),
        ("http:feed", "invalid URL"),
    ],
)
async def test_redirect_to_a_broken_url_fails_that_feed_alone(
    server: FeedServer, db: Path, target: str, reason: str
) -> None:
    bad = server.route("/bad", redirect(target, 302))
    good = server.route("/good", static(rss(2)))
    summary = await refresh(db, bad, good)
    outcomes = {o.url: o for o in summary.outcomes}
    assert outcomes[bad].status == "failed"
    assert outcomes[bad].error is not None and outcomes[bad].error.startswith(reason)
    assert outcomes[good].status == "updated" and stored(db, good).total == 2


async def test_permanent_redirect_to_a_failing_address_does_not_move(
    server: FeedServer, db: Path
) -> None:
    server.route("/new", status(404))
    old = server.route("/old", redirect("/new", 301))
    outcome = only_outcome(await refresh(db, old))
    line = f"HTTP 404 Not Found (at {server.url('/new')})"  # the address that said so
    assert (outcome.status, outcome.error) == ("failed", line)
    assert outcome.moved_to is None
    assert stored(db, old).last_error == line
    # Once the new address answers, the feed moves.
    new = server.route("/new", static(rss(1)))
    moved = only_outcome(await refresh(db, old, force=True))
    assert (moved.status, moved.moved_to) == ("updated", new)


PARKED = b"<html><head><title>This domain may be for sale</title></head><body>Buy</body></html>"


async def test_permanent_redirect_to_a_page_that_is_no_feed_does_not_move(
    server: FeedServer, db: Path
) -> None:
    # A working feed whose domain expired: 301 to a parking page. It moved there for
    # good (store and settings file), though the page never was a feed.
    feed = Generated(items=2)
    old = server.route("/feed.xml", feed)
    assert only_outcome(await refresh(db, old)).status == "updated"
    parked = server.route("/parked.html", static(PARKED, content_type="text/html"))
    server.route("/feed.xml", redirect("/parked.html", 301))
    summary = await refresh(db, old, force=True)
    outcome = only_outcome(summary)
    assert outcome.status == "failed" and outcome.moved_to is None
    assert outcome.error == f"not a feed: looks like an HTML page (at {parked})"
    assert summary.moved == []
    with Store.open(db) as store:
        assert [info.url for info in store.feeds()] == [old]
        assert store.former_urls() == {}
    assert stored(db, old).total == 2
    # Once the new address gives a feed, the feed moves.
    server.route("/parked.html", feed)
    moved = only_outcome(await refresh(db, old, force=True))
    assert (moved.status, moved.moved_to) == ("updated", parked)
    assert stored(db, parked).total == 2


async def test_redirect_target_is_stored_as_the_subscription_file_writes_it(
    server: FeedServer, db: Path
) -> None:
    # An upper-case host would otherwise be a second feed at the next refresh.
    server.route("/new", static(rss(1)))
    old = server.route("/old", redirect(f"HTTP://LOCALHOST:{server.port}/new", 301))
    outcome = only_outcome(await refresh(db, old))
    canonical = f"http://localhost:{server.port}/new"
    assert (outcome.status, outcome.moved_to) == ("updated", canonical)
    assert stored(db, canonical).total == 1


async def test_a_slow_host_does_not_hold_up_other_hosts(server: FeedServer, db: Path) -> None:
    # 20 feeds on one slow host (4 at a time) and one on another host (the same server
    # under another name): the other host's feed must not wait behind the queue.
    for n in range(20):
        server.route(f"/slow{n}", Generated(items=1, delay=0.3))
    slow = [f"http://localhost:{server.port}/slow{n}" for n in range(20)]
    quick = server.route("/quick", static(rss(1)))
    finished: list[str] = []
    settings = replace(SETTINGS, concurrency=16, per_host=4)
    await refresh(
        db, *slow, quick, settings=settings, progress=lambda _d, _t, o: finished.append(o.url)
    )
    assert len(finished) == 21
    assert finished.index(quick) < 4  # before the slow host's first round is over


async def test_redirect_loop(server: FeedServer, db: Path) -> None:
    server.route("/a", redirect("/b", 302))
    url = server.route("/b", redirect("/a", 302))
    outcome = only_outcome(await refresh(db, url))
    loop = f"redirect loop ({url} -> /a -> /b)"
    assert (outcome.status, outcome.error) == ("failed", loop)
    assert stored(db, url).last_error == loop


@pytest.mark.parametrize(
    ("code", "line"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
async def test_error_status_backs_off(server: FeedServer, db: Path, code: int, line: str) -> None:
    url = server.route("/feed", status(code, body=b"<html>error page</html>"))
    before = datetime.now(UTC)
    outcome = only_outcome(await refresh(db, url))
    assert (outcome.status, outcome.error, outcome.http_status) == ("failed", line, code)
    info = stored(db, url)
    assert (info.last_status, info.last_error, info.failures) == (code, line, 1)
    assert info.next_fetch is not None and info.next_fetch > before
    again = only_outcome(await refresh(db, url))
    assert again.status == "skipped"
    assert again.error is not None and again.error.startswith("next try after")
    assert line in again.error
    assert len(server.requests("/feed")) == 1
    forced = only_outcome(await refresh(db, url, force=True))
    assert forced.status == "failed"
    assert stored(db, url).failures == 2
    assert len(server.requests("/feed")) == 2


async def test_gone_disables_the_feed(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", status(410))
    outcome = only_outcome(await refresh(db, url))
    assert outcome.status == "failed" and outcome.disabled
    assert outcome.error == "gone (HTTP 410): feed disabled"
    assert stored(db, url).disabled
    later = only_outcome(await refresh(db, url, force=False))
    assert later.status == "skipped"
    assert len(server.requests("/feed")) == 1
    # Forced, it is tried again; answering again brings it back.
    server.route("/feed", static(rss(1)))
    back = only_outcome(await refresh(db, url, only=[url], force=True))
    assert back.status == "updated"
    assert not stored(db, url).disabled


@pytest.mark.parametrize("code", [429, 503])
async def test_retry_after_is_honoured(server: FeedServer, db: Path, code: int) -> None:
    url = server.route("/feed", status(code, headers={"Retry-After": "3600"}))
    before = datetime.now(UTC)
    outcome = only_outcome(await refresh(db, url))
    assert outcome.status == "failed" and outcome.http_status == code
    info = stored(db, url)
    assert info.next_fetch is not None
    assert before + timedelta(minutes=59) < info.next_fetch <= before + timedelta(minutes=61)
    summary = await refresh(db, url)
    assert only_outcome(summary).status == "skipped" and summary.skipped == 1
    assert len(server.requests("/feed")) == 1


async def test_connection_refused(db: Path) -> None:
    url = closed_port_url()
    outcome = only_outcome(await refresh(db, url))
    assert (outcome.status, outcome.error) == ("failed", "connection refused")
    assert stored(db, url).last_error == "connection refused"


async def test_unresolvable_host(db: Path) -> None:
    url = "http://nonexistent.invalid/"
    outcome = only_outcome(await refresh(db, url))
    assert outcome.error == "cannot resolve host 'nonexistent.invalid'"
    assert stored(db, url).failures == 1


async def test_stalled_server_times_out(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", Stall(interval=0.25))
    outcome = only_outcome(await refresh(db, url, settings=replace(SETTINGS, timeout=1.0)))
    assert (outcome.status, outcome.error) == ("failed", "timed out after 1 s")
    assert article_count(db) == 0


async def test_cut_off_body(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", CutOff(rss(20)[:500], declared=len(rss(20))))
    outcome = only_outcome(await refresh(db, url))
    assert outcome.error == (
        f"the connection closed before the whole body arrived (got 500 of {len(rss(20)):,} bytes)"
    )
    assert article_count(db) == 0


async def test_oversize_body(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", Oversize(4 * 1024 * 1024, declare_length=False))
    settings = replace(SETTINGS, max_bytes=1024 * 1024)
    outcome = only_outcome(await refresh(db, url, settings=settings))
    assert outcome.error == "response larger than 1 MB"
    assert stored(db, url).last_error == "response larger than 1 MB"


async def test_gzip_bomb(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", GzipBomb(inflated=10 * 1024 * 1024))
    settings = replace(SETTINGS, max_bytes=256 * 1024)
    outcome = only_outcome(await refresh(db, url, settings=settings))
    assert outcome.error == "response larger than 256 KB"


async def test_gzipped_feed_is_stored(server: FeedServer, db: Path) -> None:
    body = gzip.compress(rss(3))
    url = server.route("/feed", static(body, headers={"Content-Encoding": "gzip"}))
    assert only_outcome(await refresh(db, url)).new == 3


@pytest.mark.parametrize(
    ("body", "content_type", "line"),
    [
        (b"<!DOCTYPE html><html><body>Hi</body></html>", "text/html", "looks like an HTML page"),
        (bytes(range(256)) * 8, "application/octet-stream", "binary data"),
        (b"", "application/rss+xml", "empty document (0 bytes)"),
    ],
)
async def test_not_a_feed(
    server: FeedServer, db: Path, body: bytes, content_type: str, line: str
) -> None:
    url = server.route("/feed", static(body, content_type=content_type))
    outcome = only_outcome(await refresh(db, url))
    assert outcome.status == "failed"
    assert outcome.error is not None and line in outcome.error
    assert "\n" not in outcome.error and "Traceback" not in outcome.error
    assert article_count(db) == 0


async def test_lying_content_type_still_parses(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", static(rss(2), content_type="text/html; charset=utf-8"))
    assert only_outcome(await refresh(db, url)).new == 2


async def test_local_file_is_read_again_only_when_changed(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "local.xml"
    path.write_bytes(rss(2))
    first = only_outcome(await refresh(db, str(path)))
    assert (first.status, first.new) == ("updated", 2)
    assert stored(db, str(path)).source_mtime == source_signature(path)
    second = only_outcome(await refresh(db, str(path)))
    assert second.status == "unchanged_file"
    path.write_bytes(rss(3))
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))
    third = only_outcome(await refresh(db, str(path)))
    assert (third.status, third.new) == ("updated", 1)
    assert article_count(db) == 3
    assert only_outcome(await refresh(db, str(path))).status == "unchanged_file"


async def test_file_url_and_directory(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "local.xml"
    path.write_bytes(rss(2))
    assert only_outcome(await refresh(db, path.as_uri())).new == 2
    assert only_outcome(await refresh(db, path.as_uri())).status == "unchanged_file"
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "one.md").write_text("# One\n\nFirst note.\n")
    assert only_outcome(await refresh(db, str(folder))).new == 1
    assert only_outcome(await refresh(db, str(folder))).status == "unchanged_file"
    note = folder / "one.md"
    note.write_text("# One\n\nEdited in place.\n")
    os.utime(note, (note.stat().st_atime, note.stat().st_mtime + 5))
    assert only_outcome(await refresh(db, str(folder))).status == "updated"


async def test_local_file_rewritten_with_the_same_mtime_is_read_again(
    tmp_path: Path, db: Path
) -> None:
    # `cp -p`, `rsync -t` or `tar x` of a newer copy: new content, the old mtime.
    path = tmp_path / "local.xml"
    path.write_bytes(rss(1))
    os.utime(path, (1_700_000_000, 1_700_000_000))
    assert only_outcome(await refresh(db, str(path))).new == 1
    path.write_bytes(rss(2))
    os.utime(path, (1_700_000_000, 1_700_000_000))
    outcome = only_outcome(await refresh(db, str(path)))
    assert (outcome.status, outcome.new) == ("updated", 1)
    assert only_outcome(await refresh(db, str(path))).status == "unchanged_file"


async def test_directory_with_a_future_dated_file_sees_later_changes(
    tmp_path: Path, db: Path
) -> None:
    # One file dated tomorrow (clock skew, an archive) must not hide the others' changes.
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nalpha\n")
    (folder / "b.md").write_text("# Beta\n\nbeta\n")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).timestamp()
    os.utime(folder / "a.md", (tomorrow, tomorrow))
    assert only_outcome(await refresh(db, str(folder))).new == 2
    assert only_outcome(await refresh(db, str(folder))).status == "unchanged_file"
    (folder / "c.md").write_text("# Gamma\n\nnew note\n")
    outcome = only_outcome(await refresh(db, str(folder)))
    assert (outcome.status, outcome.new) == ("updated", 1)
    assert only_outcome(await refresh(db, str(folder))).status == "unchanged_file"
    (folder / "b.md").write_text("# Beta\n\nbeta, edited\n")
    outcome = only_outcome(await refresh(db, str(folder)))
    assert (outcome.status, outcome.updated) == ("updated", 1)
    (folder / "c.md").unlink()
    assert only_outcome(await refresh(db, str(folder))).status == "updated"


async def test_unchanged_directory_is_not_read_again(tmp_path: Path, db: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.md").write_text(f"# Note {n}\n\nbody {n}\n")
    assert only_outcome(await refresh(db, str(folder))).new == 3
    signature = stored(db, str(folder)).source_mtime
    assert signature == source_signature(folder)
    # Exactly representable in the REAL column, so the comparison is an equality.
    assert signature is not None and signature == int(signature) and 0 <= signature < 2**52
    assert only_outcome(await refresh(db, str(folder))).status == "unchanged_file"
    # A hidden file (an editor's swap file) is not read: no reason to read the rest again.
    (folder / ".0.md.swp").write_bytes(b"swap")
    assert only_outcome(await refresh(db, str(folder))).status == "unchanged_file"
    assert only_outcome(await refresh(db, str(folder), force=True)).status == "updated"


async def test_missing_local_file(tmp_path: Path, db: Path) -> None:
    path = str(tmp_path / "nowhere.xml")
    outcome = only_outcome(await refresh(db, path))
    assert (outcome.status, outcome.error) == ("failed", "no such file or directory")


async def test_per_host_limit(server: FeedServer, db: Path) -> None:
    urls = [server.route(f"/f{n}", Generated(items=1, delay=0.15)) for n in range(12)]
    settings = replace(SETTINGS, concurrency=16, per_host=3)
    summary = await refresh(db, *urls, settings=settings)
    assert summary.new == 12
    assert max(server.max_in_flight.values()) == 3


async def test_per_host_limit_counts_the_host_a_redirect_leads_to(
    server: FeedServer, db: Path
) -> None:
    # Feeds on two host names, all redirected to the same host (a feed proxy, a site
    # that moved): that host must not see more than its limit at once.
    target = f"http://127.0.0.1:{server.port}"
    urls = []
    for n in range(12):
        server.route(f"/slow{n}", Generated(items=1, delay=0.15))
        server.route(f"/r{n}", redirect(f"{target}/slow{n}", 302))
        host = "localhost" if n % 2 else "127.0.0.1"
        urls.append(f"http://{host}:{server.port}/r{n}")
    settings = replace(SETTINGS, concurrency=16, per_host=3)
    summary = await refresh(db, *urls, settings=settings)
    assert summary.new == 12
    assert server.max_in_flight[f"127.0.0.1:{server.port}"] <= 3


# A hang guard only: a deadlock would otherwise hold the test run forever.
HANG_GUARD = 60


async def test_site_pages_on_one_host_fill_no_slots_they_then_wait_on(
    server: FeedServer, db: Path
) -> None:
    # New subscriptions that are site pages of one host: after its page, each feed asks
    # that host again for the feed the page links to. A feed must not keep its place
    # among the feeds at once while it waits for the host, held by feeds waiting for
    # that place (it hung for good with 20 such pages at the default 16 and 4).
    urls = []
    for n in range(6):
        server.route(f"/feeds/{n}.xml", Generated(items=1, title=f"Feed {n}", delay=0.02))
        page = (
            f'<html><head><title>Channel {n}</title><link rel="alternate" '
            f'type="application/rss+xml" href="/feeds/{n}.xml"></head><body>videos</body></html>'
        )
        urls.append(server.route(f"/channel/{n}", static(page.encode(), content_type="text/html")))
    settings = replace(SETTINGS, concurrency=2, per_host=1)
    summary = await asyncio.wait_for(refresh(db, *urls, settings=settings), HANG_GUARD)
    assert [o.error for o in summary.outcomes] == [None] * 6
    assert summary.new == 6
    assert server.max_in_flight[f"127.0.0.1:{server.port}"] == 1
    assert server.max_in_flight_total <= 2


async def test_redirects_onto_a_busy_host_neither_wait_on_each_other_nor_time_out(
    server: FeedServer, db: Path
) -> None:
    # Feeds of one host redirected to another host that has feeds of its own: a feed
    # waiting for the other host's slot must not hold the place a feed of that host
    # needs (they waited on each other until the timeout failed them all: "timed out").
    target = f"http://127.0.0.1:{server.port}"
    direct, redirected = [], []
    for n in range(4):
        direct.append(server.route(f"/b{n}", Generated(items=1, title=f"B {n}", delay=0.05)))
    for n in range(8):
        server.route(f"/slow{n}", Generated(items=1, title=f"A {n}", delay=0.05))
        server.route(f"/a{n}", redirect(f"{target}/slow{n}", 302))
        redirected.append(server.url(f"/a{n}", host="localhost"))
    settings = replace(SETTINGS, concurrency=2, per_host=1)
    summary = await asyncio.wait_for(
        refresh(db, *redirected, *direct, settings=settings), HANG_GUARD
    )
    assert [o.error for o in summary.outcomes] == [None] * 12
    assert summary.new == 12
    assert server.max_in_flight[f"127.0.0.1:{server.port}"] == 1
    assert server.max_in_flight[f"localhost:{server.port}"] == 1
    assert server.max_in_flight_total <= 2


async def test_waiting_for_the_host_a_redirect_leads_to_is_not_the_servers_time(
    server: FeedServer, db: Path
) -> None:
    # Each request is well within the timeout, but the redirected feed queues behind the
    # others for that host longer than the timeout: the queue is no slow server.
    direct = [server.route(f"/b{n}", Generated(items=1, delay=0.8)) for n in range(3)]
    server.route("/quick", Generated(items=1, title="Quick"))
    server.route("/a", redirect(server.url("/quick"), 302))
    settings = replace(SETTINGS, timeout=2.0, concurrency=8, per_host=1)
    summary = await refresh(db, *direct, server.url("/a", host="localhost"), settings=settings)
    assert [o.error for o in summary.outcomes] == [None] * 4
    assert server.max_in_flight[f"127.0.0.1:{server.port}"] == 1


async def test_total_limit(server: FeedServer, db: Path) -> None:
    urls = [server.route(f"/f{n}", Generated(items=1, delay=0.1)) for n in range(8)]
    settings = replace(SETTINGS, concurrency=2, per_host=4)
    await refresh(db, *urls, settings=settings)
    assert server.max_in_flight_total == 2


async def test_progress_and_order(server: FeedServer, db: Path) -> None:
    urls = [server.route(f"/f{n}", Generated(items=1, title=f"Feed {n}")) for n in range(5)]
    seen: list[tuple[int, int]] = []
    summary = await refresh(db, *urls, progress=lambda done, total, _o: seen.append((done, total)))
    assert seen == [(n, 5) for n in range(1, 6)]
    assert [o.url for o in summary.outcomes] == urls


async def test_only_by_title_or_url(server: FeedServer, db: Path) -> None:
    a = server.route("/a", Generated(items=1, title="Alpha"))
    b = server.route("/b", Generated(items=1, title="Beta"))
    await refresh(db, a, b)
    summary = await refresh(db, a, b, only=["alpha"])
    assert [o.url for o in summary.outcomes] == [a]
    summary = await refresh(db, a, b, only=[b])
    assert [o.url for o in summary.outcomes] == [b]
    with pytest.raises(TuinewsError, match="no feed matches 'gamma'"):
        await refresh(db, a, b, only=["gamma"])


async def test_feeds_no_longer_subscribed_are_left_alone(server: FeedServer, db: Path) -> None:
    a = server.route("/a", Generated(items=1))
    b = server.route("/b", Generated(items=1))
    await refresh(db, a, b)
    summary = await refresh(db, a)
    assert [o.url for o in summary.outcomes] == [a]
    assert len(server.requests("/b")) == 1


async def test_busy_lock_skip_and_wait(server: FeedServer, db: Path) -> None:
    url = server.route("/feed", Generated(items=1))
    other = RefreshLock(db)
    assert other.try_acquire()
    try:
        with pytest.raises(RefreshBusy, match="another refresh is running; skipped"):
            await refresh(db, url, lock="skip")
        told: list[str] = []
        waiting = asyncio.create_task(refresh(db, url, lock="wait", on_wait=told.append))
        await until(lambda: told, "the refresh says it waits")
        await asyncio.sleep(0.3)
        assert not waiting.done()
        assert told == ["another refresh is running; waiting for it to finish"]
    finally:
        other.release()
    summary = await waiting
    assert only_outcome(summary).status == "updated"


OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
<outline text="One" xmlUrl="%(one)s"/>
<outline text="Missing" xmlUrl="%(missing)s"/>
<outline text="Two" xmlUrl="%(two)s"/>
</body></opml>
"""


async def test_load_sources_in_order_with_opml_expanded(server: FeedServer, tmp_path: Path) -> None:
    from tuinews.refresh import load_sources

    one = server.route("/one", static(rss(1, title="One")))
    two = server.route("/two", static(rss(2, title="Two")))
    missing = server.route("/missing", status(404))
    opml = OPML % {b"one": one.encode(), b"two": two.encode(), b"missing": missing.encode()}
    server.route("/subs.opml", static(opml, content_type="text/x-opml"))
    local = tmp_path / "local.xml"
    local.write_bytes(rss(3, title="Local"))
    stdin = rss(4, title="Piped")
    specs = [
        server.url("/subs.opml"),
        str(local),
        "-",
        local.as_uri(),
        "http://nonexistent.invalid/",
    ]
    results = await load_sources(specs, SETTINGS, stdin=stdin)
    assert [r.spec for r in results] == [one, missing, two, *specs[1:]]
    titles = [r.feed.title if r.feed else r.error for r in results]
    assert titles == [
        "One",
        "HTTP 404 Not Found",
        "Two",
        "Local",
        "Piped",
        "Local",
        "cannot resolve host 'nonexistent.invalid'",
    ]
    assert all(r.feed is None or r.error is None for r in results)
    # No validators: this is a one-off read, not a refresh.
    assert "If-None-Match" not in server.requests("/one")[0].headers


async def test_load_sources_local_opml_and_errors(server: FeedServer, tmp_path: Path) -> None:
    from tuinews.refresh import load_sources

    one = server.route("/one", static(rss(1, title="One")))
    (tmp_path / "subs.opml").write_bytes(
        OPML % {b"one": one.encode(), b"two": one.encode(), b"missing": b"ftp://x/y"}
    )
    (tmp_path / "page.html").write_bytes(b"<!DOCTYPE html><html><body>hi</body></html>")
    specs = [str(tmp_path / "subs.opml"), str(tmp_path / "nowhere.xml"), "-"]
    results = await load_sources(specs, SETTINGS)
    by_spec = {r.spec: r for r in results}
    assert by_spec[one].feed is not None
    assert by_spec[str(tmp_path / "nowhere.xml")].error == "no such file or directory"
    assert by_spec["-"].error == "nothing on standard input"
    page = await load_sources(
        [server.route("/page", static(b"<!DOCTYPE html><html></html>"))], SETTINGS
    )
    assert page[0].error is not None and "looks like an HTML page" in page[0].error


async def test_waiting_refresh_skips_what_the_other_one_just_did(
    server: FeedServer, db: Path
) -> None:
    url = server.route("/feed", Generated(items=1))
    await refresh(db, url)
    other = RefreshLock(db)
    assert other.try_acquire()
    try:
        told: list[str] = []
        waiting = asyncio.create_task(refresh(db, url, on_wait=told.append))
        # Waiting for the lock already (a slow start took it after the release).
        await until(lambda: told, "the refresh waits for the lock")
        # Meanwhile "the other refresh" fetches the feed.
        with Store.open(db) as store:
            info = store.feed_by_url(url)
            assert info is not None
            store.record_not_modified(info.id, fetched_at=datetime.now(UTC), next_fetch=None)
    finally:
        other.release()
    outcome = only_outcome(await waiting)
    assert (outcome.status, outcome.error) == ("skipped", "just refreshed by another refresh")
    assert len(server.requests("/feed")) == 1


async def test_proxy_from_the_environment(
    server: FeedServer, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("/feed", static(rss(2)))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    url = "http://feeds.example.test/feed"  # resolvable only by going through the proxy
    outcome = only_outcome(await refresh(db, url))
    assert (outcome.status, outcome.new) == ("updated", 2)
    assert server.requests("/feed")[0].headers["Host"] == "feeds.example.test"


async def test_a_fault_of_ours_on_one_feed_is_kept_with_that_feed(
    server: FeedServer, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error on one feed fails that feed only, and its reason is stored, so
    `tuinews feeds` and the reader's feed details say why (they used to say nothing);
    no back-off, since the server did nothing wrong."""
    from tuinews.refresh import engine

    good = server.route("/good", static(rss(2)))
    bad = server.route("/bad", static(rss(2)))
    real_http = engine._Run._http

    async def http(self: engine._Run, info: FeedInfo) -> FeedOutcome:
        if info.url == bad:
            raise RuntimeError("a bug")
        return await real_http(self, info)

    monkeypatch.setattr(engine._Run, "_http", http)
    summary = await refresh(db, good, bad)
    assert (summary.new, summary.failed) == (2, 1)
    info = stored(db, bad)
    assert info.last_error == "unexpected error (RuntimeError: a bug)"
    assert info.failures == 1
    assert info.next_fetch is not None and info.next_fetch <= datetime.now(UTC)


async def test_a_local_feed_obeys_the_refresh_size_limit(tmp_path: Path, db: Path) -> None:
    """The `max_bytes` setting bounds local feeds as it bounds web feeds (they used to be
    allowed 50 MB whatever the setting)."""
    path = tmp_path / "big.xml"
    path.write_bytes(rss(40))
    small = replace(SETTINGS, max_bytes=len(path.read_bytes()) // 2)
    outcome = only_outcome(await refresh(db, str(path), settings=small))
    assert outcome.status == "failed"
    assert outcome.error is not None and "too large" in outcome.error
    assert article_count(db) == 0
    assert only_outcome(await refresh(db, str(path), force=True)).new == 40


async def test_a_gzipped_local_feed_obeys_the_size_limit_once_unpacked(
    tmp_path: Path, db: Path
) -> None:
    """A small .gz that unpacks past `max_bytes` is refused as the same file unpacked is
    (only the fixed 25 MB cap on unpacking applied)."""
    plain = rss(100)
    path = tmp_path / "sub.xml.gz"
    path.write_bytes(gzip.compress(plain))
    small = replace(SETTINGS, max_bytes=2000)
    assert len(path.read_bytes()) < 2000 < len(plain)
    outcome = only_outcome(await refresh(db, str(path), settings=small))
    assert outcome.status == "failed"
    assert outcome.error == "too large once unpacked (more than the limit of 1.95 KB)"
    assert article_count(db) == 0
    roomy = replace(SETTINGS, max_bytes=len(plain))
    assert only_outcome(await refresh(db, str(path), settings=roomy, force=True)).new == 100


async def test_a_gzip_file_served_as_is_unpacks_only_up_to_the_size_setting(
    server: FeedServer, db: Path
) -> None:
    """A `feed.xml.gz` served without Content-Encoding is unpacked by the parser: the
    `max_bytes` setting bounds what it unpacks to, as it bounds the transfer."""
    body = gzip.compress(rss(300))
    url = server.route("/feed.xml.gz", static(body, content_type="application/gzip"))
    small = replace(SETTINGS, max_bytes=len(body) * 2)
    outcome = only_outcome(await refresh(db, url, settings=small))
    assert outcome.status == "failed"
    assert outcome.error is not None and "too large once unpacked" in outcome.error
    assert article_count(db) == 0
    assert only_outcome(await refresh(db, url, force=True)).new == 300


async def test_a_refresh_that_waited_skips_every_feed_the_running_one_fetched(
    server: FeedServer, db: Path
) -> None:
    """The running refresh stamps its feeds from its own start, before the second one
    began to wait: the lock file's note of that start is what the waiter compares with
    (it used to fetch every feed again)."""
    # The servers answer the first refresh only once the second waits for its lock:
    # neither can end or start before the other, however busy the machine.
    second_waits = threading.Event()

    def slow(feed: Generated) -> Call:
        def answer(handler: Any) -> None:
            second_waits.wait(30)
            feed.serve(handler)

        return Call(answer)

    urls = [server.route(f"/slow{n}", slow(Generated(items=2))) for n in range(4)]
    first = asyncio.create_task(refresh(db, *urls))
    # The first holds the lock and waits on its servers.
    await until(lambda: server.requests(), "the first refresh fetches")
    second = await refresh(db, *urls, on_wait=lambda _message: second_waits.set())
    await first
    assert [o.status for o in second.outcomes] == ["skipped"] * 4
    assert {o.error for o in second.outcomes} == {"just refreshed by another refresh"}
    assert all(len(server.requests(f"/slow{n}")) == 1 for n in range(4))
