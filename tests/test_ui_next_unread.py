"""`n` across feeds: the keys typed after it wait for the article it goes to, and are
never held when it goes nowhere."""

from __future__ import annotations

from pathlib import Path

from test_ui_bursts import burst
from test_ui_support import (
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    running,
    settle,
)
from tuinews.model import Subscription
from tuinews.store import Store, View

ALPHA = "https://news.example/a/rss"


async def test_n_onto_the_same_feed_listed_under_another_tag_holds_no_key(
    tmp_path: Path,
) -> None:
    """A feed with two tags is listed under each. `n` past its last unread row, with
    an unread row above, went to the same feed under its other tag: its list did not
    load again (the same view), and the keys typed after `n` waited for it until the
    backstop (2 s), then a later reload jumped the cursor on its own. It was looked in:
    as for a feed listed once, there is no more unread article past the cursor."""
    subs = [
        Subscription(ALPHA, "Alpha News", ("news", "tech")),
        Subscription("https://news.example/b/rss", "Beta Daily", ("news",)),
        Subscription("https://blog.example/c/rss", "Gamma Blog", ()),
    ]
    ctx = make_ctx(tmp_path, subs)
    with Store.open(ctx.store_path) as store:
        alpha = store.feed_by_url(ALPHA)
        assert alpha is not None
        store.mark_read_where(View())
        (top,) = store.headlines(View(feed_ids=(alpha.id,)), limit=1)
        store.set_read([top.pk], False)
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j", "enter")  # Alpha News, under news
        await settle(pilot)
        assert screen.base_view == View(feed_ids=(alpha.id,))
        await pilot.press("G")
        await settle(pilot)
        burst(app, "n", "k")
        await settle(pilot)
        assert not app.key_gate.holding
        assert not screen._then_next_unread
        assert screen.status.message == "No more unread articles."  # as without tags
        assert screen.headlines.cursor == screen.headlines.row_count - 2  # k acted


async def test_a_key_after_n_that_goes_to_the_next_feed_acts_on_its_first_unread(
    tmp_path: Path,
) -> None:
    """`n` past the last unread of a feed goes to the next feed with unread articles:
    `y` typed with it copies the link of that feed's first unread article."""
    ctx = make_ctx(tmp_path)
    with Store.open(ctx.store_path) as store:
        store.mark_read_where(View())
        beta = store.feed_by_url("https://news.example/b/rss")
        assert beta is not None
        target = store.headlines(View(feed_ids=(beta.id,)), limit=6)[3]
        store.set_read([target.pk], False)
        assert target.link
    async with running(ctx) as (app, pilot):
        screen = app.screen
        await pilot.press("h", "j", "j", "j", "j", "enter")  # Alpha News
        await settle(pilot)
        burst(app, "n", "y")
        await settle(pilot)
        assert not app.key_gate.holding
        assert screen.base_view == View(feed_ids=(beta.id,))
        assert screen.headlines.current.pk == target.pk
        assert app.clipboard == target.link
