"""Malformed and malicious documents: XXE, entity expansion, truncation, lying encodings,
huge and deep documents, odd dates, duplicate guids, body-only items, broken JSON Feed.

Each ends in one `SourceError` line or a safe, bounded rendering. Bounds (asserted as work
done, not time): peak Python allocation per parse (tracemalloc) under 64 MB for the
attacks and 200 MB for 50,000 items; expanded text under 1 MB; a 10 MB title shown in at
most 2,000 characters; every case here runs in a few seconds at most.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import TypeVar
from xml.sax.saxutils import escape

import pytest

from feedserver import FeedServer, static
from hostile import (
    billion_laughs,
    deep_html,
    hostile_opml,
    many_items_rss,
    quadratic_blowup,
    rss_with,
    xxe_feed,
)
from tuinews.errors import SourceError
from tuinews.model import Article, Feed
from tuinews.render import plain_text, render_article, render_body
from tuinews.sources.feeds import parse_feed
from tuinews.sources.opml import parse_opml

TUINEWS = Path(sys.executable).parent / "tuinews"
URL = "https://hostile.example/feed"
SECRET = "TOPSECRET-XXE-CONTENTS-7f3a"
T = TypeVar("T")


def measured(function: Callable[[], T]) -> tuple[T, int]:
    """The result and the peak bytes Python allocated while computing it."""
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def all_text(feed: Feed) -> str:
    parts = [feed.title, feed.description, feed.link or ""]
    for article in feed.articles:
        for part in fields(Article):
            value = getattr(article, part.name)
            parts.append(value if isinstance(value, str) else repr(value))
    return "\n".join(parts)


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TUINEWS_CONFIG=str(home / "config.toml"), TUINEWS_DB=str(home / "s.db"))
    return subprocess.run(
        [str(TUINEWS), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


# --- entities ---------------------------------------------------------------------------


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def test_external_entities_are_never_read(secret_file: Path, tmp_path: Path) -> None:
    data = xxe_feed(str(secret_file))
    try:
        feed = parse_feed(data, URL)
    except SourceError as error:
        assert SECRET not in str(error)
    else:
        assert SECRET not in all_text(feed)
        for article in feed.articles:
            assert SECRET not in plain_text(render_article(article), 100)
    # The real program, a local file and the store after a refresh: nowhere either.
    feed_file = tmp_path / "xxe.xml"
    feed_file.write_bytes(data)
    for args in (("list", str(feed_file)), ("read", str(feed_file))):
        done = run(*args, home=tmp_path)
        assert SECRET not in done.stdout + done.stderr
    with FeedServer() as server:
        url = server.route("/xxe", static(data))
        (tmp_path / "config.toml").write_text(f'[[feeds]]\nurl = "{url}"\n')
        run("refresh", home=tmp_path)
    run("list", home=tmp_path)
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert SECRET.encode() not in stored


def test_external_entities_in_opml_are_never_read(secret_file: Path, tmp_path: Path) -> None:
    opml = (
        hostile_opml([("&xxe;", "https://ok.example/feed")])
        .replace(
            b"<opml",
            f'<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret_file}">]><opml'.encode(),
            1,
        )
        .replace(b"&amp;xxe;", b"&xxe;")
    )
    try:
        subs = parse_opml(opml, "list.opml")
    except SourceError as error:
        assert SECRET not in str(error)
    else:
        assert all(SECRET not in (sub.title or "") for sub in subs)
    path = tmp_path / "list.opml"
    path.write_bytes(opml)
    run("import", str(path), home=tmp_path)
    assert SECRET not in (tmp_path / "config.toml").read_text(errors="replace")


def test_escape_sequences_written_as_references_go_whole() -> None:
    # The parser drops an `&#27;` (not a legal XML character) and left "[31m" as text,
    # in titles, escaped bodies and CDATA bodies alike.
    document = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>Direct &#27;[31mred&#27;[0m title</title><link>http://x/1</link>
    <description>plain &#27;]0;pwned&#7; body &#x1b;[2J x</description></item>
    <item><title>C</title><link>http://x/2</link>
    <description><![CDATA[<p>cdata &#27;[31m red</p>]]></description></item>
    </channel></rss>"""
    first, second = parse_feed(document, "http://x/").articles
    assert first.title == "Direct red title"
    assert first.summary == "plain body x"
    assert second.summary == "cdata red"
    for article in (first, second):
        assert "[" not in plain_text(render_article(article), 80)


