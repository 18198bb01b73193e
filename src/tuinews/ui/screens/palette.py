"""Textual's command palette, whose keys reach it, and what it opens, in order.

Enter on a command closes the palette and runs the command a moment later (Textual's
`CommandPalette` calls it after it has gone). The keys typed after that Enter in the
same burst were routed before the command ran, to the closing palette (lost) or the
screen under it: Ctrl+P "Remove feed", then Enter `y` in one go, left the question
open, unanswered; Escape `j` lost the `j`. They now wait in the app's key gate
(`waiting_keys.KeyGate`) for the command, which runs as the key that chose it
(`NewsApp.run_command`): into the dialog it opens once that is up, else on to the
screen once it has run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.command import CommandList, CommandPalette

from tuinews.ui.screens.dialog import KeysInOrder

if TYPE_CHECKING:
    from tuinews.ui.app import NewsApp


class Palette(CommandPalette, KeysInOrder[None]):
    """The command palette of `NewsApp.action_command_palette`."""

    def on_input_submitted(self) -> None:
        # Before CommandPalette's own handler of Enter (a subclass's comes first), which
        # sees the same list: whether it will run a command.
        key, self._answering = self._answering, None
        if key is None:
            return
        if self._runs_a_command():
            app: NewsApp = self.app  # type: ignore[assignment]
            app.command_key = key  # the command says when it is done
        else:
            self._key_done(key)  # the palette stays as it is: nothing to wait for

    def _runs_a_command(self) -> bool:
        """Whether Enter in the text box picks a command (as
        `CommandPalette._select_or_command` does): the highlighted one of the list
        shown, or its only one. Commands are picked from the list as soon as they
        show (`run_on_select`): with no list shown there is none to run."""
        commands = self.query_one(CommandList)
        if not commands.has_class("--visible") or not commands.option_count:
            return False
        index = commands.highlighted
        if index is None:
            if commands.option_count != 1:
                return False  # Enter only highlights the first
            index = 0
        return not commands.get_option_at_index(index).disabled  # "No matches found"

    def on_unmount(self) -> None:
        # Gone before it answered (Escape runs where it arrives): nothing waits for it.
        self._key_done(self._answering)
