"""Every key of the main screen, as data. Each binding has an id so `[keymap]` in the
config can rebind it (App.set_keymap); the help screen and the command palette are
generated from this list."""

from __future__ import annotations

from textual.binding import Binding


def _b(
    keys: str,
    action: str,
    description: str,
    *,
    show: bool = False,
    key_display: str | None = None,
    group: Binding.Group | None = None,
) -> Binding:
    binding_id = action.replace("(", "_").rstrip(")")  # link(3) -> link_3
    return Binding(
        keys,
        action,
        description,
        show=show,
        id=binding_id,
        key_display=key_display,
        group=group,
    )


LINK_KEYS = Binding.Group("Open link n of the article")

# Order matters: the footer shows the `show=True` ones in this order (help first, so it is
# visible at 80 columns), and the help screen lists them all in this order.
MAIN_BINDINGS: list[Binding] = [
    _b("question_mark", "help", "Help", show=True, key_display="?"),
    _b("j,down", "cursor_down", "Down"),
    _b("k,up", "cursor_up", "Up"),
    _b("g,home", "first", "First"),
    _b("G,end", "last", "Last"),
    _b("pagedown", "page_down", "Page down"),
    _b("pageup", "page_up", "Page up"),
    _b("enter", "open", "Open"),
    _b("tab", "next_pane", "Next pane"),
    _b("shift+tab", "previous_pane", "Previous pane"),
    _b("h,left", "pane_left", "Pane left"),
    _b("l,right", "pane_right", "Pane right"),
    _b("space", "space", "Page / next unread"),
    _b("n", "next_unread", "Next unread", show=True),
    _b("p", "previous_unread", "Previous unread"),
    _b("m", "toggle_read", "Read/unread", show=True),
    _b("s", "star", "Star", show=True),
    _b("A", "mark_all_read", "Mark all read"),
    _b("u", "undo", "Undo mark all read"),
    _b("r", "refresh_feed", "Refresh feed now (even if failing)"),
    _b("R", "refresh_all", "Refresh all", show=True),
    _b("o", "open_link", "Open link"),
    _b("y", "copy_link", "Copy link"),
    _b("L", "links", "Links"),
    *[_b(str(n), f"link({n})", f"Link {n}", group=LINK_KEYS) for n in range(1, 10)],
    _b("slash", "search", "Search", show=True, key_display="/"),
    _b("f", "cycle_filter", "Filter all/unread/starred"),
    _b("a", "add_feed", "Add feed", show=True),
    _b("d", "remove_feed", "Remove feed"),
    _b("i", "feed_info", "Feed details"),
    _b("b,grave_accent", "toggle_sidebar", "Sidebar"),
    _b("escape", "back", "Back"),
    _b("q", "back_or_quit", "Back/quit", show=True),
]
