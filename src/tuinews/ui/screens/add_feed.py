"""The add-feed dialog: the address is checked here, and a bad one is explained inline."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tuinews.errors import TuinewsError
from tuinews.model import Subscription
from tuinews.ui.context import AppContext
from tuinews.ui.safe import safe_text


class AddFeedScreen(ModalScreen[Subscription | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Add a feed", classes="dialog-title")
            yield Input(placeholder="https://example.org/feed.xml or a file path", id="url")
            yield Static("", id="error", classes="dialog-error")
            where = (
                "Kept for this session only (sample feeds or sources given on the command line)."
                if self.ctx.ephemeral
                else f"Saved to your subscriptions in {self.ctx.config_path.name}."
            )
            yield Static(safe_text(where), classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.query_one(Input).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#error", Static)
        error.update(safe_text(message))  # Text, never markup: the message quotes user input
        error.display = True

    @on(Input.Submitted)
    @on(Button.Pressed, "#add")
    def submit(self) -> None:
        from tuinews.subscriptions import SubscriptionFile, validate_feed_ref

        text = self.query_one(Input).value.strip()
        if not text:
            self.show_error("Type the address of a feed (or a path to a feed file).")
            return
        try:
            url = validate_feed_ref(text)
            if any(sub.url == url for sub in self.ctx.subscriptions):
                self.show_error(f"Already subscribed to {url}")
                return
            subscription = Subscription(url)
            if not self.ctx.ephemeral:
                SubscriptionFile(self.ctx.config_path).add(subscription)
        except (TuinewsError, OSError) as error:  # e.g. a read-only config
            self.show_error(str(error))
            return
        self.dismiss(subscription)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
