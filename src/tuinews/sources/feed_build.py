"""Turn raw fields read from any feed format into clean `Article`/`Feed` objects.

Every parser (XML, JSON, feedparser fallback) hands its untrusted strings to
`build_article` and `finish_feed`, so sanitising, size caps, link resolution and
ordering live in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import PurePath
from urllib.parse import urljoin, urlsplit

from tuinews.model import (
    UNTITLED,
    Article,
    ContentType,
    Direction,
    Enclosure,
    Feed,
    article_id,
    article_key,
    link_sharing,
)
from tuinews.sources.sanitize import (
    SUMMARY_LIMIT,
    UNSAFE_URL_SCHEMES,
    clean_entity_line,
    clean_line,
    clean_text,
    clean_url,
    cut_digest,
    html_to_plain,
    plain_digest,
    title_or_fallback,
)

# Caps against hostile feeds; real titles are far shorter and real bodies far smaller.
TITLE_LIMIT = 1_000
LINE_LIMIT = 2_000
BODY_LIMIT = 2_000_000
URL_LIMIT = 8_000
# The summary is a digest of the body's start; scanning all of a 2 MB body is wasted work.
_SUMMARY_SOURCE_LIMIT = 32_000
# Longer than any character reference html.unescape reads (the longest name is 32).
_DIGEST_TAIL_MARGIN = 64
_MAX_CATEGORIES = 50
_MAX_ENCLOSURES = 50

_RTL_LANGUAGES = frozenset({"ar", "he", "iw", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DIGITS = re.compile(r"\d{1,18}")


def _cut_line(value: str, limit: int) -> str:
    """A one-line field of at most `limit` characters of source, "…" saying it was cut
    (a 10,000-character title was stored cut without a sign)."""
    if len(value) <= limit:
        return _line(value)
    return _line(value[: limit - 1]).rstrip() + "…"


def _line(value: str) -> str:
    """clean_entity_line, skipping the work when it provably changes nothing.

    A printable string (no controls, no separators but ASCII space) with no "&", no
    doubled or edge spaces is already what clean_entity_line would return.
    """
    if value.isprintable() and "&" not in value and "  " not in value and value == value.strip():
        return value
    return clean_entity_line(value)


def summary_of(body: str, is_html: bool) -> str:
    """html_to_plain of the body, fed only as much of a long body as the summary needs."""
    if not is_html:
        body = _escape_for_plain(body[:_SUMMARY_SOURCE_LIMIT])
    # The summary depends only on the digest's first SUMMARY_LIMIT characters (see
    # cut_digest). A prefix of the body digests to a prefix of the whole digest, except
    # for a damaged tail no longer than a cut word or character reference; so once a
    # prefix's digest outruns the limit by more than that margin, it gives the very same
    # summary. Text-dense HTML shrinks little, so 1.5 times the limit usually suffices.
    size = 3 * SUMMARY_LIMIT // 2
    while size < min(len(body), _SUMMARY_SOURCE_LIMIT):
        digest = plain_digest(body[:size])
        if len(digest) > SUMMARY_LIMIT + _DIGEST_TAIL_MARGIN:
            return cut_digest(digest, SUMMARY_LIMIT)
        size *= 4
    return html_to_plain(body[:_SUMMARY_SOURCE_LIMIT])


def direction_for(language: str | None) -> Direction | None:
    """ "rtl" for right-to-left languages (any regional variant), else None."""
    if not language:
        return None
    primary = language.replace("_", "-").split("-", 1)[0].strip().lower()
    return "rtl" if primary in _RTL_LANGUAGES else None


def clean_language(value: str | None) -> str | None:
    language = clean_line(value[:40] if value else value)
    return language or None


def resolve_link(value: str | None, base: str | None) -> str | None:
    """An absolute link, resolved against `base` when relative; None when unusable.

    Links with another scheme (mailto:, magnet:) are kept as they are; script-bearing
    schemes are dropped so nothing downstream can be tricked into following them.
    """
    if not value:
        return None
    link = value if len(value) < URL_LIMIT and value.isprintable() and " " not in value else ""
    link = link or clean_url(value[:URL_LIMIT])
    if not link:
        return None
    if link.startswith(("https://", "http://")):
        return link
    scheme = _SCHEME.match(link)
    if scheme is not None and not link.startswith("//"):
        name = scheme.group(0)[:-1].lower()
        if name in ("http", "https"):
            return link
        return None if name in UNSAFE_URL_SCHEMES else link
    if not base or not base.startswith(("https://", "http://")):
        # Nothing to resolve against: never invent a scheme or host.
        return None
    try:
        resolved = urljoin(base, link)
    except ValueError:
        return None
    return clean_url(resolved) if resolved.startswith(("https://", "http://")) else None


def parse_length(value: str | int | float | None) -> int | None:
    """An enclosure length in bytes; None when absent, negative or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if 0 <= value < 10**18 else None
    match = _DIGITS.fullmatch(value.strip())
    return int(match.group(0)) if match else None


