"""The add-feed dialog: the address is checked here, and a bad one is explained inline.

On the first-run sample screen (no subscriptions yet) adding a feed subscribes for real:
it is saved in the user's config and fetched into the user's store (the samples' store
is left as it is); once it is fetched, the reader opens again on the user's feeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from tuinews.errors import TuinewsError
from tuinews.model import Subscription
from tuinews.ui.context import AppContext
from tuinews.ui.messages import Status
from tuinews.ui.safe import safe_text
from tuinews.ui.screens.dialog import Dialog
from tuinews.ui.widgets.ordered_input import OrderedInput

if TYPE_CHECKING:
    from textual.screen import Screen

    from tuinews.config import Config


def first_run_store(ctx: AppContext) -> Path | None:
    """The user's store when the reader shows the sample feeds (no subscriptions yet):
    a feed added there is a real subscription. Set by `commands.launch`."""
    return ctx.user_store_path


class AddFeedScreen(Dialog[Subscription | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel")
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Add a feed", classes="dialog-title")
            # Edited in the order typed, however fast the keys come.
            yield OrderedInput(placeholder="https://example.org/feed.xml or a file path", id="url")
            yield Static("", id="error", classes="dialog-error")
            if first_run_store(self.ctx) is not None:
                where = (
                    f"Saved to your subscriptions in {self.ctx.config_path}; once it is "
                    "fetched, your feeds replace the sample feeds."
                )
            elif self.ctx.ephemeral:
                where = "Kept for this session only (sources given on the command line)."
            else:
                where = f"Saved to your subscriptions in {self.ctx.config_path.name}."
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
        user_store = first_run_store(self.ctx)
        try:
            url = validate_feed_ref(text)
            # On the sample screen the shown feeds are the samples, not the user's.
            if user_store is None and any(sub.url == url for sub in self.ctx.subscriptions):
                self.show_error(f"Already subscribed to {url}")
                return
            subscription = Subscription(url)
            if user_store is not None or not self.ctx.ephemeral:
                SubscriptionFile(self.ctx.config_path).add(subscription)
        except (TuinewsError, OSError) as error:  # e.g. a read-only config, a duplicate
            self.show_error(str(error))
            return
        if user_store is None:
            self.dismiss(subscription)
            return
        # Not into the sample store (it would keep the feed's articles, with no sidebar
        # entry, at every start): fetched into the user's own store, in the background.
        reader = self.app.screen_stack[-2]
        name = self.ctx.config_path.name
        line = f"Subscribed to {url} (saved in {name}); fetching it…"
        reader.post_message(Status(line, lasting=True))
        self.app.run_worker(
            _fetch_first_feed(
                user_store, subscription, self.ctx.config, reader, self.ctx.config_path
            ),
            group="first-subscription",
            description="fetch a new subscription into the user's store",
        )
        self.dismiss(None)  # the reader has nothing to add to the sample feeds

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


async def _fetch_first_feed(
    store_path: Path,
    subscription: Subscription,
    config: Config,
    reader: Screen[None],
    config_path: Path,
) -> None:
    """Fetch a feed subscribed to from the sample screen into the user's store, so that
    the next start shows it at once; the status line says how it went. A move (a
    permanent redirect, a site's address that led to its feed) is saved in the
    subscriptions, which must name the feed as the store does."""
    import asyncio

    from tuinews.refresh import refresh_feeds
    from tuinews.sources.sanitize import clean_line

    url = subscription.url
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        summary = await refresh_feeds(
            store_path, [subscription], config.refresh, lock="wait", retention=config.retention
        )
    except (TuinewsError, OSError) as error:
        line = f"Subscribed to {url}; not fetched: {error}"
        reader.post_message(Status(line, error=True, lasting=True))
        return
    outcome = summary.outcomes[0] if summary.outcomes else None
    if outcome is None or outcome.status == "failed":
        why = outcome.error if outcome is not None else "no answer"
        line = f"Subscribed to {url}; fetching it failed: {why} (tried again at next start)"
        reader.post_message(Status(clean_line(line), error=True, lasting=True))
        return
    if outcome.moved_to:
        from tuinews.refresh.moves import save_move

        unsaved = await asyncio.to_thread(
            save_move, config_path, store_path, url, outcome.moved_to, outcome.moved_via
        )
        if unsaved is not None:
            line = f"{url}: {outcome.move_line}; not saved: {unsaved}"
            reader.post_message(Status(clean_line(line), error=True, lasting=True))
            return
        url = outcome.moved_to
    title = clean_line(await asyncio.to_thread(_stored_title, store_path, url)) or url
    noun = "article" if summary.new == 1 else "articles"
    # The reader opens again on the user's own feeds (it used to ask for a restart).
    app = reader.app
    app.reopen_saying = f"Subscribed to {title}: {summary.new} {noun}."  # type: ignore[attr-defined]
    app.exit()


def _stored_title(store_path: Path, url: str) -> str:
    """The feed's title as stored after its first fetch (the outcome has the URL)."""
    from tuinews.store import Store

    try:
        with Store.open(store_path) as store:
            info = store.feed_by_url(url)
    except TuinewsError:
        return ""
    return info.title if info is not None and info.title != url else ""
