"""Feed details: where it comes from, when it was fetched, and why it failed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, Static

from tuinews.commands.common import short_date
from tuinews.refresh.outcome import minute_after
from tuinews.refresh.shown_error import next_try, plain_error
from tuinews.sources.sanitize import without_password
from tuinews.store import FeedInfo
from tuinews.ui.safe import safe_text
from tuinews.ui.screens.dialog import Dialog


def _when(moment: datetime | None) -> str:
    return short_date(moment) if moment else "never"  # the CLI's format, local time


def _next_fetch(feed: FeedInfo, now: datetime) -> str:
    """When a refresh fetches the feed, true at `now`: a back-off's end only while it is
    to come (a stored error never says a time; see `refresh.shown_error`)."""
    if feed.disabled:
        return "when refreshed on its own (disabled)"
    retry_at = next_try(feed, now)
    # Up to the minute, as the refresh says "next try after": 04:17:30 cut to "04:17"
    # read as due before it was.
    return _when(minute_after(retry_at)) if retry_at is not None else "next refresh"


def feed_details(feed: FeedInfo, now: datetime | None = None) -> Table:
    """The feed's details as of `now` (the present by default)."""
    now = now or datetime.now(UTC)
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    # fold: a long address or error wraps whole; here, of all places, it must be read.
    table.add_column(overflow="fold")
    status = str(feed.last_status) if feed.last_status is not None else "-"
    rows = [
        ("Title", without_password(feed.title)),
        ("URL", without_password(feed.url)),
        ("Tags", ", ".join(feed.tags) or "-"),
        ("Articles", f"{feed.total} ({feed.unread} unread)"),
        ("Last refresh", _when(feed.last_refresh)),
        ("Status", status + (" (disabled)" if feed.disabled else "")),
        ("Error", plain_error(feed.last_error or "") or "none"),
        ("Error at", _when(feed.last_error_at) if feed.last_error else "-"),
        ("Failures", str(feed.failures)),
        ("Next fetch", _next_fetch(feed, now)),
    ]
    for name, value in rows:
        # Text objects: titles, URLs and errors come from outside and are not markup.
        table.add_row(
            Text(name), safe_text(value, style="red" if name == "Error" and feed.last_error else "")
        )
    return table


class FeedInfoScreen(Dialog[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,i,enter", "close", "Close", id="dialog.close")
    ]

    def __init__(self, feed: FeedInfo) -> None:
        super().__init__()
        self.feed = feed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Label("Feed details", classes="dialog-title")
            yield Static(feed_details(self.feed), id="details")
            yield Label("Escape closes", classes="dialog-note")

    def action_close(self) -> None:
        self.dismiss(None)
