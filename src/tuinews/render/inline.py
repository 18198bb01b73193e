"""Inline text of one paragraph: whitespace collapsing and styled spans, built as `Text`."""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Span, Text

# HTML's own whitespace (not NBSP, which must survive), plus the Unicode line separators,
# which terminals do not treat as line breaks.
_COLLAPSIBLE = re.compile("[ \t\n\r\f\u2028\u2029]+")


class InlineText:
    """Accumulates the text of one block; spaces collapse as in HTML outside `<pre>`."""

    __slots__ = ("_at_space", "_length", "_spans", "_strings")

    def __init__(self) -> None:
        self._strings: list[str] = []
        self._spans: list[Span] = []
        self._length = 0
        # True at the start of a line or after a space: a following space is dropped.
        self._at_space = True

    @property
    def is_empty(self) -> bool:
        return not self._strings

    @property
    def mark(self) -> int:
        """A position to pass to `text_since` later."""
        return len(self._strings)

    def add(self, text: str, style: Style | None) -> None:
        """Add already-sanitised text, collapsing runs of whitespace to one space."""
        text = _COLLAPSIBLE.sub(" ", text)
        if self._at_space and text.startswith(" "):
            text = text[1:]
        if text:
            self._append(text, style)
            self._at_space = text.endswith(" ")

    def add_exact(self, text: str, style: Style | None) -> None:
        """Add text as it is (link numbers, image placeholders)."""
        if text:
            self._append(text, style)
            self._at_space = False

    def line_break(self) -> None:
        """A hard break (`<br>`): always a new line, even an empty one."""
        self._drop_trailing_space()
        self._append("\n", None)
        self._at_space = True

    def soft_break(self) -> None:
        """A block boundary inside a table cell: a new line unless already at one."""
        if self._strings and not self._strings[-1].endswith("\n"):
            self.line_break()

    def text_since(self, mark: int) -> str:
        """The plain text added after `mark`, for a link's label."""
        return "".join(self._strings[mark:])

    def to_text(self) -> Text | None:
        """The finished `Text`, trimmed of surrounding blank space, or None when empty."""
        self._drop_trailing_space()
        while self._strings and self._strings[-1] == "\n":
            self._pop()
            self._drop_trailing_space()
        plain = "".join(self._strings)
        stripped = plain.lstrip(" \n")
        if not stripped:
            return None
        offset = len(plain) - len(stripped)
        spans = self._spans
        if offset:
            spans = [
                Span(max(0, span.start - offset), span.end - offset, span.style)
                for span in spans
                if span.end > offset
            ]
        return Text(stripped, spans=spans)

    def _append(self, text: str, style: Style | None) -> None:
        start = self._length
        self._strings.append(text)
        self._length += len(text)
        if style is not None:
            self._spans.append(Span(start, self._length, style))

    def _pop(self) -> None:
        self._length -= len(self._strings.pop())
        self._clip_spans()

    def _drop_trailing_space(self) -> None:
        while self._strings and self._strings[-1].endswith(" "):
            last = self._strings[-1]
            trimmed = last.rstrip(" ")
            self._length -= len(last) - len(trimmed)
            if trimmed:
                self._strings[-1] = trimmed
            else:
                self._strings.pop()
            self._clip_spans()

    def _clip_spans(self) -> None:
        spans = self._spans
        while spans and spans[-1].start >= self._length:
            spans.pop()
        if spans and spans[-1].end > self._length:
            last = spans.pop()
            spans.append(Span(last.start, self._length, last.style))
