"""The parse worker's fast paths give exactly what the plain code they replaced gave.

The content digest of a prepared item is stored in users' databases: if it changed,
the next refresh would rewrite every unchanged article. The reference implementations
below are the code as it was before the fast paths; they live only here. (The digest
itself changed once, to a cheaper one: rows holding the earlier kind are compared by
it, `store.save._legacy_digest`, checked here against the earlier code too.)
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuinews.errors import SourceError
from tuinews.model import Article, Enclosure, Feed, article_key, link_sharing
from tuinews.sources import dates
from tuinews.sources.feeds import parse_feed
from tuinews.store.save import PreparedFeed, _legacy_digest, prepare_feed

# ---- reference implementations (as before the fast paths) -----------------------------


def reference_fields(article: Article) -> tuple[tuple[Any, ...], str]:
    enclosures = "[]"
    if article.enclosures:
        enclosures = json.dumps(
            [{"url": e.url, "type": e.type, "length": e.length} for e in article.enclosures],
            ensure_ascii=False,
        )
    categories = "[]"
    if article.categories:
        categories = json.dumps(list(article.categories), ensure_ascii=False)
    published, updated = article.published, article.updated
    fields = (
        article.title,
        article.link,
        article.guid,
        article.author,
        None if published is None else published.timestamp(),
        None if updated is None else updated.timestamp(),
        article.summary,
        article.content,
        article.content_type,
        enclosures,
        categories,
        article.language,
        article.direction,
        article.dateline,
    )
    return fields, reference_digest(fields)


def reference_digest(fields: tuple[Any, ...]) -> str:
    """The content digest, from its definition: the short fields by repr, then the
    summary's length, the summary and the body."""
    *short, summary, content = (*fields[:6], *fields[8:], fields[6], fields[7])
    text = "\x00".join([*map(repr, short), str(len(summary)), summary + content])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def reference_legacy_digest(fields: tuple[Any, ...]) -> str:
    return hashlib.blake2b(repr(fields).encode(), digest_size=12).hexdigest()


def reference_prepare_feed(feed: Feed) -> PreparedFeed:
    items: dict[str, tuple[Any, ...]] = {}
    # The key follows the rule for links several items share (`article_key`), which is
    # not what this reference checks: the fields and their digest are.
    levels = link_sharing(feed.articles) or [0] * len(feed.articles)
    for article, level in zip(feed.articles, levels, strict=True):
        key = article_key(
            article.guid, article.link, article.title, article.published, level, article.content
        )
        if key in items:
            continue
        fields, digest = reference_fields(article)
        published, updated = fields[4], fields[5]
        date = published if published is not None else updated
        items[key] = (key, article.id, digest, *fields, date)
    return feed.title, list(items.values()), feed.link


_MONTHS = dates._MONTHS  # unchanged by the fast path
_REFERENCE_CANONICAL = re.compile(
    r"[A-Za-z]{3}, ([0-9]{2}) ([A-Za-z]{3}) ([0-9]{4}) ([0-9]{2}:[0-9]{2}:[0-9]{2}) "
    r"([+-][0-9]{2})([0-9]{2})\Z"
)


def reference_canonical_rfc822(text: str) -> datetime | None:
    match = _REFERENCE_CANONICAL.match(text)
    if match is None:
        return None
    day, month_name, year, clock, zone_hours, zone_minutes = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    return datetime.fromisoformat(f"{year}-{month:02d}-{day}T{clock}{zone_hours}:{zone_minutes}")


def _outcome(function: Any, text: str) -> object:
    try:
        result = function(text)
    except (ValueError, OverflowError) as exc:
        return type(exc)
    return (result, repr(result))  # repr: equal datetimes may differ in tzinfo


# ---- prepared items -------------------------------------------------------------------


def _prepared(prepare: Any, feed: Feed) -> object:
    try:
        result = prepare(feed)
    except UnicodeEncodeError:  # lone surrogates (sanitize drops them before this)
        return UnicodeEncodeError
    return (result, repr(result))  # repr: same types too (float against int, say)


def _assert_same(feed: Feed) -> None:
    assert _prepared(prepare_feed, feed) == _prepared(reference_prepare_feed, feed)


def test_corpus_feeds_prepare_exactly_as_before(corpus_feeds: Path) -> None:
    checked = 0
    for path in sorted(corpus_feeds.iterdir()):
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        try:
            feed = parse_feed(data, f"https://corpus.example/{path.name}")
        except SourceError:
            continue  # refused (a feed cut before its first item): nothing to compare
        _assert_same(feed)
        checked += 1
    assert checked >= 100


