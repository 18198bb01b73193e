"""Subscribing to a site's address: the first refresh finds the page's feed link and
moves the subscription to that feed, as a permanent redirect moves it."""

from __future__ import annotations

import time
import tomllib
from typing import Any

import pytest

from feedserver import Call, FeedServer, Generated, redirect, rss, static, status
from test_cli import Cli, json_lines
from tuinews.store import Store

PAGE = (
    "<!DOCTYPE html><html><head><title>A blog</title>"
    '<link rel="alternate" type="application/rss+xml" title="Posts" href="{main}">'
    '<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">'
    "</head><body><p>Welcome</p></body></html>"
)


def _page(main: str) -> bytes:
    return PAGE.format(main=main).encode()


def _subscribed(cli: Cli) -> list[str]:
    return [feed["url"] for feed in tomllib.loads(cli.config.read_text()).get("feeds", [])]


def test_a_sites_address_is_followed_to_its_feed(cli: Cli, server: FeedServer) -> None:
    server.route("/blog/feed.xml", Generated(items=3, title="The blog"))
    server.route("/comments.xml", static(rss(2, title="Comments", prefix="c")))
    site = server.route("/blog/", static(_page("feed.xml"), content_type="text/html"))
    feed = server.url("/blog/feed.xml")
    assert cli.call("add", site).status == 0

    first = cli.run("refresh")
    assert first.status == 0, first.err
    assert first.err == (
        f"tuinews: {site}: a web page, not a feed; following the feed it links to, "
        f"{feed}; subscription updated\n"
    )
    assert "3 new articles" in first.out
    assert _subscribed(cli) == [feed]  # the first feed link: the site's posts
    assert {row["feed"] for row in json_lines(cli.call("list", "--json").out)} == {"The blog"}

    second = cli.run("refresh")
    assert (second.status, second.err) == (0, "")
    assert "1 not modified" in second.out


def test_a_page_whose_feed_link_is_broken_stays_a_failure(cli: Cli, server: FeedServer) -> None:
    server.route("/gone.xml", status(404))
    site = server.route("/", static(_page("/gone.xml"), content_type="text/html"))
    assert cli.call("add", site).status == 0
    result = cli.run("refresh")
    assert result.status == 1
    gone, comments = server.url("/gone.xml"), server.url("/comments.xml")
    assert result.err == (
        f"tuinews: {site}: not a feed: an HTML page; it links to the feeds {gone}, {comments} "
        f"({gone}: HTTP 404 Not Found; {comments}: HTTP 404 Not Found)\n"
    )
    assert _subscribed(cli) == [site]


def test_the_links_of_a_sites_address_with_a_password_do_not_show_it(
    cli: Cli, server: FeedServer
) -> None:
    # Relative links on a page at user:password@ keep it (urljoin), as the fetch must.
    server.route("/gone.xml", status(404))
    server.route("/", static(_page("/gone.xml"), content_type="text/html"))
    site = server.url("/").replace("http://", "http://me:s3cret@")
    assert cli.call("add", site).status == 0
    result = cli.run("refresh")
    assert result.status == 1
    assert "s3cret" not in result.err
    masked = server.url("/").replace("http://", "http://me:***@")
    assert f"it links to the feeds {masked}gone.xml, {masked}comments.xml (" in result.err
    assert f"({masked}gone.xml: HTTP 404 Not Found;" in result.err
    assert "s3cret" not in cli.call("feeds", "--json").out


def test_a_feed_that_worked_is_not_moved_by_a_page_it_now_serves(
    cli: Cli, server: FeedServer
) -> None:
    # A site's redesign, a captive portal: the user's feed is not swapped unasked.
    server.route("/other.xml", static(rss(2, title="Other", prefix="o")))
    route = static(rss(2, title="Mine"))
    url = server.route("/mine.xml", route)
    assert cli.call("add", url).status == 0
    assert cli.run("refresh").status == 0
    route.body, route.content_type = _page("/other.xml"), "text/html"
    result = cli.run("refresh")
    assert result.status == 1
    assert "it links to the feeds" in result.err
    assert _subscribed(cli) == [url]


def test_a_page_linking_to_a_feed_subscribed_already_is_not_followed(
    cli: Cli, server: FeedServer
) -> None:
    feed = server.route("/feed.xml", static(rss(2, title="Posts")))
    site = server.route("/", static(_page("/feed.xml"), content_type="text/html"))
    assert cli.call("add", feed).status == 0
    assert cli.call("add", site).status == 0
    result = cli.run("refresh")
    assert result.status == 1
    comments = server.url("/comments.xml")
    assert result.err == (
        f"tuinews: {site}: not a feed: an HTML page; it links to the feeds {feed}, {comments} "
        f"({feed}: subscribed already as Posts; {comments}: HTTP 404 Not Found)\n"
    )
    assert _subscribed(cli) == [feed, site]


