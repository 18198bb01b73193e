"""Where tables, keys and values sit in TOML text: a light line scanner.

tomllib gives values but not positions. Config errors use this scanner for line
numbers, and `subscriptions` uses it to edit the file in place (comments kept).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Literal

# A key's place in the parsed document: ("feeds", 2, "url") is the url of the third
# [[feeds]] entry.
KeyPath = tuple[str | int, ...]

_BARE_KEY = r"[A-Za-z0-9_-]+"
_KEY = rf"(?:{_BARE_KEY}|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_KEY_PATH = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"\s*(\[\[|\[)\s*({_KEY_PATH})\s*(\]\]|\])\s*(?:#.*)?$")
_KEY_VALUE = re.compile(rf"\s*({_KEY_PATH})\s*=\s*")
_KEY_PART = re.compile(_KEY)

LineKind = Literal["blank", "comment", "header", "key", "value"]


@dataclass(slots=True)
class Header:
    line: int  # 0-based index into TomlLayout.lines
    path: tuple[str, ...]
    array: bool  # [[path]]
    index: int  # which [[path]] entry (0 for plain tables)

    @property
    def prefix(self) -> KeyPath:
        return (*self.path, self.index) if self.array else self.path


@dataclass(slots=True)
class KeyLine:
    full: KeyPath  # header prefix + dotted key
    line: int
    start: int  # column where the value begins
    end_line: int  # where the value ends (multi-line arrays and strings span lines)
    end: int  # column just after the value


class TomlLayout:
    """Where headers, keys and values sit in TOML text, line by line.

    A best-effort scanner for the common layouts (one key per line, arrays and strings
    that may span lines); callers verify edits by parsing the result with tomllib.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.kinds: list[LineKind] = []
        self.headers: list[Header] = []
        self.keys: list[KeyLine] = []
        self._scan()

    def _scan(self) -> None:
        header: Header | None = None
        counts: dict[tuple[str, ...], int] = {}
        pending: KeyLine | None = None  # a value still open at the end of a line
        state = _ValueState()
        for number, line in enumerate(self.lines):
            if pending is not None:
                self.kinds.append("value")
                end = state.consume(line, 0)
                if end is not None:
                    pending.end_line, pending.end, pending = number, end, None
                continue
            stripped = line.strip()
            if not stripped:
                self.kinds.append("blank")
            elif stripped.startswith("#"):
                self.kinds.append("comment")
            elif found := _HEADER.match(line):
                array = found.group(1) == "[["
                if array != (found.group(3) == "]]"):
                    self.kinds.append("value")
                    continue
                path = _split_key(found.group(2))
                index = counts.get(path, 0) if array else 0
                counts[path] = index + 1 if array else 0
                header = Header(number, path, array, index)
                self.headers.append(header)
                self.kinds.append("header")
            elif found := _KEY_VALUE.match(line):
                prefix = header.prefix if header else ()
                full = (*prefix, *_split_key(found.group(1)))
                start = found.end()
                key = KeyLine(full, number, start, number, len(line.rstrip()))
                self.keys.append(key)
                self.kinds.append("key")
                state = _ValueState()
                end = state.consume(line, start)
                if end is None:
                    pending = key
                else:
                    key.end = end
            else:
                self.kinds.append("value")

    def line_of(self, where: KeyPath) -> int | None:
        """The 1-based line of the key (or of its closest enclosing table), if found."""
        best: tuple[int, int] | None = None
        places: list[tuple[KeyPath, int]] = [(h.prefix, h.line) for h in self.headers]
        places += [(k.full, k.line) for k in self.keys]
        for full, line in places:
            if where[: len(full)] == full and (best is None or len(full) > best[0]):
                best = (len(full), line)
        return best[1] + 1 if best else None

    def section_end(self, header: Header) -> int:
        """The line index just after the table that `header` opens."""
        later = [h.line for h in self.headers if h.line > header.line]
        return later[0] if later else len(self.lines)

    def last_own_line(self, header: Header) -> int:
        """The last line of the table's header, keys and values (comments after excluded)."""
        last = header.line
        for number in range(header.line, self.section_end(header)):
            if self.kinds[number] in ("header", "key", "value"):
                last = number
        return last

    def attached_comments_start(self, line: int) -> int:
        """The first of the comment lines directly above `line` (no blank in between)."""
        while line > 0 and self.kinds[line - 1] == "comment":
            line -= 1
        return line

    def find_key(self, full: KeyPath) -> KeyLine | None:
        return next((key for key in self.keys if key.full == full), None)


def _split_key(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for token in _KEY_PART.findall(text):
        if token.startswith('"'):
            parts.append(str(tomllib.loads(f"k = {token}")["k"]))
        elif token.startswith("'"):
            parts.append(token[1:-1])
        else:
            parts.append(token)
    return tuple(parts)


class _ValueState:
    """Scans a TOML value that may span lines (arrays, inline tables, multi-line strings)."""

    def __init__(self) -> None:
        self.depth = 0
        self.multiline: str | None = None  # the closing delimiter while inside one

    def consume(self, line: str, i: int) -> int | None:
        """The column just after the value if it ends on this line, else None."""
        while i < len(line):
            if self.multiline:
                close = line.find(self.multiline, i)
                if close < 0:
                    return None
                i, self.multiline = close + 3, None
                while i < len(line) and line[i] == line[i - 1]:  # up to 2 quotes may end it
                    i += 1
                if self.depth == 0:
                    return i
                continue
            char = line[i]
            if char in "\"'":
                if line.startswith(char * 3, i):
                    self.multiline, i = char * 3, i + 3
                    continue
                i = _string_end(line, i)
                if self.depth == 0:
                    return i
            elif char in "[{":
                self.depth, i = self.depth + 1, i + 1
            elif char in "]}":
                self.depth, i = self.depth - 1, i + 1
                if self.depth <= 0:
                    return i
            elif char == "#":
                return None if self.depth else len(line[:i].rstrip())
            elif self.depth == 0 and not char.isspace():
                comment = line.find("#", i)  # a number, boolean or date
                return len(line[: comment if comment >= 0 else len(line)].rstrip())
            else:
                i += 1
        return None if self.depth or self.multiline else i


def _string_end(line: str, start: int) -> int:
    quote, i = line[start], start + 1
    while i < len(line):
        if line[i] == "\\" and quote == '"':
            i += 2
        elif line[i] == quote:
            return i + 1
        else:
            i += 1
    return len(line)
