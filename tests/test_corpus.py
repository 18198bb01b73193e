"""Every real-world feed in the shared corpus parses into sensible articles."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from tuinews.errors import SourceError
from tuinews.model import Feed
from tuinews.sources.detect import detect_kind
from tuinews.sources.feeds import looks_like_feed, parse_feed

# Files that are refused, with the reason: a server error cut the feed before its first
# item (reported as a failure, not as a feed with nothing new).
REFUSED = {
    "feed-rs__reuters_truncated-server-error.rss": "ends early at line 19",
}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def read(folder: Path, name: str) -> bytes:
    data = (folder / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def load(folder: Path, name: str) -> Feed:
    return parse_feed(read(folder, name), f"https://corpus.example/{name}")


def test_every_corpus_file(corpus_feeds: Path) -> None:
    names = sorted(path.name for path in corpus_feeds.iterdir())
    assert len(names) >= 100
    problems = []
    for name in names:
        data = read(corpus_feeds, name)
        if not looks_like_feed(data):
            problems.append(f"{name}: not sniffed as a feed")
        if detect_kind(data, name) != "feed":  # as a file, or from standard input
            problems.append(f"{name}: a file of it is not read as a feed")
        if name in REFUSED:
            with pytest.raises(SourceError, match=REFUSED[name]):
                parse_feed(data, f"https://corpus.example/{name}")
            continue
        feed = parse_feed(data, f"https://corpus.example/{name}")
        if not feed.articles:
            problems.append(f"{name}: no articles")
            continue
        for article in feed.articles:
            if not article.title.strip():
                problems.append(f"{name}: empty title")
            if article.link is None and b"<link" in data:
                problems.append(f"{name}: {article.title!r} has no link")
            for value in (article.title, article.summary, article.author or "", feed.title):
                if _CONTROL.search(value):
                    problems.append(f"{name}: control character in {value[:40]!r}")
            assert article.feed_title == feed.title
    assert problems == []


@pytest.mark.parametrize(
    ("name", "letters"),
    [
        ("miniflux__ibash-org-ru_windows-1251.rss", "Цитата"),
        ("node-feedparser__oren-ru_windows-1251_default-ns.rss", "Оренбург"),
        ("miniflux__le-cercle-psy_no-decl_latin1.rss", "é"),
        ("rss-parser__uol-noticias_no-decl_latin1.rss", "ã"),
        ("netnewswire__kc0011-chinese_gb2312.rss", "纪念"),
        ("plagger__tdiary-ishinao_euc-jp.rdf", "いしなお"),
        ("plagger__2ch-top10news_shift-jis-ncr.rdf", "野球"),
        ("miniflux__golem-de_iso-8859-1.rss", "ü"),
        ("feedparser__touchnokia-ru-movabletype_needs-css-sanitizing.atom", "Невидимая"),
    ],
)
def test_legacy_encodings_decode(corpus_feeds: Path, name: str, letters: str) -> None:
    feed = load(corpus_feeds, name)
    text = feed.title + " ".join(a.title + a.summary for a in feed.articles)
    assert letters in text
    assert "\ufffd" not in text


def test_urdu_feed_is_rtl(corpus_feeds: Path) -> None:
    feed = load(corpus_feeds, "miniflux__bbc-urdu_rtl.rss")
    assert feed.direction == "rtl"
    assert all(article.direction == "rtl" for article in feed.articles)


def test_json_escaped_slashes_become_urls(corpus_feeds: Path) -> None:
    feed = load(corpus_feeds, "feedjira__lukedorny-jsonfeed-1.1_escaped-slashes.json")
    assert all(
        a.link and a.link.startswith("https://") and "\\" not in a.link for a in feed.articles
    )


def test_atom_inside_xhtml(corpus_feeds: Path) -> None:
    feed = load(corpus_feeds, "feedjira__tablix-atom-inside-xhtml_illformed.xml")
    assert feed.title == "Avian’s Blog"
    assert len(feed.articles) == 10


def test_rss_090_and_atom_03(corpus_feeds: Path) -> None:
    assert len(load(corpus_feeds, "miniflux__heise-rss-0.90.rdf").articles) == 60
    hatena = load(corpus_feeds, "plagger__hatena-bookmark_atom-0.3.atom")
    assert hatena.articles and all(a.published for a in hatena.articles)


def test_podcast_enclosures(corpus_feeds: Path) -> None:
    feed = load(corpus_feeds, "rss-parser__giantbomb-podcast.rss")
    with_audio = [a for a in feed.articles if any(e.url.startswith("http") for e in a.enclosures)]
    assert len(with_audio) > 500
    dates = [a.date for a in feed.articles if a.date]
    assert dates == sorted(dates, reverse=True)


def test_nested_empty_items_ignored(corpus_feeds: Path) -> None:
    feed = load(corpus_feeds, "node-feedparser__pcmag-dvorak_illegally-nested-item.rss")
    assert all(a.title != "(untitled)" for a in feed.articles)


def test_rss_as_json_is_read(corpus_feeds: Path) -> None:
    feed = load(corpus_feeds, "netnewswire__scriptingnews-rss-in-json.json")
    assert feed.title == "Scripting News" and len(feed.articles) > 40
