"""The SQLite store, on real files: feeds, saving fetches, views, marks, search, retention."""

from __future__ import annotations

import dataclasses
import functools
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from store_checks import assert_store_sound
from tuinews.errors import StoreError
from tuinews.model import Article, Enclosure, Feed, Subscription, article_id, article_key
from tuinews.store import FeedWrite, SaveStats, Store, View
from tuinews.store.fts import search_terms
from tuinews.store.records import SortKey
from tuinews.store.save import prepare_feed
from tuinews.store.schema import count_new_articles, queue_new_articles

A_URL = "https://a.example/feed"
B_URL = "https://b.example/feed"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def make_article(
    url: str,
    n: int,
    *,
    guid: str | None = "auto",
    link: str | None = None,
    title: str | None = None,
    published: datetime | None = None,
    **fields: object,
) -> Article:
    guid = f"{url}#{n}" if guid == "auto" else guid
    title = title if title is not None else f"Article number {n}"
    key = article_key(guid, link, title, published)
    return Article(
        id=article_id(url, key),
        feed=url,
        title=title,
        guid=guid,
        link=link,
        published=published if published is not None else T0 + timedelta(minutes=n),
        **fields,  # type: ignore[arg-type]
    )


def save(
    store: Store, feed_id: int, items: list[Article], *, at: datetime = T0, title: str = "Feed"
) -> SaveStats:
    url = items[0].feed if items else "x"
    return store.save_fetch(
        feed_id,
        Feed(url, title, articles=items),
        status=200,
        etag='"v1"',
        last_modified="Fri, 01 Mar 2024 12:00:00 GMT",
        fetched_at=at,
        next_fetch=at + timedelta(hours=1),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as opened:
        opened.sync_feeds([Subscription(A_URL, "Feed A", ("news",)), Subscription(B_URL)])
        yield opened


def feed_id(store: Store, url: str) -> int:
    info = store.feed_by_url(url)
    assert info is not None
    return info.id


# ---- feeds ------------------------------------------------------------------------------


def test_sync_feeds_adds_updates_and_keeps_subscription_order(store: Store) -> None:
    store.sync_feeds(
        [Subscription("https://c.example/rss", "C"), Subscription(B_URL, "Bee", ("x", "y"))]
    )
    feeds = store.feeds()
    assert [f.url for f in feeds] == ["https://c.example/rss", B_URL, A_URL]
    assert feeds[1].title == "Bee" and feeds[1].tags == ("x", "y")
    assert feeds[0].unread == feeds[0].total == 0 and feeds[0].last_refresh is None


def test_a_feed_stored_under_another_spelling_keeps_its_articles_and_marks(
    tmp_path: Path,
) -> None:
    """A newer tuinews reads the settings file's URLs in a stricter canonical form (no
    default port, no fragment): the feed stored under the old spelling is renamed, not
    started afresh beside it."""
    old_url = "http://example.com:80/feed#top"
    with Store.open(tmp_path / "store.db") as store:
        store.sync_feeds([Subscription(old_url, "Example")])
        old_id = feed_id(store, old_url)
        save(store, old_id, [make_article(old_url, 1), make_article(old_url, 2)])
        first = store.headlines(View(), limit=1)[0]
        store.set_read([first.pk], True)
        store.sync_feeds([Subscription("http://example.com/feed", "Example"), Subscription(B_URL)])
        feeds = [(f.id, f.url) for f in store.feeds()]
        assert feeds == [(old_id, "http://example.com/feed"), (feeds[1][0], B_URL)]
        assert store.count(View(feed_ids=(old_id,))) == 2
        assert store.count(View(unread_only=True)) == 1


def test_feed_title_falls_back_to_the_feeds_own_title_then_url(store: Store) -> None:
    b = feed_id(store, B_URL)
    assert store.feed(b) is not None and store.feed(b).title == B_URL  # type: ignore[union-attr]
    save(store, b, [make_article(B_URL, 1)], title="The B Times")
    info = store.feed(b)
    assert info is not None and info.title == "The B Times"
    assert store.headlines(View(), limit=1)[0].feed_title == "The B Times"


def test_remove_feed_removes_its_articles_only(store: Store) -> None:
    a, b = feed_id(store, A_URL), feed_id(store, B_URL)
    save(store, a, [make_article(A_URL, n) for n in range(3)])
    save(store, b, [make_article(B_URL, n) for n in range(2)])
    store.remove_feed(a)
    assert store.feed(a) is None
    assert {h.feed_id for h in store.headlines(View(), limit=10)} == {b}
    assert store.count(View()) == 2
    assert store.headlines(View(search="article"), limit=10) != []


def test_remove_feed_keeps_its_starred_articles(store: Store) -> None:
    a = feed_id(store, A_URL)
    save(store, a, [make_article(A_URL, n) for n in range(3)])
    starred = store.headlines(View(), limit=1)[0]
    store.set_starred(starred.pk, True)
    assert store.remove_feed(a) == 1
    assert [h.pk for h in store.headlines(View(), limit=10)] == [starred.pk]
    assert store.count(View(starred_only=True)) == 1
    assert_store_sound(store.path)


def test_change_feed_url_keeps_articles_and_refuses_a_taken_url(store: Store) -> None:
    a = feed_id(store, A_URL)
    save(store, a, [make_article(A_URL, 1, guid="item-1")])
    store.set_read([store.headlines(View(), limit=1)[0].pk], True)
    new_url = "https://a.example/new-feed"
    store.change_feed_url(a, new_url)
    assert store.feed_by_url(A_URL) is None
    # The same items under the new URL are recognised, and the read mark stays.
    assert save(store, a, [make_article(new_url, 1, guid="item-1")]) == SaveStats(0, 0)
    assert store.count(View(unread_only=True)) == 0
    with pytest.raises(StoreError, match="already subscribed"):
        store.change_feed_url(a, B_URL)


def test_refresh_bookkeeping(store: Store) -> None:
    a = feed_id(store, A_URL)
    assert store.last_refresh_time() is None
    save(store, a, [make_article(A_URL, 1)], at=T0)
    info = store.feed(a)
    assert info is not None
    assert (info.last_status, info.etag, info.last_refresh) == (200, '"v1"', T0)
    assert info.next_fetch == T0 + timedelta(hours=1)
    later = T0 + timedelta(hours=2)
    store.record_failure(a, status=503, error="HTTP 503", at=later, next_fetch=None)
    store.record_failure(a, status=None, error="timed out", at=later, next_fetch=None)
    info = store.feed(a)
    assert info is not None
    assert (info.failures, info.last_error, info.last_error_at) == (2, "timed out", later)
    assert info.last_refresh == T0 and not info.disabled
    store.record_failure(a, status=410, error="gone", at=later, next_fetch=None, disable=True)
    assert store.feed(a).disabled  # type: ignore[union-attr]
    store.set_disabled(a, False)
    store.record_not_modified(a, fetched_at=later, next_fetch=later + timedelta(hours=1))
    info = store.feed(a)
    assert info is not None
    assert (info.failures, info.last_error, info.last_status, info.disabled) == (
        0,
        None,
        304,
        False,
    )
    assert store.last_refresh_time() == later
    store.save_fetch(
        a,
        Feed(A_URL, "A"),
        status=200,
        etag=None,
        last_modified=None,
        fetched_at=later,
        next_fetch=None,
        source_mtime=1234.5,
    )
    assert store.feed(a).source_mtime == 1234.5  # type: ignore[union-attr]


# ---- saving fetches ---------------------------------------------------------------------


def test_every_article_field_survives_the_round_trip(store: Store) -> None:
    a = feed_id(store, A_URL)
    original = make_article(
        A_URL,
        7,
        link="https://a.example/7",
        author="Ann Author",
        updated=T0 + timedelta(days=1),
        summary="A short summary",
        content="<p>Body with <b>bold</b></p>",
        content_type="html",
        enclosures=(Enclosure("https://a.example/7.mp3", "audio/mpeg", 1234), Enclosure("u")),
        categories=("science", "space"),
        language="fr",
        direction="rtl",
        dateline="PARIS —",
    )
    save(store, a, [original])
    stored = store.find_article(original.id)
    assert stored is not None
    expected = Article(**{name: getattr(original, name) for name in Article.__slots__})
    expected.feed_title = "Feed A"
    assert stored.article == expected
    assert stored.feed_id == a and not stored.read and not stored.starred
    assert stored.first_seen == T0


def test_update_keeps_marks_and_items_that_leave_stay(store: Store) -> None:
    a = feed_id(store, A_URL)
    first = [make_article(A_URL, n) for n in range(5)]
    assert save(store, a, first) == SaveStats(new=5, updated=0)
    assert save(store, a, first) == SaveStats(new=0, updated=0)
    pks = {h.article_id: h.pk for h in store.headlines(View(), limit=10)}
    store.set_read([pks[first[0].id]], True)
    store.set_starred(pks[first[0].id], True)
    changed = make_article(A_URL, 0, title="Corrected title", content="<p>fixed</p>")
    second = [changed, *first[1:3], make_article(A_URL, 9)]  # items 3 and 4 left the feed
    assert save(store, a, second, at=T0 + timedelta(hours=1)) == SaveStats(new=1, updated=1)
    stored = store.article(pks[first[0].id])
    assert stored is not None
    assert stored.article.title == "Corrected title" and stored.read and stored.starred
    assert stored.article.id == first[0].id
    assert store.count(View()) == 6
    assert store.count(View(feed_ids=(a,), unread_only=True)) == 5


def test_identity_by_guid_then_link_then_title_and_date(store: Store) -> None:
    a = feed_id(store, A_URL)
    by_guid = make_article(A_URL, 1, guid="tag:1", link="https://a.example/1")
    by_link = make_article(A_URL, 2, guid=None, link="https://a.example/2")
    by_hash = make_article(A_URL, 3, guid=None, link=None, title="No id at all")
    save(store, a, [by_guid, by_link, by_hash])
    store.set_read([h.pk for h in store.headlines(View(), limit=10)], True)
    again = [
        # Same guid, new link and title: the same article.
        make_article(A_URL, 1, guid="tag:1", link="https://a.example/moved", title="New"),
        # Same link, new title: the same article.
        make_article(A_URL, 2, guid=None, link="https://a.example/2", title="Retitled"),
        # No guid or link: a new title is a new article.
        make_article(A_URL, 3, guid=None, link=None, title="Another title"),
    ]
    assert save(store, a, again) == SaveStats(new=1, updated=2)
    unread = store.headlines(View(unread_only=True), limit=10)
    assert [h.title for h in unread] == ["Another title"]


def test_duplicate_items_in_one_fetch_are_saved_once(store: Store) -> None:
    a = feed_id(store, A_URL)
    newest = make_article(A_URL, 1, title="Newest copy")
    older = make_article(A_URL, 1, title="Older copy")
    assert save(store, a, [newest, older]) == SaveStats(new=1, updated=0)
    assert [h.title for h in store.headlines(View(), limit=5)] == ["Newest copy"]


def test_sort_date_falls_back_to_updated_then_first_seen(store: Store) -> None:
    a = feed_id(store, A_URL)
    updated_only = make_article(A_URL, 1, updated=T0 - timedelta(days=3))
    updated_only.published = None
    undated = make_article(A_URL, 2)
    undated.published = None
    save(store, a, [updated_only, undated], at=T0)
    heads = store.headlines(View(), limit=5)
    assert [h.sort_key[0] for h in heads] == [T0.timestamp(), (T0 - timedelta(days=3)).timestamp()]
    assert heads[0].date is None and heads[1].date == T0 - timedelta(days=3)


# ---- views, pagination, counts ----------------------------------------------------------


@pytest.fixture(scope="module")
def thousand_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 articles over two feeds; many share a date so the pk breaks ties."""
    path = tmp_path_factory.mktemp("thousand") / "store.db"
    with Store.open(path) as store:
        store.sync_feeds([Subscription(A_URL, "Feed A", ("news",)), Subscription(B_URL)])
        for url in (A_URL, B_URL):
            items = [
                make_article(url, n, published=T0 + timedelta(minutes=n // 7)) for n in range(500)
            ]
            save(store, feed_id(store, url), items)
        heads = store.headlines(View(), limit=1000)
        store.set_read([h.pk for h in heads if h.pk % 3 == 0], True)
        for head in heads[::10]:
            store.set_starred(head.pk, True)
    return path


@pytest.fixture
def thousand(thousand_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the 1,000-article store for each test."""
    copy = tmp_path / "thousand.db"
    shutil.copyfile(thousand_file, copy)
    with Store.open(copy) as store:
        yield store


def _expected_order(store: Store, view: View) -> list[int]:
    rows = store.headlines(View(), limit=10_000)
    wanted = [
        h
        for h in rows
        if (view.feed_ids is None or h.feed_id in view.feed_ids)
        and (
            ((not view.unread_only or not h.read) and (not view.starred_only or h.starred))
            or h.pk in view.held
        )
    ]
    return [h.pk for h in wanted]


def test_full_list_is_newest_first_with_pk_breaking_ties(thousand: Store) -> None:
    keys = [h.sort_key for h in thousand.headlines(View(), limit=2000)]
    assert len(keys) == 1000
    assert keys == sorted(keys, reverse=True)
    assert len({k[0] for k in keys}) < 1000  # ties exist


VIEWS = [
    View(),
    View(unread_only=True),
    View(starred_only=True),
    View(unread_only=True, starred_only=True),
    View(feed_ids=(1,)),
    View(feed_ids=(2,), unread_only=True),
    View(feed_ids=(1, 2)),
    View(feed_ids=(1, 2), unread_only=True),
    View(feed_ids=(2, 1, 2)),
    View(feed_ids=()),
    # Read (or unstarred) since the list was shown: kept in it (pk % 3 == 0 is read,
    # feed A holds pks 1-500; some held rows are still unread, and are listed once).
    View(unread_only=True, held=(3, 30, 7, 600, 999, 12)),
    View(starred_only=True, held=(5, 15, 11, 999)),
    View(unread_only=True, starred_only=True, held=(3, 11, 21, 600)),
    View(feed_ids=(2,), unread_only=True, held=(3, 603, 606, 700)),
    View(feed_ids=(1, 2), unread_only=True, held=(3, 603, 4)),
    View(held=(3, 6)),
]


@pytest.mark.parametrize("view", VIEWS)
def test_keyset_pages_forward_and_backward_give_every_row_once(thousand: Store, view: View) -> None:
    expected = _expected_order(thousand, view)
    forward: list[int] = []
    page = thousand.headlines(view, limit=37)
    pages = [page]
    while page:
        forward += [h.pk for h in page]
        page = thousand.headlines(view, limit=37, after=page[-1].sort_key)
        pages.append(page)
    assert forward == expected
    assert thousand.count(view) == len(expected)
    # Backward from the last page: each page newest first, together the same rows.
    backward: list[int] = []
    page = [p for p in pages if p][-1] if expected else []
    while page:
        backward = [h.pk for h in page] + backward
        page = thousand.headlines(view, limit=37, before=page[0].sort_key)
    assert backward == expected


@pytest.mark.parametrize("view", VIEWS)
def test_offset_alone_and_with_keys_matches_the_full_list(thousand: Store, view: View) -> None:
    expected = _expected_order(thousand, view)
    for skip in (1, 37, len(expected) - 5, len(expected) + 3):
        page = thousand.headlines(view, limit=20, offset=skip)
        assert [h.pk for h in page] == expected[skip : skip + 20]
    if len(expected) > 20:
        key = thousand.headlines(view, limit=1, offset=15)[0].sort_key
        newer = thousand.headlines(view, limit=5, before=key, offset=3)
        assert [h.pk for h in newer] == expected[15 - 8 : 15 - 3]
        older = thousand.headlines(view, limit=5, after=key, offset=3)
        assert [h.pk for h in older] == expected[15 + 4 : 15 + 9]


@pytest.mark.parametrize(
    "view",
    [
        *VIEWS,
        View(search="article"),
        View(search="7", feed_ids=(1,)),
        View(search="article", unread_only=True, held=(3, 30, 603)),
    ],
)
def test_position_is_the_rows_index_in_the_view(thousand: Store, view: View) -> None:
    """What keeps the selection on its article after a refresh: a row's index, found by
    its sort key, even for a row that has left the view (marked read in Unread)."""
    rows = thousand.headlines(view, limit=2000)
    for index in (0, 1, len(rows) // 2, len(rows) - 1):
        if 0 <= index < len(rows):
            assert thousand.position(view, rows[index].sort_key) == index
    everything = thousand.headlines(View(), limit=2000)
    shown = {r.pk for r in rows}
    outside = [h for h in everything if h.pk not in shown]
    if not view.search and outside:
        gone = outside[len(outside) // 2]
        newer = [r for r in rows if r.sort_key > gone.sort_key]
        assert thousand.position(view, gone.sort_key) == len(newer)


def test_offset_jumps_into_the_list(thousand: Store) -> None:
    everything = [h.pk for h in thousand.headlines(View(unread_only=True), limit=1000)]
    jumped = thousand.headlines(View(unread_only=True), limit=10, offset=500)
    assert [h.pk for h in jumped] == everything[500:510]
    after = thousand.headlines(View(), limit=5, after=jumped[0].sort_key, offset=5)
    whole = [h.pk for h in thousand.headlines(View(), limit=1000)]
    start = whole.index(jumped[0].pk) + 1
    assert [h.pk for h in after] == whole[start + 5 : start + 10]


def test_counts_follow_marks(thousand: Store) -> None:
    counts = thousand.unread_counts()
    assert sum(counts.values()) == thousand.count(View(unread_only=True))
    for info in thousand.feeds():
        assert (
            info.unread
            == counts[info.id]
            == thousand.count(View(feed_ids=(info.id,), unread_only=True))
        )
        assert info.total == 500
    assert thousand.count(View(starred_only=True)) == 100


def test_mark_read_where_returns_changed_pks_for_undo(thousand: Store) -> None:
    view = View(feed_ids=(2,), unread_only=True)
    before = [h.pk for h in thousand.headlines(view, limit=1000)]
    unread_total = thousand.count(View(unread_only=True))
    changed = thousand.mark_read_where(View(feed_ids=(2,)))
    assert sorted(changed) == sorted(before)
    assert thousand.count(view) == 0 and thousand.unread_counts()[2] == 0
    assert thousand.mark_read_where(View(feed_ids=(2,))) == []
    thousand.set_read(changed, False)
    assert [h.pk for h in thousand.headlines(view, limit=1000)] == before
    assert thousand.count(View(unread_only=True)) == unread_total


def test_store_can_be_used_from_another_thread(thousand: Store) -> None:
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(thousand.count(View())))
    worker.start()
    worker.join()
    assert result == [1000]


# ---- search -----------------------------------------------------------------------------


def test_search_finds_words_in_title_summary_and_body_ranked(store: Store) -> None:
    a = feed_id(store, A_URL)
    save(
        store,
        a,
        [
            make_article(A_URL, 1, title="Nothing here", content="<p>the <b>telescope</b> saw</p>"),
            make_article(A_URL, 2, title="Telescope launched", content="<p>space news</p>"),
            make_article(A_URL, 3, title="Other", summary="a telescope in the summary"),
            make_article(A_URL, 4, title="Café crème", content="text", content_type="text"),
        ],
    )
    found = store.headlines(View(search="telescope"), limit=10)
    assert found[0].title == "Telescope launched"  # a title match ranks first
    assert {h.title for h in found} == {"Nothing here", "Telescope launched", "Other"}
    assert store.count(View(search="telescope")) == 3
    assert [h.title for h in store.headlines(View(search="cafe"), limit=5)] == ["Café crème"]
    assert store.count(View(search="teles*")) == 3
    assert store.count(View(search="telescope space")) == 1
    assert store.count(View(search='"telescope launched"')) == 1
    assert store.headlines(View(search="bold"), limit=5) == []  # markup is not indexed


def test_search_finds_words_inside_chinese_japanese_and_thai_text(store: Store) -> None:
    """Scripts without spaces between words: the index holds a whole run as one word,
    so a word inside the run is looked for in the text (it used to find nothing)."""
    a, b = feed_id(store, A_URL), feed_id(store, B_URL)
    save(
        store,
        a,
        [
            make_article(A_URL, 1, title="央行发行出建国纪念币", content="<p>Python 消息</p>"),
            make_article(A_URL, 5, title="Tech", content="<p>我们用Python写代码</p>"),
            make_article(A_URL, 2, title="Baseball", content="<p>東京で野球の試合があった</p>"),
            make_article(A_URL, 3, title="Python news", content="<p>nothing else</p>"),
        ],
    )
    save(store, b, [make_article(B_URL, 4, title="ข่าวภาษาไทยวันนี้", content="text")])
    assert [h.title for h in store.headlines(View(search="纪念币"), limit=5)] == [
        "央行发行出建国纪念币"
    ]
    assert [h.title for h in store.headlines(View(search="野球"), limit=5)] == ["Baseball"]
    assert store.count(View(search="野球")) == 1
    assert store.count(View(search="ภาษาไทย")) == 1
    assert store.count(View(search="python 消息")) == 1  # an indexed word and a run
    # Latin letters in a run are found whatever their case (a tester's find).
    assert [store.count(View(search=word)) for word in ("用Python", "用python", "用PYTHON")] == [
        1
    ] * 3
    # A Latin word written against Han text is a word of its own (schema v12).
    assert store.count(View(search="python")) == 3
    assert store.count(View(search="python -纪念币")) == 2
    assert store.count(View(search="纪念币 -python")) == 0
    assert store.count(View(search="野球 -python")) == 1
    assert store.count(View(search="-野球")) == 0  # only words to leave out: no search
    both = View(search="ภาษาไทย", feed_ids=(a, b))
    assert [h.title for h in store.headlines(both, limit=5)] == ["ข่าวภาษาไทยวันนี้"]
    assert store.count(View(search="野球", feed_ids=(b,))) == 0
    baseball = store.headlines(View(search="野球"), limit=1)[0]
    assert store.position(View(search="野球"), baseball.sort_key) == 0
    assert store.mark_read_where(View(search="野球")) == [baseball.pk]


def test_search_finds_latin_words_written_against_han_or_kana_and_greek_without_accents(
    store: Store,
) -> None:
    """`苹果发布新款iPhone手机`: the tokenizer read the whole run as one word, so `iPhone`
    found nothing; Greek accents were not folded as Latin ones are (`cafe` finds `café`)."""
    a = feed_id(store, A_URL)
    save(
        store,
        a,
        [
            make_article(A_URL, 1, title="苹果发布新款iPhone手机", content="<p>新闻</p>"),
            make_article(A_URL, 2, title="News", content="<p>東京でPython3.12の勉強会</p>"),
            make_article(A_URL, 3, title="Καλημέρα κόσμε", content="<p>Ἀθῆναι</p>"),
            make_article(A_URL, 4, title="iPhones everywhere", content="<p>plain</p>"),
        ],
    )
    assert [h.title for h in store.headlines(View(search="iphone"), limit=5)] == [
        "苹果发布新款iPhone手机"
    ]
    assert store.count(View(search="iphone*")) == 2
    assert store.count(View(search="python3")) == 1
    assert store.count(View(search="新款iPhone")) == 1  # the run itself, as before
    assert store.count(View(search="でPython3")) == 1
    assert store.count(View(search="勉強会")) == 1
    for word in ("καλημερα", "Καλημέρα", "κοσμε", "αθηναι", '"καλημερα κοσμε"'):
        assert store.count(View(search=word)) == 1, word
    # What the index holds stays exact when these articles change and go.
    changed = make_article(A_URL, 1, title="苹果发布新款Android手机", content="<p>新闻</p>")
    save(store, a, [changed])
    assert store.count(View(search="android")) == 1
    assert store.count(View(search="iphone")) == 0
    assert_store_sound(store.path)


def test_words_inside_han_text_are_found_through_the_index_not_by_reading_every_text(
    store: Store,
) -> None:
    """A search for `北京` read the text of every article (1.5 s at 100,000 articles):
    the index now holds each pair of neighbouring Han characters, and only the articles
    it gives are read; the pairs never make a word the text does not hold."""
    a = feed_id(store, A_URL)
    save(
        store,
        a,
        [
            make_article(A_URL, 1, title="北京新闻", content="<p>出建国纪念币</p>"),
            make_article(A_URL, 2, title="Apart", content="<p>纪念 念币</p>"),  # pairs only
            make_article(A_URL, 3, title="Day", content="<p>纪念日和念币</p>"),
            make_article(A_URL, 4, title="东京", content="<p>用Python写代码</p>"),
            make_article(A_URL, 5, title="东京都知事", content="<p>苹果iPhone16发布会</p>"),
            make_article(A_URL, 6, title="Phones", content="<p>新款iPhone16Pro手机</p>"),
        ],
    )
    titles = {
        word: sorted(h.title for h in store.headlines(View(search=word), limit=10))
        for word in (
            "纪念币",
            "北京",
            "纪念",
            "念币",
            "币",
            "用Python",
            "python 纪念币",
            '"东京 京都"',  # the pairs of 东京都 are not its text
            '"纪念 念币"',
            "16发布",  # a part of the index's word `iphone16`, then Han
            "Pro手机",
        )
    }
    assert titles == {
        "纪念币": ["北京新闻"],
        "北京": ["北京新闻"],
        "纪念": ["Apart", "Day", "北京新闻"],
        "念币": ["Apart", "Day", "北京新闻"],
        "币": ["Apart", "Day", "北京新闻"],  # one character: a prefix of the pairs
        "用Python": ["东京"],
        "python 纪念币": [],
        '"东京 京都"': [],
        '"纪念 念币"': ["Apart"],
        "16发布": ["东京都知事"],
        "Pro手机": ["Phones"],
    }
    assert sorted(h.title for h in store.headlines(View(search="京"), limit=10)) == [
        "东京",
        "东京都知事",
        "北京新闻",
    ]
    assert store.count(View(search="纪念币")) == 1
    view = View(search="纪念币")
    statements = _traced(store, lambda: (store.headlines(view, limit=10), store.count(view)))
    of_articles = [sql for sql in statements if " articles" in sql]
    assert len(of_articles) == 2
    for sql in of_articles:
        plan = _plan(store, sql)
        assert any("VIRTUAL TABLE INDEX" in step for step in plan), (sql, plan)
        for step in plan:
            if step.startswith(("SCAN a", "SCAN articles")):
                assert "INDEX" in step, (sql, plan)
    assert_store_sound(store.path)


def test_the_pairs_of_a_row_are_its_own_whatever_row_was_worked_out_before() -> None:
    """`search_pairs` reuses the text `row_search_text` just worked out for the same
    row; asked of another row, it works that row's text out itself."""
    from tuinews.store import fts

    assert fts.row_search_text("", "<p>东京都</p>", "html") == "东京都"
    assert fts.search_pairs("Title", "", "<p>东京都</p>", "html") == "东京 京都 都"
    assert fts.search_pairs("新闻", "", "<p>纪念币</p>", "html") == "新闻 闻 纪念 念币 币"
    assert fts.search_pairs("Plain", "", "<p>plain text</p>", "html") == ""


def test_search_finds_a_teaser_summary_and_words_deep_in_a_long_body(store: Store) -> None:
    a = feed_id(store, A_URL)
    long_body = "<p>" + "filler words here " * 2_000 + "zeppelin</p>"
    save(
        store,
        a,
        [
            make_article(A_URL, 1, summary="teaser about gliders", content="<p>the story</p>"),
            make_article(A_URL, 2, summary="filler words here", content=long_body),
        ],
    )
    assert store.count(View(search="gliders")) == 1
    assert store.count(View(search="story")) == 1
    assert store.count(View(search="zeppelin")) == 1


def test_an_update_that_keeps_the_text_keeps_the_index_whole(store: Store) -> None:
    a = feed_id(store, A_URL)
    save(store, a, [make_article(A_URL, 1, content="<p>harbour lights</p>")])
    later = T0 + timedelta(days=1)
    moved = make_article(A_URL, 1, content="<p>harbour lights</p>", published=later)
    assert save(store, a, [moved]).updated == 1
    assert store.count(View(search="harbour")) == 1
    store.remove_feed(a)
    assert store.count(View(search="harbour")) == 0
    assert_store_sound(store.path)


def test_search_follows_content_changes_and_removals(store: Store) -> None:
    a = feed_id(store, A_URL)
    save(store, a, [make_article(A_URL, 1, content="<p>original wording</p>")])
    save(store, a, [make_article(A_URL, 1, content="<p>revised text</p>")])
    assert store.count(View(search="original")) == 0
    assert store.count(View(search="revised")) == 1
    store.remove_feed(a)
    assert store.count(View(search="revised")) == 0
    assert_store_sound(store.path)


def test_search_combines_with_filters_pages_and_mark_read(thousand: Store) -> None:
    view = View(search="article", feed_ids=(1,), unread_only=True)
    expected = thousand.count(view)
    assert expected == thousand.count(View(feed_ids=(1,), unread_only=True))
    seen: list[int] = []
    page = thousand.headlines(view, limit=50)
    while page:
        seen += [h.pk for h in page]
        page = thousand.headlines(view, limit=50, after=page[-1].sort_key)
    assert len(seen) == len(set(seen)) == expected
    assert all(h.feed_id == 1 and not h.read for h in thousand.headlines(view, limit=1000))
    changed = thousand.mark_read_where(view)
    assert len(changed) == expected and thousand.count(view) == 0


@pytest.mark.parametrize(
    "words",
    ['"', "AND(", "*", "a AND", "NEAR(a b", "title:x", '"unterminated', "((", "-x", "^", "OR"],
)
def test_search_never_fails_on_what_the_user_types(thousand: Store, words: str) -> None:
    view = View(search=words)
    thousand.headlines(view, limit=10)
    assert thousand.count(view) >= 0
    thousand.mark_read_where(View(search=words, feed_ids=()))


def fts_query(words: str) -> str | None:
    """The FTS5 expression a search sends to the index (None: nothing for it to find)."""
    terms = search_terms(words)
    return terms.match if terms is not None else None


def test_fts_query_quotes_every_term() -> None:
    assert fts_query('rust "type system" AND( x*') == '"rust" "type system" "AND(" "x"*'
    assert fts_query('say "hi" x"y') == '"say" "hi" "x""y"'
    assert fts_query("* ( ) -") is None


def test_a_term_given_twice_is_searched_once() -> None:
    # 5,000 pasted copies of a word took 7 s: each one is a pass over its index entries.
    assert fts_query(" ".join(["python*"] * 5000)) == '"python"*'
    assert fts_query("python rust python") == '"python" "rust"'
    assert fts_query("a -b OR a -b") == '("a") NOT "b"'


def test_search_leaves_out_minus_words_and_accepts_or(store: Store) -> None:
    a = feed_id(store, A_URL)
    texts = ["kangaroo gardening", "kangaroo desert", "tomatoes gardening", "nothing here"]
    save(store, a, [make_article(A_URL, n, content=f"<p>{t}</p>") for n, t in enumerate(texts)])

    def found(words: str) -> set[str]:
        heads = store.headlines(View(search=words), limit=10)
        stored = [store.article(h.pk) for h in heads]
        return {s.article.content[3:-4] for s in stored if s is not None}

    assert found("kangaroo -gardening") == {"kangaroo desert"}
    assert found("kangaroo OR tomatoes") == {
        "kangaroo gardening",
        "kangaroo desert",
        "tomatoes gardening",
    }
    assert found("kangaroo desert OR tomatoes") == {"kangaroo desert", "tomatoes gardening"}
    assert found("gard* -tomatoes") == {"kangaroo gardening"}
    assert found('kangaroo -"kangaroo desert"') == {"kangaroo gardening"}
    assert found("kangaroo or tomatoes") == set()  # lower-case "or" is a word to find
    assert fts_query("-gardening") is None  # only words to leave out: not a search
    # A bare NOT leaves out the next term, as "-" does; it searched the word "not".
    assert found("kangaroo NOT gardening") == {"kangaroo desert"}
    assert found('kangaroo NOT "kangaroo desert"') == {"kangaroo gardening"}
    assert fts_query("NOT gardening") is None
    assert fts_query("kangaroo not desert") == '"kangaroo" "not" "desert"'


# ---- look-ups, retention ----------------------------------------------------------------


def test_find_article_by_id_and_prefix(thousand: Store) -> None:
    heads = thousand.headlines(View(), limit=1000)
    head = heads[0]
    # A number is a prefix of ids like any other text, never the hidden row number.
    pk = next(h.pk for h in heads if not any(x.article_id.startswith(str(h.pk)) for x in heads))
    assert thousand.find_article(str(pk)) is None
    # A feed's articles share the first digit of their ids: it names several.
    with pytest.raises(StoreError, match="several"):
        thousand.find_article(head.article_id[:1])
    assert thousand.find_article(head.article_id).pk == head.pk  # type: ignore[union-attr]
    assert thousand.find_article(head.article_id[:10].upper()).pk == head.pk  # type: ignore[union-attr]
    assert thousand.find_article("zzzz") is None
    assert thousand.article(999_999) is None


def _save_retained(
    store: Store, feed: int, items: list[Article], at: datetime, **retention: object
) -> SaveStats:
    """A fetch saved as a refresh under [retention] saves it (see FeedWrite.oldest)."""
    write = FeedWrite(feed, at, prepare_feed(Feed(A_URL, "Feed", articles=items)), status=200)
    (stats,) = store.write_batch([dataclasses.replace(write, **retention)])  # type: ignore[arg-type]
    assert isinstance(stats, SaveStats)
    return stats


def test_cleanup_drops_old_articles_but_starred_ones_and_refresh_does_not_bring_them_back(
    store: Store,
) -> None:
    """Retention drops what is older than `days` (or beyond the newest `per_feed`) even
    while the feed still lists it: a refresh under the same retention does not store it
    again. Starred articles stay; so do undated ones the feed still lists (dated by the
    fetch that first saw them, they would come back as new)."""
    a = feed_id(store, A_URL)
    old = [make_article(A_URL, n, published=T0 - timedelta(days=100 + n)) for n in range(6)]
    undated = dataclasses.replace(make_article(A_URL, 50), published=None)
    save(store, a, [*old, undated], at=T0 - timedelta(days=90))
    starred = store.find_article(old[0].id)
    assert starred is not None
    store.set_starred(starred.pk, True)
    fresh = [make_article(A_URL, n) for n in range(10, 13)]
    listed = [*old[4:], undated, *fresh]
    save(store, a, listed, at=T0)
    assert store.cleanup(days=30, per_feed=None, now=T0) == 5  # old 1-5, listed or not
    left = {h.article_id for h in store.headlines(View(), limit=100)}
    assert left == {old[0].id, undated.id} | {i.id for i in fresh}
    # Still listed, and older than the retention: not stored again as new.
    oldest = (T0 - timedelta(days=30)).timestamp()
    assert _save_retained(store, a, listed, T0 + timedelta(hours=1), oldest=oldest).new == 0
    assert store.cleanup(days=30, per_feed=None, now=T0) == 0
    # The newest one only: the starred one stays, the undated one while listed.
    assert store.cleanup(days=None, per_feed=1, now=T0) == 2
    left = {h.article_id for h in store.headlines(View(), limit=100)}
    assert left == {old[0].id, undated.id, fresh[-1].id}
    assert _save_retained(store, a, listed, T0 + timedelta(hours=2), per_feed=1).new == 0
    newer = make_article(A_URL, 99, published=T0 + timedelta(days=1))
    assert _save_retained(store, a, [newer, *listed], T0 + timedelta(hours=3), per_feed=1).new == 1
    assert store.feed(a).total == 4  # type: ignore[union-attr]
    assert store.cleanup(days=None, per_feed=None) == 0


# ---- failures ---------------------------------------------------------------------------


def test_disk_full_mid_save_rolls_back_and_says_so(store: Store) -> None:
    a = feed_id(store, A_URL)
    save(store, a, [make_article(A_URL, 1)])
    conn = store._conn
    assert conn is not None
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL
    big = [make_article(A_URL, n, content="<p>" + "word " * 2000 + "</p>") for n in range(2, 60)]
    with pytest.raises(StoreError, match="disk is full") as caught:
        save(store, a, big, at=T0 + timedelta(hours=1))
    assert str(caught.value).startswith(str(store.path))
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.count(View()) == 1
    info = store.feed(a)
    assert info is not None and info.total == 1 and info.last_refresh == T0
    assert save(store, a, big) == SaveStats(new=58, updated=0)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize(("free_blocks", "said"), [(0, "the disk is full"), (10, "disk I/O error")])
def test_an_io_error_on_a_full_disk_says_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free_blocks: int, said: str
) -> None:
    """A disk filled to the last block makes SQLite fail even to read (it cannot create
    the -shm file) with a bare "disk I/O error"; the user is told why."""
    import os
    import sqlite3

    from tuinews.store.connection import store_error

    real_statvfs = os.statvfs

    def statvfs(path: str | os.PathLike[str]) -> object:
        found = real_statvfs(path)

        class Full:
            f_bavail = free_blocks
            f_flag = found.f_flag

        return Full()

    monkeypatch.setattr(os, "statvfs", statvfs)
    db = tmp_path / "store.db"
    error = store_error(db, sqlite3.OperationalError("disk I/O error"))
    assert str(error) == f"{db}: cannot read or write the store: {said}"


def test_read_only_store_refuses_writes_cleanly(store: Store) -> None:
    conn = store._conn
    assert conn is not None
    conn.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError, match="read-only"):
        save(store, feed_id(store, A_URL), [make_article(A_URL, 1)])
    assert store.count(View()) == 0  # reading still works


