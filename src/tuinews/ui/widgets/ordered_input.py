"""A one-line text input whose editing keys act in the order they were typed."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input


class OrderedInput(Input):
    """`Input`, with its own bound keys (Backspace, Delete, arrows, Home, Ctrl+U, Enter, …)
    run where the key arrives, as a typed character is.

    Textual inserts a typed character as soon as the input receives it, but runs a bound
    key only once the key has bubbled up to the app, a few messages later: in a burst of
    keys (a busy moment, a key macro, `tmux send-keys`), `/` Backspace×4 `coffee` Enter
    on the search "rust" typed "coffee" first, then deleted four letters of it, and
    searched "co" (Textual issue #6605). Keys bound outside the input (Escape, Ctrl+C)
    take their usual way."""

    # Ctrl+J (a line feed) submits too, as in a shell's line editor: Enter typed ahead,
    # before the reader has set the terminal up (`tuinews` Enter `/rust` Enter over a
    # slow link), reaches it as a line feed, the terminal's own translation of Enter.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+j", "submit", show=False)]

    async def on_key(self, event: events.Key) -> None:
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.node is not self or not active.enabled:
            return
        # Runs before Input's own key handler (a subclass's comes first), which then
        # has nothing left to do; stopped, the key never reaches the app's bindings.
        event.prevent_default()
        event.stop()
        await self.run_action(active.binding.action)
