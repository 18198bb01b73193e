"""Rows become model objects here, and model objects become rows: nowhere else."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any, cast

from tuinews.model import Article, ContentType, Direction, Enclosure
from tuinews.sources.sanitize import clean_line, clean_text, clean_url
from tuinews.store.first_screen import as_text, title_line
from tuinews.store.records import FeedInfo, Headline, StoredArticle

_CONTENT_TYPES = ("html", "text", "markdown")
_DIRECTIONS = ("ltr", "rtl")


def to_epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def from_epoch(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


# Text read back is cleaned again: a store written by an older or buggy version, or by
# hand with sqlite3, must not put escape sequences on the screen (defence in depth; the
# fast paths make this about a microsecond per ASCII field). `as_text` and the headline
# cut (`title_line`) live with the first screen's lean reader, which reads the same rows.
_as_text = as_text
_headline_line = title_line


def _line(value: object) -> str:
    return clean_line(_as_text(value))


def _opt_line(value: object) -> str | None:
    return None if value is None else clean_line(_as_text(value))


def _opt_url(value: object) -> str | None:
    return None if value is None else clean_url(_as_text(value))


def _tags(text: str) -> tuple[str, ...]:
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return ()
    return tuple(_line(tag) for tag in value) if isinstance(value, list) else ()


def _enclosures(text: str) -> tuple[Enclosure, ...]:
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return ()
    result = []
    for item in value if isinstance(value, list) else ():
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            length = item.get("length")
            result.append(
                Enclosure(
                    url=clean_url(item["url"]),
                    type=_line(item["type"]) if isinstance(item.get("type"), str) else None,
                    length=length if isinstance(length, int) else None,
                )
            )
    return tuple(result)


def dump_tags(tags: tuple[str, ...] | list[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False)


# ---- articles -------------------------------------------------------------------------


# What `to_stored_article` reads, joined with the feed.
ARTICLE_SELECT = """
SELECT a.pk, a.article_id, a.feed_id, a.title, a.link, a.guid, a.author, a.published,
       a.updated, a.summary, a.content, a.content_type, a.enclosures, a.categories,
       a.language, a.direction, a.dateline, a.read, a.starred, a.first_seen,
       f.url, COALESCE(f.title, NULLIF(f.feed_title, ''), f.url)
FROM articles a JOIN feeds f ON f.id = a.feed_id
"""


def to_stored_article(row: sqlite3.Row | tuple[Any, ...]) -> StoredArticle:
    (pk, article_id, feed_id, title, link, guid, author, published, updated, summary,
     content, content_type, enclosures, categories, language, direction, dateline,
     read, starred, first_seen, feed_url, feed_title) = row  # fmt: skip
    article = Article(
        id=article_id,
        feed=feed_url,
        title=_line(title),
        link=_opt_url(link),
        guid=guid,
        author=_opt_line(author),
        published=from_epoch(published),
        updated=from_epoch(updated),
        summary=clean_text(_as_text(summary)),
        content=clean_text(_as_text(content)),
        content_type=cast(ContentType, content_type if content_type in _CONTENT_TYPES else "text"),
        enclosures=_enclosures(enclosures),
        categories=_tags(categories),
        language=language,
        direction=cast(Direction, direction) if direction in _DIRECTIONS else None,
        feed_title=_line(feed_title),
        dateline=_opt_line(dateline),
    )
    return StoredArticle(
        pk=pk,
        article=article,
        feed_id=feed_id,
        read=bool(read),
        starred=bool(starred),
        first_seen=datetime.fromtimestamp(first_seen, UTC),
    )


def to_headline(row: sqlite3.Row | tuple[Any, ...]) -> Headline:
    pk, article_id, feed_id, feed_title, title, date, link, read, starred, sort_value = row
    return Headline(
        pk=pk,
        article_id=article_id,
        feed_id=feed_id,
        feed_title=_headline_line(feed_title),
        title=_headline_line(title),
        date=from_epoch(date),
        link=_opt_url(link),
        read=bool(read),
        starred=bool(starred),
        sort_key=(float(sort_value), pk),
    )


# ---- feeds ----------------------------------------------------------------------------


def to_feed_info(row: sqlite3.Row | tuple[Any, ...]) -> FeedInfo:
    (feed_id, url, title, tags, unread, total, last_refresh, last_status, last_error,
     last_error_at, failures, next_fetch, disabled, etag, last_modified,
     source_mtime, server_wait) = row  # fmt: skip
    return FeedInfo(
        id=feed_id,
        url=url,
        title=_line(title),
        tags=_tags(tags),
        unread=unread,
        total=total,
        last_refresh=from_epoch(last_refresh),
        last_status=last_status,
        last_error=_opt_line(last_error),
        last_error_at=from_epoch(last_error_at),
        failures=failures,
        next_fetch=from_epoch(next_fetch),
        disabled=bool(disabled),
        etag=etag,
        last_modified=last_modified,
        source_mtime=source_mtime,
        server_wait=from_epoch(server_wait),
    )
