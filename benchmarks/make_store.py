"""Build a store of N articles across F feeds through `Store.save_fetch`, for benchmarks.

    .venv/bin/python benchmarks/make_store.py --articles 100000 --out /tmp/x.db

Prints the build time, the file size and the time of the queries the UI runs first.
Articles are spread over time so headline order interleaves feeds; a third are read
and one in fifty starred.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tuinews.model import Article, Feed, Subscription, article_id, article_key
from tuinews.store import Store, View
from vocabulary import WORDS

BATCH = 500  # items per save_fetch, like a big feed


def _article(url: str, number: int, when: datetime, rng: random.Random) -> Article:
    # One rare word per title (1 article in 1,000) for a realistic selective search.
    rare = f"topic{rng.randrange(1000)}"
    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize() + f" {rare} #{number}"
    body = " ".join(rng.choice(WORDS) for _ in range(120))
    guid = f"{url}#item-{number}"
    key = article_key(guid, None, title, when)
    return Article(
        id=article_id(url, key),
        feed=url,
        title=title,
        link=f"{url}/articles/{number}",
        guid=guid,
        author="Reporter",
        published=when,
        summary=body[:300],
        content=f"<p>{body}</p>",
    )


def build(path: Path, articles: int, feeds: int, seed: int = 1) -> float:
    """Create the store; returns the seconds spent in save_fetch."""
    rng = random.Random(seed)
    urls = [f"https://feeds.example/{n}/rss" for n in range(feeds)]
    start_date = datetime(2020, 1, 1, tzinfo=UTC)
    spent = 0.0
    with Store.open(path) as store:
        store.sync_feeds([Subscription(url, f"Feed {n}", ("bench",)) for n, url in enumerate(urls)])
        ids = {info.url: info.id for info in store.feeds()}
        per_feed = articles // feeds
        for index, url in enumerate(urls):
            count = per_feed + (1 if index < articles % feeds else 0)
            for first in range(0, count, BATCH):
                batch = [
                    _article(url, n, start_date + timedelta(minutes=rng.randrange(3_000_000)), rng)
                    for n in range(first, min(first + BATCH, count))
                ]
                begin = time.perf_counter()
                store.save_fetch(
                    ids[url],
                    Feed(url, f"Feed {index}", articles=batch),
                    status=200,
                    etag=None,
                    last_modified=None,
                    fetched_at=datetime.now(UTC),
                    next_fetch=None,
                )
                spent += time.perf_counter() - begin
        heads = store.headlines(View(), limit=articles)
        store.set_read([h.pk for h in heads if h.pk % 3 == 0], True)
        for head in heads[::50]:
            store.set_starred(head.pk, True)
    return spent


def _timed(label: str, action: object) -> None:
    begin = time.perf_counter()
    result = action() if callable(action) else None
    elapsed = (time.perf_counter() - begin) * 1000
    size = len(result) if isinstance(result, list | dict) else result
    print(f"  {label:<40} {elapsed:8.2f} ms  ({size})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="10000, 100000, 1000000")
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--force", action="store_true", help="replace an existing --out")
    args = parser.parse_args(argv)
    if args.out.exists():
        if not args.force:
            print(f"{args.out} exists (use --force)", file=sys.stderr)
            return 1
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.out) + suffix).unlink(missing_ok=True)
    begin = time.perf_counter()
    in_save = build(args.out, args.articles, args.feeds)
    total = time.perf_counter() - begin
    print(f"built {args.articles} articles in {args.feeds} feeds: {total:.1f} s")
    print(f"  save_fetch: {in_save:.1f} s ({args.articles / in_save:,.0f} articles/s)")
    print(f"  file size: {args.out.stat().st_size / 1e6:.1f} MB")
    with Store.open(args.out) as store:
        first = store.headlines(View(), limit=100)
        feed_id = first[0].feed_id
        _timed("open store", lambda: Store.open(args.out).close())
        _timed("headlines all, first 100", lambda: store.headlines(View(), limit=100))
        _timed(
            "headlines all, next 100 (keyset)",
            lambda: store.headlines(View(), limit=100, after=first[-1].sort_key),
        )
        _timed(
            "headlines unread, first 100",
            lambda: store.headlines(View(unread_only=True), limit=100),
        )
        _timed(
            "headlines one feed unread, first 100",
            lambda: store.headlines(View(feed_ids=(feed_id,), unread_only=True), limit=100),
        )
        _timed(
            "headlines starred, first 100",
            lambda: store.headlines(View(starred_only=True), limit=100),
        )
        _timed(
            "headlines offset 50%",
            lambda: store.headlines(View(), limit=100, offset=args.articles // 2),
        )
        _timed("count all", lambda: store.count(View()))
        _timed("count unread", lambda: store.count(View(unread_only=True)))
        _timed("count starred", lambda: store.count(View(starred_only=True)))
        _timed("unread_counts", store.unread_counts)
        _timed("feeds", store.feeds)
        _timed(
            "search 'quantum garden', first 100",
            lambda: store.headlines(View(search="quantum garden"), limit=100),
        )
        _timed(
            "search 'topic7' (rare word), first 100",
            lambda: store.headlines(View(search="topic7"), limit=100),
        )
        _timed("count search 'quantum garden'", lambda: store.count(View(search="quantum garden")))
        _timed("article", lambda: store.article(first[0].pk) and 1)
        url = store.feed(feed_id)
        assert url is not None
        same = [
            _article(url.url, n, datetime(2020, 1, 1, tzinfo=UTC), random.Random(n))
            for n in range(1000)
        ]
        feed = Feed(url.url, "x", articles=same)

        def save_same() -> object:
            return store.save_fetch(
                feed_id,
                feed,
                status=200,
                etag=None,
                last_modified=None,
                fetched_at=datetime.now(UTC),
                next_fetch=None,
            )

        _timed("save_fetch 1000 items (first time)", save_same)
        _timed("save_fetch 1000 items (unchanged)", save_same)
        _timed("mark_read_where one feed", lambda: store.mark_read_where(View(feed_ids=(feed_id,))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
