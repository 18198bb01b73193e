"""The UI's second line of defence: every string from outside is filtered where it is drawn.

The store already cleans text at ingestion (`tuinews.sources.sanitize`); these helpers
make sure that a control character which slips past it (an old store, a new code path)
still never reaches the terminal: Textual writes widget text unfiltered. They build
`rich.text.Text` objects, never markup, so "[bold]" in a title shows as typed.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from tuinews.sources.sanitize import clean_line, clean_text, drawable


def safe_line(value: object) -> str:
    """A one-line field (title, name, URL, error) with controls and bidi overrides gone,
    and the astral code points terminals draw as they please shown as U+FFFD."""
    if value is None:
        return ""
    return drawable(clean_line(value if isinstance(value, str) else str(value)))


def safe_text(value: object, style: str | Style = "", **options: object) -> Text:
    """A `Text` holding `value` as one clean line, never parsed as markup."""
    return Text(safe_line(value), style=style, **options)  # type: ignore[arg-type]


def safe_fragment(value: str) -> str:
    """Part of an already laid-out line (a rendered segment): controls dropped and tab or
    newline turned into a space, without collapsing spaces (columns must stay aligned).
    (Not `drawable`: that must come before the layout, which the renderer does, since
    U+FFFD may be wider than what it replaces.)"""
    if value.isascii() and value.isprintable():
        return value  # the common case: one O(n) check, no copy
    return clean_text(value).replace("\n", " ").replace("\t", " ")
