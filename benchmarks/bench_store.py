"""Store write-path benchmark: the cost of saving a refresh's articles, per article.

    .venv/bin/python benchmarks/bench_store.py                   # 20x1000 and 100x1000
    .venv/bin/python benchmarks/bench_store.py --feeds 100 --items 1000

Feeds are generated (tests/feedserver.rss), parsed and prepared up front as the refresh's
worker process would (`prepare_feed`, timed on its own), then saved
into an empty store one feed per transaction (a refresh batches feeds that are ready
together; this measures the worst case). Prints CPU (process_time) and wall microseconds
per new article, for all feeds, the first tenth and the last tenth (a store grown to
100,000 articles writes more slowly than an empty one), the indexing that the first search
after the refresh does (schema v6), and the close (PRAGMA optimize, checkpoint) the
refresh also pays. A second pass saves the same feeds again (nothing new: the cost of a
refresh of unchanged, re-served feeds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from feedserver import rss  # type: ignore[import-not-found]  # noqa: E402
from tuinews.model import Subscription  # noqa: E402
from tuinews.sources.feeds import parse_feed  # noqa: E402
from tuinews.store import Store  # noqa: E402
from tuinews.store.save import PreparedFeed, prepare_feed  # noqa: E402


def prepared_feeds(feeds: int, items: int) -> tuple[list[PreparedFeed], float]:
    """The prepared feeds and the CPU microseconds per item that prepare_feed took."""
    parsed = [
        parse_feed(
            rss(items, title=f"Feed {n}", prefix=f"f{n}-item"),
            f"http://x/{n}",
            content_type="application/rss+xml",
        )
        for n in range(feeds)
    ]
    started = time.process_time()
    prepared = [prepare_feed(feed) for feed in parsed]
    return prepared, (time.process_time() - started) * 1e6 / (feeds * items)


def save_all(store: Store, ids: list[int], prepared: list[PreparedFeed]) -> list[float]:
    """CPU and wall seconds of each feed's save, as (cpu, wall) pairs flattened."""
    now = datetime.now(UTC)
    spent: list[float] = []
    for feed_id, feed in zip(ids, prepared, strict=True):
        cpu, wall = time.process_time(), time.perf_counter()
        store.save_prepared(
            feed_id,
            feed,
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=now,
            next_fetch=None,
        )
        spent += [time.process_time() - cpu, time.perf_counter() - wall]
    return spent


def report(label: str, spent: list[float], items: int) -> None:
    cpu, wall = spent[0::2], spent[1::2]
    tenth = max(len(cpu) // 10, 1)

    def per_item(values: list[float]) -> str:
        return f"{sum(values) * 1e6 / (len(values) * items):6.2f}"

    print(
        f"{label:<14} cpu us/item all {per_item(cpu)} first {per_item(cpu[:tenth])} "
        f"last {per_item(cpu[-tenth:])} | wall all {per_item(wall)} "
        f"first {per_item(wall[:tenth])} last {per_item(wall[-tenth:])}"
    )


def run(feeds: int, items: int) -> None:
    prepared, prepare_us = prepared_feeds(feeds, items)
    print(f"== {feeds} feeds x {items} items; prepare_feed {prepare_us:.2f} cpu us/item")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.db"
        store = Store.open(path)
        store.sync_feeds([Subscription(url=f"http://x/{n}") for n in range(feeds)])
        ids = [info.id for info in store.feeds()]
        report("first refresh", save_all(store, ids, prepared), items)
        # Saved articles join the search index when the first search runs (schema v6).
        cpu, wall = time.process_time(), time.perf_counter()
        indexed = store.index_for_search()
        print(
            f"{'first search':<14} indexes {indexed} articles: cpu us/item "
            f"{(time.process_time() - cpu) * 1e6 / max(indexed, 1):6.2f} "
            f"wall {(time.perf_counter() - wall) * 1e6 / max(indexed, 1):6.2f}"
        )
        cpu, wall = time.process_time(), time.perf_counter()
        store.close()
        close_cpu, close_wall = time.process_time() - cpu, time.perf_counter() - wall
        total = feeds * items
        print(
            f"{'close':<14} cpu us/item {close_cpu * 1e6 / total:6.2f} "
            f"wall {close_wall * 1e6 / total:6.2f}; "
            f"file {path.stat().st_size / total:.0f} bytes/item"
        )
        store = Store.open(path)
        report("same again", save_all(store, ids, prepared), items)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int)
    parser.add_argument("--items", type=int)
    args = parser.parse_args()
    if args.feeds or args.items:
        run(args.feeds or 20, args.items or 1000)
    else:
        run(20, 1000)
        run(100, 1000)


if __name__ == "__main__":
    main()
