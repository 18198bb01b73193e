"""A feed that moved (a permanent redirect) as a user meets it afterwards: its old address
still names it (`refresh OLD` in a cron line, `list --feed`, `mark-read --feed`, `remove`),
with one line saying where it is now; and a move onto an address already subscribed,
which is said, counted as a failure and changes nothing.

Real loopback HTTP servers, real stores, the real console script where a cron job would
run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedserver import FeedServer, Generated, redirect, rss, static
from store_checks import assert_store_sound
from test_cli import Cli, json_lines
from test_cli_store import subscribe
from tuinews.model import Subscription
from tuinews.store import Store, View

OLD = "https://old.example/feed"
MIDDLE = "https://middle.example/feed"
NEW = "https://new.example/feed"


# ---- the store: former addresses ----------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "store.db")
    opened.sync_feeds([Subscription(OLD, "Mine"), Subscription("https://other.example/feed")])
    return opened


def _id(store: Store, url: str) -> int:
    info = store.feed_by_url(url)
    assert info is not None
    return info.id


def test_each_address_a_feed_moved_from_names_it_until_it_is_removed(store: Store) -> None:
    feed = _id(store, OLD)
    store.change_feed_url(feed, MIDDLE)
    store.change_feed_url(feed, NEW)
    assert store.former_urls() == {OLD: NEW, MIDDLE: NEW}
    assert_store_sound(store.path)
    assert store.remove_feed(feed) == 0
    assert store.former_urls() == {}
    assert_store_sound(store.path)
    store.close()


def test_a_feed_kept_for_its_starred_articles_forgets_its_former_addresses(
    store: Store,
) -> None:
    from test_store import make_article, save

    feed = _id(store, OLD)
    save(store, feed, [make_article(OLD, 1), make_article(OLD, 2)])
    store.set_starred(store.headlines(View(), limit=1)[0].pk, True)
    store.change_feed_url(feed, NEW)
    assert store.remove_feed(feed) == 1  # the row stays, for its starred article
    assert store.feed(feed) is not None and store.former_urls() == {}
    # So does a feed deleted from the settings file by hand, at `cleanup --unsubscribed`.
    other = _id(store, "https://other.example/feed")
    save(store, other, [make_article("https://other.example/feed", 3)])
    store.set_starred(store.headlines(View(feed_ids=(other,)), limit=1)[0].pk, True)
    store.change_feed_url(other, MIDDLE)
    store.cleanup(days=None, per_feed=None, subscribed=[])
    assert store.former_urls() == {}
    assert_store_sound(store.path)
    store.close()


def test_an_address_subscribed_to_again_names_the_new_subscription_only(store: Store) -> None:
    feed = _id(store, OLD)
    store.change_feed_url(feed, MIDDLE)
    store.change_feed_url(feed, NEW)
    store.sync_feeds([Subscription(NEW, "Mine"), Subscription(OLD, "Old one, again")])
    assert store.former_urls() == {MIDDLE: NEW}
    assert _id(store, OLD) != feed
    # A feed that moves back to an address it had holds it again.
    store.change_feed_url(feed, MIDDLE)
    assert store.former_urls() == {NEW: MIDDLE}
    assert_store_sound(store.path)
    store.close()


def test_a_move_given_back_leaves_no_former_address(store: Store) -> None:
    # The settings file could not follow the move (`save_move`): the store goes back.
    store.change_feed_url(_id(store, OLD), NEW)
    store.undo_move(NEW, OLD)
    assert store.former_urls() == {}
    assert store.feed_by_url(OLD) is not None
    assert_store_sound(store.path)
    store.close()


def test_a_feed_moving_onto_a_kept_row_takes_its_articles_and_keeps_every_star(
    store: Store,
) -> None:
    from test_store import make_article, save

    kept = _id(store, "https://other.example/feed")
    save(store, kept, [make_article(NEW, n, guid=f"item{n}") for n in (1, 2)])
    for headline in store.headlines(View(feed_ids=(kept,)), limit=5):
        store.set_starred(headline.pk, True)
    assert store.remove_feed(kept) == 2  # unsubscribed: the row stays for its stars
    store.change_feed_url(kept, NEW)
    feed = _id(store, OLD)
    store.set_read([h.pk for h in store.headlines(View(feed_ids=(kept,)), limit=5)], True)
    save(store, feed, [make_article(OLD, n, guid=f"item{n}") for n in (2, 3)])
    (three,) = store.headlines(View(feed_ids=(feed,)), limit=1)  # the newest: item 3
    store.set_read([three.pk], True)
    store.move_onto_kept(feed, kept, NEW)
    assert store.feed(kept) is None
    assert store.feed_by_url(NEW) == store.feed(feed)
    headlines = store.headlines(View(feed_ids=(feed,)), limit=10)
    # Article 2, in both: once, the moving feed's row, read and starred as the kept one
    # was (unread in the moving feed).
    assert sorted((h.title, h.starred, h.read) for h in headlines) == [
        ("Article number 1", True, True),
        ("Article number 2", True, True),
        ("Article number 3", False, True),
    ]
    assert store.former_urls() == {OLD: NEW}
    assert_store_sound(store.path)
    store.close()


# ---- the command line: an old address still names the feed ------------------------------


@pytest.fixture
def moved(cli: Cli, server: FeedServer) -> tuple[str, str]:
    """A feed subscribed at /old, moved for good to /new by a first refresh."""
    new = server.route("/new", Generated(items=3, title="Moved feed"))
    old = server.route("/old", redirect("/new", 301))
    subscribe(cli, (old, "Mine"))
    first = cli.call("refresh")
    assert first.status == 0, first.err
    assert first.err_lines == [f"tuinews: {old}: moved permanently to {new}; subscription updated"]
    return old, new


def test_a_cron_line_naming_the_old_address_refreshes_the_feed_and_says_where_it_is(
    cli: Cli, server: FeedServer, moved: tuple[str, str]
) -> None:
    old, new = moved
    fetched = len(server.requests("/new"))
    # As cron runs it: the console script, output to a pipe, the old address twice.
    result = cli.run("refresh", old, old)
    assert result.status == 0, result.err
    assert result.err_lines == [f"tuinews: {old}: moved to {new}; refreshing it there"]
    assert result.out.splitlines()[0] == "[1/1] not modified  Mine"
    assert len(server.requests("/new")) == fetched + 1
    assert len(server.requests("/old")) == 1  # never asked again
    # Said with --quiet too: the cron line is what should change.
    quiet = cli.run("refresh", "--quiet", old)
    assert (quiet.status, quiet.out) == (0, "")
    assert quiet.err_lines == [f"tuinews: {old}: moved to {new}; refreshing it there"]
    # The new address and the title say nothing more.
    for name in (new, "Mine"):
        plain = cli.call("refresh", name)
        assert (plain.status, plain.err) == (0, "")
    # `feeds` and `export` know the feed by its address now only.
    feeds = cli.call("feeds", "--json")
    assert [row["url"] for row in json_lines(feeds.out)] == [new]
    exported = cli.call("export")
    assert new in exported.out and old not in exported.out


def test_list_and_mark_read_take_the_old_address(cli: Cli, moved: tuple[str, str]) -> None:
    old, new = moved
    listed = cli.call("list", "--feed", old, "--json")
    assert listed.status == 0, listed.err
    assert listed.err_lines == [f"tuinews: {old}: moved to {new}; listing it there"]
    assert [row["feed_url"] for row in json_lines(listed.out)] == [new] * 3
    marked = cli.call("mark-read", "--feed", old)
    assert (marked.status, marked.out) == (0, "marked 3 articles read\n")
    assert marked.err_lines == [f"tuinews: {old}: moved to {new}; marking its articles read there"]
    assert cli.call("list", "--unread").out == ""


def test_remove_takes_the_old_address_and_forgets_it(cli: Cli, moved: tuple[str, str]) -> None:
    old, new = moved
    removed = cli.call("remove", old)
    assert removed.status == 0, removed.err
    assert removed.out == "unsubscribed from Mine\n"
    assert removed.err_lines == [f"tuinews: {old}: moved to {new}; unsubscribing from it"]
    assert "[[feeds]]" not in cli.config.read_text()
    with Store.open(cli.db) as store:
        assert store.former_urls() == {} and store.feeds() == []
    again = cli.call("list", "--feed", old)
    assert again.status == 1
    assert again.err_lines == [f"tuinews: no feed matches {old!r}"]


def test_every_address_of_a_chain_of_moves_names_the_feed(cli: Cli, server: FeedServer) -> None:
    a = server.route("/a", redirect("/b", 301))
    b = server.route("/b", static(rss(2, title="Wandering")))
    c = server.url("/c")
    subscribe(cli, (a, "Wandering"))
    assert cli.call("refresh").status == 0
    server.route("/c", static(rss(2, title="Wandering")))
    server.route("/b", redirect("/c", 308))
    second = cli.call("refresh")
    assert second.err_lines == [f"tuinews: {b}: moved permanently to {c}; subscription updated"]
    assert f'url = "{c}"' in cli.config.read_text()
    result = cli.call("list", "--feed", a, "--feed", b, "--feed", a)
    assert result.status == 0, result.err
    assert result.err_lines == [
        f"tuinews: {a}: moved to {c}; listing it there",
        f"tuinews: {b}: moved to {c}; listing it there",
    ]
    assert len(result.out.splitlines()) == 2  # one feed, its two articles once
    refreshed = cli.call("refresh", a)
    assert refreshed.err_lines == [f"tuinews: {a}: moved to {c}; refreshing it there"]
    # Also without its scheme, as the current address is taken (`feeds` shows it so).
    bare = cli.call("list", "--feed", b.partition("://")[2])
    assert bare.status == 0, bare.err
    assert bare.err_lines == [f"tuinews: {b}: moved to {c}; listing it there"]


def test_a_new_subscription_at_the_old_address_is_named_by_it(
    cli: Cli, server: FeedServer, moved: tuple[str, str]
) -> None:
    old, new = moved
    before = cli.call("list", "--feed", old)
    assert before.err_lines == [f"tuinews: {old}: moved to {new}; listing it there"]
    server.route("/old", static(rss(1, title="Newcomer", prefix="newcomer")))
    added = cli.call("add", old, "--title", "Newcomer")
    assert added.status == 0, added.err
    # Added (the site may have put another feed there), with word of where it was.
    assert added.err_lines == [
        f"tuinews: {old} moved to {new}, which you subscribe to; "
        "if it still redirects there, `tuinews remove` it again"
    ]
    assert cli.call("refresh").status == 0
    listed = cli.call("list", "--feed", old, "--json")
    assert (listed.status, listed.err) == (0, "")
    assert [row["feed_url"] for row in json_lines(listed.out)] == [old]
    refreshed = cli.call("refresh", old)
    assert (refreshed.status, refreshed.err) == (0, "")
    assert refreshed.out.splitlines()[0] == "[1/1] 0 new  Newcomer"
    # The feed that moved away is named by its address now, as before.
    moved_away = cli.call("list", "--feed", new, "--json")
    assert (moved_away.status, moved_away.err) == (0, "")
    assert len(json_lines(moved_away.out)) == 3


def test_importing_a_list_from_before_a_move_does_not_subscribe_the_old_address_again(
    cli: Cli, server: FeedServer, tmp_path: Path
) -> None:
    other = server.route("/other", Generated(items=2, title="Other"))
    backup = tmp_path / "backup.opml"
    backup.write_text(
        '<opml version="2.0"><body>'
        f'<outline type="rss" text="Mine" xmlUrl="{server.url("/old")}"/>'
        f'<outline type="rss" text="Other" xmlUrl="{other}"/>'
        "</body></opml>"
    )
    new = server.route("/new", Generated(items=3, title="Moved feed"))
    old = server.route("/old", redirect("/new", 301))
    subscribe(cli, (old, "Mine"))
    assert cli.call("refresh").status == 0
    imported = cli.call("import", str(backup))
    assert imported.status == 0, imported.err
    assert imported.err_lines == [f"tuinews: {backup}: {old} moved to {new}, subscribed"]
    assert imported.out == "imported 1 feed (1 already subscribed)\n"
    config = cli.config.read_text()
    assert f'url = "{old}"' not in config and f'url = "{new}"' in config
    refreshed = cli.call("refresh")
    assert refreshed.status == 0, refreshed.err  # no subscription failing on the redirect


def test_a_sites_address_names_the_feed_it_led_to(cli: Cli, server: FeedServer) -> None:
    from test_refresh_site_address import _page

    # The page's first link is no feed: tried (the subscription moved there, then given
    # back), it must not become a former address of the feed the second link leads to.
    server.route("/notes.xml", static(b"plain notes, no feed", content_type="text/plain"))
    comments = server.route("/comments.xml", static(rss(2, title="Comments", prefix="c")))
    site = server.route("/", static(_page("/notes.xml"), content_type="text/html"))
    subscribe(cli, (site, "Site"))
    first = cli.call("refresh")
    assert first.status == 0, first.err
    assert f'url = "{comments}"' in cli.config.read_text()
    with Store.open(cli.db) as store:
        assert store.former_urls() == {site: comments}
    again = cli.call("refresh", site)
    assert again.status == 0, again.err
    assert again.err_lines == [f"tuinews: {site}: moved to {comments}; refreshing it there"]


# ---- a move onto an address already subscribed -------------------------------------------


def test_a_move_onto_a_subscribed_feed_fails_says_so_and_loses_nothing(
    cli: Cli, server: FeedServer
) -> None:
    old = server.route("/old", static(rss(3, title="Old home", prefix="old")))
    new = server.route("/new", static(rss(2, title="New home", prefix="new")))
    subscribe(cli, (old, "Old home"), (new, "New home"))
    assert cli.call("refresh").status == 0
    with Store.open(cli.db) as store:
        old_id = store.feed_by_url(old).id  # type: ignore[union-attr]
        rows = store.headlines(View(feed_ids=(old_id,)), limit=10)
        store.set_read([rows[0].pk], True)
        store.set_starred(rows[1].pk, True)
    settings = cli.config.read_text()
    server.route("/old", redirect("/new", 301))

    for _run in range(2):  # said at every refresh (no back-off) until the user acts
        result = cli.run("refresh")
        assert result.status == 1
        assert result.err_lines == [
            f"tuinews: Old home: moved permanently to {new} (New home), which you already "
            f"subscribe to; `tuinews remove {old}` unsubscribes this one"
        ]
        assert "[2/2]" in result.out and "1 failed" in result.out.splitlines()[-1]
        # The settings file is left as it was: no second entry for /new, /old kept.
        assert cli.config.read_text() == settings
    assert len(server.requests("/old")) == 3
    with Store.open(cli.db) as store:
        marks = {
            h.pk: (h.read, h.starred) for h in store.headlines(View(feed_ids=(old_id,)), limit=10)
        }
        assert store.former_urls() == {}
        info = store.feed(old_id)
    assert info is not None and info.url == old
    assert len(marks) == 3  # nothing of the old home's articles dropped or moved
    assert marks[rows[0].pk] == (True, False) and marks[rows[1].pk] == (False, True)
    assert info.last_error == (
        f"moved permanently to {new} (New home), which you already subscribe to"
    )
    assert_store_sound(cli.db)
    # Removing it, as the line says, leaves one subscription and the starred article.
    removed = cli.call("remove", old)
    assert removed.out == "unsubscribed from Old home; its starred article stays\n"
    final = cli.call("refresh")
    assert (final.status, final.err) == (0, "")


def test_removing_one_of_two_subscriptions_to_a_feed_keeps_what_was_read_in_it(
    cli: Cli, server: FeedServer
) -> None:
    # One feed subscribed twice (the hint after a redirect onto a subscribed feed is to
    # remove one; so is an address with and without https): marks read in the one removed
    # stay on the same items of the other.
    body = static(rss(3, title="Twice"))
    first = server.route("/first", body)
    second = server.route("/second", body)
    subscribe(cli, (first, "First"), (second, "Second"))
    assert cli.call("refresh").status == 0
    with Store.open(cli.db) as store:
        first_id = store.feed_by_url(first).id  # type: ignore[union-attr]
        read = store.headlines(View(feed_ids=(first_id,)), limit=2)
        store.set_read([h.pk for h in read], True)
    assert cli.call("remove", first).status == 0
    with Store.open(cli.db) as store:
        left = store.headlines(View(), limit=10)
        assert sorted((h.title, h.read) for h in left) == sorted(
            [(h.title, True) for h in read] + [("item 1 v0", False)]
        )
    assert_store_sound(cli.db)


def test_removing_a_feed_leaves_unrelated_items_with_the_same_guid_unread(
    cli: Cli, server: FeedServer
) -> None:
    def numbered(site: str) -> bytes:
        items = "".join(
            f"<item><title>{site} {n}</title><guid isPermaLink='false'>{n}</guid>"
            f"<link>http://{site}.example/{n}</link></item>"
            for n in (1, 2)
        )
        return f"<rss version='2.0'><channel><title>{site}</title>{items}</channel></rss>".encode()

    first = server.route("/first", static(numbered("first")))
    second = server.route("/second", static(numbered("second")))
    subscribe(cli, (first, "First"), (second, "Second"))
    assert cli.call("refresh").status == 0
    assert cli.call("mark-read", "--feed", first).status == 0
    assert cli.call("remove", first).status == 0
    with Store.open(cli.db) as store:
        assert store.count(View(unread_only=True)) == 2  # "1" and "2" of another site


def test_a_move_onto_a_feed_unsubscribed_from_subscribes_to_it_again_with_its_stars(
    cli: Cli, server: FeedServer
) -> None:
    new = server.route("/new", static(rss(3, title="New home", prefix="new")))
    subscribe(cli, (new, "New home"))
    assert cli.call("refresh").status == 0
    with Store.open(cli.db) as store:
        starred = store.headlines(View(), limit=2)
        for headline in starred:
            store.set_starred(headline.pk, True)
    assert cli.call("remove", new).status == 0  # its row stays, for the starred articles
    old = server.route("/old", redirect("/new", 301))
    subscribe(cli, (old, "Old home"))
    result = cli.call("refresh")
    assert result.status == 0, result.err
    assert result.err_lines == [f"tuinews: {old}: moved permanently to {new}; subscription updated"]
    assert f'url = "{new}"' in cli.config.read_text()
    assert_store_sound(cli.db)
    with Store.open(cli.db) as store:
        (feed,) = store.feeds()  # one feed: the kept row is this subscription's now
        assert feed.url == new
        assert store.count(View()) == 3  # each article once
        stars = store.headlines(View(starred_only=True), limit=10)
        assert sorted(h.title for h in stars) == sorted(h.title for h in starred)
        assert store.former_urls() == {old: new}
    # And it goes on as any moved feed: refreshed where it is, named by its old address.
    again = cli.call("refresh", old)
    assert again.status == 0, again.err
    assert again.err_lines == [f"tuinews: {old}: moved to {new}; refreshing it there"]


def test_each_address_a_chain_of_redirects_passed_names_the_feed(
    cli: Cli, server: FeedServer
) -> None:
    a = server.route("/a", redirect("/b", 301))
    b = server.route("/b", redirect("/c", 308))
    c = server.route("/c", static(rss(2, title="Wandering")))
    subscribe(cli, (a, "Wandering"))
    first = cli.call("refresh")
    assert first.status == 0, first.err
    assert first.err_lines == [f"tuinews: {a}: moved permanently to {c}; subscription updated"]
    with Store.open(cli.db) as store:
        assert store.former_urls() == {a: c, b: c}
    listed = cli.call("list", "--feed", b)
    assert listed.status == 0, listed.err
    assert listed.err_lines == [f"tuinews: {b}: moved to {c}; listing it there"]
    assert len(listed.out.splitlines()) == 2
    assert_store_sound(cli.db)


def test_a_temporary_hop_in_a_chain_is_not_remembered(cli: Cli, server: FeedServer) -> None:
    a = server.route("/a", redirect("/b", 301))
    server.route("/b", redirect("/c", 302))  # only the permanent part of a chain moves
    server.route("/c", static(rss(2, title="Wandering")))
    b = server.url("/b")
    subscribe(cli, (a, "Wandering"))
    assert cli.call("refresh").status == 0
    assert f'url = "{b}"' in cli.config.read_text()
    with Store.open(cli.db) as store:
        assert store.former_urls() == {a: b}


def test_a_chain_the_settings_file_cannot_follow_leaves_no_address_naming_the_feed(
    cli: Cli, server: FeedServer
) -> None:
    a = server.route("/a", redirect("/b", 301))
    server.route("/b", redirect("/c", 301))
    server.route("/c", static(rss(2, title="Wandering")))
    # Feeds as an inline array: the command cannot edit them, so the store's move is
    # undone (`save_move` -> `undo_move`) and the feed stays at /a.
    cli.config.write_text(f'feeds = [{{ url = "{a}", title = "Mine" }}]\n')
    first = cli.call("refresh")
    assert first.status == 0, first.err
    assert "not updated" in first.err
    with Store.open(cli.db) as store:
        assert [info.url for info in store.feeds()] == [a]
        # The move was undone: nothing else names the feed, as after a one-hop move.
        assert store.former_urls() == {}


# ---- a settings file that lags behind the store's move ------------------------------------


def test_a_move_the_settings_file_missed_keeps_the_feed_and_is_saved_again(
    cli: Cli, moved: tuple[str, str]
) -> None:
    # A refresh killed (kill -9, cron's timeout) after the store moved the feed but before
    # the settings file took the move leaves the file at the old address; so does the user
    # writing it back by hand. The feed must keep its articles and marks there.
    old, new = moved
    with Store.open(cli.db) as store:
        first = store.headlines(View(), limit=1)[0]
        store.set_read([first.pk], True)
    subscribe(cli, (old, "Mine"))
    result = cli.call("refresh")
    assert result.status == 0, result.err
    assert result.err_lines == [f"tuinews: {old}: moved permanently to {new}; subscription updated"]
    assert f'url = "{new}"' in cli.config.read_text() and old not in cli.config.read_text()
    with Store.open(cli.db) as store:
        assert [feed.url for feed in store.feeds()] == [new]
        assert store.former_urls() == {old: new}
        assert store.count(View()) == 3 and store.count(View(unread_only=True)) == 2
    assert_store_sound(cli.db)
    assert cli.call("list", "--feed", old).status == 0


def test_a_refresh_that_read_the_settings_before_another_moved_the_feed_loses_nothing(
    cli: Cli, moved: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two refreshes at once: the second read the file (old address) before the first
    # moved the feed and saved the move, then waited for the first to finish.
    import dataclasses

    from tuinews.commands import store_commands

    old, new = moved
    stale = store_commands.load_settings
    monkeypatch.setattr(
        store_commands,
        "load_settings",
        lambda ns: dataclasses.replace(stale(ns), feeds=(Subscription(old, "Mine"),)),
    )
    settings = cli.config.read_text()
    result = cli.call("refresh")
    assert result.status == 0, result.err
    assert cli.config.read_text() == settings  # the move is in it already, once
    monkeypatch.undo()
    with Store.open(cli.db) as store:
        assert [feed.url for feed in store.feeds()] == [new]
        assert store.former_urls() == {old: new}
        assert store.count(View()) == 3
    assert_store_sound(cli.db)
    after = cli.call("refresh", old)
    assert after.status == 0, after.err
    assert after.err_lines == [f"tuinews: {old}: moved to {new}; refreshing it there"]


def test_a_feed_moved_to_a_page_that_is_no_feed_stays_subscribed_where_it_was(
    cli: Cli, server: FeedServer
) -> None:
    old = server.route("/feed.xml", static(rss(1, title="Blog")))
    subscribe(cli, (old, "Blog"))
    assert cli.call("refresh").status == 0
    page = b"<html><head><title>This domain may be for sale</title></head></html>"
    parked = server.route("/parked.html", static(page, content_type="text/html"))
    server.route("/feed.xml", redirect("/parked.html", 301))
    result = cli.call("refresh", "--force")
    assert result.status == 1
    assert result.err_lines == [f"tuinews: Blog: not a feed: looks like an HTML page (at {parked})"]
    assert f'url = "{old}"' in cli.config.read_text() and parked not in cli.config.read_text()
    with Store.open(cli.db) as store:
        assert [feed.url for feed in store.feeds()] == [old]
        assert store.former_urls() == {}


def test_a_sites_address_that_moved_to_its_page_moves_to_the_page_feed(
    cli: Cli, server: FeedServer
) -> None:
    # The page a new subscription moved to for good is no feed, but links to one: the
    # subscription goes to that feed, named by both addresses before it.
    server.route("/blog/feed.xml", static(rss(2, title="The blog")))
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="feed.xml">'
        "</head><body>Welcome</body></html>"
    )
    page = server.route("/blog/", static(html.encode(), content_type="text/html"))
    old = server.route("/", redirect("/blog/", 301))
    feed = server.url("/blog/feed.xml")
    subscribe(cli, (old, "Blog"))
    result = cli.call("refresh")
    assert result.status == 0, result.err
    assert f'url = "{feed}"' in cli.config.read_text()
    assert f'url = "{page}"' not in cli.config.read_text()
    with Store.open(cli.db) as store:
        assert [info.url for info in store.feeds()] == [feed]
        assert store.former_urls() == {old: feed, page: feed}
        assert store.count(View()) == 2
    assert_store_sound(cli.db)


class _TwoLocations:
    """A 301 whose Location header comes twice (a proxy in front adds its copy)."""

    def __init__(self, *locations: str) -> None:
        self.locations = locations

    def serve(self, handler: object) -> None:
        handler.send_response(301)  # type: ignore[attr-defined]
        for location in self.locations:
            handler.send_header("Location", location)  # type: ignore[attr-defined]
        handler.send_header("Content-Length", "0")  # type: ignore[attr-defined]
        handler.end_headers()  # type: ignore[attr-defined]


def test_a_location_sent_twice_moves_the_feed_once_and_two_differing_do_not(
    cli: Cli, server: FeedServer
) -> None:
    """httpx joined the copies: the feed moved to `/new,%20/new`, in the store
    and the settings file, under "subscription updated" (a tester's find)."""
    new = server.route("/new", Generated(items=2, title="Moved feed"))
    same = server.route("/same", _TwoLocations("/new", "/new"))
    differing = server.route("/differing", _TwoLocations("/new", "/elsewhere"))
    subscribe(cli, (same, "Same"), (differing, "Differing"))
    result = cli.call("refresh")
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {same}: moved permanently to {new}; subscription updated",
        "tuinews: Differing: a redirect naming 2 different addresses: not followed",
    ]
    text = cli.config.read_text()
    assert f'url = "{new}"' in text and f'url = "{differing}"' in text