@pytest.mark.parametrize("attack", ["billion-laughs", "quadratic-blowup"])
def test_entity_expansion_is_bounded(attack: str) -> None:
    data = billion_laughs() if attack == "billion-laughs" else quadratic_blowup()

    def parse() -> Feed | str:
        try:
            return parse_feed(data, URL)
        except SourceError as error:
            return error.reason

    result, peak = measured(parse)
    assert peak < 64 * 1024 * 1024, peak
    if isinstance(result, Feed):
        assert len(all_text(result)) < 1024 * 1024  # 10^9 "lol"s were not expanded
        for article in result.articles:
            assert len(plain_text(render_article(article), 80)) < 1024 * 1024


# --- broken and odd documents ----------------------------------------------------------------


def test_truncated_xml_keeps_what_arrived_or_fails_in_one_line() -> None:
    whole = rss_with("".join(f"<item><title>t{n}</title><guid>{n}</guid></item>" for n in range(9)))
    for cut in range(0, len(whole), max(1, len(whole) // 40)):
        try:
            feed = parse_feed(whole[:cut], URL)
        except SourceError as error:
            assert "\n" not in str(error)
            continue
        assert len(feed.articles) <= 9
        assert all(article.title.startswith("t") for article in feed.articles)


@pytest.mark.parametrize(
    ("declared", "actual"),
    [
        ("iso-8859-1", "utf-8"),
        ("utf-8", "latin-1"),
        ("utf-16", "utf-8"),
        ("shift_jis", "utf-8"),
    ],
)
def test_declared_encoding_that_disagrees_with_the_bytes(declared: str, actual: str) -> None:
    text = (
        f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel>'
        "<title>Café crème</title><item><title>naïve résumé</title><guid>1</guid>"
        "</item></channel></rss>"
    )
    feed = parse_feed(text.encode(actual), URL)
    assert feed.title == "Café crème"
    assert feed.articles[0].title == "naïve résumé"


def test_fifty_thousand_items_are_parsed_within_memory_bound() -> None:
    feed, peak = measured(lambda: parse_feed(many_items_rss(50_000), URL))
    assert len(feed.articles) == 50_000
    assert peak < 200 * 1024 * 1024, peak


def test_ten_megabyte_title_is_kept_but_shown_short() -> None:
    data = rss_with(f"<item><title>{'A' * 10_000_000}</title><guid>1</guid></item>")
    article = parse_feed(data, URL).articles[0]
    shown = plain_text(render_article(article), 80)
    assert len(shown) < 5_000
    assert "AAAA" in shown


def test_ten_megabyte_title_in_the_store_and_the_list(tmp_path: Path) -> None:
    from tuinews.store import Store, View

    title = "B" * 10_000_000
    with Store.open(tmp_path / "s.db") as store:
        store.sync_feeds([__import__("tuinews.model").model.Subscription(URL)])
        feed_id = store.feeds()[0].id
        store.save_fetch(
            feed_id,
            Feed(URL, "big", articles=[Article(id="", feed=URL, title=title, guid="1")]),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
            next_fetch=None,
        )
        (headline,) = store.headlines(View(), limit=10)
        assert len(headline.title) <= 1001  # the row's text; the article keeps it whole
        stored = store.article(headline.pk)
        assert stored is not None and stored.article.title == title


@pytest.mark.parametrize("depth", [300, 20_000])
def test_deeply_nested_html_shows_all_its_text(depth: int) -> None:
    html = "<p>before</p>" + deep_html(depth) + "<p>after</p>"
    shown = plain_text(render_body(html), 80)
    assert "before" in shown and "DEEP-TEXT" in shown and "after" in shown
    data = rss_with(f"<item><title>deep</title><guid>1</guid><description>{escape(html)}"
                    "</description></item>")  # fmt: skip
    article = parse_feed(data, URL).articles[0]
    assert "DEEP-TEXT" in plain_text(render_article(article), 80)


DATES = [
    "Mon, 01 Jan 0000 00:00:00 GMT",
    "0000-01-01T00:00:00Z",
    "0000-00-00T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "Fri, 31 Dec 9999 23:59:59 -1200",
    "garbage",
    "99999999999999999999",
    "Tue, 32 Foo 2024 99:99:99 +9999",
    "",
]


@pytest.mark.parametrize("date", DATES)
def test_odd_dates_never_break_parse_store_or_render(date: str, tmp_path: Path) -> None:
    from tuinews.store import Store, View

    data = rss_with(
        f"<item><title>rss</title><guid>1</guid><pubDate>{date}</pubDate></item>"
        f"<item><title>dc</title><guid>2</guid><dc:date xmlns:dc='http://purl.org/dc/elements/"
        f"1.1/'>{date}</dc:date></item>"
    )
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>atom</title>'
        f"<id>3</id><updated>{date}</updated><published>{date}</published></entry></feed>"
    ).encode()
    articles = parse_feed(data, URL).articles + parse_feed(atom, URL).articles
    assert {a.title for a in articles} == {"rss", "dc", "atom"}
    for article in articles:
        assert article.date is None or 1 <= article.date.year <= 9999
        plain_text(render_article(article), 60)
    with Store.open(tmp_path / "s.db") as store:
        store.sync_feeds([__import__("tuinews.model").model.Subscription(URL)])
        store.save_fetch(
            1,
            Feed(URL, "dates", articles=articles),
            status=200,
            etag=None,
            last_modified=None,
            fetched_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
            next_fetch=None,
        )
        assert store.count(View()) == 3
        assert len(store.headlines(View(), limit=10)) == 3


def test_duplicate_guids_and_body_only_items(tmp_path: Path) -> None:
    items = "".join(f"<item><title>dup {n}</title><guid>same</guid></item>" for n in range(5))
    items += "<item><description>only a body, no title or link</description></item>"
    items += (
        "<item><description>&lt;p&gt;html &lt;b&gt;body&lt;/b&gt;&lt;/p&gt;</description></item>"
    )
    data = rss_with(items)
    feed = parse_feed(data, URL)
    titles = [a.title for a in feed.articles]
    assert "only a body, no title or link" in titles
    assert "html body" in titles
    assert len(set(a.id for a in feed.articles)) == len(feed.articles)
    # The real refresh stores them once, and a second refresh adds nothing.
    with FeedServer() as server:
        url = server.route("/dup", static(data))
        (tmp_path / "config.toml").write_text(f'[[feeds]]\nurl = "{url}"\n')
        first = run("refresh", home=tmp_path)
        assert first.returncode == 0, first.stderr
        second = run("refresh", "--force", home=tmp_path)
        assert second.returncode == 0, second.stderr
    with sqlite3.connect(tmp_path / "s.db") as conn:
        count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert count == len(feed.articles)


@pytest.mark.parametrize(
    "document",
    [
        b'{"version": "https://jsonfeed.org/version/1.1"}',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": "x"}',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [1, null, "a", {"id": []}]}',
        b'{"version": "https://jsonfeed.org/version/1.1", "title": 5, "items": [{"id": 1,'
        b' "title": {"a": 1}, "content_html": 7, "date_published": "9999-99-99",'
        b' "attachments": "x", "authors": 5, "url": ["x"]}]}',
        b'{"version": ',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "\\ud800"}]}',
        b"\xef\xbb\xbf{}",
        b"null",
    ],
    ids=lambda document: f"{len(document)}-bytes-{document[:12]!r}",
)
def test_invalid_json_feed_is_one_line_or_a_safe_feed(document: bytes, tmp_path: Path) -> None:
    try:
        feed = parse_feed(document, URL, content_type="application/feed+json")
    except SourceError as error:
        assert "\n" not in str(error) and len(str(error)) < 300
    else:
        for article in feed.articles:
            plain_text(render_article(article), 60)
    path = tmp_path / "feed.json"
    path.write_bytes(document)
    done = run("list", str(path), home=tmp_path)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) <= 1


def test_one_control_reference_does_not_strip_every_body() -> None:
    body = escape("<p>Hello <a href='https://x.example/'>link</a> &amp; more</p>")
    data = rss_with(
        f"<item><title>bell &#7; here</title><guid>1</guid><description>{body}</description></item>"
    )
    article = parse_feed(data, URL).articles[0]
    assert article.content == "<p>Hello <a href='https://x.example/'>link</a> &amp; more</p>"
