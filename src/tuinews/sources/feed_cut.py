"""Documents cut off before their end (a dropped connection, a server error mid-body).

libxml2's recover mode closes whatever is still open at the end of the data, so the
item the data ends in comes out as a fragment. The error log says only where the data
ended; whether an item was finished is read from the source itself (is its end tag
there?). Used only on documents the strict parse refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tuinews.sources.feed_xmltext import Element, local_name

# libxml2: "Premature end of data in tag channel line 5".
_OPEN_AT_END = re.compile(r"Premature end of data in tag (\S+) line (\d+)")
_WHITESPACE_OR_END = frozenset(b" \t\r\n>")


@dataclass(frozen=True, slots=True)
class DocumentCut:
    """Where the data ends, and the innermost element left open there when known."""

    line: int
    open_tag: str | None = None
    open_line: int | None = None

    def describe(self) -> str:
        """'the document ends early at line 19 (<channel> from line 5 is never closed)'."""
        where = f"the document ends early at line {self.line}"
        if self.open_tag is None:
            return where
        return f"{where} (<{self.open_tag}> from line {self.open_line} is never closed)"


def document_cut(document: bytes, root: Element, error_log: Any) -> DocumentCut | None:
    """The cut, when the document's root element is never closed and recover mode's
    last complaint is at the document's last line; else None."""
    if not isinstance(root.tag, str) or len(error_log) == 0:
        return None
    last_error = error_log[-1]
    last_line = document.count(b"\n") + 1
    if last_error.line < last_line or _closed_in_source(document, _qualified_name(root)):
        return None
    # The last error names the innermost open element only when it is libxml2's
    # "premature end" one; a cut inside a tag or comment reports something else.
    for entry in reversed(error_log):
        found = _OPEN_AT_END.search(entry.message or "")
        if found is not None and entry.line >= last_line:
            return DocumentCut(last_line, found.group(1), int(found.group(2)))
    return DocumentCut(last_line)


def drop_unfinished_article(document: bytes, feed_root: Element, article_name: str) -> None:
    """Remove the last item (`article_name` "item") or entry when its end tag is not in
    the source; finished ones, and a cut outside any article, leave the tree as is."""
    element = feed_root
    # Articles sit at most two levels down (rss > channel > item); open elements are
    # always the last children, so the unfinished one is on the rightmost path.
    for _depth in range(2):
        last = _last_element_child(element)
        if last is None:
            return
        if local_name(last.tag) == article_name:
            if not _closed_in_source(document, _qualified_name(last)):
                element.remove(last)
            return
        element = last


def _last_element_child(element: Element) -> Element | None:
    for child in reversed(element):
        if isinstance(child.tag, str):
            return child
    return None


def _qualified_name(element: Element) -> bytes:
    name = local_name(element.tag)
    prefix = element.prefix
    return (f"{prefix}:{name}" if prefix else name).encode("utf-8")


def _closed_in_source(document: bytes, name: bytes) -> bool:
    """Whether the last `<name ...>` of the document is followed by a `</name>`."""
    return _last_tag(document, b"</" + name) > _last_tag(document, b"<" + name)


def _last_tag(document: bytes, opening: bytes) -> int:
    """Where the last `opening` followed by whitespace, '>' or '/' starts; -1 if none."""
    end = len(document)
    while True:
        found = document.rfind(opening, 0, end)
        if found < 0:
            return -1
        after = found + len(opening)
        if after < len(document) and (
            document[after] in _WHITESPACE_OR_END or document[after] == 0x2F
        ):
            return found
        end = found
