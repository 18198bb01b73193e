"""Parser bugs found by a QA pass comparing tuinews with newsboat on real feeds."""

from __future__ import annotations

from pathlib import Path

from test_cli import Cli
from tuinews.model import Feed
from tuinews.sources.feeds import parse_feed

URL = "https://example.org/feed"


def parse(text: str) -> Feed:
    return parse_feed(text.encode(), URL)


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- named references inside CDATA ------------------------------------------------------

CDATA_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<entry><id>urn:1</id><title>One</title><updated>2024-01-01T00:00:00Z</updated>
<link href="http://e.org/1"/><summary><![CDATA[Price:&nbsp;5 euro &copy; shop]]></summary>
</entry>
<entry><id>urn:2</id><title>Two&nbsp;x</title><updated>2024-01-01T00:00:00Z</updated>
<link href="http://e.org/2"/>
<summary type="html"><![CDATA[Price:&nbsp;5 euro &copy; shop]]></summary></entry>
</feed>"""


def test_references_inside_cdata_are_not_rewritten_to_numeric_ones(
    cli: Cli, tmp_path: Path
) -> None:
    feed = write(tmp_path, "cdata.atom", CDATA_ATOM)
    plain = cli.call("read", feed, "--index", "1")
    assert plain.status == 0, plain.err
    # Atom type="text": CDATA is literal text, shown as written (as feedparser does).
    assert "Price:&nbsp;5 euro &copy; shop" in plain.out
    assert "&#160;" not in plain.out and "&#169;" not in plain.out
    html = cli.call("read", feed, "--index", "2")
    # type="html": the renderer decodes the references; outside CDATA they still work.
    assert "Price:\u00a05 euro © shop" in html.out or "Price: 5 euro © shop" in html.out
    assert "Two\u00a0x" in html.out or "Two x" in html.out
    assert "&" not in html.out


def test_rss_bodies_in_cdata_keep_their_named_references_for_the_renderer() -> None:
    feed = parse(
        "<rss version='2.0'><channel><title>T&nbsp;</title><item><title>A</title>"
        "<link>http://e.org/a</link>"
        "<description><![CDATA[<p>caf&eacute;&nbsp;noir]]> &eacute;t&eacute;</description>"
        "</item></channel></rss>"
    )
    [article] = feed.articles
    assert article.content == "<p>caf&eacute;&nbsp;noir été"
    assert article.summary == "café noir été"
