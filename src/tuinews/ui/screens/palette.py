"""Textual's command palette, whose keys reach it, and what it opens, in order.

Enter on a command closes the palette and runs the command a moment later (Textual's
`CommandPalette` calls it after it has gone). The keys typed after that Enter in the
same burst were routed before the command ran, to the closing palette (lost) or the
screen under it: Ctrl+P "Remove feed", then Enter `y` in one go, left the question
open, unanswered; Escape `j` lost the `j`. They now wait in the app's key gate
(`waiting_keys.KeyGate`) for the command, which runs as the key that chose it
(`NewsApp.run_command`): into the dialog it opens once that is up, else on to the
screen once it has run.

The palette looks for the commands matching its words in the background, a search per
key typed: an Enter typed ahead of the results for the last words (Ctrl+P "Remove
feed" Enter in one go) waits for them, rather than pick what the list showed before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.command import CommandInput, CommandList, CommandPalette
from textual.widgets import Input

from tuinews.ui.screens.dialog import KeysInOrder

if TYPE_CHECKING:
    from tuinews.ui.app import NewsApp


class Palette(CommandPalette, KeysInOrder[None]):
    """The command palette of `NewsApp.action_command_palette`."""

    _submit_when_found = False  # Enter waits for the commands found for the words

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Before CommandPalette's own handler of Enter (a subclass's comes first), which
        # sees the same list.
        if self._searching():
            # Typed ahead of the commands found for the words typed (Ctrl+P, a command
            # and Enter in one go): Enter picked what the list showed for fewer words,
            # or none. It waits for them, as if typed after they showed.
            event.prevent_default()
            event.stop()
            self._submit_when_found = True
            return
        # Whether Enter runs a command.
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

    def _searching(self) -> bool:
        """Whether the palette looks for the commands matching its words (each key
        typed starts a search, in a worker)."""
        return any(worker.node is self and not worker.is_finished for worker in self.workers)

    async def on_worker_state_changed(self) -> None:
        if self._submit_when_found and not self._searching():
            self._submit_when_found = False
            await self.query_one(CommandInput).action_submit()  # Enter, at last

    def on_unmount(self) -> None:
        # Gone before it answered (Escape runs where it arrives): nothing waits for it.
        self._key_done(self._answering)
