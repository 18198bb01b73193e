"""One line of status: hints, refresh progress, what a key did. Never parses markup."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tuinews.ui.safe import safe_text


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine {
        height: 1; width: 1fr; color: $text-muted; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    StatusLine.-error { color: $text-error; }
    """

    # layout=False: a new message repaints this line only.
    message: reactive[str] = reactive("", layout=False)

    def say(self, message: str, *, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.message = message

    def render(self) -> Text:
        return safe_text(self.message, no_wrap=True, overflow="ellipsis", end="")
