"""The base of the reader's dialogs: the keys typed in a burst reach them in order.

The keys typed after the key that opened a dialog (`/`, `a`, ...) wait in the app's key
gate (`waiting_keys.KeyGate`) until the dialog is up with its focus, then come into it:
`/rust` Enter typed in one go searches "rust". A key that answers the dialog (Enter in
its text box, or one of its own keys: Escape, `y`, `q`, ...) holds the keys typed after
it until the dialog has answered: they then go on to the screen under it (`/rust` Enter
`j` moves in the results), or into the dialog again when it stays open (an address the
add-feed dialog refuses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual import events
from textual.binding import ActiveBinding
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, OptionList

if TYPE_CHECKING:
    from tuinews.ui.app import NewsApp

ResultType = TypeVar("ResultType")


class KeysInOrder(Screen[ResultType]):
    """A pop-up screen whose own keys, and the Enter that answers it, hold the keys
    typed after them until they have had their effect (the dialogs, and the command
    palette, `palette.Palette`). A base after the Textual screen class it goes with:
    Textual takes a screen's styles from its first base only."""

    # The key the keys typed after it wait for, until the screen has answered it.
    _answering: events.Key | None = None

    def _key_done(self, key: events.Key | None) -> None:
        app: NewsApp = self.app  # type: ignore[assignment]
        app.key_done(key)

    def gate_on(self, key: events.Key) -> bool:
        """Whether the keys typed after `key` must wait for the screen to answer it:
        a key bound on the screen itself (run where it arrives, `on_key`), or the
        Enter that submits its text box, presses its focused button or picks from its
        list (answered in `on_input_submitted`, `on_button_pressed`,
        `on_option_list_option_selected`)."""
        active = self.active_bindings.get(key.key)
        if active is None or not active.enabled:
            return False
        if key.is_printable and isinstance(self.focused, Input):
            # The text box takes it, even when `[keymap]` binds it on the dialog
            # ("dialog.cancel" = "escape,q"): no answer is to come of it.
            return False
        if active.node is not self and not _answers(active):
            return False
        self._answering = key
        return True

    async def on_key(self, event: events.Key) -> None:
        # The screen's own keys run where they arrive, in the order typed, and while the
        # screen is there: Textual runs them once the key has bubbled up to the app.
        active = self.active_bindings.get(event.key)
        if active is None or active.node is not self or not active.enabled:
            return
        event.stop()  # not to the app, which would run the binding again
        try:
            await self.run_action(active.binding.action)
        finally:
            self._key_done(event)


class Dialog(ModalScreen[ResultType], KeysInOrder[ResultType]):
    """A dialog (subclasses must not `prevent_default` an `Input.Submitted`: the
    keys typed after Enter wait for this class's handler of it)."""

    # The key that opened the dialog (set by the main screen), until the dialog is up.
    opened_by: events.Key | None = None

    def on_mount(self) -> None:
        # Runs after the dialog's own on_mount (Textual calls each class's handler),
        # whose focus() the app applies later: the keys typed meanwhile follow it.
        self.app.call_later(self._ready)

    def _ready(self) -> None:
        opened_by, self.opened_by = self.opened_by, None
        self._key_done(opened_by)

    def on_input_submitted(self) -> None:
        # After the dialog's own handler of the words (the subclass's comes first): it
        # has answered, dismissed or still open.
        self._key_done(self._answering)

    def on_button_pressed(self) -> None:
        # Likewise after the dialog's handler of its button (Enter on it: `d` Enter
        # answers No, and the keys after it go on to the reader).
        self._key_done(self._answering)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._key_done(self._answering)

    def on_unmount(self) -> None:
        # Gone before it was up, or before it answered: nothing waits for it any more.
        self._key_done(self.opened_by)
        self._key_done(self._answering)


def _answers(active: ActiveBinding) -> bool:
    """Whether a binding of a widget in the dialog answers it with a message that the
    dialog handles (Textual runs it once the key has bubbled up to the app): Enter
    submitting a text box, pressing a button, or picking the highlighted option. Only
    when that message is sure to come, else the keys after it would wait for nothing."""
    node, action = active.node, active.binding.action
    if action == "submit":
        return isinstance(node, Input)
    if action == "press":
        # A button pressed a moment ago (still "-active") or disabled ignores the key.
        return isinstance(node, Button) and not node.disabled and not node.has_class("-active")
    if action == "select":
        if not isinstance(node, OptionList) or node.highlighted is None:
            return False
        return not node.get_option_at_index(node.highlighted).disabled
    return False
