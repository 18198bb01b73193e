"""OPML subscription lists (1.0, 1.1, 2.0): import with repairs, export for other readers.

Real exports are often not well-formed XML: raw `&` in titles, unescaped quotes inside
attribute values, BOMs, bidi controls. We parse strictly first, and only when that fails
repair those two faults and let libxml2's recover mode take the rest.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from tuinews.errors import ConfigError, SourceError
from tuinews.model import Subscription
from tuinews.sources.detect import declared_charset, decode_text
from tuinews.sources.encoding import utf8_or_cp1252
from tuinews.sources.sanitize import clean_line, clean_url, without_password
from tuinews.sources.subscription_merge import (
    LocalFiles,
    local_entry,
    merge_subscription,
    quoted,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

# An `&` that does not start a character or entity reference.
_RAW_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z][\w.-]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# One start tag of an outline; its end is a `>` followed by the next tag or a line end,
# so `&>` inside a title does not end it, nor does raw markup in a description
# (`<a href="…">Basecamp</a>`): a `<` that does not start an outline tag is part of it.
# Written so that no character can be matched two ways: the scan stays linear on
# hostile input.
_OUTLINE_TAG = re.compile(
    r"<outline\b(?P<body>[^<>]*(?:(?:>(?!\s*(?:<|$))|<(?!/?outline\b))[^<>]*)*)"
    r"(?P<end>/?>)(?=\s*(?:<|$))",
    re.MULTILINE,
)
_ATTRIBUTE_START = re.compile(r"(?:^|(?<=\s))(?P<name>[A-Za-z_][\w:.-]*)\s*=\s*\"")
# Characters XML 1.0 cannot carry at all (lxml refuses them when writing).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CATEGORY_SPECIALS = "%,/"
# Ends the line `parse_opml_report` gives first for XML damaged beyond the repairs.
DAMAGE_NOTE = ": read what could be read, some feeds may be missing"
# libxml2's errors in recover mode that drop a character or an entity, nothing more.
_NO_DAMAGE = frozenset({"ERR_INVALID_CHAR", "ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY"})
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _repair_outline_quotes(match: re.Match[str]) -> str:
    """Re-escape quotes inside attribute values of one outline tag (`text="A "B" C"`)."""
    body, end = match.group("body").rstrip(), match.group("end")
    if body.endswith("/"):
        body, end = body[:-1].rstrip(), "/>"
    if "='" in body or "= '" in body:
        return match.group(0)
    starts = list(_ATTRIBUTE_START.finditer(body))
    if not starts:
        return match.group(0)
    parts = [body[: starts[0].start()]]
    for index, start in enumerate(starts):
        value_end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        raw = body[start.end() : value_end].rstrip()
        value = raw[:-1] if raw.endswith('"') else raw
        value = value.replace('"', "&quot;").replace("<", "&lt;")
        parts.append(f' {start.group("name")}="{value}"')
    return "<outline" + "".join(parts) + end


def _repair(text: str) -> str:
    text = _RAW_AMPERSAND.sub("&amp;", text)
    return _OUTLINE_TAG.sub(_repair_outline_quotes, text)


def _opml_text(data: bytes) -> tuple[str, str | None]:
    """The list's text, and the encoding assumed, named for the user, when the bytes are
    not what they say (None: they are).

    XML names its encoding by a byte-order mark or its declaration; with neither it is
    UTF-8 (UTF-16 without a mark still shows by its zero bytes). A list that says or
    implies UTF-8 and is not (Latin-1 from an old editor) is read as windows-1252, as a
    newsboat urls file is, and said: charset-normalizer's guess took short Spanish text
    for Central European ("España" became "Espańa"), silently.
    """
    declared = declared_charset(data)
    try:
        codec = codecs.lookup(declared).name if declared else None
    except LookupError:
        codec = None
    if codec is not None and not codec.startswith(("utf-", "ascii")):
        return decode_text(data, declared), None  # a legacy charset named: believed
    return utf8_or_cp1252(data)


def _parse_tree(data: bytes, source: str) -> tuple[_Element, str | None, str | None]:
    """The document's root; what damage the repairs could not mend (None: none):
    libxml2's recover mode then read what it could, and feeds may be missing; and the
    encoding assumed (see `_opml_text`)."""
    from lxml import etree

    from tuinews.sources.xml_references import fix_named_references

    text, assumed = _opml_text(data)
    text = _XML_DECLARATION.sub("", text, count=1)
    # Lists escaped as HTML (`Caf&eacute;`, `&nbsp;`): libxml2 would drop the references.
    encoded = fix_named_references(text.encode("utf-8", errors="replace"))
    strict = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, encoding="utf-8"
    )
    damage = None
    try:
        root = etree.fromstring(encoded, strict)
    except (etree.XMLSyntaxError, ValueError):
        lenient = etree.XMLParser(
            recover=True, resolve_entities=False, no_network=True, load_dtd=False, encoding="utf-8"
        )
        try:
            repaired = fix_named_references(_repair(text).encode("utf-8", errors="replace"))
            root = etree.fromstring(repaired, lenient)
        except (etree.XMLSyntaxError, ValueError) as error:
            raise SourceError(source, "not an OPML file (unreadable XML)") from error
        # A file cut short, a tag left open: what follows may be lost, and unsaid it
        # would look like a complete import. A character XML cannot hold (`&#x7;`, a
        # raw control) is only dropped: that is no damage, nor is a reference to an
        # entity nothing defines (`&no.such;`), which loses a word, no feed.
        lost = [e for e in lenient.error_log if e.type_name not in _NO_DAMAGE]
        if lost:
            damage = f"damaged XML at line {lost[0].line} ({clean_line(lost[0].message)})"
    if root is None or not isinstance(root.tag, str) or etree.QName(root).localname != "opml":
        raise SourceError(source, "not an OPML file")
    return root, damage, assumed


def _attribute(element: _Element, name: str) -> str:
    """An attribute by case-insensitive local name (`xmlUrl`, `xmlurl`, `XMLURL`)."""
    attrib = element.attrib
    wanted = name.lower()
    for key, value in attrib.items():
        local = str(key).rsplit("}", 1)[-1]
        if local.lower() == wanted:
            return str(value)
    return ""


def _category_tags(value: str) -> list[str]:
    tags: list[str] = []
    for path in value.split(","):
        for level in path.strip().split("/"):
            tag = clean_line(unquote(level))
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def _web_address(source: str) -> str | None:
    """`source` when it is an http(s) URL, without its user:password@ part (the name in
    messages shows the password as ***, which must not become part of a feed's URL)."""
    if not source.lower().startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(source)
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _resolve_url(
    raw: str, base: Path | None, local_files: LocalFiles, base_url: str | None = None
) -> tuple[str | None, str]:
    """A usable subscription URL, or None and why not."""
    url = clean_url(raw)
    if not url:
        return None, "no feed URL"
    if url.lower().startswith("feed:"):
        # feed://host/x, feed:https://host/x and feed://https://host/x: old browser
        # conventions for http(s), read as `tuinews add` reads them.
        from tuinews.config import without_feed_scheme

        url = without_feed_scheme(url)
    if base_url is not None and not _HAS_SCHEME.match(url):
        # A list from the web names its neighbours as a page names its links; the result
        # is a web address on the list's own scheme, never a local file.
        url = urljoin(base_url, url)
    shown = quoted(without_password(url))
    try:
        parts = urlsplit(url) if "\\" not in url else None
        host = parts.hostname if parts else None  # raises on a malformed [IPv6] host
    except ValueError as error:
        return None, f"malformed URL {shown} ({error})"
    scheme = parts.scheme.lower() if parts else ""
    if scheme in {"http", "https"} and host:
        if any(char.isspace() for char in raw.strip()):
            # clean_url dropped them: the address left would be another ("exa mple.com")
            return None, f"URL contains spaces {quoted(without_password(raw.strip()))}"
        return url, ""
    if scheme == "file":
        from tuinews.sources.local import path_from_file_url

        try:
            return local_entry(path_from_file_url(url), base, local_files)
        except SourceError as error:
            return None, f"{error.reason} {shown}"
    if not scheme and url.startswith("/") and not url.startswith("//"):
        return local_entry(Path(unquote(url)), base, local_files)
    if not scheme and not url.startswith("//"):
        # A relative path that names nothing is more likely a URL without its scheme.
        if base is not None and (base / unquote(url)).exists():
            return local_entry(Path(unquote(url)), base, local_files)
        return None, f"relative URL {shown}"
    if scheme in {"http", "https"}:
        return None, f"URL has no host {shown}"
    return None, f"not an http(s) URL {shown}"


def parse_opml_report(
    data: bytes,
    source: str,
    *,
    base: Path | None = None,
    local_files: LocalFiles = "inside",
    merge: bool = True,
    base_url: str | None = None,
    notes: list[str] | None = None,
    folders: dict[str, list[str]] | None = None,
) -> tuple[list[Subscription], list[str]]:
    """Subscriptions in document order, and one line per outline that was skipped (and
    first, when the XML was damaged beyond the repairs, one line saying where).

    `folders`, when given, gets the folders each folder holding a feed sits in (a feed
    in Work > News: News in Work), for an export to nest them again: tags alone cannot
    say it (a feed tagged Work and News may stand in two folders side by side).

    `local_files` says which local files entries may name (see `LocalFiles`; none
    without `base`). `merge=False` keeps an entry per outline, repeats included, for
    a caller that counts them. `base_url` is the web address the list came from (by
    default `source` itself when it is an http(s) URL, less any user:password@):
    relative feed and page addresses resolve against it. `notes`, when given, gets the
    lines worth telling that name no entry: the encoding assumed for a list that is not
    UTF-8 as it says or implies ("not UTF-8 text; read as windows-1252 (Latin-1)").
    """
    if base_url is None:
        base_url = _web_address(source)
    root, damage, assumed = _parse_tree(data, source)
    if assumed is not None and notes is not None:
        notes.append(f"not UTF-8 text; read as {assumed}")
    found: dict[str, Subscription] = {}
    entries: list[Subscription] = []
    skipped: list[str] = []
    if damage is not None:
        skipped.append(damage + DAMAGE_NOTE)
    body = next((child for child in root if _local(child) == "body"), root)
    # Explicit stack: a hostile file may nest outlines deeper than Python recursion allows.
    stack: list[tuple[_Element, tuple[str, ...]]] = [(child, ()) for child in reversed(body)]
    while stack:
        element, element_folders = stack.pop()
        if _local(element) != "outline":
            continue
        raw_url = _feed_address(element)
        title = clean_line(_attribute(element, "title")) or clean_line(_attribute(element, "text"))
        if title and title in (clean_line(raw_url), without_password(clean_line(raw_url))):
            title = ""  # a feed named by its URL (our export's, and others') has no title
        if _attribute(element, "isComment").strip().lower() == "true":
            # OPML 2.0: commented out, with all it holds; the user set those feeds aside.
            skipped.extend(_commented_out(element, title, raw_url))
            continue
        children = [child for child in element if _local(child) == "outline"]
        kind = _attribute(element, "type").strip()
        if raw_url and _SCRAPED.search(kind):
            # FreshRSS scrapes web pages into feeds (its xmlUrl is the page): read as a
            # feed here, it failed at every refresh as "not a feed".
            name = title or without_password(clean_url(raw_url))
            skipped.append(
                f"skipped {quoted(name)}: a page FreshRSS scrapes into a feed (type "
                f"{quoted(kind[:40])}), not a feed"
            )
            continue
        if raw_url or not children:
            url, why = _resolve_url(raw_url, base, local_files, base_url)
            if url is None:
                if raw_url or _attribute(element, "type").lower() not in {"folder", "category"}:
                    name = title or without_password(clean_url(raw_url))
                    skipped.append(f"skipped {quoted(name) if name else '(untitled)'}: {why}")
            else:
                # A `category` naming every folder the outline sits in is the feed's
                # whole tag list, in its order (our export's: a feed stands in each of
                # its folders). Otherwise the folders first, so the folder it sat in
                # stays its first tag.
                tags = list(dict.fromkeys(element_folders))
                listed = _category_tags(_attribute(element, "category"))
                if set(tags) <= set(listed):
                    tags = []
                tags += [t for t in listed if t not in tags]
                html_url = _page_url(_attribute(element, "htmlUrl"), base_url)
                entry = Subscription(url, title or None, tuple(tags), html_url)
                if folders is not None:
                    for outside, folder in itertools.pairwise(element_folders):
                        within = folders.setdefault(folder, [])
                        if outside not in within:
                            within.append(outside)
                if merge:
                    merge_subscription(found, entry)
                else:
                    entries.append(entry)
        inner = (
            (*element_folders, title)
            if title and not raw_url and title not in element_folders
            else element_folders
        )
        stack.extend((child, inner) for child in reversed(children))
    return (list(found.values()) if merge else entries), skipped


# FreshRSS's outline types for a page it scrapes with XPath or a JSON dot path.
_SCRAPED = re.compile(r"xpath|dotnotation|dotpath", re.IGNORECASE)
# Outline types that name a feed: some writers put its address in `url`, not `xmlUrl`
# (OPML 2.0 keeps `url` for links and includes; newsboat reads it for feeds too).
_FEED_TYPES = frozenset({"rss", "atom", "feed"})


def _feed_address(outline: _Element) -> str:
    """The feed address an outline gives, as written ('' when none)."""
    address = _attribute(outline, "xmlUrl")
    if not address and _attribute(outline, "type").strip().lower() in _FEED_TYPES:
        address = _attribute(outline, "url")
    return address


def _commented_out(element: _Element, title: str, raw_url: str) -> list[str]:
    """The line for an outline marked isComment="true" that is or holds feeds (one
    holding none is a remark, nothing to skip)."""
    inside = sum(
        1
        for outline in element.iterdescendants()
        if _local(outline) == "outline" and _feed_address(outline)
    )
    if not raw_url and not inside:
        return []
    name = title or without_password(clean_url(raw_url))
    what = 'commented out (isComment="true")'
    if inside:
        what += f", with the {inside} feed{'s' if inside != 1 else ''} in it"
    return [f"skipped {quoted(name) if name else '(untitled)'}: {what}"]


def _page_url(raw: str, base_url: str | None) -> str | None:
    """An outline's site link; from a web list, resolved against it. Kept only when it
    is then a web address, wherever the list came from (the settings file holds no
    other); a feed is not skipped for its site."""
    from tuinews.feed_urls import site_address

    url = clean_url(raw)
    if url and base_url is not None and not _HAS_SCHEME.match(url):
        url = urljoin(base_url, url)
    try:
        return site_address(url)
    except ConfigError:
        return None


def _local(element: _Element) -> str:
    # Comments and processing instructions have a function, not a string, as tag.
    tag: object = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def parse_opml(data: bytes, source: str, *, base: Path | None = None) -> list[Subscription]:
    """Subscriptions of an OPML file; folders become tags (outermost first).

    `base` is the folder of a local OPML file: relative outline URLs resolve against it
    when the target exists. Raises `SourceError` when the bytes are not OPML.
    """
    return parse_opml_report(data, source, base=base)[0]


def _folder_paths(
    tags: Sequence[str], folders: Mapping[str, Sequence[str]]
) -> list[tuple[str, ...]]:
    """Each folder the feed stands in, as its path from a top folder. A tag sits inside
    the nearest of the feed's earlier tags that `folders` says holds it (import writes a
    feed's folders outermost first, each just before the folders inside it), else at
    the top: one parent each and always an earlier tag, so no cycle and no paths that
    multiply, whatever the settings say. The folders no other of its tags sits in hold
    the feed, in the order of the tags (a feed tagged X and Y, neither holding the
    other, stands in both: other readers take folders, not `category`)."""
    unique = list(dict.fromkeys(tags))
    place = {tag: index for index, tag in enumerate(unique)}
    parent: dict[str, str] = {}
    for index, tag in enumerate(unique):
        outer = [name for name in folders.get(tag, ()) if place.get(name, index) < index]
        if outer:
            parent[tag] = max(outer, key=place.__getitem__)
    holding = set(parent.values())
    paths = []
    for tag in unique:
        if tag in holding:
            continue  # the feed stands in a folder inside this one
        path = [tag]
        while path[-1] in parent:  # ends: each parent comes earlier in the tags
            path.append(parent[path[-1]])
        paths.append(tuple(reversed(path)))
    return paths


def _xml_safe(value: str) -> str:
    return _NOT_XML.sub("", value)


def _category_value(tags: Iterable[str]) -> str:
    # Tags holding the separators are percent-encoded so import restores them exactly.
    escaped = (
        quote(tag, safe="") if any(ch in _CATEGORY_SPECIALS for ch in tag) else tag for tag in tags
    )
    return ",".join("/" + tag for tag in escaped)


def _as_url(location: str) -> str:
    """A local feed (stored as an absolute path) as a file:// URL, which other readers
    take in an xmlUrl; web URLs as they are."""
    if location.startswith("/"):
        from pathlib import PurePosixPath

        return PurePosixPath(location).as_uri()
    return location


def write_opml(
    subs: Sequence[Subscription],
    title: str = "tuinews subscriptions",
    folders: Mapping[str, Sequence[str]] | None = None,
) -> bytes:
    """OPML 2.0: tags as folders, nested as `folders` says (the settings' [folders], as
    an imported list nested them: tag -> the tags it sits in); each feed in each folder
    its tags name (`_folder_paths`), all its tags in `category`. Import takes a feed
    listed in several folders as one.

    The feeds are written in the order an import of the list reads them back (by
    folder), so that exporting what was imported writes the very same document: in the
    settings' order, a feed read back first in an earlier folder moved later folders
    and feeds, and a backup restored and exported again differed from itself."""
    from lxml import etree

    parents = folders or {}
    order = list(subs)
    # Each pass puts the feeds in the order the last one wrote them; a few passes settle
    # it (a feed only ever moves up to its first folder).
    for _ in range(len(order) + 1):
        body = _opml_body(order, parents)
        by_url: dict[str, list[Subscription]] = {}
        for sub in order:  # keyed as written (a path becomes a file:// URL)
            by_url.setdefault(_xml_safe(_as_url(sub.url)), []).append(sub)
        read_back: list[Subscription] = []
        for outline in body.iter("outline"):
            read_back += by_url.pop(outline.get("xmlUrl") or "", [])
        read_back += [sub for subs_left in by_url.values() for sub in subs_left]  # never lost
        if read_back == order:
            break
        order = read_back
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_safe(title)
    root.append(body)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _opml_body(subs: Sequence[Subscription], parents: Mapping[str, Sequence[str]]) -> _Element:
    from lxml import etree

    body = etree.Element("body")
    # One folder per path, where its first feed stands; later feeds in it join it.
    # Other readers show two outlines of one name as two folders.
    folders: dict[tuple[str, ...], _Element] = {}
    for sub in subs:
        for place in _folder_paths(sub.tags, parents) or [()]:
            _feed_outline(sub, _folder(body, folders, place))
    return body


def _folder(
    body: _Element, folders: dict[tuple[str, ...], _Element], path: tuple[str, ...]
) -> _Element:
    """The outline of the folder at `path`, made (with its parents) where first needed."""
    from lxml import etree

    parent = body
    for depth in range(1, len(path) + 1):
        place = path[:depth]
        if place not in folders:
            name = _xml_safe(place[-1])
            folders[place] = etree.SubElement(parent, "outline", text=name, title=name)
        parent = folders[place]
    return parent


def _feed_outline(sub: Subscription, parent: _Element) -> None:
    from lxml import etree

    xml_url = _xml_safe(_as_url(sub.url))
    name = _xml_safe(sub.title or "")
    # `text` is what readers show: a feed never fetched goes by its URL, not by "" (and
    # not by its password: readers show `text` to anyone looking).
    web = sub.url.startswith(("http://", "https://"))  # a path's `a:b@` is no password
    shown = name or _xml_safe(without_password(sub.url) if web else xml_url)
    outline = etree.SubElement(parent, "outline", type="rss", text=shown)
    if name:
        outline.set("title", name)
    outline.set("xmlUrl", xml_url)
    if sub.html_url:
        outline.set("htmlUrl", _xml_safe(sub.html_url))
    if sub.tags:
        outline.set("category", _xml_safe(_category_value(sub.tags)))
