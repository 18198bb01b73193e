"""Items without a guid that share their link (a status page's updates, a feed that links
every item to its home page) are distinct articles, as newsboat keeps them: each is
listed, a new one arrives unread, and marks stay with the item they were made on, also
when the link stops or starts being shared, and in a store saved before this rule.

Real loopback HTTP server, real store, the real command line."""

from __future__ import annotations

import pytest

from feedserver import FeedServer, static
from store_checks import assert_store_sound
from test_cli import Cli, json_lines
from test_cli_store import subscribe
from tuinews.model import article_id
from tuinews.sources.feeds import parse_feed

STATUS = "http://status.example/"


def _rss(*items: tuple[str, str | None, str | None]) -> bytes:
    """An RSS document of (title, link, date) items, none with a guid."""
    parts = ['<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title>']
    for title, link, date in items:
        parts.append(f"<item><title>{title}</title>")
        if link:
            parts.append(f"<link>{link}</link>")
        if date:
            parts.append(f"<pubDate>{date}</pubDate>")
        parts.append(f"<description>{title}: details.</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


OUTAGE = ("Outage: API down", STATUS, "Mon, 01 Jan 2024 10:00:00 +0000")
INVESTIGATING = ("Investigating", STATUS, "Mon, 01 Jan 2024 10:20:00 +0000")
RESOLVED = ("Outage resolved", STATUS, "Mon, 01 Jan 2024 11:00:00 +0000")


def test_items_sharing_a_link_are_each_an_article() -> None:
    own = ("Release notes", "http://status.example/notes", "Mon, 01 Jan 2024 09:00:00 +0000")
    feed = parse_feed(_rss(RESOLVED, INVESTIGATING, OUTAGE, own), "http://x/feed")
    assert [a.title for a in feed.articles] == [
        "Outage resolved",
        "Investigating",
        "Outage: API down",
        "Release notes",
    ]
    assert len({a.id for a in feed.articles}) == 4
    # An item whose link is its own keeps the id it always had.
    assert feed.articles[3].id == article_id("http://x/feed", "l:http://status.example/notes")


def test_items_sharing_link_and_title_are_told_apart_by_date() -> None:
    first = ("Scheduled maintenance", STATUS, "Mon, 01 Jan 2024 10:00:00 +0000")
    second = ("Scheduled maintenance", STATUS, "Mon, 08 Jan 2024 10:00:00 +0000")
    feed = parse_feed(_rss(second, first), "http://x/feed")
    assert len(feed.articles) == 2
    assert feed.articles[0].id != feed.articles[1].id


@pytest.fixture
def status(cli: Cli, server: FeedServer) -> str:
    url = server.route("/status", static(_rss(OUTAGE)))
    subscribe(cli, (url, "Status"))
    return url


def _serve(server: FeedServer, *items: tuple[str, str | None, str | None]) -> None:
    server.route("/status", static(_rss(*items)))


def _titles(cli: Cli, *options: str) -> list[str]:
    listed = cli.call("list", "--json", *options)
    assert listed.status == 0, listed.err
    return sorted(str(row["title"]) for row in json_lines(listed.out))


def test_a_new_item_with_the_same_link_arrives_unread_beside_the_read_ones(
    cli: Cli, server: FeedServer, status: str
) -> None:
    _serve(server, INVESTIGATING, OUTAGE)
    first = cli.call("refresh")
    assert first.status == 0, first.err
    assert _titles(cli) == ["Investigating", "Outage: API down"]
    assert cli.call("mark-read", "--all").status == 0
    _serve(server, RESOLVED, INVESTIGATING, OUTAGE)
    second = cli.call("refresh")
    assert second.status == 0, second.err
    assert _titles(cli, "--unread") == ["Outage resolved"]
    assert _titles(cli) == ["Investigating", "Outage resolved", "Outage: API down"]
    assert_store_sound(cli.db)


def test_marks_stay_with_their_item_as_its_link_comes_to_be_shared_and_stops(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # One item: keyed by its link alone, as every store before this rule keyed it.
    assert cli.call("refresh").status == 0
    assert cli.call("mark-read", "--all").status == 0
    # A second item with the same link: the first keeps its row, read; the new one is new.
    _serve(server, RESOLVED, OUTAGE)
    shared = cli.call("refresh")
    assert shared.status == 0, shared.err
    assert _titles(cli, "--unread") == ["Outage resolved"]
    assert _titles(cli) == ["Outage resolved", "Outage: API down"]
    assert cli.call("mark-read", "--all").status == 0
    # Alone again: still the same two articles, both read, nothing new.
    _serve(server, RESOLVED)
    alone = cli.call("refresh")
    assert alone.status == 0, alone.err
    assert _titles(cli, "--unread") == []
    assert _titles(cli) == ["Outage resolved", "Outage: API down"]
    assert_store_sound(cli.db)
