"""Items without a guid are told apart as newsboat tells them: by link and date, and by
title when another item of the document has that link and date too (a status page's
updates, a feed that links every item to its home page). Each is listed, a new one
arrives unread, an edited one keeps its marks, and marks stay with the item they were
made on, also in a store saved when the link alone was the identity.

Real loopback HTTP server, real store, the real command line."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

import pytest

from feedserver import FeedServer, static
from store_checks import assert_store_sound
from test_cli import Cli, json_lines
from test_cli_store import subscribe
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
NEXT = ("Another outage", STATUS, "Tue, 02 Jan 2024 09:00:00 +0000")


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


def test_items_sharing_link_and_date_are_told_apart_by_title() -> None:
    # A feed that dates every item with the time it was generated.
    first = ("Scheduled maintenance", STATUS, "Mon, 01 Jan 2024 10:00:00 +0000")
    second = ("Maintenance done", STATUS, "Mon, 01 Jan 2024 10:00:00 +0000")
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


def _refresh(cli: Cli) -> None:
    result = cli.call("refresh")
    assert result.status == 0, result.err


def test_a_new_item_with_the_same_link_arrives_unread_beside_the_read_ones(
    cli: Cli, server: FeedServer, status: str
) -> None:
    _serve(server, INVESTIGATING, OUTAGE)
    _refresh(cli)
    assert _titles(cli) == ["Investigating", "Outage: API down"]
    assert cli.call("mark-read", "--all").status == 0
    _serve(server, RESOLVED, INVESTIGATING, OUTAGE)
    _refresh(cli)
    assert _titles(cli, "--unread") == ["Outage resolved"]
    assert _titles(cli) == ["Investigating", "Outage resolved", "Outage: API down"]
    assert_store_sound(cli.db)


def test_a_feed_listing_only_its_latest_item_keeps_each_one(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # The same link for every item, one item at a time: each is an article of its own;
    # none overwrites the one before, or arrives with its marks.
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    for item in (RESOLVED, NEXT):
        _serve(server, item)
        _refresh(cli)
        assert _titles(cli, "--unread") == [item[0]]
        assert cli.call("mark-read", "--all").status == 0
    assert _titles(cli) == ["Another outage", "Outage resolved", "Outage: API down"]
    assert_store_sound(cli.db)


def test_an_item_whose_title_is_edited_is_updated_and_keeps_its_marks(
    cli: Cli, server: FeedServer, status: str
) -> None:
    _serve(server, INVESTIGATING, OUTAGE)
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    _serve(server, ("Investigating (EU region)", STATUS, INVESTIGATING[2]), OUTAGE)
    _refresh(cli)
    assert _titles(cli) == ["Investigating (EU region)", "Outage: API down"]
    assert _titles(cli, "--unread") == []
    assert_store_sound(cli.db)


def test_a_store_keyed_by_the_link_alone_keeps_its_marks_and_gets_no_duplicates(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # Stores saved before dates joined the link keyed these items by their link alone
    # (those of the same link were then one article).
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    with sqlite3.connect(cli.db) as conn:
        conn.execute("UPDATE articles SET key = 'l:' || link")
    _serve(server, RESOLVED, OUTAGE)
    _refresh(cli)
    assert _titles(cli) == ["Outage resolved", "Outage: API down"]
    assert _titles(cli, "--unread") == ["Outage resolved"]
    _serve(server, OUTAGE)  # alone again
    _refresh(cli)
    assert _titles(cli) == ["Outage resolved", "Outage: API down"]
    assert_store_sound(cli.db)


def test_a_feed_that_dates_every_item_when_it_is_built_lists_no_item_twice(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # Each fetch gives every item a new date (the time the feed was generated): the
    # items the previous fetch listed are the same items, not new ones.
    def built_at(hour: int) -> None:
        stamp = f"Mon, 01 Jan 2024 {hour:02d}:00:00 +0000"
        _serve(
            server,
            ("Outage: API down", STATUS, stamp),
            ("Release notes", "http://status.example/notes", stamp),
        )

    built_at(10)
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    for hour in (11, 12):
        built_at(hour)
        _refresh(cli)
        assert _titles(cli) == ["Outage: API down", "Release notes"]
        assert _titles(cli, "--unread") == []
    assert_store_sound(cli.db)


def _incident(n: int, state: str, hour: int) -> tuple[str, str, str]:
    return (state, STATUS, f"Mon, {n:02d} Jan 2024 {hour:02d}:00:00 +0000")


# Two incidents, each an "Investigating" then a "Resolved" item, and a third beginning.
_INCIDENTS = [
    _incident(1, "Investigating", 10),
    _incident(1, "Resolved", 11),
    _incident(2, "Investigating", 10),
    _incident(2, "Resolved", 11),
    _incident(3, "Investigating", 10),
]


def _status_page(items: Sequence[tuple[str, str, str]], body: Callable[[str, str], str]) -> bytes:
    """A status page of (title, link, date) items, each with the text `body` gives it."""
    parts = ['<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title>']
    for title, link, date in items:
        parts.append(
            f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
            f"<description>{body(title, date)}</description></item>"
        )
    return ("".join(parts) + "</channel></rss>").encode()


def test_a_status_page_s_next_incident_is_new_though_its_titles_repeat(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # Each incident is an "Investigating" then a "Resolved" item, all linking to the
    # status page, which lists the last four. When incident 3 begins, incident 1's
    # "Investigating" leaves the page: the new "Investigating" is not that one re-dated.
    incidents = _INCIDENTS
    bodies = {date: f"{state} incident {date[5:7]}" for state, _link, date in incidents}

    def page(*items: tuple[str, str, str]) -> bytes:
        return _status_page(items, lambda title, date: bodies[date])

    server.route("/status", static(page(*reversed(incidents[:4]))))
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    server.route("/status", static(page(*reversed(incidents[1:]))))
    _refresh(cli)
    unread = cli.call("list", "--json", "--unread")
    assert [row["title"] for row in json_lines(unread.out)] == ["Investigating"]
    everything = json_lines(cli.call("list", "--json").out)
    assert len(everything) == 5  # incident 1's "Investigating" stays, as it was
    assert_store_sound(cli.db)


def test_a_feed_of_one_daily_digest_keeps_each_day(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # One item, always titled "Daily digest", a new text each day.
    for day, fruit in enumerate(("apples", "bananas", "cherries"), start=1):
        body = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title>'
            f"<item><title>Daily digest</title><link>{STATUS}</link>"
            f"<pubDate>Mon, {day:02d} Jan 2024 06:00:00 +0000</pubDate>"
            f"<description>Digest of day {day}: {fruit}.</description></item>"
            "</channel></rss>"
        )
        server.route("/status", static(body.encode()))
        _refresh(cli)
        unread = json_lines(cli.call("list", "--json", "--unread").out)
        assert len(unread) == 1, unread  # the new day's, unread
        assert cli.call("mark-read", "--all").status == 0
    found = cli.call("list", "--search", "apples")
    assert found.status == 0 and "Daily digest" in found.out


def test_items_without_guid_or_link_that_a_feed_re_dates_are_listed_once(
    cli: Cli, server: FeedServer, status: str
) -> None:
    for hour in (10, 11, 12):
        stamp = f"Mon, 01 Jan 2024 {hour:02d}:00:00 +0000"
        _serve(server, ("Notice one", None, stamp), ("Notice two", None, stamp))
        _refresh(cli)
        assert _titles(cli) == ["Notice one", "Notice two"]
        assert cli.call("mark-read", "--all").status == 0
    assert_store_sound(cli.db)


def test_removing_a_subscription_not_refreshed_since_the_upgrade_keeps_its_read_marks(
    cli: Cli, server: FeedServer
) -> None:
    # The same feed at two addresses; one, read, was last saved when the link alone was
    # the identity (and its server says "not modified" since). Removing it keeps what
    # was read in it on the other's items.
    body = _rss(RESOLVED, OUTAGE)
    first = server.route("/first", static(body))
    second = server.route("/second", static(body))
    subscribe(cli, (first, "First"), (second, "Second"))
    _refresh(cli)
    with sqlite3.connect(cli.db) as conn:
        conn.execute(
            "UPDATE articles SET key = 'l:' || link, read = 1 WHERE feed_id = "
            "(SELECT id FROM feeds WHERE url = ?) AND title = ?",
            (first, RESOLVED[0]),
        )
    assert cli.call("remove", first).status == 0
    assert _titles(cli) == ["Outage resolved", "Outage: API down"]
    assert _titles(cli, "--unread") == ["Outage: API down"]
    assert_store_sound(cli.db)


def test_a_status_page_s_next_incident_with_the_same_boilerplate_text_is_new(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # As above, but each state has one text, as hosted status pages write it: the new
    # "Investigating" has the link, title and text of incident 1's, which leaves the
    # page as it comes. Incident 2's items keep their dates: the page does not re-date.
    def page(*items: tuple[str, str, str]) -> bytes:
        return _status_page(items, lambda title, date: f"This incident is {title.lower()}.")

    incidents = _INCIDENTS
    server.route("/status", static(page(*reversed(incidents[:4]))))
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    server.route("/status", static(page(*reversed(incidents[1:]))))
    _refresh(cli)
    unread = json_lines(cli.call("list", "--json", "--unread").out)
    assert [row["title"] for row in unread] == ["Investigating"]
    assert len(json_lines(cli.call("list", "--json").out)) == 5
    assert_store_sound(cli.db)


def test_an_item_re_dated_alone_beside_items_of_other_links_is_still_one_article(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # Only the items of a link that still holds its earlier date are kept from taking
    # a row that left: an item of its own link, re-dated alone, is the same article.
    _serve(server, RESOLVED, ("Release notes", "http://status.example/notes", OUTAGE[2]))
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    _serve(server, RESOLVED, ("Release notes", "http://status.example/notes", NEXT[2]))
    _refresh(cli)
    assert _titles(cli) == ["Outage resolved", "Release notes"]
    assert _titles(cli, "--unread") == []
    assert_store_sound(cli.db)


def _day_page(*items: tuple[str, str]) -> bytes:
    """A status page dated by the day: (title, text) items, all of one link and date."""
    parts = ['<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title>']
    for title, text in items:
        parts.append(
            f"<item><title>{title}</title><link>{STATUS}</link>"
            f"<pubDate>Mon, 01 Jan 2024 00:00:00 +0000</pubDate>"
            f"<description>{text}</description></item>"
        )
    return ("".join(parts) + "</channel></rss>").encode()


def test_items_of_one_link_date_and_title_are_told_apart_by_their_text(
    cli: Cli, server: FeedServer, status: str
) -> None:
    # Two incidents resolved on one day: neither is dropped as the other's copy; a
    # second one arriving later is new, unread, and the first keeps its mark; when one
    # leaves the page, the other keeps its own. A copy of an item is still one article.
    first, second = ("Resolved", "The API is back."), ("Resolved", "Logins work again.")
    server.route("/status", static(_day_page(first, first)))
    _refresh(cli)
    assert _titles(cli) == ["Resolved"]
    assert cli.call("mark-read", "--all").status == 0
    server.route("/status", static(_day_page(second, first)))
    _refresh(cli)
    unread = json_lines(cli.call("list", "--json", "--unread").out)
    assert [row["summary"] for row in unread] == ["Logins work again."]
    assert _titles(cli) == ["Resolved", "Resolved"]
    server.route("/status", static(_day_page(second)))
    _refresh(cli)
    unread = json_lines(cli.call("list", "--json", "--unread").out)
    assert [row["summary"] for row in unread] == ["Logins work again."]
    assert _titles(cli) == ["Resolved", "Resolved"]
    assert_store_sound(cli.db)


def test_an_item_told_apart_by_its_title_keeps_its_marks_when_the_title_is_edited(
    cli: Cli, server: FeedServer, status: str
) -> None:
    server.route("/status", static(_day_page(("Resolved", "Fixed."), ("Outage", "Down."))))
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    server.route("/status", static(_day_page(("Resolved", "Fixed."), ("Outage (EU)", "Down."))))
    _refresh(cli)
    assert _titles(cli) == ["Outage (EU)", "Resolved"]
    assert _titles(cli, "--unread") == []
    assert_store_sound(cli.db)


POST = "http://blog.example/post/1"


def _post_feed(*items: tuple[str, str, str, str], home: str = "http://blog.example/") -> bytes:
    """A blog's feed of (title, link, date, text) items, none with a guid."""
    parts = [
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title><link>{home}</link>'
    ]
    for title, link, date, text in items:
        parts.append(
            f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
            f"<description>{text}</description></item>"
        )
    return ("".join(parts) + "</channel></rss>").encode()


