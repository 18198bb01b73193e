"""The user's search words turned into a safe FTS5 query.

Nothing the user types reaches FTS5 as syntax: every word or "quoted phrase" becomes an
FTS5 string (quotes doubled), joined by spaces, which FTS5 reads as AND. A word ending
in `*` becomes a prefix query. FTS5 operators typed by the user (AND, OR, NOT, NEAR,
parentheses, column filters) are searched as plain words.
"""

from __future__ import annotations

import re

# A "quoted phrase" (closing quote optional) or a run of non-space characters.
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


def _has_word(text: str) -> bool:
    # A term without letters or digits tokenizes to nothing; FTS5 would then match
    # nothing at all, so such terms are dropped instead.
    return any(ch.isalnum() for ch in text)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(words: str) -> str | None:
    """An FTS5 MATCH expression for `words`, or None when no term is left to search."""
    parts: list[str] = []
    for match in _TOKEN.finditer(words):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            if _has_word(phrase):
                parts.append(_quote(" ".join(phrase.split())))
            continue
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if not _has_word(word):
            continue
        parts.append(_quote(word) + ("*" if prefix else ""))
    return " ".join(parts) if parts else None
