"""HTML named references (`&eacute;`, `&nbsp;`) in XML documents, which libxml2 rejects.

Feeds and OPML lists are written by tools that escape text as HTML: libxml2 drops each
such reference (and a word of a title with it). They become numeric references first,
read by any XML parser as the characters HTML means.
"""

from __future__ import annotations

import html.entities
import re

# HTML named references are not XML: swap them for numeric ones before libxml2 sees them.
_NAMED_REFERENCE = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
_DECLARED_ENTITY = re.compile(rb"<!ENTITY\s+%?\s*([A-Za-z_][\w.-]*)")


# References to surrogates are not characters; libxml2's recover mode lets them through
# as bytes that are not UTF-8, which lxml then fails to decode.
_SURROGATE_REFERENCE = re.compile(
    rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*(?:5529[6-9]|55[3-9]\d\d|56\d{3}|57[0-2]\d\d|573[0-3]\d|5734[0-3]));"
)


# Either kind of reference needing a fix, found in one scan: most documents have none.
_NEEDS_FIXING = re.compile(_NAMED_REFERENCE.pattern + b"|" + _SURROGATE_REFERENCE.pattern)


def fix_named_references(document: bytes) -> bytes:
    """The document with references libxml2 rejects replaced, otherwise byte-identical."""
    if _NEEDS_FIXING.search(document) is None:
        return document
    if b"&#" in document and _SURROGATE_REFERENCE.search(document) is not None:
        document = _SURROGATE_REFERENCE.sub(b"&#xFFFD;", document)
    if _NAMED_REFERENCE.search(document) is None:
        return document
    declared = set(_DECLARED_ENTITY.findall(document[:65536])) if b"<!ENTITY" in document else set()
    if b"<![CDATA[" not in document:
        return _replace_named_references(document, declared)
    # Inside a CDATA section a reference is literal text, not markup: left as written
    # ("&nbsp;" in an HTML body is decoded by the renderer; in plain text it is text).
    parts: list[bytes] = []
    done = 0
    for section in _CDATA_SECTION.finditer(document):
        parts.append(_replace_named_references(document[done : section.start()], declared))
        parts.append(section.group(0))
        done = section.end()
    parts.append(_replace_named_references(document[done:], declared))
    return b"".join(parts)


# A CDATA section, or the rest of the document when one is never closed.
_CDATA_SECTION = re.compile(rb"<!\[CDATA\[.*?(?:\]\]>|\Z)", re.DOTALL)


def _replace_named_references(document: bytes, declared: set[bytes]) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in declared:
            return match.group(0)
        chars = html.entities.html5.get(name.decode("ascii") + ";")
        if chars is None:
            return b"&amp;" + name + b";"  # unknown: show it literally
        return "".join(f"&#{ord(char)};" for char in chars).encode("ascii")

    return _NAMED_REFERENCE.sub(replace, document)