def make_enclosure(
    url: str | None, type_: str | None, length: str | int | float | None, base: str | None
) -> Enclosure | None:
    link = resolve_link(url, base)
    if link is None:
        return None
    media_type = clean_line(type_[:200]) if type_ else ""
    return Enclosure(url=link, type=media_type or None, length=parse_length(length))


def build_article(
    feed_url: str,
    *,
    title: str | None,
    link: str | None,
    guid: str | None,
    author: str | None = None,
    published: datetime | None = None,
    updated: datetime | None = None,
    description: str | None = None,
    content: str | None = None,
    content_type: ContentType = "html",
    description_is_html: bool = True,
    enclosures: Iterable[Enclosure] = (),
    categories: Iterable[str] = (),
    language: str | None = None,
) -> Article:
    """An `Article` from raw strings; `link` must already be resolved (see resolve_link)."""
    clean_title = _cut_line(title, TITLE_LIMIT) if title else ""
    body = content or description or ""
    if content:
        body_type: ContentType = content_type
    else:
        body_type = "html" if description_is_html else "text"
    if len(body) > BODY_LIMIT:
        from tuinews.sources.body_cut import cut_body  # rare: a body of megabytes

        body = cut_body(body, body_type == "html", BODY_LIMIT)
    digest_source = description or content or ""
    digest_is_html = description_is_html if description else body_type == "html"
    summary = summary_of(digest_source, digest_is_html)
    clean_guid = _line(guid[:URL_LIMIT]) if guid and "&" not in guid else None
    if guid and clean_guid is None:
        clean_guid = clean_line(guid[:URL_LIMIT])
    clean_title = title_or_fallback(clean_title, summary, link)
    key = article_key(clean_guid or None, link, clean_title, published)
    # Positional: a dataclass built from keywords costs four times as much (1.7 us against
    # 0.4 us), a tenth of the parse of a short item. The order is the field order of Article.
    article = Article(
        article_id(feed_url, key),  # id
        feed_url,  # feed
        clean_title,  # title
        link,
        clean_guid or None,  # guid
        (_line(author[:LINE_LIMIT]) or None) if author else None,  # author
        published,
        updated,
        summary,
        clean_text(body),  # content
        body_type,  # content_type
        tuple(enclosures)[:_MAX_ENCLOSURES] if enclosures else (),  # enclosures
        _categories(categories) if categories else (),  # categories
        language,
        direction_for(language) if language else None,  # direction
    )
    return article


def _escape_for_plain(text: str) -> str:
    # Plain text must survive html_to_plain unchanged: hide its angle brackets and ampersands.
    if "<" in text or "&" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;")
    return text


def _categories(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        name = _line(value[:LINE_LIMIT]) if value else ""
        if name and name not in seen:
            seen[name] = None
            if len(seen) >= _MAX_CATEGORIES:
                break
    return tuple(seen)


def fallback_title(url: str) -> str:
    """A feed with no title is named after its host, else its file name."""
    parts = urlsplit(url) if "://" in url else None
    if parts is not None and parts.hostname:
        return clean_line(parts.hostname)
    name = PurePath(url.removeprefix("file://")).name
    return clean_line(name) or "(untitled)"


def finish_feed(
    url: str,
    *,
    title: str | None,
    link: str | None,
    description: str | None,
    language: str | None,
    articles: Sequence[Article],
    description_is_html: bool = True,
) -> Feed:
    """The `Feed`: articles deduplicated by id (first wins) and ordered newest first."""
    feed_title = _cut_line(title, TITLE_LIMIT) if title else ""
    feed_title = feed_title or fallback_title(url)
    about = description[:_SUMMARY_SOURCE_LIMIT] if description else ""
    about = html_to_plain(about if description_is_html else _escape_for_plain(about), 0)
    seen: set[str] = set()
    dated: list[Article] = []
    undated: list[Article] = []
    direction = direction_for(language)
    rekey_shared_links(articles)
    for article in articles:
        if article.id in seen or _is_empty(article):
            continue
        seen.add(article.id)
        article.feed_title = feed_title
        if article.language is None and language:
            article.language = language
            article.direction = direction
        (dated if (article.published or article.updated) else undated).append(article)
    # sort() is stable, so equal dates keep document order.
    dated.sort(key=_sort_date, reverse=True)
    return Feed(
        url=url,
        title=feed_title,
        link=link,
        description=about,
        language=language,
        direction=direction,
        articles=dated + undated,
    )


def rekey_shared_links(articles: Sequence[Article]) -> None:
    """New ids for the items without guid that share their link and date with another
    item of the document (see `article_key`): else they would be taken for one."""
    levels = link_sharing(articles)
    if levels is None:
        return
    for article, shared in zip(articles, levels, strict=True):
        if shared:
            key = article_key(
                None, article.link, article.title, article.published, shared, article.content
            )
            article.id = article_id(article.feed, key)


def _is_empty(article: Article) -> bool:
    # An <item/> with nothing in it (templates emit them) is not an article.
    return (
        article.title == UNTITLED
        and article.link is None
        and article.guid is None
        and not article.content
        and not article.enclosures
    )


def _sort_date(article: Article) -> datetime:
    date = article.published or article.updated
    assert date is not None
    return date
