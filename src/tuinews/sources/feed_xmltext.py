"""Small helpers shared by the RSS and Atom readers: text, inner markup, links, media."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from tuinews.model import Enclosure
from tuinews.sources.feed_build import make_enclosure, resolve_link

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XMLNS_ATTR = re.compile(r'\s+xmlns(?::[A-Za-z0-9_.-]+)?="[^"]*"')
_HTMLISH = re.compile(r"</?[A-Za-z][^>]*>|&[#A-Za-z0-9]+;")

_MAX_NAMES = 20
_NO_HOST = frozenset({"", "/", "?", "#", ":"})

Element = Any  # lxml's _Element; kept loose because lxml-stubs may be absent


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[:1] == "{" else tag


def text_of(element: Element) -> str:
    """The element's text, including text inside any child elements."""
    if len(element) == 0:
        return element.text or ""
    return "".join(element.itertext())


def person_name(element: Element) -> str:
    """An RSS <author> or <dc:creator>: its <name> child when it has one (Google's blog
    nests name, job title, department), else its text with the pieces spaced."""
    if len(element) == 0:
        return element.text or ""
    for child in element:
        if isinstance(child.tag, str) and local_name(child.tag) == "name":
            return text_of(child)
    return " ".join(piece.strip() for piece in element.itertext() if piece.strip())


def join_names(names: list[str]) -> str | None:
    """Several authors as one line, "A, B" (a name repeated once); None for none."""
    unique = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    return ", ".join(unique[:_MAX_NAMES]) or None


def inner_markup(element: Element) -> str:
    """The element's content as markup: text plus serialised children.

    Used when a feed puts raw (unescaped) HTML or inline XHTML in a body element.
    """
    if len(element) == 0:
        return element.text or ""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
        elif child.tail:
            parts.append(child.tail)
    markup = "".join(parts)
    # Serialised children repeat the namespace declarations; they are noise in HTML.
    return _XMLNS_ATTR.sub("", markup) if "xmlns" in markup else markup


def xhtml_inner(element: Element) -> str:
    """Atom type="xhtml" content: the markup inside its wrapping <div>."""
    children = [child for child in element if isinstance(child.tag, str)]
    if (
        len(children) == 1
        and local_name(children[0].tag) == "div"
        and not (element.text or "").strip()
    ):
        return inner_markup(children[0])
    return inner_markup(element)


def looks_like_html(text: str) -> bool:
    return ("<" in text or "&" in text) and _HTMLISH.search(text) is not None


def without_hostless(link: str | None) -> str | None:
    """`link`, or None for a web address with no host ("http://", "https:///x"): what a
    feed cut off inside a link, or a template left unfilled, leaves behind."""
    if link is None or not link.startswith(("http://", "https://")):
        return link
    return link if link[link.index("//") + 2 :][:1] not in _NO_HOST else None


def element_link(value: str | None, element: Element, fallback_base: str | None) -> str | None:
    """A link from `element`, resolved against xml:base, else the feed's own base."""
    if not value:
        return None
    stripped = value.strip()
    if stripped.startswith(("https://", "http://")):
        return without_hostless(resolve_link(stripped, None))
    # The tree is parsed without a document URL, so `.base` is what xml:base says.
    xml_base = element.base if element is not None else None
    base = fallback_base
    if xml_base:
        base = resolve_link(xml_base, fallback_base) or fallback_base
    return without_hostless(resolve_link(stripped, base))


_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# A link or source attribute in HTML: name, then the value, quoted or bare.
# A start tag and its attributes, each whole: a value is read with its quotes, so text
# inside one (`alt="set src=x.png"`) is never taken for an attribute, and escaped markup
# shown as text (`&lt;a href="/about"&gt;`, a code sample) is no tag at all.
# No "<" in a name or a bare value: a run of `<a <a <a` unclosed made each tag's
# attributes run to the end of the text, and a search of 30,000 of them took 100 s.
_ATTRIBUTE = r"""\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?"""
# The name is letters, digits and dashes: a `<a` inside a quoted value is then no tag
# running on to the end of an unclosed one (`<a b="<a" b="<a" …` was quadratic).
_START_TAG = re.compile(rf"<[A-Za-z][A-Za-z0-9:-]*((?:{_ATTRIBUTE})*)\s*/?>")
_ONE_ATTRIBUTE = re.compile(
    r"""(\s+)([^\s"'<>/=]+)(?:(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+)))?"""
)
_URL_NAMES = frozenset({"href", "src"})


