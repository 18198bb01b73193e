"""Domain model: plain data, no I/O.

Every string in these objects has already been cleaned by `tuinews.sources.sanitize`
(no control characters, no bidi overrides); nothing here re-checks it.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ContentType = Literal["html", "text", "markdown"]
Direction = Literal["ltr", "rtl"]

UNTITLED = "(untitled)"


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A media file attached to an article (podcast audio, video, image)."""

    url: str
    type: str | None = None
    length: int | None = None


@dataclass(slots=True)
class Article:
    """One item of a feed or one local article.

    `id` is stable across runs: a digest of the feed and the article's identity key
    (guid, else link, else title and date); see `article_key`.
    `published`/`updated` are timezone-aware UTC datetimes or None.
    `summary` is plain text; `content` is the full body in `content_type`.
    """

    id: str
    feed: str
    title: str
    link: str | None = None
    guid: str | None = None
    author: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    summary: str = ""
    content: str = ""
    content_type: ContentType = "html"
    enclosures: tuple[Enclosure, ...] = ()
    categories: tuple[str, ...] = ()
    language: str | None = None
    direction: Direction | None = None
    # Title of the feed the article came from, for display (the feed key is `feed`).
    feed_title: str = ""
    # Structure of a plain-text article (dateline, subheadings) kept for the renderer.
    dateline: str | None = None

    @property
    def date(self) -> datetime | None:
        """The date to sort and show by: published, else updated."""
        return self.published or self.updated


@dataclass(slots=True)
class Feed:
    """A source of articles: a remote feed, a local feed file, a directory or one file."""

    url: str
    title: str
    link: str | None = None
    description: str = ""
    language: str | None = None
    direction: Direction | None = None
    articles: list[Article] = field(default_factory=list)
    # Where the document ended early, when it did: `articles` are the complete ones
    # before that point ("the document ends early at line 19 (...)").
    cut: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """One entry of a subscription list (OPML outline, newsboat urls line, config entry)."""

    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    html_url: str | None = None


def article_key(
    guid: str | None,
    link: str | None,
    title: str,
    published: datetime | None,
    shared: int = 0,
    content: str | None = None,
) -> str:
    """The identity of an article inside its feed: guid, else link and date, else title
    and date (newsboat's rule: one link may stand for many items, a status page's
    updates or every item of a feed that links to its home page; a date-less item is
    its link alone). `shared` (see `link_sharing`): 1, another item of the document has
    no guid either and this link and date too, and the title then tells them apart; 2,
    its title too (a status page dated by the day: two "Resolved" in a day), and its
    text (`content`) then tells them apart.
    """
    if guid:
        return "g:" + guid
    if link:
        key = "l:" + link
        if published is not None:
            key += f"\x1fd:{published.timestamp()!r}"
        if not shared:
            return key
        key += f"\x1ft:{title}"
        return key + text_tag(content) if shared > 1 else key
    stamp = published.isoformat() if published else ""
    return "h:" + hashlib.sha1(f"{title}\x00{stamp}".encode()).hexdigest()


def text_tag(content: str | None) -> str:
    """The part of a key (`article_key`, shared 2) that tells items apart by their text."""
    return "\x1fc:" + hashlib.sha1((content or "").encode()).hexdigest()[:16]


def link_sharing(articles: Sequence[Article]) -> list[int] | None:
    """For each of `articles` (one document's), its `shared` for `article_key`: 2 when it
    has no guid and another such item has its link, date and title, 1 when another has
    its link and date, else 0. None when all are 0."""
    pairs: Counter[tuple[str | None, datetime | None]] = Counter(
        (a.link, a.published) for a in articles if not a.guid and a.link
    )
    if not pairs or max(pairs.values()) < 2:
        return None
    triples: Counter[tuple[str | None, datetime | None, str]] = Counter(
        (a.link, a.published, a.title)
        for a in articles
        if not a.guid and a.link and pairs[(a.link, a.published)] > 1
    )
    return [
        0
        if a.guid or not a.link or pairs[(a.link, a.published)] < 2
        else 2
        if triples[(a.link, a.published, a.title)] > 1
        else 1
        for a in articles
    ]


def article_id(feed: str, key: str) -> str:
    """A short, stable, opaque id for an article (16 hex digits): 1 from its feed, 15
    from the feed and its key.

    Why the feed's digit first: the store's index of ids then keeps a feed's articles in
    a sixteenth of it, so saving a feed of 1,000 new articles changes a few of the
    index's pages rather than nearly all of them (a random id each: at 100 feeds x 1,000,
    a first refresh wrote a quarter more to disk). One digit, not more: ids are
    printed cut to 8 digits where that is unique, and with more digits from the feed the
    articles of one feed shared 8 digits far more often than random ids do."""
    whole = hashlib.blake2b(f"{feed}\x00{key}".encode(), digest_size=8).hexdigest()
    return _feed_digit(feed) + whole[:15]


@functools.lru_cache(maxsize=256)
def _feed_digit(feed: str) -> str:
    return hashlib.blake2b(feed.encode(), digest_size=1).hexdigest()[0]
