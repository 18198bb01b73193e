"""Parse throughput of tuinews.sources.feeds.parse_feed, in MB/s of input.

Run: .venv/bin/python benchmarks/bench_parse.py
Prints a table, then the same figures as one JSON object on the last line.
Generated documents hold 1,000 items (title, link, guid, date, HTML description):
"rss2_plain_1000_items" with short ~450-byte descriptions (per-item overhead dominates),
"rss2_plain_1000_2kb" with ~1.8 KB descriptions, the corpus's average item size.
The corpus row parses every file of ../shared/corpus/feeds once per round (gzip bodies
inflated first, outside the timing). Figures swing with load on the shared cores.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tuinews.sources.feeds import parse_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
ITEMS = 1_000
PARAGRAPH = (
    "The committee met on Tuesday to discuss the proposal, which would change how the "
    "city funds its libraries &amp; parks. Residents spoke for and against the plan; "
    "a vote is expected next month after a second public hearing. "
)


def _dates() -> list[datetime]:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    return [start - timedelta(minutes=17 * index) for index in range(ITEMS)]


def make_rss(paragraphs: int = 2) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>Bench News</title><link>https://news.example.com/</link>"
        "<description>Generated feed</description><language>en</language>\n"
    ]
    for index, date in enumerate(_dates()):
        parts.append(
            f"<item><title>Story number {index}: council weighs library budget</title>"
            f"<link>https://news.example.com/2024/05/story-{index}.html</link>"
            f'<guid isPermaLink="false">news-example-{index}</guid>'
            f"<pubDate>{date.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
            f"<description>&lt;p&gt;{PARAGRAPH * paragraphs}&lt;/p&gt;</description></item>\n"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def make_atom() -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        '<title>Bench News</title><link href="https://news.example.com/"/>'
        "<id>urn:bench</id><updated>2024-05-01T12:00:00Z</updated>\n"
    ]
    for index, date in enumerate(_dates()):
        parts.append(
            f"<entry><title>Story number {index}: council weighs library budget</title>"
            f'<link href="https://news.example.com/2024/05/story-{index}.html"/>'
            f"<id>urn:bench:{index}</id><updated>{date.isoformat()}</updated>"
            f"<author><name>Reporter {index % 7}</name></author>"
            f'<summary type="html">&lt;p&gt;{PARAGRAPH * 2}&lt;/p&gt;</summary></entry>\n'
        )
    parts.append("</feed>\n")
    return "".join(parts).encode()


def make_json_feed() -> bytes:
    items = [
        {
            "id": f"bench-{index}",
            "url": f"https://news.example.com/2024/05/story-{index}.html",
            "title": f"Story number {index}: council weighs library budget",
            "date_published": date.isoformat(),
            "content_html": f"<p>{PARAGRAPH * 2}</p>",
        }
        for index, date in enumerate(_dates())
    ]
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Bench News",
        "home_page_url": "https://news.example.com/",
        "items": items,
    }
    return json.dumps(document).encode()


def load_corpus() -> list[tuple[str, bytes]]:
    files = []
    for path in sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        files.append((path.name, data))
    return files


def measure(documents: list[tuple[str, bytes]], min_seconds: float = 1.0) -> float:
    """Best MB/s over rounds of parsing every document once."""
    size = sum(len(data) for _, data in documents)
    best = float("inf")
    spent = 0.0
    rounds = 0
    while spent < min_seconds or rounds < 3:
        start = time.perf_counter()
        for name, data in documents:
            parse_feed(data, "https://bench.example/" + name)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        rounds += 1
    return size / best / 1e6


def main() -> int:
    cases: list[tuple[str, Callable[[], list[tuple[str, bytes]]]]] = [
        ("rss2_plain_1000_items", lambda: [("bench.rss", make_rss())]),
        # ~2 KB per item: the corpus's own RSS average (e.g. Guardian 2.7 KB, Giant Bomb 2.2 KB).
        ("rss2_plain_1000_2kb", lambda: [("bench2k.rss", make_rss(paragraphs=8))]),
        ("atom_1000_entries", lambda: [("bench.atom", make_atom())]),
        ("json_feed_1000_items", lambda: [("bench.json", make_json_feed())]),
        ("corpus_all_files", load_corpus),
    ]
    results: dict[str, dict[str, float]] = {}
    print(f"{'case':<24} {'bytes':>11} {'MB/s':>8}")
    for name, make in cases:
        documents = make()
        if not documents:
            print(f"{name:<24} {'(missing)':>11}")
            continue
        parse_feed(documents[0][1], "https://bench.example/warmup")  # imports, caches
        size = sum(len(data) for _, data in documents)
        rate = measure(documents)
        results[name] = {"bytes": size, "mb_per_s": round(rate, 1)}
        print(f"{name:<24} {size:>11,} {rate:>8.1f}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