def body_base(element: Element, fallback_base: str | None) -> str | None:
    """The xml:base in force on a body element (`<content xml:base=...>`, or the feed's),
    resolved; None when the document sets none (the reader then resolves the body's
    links against the article's link, as browsers do a page's)."""
    xml_base = element.base
    if not xml_base:
        return None
    return resolve_link(xml_base.strip(), fallback_base)


def absolute_links(html: str, base: str) -> str:
    """`html` with the relative href and src values of its tags made absolute against
    `base`: a body under an xml:base other than the article's own address (FeedBurner's
    proxied links) pointed its links at the wrong site. Text, other attributes and other
    values are left as they are."""
    if "<" not in html:
        return html

    def attribute(match: re.Match[str]) -> str:
        space, name, equals = match.group(1, 2, 3)
        value = next((v for v in match.groups()[3:] if v is not None), None)
        if value is None or name.lower() not in _URL_NAMES:
            return match.group(0)
        stripped = value.strip()
        if not stripped or stripped.startswith("#") or _HAS_SCHEME.match(stripped):
            return match.group(0)
        resolved = resolve_link(stripped, base)
        if resolved is None:
            return match.group(0)
        return f'{space}{name}{equals}"{resolved.replace(chr(34), "%22")}"'

    def tag(match: re.Match[str]) -> str:
        attributes = match.group(1)
        if not attributes:
            return match.group(0)
        start, end = match.span(1)
        rewritten = _ONE_ATTRIBUTE.sub(attribute, attributes)
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + rewritten + whole[end - offset :]

    return _START_TAG.sub(tag, html)


def add_media_enclosures(element: Element, base: str, enclosures: list[Enclosure]) -> None:
    """Append the enclosure of a Media RSS <media:content> (or of each one inside a
    <media:group>) to `enclosures`."""
    if local_name(element.tag) == "group":
        for child in element:
            if isinstance(child.tag, str) and local_name(child.tag) == "content":
                add_media_enclosures(child, base, enclosures)
        return
    enclosure = make_enclosure(
        element.get("url"), element.get("type"), element.get("fileSize"), base
    )
    if enclosure is not None:
        enclosures.append(enclosure)


def media_description(element: Element) -> tuple[str, bool] | None:
    """The text of a Media RSS <media:description> (or of the first in a <media:group>)
    and whether it is HTML (`type="html"`; plain text by default): a YouTube video's
    only words."""
    if local_name(element.tag) == "group":
        for child in element:
            if isinstance(child.tag, str) and local_name(child.tag) == "description":
                return media_description(child)
        return None
    text = text_of(element)
    if not text.strip():
        return None
    return text, (element.get("type") or "").strip().lower() == "html"


def unique_enclosures(enclosures: list[Enclosure]) -> list[Enclosure]:
    """One enclosure per address, in the order first listed, each with the type and size
    any of its listings gave: a <media:content> without a size before the <enclosure>
    of the same file lost the file's size (Omny's podcasts)."""
    if len(enclosures) < 2:
        return enclosures
    seen: dict[str, Enclosure] = {}
    for enclosure in enclosures:
        known = seen.get(enclosure.url)
        if known is None:
            seen[enclosure.url] = enclosure
        elif (known.type is None and enclosure.type) or (
            known.length is None and enclosure.length is not None
        ):
            seen[enclosure.url] = Enclosure(
                known.url, known.type or enclosure.type, known.length or enclosure.length
            )
    return list(seen.values())
