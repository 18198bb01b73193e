"""Inline text of one paragraph: whitespace collapsing and styled pieces, built as `Text`."""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Span, Text

from tuinews.sources.sanitize import NONCHARACTERS, clean_text, drawable

# HTML's own whitespace (not NBSP, which must survive), plus the Unicode line separators,
# which terminals do not treat as line breaks.
_COLLAPSIBLE = re.compile("[ \t\n\r\f\u2028\u2029]+")
# Zero-width characters that make a spacer paragraph look non-empty.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# What `clean_text` removes; searched once per paragraph instead of once per text node.
_UNSAFE = re.compile(
    f"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff{NONCHARACTERS}]"
)


class InlineText:
    """Accumulates the text of one block; spaces collapse as in HTML outside `<pre>`.

    Text may arrive unsanitised (entity decoding happens in the parser, so `&#27;` arrives
    here as ESC): `take_text` strips control and bidi-override characters from the result.
    """

    __slots__ = ("_at_space", "_strings", "_styles")

    def __init__(self) -> None:
        self._strings: list[str] = []
        self._styles: list[Style | None] = []
        # True at the start of a line or after a space: a following space is dropped.
        self._at_space = True

    @property
    def is_empty(self) -> bool:
        return not self._strings

    def add(self, text: str, style: Style | None) -> None:
        """Add text, collapsing runs of whitespace to one space."""
        text = _COLLAPSIBLE.sub(" ", text)
        if self._at_space and text[:1] == " ":
            text = text[1:]
        if text:
            self._strings.append(text)
            self._styles.append(style)
            self._at_space = text[-1] == " "

    def add_exact(self, text: str, style: Style | None) -> None:
        """Add text as it is (link numbers, image placeholders)."""
        if text:
            self._strings.append(text)
            self._styles.append(style)
            self._at_space = False

    def line_break(self) -> None:
        """A hard break (`<br>`): a new line; runs of them leave one blank line at most."""
        if self._strings[-2:] == ["\n", "\n"]:
            return
        self._drop_trailing_space()
        self._strings.append("\n")
        self._styles.append(None)
        self._at_space = True

    def soft_break(self) -> None:
        """A block boundary inside a table cell: a new line unless already at one."""
        if self._strings and self._strings[-1][-1:] != "\n":
            self.line_break()

    def take_text(self) -> Text | None:
        """The finished, sanitised `Text` (None when blank); the buffer starts over."""
        strings, styles = self._strings, self._styles
        self._strings, self._styles, self._at_space = [], [], True
        if not strings:
            return None
        plain = "".join(strings)
        if not plain.strip().strip(_INVISIBLE):  # `<p>&nbsp;</p>` spacers hold nothing
            return None
        if _UNSAFE.search(plain):
            strings = [clean_text(piece) for piece in strings]
        # Before a table measures its cells (a `Paragraph` would do it only after).
        if drawable(plain) is not plain:
            strings = [drawable(piece) for piece in strings]
        # Trim blank space at both ends.
        while strings and not strings[-1].strip(" \n"):
            strings.pop()
        if strings:
            strings[-1] = strings[-1].rstrip(" \n")
        first = 0
        while first < len(strings) and not strings[first].strip(" \n"):
            first += 1
        if first == len(strings):
            return None
        strings = strings[first:]
        styles = styles[first : first + len(strings)]
        strings[0] = strings[0].lstrip(" \n")
        spans: list[Span] = []
        position = 0
        for piece, style in zip(strings, styles, strict=True):
            end = position + len(piece)
            if style is not None and end > position:
                spans.append(Span(position, end, style))
            position = end
        return Text("".join(strings), spans=spans)

    def _drop_trailing_space(self) -> None:
        strings = self._strings
        while strings and strings[-1][-1:] == " ":
            trimmed = strings[-1].rstrip(" ")
            if trimmed:
                strings[-1] = trimmed
            else:
                strings.pop()
                self._styles.pop()
