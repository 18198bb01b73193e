"""The fast path: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 read with lxml.

libxml2 is configured so that nothing leaves the document: no network, no DTD loading,
no entity resolution (external entities are never read and entity bombs never expand),
and its default depth and size limits stay on. Ill-formed documents are re-read in
recover mode, which keeps everything up to the damage (truncated feeds keep their items).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from tuinews.model import Article, Enclosure, Feed
from tuinews.sources.dates import parse_date
from tuinews.sources.encoding import xml_as_utf8
from tuinews.sources.feed_atom import ATOM_NAMESPACES, read_atom
from tuinews.sources.feed_build import (
    build_article,
    clean_language,
    fallback_title,
    finish_feed,
    make_enclosure,
    resolve_link,
)
from tuinews.sources.feed_cut import DocumentCut, document_cut, drop_unfinished_article
from tuinews.sources.feed_xmltext import (
    XML_LANG,
    Element,
    add_media_enclosures,
    inner_markup,
    join_names,
    local_name,
    looks_like_html,
    media_description,
    person_name,
    text_of,
    unique_enclosures,
    without_hostless,
)
from tuinews.sources.xml_references import fix_named_references

_RSS_NAMESPACES = frozenset(
    {
        "",
        "http://purl.org/rss/1.0/",
        "http://my.netscape.com/rdf/simple/0.9/",
        "http://backend.userland.com/rss2",
        "http://backend.userland.com/rss",
        "http://purl.org/net/rss1.1#",
    }
)
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_ABOUT = f"{{{_RDF}}}about"
_CORE_FIELDS = {
    "title": "title",
    "link": "link",
    "description": "description",
    "guid": "guid",
    "pubDate": "date",
    "pubdate": "date",
    "author": "author",
    "category": "category",
    "enclosure": "enclosure",
    "language": "language",
    "item": "item",
    "channel": "channel",
}
_EXTENSION_FIELDS = {
    "http://purl.org/dc/elements/1.1/": {
        "creator": "creator",
        "date": "date",
        "subject": "category",
        "language": "language",
        "title": "dc_title",
        "description": "dc_description",
        "identifier": "dc_identifier",
    },
    "http://purl.org/dc/terms/": {"issued": "date", "created": "date", "modified": "updated"},
    "http://purl.org/rss/1.0/modules/content/": {"encoded": "content"},
    "http://search.yahoo.com/mrss/": {
        "content": "media",
        "group": "media_group",
        "description": "media_description",
    },
    "http://www.itunes.com/dtds/podcast-1.0.dtd": {"author": "itunes_author"},
    "http://www.w3.org/1999/xhtml": {"body": "content"},
}
for _atom in ATOM_NAMESPACES:
    _EXTENSION_FIELDS[_atom] = {"link": "atom_link", "updated": "updated"}
# Looked up without a trailing slash, which feeds drop as they please (Taverncast's
# `xmlns:content="http://purl.org/rss/1.0/modules/content"`: every body was lost).
_EXTENSION_FIELDS = {name.rstrip("/"): fields for name, fields in _EXTENSION_FIELDS.items()}

_field_cache: dict[str, str] = {}
_FIELD_CACHE_LIMIT = 4096


def _field(tag: str) -> str:
    """What an RSS element means ("" for ignored), cached by its full tag."""
    field = _field_cache.get(tag)
    if field is not None:
        return field
    if tag[:1] == "{":
        namespace, _, local = tag[1:].partition("}")
    else:
        namespace, local = "", tag
    if namespace in _RSS_NAMESPACES:
        field = _CORE_FIELDS.get(local, "")
    else:
        field = _EXTENSION_FIELDS.get(namespace.lower().rstrip("/"), {}).get(local, "")
    if len(_field_cache) < _FIELD_CACHE_LIMIT:
        _field_cache[tag] = field
    return field


# C0 controls other than tab, LF and CR are not XML characters, raw or as references.
# One of them anywhere fails the strict parse, and the recovering parse then loses every
# '<' and '&' of escaped HTML bodies, so a failed document is retried without them.
# (Looked for only after a failure: a scan of every document would cost a third of a
# parse.)
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32)])
_CONTROL_REFERENCE = re.compile(
    rb"&#(?:0*(?:[0-8]|1[124-9]|2[0-9]|3[01])|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]));"
)


# A raw terminal escape sequence (not XML: an ESC byte makes the document ill-formed).
# Dropped whole, as sanitize drops one in text; dropping the ESC byte alone left the rest
# as text ("]0;PWN", "[2J"). Never past a "<" or "&" (the document's own markup), and an
# OSC string ends within 256 bytes.
_RAW_ESCAPE = re.compile(
    rb"\x1b(?:\[[0-;=-?]*[ -%'-/]*[@-~]"  # CSI
    rb"|[\]P^_X][^\x07\x1b<]{0,256}?(?:\x07|\x1b\\)"  # OSC, DCS and other strings
    rb"|[ -%'-/]*[0-;=-~])?"  # any other sequence
)


def _drop_illegal_controls(document: bytes) -> bytes:
    """The document without raw or referenced C0 controls (raw escape sequences whole);
    the same object if none."""
    if b"\x1b" in document:
        document = _RAW_ESCAPE.sub(b"", document)
    # Raw control bytes never occur inside UTF-8 multi-byte sequences: safe to drop.
    cleaned = document.translate(None, _CONTROL_BYTES)
    if b"&#" in cleaned:
        cleaned = _CONTROL_REFERENCE.sub(b"", cleaned)
    return document if cleaned == document else cleaned


# A terminal escape sequence written with character references (`&#27;[31m`,
# `&#27;]0;title&#7;`), in XML or in escaped or CDATA HTML alike. The parser drops an
# ESC reference (not a legal XML character) and would leave "[31m" as text; a reader
# has no use for any of it.
_ESCAPE_BY_REFERENCE = re.compile(
    rb"&#(?:0*27|[xX]0*1[bB]);"
    rb"(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clearing
    rb"|\][^&<\x07]{0,256}?(?:&#0*7;|&#[xX]0*7;|&#(?:0*27|[xX]0*1[bB]);\\)"  # OSC
    rb"|[@-Z\\-_])?"  # any other two-byte sequence
)


def _without_escape_references(document: bytes) -> bytes:
    if b"&#" not in document or _ESCAPE_BY_REFERENCE.search(document) is None:
        return document
    return _ESCAPE_BY_REFERENCE.sub(b"", document)


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
    )


@dataclass(slots=True)
class XmlOutcome:
    """Either a feed, or why the document is not one."""

    feed: Feed | None = None
    html_page: bool = False
    error: str | None = None
    # Ill-formed, and nothing survived the damage: a broken feed, not an empty one.
    broken: bool = False
    # Where a broken document ends early, and the feed title read before that.
    cut: DocumentCut | None = None
    title: str | None = None


def parse_xml_feed(data: bytes, url: str, content_type: str | None) -> XmlOutcome:
    document = fix_named_references(_without_escape_references(xml_as_utf8(data, content_type)))
    error: str | None = None
    cut: DocumentCut | None = None
    try:
        root = etree.fromstring(document, _parser(recover=False))
    except etree.XMLSyntaxError as exc:
        error = _describe(exc)
        root = None
        cleaned = _drop_illegal_controls(document)
        if cleaned is not document:
            document = fix_named_references(cleaned)
            try:
                root = etree.fromstring(document, _parser(recover=False))
            except etree.XMLSyntaxError:
                root = None
        if root is None:
            recovering = _parser(recover=True)
            try:
                root = etree.fromstring(document, recovering)
            except etree.XMLSyntaxError:
                root = None
            if root is not None:
                cut = document_cut(document, root, recovering.error_log)
    if root is None:
        return XmlOutcome(error=error or "no XML document")
    feed_root = _find_feed_root(root)
    if feed_root is None:
        is_html = local_name(root.tag).lower() == "html" if isinstance(root.tag, str) else False
        return XmlOutcome(html_page=is_html, error=error)
    name = local_name(feed_root.tag)
    if cut is not None:
        # The article the data ends in is a fragment (a link "http://", no date, no
        # body); stored, it would stay beside the real one once the whole feed is back.
        drop_unfinished_article(document, feed_root, "entry" if name == "feed" else "item")
    feed = read_atom(feed_root, url) if name == "feed" else _read_rss(feed_root, url)
    if error is not None and not feed.articles:
        # Recover mode keeps the items before the damage; with none, reporting "0 new"
        # would hide a feed cut short or garbled before its first item.
        title = feed.title if feed.title != fallback_title(url) else None
        return XmlOutcome(error=error, broken=True, cut=cut, title=title)
    if cut is not None:
        feed.cut = cut.describe()
    return XmlOutcome(feed=feed)


def _describe(exc: etree.XMLSyntaxError) -> str:
    message = str(exc.msg or "").strip().rstrip(".").split(",")[0].lower()
    line = exc.lineno or (exc.position[0] if exc.position else 0)
    return f"XML error at line {line}: {message or 'ill-formed document'}"


def _find_feed_root(root: Element) -> Element | None:
    if not isinstance(root.tag, str):
        return None
    if _is_feed_element(root):
        return root
    # A feed wrapped in another document (Atom inside an XHTML page): the first one found.
    for element in root.iter():
        if isinstance(element.tag, str) and _is_feed_element(element):
            return element
    return None


def _is_feed_element(element: Element) -> bool:
    tag: str = element.tag
    name = local_name(tag)
    if name == "feed":
        return tag == "feed" or tag.partition("}")[0][1:] in ATOM_NAMESPACES
    if name == "rss":
        return True
    return name == "RDF" and tag.startswith("{" + _RDF)


def _read_rss(root: Element, url: str) -> Feed:
    channel: Element | None = None
    items: list[Element] = []
    for child in root:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        field = _field(tag)
        if field == "channel" and channel is None:
            channel = child
        elif field == "item":
            items.append(child)  # RSS 0.90/1.0 keep items beside the channel
    title = link = description = language = None
    if channel is not None:
        for child in channel:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            field = _field(tag)
            if field == "item":
                items.append(child)
            elif field == "title" and title is None:
                title = text_of(child)
            elif field == "link" and link is None:
                link = text_of(child)
            elif field in ("description", "dc_description") and description is None:
                description = text_of(child)
            elif field == "language" and language is None:
                language = text_of(child)
    language = clean_language(language or root.get(XML_LANG))
    feed_link = without_hostless(resolve_link(link, url))
    base = feed_link or url
    articles = [_read_item(item, url, base) for item in items]
    return finish_feed(
        url,
        title=_plain_title(title),
        link=feed_link,
        description=description,
        language=language,
        articles=articles,
    )


def _plain_title(title: str | None) -> str | None:
    """An RSS title with markup in it (escaped, as many feeds write it: "Hostile
    &lt;i&gt;feed&lt;/i&gt;") as the text it marks up; the channel's as its items'."""
    if title and "<" in title and looks_like_html(title):
        from tuinews.sources.sanitize import title_to_plain

        return title_to_plain(title[:10_000])
    return title


_AUTHOR_WITH_NAME = re.compile(r"\s*\S+@\S+\s*\((.+)\)\s*\Z")


def _read_item(item: Element, url: str, base: str) -> Article:
    title = link = guid = description = content = author = itunes_author = None
    authors: list[str] | None = None  # only when an item names more than one
    author_field = ""
    date_text = updated_text = None
    guid_is_link = True
    categories: list[str] = []
    enclosures: list[Enclosure] = []
    media: tuple[str, bool] | None = None  # a <media:description>
    language = item.get(XML_LANG)
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        field = _field_cache.get(tag) or _field(tag)
        if not field:
            continue
        if field == "title":
            title = text_of(child) if len(child) else child.text or ""
        elif field == "link":
            link = link or text_of(child)
        elif field == "description":
            description = inner_markup(child) if len(child) else child.text
        elif field == "content":
            content = inner_markup(child) if len(child) else child.text
        elif field == "guid":
            guid = text_of(child) if len(child) else child.text or ""
            guid_is_link = (child.get("isPermaLink") or "true").strip().lower() != "false"
        elif field == "date":
            date_text = date_text or child.text
        elif field == "updated":
            updated_text = updated_text or child.text
        elif field == "itunes_author":
            itunes_author = itunes_author or text_of(child)
        elif field in ("author", "creator"):
            # Several of one kind are several people; <author> beside <dc:creator> is
            # usually one person twice (an address, a name): the first kind is kept.
            if author is None:
                author, author_field = person_name(child), field
            elif field == author_field:
                authors = authors or [author]
                authors.append(person_name(child))
        elif field == "category":
            categories.append(text_of(child))
        elif field == "enclosure":
            enclosure = make_enclosure(
                child.get("url"), child.get("type"), child.get("length"), base
            )
            if enclosure is not None:
                enclosures.append(enclosure)
        elif field in ("media", "media_group"):
            add_media_enclosures(child, base, enclosures)
            if field == "media_group" and media is None:
                media = media_description(child)
        elif field == "media_description":
            media = media or media_description(child)
        elif field == "atom_link":
            rel = child.get("rel") or "alternate"
            if rel == "alternate" and link is None:
                link = child.get("href")
            elif rel == "enclosure":
                enclosure = make_enclosure(
                    child.get("href"), child.get("type"), child.get("length"), base
                )
                if enclosure is not None:
                    enclosures.append(enclosure)
        elif field == "dc_title":
            title = title or text_of(child)
        elif field == "dc_description":
            description = description or text_of(child)
        elif field == "dc_identifier":
            guid = guid or text_of(child)
        elif field == "language":
            language = language or text_of(child)
    about = item.get(_RDF_ABOUT)
    if about is not None:
        # RSS 1.0 names each item by its URI: its identity (items that share a <link>
        # are distinct) and, without a <link>, its address. Most feeds repeat the link
        # there; those keep the link as their key, as stores made before this hold it.
        if guid is None and link is not None and about.strip() != link.strip():
            guid = about
        link = link or about
    resolved = without_hostless(resolve_link(link.strip(), base)) if link else None
    if resolved is None and guid and guid_is_link:
        candidate = guid.strip()
        if candidate.startswith(("http://", "https://")):
            resolved = without_hostless(resolve_link(candidate, None))
    title = _plain_title(title)
    if authors:
        author = join_names([_without_address(name) for name in authors])
    elif author:
        author = _without_address(author)
    else:
        author = itunes_author
    description_is_html = True
    if media is not None and not (description or content):
        description, description_is_html = media  # a video's only words
    return build_article(
        url,
        title=title,
        link=resolved,
        guid=guid,
        author=author,
        published=parse_date(date_text) if date_text else None,
        updated=parse_date(updated_text) if updated_text else None,
        description=description,
        description_is_html=description_is_html,
        content=content,
        enclosures=unique_enclosures(enclosures) if enclosures else (),
        categories=categories,
        language=clean_language(language) if language else None,
    )


def _without_address(author: str) -> str:
    """ "jo@example.org (Jo Writer)" is "Jo Writer"."""
    named = _AUTHOR_WITH_NAME.match(author[:2000])
    return author if named is None else named.group(1)