def test_closed_store_says_so(tmp_path: Path) -> None:
    opened = Store.open(tmp_path / "s.db")
    opened.close()
    opened.close()
    with pytest.raises(StoreError, match="closed"):
        opened.feeds()


def test_store_folder_is_created(tmp_path: Path) -> None:
    with Store.open(tmp_path / "deep" / "er" / "s.db") as opened:
        assert opened.feeds() == []


# ---- performance guards (no clocks: query plans and the work SQLite does) --------------

BIG = 20_000


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """20,000 articles over 50 feeds, filled with executemany (save_fetch would be slower)."""
    path = tmp_path_factory.mktemp("big") / "big.db"
    with Store.open(path) as opened:
        opened.sync_feeds([Subscription(f"https://f{n}.example/rss") for n in range(50)])
        conn = opened._conn
        assert conn is not None
        rows = [
            (f"{n:016x}", n % 50 + 1, f"g:{n}", f"Title {n}", 1e9 + (n * 7919) % BIG, n % 3 == 0)
            for n in range(BIG)
        ]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO articles (article_id, feed_id, key, title, sort_ts, read, starred, "
            "first_seen, last_seen, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, '')",
            [(*row, n % 97 == 0) for n, row in enumerate(rows)],
        )
        queue_new_articles(conn, 0)  # as save_fetch does for the rows it inserts
        count_new_articles(conn, 0)
        conn.execute("COMMIT")
        yield opened


