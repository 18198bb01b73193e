"""The article's links in a small list: Enter opens one, y copies it."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tuinews.ui.safe import safe_line
from tuinews.ui.screens.dialog import Dialog


class LinkPickerScreen(Dialog[tuple[str, str] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="links.cancel"),
        Binding("y", "copy", "Copy", id="links.copy"),
        Binding("o", "choose", "Open", id="links.open"),
        # The list's own keys, as in the headline list (and newsboat's URL view).
        Binding("j", "move('cursor_down')", "Down", show=False, id="links.down"),
        Binding("k", "move('cursor_up')", "Up", show=False, id="links.up"),
        Binding("g", "move('first')", "First", show=False, id="links.first"),
        Binding("G", "move('last')", "Last", show=False, id="links.last"),
    ]

    def __init__(self, links: list[Any]) -> None:
        super().__init__()
        self.links = links

    def compose(self) -> ComposeResult:
        options = []
        for link in self.links:
            prompt = Text(f"[{link.number}] ", style="bold")
            if link.text and link.text != link.url:
                prompt.append(safe_line(link.text))
                prompt.append(" ")
            prompt.append(safe_line(link.url), style="underline")
            options.append(Option(prompt, id=str(link.number)))
        with Vertical(classes="dialog wide-dialog"):
            yield Label("Links: Enter opens, y copies, Escape closes", classes="dialog-title")
            yield OptionList(*options, id="link-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _selected_url(self) -> str | None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None:
            return None
        return str(self.links[option_list.highlighted].url)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("open", str(self.links[event.option_index].url)))

    def action_choose(self) -> None:
        url = self._selected_url()
        self.dismiss(("open", url) if url else None)

    def action_copy(self) -> None:
        url = self._selected_url()
        self.dismiss(("copy", url) if url else None)

    def action_move(self, where: str) -> None:
        getattr(self.query_one(OptionList), f"action_{where}")()

    def action_cancel(self) -> None:
        self.dismiss(None)
