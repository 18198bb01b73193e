"""One line of status: hints, refresh progress, what a key did. Never parses markup."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from tuinews.ui.safe import safe_text

# Seconds a line that is not lasting stays (see `StatusLine.say`).
FLEETING_FOR = 6.0


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lasting: tuple[str, bool] = ("", False)
        self._fade: Timer | None = None

    def say(self, message: str, *, error: bool = False, lasting: bool = False) -> None:
        """Show `message`. What a key just did ("Starred.", "Not copying …") gives way
        after FLEETING_FOR seconds to the last `lasting` line (a refresh's progress and
        summary, the failing feeds, a hint): "No more unread articles." stayed on while
        the user read on, no longer true."""
        if self._fade is not None:
            self._fade.stop()
            self._fade = None
        if lasting:
            self._lasting = (message, error)
        else:
            self._fade = self.set_timer(FLEETING_FOR, self._back_to_lasting)
        self.set_class(error, "-error")
        self.message = message

    def replace_lasting(self, old: str, new: str, *, error: bool = False) -> None:
        """Make `new` the lasting line if `old` (an error line: `error`) still is (shown
        now or when a passing line fades): what `old` said is no longer true."""
        if not old or self._lasting != (old, error):
            return
        self._lasting = (new, False)
        if self.message == old:
            self.set_class(False, "-error")
            self.message = new

    def withdraw(self, message: str) -> None:
        """Give way to the lasting line now if `message`, not lasting, is still shown:
        the work it announced ("Searching…") is done."""
        if self.message == message and self._fade is not None:
            self._fade.stop()
            self._back_to_lasting()

    def _back_to_lasting(self) -> None:
        self._fade = None
        message, error = self._lasting
        self.set_class(error, "-error")
        self.message = message

    def render(self) -> Text:
        return safe_text(self.message, no_wrap=True, overflow="ellipsis", end="")
