"""Per-article cost of a refresh's parsing and writing, against a bare pipeline.

    .venv/bin/python benchmarks/bench_floor.py                  # 50 feeds x 200 items
    .venv/bin/python benchmarks/bench_floor.py --feeds 20 --items 1000 --rounds 5

The bare pipeline is what no Python feed reader can do without: lxml parses each
blog-shaped feed (the refresh benchmark's), a loop copies each item's fields into a
tuple, and SQLite inserts the tuples into one table with a unique key and one index,
a transaction per feed. tuinews's own path does the same work as a refresh's parse
worker: `parse_and_prepare` (sanitising, dates, summaries, digests; the search text waits
for the first search since schema v8), then
`Store.write_batch` into a real store. Both run in this process on the same bodies, in
CPU seconds, best of N rounds. Prints a table, then the figures as one JSON object.

Why: it bounds what a faster parser could win. On 2 cores, with the main process
fetching, the parse workers' per-article cost sets the pace of a big refresh.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from feedserver import blog_rss  # noqa: E402

ITEM_BYTES = 1650  # as benchmarks/bench_refresh.py
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


def bare_rows(body: bytes) -> list[tuple[str | None, ...]]:
    """Each item's fields as they stand in the document: no cleaning of any kind."""
    rows: list[tuple[str | None, ...]] = []
    for item in etree.fromstring(body)[0].iterfind("item"):
        fields: dict[str, str | None] = {}
        categories = []
        for child in item:
            if child.tag == "category":
                categories.append(child.text or "")
            else:
                fields[child.tag] = child.text
        rows.append(
            (
                fields.get("guid"),
                fields.get("title"),
                fields.get("link"),
                fields.get(_CREATOR),
                fields.get("pubDate"),
                fields.get("description"),
                fields.get(_CONTENT),
                "|".join(categories),
            )
        )
    return rows


def bare_write(path: Path, feeds: list[list[tuple[str | None, ...]]]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA synchronous = normal")
    conn.execute(
        "CREATE TABLE articles (pk INTEGER PRIMARY KEY, key TEXT, feed INTEGER, title TEXT, "
        "link TEXT, author TEXT, published TEXT, summary TEXT, content TEXT, tags TEXT, "
        "read INTEGER DEFAULT 0, UNIQUE (feed, key))"
    )
    conn.execute("CREATE INDEX articles_by_feed ON articles (feed, published)")
    for number, rows in enumerate(feeds):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO articles (key, feed, title, link, author, published, summary, "
            "content, tags) VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            [(*row, number) for row in rows],
        )
        conn.execute("COMMIT")
    conn.close()


def tuinews_round(bodies: list[bytes], scratch: Path) -> tuple[float, float]:
    """CPU seconds of parse_and_prepare over every body, then of writing them."""
    from tuinews.model import Subscription
    from tuinews.refresh.parsing import parse_and_prepare
    from tuinews.store import FeedWrite, Store

    urls = [f"http://127.0.0.1/feed{n}.xml" for n in range(len(bodies))]
    started = time.process_time()
    prepared = [
        parse_and_prepare(body, url, "application/rss+xml")[0]
        for body, url in zip(bodies, urls, strict=True)
    ]
    parsed = time.process_time() - started
    with Store.open(scratch / "store.db") as store:
        store.sync_feeds([Subscription(url=url) for url in urls])
        ids = {info.url: info.id for info in store.feeds()}
        started = time.process_time()
        for url, rows in zip(urls, prepared, strict=True):
            write = FeedWrite(ids[url], datetime.now(UTC), status=200)
            store.write_batch([dataclasses.replace(write, prepared=rows)])
        written = time.process_time() - started
    return parsed, written


def bare_round(bodies: list[bytes], scratch: Path) -> tuple[float, float]:
    started = time.process_time()
    feeds = [bare_rows(body) for body in bodies]
    parsed = time.process_time() - started
    started = time.process_time()
    bare_write(scratch / "bare.db", feeds)
    return parsed, time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from tuinews.refresh.parsing import warm_up

    warm_up()
    bodies = [
        blog_rss(args.items, item_bytes=ITEM_BYTES, title=f"Feed {n}") for n in range(args.feeds)
    ]
    items = args.feeds * args.items
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.rounds):
        for name, run in (("bare", bare_round), ("tuinews", tuinews_round)):
            with tempfile.TemporaryDirectory() as scratch:
                parse, write = run(bodies, Path(scratch))
            if name not in best or parse + write < sum(best[name]):
                best[name] = (parse, write)
    size = sum(map(len, bodies)) / 1e6
    print(
        f"{args.feeds} feeds x {args.items} items ({size:.1f} MB), "
        f"best of {args.rounds} rounds, CPU microseconds per article"
    )
    print(f"{'':10}{'parse':>10}{'write':>10}{'total':>10}")
    figures: dict[str, object] = {"feeds": args.feeds, "items": args.items, "mb": size}
    for name, (parse, write) in best.items():
        per = [1e6 * value / items for value in (parse, write, parse + write)]
        print(f"{name:10}" + "".join(f"{value:10.1f}" for value in per))
        figures[name] = {"parse_us": per[0], "write_us": per[1], "total_us": per[2]}
    ratio = sum(best["tuinews"]) / sum(best["bare"])
    print(f"tuinews / bare: {ratio:.2f}")
    figures["ratio"] = ratio
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
