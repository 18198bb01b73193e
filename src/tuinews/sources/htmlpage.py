"""A saved web page as one article: metadata from meta tags, body from <article>/<main>/<body>.

libxml2 caps element depth, so a page nested 20,000 levels deep is cut, never a
RecursionError; we walk trees only with its iterators, never recursively in Python.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tuinews.errors import FeedLinkingPage, SourceError
from tuinews.model import Direction
from tuinews.sources.markdown import parse_date
from tuinews.sources.plaintext import shorten
from tuinews.sources.sanitize import clean_line, clean_text, clean_url, html_to_plain

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Elements whose content is never article text.
_DROPPED = ("script", "style", "template", "noscript")
LEAD_MIN_WORDS = 12
_DATE_META_NAMES = ("date", "dc.date", "dcterms.date", "dc.date.issued", "pubdate")
# <link rel="alternate" type=...> values that announce a feed.
FEED_LINK_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
# A page's <head> (where feed links live) comes early: parse no more of the page.
FEED_LINK_SCAN_BYTES = 512 * 1024
_FEED_LINK_MAX_CHARS = 500  # longer "URLs" are not worth a line in an error message


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """Clean metadata and the inner HTML of the page's main element."""

    title: str
    body: str
    summary: str = ""
    published: datetime | None = None
    link: str | None = None
    author: str | None = None
    language: str | None = None
    direction: Direction | None = None


def _meta(doc: HtmlElement, *keys: str) -> str:
    """The content of the first <meta> whose property or name is one of `keys`."""
    wanted = {key.lower() for key in keys}
    found: dict[str, str] = {}
    for meta in doc.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in wanted and key not in found:
            found[key] = meta.get("content") or ""
    for key in keys:
        value = found.get(key.lower(), "").strip()
        if value:
            return value
    return ""


def _first(doc: HtmlElement, tag: str) -> HtmlElement | None:
    return next(doc.iter(tag), None)


def _main_element(doc: HtmlElement) -> HtmlElement | None:
    # Explicit None checks: an lxml element with no children is falsy.
    for tag in ("article", "main", "body"):
        element = _first(doc, tag)
        if element is not None:
            return element
    return None


def _http_url(value: str) -> str | None:
    url = clean_url(value)
    return url if url.lower().startswith(("http://", "https://")) else None


def _inner_html(element: HtmlElement) -> str:
    from lxml import etree

    parts = [html.escape(element.text, quote=False)] if element.text else []
    for child in element:
        parts.append(etree.tostring(child, encoding="unicode", method="html", with_tail=True))
    return "".join(parts).strip()


def _lead_paragraph(main: HtmlElement) -> str:
    """The first real paragraph (not a byline or a caption) as the summary."""
    for paragraph in main.iter("p"):
        text = clean_line(paragraph.text_content())
        if len(text.split()) >= LEAD_MIN_WORDS:
            return shorten(text)
    return ""


def _direction(value: str | None) -> Direction | None:
    lowered = (value or "").strip().lower()
    if lowered == "rtl":
        return "rtl"
    if lowered == "ltr":
        return "ltr"
    return None


_HEAD = re.compile(r"<head\b.*?</head\s*>", re.IGNORECASE | re.DOTALL)


