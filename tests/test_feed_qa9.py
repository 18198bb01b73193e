"""Parser bugs found by a QA pass comparing tuinews with newsboat on real feeds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from feedserver import FeedServer, rss, static
from test_cli import Cli
from tuinews.errors import SourceError
from tuinews.model import Feed
from tuinews.sources.feeds import BrokenFeedError, parse_feed

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


# --- a document cut off inside an item ---------------------------------------------------

WHOLE_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Cut</title><link>http://example.org/</link>
<item><title>Item 0</title><link>http://example.org/a/0</link><guid isPermaLink='false'>id-0</guid><pubDate>Mon, 01 Jan 2024 10:00:00 +0200</pubDate><description>Body 0 &amp; more</description></item>
<item><title>Item 1</title><link>http://example.org/a/1</link><guid isPermaLink='false'>id-1</guid><pubDate>Tue, 02 Jan 2024 10:00:00 +0200</pubDate><description><![CDATA[Body <b>1</b>]]></description></item>
<!-- a comment --><item><title>Item 2</title><link>http://example.org/a/2</link><guid isPermaLink='false'>id-2</guid><pubDate>Wed, 03 Jan 2024 10:00:00 +0200</pubDate><description>Body 2</description></item>
</channel></rss>
"""  # noqa: E501


def test_the_item_a_cut_document_ends_in_is_dropped_and_no_duplicate_follows(
    cli: Cli, tmp_path: Path
) -> None:
    cut_at = WHOLE_RSS.index("<link>http://example.org/a/2") + len("<link>http://")
    path = Path(write(tmp_path, "cut.xml", WHOLE_RSS[:cut_at]))
    listed = cli.call("list", "--json", str(path))
    assert listed.status == 0, listed.err
    rows = [json.loads(line) for line in listed.out.splitlines()]
    assert sorted(row["title"] for row in rows) == ["Item 0", "Item 1"]
    assert all(row["link"] != "http://" for row in rows)

    assert cli.call("add", str(path)).status == 0
    assert cli.call("refresh").status == 0
    path.write_text(WHOLE_RSS, encoding="utf-8")
    os.utime(path, (1e9, 1e9))  # surely another modification time than the cut copy
    assert cli.call("refresh").status == 0
    stored = [json.loads(line) for line in cli.call("list", "--json").out.splitlines()]
    assert sorted(row["title"] for row in stored) == ["Item 0", "Item 1", "Item 2"]


def test_every_cut_of_a_feed_keeps_only_whole_articles() -> None:
    whole = {article.guid: article for article in parse(WHOLE_RSS).articles}
    start = WHOLE_RSS.index("<item>")
    for cut_at in range(start, len(WHOLE_RSS)):
        try:
            articles = parse(WHOLE_RSS[:cut_at]).articles
        except SourceError as error:
            assert "before any article" in error.reason
            assert cut_at < WHOLE_RSS.index("</item>") + len("</item>")
            continue
        for article in articles:
            assert article.guid in whole, (cut_at, article)
            assert article == whole[article.guid], cut_at


def test_a_cut_atom_entry_and_rss_1_item_are_dropped_too() -> None:
    atom = parse(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<entry><id>urn:1</id><title>One</title></entry>\n"
        '<entry><id>urn:2</id><title>Two</title><link href="http://e.org/'
    )
    assert [a.title for a in atom.articles] == ["One"]
    rdf = parse(
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel>'
        '<item rdf:about="http://e.org/1"><title>One</title></item>'
        '<item rdf:about="http://e.org/2"><title>Tw'
    )
    assert [a.title for a in rdf.articles] == ["One"]


def test_a_web_link_without_a_host_is_not_an_article_link() -> None:
    feed = parse(
        "<rss version='2.0'><channel><title>T</title>"
        "<item><title>A</title><link>http://</link><guid>http://e.org/a</guid></item>"
        "<item><title>B</title><link>https:///path</link></item>"
        "</channel></rss>"
    )
    assert [(a.title, a.link) for a in feed.articles] == [
        ("A", "http://e.org/a"),
        ("B", None),
    ]
    atom = parse(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        '<entry><id>urn:1</id><title>One</title><link href="http://"/></entry></feed>'
    )
    assert atom.articles[0].link is None


# --- a document cut off before its first item -------------------------------------------


def test_a_feed_cut_before_its_first_item_says_so_and_keeps_its_title(
    cli: Cli, tmp_path: Path
) -> None:
    text = (
        '<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n'
        "<title>Most Read</title>\n<link>http://example.org/</link>\n<description>d"
    )
    with pytest.raises(BrokenFeedError) as refused:
        parse(text)
    assert refused.value.reason == (
        "the document ends early at line 6 (<description> from line 6 is never closed),"
        " before any article"
    )
    assert refused.value.feed_title == "Most Read"
    listed = cli.call("list", write(tmp_path, "cut.rss", text))
    assert listed.status != 0
    assert "the document ends early at line 6" in listed.err


