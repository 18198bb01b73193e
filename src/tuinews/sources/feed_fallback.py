"""Last resort for documents the fast path cannot read: feedparser's loose parser.

Imported lazily and only here: feedparser is slow (about 5 MB/s) and costly to import,
but its SGML-based loose mode recovers feeds too broken for libxml2's recover mode.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from tuinews.model import Article, ContentType, Enclosure, Feed
from tuinews.sources.feed_build import (
    build_article,
    clean_language,
    finish_feed,
    make_enclosure,
    resolve_link,
)


def parse_with_feedparser(data: bytes, url: str) -> Feed | None:
    """The feed feedparser finds in `data`, or None when it finds neither items nor a title."""
    import feedparser

    try:
        result = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except Exception:  # feedparser's loose parser has no documented error set
        return None
    entries = result.get("entries") or []
    channel = result.get("feed") or {}
    if not entries and not channel.get("title"):
        return None
    link = resolve_link(_text(channel.get("link")), url)
    base = link or url
    articles = [_entry(entry, url, base) for entry in entries]
    return finish_feed(
        url,
        title=_text(channel.get("title")),
        link=link,
        description=_text(channel.get("subtitle")),
        language=clean_language(_text(channel.get("language"))),
        articles=articles,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (ValueError, OverflowError, TypeError):
        return None


def _entry(entry: Any, url: str, base: str) -> Article:
    content: str | None = None
    content_type: ContentType = "html"
    for part in entry.get("content") or []:
        value = _text(part.get("value"))
        if value:
            content = value
            content_type = "text" if part.get("type") == "text/plain" else "html"
            break
    enclosures: list[Enclosure] = []
    for enclosure in entry.get("enclosures") or []:
        made = make_enclosure(
            _text(enclosure.get("href")),
            _text(enclosure.get("type")),
            _text(enclosure.get("length")),
            base,
        )
        if made is not None:
            enclosures.append(made)
    categories = [_text(tag.get("term")) or "" for tag in entry.get("tags") or []]
    return build_article(
        url,
        title=_text(entry.get("title")),
        link=resolve_link(_text(entry.get("link")), base),
        guid=_text(entry.get("id")),
        author=_text(entry.get("author")),
        published=_date(entry.get("published_parsed")),
        updated=_date(entry.get("updated_parsed")),
        description=_text(entry.get("summary")),
        content=content,
        content_type=content_type,
        enclosures=enclosures,
        categories=categories,
        language=clean_language(_text(entry.get("language"))),
    )
