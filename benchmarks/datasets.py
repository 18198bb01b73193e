"""Datasets for bench_tui.py: generated feeds served from 127.0.0.1, loaded into a tuinews
store (`tuinews refresh`) and a newsboat cache (`newsboat -x reload`).

A built dataset is kept under benchmarks/results/datasets/<articles>/ with a manifest, so
later runs start at once; `build_dataset(..., rebuild=True)` makes it again. Building also
measures the refresh figures (into an empty store, then a second refresh that should be
all 304s) because that is the work a build does anyway.

Every item title carries a unique token `tok<feed>x<item>`, and feed 0's first item is
the newest article of the whole dataset, so a screen can be searched for known headlines.
"""

from __future__ import annotations

import email.utils
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from vocabulary import WORDS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TUINEWS = ROOT / ".venv" / "bin" / "tuinews"
ITEMS_PER_FEED = 1000
LONG_ITEMS = 3  # the first items of each feed get a body long enough to page through
BASE_TIME = 1_735_689_600.0  # 2025-01-01T00:00:00Z: fixed so every build is identical
FORMAT_VERSION = 1  # bump when the generated feeds change, so cached datasets are rebuilt

SpawnAndWait = Callable[[list[str], dict[str, str] | None], tuple[float, int, str]]


def _spawn_and_wait_fallback(
    argv: list[str], env: dict[str, str] | None = None
) -> tuple[float, int, str]:
    """Wall time, peak RSS (KB) of the child (wait4) and its stdout."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        _pid, _status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        return elapsed, usage.ru_maxrss, out.read().decode(errors="replace")


def _spawn_and_wait() -> SpawnAndWait:
    """bench_refresh.spawn_and_wait when that module is there (one way of timing refresh)."""
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from bench_refresh import spawn_and_wait  # another engineer's refresh benchmark
    except ImportError:
        return _spawn_and_wait_fallback
    finally:
        sys.path.pop(0)

    def first_three(argv: list[str], env: dict[str, str] | None) -> tuple[float, int, str]:
        # Its tuple has grown before (CPU seconds were added): take what this needs.
        result = spawn_and_wait(argv, env)
        return result[0], result[1], result[2]

    return first_three


# ---- feeds ---------------------------------------------------------------------------


def item_title(feed: int, item: int) -> str:
    words = " ".join(WORDS[(feed * 7 + item * 3 + k) % len(WORDS)] for k in range(5))
    return f"{words.capitalize()} tok{feed:03d}x{item:04d}"


def feed_title(feed: int) -> str:
    return f"Bench feed {feed:03d}"


def _published(feed: int, item: int, feeds: int) -> float:
    # Interleaves feeds in date order; feed 0 item 0 is the newest of all.
    return BASE_TIME - 60.0 * (item * feeds + feed)


def _body(feed: int, item: int) -> str:
    sentence = " ".join(WORDS[(feed + item + k) % len(WORDS)] for k in range(40))
    paragraphs = 40 if item < LONG_ITEMS else 1
    return "".join(f"&lt;p&gt;{n}. {sentence}.&lt;/p&gt;" for n in range(paragraphs))


def rss_feed(feed: int, feeds: int, items: int) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{feed_title(feed)}</title><link>http://bench.example/{feed}/</link>",
        "<description>generated for benchmarks</description>",
    ]
    for item in range(items):
        when = email.utils.formatdate(_published(feed, item, feeds), usegmt=True)
        parts.append(
            f"<item><title>{item_title(feed, item)}</title>"
            f"<link>http://bench.example/{feed}/{item}</link>"
            f'<guid isPermaLink="false">bench-{feed}-{item}</guid>'
            f"<pubDate>{when}</pubDate><description>{_body(feed, item)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


class _Handler(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, bytes]] = {}
    last_modified = email.utils.formatdate(BASE_TIME, usegmt=True)

    def do_GET(self) -> None:
        body = self.bodies.get(self.path)
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = f'"{FORMAT_VERSION}-{len(body)}"'
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-Modified-Since") == self.last_modified
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", self.last_modified)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_feeds(feeds: int, items: int) -> Iterator[list[str]]:
    """A threaded HTTP server on 127.0.0.1 serving the generated feeds from memory."""
    bodies = {f"/feed{n:03d}.xml": rss_feed(n, feeds, items) for n in range(feeds)}
    handler = type("BenchHandler", (_Handler,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield [f"http://127.0.0.1:{port}{path}" for path in sorted(bodies)]
    finally:
        server.shutdown()
        server.server_close()


# ---- datasets ------------------------------------------------------------------------


@dataclass
class Dataset:
    articles: int
    feeds: int
    folder: str
    newest_title: str
    built: str
    refresh: dict[str, dict[str, object] | None]  # "tuinews" / "newsboat" -> figures
    has_newsboat: bool

    @property
    def path(self) -> Path:
        return Path(self.folder)


def tuinews_config(urls: list[str]) -> str:
    # A year between refreshes: the TUI must not refresh at start while being measured.
    head = "[refresh]\ninterval_minutes = 525600\n\n"
    return head + "".join(f'[[feeds]]\nurl = "{url}"\n\n' for url in urls)


NEWSBOAT_CONFIG = """\
reload-threads 8
max-items 0
auto-reload no
confirm-exit no
show-read-feeds yes
show-read-articles yes
bind-key j down
bind-key k up
"""


def tuinews_env(folder: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUINEWS")}
    env.update(
        TUINEWS_CONFIG=str(folder / "config.toml"),
        TUINEWS_DB=str(folder / "tuinews.db"),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        TERM="xterm-256color",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    return env


def newsboat_argv(folder: Path, *extra: str) -> list[str]:
    newsboat = shutil.which("newsboat") or "newsboat"
    return [
        newsboat,
        "-u",
        str(folder / "nb-urls"),
        "-c",
        str(folder / "nb-cache.db"),
        "-C",
        str(folder / "nb-config"),
        *extra,
    ]


def newsboat_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HOME=str(home), TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    return env


def _refresh_twice(argv: list[str], env: dict[str, str], spawn: SpawnAndWait) -> dict[str, object]:
    first, first_rss, first_out = spawn(argv, env)
    second, second_rss, _ = spawn(argv, env)
    return {
        "first_s": round(first, 3),
        "second_s": round(second, 3),
        "peak_rss_kb": max(first_rss, second_rss),
        "first_output": first_out.strip().splitlines()[-1:],
    }


def build_dataset(
    articles: int, *, rebuild: bool = False, newsboat: bool = True, log: Callable[[str], None]
) -> Dataset:
    feeds = max(1, articles // ITEMS_PER_FEED)
    items = articles // feeds
    folder = RESULTS / "datasets" / str(articles)
    manifest = folder / "manifest.json"
    want_newsboat = newsboat and shutil.which("newsboat") is not None
    if manifest.exists() and not rebuild:
        data = json.loads(manifest.read_text())
        if data.get("format") == FORMAT_VERSION and (data["has_newsboat"] or not want_newsboat):
            data.pop("format")
            return Dataset(**data)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    home = folder / "home"
    home.mkdir()
    spawn = _spawn_and_wait()
    refresh: dict[str, dict[str, object] | None] = {"tuinews": None, "newsboat": None}
    log(f"building {articles} articles ({feeds} feeds x {items} items) in {folder}")
    with serve_feeds(feeds, items) as urls:
        (folder / "config.toml").write_text(tuinews_config(urls))
        env = tuinews_env(folder, home)
        refresh["tuinews"] = _refresh_twice([str(TUINEWS), "refresh"], env, spawn)
        log(f"  tuinews refresh: {refresh['tuinews']}")
        if want_newsboat:
            (folder / "nb-urls").write_text("\n".join(urls) + "\n")
            (folder / "nb-config").write_text(NEWSBOAT_CONFIG)
            argv = newsboat_argv(folder, "-x", "reload")
            refresh["newsboat"] = _refresh_twice(argv, newsboat_env(home), spawn)
            log(f"  newsboat -x reload: {refresh['newsboat']}")
            if not (folder / "nb-cache.db").exists():
                log("  newsboat made no cache: it is left out")
                want_newsboat = False
    dataset = Dataset(
        articles=feeds * items,
        feeds=feeds,
        folder=str(folder),
        newest_title=item_title(0, 0),
        built=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        refresh=refresh,
        has_newsboat=want_newsboat,
    )
    manifest.write_text(json.dumps({"format": FORMAT_VERSION, **asdict(dataset)}, indent=2))
    return dataset


def copy_store(source: Path, names: tuple[str, ...], target: Path) -> None:
    """Copy store files (with their -wal/-shm siblings) so a run never changes the cache."""
    for name in names:
        for path in source.glob(name + "*"):
            shutil.copy2(path, target / path.name)
