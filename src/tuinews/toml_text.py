"""TOML as a user reads it, for the settings file's error lines: tomllib's syntax
errors with TOML's own spelling of tables, and values shown as written ("a date", "a
list of numbers", strings quoted with their controls escaped) rather than as Python
reprs. No work at import time."""

from __future__ import annotations

import math
import re
from pathlib import Path

_AT_POSITION = re.compile(r"^(.*?)\s*\(at line (\d+), column (\d+)\)$", re.DOTALL)
_AT_END = re.compile(r"^(.*?)\s*\(at end of document\)$", re.DOTALL)


def syntax_message(path: Path, text: str, message: str) -> str:
    """tomllib's error `message` about `text` as "<file>:<line>:<col>: <reason>"."""
    reason, line, column = message, "", ""
    if found := _AT_POSITION.match(message):
        reason, line, column = found.group(1), found.group(2), found.group(3)
    elif found := _AT_END.match(message):
        last = text.rstrip("\n").split("\n")
        reason = found.group(1) + " at the end of the file"
        line, column = str(len(last)), str(len(last[-1]) + 1)
    if reason == "Cannot overwrite a value" and line:
        reason = _set_twice(text, int(line))
    reason = _plain_reason(reason)
    if reason[:1].isupper() and not reason[1:2].isupper():
        reason = reason[0].lower() + reason[1:]
    where = f"{path}:{line}:{column}" if line else str(path)
    return f"{where}: {reason}"


_KEY_AT_START = re.compile(r"\s*([A-Za-z0-9_.-]+|\"[^\"]*\"|'[^']*')\s*=")


def _set_twice(text: str, line: int) -> str:
    """tomllib's "Cannot overwrite a value", naming the key its line sets again."""
    lines = text.split("\n")
    found = _KEY_AT_START.match(lines[line - 1]) if 0 < line <= len(lines) else None
    if found is None:
        return "a key set twice"
    return f"key {found.group(1)} set twice (each key once per table)"


# tomllib names tables by Python tuples ("Cannot declare ('feeds',) twice"): these say
# the same with TOML's own spelling.
_TABLE_REASONS = (
    (re.compile(r"^Cannot declare (\(.*\)) twice$"), "table [{0}] declared twice"),
    (
        re.compile(r"^Cannot mutate immutable namespace (\(.*\))$"),
        "cannot add to {0}: it is already written in full (as an inline table or a list)",
    ),
    (
        re.compile(r"^Cannot redefine namespace (\(.*\))$"),
        "cannot add to table [{0}] with a dotted key: it has its own [{0}] header",
    ),
)
_CHARACTER_REASON = re.compile(r"^(Illegal character|Found invalid character) ('.*')$")


def _plain_reason(reason: str) -> str:
    import ast

    for pattern, template in _TABLE_REASONS:
        if found := pattern.match(reason):
            try:
                keys = ast.literal_eval(found.group(1))
            except (ValueError, SyntaxError):
                return reason
            if not isinstance(keys, tuple) or not all(isinstance(key, str) for key in keys):
                return reason
            name = ".".join(toml_key(key) for key in keys)
            if keys == ("feeds",) and "declared twice" in template:
                # `[feeds]` where `[[feeds]]` was meant: the likely mistake.
                return template.format(name) + " (each feed starts with [[feeds]], two brackets)"
            return template.format(name)
    if found := _CHARACTER_REASON.match(reason):
        try:
            char = ast.literal_eval(found.group(2))
        except (ValueError, SyntaxError):
            return reason
        if char == "\n":
            # The only place TOML refuses a line break: inside a one-line string.
            return "a quoted value is not closed on its line (a closing quote missing?)"
        if isinstance(char, str) and len(char) == 1:
            shown = _toml_string(char) if char.isprintable() else f"U+{ord(char):04X}"
            return f"{found.group(1).lower()} {shown}"
    return reason


def show_value(value: object) -> str:
    """A value as the user wrote it in TOML, short and with control characters escaped;
    tables, lists and dates by their kind ("a date", "a list of numbers")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = _toml_string(value)
        return shown if len(shown) <= 60 else shown[:56] + '..."'
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        shown = repr(value)
        return shown if len(shown) <= 60 else shown[:57] + "..."
    if isinstance(value, list):
        if not value:
            return "an empty list"
        kinds = {_kind(item)[1] for item in value}
        return f"a list of {kinds.pop()}" if len(kinds) == 1 else "a list of mixed values"
    return _kind(value)[0]


def _kind(value: object) -> tuple[str, str]:
    """The TOML kind of a value as a user names one of them, and several."""
    import datetime

    kinds: list[tuple[type | tuple[type, ...], str, str]] = [
        (bool, "a true/false value", "true/false values"),  # before int: a bool is an int
        (str, "a string", "strings"),
        ((int, float), "a number", "numbers"),
        (dict, "a table", "tables"),
        (list, "a list", "lists"),
        (datetime.datetime, "a date and time", "dates and times"),  # before date
        (datetime.date, "a date", "dates"),
        (datetime.time, "a time of day", "times of day"),
    ]
    return next(
        ((one, many) for kind, one, many in kinds if isinstance(value, kind)), ("a value", "values")
    )


def _toml_string(text: str) -> str:
    """`text` as a TOML basic string; controls (and bidi overrides) escaped, so the
    shown value cannot move the terminal's cursor or reorder the line."""
    import unicodedata

    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else a quoted string."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)
