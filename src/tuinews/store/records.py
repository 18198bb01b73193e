"""The store's public value types: what callers get back and pass in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from tuinews.model import Article

if TYPE_CHECKING:
    from tuinews.store.save import PreparedFeed

# (sort value, pk), compared newest first. The sort value is the article's date as an
# epoch float (published, else updated, else first_seen); in a search view it is the
# relevance score instead (higher is better), so keyset paging works the same way.
SortKey = tuple[float, int]


@dataclass(frozen=True, slots=True)
class View:
    """What a headline list shows."""

    feed_ids: tuple[int, ...] | None = None  # None: every feed
    unread_only: bool = False
    starred_only: bool = False
    search: str | None = None  # the user's words; the store builds a safe FTS5 query
    # Articles the list still shows although they left the unread or starred filter
    # since it was shown: read (or unstarred) there, they stay until the list changes.
    held: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Headline:
    """One row of the headline list: only what the row shows."""

    pk: int
    article_id: str
    feed_id: int
    feed_title: str
    title: str
    date: datetime | None
    link: str | None
    read: bool
    starred: bool
    sort_key: SortKey


@dataclass(frozen=True, slots=True)
class ViewWindow:
    """A view counted, an article placed in it and a window of rows around it, all read
    from one snapshot of the store."""

    total: int
    start: int  # index of rows[0]
    rows: list[Headline]
    cursor: int  # index of the kept article (0 without one)
    last_pk: int  # the newest article stored then: "mark all read" goes no further


@dataclass(frozen=True, slots=True)
class StoredArticle:
    pk: int
    article: Article
    feed_id: int
    read: bool
    starred: bool
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    url: str
    title: str
    tags: tuple[str, ...]
    unread: int
    total: int
    last_refresh: datetime | None
    last_status: int | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_fetch: datetime | None
    disabled: bool
    etag: str | None
    last_modified: str | None
    # A local source's `refresh.locations.source_signature` at its last read (the column
    # kept its first name: it held the newest mtime once).
    source_mtime: float | None
    # Until when the server asked a failing feed's next try to wait (429/503); the back-off
    # (`next_fetch`) may be later.
    server_wait: datetime | None = None


@dataclass(frozen=True, slots=True)
class SaveStats:
    new: int
    updated: int
    # The fetched document ended early (`Feed.cut`): its complete articles were saved.
    cut: str | None = None
    # Articles [retention] kept out of a feed that has none stored (see
    # `FeedWrite.oldest`): the feed would look empty, or broken, without a word.
    all_kept_out: int = 0


@dataclass(frozen=True, slots=True)
class FeedWrite:
    """One feed's fetch to record (see `Store.write_batch`): its prepared rows
    (`store.save.prepare_feed`), or None when the server answered "not modified"."""

    feed_id: int
    fetched_at: datetime
    prepared: PreparedFeed | None = None
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_fetch: datetime | None = None
    source_mtime: float | None = None
    # Retention ([retention], see `Store.cleanup`): new articles dated before
    # `oldest` (a timestamp), or older than the newest `per_feed` of the feed, are not
    # stored: cleanup would drop them, and each refresh would bring them back as new.
    oldest: float | None = None
    per_feed: int | None = None

    def of_cut_document(self) -> FeedWrite:
        """The write for a document that ended early (`Feed.cut`): its complete
        articles are saved, but not the validators (ETag, Last-Modified, a local file's
        signature) of what was never read whole: a 304 would keep the rest away until
        the feed changed. The next refresh fetches it all again."""
        return replace(self, etag=None, last_modified=None, source_mtime=None)
