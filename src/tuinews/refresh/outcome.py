"""What a refresh reports: one outcome per feed and a summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from tuinews.errors import StoreError

OutcomeStatus = Literal["updated", "not_modified", "failed", "skipped", "unchanged_file"]
# Why a feed was skipped: its back-off, a wait the server asked for (429/503, a feed named
# on the command line), a 410, fetched by the refresh this one waited for (and saved, or
# failed there), or removed.
SkipKind = Literal[
    "backoff", "server_wait", "disabled", "other_refresh", "other_refresh_failed", "removed"
]
# Skips of a feed whose last try failed: it is still failing, though not tried this time.
FAILING_SKIPS: frozenset[SkipKind] = frozenset(
    {"backoff", "server_wait", "disabled", "other_refresh_failed"}
)


def minute_after(moment: datetime) -> datetime:
    """`moment` up to its next whole minute: "next try after 01:53" for a try due at
    01:53:16 was not so at 01:53:03 (times are shown to the minute)."""
    if moment.second or moment.microsecond:
        return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


def short_time(moment: datetime, now: datetime | None = None) -> str:
    """`17:05` for a moment later today (local time), else with its date, `2026-01-06
    09:00`: when a feed is tried next. A bare time on another day read wrong: at 23:00,
    "09:00" (tomorrow's) and at 17:00, "12:00" (tomorrow's, looking past)."""
    local = minute_after(moment).astimezone()
    if local.date() == (now or datetime.now(UTC)).astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What happened to one feed. For `skipped`, `error` says why (it is not a failure)."""

    url: str  # the subscription URL as it was before this refresh
    title: str
    status: OutcomeStatus
    new: int = 0
    updated: int = 0
    error: str | None = None
    moved_to: str | None = None  # a permanent redirect: the subscription should follow
    # The addresses the redirects passed through on the way (A -> B -> C: B), which the
    # store remembers as the feed's (`Store.former_urls`) along with the old one.
    moved_via: tuple[str, ...] = ()
    disabled: bool = False  # HTTP 410: the store no longer refreshes this feed
    http_status: int | None = None
    unanswered: bool = False  # a web feed that failed with no HTTP answer from its server
    note: str | None = None  # something the user should know (not a failure)
    skipped_because: SkipKind | None = None
    # Skipped while still failing: when a refresh tries it by itself, and why it failed.
    retry_at: datetime | None = None
    last_error: str | None = None
    # A permanent redirect onto this URL, another subscription's: nothing moved, and
    # the feed failed (`error` says so), until the user removes one of the two.
    moved_onto: str | None = None
    # `moved_to` is not a redirect's target but the feed a web page links to: the
    # subscription was a site's address (see `_Run._follow_page`).
    found_on_page: bool = False

    @property
    def still_failing(self) -> bool:
        """Skipped, but its last try failed (back-off, a wait the server asked for, 410):
        not a failure of this refresh, yet the feed is not working."""
        return self.status == "skipped" and self.skipped_because in FAILING_SKIPS

    @property
    def move_line(self) -> str:
        """How the move to `moved_to` is told, after the old URL and a colon."""
        from tuinews.sources.sanitize import without_password

        new = without_password(self.moved_to or "")
        if self.found_on_page:
            return f"a web page, not a feed; following the feed it links to, {new}"
        return f"moved permanently to {new}"

    @property
    def name(self) -> str:
        """How to name the feed to the user: its title, else its URL, never with the
        password a URL may hold, as a terminal can draw it."""
        from tuinews.sources.sanitize import drawable, without_password

        return drawable(without_password(self.title or self.url))


@dataclass(slots=True)
class RefreshSummary:
    feeds: int = 0
    new: int = 0
    updated: int = 0  # articles a feed changed since they were saved (marks kept)
    not_modified: int = 0
    failed: int = 0
    skipped: int = 0
    still_failing: int = 0  # of the skipped feeds, those whose last try failed
    # No web feed got an HTTP answer, and some failed for it: most likely offline. Those
    # feeds' outcomes are `unanswered` (then set no back-off).
    offline: bool = False
    seconds: float = 0.0
    outcomes: list[FeedOutcome] = field(default_factory=list)
    # (former address, address now) of each feed `only` named by an address it had
    # before a move (`Store.former_urls`), once each: the user should hear of it.
    named_by_former: list[tuple[str, str]] = field(default_factory=list)

    @property
    def moved(self) -> list[tuple[str, str]]:
        """(old URL, new URL) for each permanent redirect seen."""
        return [(o.url, o.moved_to) for o in self.outcomes if o.moved_to]

    def add(self, outcome: FeedOutcome) -> None:
        self.outcomes.append(outcome)
        self.feeds += 1
        self.new += outcome.new
        self.updated += outcome.updated
        if outcome.status in ("not_modified", "unchanged_file"):
            self.not_modified += 1
        elif outcome.status == "failed":
            self.failed += 1
        elif outcome.status == "skipped":
            self.skipped += 1
            self.still_failing += outcome.still_failing


ProgressCallback = Callable[[int, int, FeedOutcome], None]


class RefreshStopped(StoreError):
    """The store refused a write (disk full, read-only, I/O error): the refresh stopped
    there. `str()` is the store's one line; `summary` holds the feeds finished before the
    stop (saved and consistent; their permanent redirects still need applying)."""

    def __init__(self, message: str, summary: RefreshSummary) -> None:
        super().__init__(message)
        self.summary = summary