# Any text, quotes, backslashes and characters repr() escapes included: the digest must
# match for whatever reaches it, not only for clean strings.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("'\"\\ \t\n\x00\x7f\x85\u200b\u2028\ud800é€😀&<>"), st.characters()
    ),
    max_size=40,
)
_OPTIONAL_TEXT = st.none() | _TEXT
_DATES = st.none() | st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)
_ENCLOSURES = st.lists(
    st.builds(Enclosure, url=_TEXT, type=_OPTIONAL_TEXT, length=st.none() | st.integers(0, 10**12)),
    max_size=3,
).map(tuple)


@st.composite
def articles(draw: st.DrawFn) -> Article:
    return Article(
        id=draw(_TEXT),
        feed="https://example.org/feed",
        title=draw(_TEXT),
        link=draw(_OPTIONAL_TEXT),
        guid=draw(_OPTIONAL_TEXT),
        author=draw(_OPTIONAL_TEXT),
        published=draw(_DATES),
        updated=draw(_DATES),
        summary=draw(_TEXT),
        content=draw(_TEXT),
        content_type=draw(st.sampled_from(["html", "text", "markdown"])),
        enclosures=draw(_ENCLOSURES),
        categories=tuple(draw(st.lists(_TEXT, max_size=3))),
        language=draw(_OPTIONAL_TEXT),
        direction=draw(st.sampled_from([None, "ltr", "rtl"])),
        dateline=draw(_OPTIONAL_TEXT),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(articles(), min_size=1, max_size=4))
def test_generated_articles_prepare_exactly_as_before(generated: list[Article]) -> None:
    _assert_same(Feed(url="https://example.org/feed", title="Feed", articles=generated))


def test_a_recorded_digest_is_unchanged() -> None:
    # A digest as stored by earlier versions: it must never move.
    article = Article(
        id="0123456789abcdef",
        feed="https://example.org/feed",
        title='It\'s a "test" \\ é',
        link="https://example.org/a",
        guid="a-1",
        published=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        summary="Summary",
        content="<p>Body</p>",
        enclosures=(Enclosure("https://example.org/a.mp3", "audio/mpeg", 1234),),
        categories=("News", "Économie"),
        language="fr",
    )
    (item,) = prepare_feed(Feed(url=article.feed, title="Feed", articles=[article]))[1]
    assert item[2] == reference_fields(article)[1]
    assert item[2] == "015d6ffe29370ca8a2dcdb172311f49a"  # it must not move either
    # What versions before the cheaper digest stored, as their code computed it.
    assert _legacy_digest(item) == reference_legacy_digest(reference_fields(article)[0])
    assert _legacy_digest(item) == "0cc8e8e56c4e285feed027ef"


# ---- dates ----------------------------------------------------------------------------

_CANONICAL_SHAPED = st.builds(
    lambda weekday, day, month, year, clock, sign, zone: (
        f"{weekday}, {day} {month} {year} {clock} {sign}{zone}"
    ),
    st.sampled_from(["Mon", "wed", "XYZ"]),
    st.from_regex(r"[0-9]{2}", fullmatch=True),
    st.sampled_from(["Jan", "feb", "MAR", "Foo", "Dec", "mAy"]),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
    st.from_regex(r"[0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
    st.sampled_from("+-"),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_CANONICAL_SHAPED, st.text(max_size=40)))
def test_canonical_rfc822_dates_read_exactly_as_before(text: str) -> None:
    assert _outcome(dates._canonical_rfc822, text) == _outcome(reference_canonical_rfc822, text)


def test_canonical_rfc822_examples() -> None:
    for text in (
        "Wed, 01 May 2024 12:00:00 +0000",
        "Wed, 01 May 2024 12:00:00 -0530",
        "wed, 31 dec 1999 23:59:59 +1400",
        "Wed, 30 Feb 2024 12:00:00 +0000",
        "Wed, 01 Foo 2024 12:00:00 +0000",
        "Wed, 01 May 2024 24:00:00 +0000",
        "Wed, 01 May 2024 12:00:00 +9999",
    ):
        assert _outcome(dates._canonical_rfc822, text) == _outcome(
            reference_canonical_rfc822, text
        ), text


# ---- building articles ----------------------------------------------------------------


def test_article_fields_are_in_the_order_build_article_passes_them() -> None:
    # build_article constructs Article positionally (it is much cheaper than keywords).
    assert [field.name for field in dataclasses.fields(Article)][:15] == [
        "id",
        "feed",
        "title",
        "link",
        "guid",
        "author",
        "published",
        "updated",
        "summary",
        "content",
        "content_type",
        "enclosures",
        "categories",
        "language",
        "direction",
    ]


# ---- search text ----------------------------------------------------------------------

_REFERENCE_LAST_WORD = re.compile(r"\S+\s*$")
_SPACES = "".join(chr(code) for code in range(0x110000) if chr(code).isspace())
_WORDY_TEXT = st.text(alphabet=st.sampled_from(f"ab…\x00{_SPACES}") | st.characters(), max_size=30)


