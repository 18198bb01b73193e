"""Domain model: plain data, no I/O.

Every string in these objects has already been cleaned by `tuinews.sources.sanitize`
(no control characters, no bidi overrides); nothing here re-checks it.
"""

from __future__ import annotations

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
) -> str:
    """The identity of an article inside its feed: guid, else link, else title and date.

    `shared` (see `link_sharing`) is for an item without guid whose link other items of
    its document have too (a status page's updates, a feed that links every item to its
    home page): 1 when their titles differ, its title joins the link; 2 when one has its
    title too, its date as well. Otherwise such items would be taken for one article.
    """
    if guid:
        return "g:" + guid
    if link:
        if not shared:
            return "l:" + link
        key = f"l:{link}\x1ft:{title}"
        if shared > 1:
            key += f"\x1fd:{published.timestamp()!r}" if published else "\x1fd:"
        return key
    stamp = published.isoformat() if published else ""
    return "h:" + hashlib.sha1(f"{title}\x00{stamp}".encode()).hexdigest()


def link_sharing(articles: Sequence[Article]) -> list[int] | None:
    """For each of `articles` (one document's), its `shared` level for `article_key`:
    0 unless it has no guid and its link is another such item's too, then 1, or 2 when
    that other item has its title as well. None when no link is shared (the rule)."""
    links = Counter(a.link for a in articles if not a.guid and a.link)
    if not links or max(links.values()) < 2:
        return None
    titles = Counter(
        (a.link, a.title) for a in articles if not a.guid and a.link and links[a.link] > 1
    )
    return [
        0
        if a.guid or not a.link or links[a.link] < 2
        else (2 if titles[(a.link, a.title)] > 1 else 1)
        for a in articles
    ]


def article_id(feed: str, key: str) -> str:
    """A short, stable, opaque id for an article (16 hex digits)."""
    return hashlib.blake2b(f"{feed}\x00{key}".encode(), digest_size=8).hexdigest()