def _rows(cli: Cli) -> list[tuple[str, str, bool, bool]]:
    """(id, summary, read, starred) of every stored article."""
    listed = json_lines(cli.call("list", "--json").out)
    return sorted(
        (str(r["id"]), str(r["summary"]), bool(r["read"]), bool(r["starred"])) for r in listed
    )


@pytest.mark.parametrize(
    "edited",
    [
        ("Post", POST, "Mon, 01 Jan 2024 12:00:00 +0000", "First version, with a correction."),
        ("Post (corrected)", POST, "Mon, 01 Jan 2024 12:00:00 +0000", "First version."),
    ],
    ids=["date-and-text", "date-and-title"],
)
@pytest.mark.parametrize("legacy", [False, True], ids=["today", "link-keyed-store"])
def test_an_item_of_its_own_link_edited_and_re_dated_is_the_same_article(
    cli: Cli, server: FeedServer, edited: tuple[str, str, str, str], legacy: bool
) -> None:
    # The tester's find: a post corrected and re-dated (and re-titled) under its own link
    # came back as a second article, unread, beside the one read. Also from a store
    # saved when the link alone was the identity.
    other = ("Other post", "http://blog.example/post/2", "Sun, 31 Dec 2023 09:00:00 +0000", "Hi.")
    first = ("Post", POST, "Mon, 01 Jan 2024 10:00:00 +0000", "First version.")
    url = server.route("/blog", static(_post_feed(first, other)))
    subscribe(cli, (url, "Blog"))
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    with sqlite3.connect(cli.db) as conn:
        conn.execute("UPDATE articles SET starred = 1 WHERE link = ?", (POST,))
        if legacy:
            conn.execute("UPDATE articles SET key = 'l:' || link")
    (before,) = [row for row in _rows(cli) if row[1] == "First version."]
    server.route("/blog", static(_post_feed(edited, other)))
    _refresh(cli)
    assert _titles(cli) == sorted([edited[0], "Other post"])
    assert _titles(cli, "--unread") == []
    assert (before[0], edited[3], True, True) in _rows(cli)
    assert_store_sound(cli.db)