def test_the_regex_and_str_split_agree_on_every_whitespace_character() -> None:
    # str.rsplit() replaced a regex's \s and \S: the same characters must be whitespace.
    regex_spaces = re.compile(r"\s")
    every = "".join(map(chr, range(0x110000)))
    assert {char for char in every if regex_spaces.match(char)} == set(_SPACES)


@settings(max_examples=500, deadline=None)
@given(_WORDY_TEXT)
def test_the_last_word_is_dropped_exactly_as_before(text: str) -> None:
    from tuinews.store.fts import _without_last_word

    assert _without_last_word(text) == _REFERENCE_LAST_WORD.sub("", text).rstrip()


@settings(max_examples=300, deadline=None)
@given(_WORDY_TEXT, _WORDY_TEXT, st.sampled_from(["html", "text"]))
def test_search_text_is_as_before(summary: str, body: str, content_type: str) -> None:
    from tuinews.store import fts

    def reference_starts_with_summary(body: str, summary: str) -> bool:
        head = (
            _REFERENCE_LAST_WORD.sub("", summary[:-1]).rstrip()
            if summary.endswith("…")
            else summary
        )
        if body.startswith(head) and body[len(head) : len(head) + 1] in ("", " ", "\n"):
            return True
        words = summary.removesuffix("…").split()
        if summary.endswith("…") and words:
            words.pop()
        return body.split(maxsplit=len(words))[: len(words)] == words

    for candidate in (summary, summary + "…", body[: len(body) // 2] + "…"):
        assert fts._starts_with_summary(body, candidate) == reference_starts_with_summary(
            body, candidate
        )


# plain_digest before its fast paths: a capturing block-tag group, and the script/style
# pattern run on every fragment.
_REFERENCE_SCRIPT_STYLE = re.compile(
    r"<(script|style|template)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL
)
_REFERENCE_BLOCK_TAG = re.compile(
    r"</?(p|br|div|li|h[1-6]|tr|blockquote|pre|hr)\b[^>]*>", re.IGNORECASE
)
_MARKUP = st.lists(
    st.sampled_from(
        [
            "<",
            ">",
            "/",
            " ",
            "\n",
            "a",
            "p",
            "P",
            "br",
            "s",
            "S",
            "t",
            "T",
            "script",
            "STYLE",
            "template",
            "</script>",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "&amp;",
            "&#27;",
            "é",
            "div",
            "h2",
            "x",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_MARKUP)
def test_plain_digest_is_as_before(fragment: str) -> None:

    from tuinews.sources import sanitize

    def reference(value: str) -> str:
        text = value
        if "<" in text:
            if "<!" in text:
                text = sanitize._CDATA.sub(r"\1", text)
                text = sanitize._COMMENT.sub(" ", text)
            text = _REFERENCE_SCRIPT_STYLE.sub(" ", text)
            text = _REFERENCE_BLOCK_TAG.sub(" ", text)
            text = sanitize._TAG.sub("", text)
        # sanitize.unescape: html.unescape, with `&#27;` an ESC that takes its sequence along.
        return sanitize.clean_line(sanitize.unescape(text) if "&" in text else text)

    assert sanitize.plain_digest(fragment) == reference(fragment)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(max_size=12) | st.sampled_from(["News", "a b", 'q"t', "b\\s", "é"])))
def test_categories_are_encoded_exactly_as_json_dumps_does(values: list[str]) -> None:
    import json

    from tuinews.store.save import _json_strings

    if values:
        assert _json_strings(tuple(values)) == json.dumps(values, ensure_ascii=False)


_SEARCH_INDEX = """
CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');
"""


@settings(max_examples=400, deadline=None)
@given(_MARKUP | st.text(max_size=60))
def test_the_search_index_reads_the_same_words_as_from_plain_digest(fragment: str) -> None:
    """index_text keeps whitespace as it comes (cheaper than plain_digest's clean line):
    the index's tokenizer must still find exactly the same words, in the same order."""
    import sqlite3

    from tuinews.sources.sanitize import clean_text, index_text, plain_digest

    fragment = clean_text(fragment)  # what ingestion stores as a body
    conn = sqlite3.connect(":memory:")
    conn.executescript(_SEARCH_INDEX)
    conn.execute(
        "INSERT INTO t (rowid, body) VALUES (1, ?), (2, ?)",
        (plain_digest(fragment), index_text(fragment)),
    )

    def words(doc: int) -> list[str]:
        rows = conn.execute("SELECT term FROM v WHERE doc = ? ORDER BY offset", (doc,))
        return [term for (term,) in rows]

    assert words(2) == words(1)
