"""Property tests: no input makes parse_feed raise anything but SourceError, and no
control or bidi-override character reaches any field of the result."""

from __future__ import annotations

import json
import re
from dataclasses import fields

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuinews.errors import SourceError
from tuinews.model import Article, Feed
from tuinews.sources.feeds import looks_like_feed, parse_feed

_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BODY_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BODIES = {"content", "summary", "description"}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_clean(feed: Feed) -> None:
    def check(name: str, value: object) -> None:
        if isinstance(value, str):
            pattern = _BODY_BAD if name in _BODIES else _LINE_BAD
            assert pattern.search(value) is None, (name, value)
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, str):
                    check(name, item)
                else:
                    for part in fields(item):
                        check(part.name, getattr(item, part.name))

    for part in fields(Feed):
        if part.name != "articles":
            check(part.name, getattr(feed, part.name))
    for article in feed.articles:
        for part in fields(Article):
            check(part.name, getattr(article, part.name))


def parse_or_source_error(data: bytes) -> None:
    looks_like_feed(data)
    try:
        feed = parse_feed(data, "https://fuzz.example/feed")
    except SourceError:
        return
    assert_clean(feed)


_PIECES = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(
        [
            "\x1b",
            "\x9b",
            "\u202e",
            "\u2066",
            "&#27;",
            "&#x9b;",
            "&amp;#27;",
            "]]>",
            "<![CDATA[",
            "<",
            "&",
            "&nbsp;",
            "\r",
            "\x7f",
            "<b>",
            "&#xD800;",
            "\u2028",
        ]
    ),
)
nasty_text = st.lists(_PIECES, max_size=30).map("".join)


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    parse_or_source_error(data)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_feed_start(tail: bytes) -> None:
    parse_or_source_error(b'<?xml version="1.0"?><rss><channel><item><title>' + tail)


@FUZZ
@given(nasty_text, nasty_text, nasty_text, nasty_text)
def test_strings_in_rss_template(title: str, link: str, body: str, date: str) -> None:
    doc = (
        f'<rss version="2.0"><channel><title>{title}</title><link>{link}</link><item>'
        f"<title>{title}</title><link>{link}</link><guid>{link}</guid><pubDate>{date}</pubDate>"
        f"<description>{body}</description><author>{title}</author>"
        f'<category>{title}</category><enclosure url="{link}" length="{date}"/>'
        "</item></channel></rss>"
    )
    parse_or_source_error(doc.encode("utf-8", "surrogatepass"))


@FUZZ
@given(nasty_text, nasty_text, nasty_text)
def test_strings_in_atom_template(title: str, link: str, body: str) -> None:
    doc = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">'
        f'{title}</title><entry><title>{title}</title><link href="{link}"/><id>{link}</id>'
        f'<updated>{body[:30]}</updated><content type="html">{body}</content>'
        f"<author><name>{title}</name></author></entry></feed>"
    )
    parse_or_source_error(doc.encode("utf-8", "surrogatepass"))


@FUZZ
@given(nasty_text, nasty_text, nasty_text, st.one_of(st.integers(), st.text(max_size=5)))
def test_strings_in_json_feed(title: str, link: str, body: str, size: int | str) -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": link,
        "items": [
            {
                "id": link,
                "url": link,
                "title": title,
                "content_html": body,
                "date_published": body[:30],
                "authors": [{"name": title}],
                "tags": [title],
                "attachments": [{"url": link, "mime_type": title, "size_in_bytes": size}],
            }
        ],
    }
    parse_or_source_error(json.dumps(doc).encode())


_REFERENCE_PIECES = st.sampled_from(
    [
        *(b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;", b"&#38;", b"&#x41;", b"&", b"&amp"),
        *(b"&nbsp;", b"&eacute;", b"&bogus;", b"&ampx;", b"&#", b";", b"a", b" ", b"<p>"),
        *(b"&#xD800;", b"&#55296;", b"&#xdfff;", b"&#57343;", b"&#xE000;", b"&#0055296;"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_REFERENCE_PIECES, max_size=20).map(b"".join))
def test_one_scan_finds_a_reference_to_fix_exactly_when_either_pattern_would(
    document: bytes,
) -> None:
    from tuinews.sources import xml_references

    either = (
        xml_references._NAMED_REFERENCE.search(document) is not None
        or xml_references._SURROGATE_REFERENCE.search(document) is not None
    )
    assert (xml_references._NEEDS_FIXING.search(document) is not None) == either
    fixed = xml_references.fix_named_references(document)
    assert b"&nbsp;" not in fixed and b"&#xD800;" not in fixed
