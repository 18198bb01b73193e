"""The footer of keys, rebuilt only when the keys it shows change.

Textual's Footer recomposes on every focus change; a recompose is a layout, and a layout
rewrites whole screen lines across every pane (about 30 KB for moving between panes).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[tuple[str, str, str, bool], ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (active.binding.key, active.binding.action, active.binding.description, active.enabled)
            for active in screen.active_bindings.values()
            if active.binding.show
        )
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)
