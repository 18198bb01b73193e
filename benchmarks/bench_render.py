"""How long a large article takes to render (target: a 200 KB HTML article under 100 ms).

Run: .venv/bin/python benchmarks/bench_render.py [--runs N] [--kb SIZE]
Prints a table, then one JSON line. "build" is `render_article` (HTML parse + block tree),
"layout" is Rich laying the renderable out into lines at the width (what a screen pays),
"total" is both (median wall time), "cpu" the median CPU time of both (steadier when other
jobs share the machine), "best" the fastest run's wall time.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time

from rich.console import Console

from tuinews.model import Article
from tuinews.render import render_article

_WORD_SOURCE = (
    "the council voted on a plan to rebuild bridges roads and schools after storm damage "
    "officials said funding would come from regional budgets while residents asked about "
    "timelines costs and whether contractors could start before winter arrives again"
)
WORDS = _WORD_SOURCE.split()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def paragraph(rng: random.Random, index: int) -> str:
    parts = []
    for _ in range(rng.randint(3, 6)):
        text = sentence(rng, rng.randint(8, 20))
        roll = rng.random()
        if roll < 0.3:
            words = text.split(" ")
            cut = rng.randint(1, len(words) - 1)
            text = (
                " ".join(words[:cut])
                + f' <a href="/news/{index}/{cut}">{words[cut]}</a> '
                + " ".join(words[cut + 1 :])
            )
        elif roll < 0.45:
            text = f"<strong>{text}</strong>"
        elif roll < 0.55:
            text = f"{text} <em>{sentence(rng, 4)}</em>"
        parts.append(text)
    return "<p>" + " ".join(parts) + "</p>\n"


def make_article_html(target_bytes: int, seed: int = 7) -> str:
    """A news-like body: paragraphs with links, headings, lists, a table, code, images."""
    rng = random.Random(seed)
    chunks: list[str] = []
    size = 0
    index = 0
    while size < target_bytes:
        index += 1
        kind = index % 12
        if kind == 0:
            chunk = f"<h2>{sentence(rng, 5)}</h2>\n"
        elif kind == 3:
            items = "".join(f"<li>{sentence(rng, 9)}</li>" for _ in range(5))
            nested = "".join(f"<li>{sentence(rng, 6)}</li>" for _ in range(3))
            chunk = f"<ul>{items}<li>more<ol>{nested}</ol></li></ul>\n"
        elif kind == 6:
            chunk = f'<figure><img src="/img/{index}.jpg" alt="{sentence(rng, 4)}">'
            chunk += f"<figcaption>{sentence(rng, 8)}</figcaption></figure>\n"
        elif kind == 8:
            lines = [f"    value_{n} = compute({n}, factor={n * 3})  # step {n}" for n in range(8)]
            chunk = "<pre><code>def update():\n" + "\n".join(lines) + "</code></pre>\n"
        elif kind == 10 and index == 130:  # one table, as in a long report
            rows = "".join(
                f"<tr><td>{rng.choice(WORDS)}</td><td>{rng.randint(1, 9999)}</td>"
                f"<td>{sentence(rng, 6)}</td></tr>"
                for _ in range(20)
            )
            chunk = f"<table><tr><th>Item</th><th>Count</th><th>Note</th></tr>{rows}</table>\n"
        elif kind == 11:
            chunk = f"<blockquote><p>{sentence(rng, 25)}</p></blockquote>\n"
        else:
            chunk = paragraph(rng, index)
        chunks.append(chunk)
        size += len(chunk.encode())
    return "".join(chunks)


def measure(html: str, width: int, runs: int) -> dict[str, float]:
    item = Article(
        id="bench",
        feed="https://news.example/feed.xml",
        title="A long article",
        link="https://news.example/2026/long.html",
        content=html,
    )
    console = Console(file=io.StringIO(), width=width, color_system="truecolor")
    options = console.options.update(width=width)
    console.render_lines(render_article(item).renderable, options)  # warm Rich's caches
    builds, layouts, cpu_totals, lines = [], [], [], 0
    for _ in range(runs):
        cpu_started = time.process_time()
        started = time.perf_counter()
        rendered = render_article(item)
        built = time.perf_counter()
        lines = len(console.render_lines(rendered.renderable, options, pad=False))
        done = time.perf_counter()
        cpu_totals.append((time.process_time() - cpu_started) * 1000)
        builds.append((built - started) * 1000)
        layouts.append((done - built) * 1000)
    build = statistics.median(builds)
    layout = statistics.median(layouts)
    return {
        "width": width,
        "build_ms": round(build, 1),
        "layout_ms": round(layout, 1),
        "total_ms": round(
            statistics.median(b + lay for b, lay in zip(builds, layouts, strict=True)), 1
        ),
        # CPU time is steadier than wall time on a machine shared with other jobs.
        "cpu_total_ms": round(statistics.median(cpu_totals), 1),
        # The fastest run: the best estimate of the cost on an idle machine.
        "best_total_ms": round(min(b + lay for b, lay in zip(builds, layouts, strict=True)), 1),
        "lines": lines,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--kb", type=int, default=200)
    args = parser.parse_args()
    html = make_article_html(args.kb * 1000)
    results = [measure(html, width, args.runs) for width in (80, 120)]
    print(f"article: {len(html.encode()) / 1000:.0f} KB HTML, median of {args.runs} runs")
    print(
        f"{'width':>5} {'build ms':>9} {'layout ms':>10} {'total ms':>9} {'cpu ms':>7} "
        f"{'best ms':>8} {'lines':>6}"
    )
    for row in results:
        print(
            f"{row['width']:>5} {row['build_ms']:>9} {row['layout_ms']:>10} "
            f"{row['total_ms']:>9} {row['cpu_total_ms']:>7} {row['best_total_ms']:>8} "
            f"{row['lines']:>6}"
        )
    print(
        json.dumps({"kb": round(len(html.encode()) / 1000), "runs": args.runs, "results": results})
    )


if __name__ == "__main__":
    main()
