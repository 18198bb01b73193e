"""Plain-text articles in the shape a news site's "save as text" produces.

The first non-blank line is the title; later lines repeating it are dropped; a short
all-capitals line near the top is the dateline ("KYIV", "NEW YORK —"); short lines with no
closing punctuation standing alone between blank lines are subheadings; paragraphs are
separated by blank lines and the lines inside one are joined with a space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tuinews.sources.sanitize import SUMMARY_LIMIT, clean_line, clean_text

# Characters that make a line look empty although `str.isspace` says otherwise
# (zero-width spaces and joiners pasted from web pages).
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# A line ending in one of these is a sentence or an introduction, never a subheading.
_CLOSING_PUNCTUATION = ".!?…:;,"
# Quotes and brackets that may follow the closing punctuation (`."`, `?”`, `.)`).
_TRAILING_CLOSERS = "\"'”’»›)]}"

SUBHEADING_MAX_CHARS = 70
DATELINE_MAX_CHARS = 40
DATELINE_MAX_WORDS = 5
# How many non-blank lines after the title may hold the dateline.
DATELINE_SEARCH_LINES = 4

_TABS = re.compile(r"\t+")


@dataclass(frozen=True, slots=True)
class TextBlock:
    """One block of a plain-text body, as the renderer lays it out."""

    kind: Literal["subheading", "paragraph"]
    text: str


@dataclass(frozen=True, slots=True)
class PlainText:
    """A parsed plain-text article.

    `title` is "" only when the text has no visible line at all. `body` is everything
    else, normalised: one line per paragraph or subheading, blocks separated by one
    blank line.
    """

    title: str
    dateline: str | None
    body: str


def is_blank(line: str) -> bool:
    """True for lines holding only whitespace (non-breaking spaces and zero-widths too)."""
    return not line.strip().strip(_INVISIBLE).strip()


def _tidy(line: str) -> str:
    # Inner non-breaking spaces are kept on purpose ("10 km"); only the ends and tabs go.
    return _TABS.sub(" ", line).strip().strip(_INVISIBLE).strip()


def _is_dateline(line: str) -> bool:
    if len(line) > DATELINE_MAX_CHARS or len(line.split()) > DATELINE_MAX_WORDS:
        return False
    letters = [ch for ch in line if ch.isalpha()]
    return bool(letters) and all(not ch.islower() for ch in letters) and line.upper() == line


def _is_subheading_line(line: str) -> bool:
    if len(line) > SUBHEADING_MAX_CHARS or not any(ch.isalpha() for ch in line):
        return False
    core = line.rstrip(_TRAILING_CLOSERS + " ")
    return bool(core) and core[-1] not in _CLOSING_PUNCTUATION


def _split_blocks(lines: list[str]) -> list[list[str]]:
    """Group tidied lines into blocks separated by blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in lines:
        if is_blank(raw):
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(_tidy(raw))
    if current:
        blocks.append(current)
    return blocks


def parse_plain_text(text: str) -> PlainText:
    """Split a plain-text article into title, dateline and normalised body."""
    lines = clean_text(text).split("\n")
    title = ""
    start = len(lines)
    for index, raw in enumerate(lines):
        if not is_blank(raw):
            title = clean_line(raw)
            start = index + 1
            break
    rest = [raw for raw in lines[start:] if is_blank(raw) or clean_line(raw) != title]

    dateline: str | None = None
    seen = 0
    for index, raw in enumerate(rest):
        if is_blank(raw):
            continue
        seen += 1
        if seen > DATELINE_SEARCH_LINES:
            break
        candidate = clean_line(raw)
        if _is_dateline(candidate):
            dateline = candidate
            del rest[index]
            break

    blocks = _split_blocks(rest)
    body = "\n\n".join(" ".join(block) for block in blocks)
    return PlainText(title=title, dateline=dateline, body=body)


def text_blocks(body: str) -> list[TextBlock]:
    """Classify the blocks of a plain-text body as subheadings or paragraphs.

    A subheading is a single short line with no closing punctuation that stands alone
    between blank lines and heads something: the last block is always a paragraph (a
    closing "Reporting by ..." line is not a heading).
    """
    blocks = _split_blocks(clean_text(body).split("\n"))
    result: list[TextBlock] = []
    for index, block in enumerate(blocks):
        joined = " ".join(block)
        is_heading = len(block) == 1 and index < len(blocks) - 1 and _is_subheading_line(block[0])
        result.append(TextBlock("subheading" if is_heading else "paragraph", joined))
    return result


def first_paragraph(body: str) -> str:
    """The first paragraph of a body (for summaries), skipping subheadings."""
    for block in text_blocks(body):
        if block.kind == "paragraph":
            return block.text
    return ""


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """One clean line cut at a word boundary near `limit` (for plain text, where
    `html_to_plain` would take `a < b` for a tag)."""
    text = clean_line(text)
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + "…"
