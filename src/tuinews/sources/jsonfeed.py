"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json
from typing import Any

from tuinews.errors import SourceError
from tuinews.model import Article, Enclosure, Feed
from tuinews.sources.dates import parse_date
from tuinews.sources.encoding import decode_text
from tuinews.sources.feed_build import (
    build_article,
    clean_language,
    finish_feed,
    make_enclosure,
    resolve_link,
)

_MAX_ITEMS = 100_000


def parse_json_feed(data: bytes, url: str, content_type: str | None = None) -> Feed:
    text = decode_text(data, content_type)
    try:
        document = json.loads(text)
    except RecursionError:
        raise SourceError(url, "invalid JSON Feed: nested too deeply") from None
    except ValueError as exc:
        raise SourceError(url, f"invalid JSON Feed: {_json_reason(exc)}") from None
    if not isinstance(document, dict):
        raise SourceError(url, "invalid JSON Feed: not a JSON object")
    rss = document.get("rss")
    if isinstance(rss, dict) and isinstance(rss.get("channel"), dict):
        return _rss_in_json(rss["channel"], url)
    items = document.get("items")
    version = document.get("version")
    if not isinstance(items, list):
        raise SourceError(url, "invalid JSON Feed: no items list")
    # Some generators omit "version"; an items list plus a feed key is evidence enough.
    if not (isinstance(version, str) and "jsonfeed.org/version" in version) and not any(
        key in document for key in ("feed_url", "home_page_url", "title")
    ):
        raise SourceError(url, "invalid JSON Feed: no jsonfeed.org version")
    home = resolve_link(_string(document.get("home_page_url")), url)
    base = home or url
    language = clean_language(_string(document.get("language")))
    feed_author = _author(document)
    articles = [
        _item(item, url, base, feed_author) for item in items[:_MAX_ITEMS] if isinstance(item, dict)
    ]
    return finish_feed(
        url,
        title=_string(document.get("title")),
        link=home,
        description=_string(document.get("description")),
        language=language,
        articles=articles,
        description_is_html=False,
    )


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        # Some messages end in "at" already ("Unterminated string starting at").
        return f"{exc.msg.lower().removesuffix(' at')} at line {exc.lineno}"
    return "not valid JSON"


def _string(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _author(holder: dict[str, Any]) -> str | None:
    """`authors` (1.1) or `author` (1.0): the first name, else its URL."""
    candidates: list[Any] = []
    authors = holder.get("authors")
    if isinstance(authors, list):
        candidates.extend(authors[:10])
    candidates.append(holder.get("author"))
    for candidate in candidates:
        if isinstance(candidate, dict):
            name = _string(candidate.get("name"))
            if name and name.strip():
                return name
        elif isinstance(candidate, str) and candidate.strip():
            return candidate
    return None


def _item(item: dict[str, Any], url: str, base: str, feed_author: str | None) -> Article:
    link = resolve_link(_string(item.get("url")), base) or resolve_link(
        _string(item.get("external_url")), base
    )
    content_html = _string(item.get("content_html"))
    content_text = _string(item.get("content_text"))
    summary = _string(item.get("summary"))
    enclosures: list[Enclosure] = []
    attachments = item.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments[:50]:
            if not isinstance(attachment, dict):
                continue
            enclosure = make_enclosure(
                _string(attachment.get("url")),
                _string(attachment.get("mime_type")),
                attachment.get("size_in_bytes")
                if isinstance(attachment.get("size_in_bytes"), int | float | str)
                else None,
                base,
            )
            if enclosure is not None:
                enclosures.append(enclosure)
    tags = item.get("tags")
    categories = (
        [tag for tag in tags[:100] if isinstance(tag, str)] if isinstance(tags, list) else []
    )
    return build_article(
        url,
        title=_string(item.get("title")),
        link=link,
        guid=_string(item.get("id")),
        author=_author(item) or feed_author,
        published=parse_date(_string(item.get("date_published"))),
        updated=parse_date(_string(item.get("date_modified"))),
        description=summary,
        content=content_html or content_text,
        content_type="html" if content_html else "text",
        description_is_html=False,
        enclosures=enclosures,
        categories=categories,
        language=clean_language(_string(item.get("language"))),
    )


def _rss_in_json(channel: dict[str, Any], url: str) -> Feed:
    """Dave Winer's RSS-in-JSON: the RSS 2.0 element tree spelled as JSON objects."""
    link = resolve_link(_string(channel.get("link")), url)
    base = link or url
    raw_items = channel.get("item")
    items = raw_items if isinstance(raw_items, list) else [raw_items]
    articles = []
    for item in items[:_MAX_ITEMS]:
        if not isinstance(item, dict):
            continue
        guid = item.get("guid")
        guid_text = _string(guid.get("#value")) if isinstance(guid, dict) else _string(guid)
        enclosure = item.get("enclosure")
        enclosures = []
        if isinstance(enclosure, dict):
            made = make_enclosure(
                _string(enclosure.get("url")),
                _string(enclosure.get("type")),
                _string(enclosure.get("length")),
                base,
            )
            if made is not None:
                enclosures.append(made)
        category = item.get("category")
        categories = category if isinstance(category, list) else [category]
        articles.append(
            build_article(
                url,
                title=_string(item.get("title")),
                link=resolve_link(_string(item.get("link")), base),
                guid=guid_text,
                author=_string(item.get("author")),
                published=parse_date(_string(item.get("pubDate"))),
                description=_string(item.get("description")),
                enclosures=enclosures,
                categories=[name for name in categories if isinstance(name, str)],
            )
        )
    return finish_feed(
        url,
        title=_string(channel.get("title")),
        link=link,
        description=_string(channel.get("description")),
        language=clean_language(_string(channel.get("language"))),
        articles=articles,
    )