PLAIN_VIEWS = [
    View(),
    View(unread_only=True),
    View(starred_only=True),
    View(unread_only=True, starred_only=True),
    View(feed_ids=(3,)),
    View(feed_ids=(3,), unread_only=True),
    View(feed_ids=(3,), starred_only=True),
]
MERGED_VIEWS = [View(feed_ids=(3, 4, 5)), View(feed_ids=(3, 4), unread_only=True)]


def _traced(store: Store, action: object) -> list[str]:
    conn = store._conn
    assert conn is not None
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        assert callable(action)
        action()
    finally:
        conn.set_trace_callback(None)
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def _plan(store: Store, sql: str) -> list[str]:
    conn = store._conn
    assert conn is not None
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]


def _pages_and_count(store: Store, view: View, key: SortKey) -> None:
    """The first window of `view`, those after and before `key`, and its count."""
    store.headlines(view, limit=100)
    store.headlines(view, limit=100, after=key)
    store.headlines(view, limit=100, before=key)
    store.count(view)


@pytest.mark.parametrize("view", PLAIN_VIEWS + MERGED_VIEWS)
def test_headline_windows_and_counts_walk_indexes(big_store: Store, view: View) -> None:
    first = big_store.headlines(view, limit=100)
    assert first
    statements = _traced(
        big_store,
        lambda: (
            _pages_and_count(big_store, view, first[-1].sort_key),
            big_store.unread_counts(),
        ),
    )
    assert len(statements) == 5
    for sql in statements:
        plan = _plan(big_store, sql)
        for step in plan:
            if step.startswith(("SCAN a", "SCAN articles")):
                assert "INDEX" in step, (sql, plan)
        if view in PLAIN_VIEWS:
            assert not any("TEMP B-TREE" in step for step in plan), (sql, plan)