def parse_html_page(text: str) -> HtmlPage:
    """Metadata and main content of an HTML page (text already decoded)."""
    import lxml.html
    from lxml import etree

    source = _XML_DECLARATION.sub("", text, count=1)
    if not source.strip():
        return HtmlPage(title="", body="")
    parser = lxml.html.HTMLParser()
    try:
        doc = lxml.html.document_fromstring(source, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return HtmlPage(title="", body="")
    # libxml2 stops at 256 levels of nesting and drops everything after that point: the
    # body is then all the page's text, without structure, as for a feed's body.
    too_deep = any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log)

    title = clean_line(_meta(doc, "og:title", "twitter:title"))
    if not title:
        element = _first(doc, "title")
        title = clean_line(element.text_content()) if element is not None else ""
    if not title:
        element = _first(doc, "h1")
        title = clean_line(element.text_content()) if element is not None else ""

    published = parse_date(_meta(doc, "article:published_time", *_DATE_META_NAMES))
    if published is None:
        for element in doc.iter("time"):
            published = parse_date(element.get("datetime") or "")
            if published:
                break

    author = clean_line(_meta(doc, "author", "dc.creator"))
    if not author:
        candidate = clean_line(_meta(doc, "article:author"))
        # Facebook's article:author is often a profile URL, not a name.
        author = "" if candidate.lower().startswith(("http://", "https://")) else candidate

    link = _http_url(_meta(doc, "og:url"))
    if link is None:
        for element in doc.iter("link"):
            if "canonical" in (element.get("rel") or "").lower().split():
                link = _http_url(element.get("href") or "")
                if link:
                    break

    main = _main_element(doc)
    body = summary = ""
    if main is not None:
        for dropped in list(main.iter(*_DROPPED)):
            dropped.drop_tree()
        heading = _first(main, "h1")
        # The reader shows the title above the body; the page's own copy would repeat it.
        if heading is not None and title and clean_line(heading.text_content()) == title:
            heading.drop_tree()
        body = clean_text(_inner_html(main))
        summary = _lead_paragraph(main)
    if too_deep:
        text = html_to_plain(_HEAD.sub("", source), limit=0)
        body, summary = f"<p>{html.escape(text)}</p>", ""

    return HtmlPage(
        title=title,
        body=body,
        summary=summary or html_to_plain(body),
        published=published,
        link=link,
        author=author or None,
        language=clean_line(doc.get("lang")) or None,
        direction=_direction(doc.get("dir"))
        or _direction(main.get("dir") if main is not None else None),
    )


def feed_links(data: bytes, page: str, limit: int = 3) -> tuple[str, ...]:
    """The feeds an HTML page announces with `<link rel="alternate" type=...>`, resolved
    against `page`: http(s) URLs, or for a local page (a path or file:// URL) also paths.

    Only the first FEED_LINK_SCAN_BYTES are parsed, by lxml with no network access.
    The URLs are untrusted text, cleaned here; show them only as plain text.
    """
    import lxml.html
    from lxml import etree

    head = data[:FEED_LINK_SCAN_BYTES]
    try:
        parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
        doc = lxml.html.document_fromstring(head, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return ()
    found: list[str] = []
    for element in doc.iter("link"):
        rels = (element.get("rel") or "").lower().split()
        kind = (element.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" not in rels or kind not in FEED_LINK_TYPES:
            continue
        url = _feed_link(element.get("href") or "", page)
        if url and url not in found:
            found.append(url)
            if len(found) == limit:
                break
    return tuple(found)


def _feed_link(href: str, page: str) -> str | None:
    from urllib.parse import urljoin, urlsplit

    href = clean_url(href)
    if not href or len(href) > _FEED_LINK_MAX_CHARS:
        return None
    if page.lower().startswith(("http://", "https://")):
        url = clean_url(urljoin(page, href))
        return url if url.lower().startswith(("http://", "https://")) else None
    if href.lower().startswith(("http://", "https://")):
        return href
    if href.startswith(("/", "#", "?")) or ":" in href.split("/", 1)[0]:
        # Another scheme (javascript:, data:, ftp://), or a path from the root of the
        # site the page was saved from, which names no file here.
        return None
    from pathlib import PurePosixPath
    from urllib.parse import unquote

    folder = PurePosixPath(unquote(urlsplit(page).path) if page.startswith("file:") else page)
    target = PurePosixPath(unquote(href.split("#", 1)[0].split("?", 1)[0]))
    resolved = str(folder.parent / target)
    return clean_line(resolved) or None


def html_page_reason(data: bytes, page: str) -> str:
    """Why an HTML page is not a feed, naming the feeds it links to (up to three)."""
    return _page_reason(feed_links(data, page))


def _page_reason(links: tuple[str, ...]) -> str:
    if not links:
        return "not a feed: looks like an HTML page"
    from tuinews.sources.sanitize import without_password

    noun = "the feed" if len(links) == 1 else "the feeds"
    # A relative link on a page at user:password@ keeps it: shown as ***.
    shown = ", ".join(without_password(link) for link in links)
    return f"not a feed: an HTML page; it links to {noun} {shown}"


def html_page_error(data: bytes, page: str) -> SourceError:
    """The error for an HTML page fetched as a feed: FeedLinkingPage when it links to
    feeds (a refresh may follow them), else a SourceError saying what it is."""
    links = feed_links(data, page)
    reason = _page_reason(links)
    return FeedLinkingPage(page, reason, links) if links else SourceError(page, reason)