def test_the_next_link_is_tried_when_the_first_does_not_do(cli: Cli, server: FeedServer) -> None:
    server.route("/gone.xml", status(404))
    server.route("/comments.xml", static(rss(2, title="Comments", prefix="c")))
    site = server.route("/", static(_page("/gone.xml"), content_type="text/html"))
    assert cli.call("add", site).status == 0
    result = cli.run("refresh")
    assert result.status == 0, result.err
    assert _subscribed(cli) == [server.url("/comments.xml")]


@pytest.mark.parametrize("second_page_delay", [0.0, 0.6])
def test_two_addresses_of_one_site_get_its_feed_once(
    cli: Cli, server: FeedServer, second_page_delay: float
) -> None:
    # Two pages linking to the same feed, followed in one refresh: one subscription
    # takes the feed; the other says it is subscribed already, and nothing is stored twice.
    # With the delay, the second page is read once the first has taken the feed (it used
    # to take that feed for an old unsubscribed row and take it over).
    server.route("/feed.xml", static(rss(3, title="Posts")))
    page = static(_page("/feed.xml"), content_type="text/html")

    def late_page(handler: Any) -> None:
        time.sleep(second_page_delay)
        page.serve(handler)

    first = server.route("/a/", page)
    second = server.route("/b/", Call(late_page))
    assert cli.call("add", first).status == 0
    assert cli.call("add", second).status == 0
    result = cli.run("refresh")
    assert result.status == 1
    assert "subscribed already" in result.err
    assert len(json_lines(cli.call("list", "--json").out)) == 3
    subscribed = _subscribed(cli)
    assert server.url("/feed.xml") in subscribed and len(subscribed) == 2


def test_an_earlier_subscription_kept_in_the_store_is_taken_back_with_its_marks(
    cli: Cli, server: FeedServer
) -> None:
    feed = server.route("/feed.xml", static(rss(3, title="Posts")))
    assert cli.call("add", feed).status == 0
    assert cli.run("refresh").status == 0
    starred_id = json_lines(cli.call("list", "--json").out)[0]["id"]
    with Store.open(cli.db) as store:
        article = store.find_article(starred_id)
        assert article is not None
        store.set_starred(article.pk, True)
    # Unsubscribed by hand (the store keeps the row for its starred article), then
    # subscribed again through the site's address.
    site = server.route("/", static(_page("/feed.xml"), content_type="text/html"))
    cli.config.write_text(f'[[feeds]]\nurl = "{site}"\n')
    result = cli.run("refresh")
    assert result.status == 0, result.err
    assert _subscribed(cli) == [feed]
    listed = json_lines(cli.call("list", "--json").out)
    assert len(listed) == 3
    assert [row["starred"] for row in listed if row["id"] == starred_id] == [True]
    assert [info.url for info in _stored_feeds(cli)] == [feed]


def _stored_feeds(cli: Cli) -> list[Any]:
    with Store.open(cli.db) as store:
        return list(store.feeds())


def test_list_and_read_of_a_sites_address_read_its_feed(cli: Cli, server: FeedServer) -> None:
    server.route("/gone.xml", status(404))
    server.route("/comments.xml", static(rss(2, title="Comments", prefix="c")))
    site = server.route("/", static(_page("/gone.xml"), content_type="text/html"))
    listed = cli.call("list", "--json", site)
    assert listed.status == 0, listed.err
    assert [row["feed"] for row in json_lines(listed.out)] == ["Comments", "Comments"]
    assert cli.call("read", site).status == 0
    lonely = server.route(
        "/lonely/", static(b"<html><body>No feeds</body></html>", content_type="text/html")
    )
    failed = cli.call("list", lonely)
    assert failed.status == 1 and "looks like an HTML page" in failed.err


def test_a_redirect_to_a_page_whose_feed_link_is_broken_names_the_page(
    cli: Cli, server: FeedServer
) -> None:
    # A tester's find: the line named only the address subscribed to, which serves no
    # HTML at all; the one that gave the page went unsaid.
    server.route("/gone.xml", status(404))
    server.route("/page", static(_page("/gone.xml"), content_type="text/html"))
    blog = server.route("/blog", redirect("/page", 301))
    assert cli.call("add", blog).status == 0
    result = cli.run("refresh")
    assert result.status == 1
    assert result.err.endswith(f" (at {server.url('/page')})\n"), result.err
