"""`tuinews remove` while a refresh runs: the removed feed gets no articles afterwards,
whenever the removal comes: while the refresh waits for another to finish, or while it
fetches a feed that moved (a permanent redirect) and has not yet said so in the settings
file. Before, both left the feed's articles in the store, listed and unread, with no
subscription to remove any more.

Real loopback HTTP server, real store, the real console script for the waiting refresh."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from feedserver import Call, FeedServer, Generated, Handler, redirect, rss, static
from store_checks import assert_store_sound
from test_cli import TUINEWS, Cli
from test_cli_store import subscribe
from tuinews.refresh.lock import WAITING_MESSAGE, RefreshLock
from tuinews.refresh.moves import REMOVED_MEANWHILE, save_move
from tuinews.store import Store, View


def test_a_feed_removed_while_the_refresh_waits_for_another_is_not_brought_back(
    cli: Cli, server: FeedServer
) -> None:
    kept = server.route("/kept", Generated(items=2, title="Kept"))
    gone = server.route("/gone", Generated(items=3, title="Gone"))
    subscribe(cli, (kept, "Kept"), (gone, "Gone"))
    other = RefreshLock(cli.db)  # another refresh (a cron job's) runs
    assert other.try_acquire()
    env = {**os.environ, "TUINEWS_CONFIG": str(cli.config), "TUINEWS_DB": str(cli.db)}
    waiting = subprocess.Popen(
        [str(TUINEWS), "refresh"], env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert waiting.stderr is not None
        # It read the settings, and waits for the lock.
        assert WAITING_MESSAGE in waiting.stderr.readline().decode()
        removed = cli.call("remove", "Gone")
        assert removed.status == 0, removed.err
    finally:
        other.release()
    _out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert server.requests("/gone") == []
    with Store.open(cli.db) as store:
        assert [info.url for info in store.feeds()] == [kept]
        assert store.count(View()) == 2
    assert_store_sound(cli.db)


def test_remove_by_the_old_address_of_a_feed_a_running_refresh_just_moved(
    cli: Cli, server: FeedServer
) -> None:
    new = server.route("/new", static(rss(3, title="Moving")))
    old = server.route("/old", redirect("/new", 301))
    subscribe(cli, (old, "Moving"))
    assert cli.call("refresh").status == 0
    subscribe(cli, (old, "Moving"))  # as the file still was while that refresh ran
    with Store.open(cli.db) as store:
        assert store.feed_by_url(new) is not None
    removed = cli.call("remove", old)
    assert removed.status == 0, removed.err
    with Store.open(cli.db) as store:
        assert store.feeds() == [] and store.count(View()) == 0
    assert_store_sound(cli.db)


def test_a_move_saved_after_its_feed_was_removed_finishes_the_removal(
    cli: Cli, server: FeedServer
) -> None:
    new = server.route("/new", static(rss(3, title="Moving")))
    old = server.route("/old", redirect("/new", 301))
    subscribe(cli, (old, "Moving"), (server.route("/x", static(rss(1, prefix="x"))), "X"))
    assert cli.call("refresh").status == 0  # the store and the file both at /new now
    # The order of a refresh whose feed `remove` took away between the store's move and
    # the file's: the store at /new, the file without the feed.
    with Store.open(cli.db) as store:
        feed = store.feed_by_url(new)
        assert feed is not None
        store.change_feed_url(feed.id, old, remember=False)
        store.change_feed_url(feed.id, new)
    subscribe(cli, (server.url("/x"), "X"))
    assert save_move(cli.config, cli.db, old, new) == REMOVED_MEANWHILE
    with Store.open(cli.db) as store:
        assert store.feed_by_url(new) is None
        assert store.count(View()) == 1  # X's article only
    assert_store_sound(cli.db)
    # Subscribed again at the new address meanwhile: that subscription is the feed.
    subscribe(cli, (new, "Moving"))
    assert cli.call("refresh").status == 0
    assert save_move(cli.config, cli.db, old, new) is None
    with Store.open(cli.db) as store:
        assert store.feed_by_url(new) is not None


def test_a_feed_with_stars_removed_while_it_is_fetched_gets_no_articles(
    cli: Cli, server: FeedServer
) -> None:
    feed = Generated(items=3, title="Starred")
    url = server.route("/feed", feed)
    subscribe(cli, (url, "Starred"))
    assert cli.call("refresh").status == 0
    with Store.open(cli.db) as store:
        store.set_starred(store.headlines(View(), limit=1)[0].pk, True)
    feed.bump()
    removed: list[int] = []

    def remove_then_answer(handler: Handler) -> None:
        # `tuinews remove` in another terminal while the refresh waits for this answer.
        removed.append(cli.run("remove", "Starred").status)
        feed.serve(handler)

    server.route("/feed", Call(remove_then_answer))
    result = cli.run("refresh")
    assert removed == [0]
    assert result.status == 0, result.err
    # Its summary says what became of it: removed, not "3 new".
    assert result.out.splitlines()[-1].startswith(
        "1 feed: 0 new articles, 0 not modified, 0 failed, 1 skipped"
    ), result.out
    with Store.open(cli.db) as store:
        # Only the starred article stays, as after any removal.
        assert store.count(View()) == 1, [h.title for h in store.headlines(View(), limit=9)]
        assert store.count(View(starred_only=True)) == 1
    assert_store_sound(cli.db)


def test_a_feed_deleted_from_the_settings_by_hand_during_a_refresh_keeps_what_it_had(
    cli: Cli, server: FeedServer
) -> None:
    feed = Generated(items=2, title="Edited out")
    url = server.route("/feed", feed)
    subscribe(cli, (url, "Edited out"))
    assert cli.call("refresh").status == 0
    feed.items = 3  # one new article on the way

    def edit_then_answer(handler: Handler) -> None:
        cli.config.write_text("# no feeds now\n")  # the user's editor saves meanwhile
        feed.serve(handler)

    server.route("/feed", Call(edit_then_answer))
    assert cli.run("refresh").status == 0
    with Store.open(cli.db) as store:
        # As after any hand edit, the articles stay until `cleanup --unsubscribed`; the
        # refresh adds none to a feed no longer subscribed.
        assert store.count(View()) == 2
    assert_store_sound(cli.db)


@pytest.mark.parametrize("typed", [["OLD"], ["Movi", "--yes"]], ids=["url", "part-of-title"])
def test_remove_while_a_running_refresh_moves_the_feed_in_the_settings_file(
    cli: Cli, server: FeedServer, monkeypatch: pytest.MonkeyPatch, typed: list[str]
) -> None:
    """Testers' finds: `remove OLD` read the settings file before a running refresh
    moved OLD to NEW in it, then found no OLD to remove ("no feed matches"); the same
    for a part of its title, confirmed (the prompt is the widest window for it)."""
    from tuinews.subscriptions import SubscriptionFile

    new = server.route("/new", static(rss(3, title="Moving")))
    old = server.route("/old", redirect("/new", 301))
    subscribe(cli, (old, "Moving"))
    assert cli.call("refresh").status == 0  # the store and the file both at /new now
    # As the file was when `remove` read it; untitled, the feed goes by the title the
    # store has for it at its old address.
    cli.config.write_text(f'[[feeds]]\nurl = "{old}"\n')
    with Store.open(cli.db) as store:  # as the store was then too
        store.undo_move(new, old)
    real_remove = SubscriptionFile.remove
    moved = []

    def remove_after_the_refresh_moved_it(self: SubscriptionFile, *args: Any) -> Any:
        if not moved:  # the refresh's store move, then its settings file move
            moved.append(True)
            with Store.open(cli.db) as store:
                store.change_feed_url(store.feed_by_url(old).id, new)
            self.replace_url(old, new)
        return real_remove(self, *args)

    monkeypatch.setattr(SubscriptionFile, "remove", remove_after_the_refresh_moved_it)
    removed = cli.call("remove", *[old if word == "OLD" else word for word in typed])
    assert removed.status == 0, removed.err
    assert removed.out == "unsubscribed from Moving\n"  # by its name, not its new address
    assert "[[feeds]]" not in cli.config.read_text()
    with Store.open(cli.db) as store:
        assert store.feeds() == [] and store.count(View()) == 0