@pytest.mark.parametrize("others", [0, 8])  # parsed in a thread; in parse workers
def test_a_feed_cut_before_its_first_item_is_named_by_its_title(
    cli: Cli, server: FeedServer, others: int
) -> None:
    cut = (
        '<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n'
        "<title>Most Read</title>\n<link>http://example.org/</link>\n<description>d"
    )
    urls = [server.route("/cut.rss", static(cut.encode()))]
    urls += [server.route(f"/f{n}.rss", static(rss(1, title=f"F{n}"))) for n in range(others)]
    cli.config.write_text("".join(f'[[feeds]]\nurl = "{url}"\n\n' for url in urls))
    result = cli.run("refresh")
    assert result.status == 1
    # Known by its address until now, in `feeds`, the reader and the next failure line.
    titles = [line.split("\t")[0] for line in cli.call("feeds").out.splitlines()]
    assert titles[0] == "Most Read"
    assert cli.run("refresh").err_lines[0].startswith("tuinews: Most Read: ")


def test_the_reuters_server_error_names_the_unclosed_channel(corpus_feeds: Path) -> None:
    data = (corpus_feeds / "feed-rs__reuters_truncated-server-error.rss").read_bytes()
    with pytest.raises(BrokenFeedError) as refused:
        parse_feed(data, URL)
    assert refused.value.reason == (
        "the document ends early at line 19 (<channel> from line 5 is never closed),"
        " before any article"
    )
    assert refused.value.feed_title == "Reuters: Most Read Articles"


# --- RSS 1.0 identity ----------------------------------------------------------------------

RDF_SAME_LINKS = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://e.org/"><title>R</title><link>http://e.org/</link></channel>
<item rdf:about="http://e.org/thread/1"><title>Reply 1</title>
<link>http://e.org/thread</link></item>
<item rdf:about="http://e.org/thread/2"><title>Reply 2</title>
<link>http://e.org/thread</link></item>
<item rdf:about="http://e.org/thread/3"><title>Reply 3</title>
<link>http://e.org/thread</link><guid isPermaLink="false">own-guid</guid></item>
</rdf:RDF>"""


def test_rss_1_items_sharing_a_link_stay_apart_by_rdf_about(cli: Cli, tmp_path: Path) -> None:
    listed = cli.call("list", "--json", write(tmp_path, "same.rdf", RDF_SAME_LINKS))
    rows = [json.loads(line) for line in listed.out.splitlines()]
    assert sorted(row["title"] for row in rows) == ["Reply 1", "Reply 2", "Reply 3"]
    assert {row["link"] for row in rows} == {"http://e.org/thread"}
    guids = {article.title: article.guid for article in parse(RDF_SAME_LINKS).articles}
    assert guids == {
        "Reply 1": "http://e.org/thread/1",
        "Reply 2": "http://e.org/thread/2",
        "Reply 3": "own-guid",  # a <guid> still wins
    }


def test_the_2ch_rdf_feed_keeps_its_three_items(corpus_feeds: Path) -> None:
    data = (corpus_feeds / "plagger__2ch-top10news_shift-jis-ncr.rdf").read_bytes()
    assert len(parse_feed(data, URL).articles) == 3


def test_rss_1_items_whose_rdf_about_is_their_link_keep_their_article_id() -> None:
    """Stores made before rdf:about counted hold these items by link: no duplicates."""
    from tuinews.model import article_id, article_key

    [article] = parse(
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel>'
        '<item rdf:about="http://e.org/1"><title>One</title><link>http://e.org/1</link>'
        "</item></rdf:RDF>"
    ).articles
    assert article.id == article_id(URL, article_key(None, "http://e.org/1", "One", None))


# --- authors ---------------------------------------------------------------------------


def test_an_rss_author_with_child_elements_is_its_name_and_several_are_joined(
    cli: Cli, tmp_path: Path
) -> None:
    text = (
        "<rss version='2.0'><channel><title>Blog</title>"
        "<item><title>Two writers</title><link>http://e.org/1</link>"
        '<author xmlns:author="http://www.w3.org/2005/Atom"><name>Jani Patokallio</name>'
        "<title>Solutions Architect</title><department></department></author>"
        "<author><name>Ana Ruiz </name><title>Engineer</title></author></item>"
        "<item><title>Address and name</title><link>http://e.org/2</link>"
        "<author>jo@e.org (Jo Writer)</author><author>max@e.org (Max)</author></item>"
        "<item><title>Creators</title><link>http://e.org/3</link>"
        '<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Anna</dc:creator>'
        '<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Bo</dc:creator></item>'
        "</channel></rss>"
    )
    listed = cli.call("list", "--json", write(tmp_path, "authors.rss", text))
    authors = {row["title"]: row["author"] for row in map(json.loads, listed.out.splitlines())}
    assert authors == {
        "Two writers": "Jani Patokallio, Ana Ruiz",
        "Address and name": "Jo Writer, Max",
        "Creators": "Anna, Bo",
    }


def test_an_atom_entry_with_several_authors_names_them_all() -> None:
    feed = parse(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<author><name>Feed Author</name></author>"
        "<entry><id>urn:1</id><title>One</title><author><name>Ada</name></author>"
        "<author><name>Grace</name><email>g@e.org</email></author></entry>"
        "<entry><id>urn:2</id><title>Two</title></entry></feed>"
    )
    assert [a.author for a in feed.articles] == ["Ada, Grace", "Feed Author"]


def test_the_google_cloud_blog_authors_are_names_only(corpus_feeds: Path) -> None:
    data = (corpus_feeds / "netnewswire__google-cloudblog.rss").read_bytes()
    authors = {a.author for a in parse_feed(data, URL).articles}
    assert "Diane Chaleff" in authors
    assert not any("Manager" in (author or "") for author in authors)