HELD_VIEWS = [
    View(unread_only=True, held=(3, 6, 9000, 150_000)),
    View(starred_only=True, held=(1, 2, 3)),
    View(feed_ids=(3,), unread_only=True, held=(3, 53, 103)),
    View(feed_ids=(3, 4), unread_only=True, held=(3, 4, 54)),
]


@pytest.mark.parametrize("view", HELD_VIEWS)
def test_rows_held_in_a_filter_are_read_apart_and_the_rest_through_its_index(
    big_store: Store, view: View
) -> None:
    """Rows read in Unread stay listed until the list changes: read by their pks, while
    the unread rows are still read through the unread index (an OR in one query walked
    the whole time index: 30-90 ms a window on 100,000 articles)."""
    first = big_store.headlines(view, limit=100)
    half = big_store.count(view) // 2
    middle = big_store.headlines(view, limit=1, offset=half)
    assert first and middle
    statements = _traced(
        big_store,
        lambda: (
            _pages_and_count(big_store, view, first[-1].sort_key),
            big_store.headlines(view, limit=100, offset=half),
            big_store.count(view),
            big_store.position(view, middle[0].sort_key),
        ),
    )
    for sql in statements:
        for step in _plan(big_store, sql):
            if step.startswith(("SCAN a", "SCAN articles")):
                assert "INDEX" in step, (sql, step)
            assert "articles_by_time" not in step, (sql, step)
    # Near the cost of the view without them (a scan of the store costs > 50,000).
    plain = dataclasses.replace(view, held=())
    actions: list[Any] = [
        lambda v: big_store.headlines(v, limit=100),
        big_store.count,
        lambda v: big_store.position(v, middle[0].sort_key),
    ]
    for action in actions:
        held_cost = _vm_steps(big_store, functools.partial(action, view))
        assert held_cost < 4 * _vm_steps(big_store, functools.partial(action, plain)) + 2_000


