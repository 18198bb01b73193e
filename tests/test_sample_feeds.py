"""The bundled sample content: what a new user sees first, so every file must load cleanly.

Checks run at two levels: the raw files (well-formed XML, valid JSON, example-only links,
an OPML list that names every file) and, where the parsers exist, what tuinews itself makes
of them (titles, dates, links, at least 30 articles in all).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "sample_feeds"
ARTICLES = SAMPLES / "articles"
OPML = SAMPLES / "subscriptions.opml"

# Feed file -> the fewest articles it must hold (the brief's promise to new users).
FEED_MINIMUMS = {
    "city-desk.rss": 8,
    "lab-notes.atom": 6,
    "release-notes.json": 5,
    "field-journal.rdf": 4,
    "terminal-hours.rss": 4,
}
XML_FEEDS = [name for name in FEED_MINIMUMS if not name.endswith(".json")]
MIN_TOTAL_ARTICLES = 30

# The samples are dated "the last few weeks" before the release they ship with.
EARLIEST = datetime(2026, 10, 1, tzinfo=UTC)
LATEST = datetime(2026, 11, 26, 23, 59, tzinfo=UTC)

# Hosts allowed in links: reserved example domains only, plus the namespace and spec URIs
# that XML and JSON Feed documents are required to name.
SPEC_HOSTS = {
    "purl.org",
    "www.w3.org",
    "www.itunes.com",
    "jsonfeed.org",
    "opml.org",
}
URL_PATTERN = re.compile(r"https?://[^\s\"'<>)\]]+")

# Titles the local loader must find: the article's own title, not the site's navigation.
EXPECTED_LOCAL_TITLES = {
    "Harbour Bridge Repainting to Start in Spring",
    "Lisbon’s Tile Restorers Train a New Generation",
    "The Ice Road Opens Early After a Hard Freeze",
    "Notes from the Repair Café: 200 kettles later",
    "How the Courier moved its newsroom to plain text",
    "Half marathon: two course records on a cold morning",
    "Tomorrow’s tides in one line of shell",
}


def _sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file())


def _is_example_host(host: str) -> bool:
    host = host.lower()
    return (
        host in SPEC_HOSTS
        or host in {"example.com", "example.org", "example.net", "example"}
        or host.endswith((".example.com", ".example.org", ".example.net", ".example"))
    )


# --- the raw files, checked without tuinews ------------------------------------------------


@pytest.mark.parametrize("name", [*XML_FEEDS, "subscriptions.opml"])
def test_xml_files_are_well_formed(name: str) -> None:
    tree = lxml.etree.parse(str(SAMPLES / name))
    assert tree.getroot() is not None


def test_html_articles_parse_and_carry_a_title() -> None:
    import lxml.html

    pages = sorted(ARTICLES.glob("*.html"))
    assert len(pages) >= 2
    for page in pages:
        title = lxml.html.parse(str(page)).findtext(".//title")
        assert title and title.strip(), page.name


@pytest.mark.parametrize("name", XML_FEEDS)
def test_feedparser_reads_every_xml_feed_cleanly(name: str) -> None:
    parsed: Any = feedparser.parse((SAMPLES / name).read_bytes())
    assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')}"
    assert len(parsed.entries) >= FEED_MINIMUMS[name]
    for entry in parsed.entries:
        assert entry.get("title"), name
        assert entry.get("link", "").startswith("https://"), entry.get("title")
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        assert stamp is not None, entry.get("title")
        year, month, day, hour, minute, second = stamp[:6]
        when = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        assert EARLIEST <= when <= LATEST, (entry.get("title"), when)


def test_json_feed_is_valid_json_feed_1_1() -> None:
    feed = json.loads((SAMPLES / "release-notes.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["language"] and feed["authors"]
    items = feed["items"]
    assert len(items) >= FEED_MINIMUMS["release-notes.json"]
    bodies = ["content_html" if "content_html" in item else "content_text" for item in items]
    assert "content_text" in bodies and bodies.count("content_html") >= len(items) - 1
    for item in items:
        assert item["id"] and item["title"] and item["authors"] and item["tags"]
        when = datetime.fromisoformat(item["date_published"])
        assert EARLIEST <= when <= LATEST, item["title"]


def test_podcast_episodes_carry_audio_enclosures_and_durations() -> None:
    parsed: Any = feedparser.parse((SAMPLES / "terminal-hours.rss").read_bytes())
    for entry in parsed.entries:
        (enclosure,) = entry.enclosures
        assert enclosure["type"] == "audio/mpeg"
        assert int(enclosure["length"]) > 1_000_000
        assert entry.get("itunes_duration"), entry.title


def test_every_link_points_at_an_example_domain() -> None:
    offenders = []
    for path in _sample_files():
        for url in URL_PATTERN.findall(path.read_text(encoding="utf-8")):
            host = urlsplit(url).hostname or ""
            if not _is_example_host(host):
                offenders.append(f"{path.name}: {url}")
    assert offenders == []


def test_text_articles_have_the_shape_of_a_saved_news_page() -> None:
    texts = sorted(ARTICLES.glob("*.txt"))
    assert len(texts) >= 3
    for path in texts:
        lines = path.read_text(encoding="utf-8").splitlines()
        content = [line for line in lines if line.strip()]
        title = content[0].strip()
        # The page title comes back later, above the story, as it does in a saved page.
        assert [line.strip() for line in content].count(title) >= 2, path.name
        assert any("\u00a0" in line and not line.strip() for line in lines), path.name
        head = content[:12]
        assert any(re.fullmatch(r"[A-ZÀ-Þ .'’-]+( —)?", line.strip()) for line in head), path.name


def test_markdown_articles_use_both_front_matter_styles() -> None:
    openings = {p.read_text(encoding="utf-8").split("\n", 1)[0] for p in ARTICLES.glob("*.md")}
    assert {"---", "+++"} <= openings


def test_opml_lists_every_sample_source() -> None:
    root = lxml.etree.parse(str(OPML)).getroot()
    listed = {node.get("xmlUrl") for node in root.iter("outline") if node.get("xmlUrl")}
    assert listed == {*FEED_MINIMUMS, "articles"}
    for url in listed:
        assert (SAMPLES / url).exists(), url


# --- what tuinews makes of them -------------------------------------------------------------


def _check_article(article: Any, where: str) -> None:
    assert article.title and article.title != "(untitled)", where
    # A title is one clean line of text: markup in an Atom type="html" title is not shown raw.
    assert "<" not in article.title and "\n" not in article.title, (where, article.title)
    assert article.date is not None, (where, article.title)
    assert article.date.tzinfo is not None, (where, article.title)
    assert article.link or article.content.strip(), (where, article.title)


def _parse_sample_feed(name: str) -> Any:
    feeds = pytest.importorskip("tuinews.sources.feeds")
    path = SAMPLES / name
    return feeds.parse_feed(path.read_bytes(), str(path))


@pytest.mark.parametrize("name", list(FEED_MINIMUMS))
def test_parse_feed_reads_every_sample_feed(name: str) -> None:
    feed = _parse_sample_feed(name)
    assert feed.title
    assert len(feed.articles) >= FEED_MINIMUMS[name]
    for article in feed.articles:
        _check_article(article, name)
        assert article.link and article.link.startswith("https://"), article.title
        assert EARLIEST <= article.date <= LATEST, article.title
        assert article.feed == str(SAMPLES / name)
        assert article.feed_title == feed.title
    dates = [article.date for article in feed.articles]
    assert dates == sorted(dates, reverse=True), "articles must come newest first"
    assert len({article.id for article in feed.articles}) == len(feed.articles)


def test_parse_feed_keeps_podcast_enclosures() -> None:
    feed = _parse_sample_feed("terminal-hours.rss")
    for article in feed.articles:
        assert [e.type for e in article.enclosures] == ["audio/mpeg"], article.title
        assert article.enclosures[0].url.endswith(".mp3")
        assert (article.enclosures[0].length or 0) > 1_000_000


def test_parse_feed_resolves_atom_links_against_xml_base() -> None:
    feed = _parse_sample_feed("lab-notes.atom")
    links = {article.link for article in feed.articles}
    assert "https://labnotes.example.org/2026/11/buoys-cbor" in links
    titles = {article.title for article in feed.articles}
    assert "Measuring terminal latency with a photodiode and cat" in titles


def test_parse_feed_reads_json_feed_text_and_html_bodies() -> None:
    feed = _parse_sample_feed("release-notes.json")
    kinds = {article.content_type for article in feed.articles}
    assert "html" in kinds and "text" in kinds
    assert any("Ngiyabonga" in article.content for article in feed.articles)
    assert any("release" in article.categories for article in feed.articles)


def _load_articles_folder() -> Any:
    local = pytest.importorskip("tuinews.sources.local")
    return local.load_path(ARTICLES)


def test_articles_folder_loads_as_one_feed() -> None:
    from tuinews.model import Feed

    feed = _load_articles_folder()
    assert isinstance(feed, Feed)
    assert len(feed.articles) >= 7
    for article in feed.articles:
        _check_article(article, article.title)
    assert {article.title for article in feed.articles} >= EXPECTED_LOCAL_TITLES


def test_articles_folder_reads_front_matter_and_page_metadata() -> None:
    feed = _load_articles_folder()
    by_title = {article.title: article for article in feed.articles}

    yaml_md = by_title["Notes from the Repair Café: 200 kettles later"]
    assert yaml_md.date == datetime(2026, 11, 21, 14, 30, tzinfo=UTC)
    assert yaml_md.link == "https://repaircafe.example.org/blog/200-kettles"
    assert yaml_md.author == "Björn Lindqvist"
    assert "repair" in yaml_md.categories

    toml_md = by_title["How the Courier moved its newsroom to plain text"]
    assert toml_md.date == datetime(2026, 11, 13, 17, 0, tzinfo=UTC)
    assert toml_md.author == "Harriet Okonkwo"

    og_page = by_title["Half marathon: two course records on a cold morning"]
    assert og_page.date == datetime(2026, 11, 8, 15, 40, tzinfo=UTC)

    plain_page = by_title["Tomorrow’s tides in one line of shell"]
    assert plain_page.date == datetime(2026, 11, 16, 8, 5, tzinfo=UTC)


def test_text_articles_keep_their_dateline() -> None:
    feed = _load_articles_folder()
    datelines = {a.title: a.dateline for a in feed.articles if a.content_type == "text"}
    assert datelines == {
        "Harbour Bridge Repainting to Start in Spring": "PORT ALDER —",
        "Lisbon’s Tile Restorers Train a New Generation": "LISBON —",
        "The Ice Road Opens Early After a Hard Freeze": "RIVERTON",
    }


# Relative links in the samples, and where a reader must send the user when they follow one.
RELATIVE_LINKS = [
    ("city-desk.rss", "Kestrel Island", "https://courier.example/city/2026/11/tram-depot-market"),
    ("city-desk.rss", "Night ferry", "https://courier.example/transport/buses/route-4"),
    (
        "city-desk.rss",
        "Council approves",
        "https://courier.example/council/papers/2026-11-17/item-6.pdf",
    ),
    ("lab-notes.atom", "Reading list", "https://labnotes.example.org/2026/11/crdt-reading/slides"),
    ("lab-notes.atom", "Seminar", "https://labnotes.example.org/seminars/"),
    (
        "release-notes.json",
        "Lanternfish 2.3.0",
        "https://lanternfish.example.net/docs/configuration",
    ),
    (
        "field-journal.rdf",
        "Counting lichens",
        "https://fieldjournal.example.com/2026/11/01/lichens/guide",
    ),
    ("terminal-hours.rss", "42:", "https://terminalhours.example/notes/42#reading"),
    ("articles", "Notes from the Repair Café", "https://repaircafe.example.org/blog/safety"),
]


@pytest.mark.parametrize(("source", "title", "expected"), RELATIVE_LINKS)
def test_relative_links_resolve_against_the_article(source: str, title: str, expected: str) -> None:
    render = pytest.importorskip("tuinews.render")
    feed = _load_articles_folder() if source == "articles" else _parse_sample_feed(source)
    (article,) = [a for a in feed.articles if a.title.startswith(title)]
    links = [link.url for link in render.render_article(article).links]
    assert expected in links


def test_opml_folders_become_tags() -> None:
    opml = pytest.importorskip("tuinews.sources.opml")
    subs = opml.parse_opml(OPML.read_bytes(), str(OPML), base=SAMPLES)
    by_name = {Path(sub.url).name: sub for sub in subs}
    assert set(by_name) == {*FEED_MINIMUMS, "articles"}
    for sub in subs:
        target = Path(sub.url)
        assert (target if target.is_absolute() else SAMPLES / target).exists(), sub.url
    assert "News" in by_name["city-desk.rss"].tags
    assert "Podcasts" in by_name["terminal-hours.rss"].tags
    nested = " / ".join(by_name["release-notes.json"].tags)
    assert "Tech" in nested and "Projects" in nested
    assert by_name["terminal-hours.rss"].title == "Terminal Hours"


def test_local_loader_turns_the_opml_file_into_subscriptions() -> None:
    local = pytest.importorskip("tuinews.sources.local")
    subs = local.load_path(OPML)
    assert isinstance(subs, list)
    assert {Path(sub.url) for sub in subs} == {
        (SAMPLES / name).absolute() for name in [*FEED_MINIMUMS, "articles"]
    }


def _all_sample_articles() -> list[Any]:
    articles = [a for name in FEED_MINIMUMS for a in _parse_sample_feed(name).articles]
    articles.extend(_load_articles_folder().articles)
    return articles


def test_sample_content_holds_at_least_thirty_articles() -> None:
    articles = _all_sample_articles()
    assert len(articles) >= MIN_TOTAL_ARTICLES
    assert len({(a.feed, a.id) for a in articles}) == len(articles)


def test_sample_content_mixes_short_pieces_and_long_reads() -> None:
    from tuinews.sources.sanitize import html_to_plain

    words = [len(html_to_plain(a.content, 0).split()) for a in _all_sample_articles()]
    assert sum(count >= 800 for count in words) >= 3
    assert sum(count <= 200 for count in words) >= 5


def test_the_whole_sample_folder_opens_as_one_source() -> None:
    local = pytest.importorskip("tuinews.sources.local")
    feed = local.load_path(SAMPLES)
    titles = {article.title for article in feed.articles}
    assert "Night ferry returns to the Outer Quay after eleven years" in titles
    assert "42: The escape character" in titles
    assert len(feed.articles) >= sum(FEED_MINIMUMS.values())
