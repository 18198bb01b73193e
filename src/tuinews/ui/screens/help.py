"""The key help, generated from the live bindings (so a rebound key shows as rebound)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from tuinews.ui.safe import safe_text
from tuinews.ui.screens.dialog import Dialog


def key_table(screen: Screen) -> Table:
    """One row per action of `screen`, with every key currently bound to it."""
    keys_by_action: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    order: list[str] = []
    app = screen.app
    # The screen's own bindings (not Textual's defaults), in the order they are declared;
    # `active_bindings` carries the keys after the user's keymap.
    declared = [b.id for b in screen.BINDINGS if isinstance(b, Binding) and b.id]
    for _key, active in sorted(
        screen.active_bindings.items(),
        key=lambda item: (
            declared.index(item[1].binding.id) if item[1].binding.id in declared else len(declared)
        ),
    ):
        binding = active.binding
        if active.node is not screen or binding.id not in declared:
            continue
        # A group (the link keys 1-9) is one row under the group's description.
        row = f"group:{binding.group.description}" if binding.group else binding.action
        if row not in keys_by_action:
            keys_by_action[row] = []
            order.append(row)
        keys_by_action[row].append(app.get_key_display(binding))
        descriptions[row] = binding.group.description if binding.group else binding.description
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for action in order:
        table.add_row(safe_text(" ".join(keys_by_action[action])), safe_text(descriptions[action]))
    return table


class HelpScreen(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close")
    ]

    def __init__(self, main: Screen) -> None:
        super().__init__()
        self.main = main

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide-dialog", id="help"):
            yield Label(
                Text("Keys (rebind them in [keymap] of the config)"), classes="dialog-title"
            )
            yield Static(key_table(self.main), id="keys")
            yield Label("Ctrl+P: command palette (themes, every action)", classes="dialog-note")

    def action_close(self) -> None:
        self.dismiss(None)