def _vm_steps(store: Store, action: object) -> int:
    """SQLite virtual-machine steps spent by `action` (a measure of rows visited)."""
    conn = store._conn
    assert conn is not None and callable(action)
    ticks = [0]

    def tick() -> int:
        ticks[0] += 1
        return 0

    conn.set_progress_handler(tick, 100)
    try:
        action()
    finally:
        conn.set_progress_handler(None, 0)
    return ticks[0] * 100


def test_first_window_and_counts_read_a_bounded_number_of_rows(big_store: Store) -> None:
    conn = big_store._conn
    assert conn is not None
    scan = _vm_steps(
        big_store,
        lambda: conn.execute("SELECT count(*) FROM articles WHERE title LIKE '%x'").fetchall(),
    )
    assert scan > 50_000  # visiting every row costs this much: the bounds below mean something
    for view in PLAIN_VIEWS:
        assert _vm_steps(big_store, lambda v=view: big_store.headlines(v, limit=100)) < 8_000
    for view in MERGED_VIEWS:
        assert _vm_steps(big_store, lambda v=view: big_store.headlines(v, limit=100)) < 25_000
    for view in (View(), View(unread_only=True), View(feed_ids=(3,), unread_only=True)):
        assert _vm_steps(big_store, lambda v=view: big_store.count(v)) < 1_000
    assert _vm_steps(big_store, big_store.unread_counts) < 1_000
    assert _vm_steps(big_store, lambda: big_store.count(View(starred_only=True))) < 5_000


def test_retention_by_count_is_stable_for_articles_of_one_date(store: Store) -> None:
    """`per_feed = 1` and three items of one date: the refresh kept all three (ties),
    each cleanup dropped two and each refresh brought them back as new (a regression
    tester's find); then one new one came in place of a stored one at each refresh."""
    a = feed_id(store, A_URL)
    when = T0 - timedelta(days=1)
    tied = [make_article(A_URL, n, published=when) for n in range(3)]
    older = make_article(A_URL, 9, published=when - timedelta(days=1))
    listed = [*tied, older]
    assert _save_retained(store, a, listed, T0, per_feed=1).new == 1
    for hour in range(1, 4):
        assert store.cleanup(days=None, per_feed=1, now=T0) == 0
        assert _save_retained(store, a, listed, T0 + timedelta(hours=hour), per_feed=1).new == 0
    assert store.count(View()) == 1
