"""Local sources and pages: FIFOs and devices refused at once, sizes against
the right limit and said precisely, and an HTML page's error naming the feeds it links to.

The CLI runs as the real script in a subprocess (its timeout only guards against a hang,
which is what the old code did with a FIFO); pages come from a real server on 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from feedserver import FeedServer, rss, static
from tuinews.errors import SourceError
from tuinews.sources import local
from tuinews.sources.feeds import parse_feed
from tuinews.sources.htmlpage import FEED_LINK_SCAN_BYTES, feed_links
from tuinews.sources.local import load_path, too_large

TUINEWS = Path(sys.executable).parent / "tuinews"
MB = 1024 * 1024
HANG_GUARD_SECONDS = 60


def tuinews(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [str(TUINEWS), *args],
        input=stdin,
        capture_output=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode(),
        completed.stderr.decode(),
    )


def test_refresh_refuses_a_fifo_and_a_device_and_still_reads_the_other_feeds(
    tmp_path: Path,
) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    fifo, zero, good = feeds / "fifo.xml", feeds / "zero.xml", feeds / "good.xml"
    for path in (fifo, zero, good):
        path.write_bytes(rss(2, title="Good feed"))
        assert tuinews("add", str(path)).returncode == 0
    # Feed files since replaced: `add` refuses a FIFO or a device, the refresh too.
    for path in (fifo, zero):
        path.unlink()
    os.mkfifo(fifo)
    zero.symlink_to("/dev/null" if not Path("/dev/zero").exists() else "/dev/zero")
    done = tuinews("refresh")
    output = done.stdout + done.stderr
    assert f"{fifo}: not a regular file (a FIFO)" in output
    assert f"{zero}: not a regular file (a character device)" in output
    assert "2 new articles" in output and "2 failed" in output
    listed = tuinews("list")
    assert "Good feed" in listed.stdout


def test_list_refuses_a_socket_and_a_fifo_but_standard_input_still_works(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "fifo.xml"
    os.mkfifo(fifo)
    listener = socket.socket(socket.AF_UNIX)
    sock = tmp_path / "s.xml"
    listener.bind(str(sock))
    try:
        done = tuinews("list", str(fifo), str(sock))
    finally:
        listener.close()
    assert f"{fifo}: not a regular file (a FIFO)" in done.stderr
    assert f"{sock}: not a regular file (a socket)" in done.stderr
    # `-` is read by the command (a pipe here), not refused as a FIFO path would be.
    piped = tuinews("list", "-", stdin=rss(1, title="From a pipe"))
    assert piped.returncode == 0, piped.stderr
    assert "From a pipe" in piped.stdout


def test_a_symlink_to_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "feed.xml"
    link.symlink_to(fifo)
    with pytest.raises(SourceError) as caught:
        load_path(link)
    assert caught.value.reason == "not a regular file (a FIFO)"
    # In a directory feed it is skipped like any other non-file.
    (tmp_path / "note.txt").write_text("A note\n\nWith a body.\n")
    feed = load_path(tmp_path)
    assert [article.title for article in feed.articles] == ["A note"]  # type: ignore[union-attr]


def test_a_refresh_limit_is_obeyed_and_outside_a_refresh_the_file_limit_stays(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"A title\n\n" + b"word " * 400)  # 2,009 bytes
    with pytest.raises(SourceError) as caught:
        load_path(path, max_bytes=1024)
    assert caught.value.reason == "too large (2 KB; the limit is 1 KB)"
    assert load_path(path).articles[0].title == "A title"  # type: ignore[union-attr]
    # A directory feed skips the files over the limit it was given.
    (tmp_path / "small.txt").write_text("Small one\n\nbody\n")
    titles = [article.title for article in load_path(tmp_path, max_bytes=1024).articles]  # type: ignore[union-attr]
    assert titles == ["Small one"]


def test_sizes_are_said_precisely_enough_to_differ_from_the_limit() -> None:
    assert local.MAX_FILE_BYTES == 50 * MB
    assert too_large(50 * MB + 300 * 1024, 50 * MB) == "too large (50.3 MB; the limit is 50 MB)"
    assert too_large(51 * MB, 50 * MB) == "too large (51 MB; the limit is 50 MB)"
    assert too_large(26 * MB, 25 * MB) == "too large (26 MB; the limit is 25 MB)"
    assert too_large(50 * MB + 1, 50 * MB) == (
        "too large (52,428,801 bytes; the limit is 52,428,800 bytes)"
    )
    assert too_large(None, 25 * MB) == "too large (more than the limit of 25 MB)"


def test_a_whitespace_file_is_empty_and_one_over_the_limit_is_too_large(tmp_path: Path) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b" \n\t" * 1000)
    with pytest.raises(SourceError) as caught:
        load_path(blank)
    assert caught.value.reason == "is empty"
    with pytest.raises(SourceError) as caught:
        load_path(blank, max_bytes=2999)
    assert caught.value.reason == "too large (3,000 bytes; the limit is 2,999 bytes)"


PAGE = b"""<!doctype html><html><head><title>A blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/atom+xml; charset=utf-8" href="atom.xml">
<link rel="Alternate" type="application/feed+json" href="https://cdn.example/f.json">
<link rel="alternate" type="application/json" href="https://cdn.example/fourth.json">
</head><body><p>Hello</p></body></html>"""


def test_list_of_a_web_page_names_the_feeds_it_links_to(server: FeedServer) -> None:
    page = server.route("/blog/index.html", static(PAGE, content_type="text/html; charset=utf-8"))
    lone = server.route(
        "/lone",
        static(
            b'<html><head><link rel="alternate" type="application/rss+xml" href="f.xml">'
            b"</head><body>x</body></html>",
            content_type="text/html",
        ),
    )
    bare = server.route(
        "/bare", static(b"<html><body>no feeds</body></html>", content_type="text/html")
    )
    done = tuinews("list", page, lone, bare)
    root = server.url("")
    assert (
        f"{page}: not a feed: an HTML page; it links to the feeds {root}/feed.xml, "
        f"{root}/blog/atom.xml, https://cdn.example/f.json\n"
    ) in done.stderr
    assert f"{lone}: not a feed: an HTML page; it links to the feed {root}/f.xml\n" in done.stderr
    assert f"{bare}: not a feed: looks like an HTML page" in done.stderr
    assert "javascript" not in done.stderr


def test_a_local_page_saved_as_xml_names_its_feeds_as_paths(tmp_path: Path) -> None:
    page = tmp_path / "saved.xml"
    page.write_bytes(PAGE)
    with pytest.raises(SourceError) as caught:
        load_path(page)
    # A site-root path (/feed.xml) names no file here; a relative one does.
    assert caught.value.reason == (
        "not a feed: an HTML page; it links to the feeds "
        f"{tmp_path / 'atom.xml'}, https://cdn.example/f.json, https://cdn.example/fourth.json"
    )


def test_feed_links_are_cleaned_and_only_the_head_of_a_huge_page_is_read() -> None:
    hostile = (
        b'<html><head><link rel="alternate" type="application/rss+xml" '
        b'href="https://e.example/f\x1b]0;x\x07eed.xml?a=1&amp;b=2"></head></html>'
    )
    assert feed_links(hostile, "https://e.example/") == ("https://e.example/feed.xml?a=1&b=2",)
    late = b"<html><head>" + b" " * FEED_LINK_SCAN_BYTES
    late += b'<link rel="alternate" type="application/rss+xml" href="/f.xml"></head></html>'
    assert feed_links(late, "https://e.example/") == ()
    with pytest.raises(SourceError) as caught:
        parse_feed(late, "https://e.example/")
    assert caught.value.reason == "not a feed: looks like an HTML page"


def test_list_of_a_local_file_obeys_the_size_setting(tmp_path: Path) -> None:
    """`tuinews list FILE` reads a local file up to `max_bytes`, as `list URL` and a
    refresh do (it used to allow 50 MB whatever the setting)."""
    from feedserver import rss

    feed = tmp_path / "big.xml"
    feed.write_bytes(rss(60))
    config = tmp_path / "config.toml"
    config.write_text(f"[refresh]\nmax_bytes = {len(feed.read_bytes()) // 2}\n")
    env = {**os.environ, "TUINEWS_CONFIG": str(config), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run(
        [str(TUINEWS), "list", str(feed)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "too large" in done.stderr and done.stdout == ""