def test_a_feed_listing_only_its_latest_item_under_its_home_page_keeps_each_one(
    cli: Cli, server: FeedServer
) -> None:
    # The item links to the feed's own page (not a site's root): each day's item is new,
    # not the day before's edited.
    home = "http://blog.example/digest"
    for day in (1, 2):
        item = ("Digest", home, f"Mon, {day:02d} Jan 2024 06:00:00 +0000", f"Day {day}.")
        url = server.route("/blog", static(_post_feed(item, home=home)))
        if day == 1:
            subscribe(cli, (url, "Blog"))
        _refresh(cli)
        assert _titles(cli, "--unread") == ["Digest"]
        assert cli.call("mark-read", "--all").status == 0
    assert _titles(cli) == ["Digest", "Digest"]


@pytest.mark.parametrize(
    "link",
    [
        "http://cafe.example/menu/today",
        "http://cafe.example/?utm_source=rss",
        "http://cafe.example/index.html",
    ],
)
def test_a_page_showing_the_latest_item_gives_a_new_article_each_day(
    cli: Cli, server: FeedServer, link: str
) -> None:
    # A tester's find: today's menu (title, date and text new under the same link) took
    # over yesterday's row, read, and was never shown as new.
    for day in (1, 2):
        item = (f"Menu {day}", link, f"Mon, {day:02d} Jan 2024 06:00:00 +0000", f"Soup {day}.")
        url = server.route("/cafe", static(_post_feed(item)))
        if day == 1:
            subscribe(cli, (url, "Cafe"))
        _refresh(cli)
        assert _titles(cli, "--unread") == [f"Menu {day}"]
        assert cli.call("mark-read", "--all").status == 0
    assert _titles(cli) == ["Menu 1", "Menu 2"]


def test_an_item_whose_link_another_item_had_in_the_previous_fetch_is_new(
    cli: Cli, server: FeedServer
) -> None:
    # The link stood for two items: the one left, re-dated, is not known to be either.
    a = ("Post", POST, "Mon, 01 Jan 2024 10:00:00 +0000", "Part one.")
    b = ("Post", POST, "Mon, 01 Jan 2024 11:00:00 +0000", "Part two.")
    url = server.route("/blog", static(_post_feed(b, a)))
    subscribe(cli, (url, "Blog"))
    _refresh(cli)
    assert cli.call("mark-read", "--all").status == 0
    c = ("Post", POST, "Mon, 01 Jan 2024 12:00:00 +0000", "Part three.")
    server.route("/blog", static(_post_feed(c)))
    _refresh(cli)
    assert [row[1] for row in _rows(cli) if not row[2]] == ["Part three."]
    assert len(_rows(cli)) == 3
