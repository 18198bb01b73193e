"""Atom 1.0 and Atom 0.3 read from an lxml tree (the root <feed> element)."""

from __future__ import annotations

from tuinews.model import Article, ContentType, Enclosure, Feed
from tuinews.sources.dates import parse_date
from tuinews.sources.feed_build import (
    build_article,
    clean_language,
    finish_feed,
    make_enclosure,
    resolve_link,
)
from tuinews.sources.feed_xmltext import (
    XML_LANG,
    Element,
    absolute_links,
    add_media_enclosures,
    body_base,
    element_link,
    inner_markup,
    join_names,
    media_description,
    text_of,
    unique_enclosures,
    without_hostless,
    xhtml_inner,
)
from tuinews.sources.sanitize import title_to_plain

ATOM_NAMESPACES = frozenset(
    {
        "http://www.w3.org/2005/Atom",
        "https://www.w3.org/2005/Atom",
        "http://purl.org/atom/ns#",
        "",  # a <feed> with no namespace at all is read as Atom too
    }
)
_MEDIA = "http://search.yahoo.com/mrss"  # with or without its "/"


def _atom_children(element: Element) -> list[tuple[str, Element]]:
    """(local name, child) for the Atom children of an element; extensions skipped."""
    found = []
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag[:1] == "{":
            namespace, _, local = tag[1:].partition("}")
            if namespace not in ATOM_NAMESPACES:
                if namespace.rstrip("/") == _MEDIA and local in ("content", "group", "description"):
                    found.append(("media:" + local, child))
                continue
        else:
            local = tag
        found.append((local, child))
    return found


def _body(element: Element) -> tuple[str, ContentType]:
    """The text of an Atom text construct or content element, and whether it is HTML."""
    kind = (element.get("type") or "text").strip().lower()
    mode = (element.get("mode") or "").strip().lower()  # Atom 0.3
    if kind == "xhtml" or kind == "application/xhtml+xml" or mode == "xml":
        return xhtml_inner(element), "html"
    if kind in ("html", "text/html"):
        return inner_markup(element) if len(element) else (element.text or ""), "html"
    if kind in ("text", "text/plain"):
        return text_of(element), "text"
    if len(element):
        return inner_markup(element), "html"
    return element.text or "", "text" if kind.startswith("text/") else "html"


def _under_base(html: str, element: Element, fallback_base: str) -> str:
    """An HTML body with its relative links made absolute when an xml:base is in force
    on it (see `absolute_links`); as it is otherwise."""
    base = body_base(element, fallback_base)
    return absolute_links(html, base) if base else html


def _title(element: Element) -> str:
    text, kind = _body(element)
    if kind == "html":
        return title_to_plain(text[:10_000])
    # Plain text: markup stripping would eat a literal "<"; clean_entity_line runs later.
    return text.replace("&", "&amp;") if "&" in text else text


def _person(element: Element) -> str | None:
    name = email = None
    for local, child in _atom_children(element):
        if local == "name":
            name = text_of(child)
        elif local == "email":
            email = text_of(child)
    return (name or "").strip() or (email or "").strip() or text_of(element).strip() or None


def read_atom(root: Element, url: str) -> Feed:
    title = link = description = author = None
    entries = []
    for local, child in _atom_children(root):
        if local == "entry":
            entries.append(child)
        elif local == "title" and title is None:
            title = _title(child)
        elif local == "link" and link is None:
            if (child.get("rel") or "alternate") == "alternate":
                link = element_link(child.get("href"), child, url)
        elif local in ("subtitle", "tagline") and description is None:
            description = _body(child)[0]
        elif local == "author" and author is None:
            author = _person(child)
    language = clean_language(root.get(XML_LANG))
    base = link or url
    articles = [_read_entry(entry, url, base, author) for entry in entries]
    return finish_feed(
        url,
        title=title,
        link=link,
        description=description,
        language=language,
        articles=articles,
    )


def _read_entry(entry: Element, url: str, base: str, feed_author: str | None) -> Article:
    title = guid = summary = None
    authors: list[str] = []
    content: str | None = None
    content_type: ContentType = "html"
    summary_is_html = True
    link = None
    link_rank = 99
    published_text = updated_text = None
    categories: list[str] = []
    enclosures: list[Enclosure] = []
    media: tuple[str, bool] | None = None  # a <media:description>
    for local, child in _atom_children(entry):
        if local == "title":
            title = _title(child)
        elif local == "link":
            rel = (child.get("rel") or "alternate").strip()
            if rel == "alternate":
                # Prefer the HTML page over other alternates (e.g. an audio file).
                rank = 0 if (child.get("type") or "text/html") in ("text/html", "") else 1
                if rank < link_rank:
                    link, link_rank = element_link(child.get("href"), child, base), rank
            elif rel == "enclosure":
                enclosure = make_enclosure(
                    element_link(child.get("href"), child, base),
                    child.get("type"),
                    child.get("length"),
                    None,
                )
                if enclosure is not None:
                    enclosures.append(enclosure)
        elif local == "id":
            guid = text_of(child)
        elif local in ("published", "issued", "created"):
            published_text = published_text or child.text
        elif local in ("updated", "modified"):
            updated_text = updated_text or child.text
        elif local == "content" and content is None:
            if child.get("src") and not len(child) and not child.text:
                link = link or element_link(child.get("src"), child, base)
                continue
            content, content_type = _body(child)
            if content_type == "html":
                content = _under_base(content, child, base)
        elif local == "summary" and summary is None:
            summary, kind = _body(child)
            summary_is_html = kind == "html"
            if summary_is_html:
                summary = _under_base(summary, child, base)
        elif local == "author":
            authors.append(_person(child) or "")
        elif local == "category":
            categories.append(child.get("label") or child.get("term") or text_of(child))
        elif local.startswith("media:"):
            if local != "media:description":
                add_media_enclosures(child, base, enclosures)
            if local != "media:content" and media is None:
                media = media_description(child)
    if summary is None and content is None and media is not None:
        summary, summary_is_html = media  # YouTube's: the video's only words
    if link is None and guid and guid.strip().startswith(("http://", "https://")):
        link = without_hostless(resolve_link(guid, None))
    return build_article(
        url,
        title=title,
        link=link,
        guid=guid,
        author=(join_names(authors) if authors else None) or feed_author,
        published=parse_date(published_text),
        updated=parse_date(updated_text),
        description=summary,
        content=content,
        content_type=content_type,
        description_is_html=summary_is_html,
        enclosures=unique_enclosures(enclosures),
        categories=categories,
        language=clean_language(entry.get(XML_LANG)),
    )
