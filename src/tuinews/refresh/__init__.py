"""Fetching feeds and updating the store, asynchronously; shared by the CLI and the TUI.

Importing this package is cheap: httpx and the parsers load on first use.
"""

from tuinews.refresh.engine import refresh_feeds
from tuinews.refresh.lock import WAITING_MESSAGE, RefreshBusy
from tuinews.refresh.outcome import (
    FeedOutcome,
    OutcomeStatus,
    ProgressCallback,
    RefreshStopped,
    RefreshSummary,
)
from tuinews.refresh.sources import SourceResult, load_sources

__all__ = [
    "WAITING_MESSAGE",
    "FeedOutcome",
    "OutcomeStatus",
    "ProgressCallback",
    "RefreshBusy",
    "RefreshStopped",
    "RefreshSummary",
    "SourceResult",
    "load_sources",
    "refresh_feeds",
]
